"""A coupon-batch promotion with `limits.per_coupon`.

What it finds: a promotion with `coupon_batch:` whose `limits` set
`per_coupon`.

Why it costs money: every code of a batch is single-use — the usage store
holds it for one checkout and marks it used when the payment is captured —
so `per_coupon` changes nothing, and whoever wrote `per_coupon: 5` expected
each code to be good five times: the printed vouchers, the budget and the
campaign's forecast were planned for five times the uses the store allows
(or, copied from a promotion with one shared code, the limit the author
really meant — `per_customer` or `uses` — is missing).

Avoid:

    - id: spring-vip
      coupon_batch: SPRING-VIP
      effect: { percent_off: 20 }
      limits: { per_coupon: 1, per_customer: 1 }

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

CODE = "PR230"
NAME = "batch-per-coupon-limit"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        if promo.coupon_batch is None or promo.limits is None or \
                promo.limits.per_coupon is None:
            continue
        yield finding(CODE, SEVERITY, f"batch promotion '{promo.id}' sets limits.per_coupon: "
                      "each code of a batch is used once, whatever the limit says",
                      ruleset.key_span("promotions", index, "limits", "per_coupon"),
                      "remove per_coupon; limit the promotion with per_customer or uses")
