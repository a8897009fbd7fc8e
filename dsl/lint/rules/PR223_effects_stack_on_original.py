"""Two effects of one promotion discounting the same lines on the original price.

What it finds: with `stacking.base: original`, a promotion's `effects` list in
which two line effects take from the same lines: the lines one effect targets
are all targeted by the other (the same target, a narrower one, or no target
of their own and none on the promotion). A gift with `when_in_cart: discount`
takes from the cart's lines of its sku (`item.sku == "<sku>"`); a gift added
as its own line, and a shipping effect, take from no cart line.

Why it costs money: with `base: original` every effect is computed on the
original price, so the two discounts add up on those lines (10 % and 50 % off
are 60 % off, not the 55 % of one after the other), up to the whole line.
Usually the list was meant to discount different lines, or the stacking was
meant to be `base: discounted`.

Avoid (with `base: original`):

    effects:
      - { percent_off: 10 }
      - { percent_off: 50, target: item.category == "tshirts" }

Prefer: targets that do not overlap, or one effect giving the combined
discount where that is the offer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ...effects import Gift, Shipping
from ...errors import Diagnostic, Severity
from ...expr.nodes import Node
from ...expr.parser import parse_expression
from ..conditions import implies
from ..context import LintRuleset, finding

CODE = "PR223"
NAME = "effects-stack-on-original"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    if ruleset.stacking.base != "original":
        return
    for index, promo in enumerate(ruleset.promotions):
        seen: list[tuple[str | int, Node | None]] = []  # the line effects before: target
        for where, effect in promo.effect_paths():
            if len(where) < 2 or isinstance(effect, Shipping):  # (no target lines)
                continue
            position = where[1]
            if isinstance(effect, Gift):
                if effect.gift.when_in_cart != "discount":
                    continue  # its own line, which nothing else takes from
                node: Node | None = parse_expression(f"item.sku == {json.dumps(effect.gift.sku)}")
            else:
                target = effect.target if effect.target is not None else promo.target
                if target is not None and target.node is None:
                    continue
                node = target.node if target is not None else None
            earlier = next((k for k, other in seen if implies(node, other)
                            or implies(other, node)), None)
            if earlier is not None:
                yield finding(CODE, SEVERITY, f"effects {earlier} and {position} of "
                              f"'{promo.id}' both discount the same lines, each on the "
                              "original price (base: original): their discounts add up",
                              ruleset.span("promotions", index, *where),
                              "give the effects targets that do not overlap, or stack on "
                              "base: discounted")
            seen.append((position, node))
