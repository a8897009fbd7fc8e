"""No order-level cap: `stacking` without `max_discount` (or a cap of 100%).

What it finds: a ruleset whose `stacking` block has no `max_discount`, or one
whose only bound is `percent_of_subtotal: 100`, which bounds nothing.

Why it costs money: every promotion may be right on its own and still add up
to a basket given away: a seasonal 30 %, a member 15 %, a voucher and free
shipping, all on the same order. `max_discount` is the one line that bounds
what an order can lose, whatever combination a customer finds.

Avoid:

    stacking:
      coupons_per_order: 2
      coupon_with_automatic: true
      base: discounted

Prefer:

    stacking:
      coupons_per_order: 2
      coupon_with_automatic: true
      base: discounted
      max_discount: { percent_of_subtotal: 50, amount: "150.00" }
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR206"
NAME = "no-max-discount"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    cap = ruleset.stacking.max_discount
    hint = "add stacking.max_discount: { percent_of_subtotal: P, amount: A }"
    if cap is None:
        yield finding(CODE, SEVERITY, "stacking has no max_discount: nothing bounds what "
                      "one order can be discounted when promotions combine",
                      ruleset.key_span("stacking"), hint)
    elif cap.amount is None and cap.percent_of_subtotal == Decimal(100):
        yield finding(CODE, SEVERITY, "max_discount of 100% of the subtotal bounds nothing",
                      ruleset.span("stacking", "max_discount", "percent_of_subtotal"), hint)
