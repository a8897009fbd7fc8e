"""Coupon promotions in a ruleset that accepts no coupons (`coupons_per_order: 0`).

What it finds: `stacking.coupons_per_order: 0` in a ruleset where some
promotion has `coupon:` or `coupons:` (reported once, on
`coupons_per_order`, naming the coupon promotions).

Why it costs money: every entered code is rejected (`coupon_limit`), so
codes that were printed, mailed or given by customer care as compensation
do nothing. The customer was promised money and the shop pays it out by
hand, or loses the customer.

Avoid:

    stacking: { coupons_per_order: 0, ... }
    promotions:
      - id: sorry-5
        coupon: SORRY5

Prefer: `coupons_per_order: 1` (or more), or remove the coupon promotion.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR217"
NAME = "coupons-disabled"
SEVERITY = Severity.ERROR


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    if ruleset.stacking.coupons_per_order != 0:
        return
    ids = [promo.id for promo in ruleset.promotions if promo.is_coupon]
    if not ids:
        return
    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    noun = "promotion" if len(ids) == 1 else "promotions"
    yield finding(CODE, SEVERITY, f"coupons_per_order is 0, so the coupon {noun} {shown} "
                  "can never apply", ruleset.span("stacking", "coupons_per_order"),
                  "allow coupons (coupons_per_order: 1) or remove the coupons")
