"""A gift with no `when` and no limit: a free item on every order.

What it finds: a promotion whose effect is a `gift` (added as its own line),
or whose `effects` list holds one, with no `when` and neither `limits.uses`
nor `limits.budget`.

Why it costs money: every order, however small, gets the gift, and nothing
stops it: a 12.00 tote given with a 3.00 pair of socks, as many times as
there are orders.  A gift is meant for a minimum spend or a campaign of a
known size.

Avoid:

    - id: free-tote
      effect: { gift: { sku: TOTE-01, unit_price: "12.00" } }

Prefer:

    - id: free-tote
      when: cart.subtotal >= 75
      effect: { gift: { sku: TOTE-01, unit_price: "12.00" } }
      limits: { uses: 500 }
"""

from __future__ import annotations

from collections.abc import Iterator

from ...effects import Gift
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR224"
NAME = "gift-on-every-order"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        if promo.when is not None:
            continue
        limits = promo.limits
        if limits is not None and (limits.uses is not None or limits.budget is not None):
            continue
        for where, effect in promo.effect_paths():  # (a gift in an effects list too)
            if not isinstance(effect, Gift):
                continue
            spec = effect.gift
            yield finding(CODE, SEVERITY, f"the gift {spec.sku} ({spec.unit_price:f} × "
                          f"{spec.quantity}) comes with every order: no `when` and no limit",
                          ruleset.span("promotions", index, *where, "gift"),
                          "add a minimum spend (when: cart.subtotal >= ...) or limits.uses / "
                          "limits.budget")
