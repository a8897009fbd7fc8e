"""More promotions may be eligible for one cart than best deal searches exactly.

What it finds: `stacking.mode: best_deal` in a ruleset where more than 20
promotions (the number of candidates up to which best deal compares every
allowed set) may be eligible for the same cart: promotions whose window has
not ended, coupon promotions counted as if their codes were entered (reported
once, on `mode`).

Why it costs money: above 20 candidates the engine falls back to improving
the priority pass one promotion at a time (the result says
`best_deal.method: fallback`). The set it finds is allowed but may not be the
best: the customer was promised the best deal and checks out with less, and
the difference is refunded by customer care; two carts that differ by one
eligible promotion may be priced by different methods.

Avoid:

    stacking: { mode: best_deal, ... }
    promotions:            # 24 automatic promotions that can meet in one cart
      - id: brand-1
        ...

Prefer: fewer promotions that can meet in one cart (put alternatives in one
`group`, end old windows), or `mode: priority` with priorities that say
which wins.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ...model import BEST_DEAL_EXACT_UP_TO
from ..context import LintRuleset, finding

CODE = "PR221"
NAME = "best-deal-may-fall-back"
SEVERITY = Severity.WARNING
TIME_DEPENDENT = True


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    if ruleset.stacking.mode != "best_deal":
        return
    open_ = [promo for promo in ruleset.promotions
             if promo.active is None or promo.active.until is None
             or not ruleset.has_passed(ruleset.moment(promo.active.until))]
    if len(open_) <= BEST_DEAL_EXACT_UP_TO:
        return
    yield finding(CODE, SEVERITY, f"{len(open_)} promotions may be eligible for one cart, more "
                  f"than the {BEST_DEAL_EXACT_UP_TO} best_deal compares exactly: above that "
                  "it falls back to a set that may not be the best",
                  ruleset.span("stacking", "mode"),
                  "let fewer promotions meet in one cart (one group for alternatives), or "
                  "use mode: priority")
