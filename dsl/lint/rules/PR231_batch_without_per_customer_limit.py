"""A coupon-batch promotion with no per-customer limit.

What it finds: a promotion with `coupon_batch:` whose `limits` do not set
`per_customer`.

Why it costs money: each code of a batch is single-use, but nothing stops
one customer from collecting many of them — several newsletter sign-ups, a
colleague's leaflet, codes traded on a forum — and using one on every order.
A "one per customer" campaign needs `per_customer` as well as single-use
codes.

Avoid:

    - id: spring-vip
      coupon_batch: SPRING-VIP
      effect: { percent_off: 20 }

Prefer:

    - id: spring-vip
      coupon_batch: SPRING-VIP
      effect: { percent_off: 20 }
      limits: { per_customer: 1 }
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR231"
NAME = "batch-without-per-customer-limit"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        if promo.coupon_batch is None:
            continue
        if promo.limits is not None and promo.limits.per_customer is not None:
            continue
        yield finding(CODE, SEVERITY, f"batch promotion '{promo.id}' has no per-customer "
                      "limit: one customer can use every code of the batch they collect",
                      ruleset.key_span("promotions", index, "coupon_batch"),
                      "add limits: { per_customer: N }")
