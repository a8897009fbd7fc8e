"""A `shipment_target` on a promotion whose effect is not a shipping effect.

What it finds: a promotion with a `shipment_target` and no shipping effect:
only effects on the lines (`percent_off`, `amount_off`, tiers ...), in
`effect` or in every entry of an `effects` list.

Why it costs money: only a shipping effect reads the `shipment_target`; every
other effect ignores it. The author meant to limit the discount to one
seller's or one method's parcels, and the promotion discounts the lines of
every cart that meets its `when` instead — usually a shipping offer written
without its `shipping:` key.

Avoid:

    shipment_target: shipment.seller == "acme"
    effect: { amount_off: "5.00" }

Prefer:

    shipment_target: shipment.seller == "acme"
    effect: { shipping: { amount_off: "5.00" } }
"""

from __future__ import annotations

from collections.abc import Iterator

from ...effects import Shipping
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR226"
NAME = "shipment-target-without-shipping"
SEVERITY = Severity.ERROR


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        if promo.shipment_target is None or \
                any(isinstance(effect, Shipping) for effect in promo.all_effects):
            continue
        yield finding(CODE, SEVERITY, f"shipment_target selects shipments, but the "
                      f"{promo.effect_kind} effect ignores it and discounts the lines of every "
                      "eligible cart", ruleset.span("promotions", index, "shipment_target"),
                      "give the promotion a shipping effect (effect: { shipping: ... }), or "
                      "remove the shipment_target")
