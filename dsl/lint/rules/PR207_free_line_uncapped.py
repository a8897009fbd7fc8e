"""An effect that can take a line to zero, neither `exclusive` nor capped.

What it finds: `percent_off: 100` (outside buy/get), `fixed_price: 0`, a
bundle priced 0, or a tier step with either, on a promotion that is not
`exclusive: true` and whose effect has no `max_amount`. Buy X get Y free is
not reported: the free units are bounded by the units bought.

Why it costs money: "free" stacks with everything else that applies and
has no ceiling: a target that matches more than intended (a new category,
a missing tag) gives whole lines away, on every order, until someone reads
the margin report.

Avoid:

    - id: gift-wrap-free
      target: item.tags contains "gift"
      effect: { percent_off: 100 }

Prefer: bound it — `max_units: 1` with `max_amount: "5.00"`, or make it
`exclusive: true` when it really is the whole deal.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ...effects import Bundle, FixedPrice, PercentOff, Tiers
from ...errors import Diagnostic, Severity
from ...model import Promotion
from ..context import LintRuleset, finding

CODE = "PR207"
NAME = "free-line-uncapped"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        if not promo.exclusive:
            yield from _check_effects(ruleset, index, promo)


def _check_effects(ruleset: LintRuleset, index: int, promo: Promotion) -> Iterator[Diagnostic]:
    for where, effect in promo.effect_paths():
        if effect.max_amount is not None:
            continue
        base: tuple[str | int, ...] = ("promotions", index, *where)
        found: list[tuple[tuple[str | int, ...], str]] = []
        if isinstance(effect, PercentOff) and effect.percent_off == Decimal(100):
            found.append((base + ("percent_off",), "100% off"))
        elif isinstance(effect, FixedPrice) and effect.fixed_price == 0:
            found.append((base + ("fixed_price",), "a fixed price of 0"))
        elif isinstance(effect, Bundle) and effect.bundle.price == 0:
            found.append((base + ("bundle", "price"), "a bundle price of 0"))
        elif isinstance(effect, Tiers):
            for k, step in enumerate(effect.tiers.steps):
                if step.percent_off == Decimal(100):
                    found.append((base + ("tiers", "steps", k, "percent_off"),
                                  "a tier of 100% off"))
                elif step.fixed_price is not None and step.fixed_price == 0:
                    found.append((base + ("tiers", "steps", k, "fixed_price"),
                                  "a tier with a fixed price of 0"))
        for path, what in found:
            yield finding(CODE, SEVERITY, f"{what} takes target lines to zero, and "
                          f"'{promo.id}' is neither exclusive nor capped",
                          ruleset.span(*path),
                          "add max_amount to the effect (and max_units), or make it "
                          "exclusive: true")
