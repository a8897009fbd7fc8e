"""A coupon promotion with no per-customer (or per-code) limit.

What it finds: a promotion with `coupon:` or `coupons:` whose `limits` set
neither `per_customer` nor `per_coupon` (a `coupon_batch` promotion: PR231).

Why it costs money: codes leak — onto deal sites, into browser extensions,
through friends. Without a per-customer limit one customer can use a
"first order" or "goodwill" code on every order, and a total `uses` limit
only tells you when the damage has reached its maximum. Single-use codes
(`per_coupon: 1`) are bounded by the codes handed out, so they pass.

Avoid:

    - id: welcome-10
      coupon: WELCOME10
      effect: { amount_off: "10.00" }

Prefer:

    - id: welcome-10
      coupon: WELCOME10
      effect: { amount_off: "10.00" }
      limits: { per_customer: 1 }
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR205"
NAME = "coupon-without-per-customer-limit"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        if not promo.codes:  # (a batch's codes are single-use: PR231 looks at those)
            continue
        limits = promo.limits
        if limits is not None and (limits.per_customer or limits.per_coupon):
            continue
        key = "coupon" if promo.coupon is not None else "coupons"
        yield finding(CODE, SEVERITY, f"coupon promotion '{promo.id}' has no per-customer "
                      "limit: one customer can use a leaked code on every order",
                      ruleset.key_span("promotions", index, key),
                      "add limits: { per_customer: N } (or per_coupon: 1 for single-use codes)")
