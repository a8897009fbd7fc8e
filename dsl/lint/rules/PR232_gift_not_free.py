"""A gift at less than 100 % off: a line the customer did not choose, and pays for.

What it finds: a `gift` (alone or in an `effects` list) whose `percent_off`
is below 100.

Why it costs money: a gift is added to the order by the promotion, not by
the customer (with `when_in_cart: discount` too, when the cart holds none of
its sku). At 50 % off, every order that gets it pays half the gift's price
for an item nobody asked for: complaints, returns and chargebacks, and under
`stacking.mode: best_deal` the gift's discount can even win over a plain
discount and raise the total. A half-price add-on is an offer the customer
accepts by putting the item in the cart.

Avoid:

    - id: mug-half-price
      when: cart.subtotal >= 50
      effect: { gift: { sku: MUG-01, unit_price: "24.00", percent_off: 50 } }

Prefer: a free gift (`percent_off: 100`, the default), or a discount on the
item when the customer adds it:

    - id: mug-half-price
      when: cart.subtotal >= 50
      target: item.sku == "MUG-01"
      effect: { percent_off: 50 }
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from ...effects import Gift
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR232"
NAME = "gift-not-free"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    quantum = Decimal(1).scaleb(-ruleset.model.minor_units)
    for index, promo in enumerate(ruleset.promotions):
        for where, effect in promo.effect_paths():  # (a gift in an effects list too)
            if not isinstance(effect, Gift) or effect.gift.percent_off >= 100:
                continue
            spec = effect.gift
            paid = (spec.unit_price * spec.quantity * (100 - spec.percent_off) / 100).quantize(
                quantum, ROUND_HALF_UP)
            yield finding(CODE, SEVERITY, f"the gift {spec.sku} is {spec.percent_off:f} % off: "
                          f"an order that gets it pays {paid:f} more for a line the customer "
                          "did not put in the cart",
                          ruleset.span("promotions", index, *where, "gift", "percent_off"),
                          "give it free (percent_off: 100), or discount the item when the "
                          "customer adds it (target: item.sku == ...)")
