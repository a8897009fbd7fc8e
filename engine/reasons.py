"""Reason codes for promotions and coupons that did not apply (stable, documented)."""

from __future__ import annotations

COUPON_NOT_ENTERED = "coupon_not_entered"
COUPON_UNKNOWN = "coupon_unknown"
COUPON_REDUNDANT = "coupon_redundant"
NOT_ACTIVE_YET = "not_active_yet"
EXPIRED = "expired"
COUPON_NOT_ACTIVE_YET = "coupon_not_active_yet"
COUPON_EXPIRED = "coupon_expired"
OUTSIDE_SCHEDULE = "outside_schedule"
CONDITIONS_NOT_MET = "conditions_not_met"
COUPON_INELIGIBLE = "coupon_ineligible"
NOTHING_TO_DISCOUNT = "nothing_to_discount"
BLOCKED_BY_EXCLUSIVE = "blocked_by_exclusive"
NOT_COMBINABLE = "not_combinable"
GROUP_TAKEN = "group_taken"
COUPON_LIMIT = "coupon_limit"
NOT_COMBINABLE_WITH_COUPON = "not_combinable_with_coupon"
CAP_REACHED = "cap_reached"
LIMIT_REACHED = "limit_reached"
BUDGET_EXHAUSTED = "budget_exhausted"
COUPON_UNVERIFIED = "coupon_unverified"
COUPON_USED = "coupon_used"
NOT_BEST_DEAL = "not_best_deal"

REASONS: dict[str, str] = {
    COUPON_NOT_ENTERED: "a coupon promotion whose code was not entered",
    COUPON_UNKNOWN: "an entered code that no promotion has",
    COUPON_REDUNDANT: "a second code of a promotion that already has one entered",
    NOT_ACTIVE_YET: "the promotion's window has not started",
    EXPIRED: "the promotion's window has ended",
    COUPON_NOT_ACTIVE_YET: "the coupon's window has not started",
    COUPON_EXPIRED: "the coupon's window has ended",
    OUTSIDE_SCHEDULE: "inside its window, but not on one of its days and hours (the reason "
                      "names the next opening)",
    CONDITIONS_NOT_MET: "`when` was false (or no tier was reached)",
    COUPON_INELIGIBLE: "the coupon's `when` was false (or no tier was reached)",
    NOTHING_TO_DISCOUNT: "eligible, but its discount came to zero",
    BLOCKED_BY_EXCLUSIVE: "an exclusive promotion applied before it",
    NOT_COMBINABLE: "exclusive, but another promotion applied before it",
    GROUP_TAKEN: "another promotion of its group applied before it",
    COUPON_LIMIT: "stacking.coupons_per_order coupons applied before it",
    NOT_COMBINABLE_WITH_COUPON: "automatic, and a coupon applied "
                                "(stacking.coupon_with_automatic: false)",
    CAP_REACHED: "cut to zero by the ruleset's max_discount",
    LIMIT_REACHED: "a usage limit is reached (uses, per customer or per coupon)",
    BUDGET_EXHAUSTED: "the promotion's discount budget is spent",
    COUPON_UNVERIFIED: "a code of a coupon batch, priced without a usage store: batch "
                       "codes are checked against the store",
    COUPON_USED: "a single-use code of a coupon batch already used, or held by another "
                 "checkout",
    NOT_BEST_DEAL: "stacking.mode: best_deal, and a set without it gives the larger "
                   "discount (or wins the tie in priority order)",
}
