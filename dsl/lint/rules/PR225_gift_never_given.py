"""A gift whose discount is always zero: it never adds its line.

What it finds: a `gift` effect (alone or in an `effects` list) with a
`unit_price` of zero (a `percent_off` is more than zero: the language refuses 0).

Why it costs money: a promotion whose discount comes to zero is rejected
(`nothing_to_discount`), and a gift of zero is left out of an `effects`
list's result, so the gift line is never added and the customer
never gets the item the campaign promises; with a price of zero the gift's
cost also never shows in the discount totals and budgets that account for it.

Avoid:

    effect: { gift: { sku: TOTE-01, unit_price: "0.00" } }

Prefer:

    effect: { gift: { sku: TOTE-01, unit_price: "12.00" } }   # its real price, 100 % off
"""

from __future__ import annotations

from collections.abc import Iterator

from ...effects import Gift
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR225"
NAME = "gift-never-given"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        for where, effect in promo.effect_paths():  # (a gift in an effects list too)
            if not isinstance(effect, Gift):
                continue
            spec = effect.gift
            if spec.unit_price == 0:
                yield finding(CODE, SEVERITY, f"the gift {spec.sku} has a unit_price of zero: "
                              "its discount is zero, so it is never given",
                              ruleset.span("promotions", index, *where, "gift", "unit_price"),
                              "give the gift's real price; percent_off 100 makes it free")
