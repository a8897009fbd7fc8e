"""A shipping `amount_off` without `max_amount` in a ruleset that prices shipments.

What it finds: a shipping effect giving `amount_off` with no `max_amount`,
in a ruleset where some promotion has a `shipment_target` (so its carts come
with `shipments`).

Why it costs money: on a cart with shipments a shipping effect applies to
each selected shipment on its own, so `amount_off: "5.00"` takes 5.00 off
every parcel: a marketplace order shipped by six sellers gets 30.00 off
shipping, where the offer was priced as "5.00 off shipping". (`free`,
`percent_off` and `fixed_price` do not grow this way: they give what each
parcel costs, or a share of it.)

Avoid:

    effect: { shipping: { amount_off: "5.00" } }

Prefer:

    effect: { shipping: { amount_off: "5.00" }, max_amount: "10.00" }

or a `shipment_target` that selects the one shipment meant.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...effects import Shipping
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR227"
NAME = "shipping-amount-per-shipment"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    if not any(promo.shipment_target is not None for promo in ruleset.promotions):
        return
    for index, promo in enumerate(ruleset.promotions):
        for where, effect in promo.effect_paths():  # (a shipping effect in a list too)
            if not isinstance(effect, Shipping) or effect.shipping.amount_off is None or \
                    effect.max_amount is not None:
                continue
            amount = format(effect.shipping.amount_off, "f")
            yield finding(CODE, SEVERITY, f"amount_off {amount} is taken off every shipment "
                          "it selects, with no max_amount: a cart shipped in n parcels gets "
                          f"n × {amount} off shipping",
                          ruleset.span("promotions", index, *where, "shipping", "amount_off"),
                          "cap the order's total with max_amount, or select one shipment with "
                          "shipment_target")
