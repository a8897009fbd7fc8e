"""The store as a dry run sees it: read only, refusing promotions whose limits are used up."""

from __future__ import annotations

from decimal import Decimal

from dsl import Ruleset
from dsl.model import Promotion
from dsl.values import normalise_code

from ..money import from_minor
from ..reasons import BUDGET_EXHAUSTED, COUPON_UNKNOWN, COUPON_USED, LIMIT_REACHED
from .counters import BUDGET, counter_key, limited
from .store import UsageStore

GUEST_CART = "needs a customer id: a per-customer limit cannot be counted for a guest cart"
"""Why a promotion with a per-customer limit does not apply to a guest cart."""


class StoreView:
    """The store seen read-only by a dry run: refuses promotions whose limits are used up."""

    def __init__(self, store: UsageStore, ruleset: Ruleset, order_ref: str | None = None,
                 ) -> None:
        """``order_ref``: an order being priced again; its own held uses do not count."""
        self.store = store
        self.units = ruleset.minor_units
        self.own = store.held_by(order_ref) if order_ref else {}
        self.order_ref = order_ref

    def _used(self, scope: str, key: str) -> int:
        return self.store.counter(scope, key) - self.own.get((scope, key), 0)

    def refusal(self, promotion: Promotion, customer: str,
                code: str | None) -> tuple[str, str] | None:
        coupon = normalise_code(code) if code else None
        if promotion.coupon_batch is not None and coupon is not None:
            refused = self._batch_refusal(promotion.coupon_batch, coupon)
            if refused is not None:
                return refused
        if promotion.limits and promotion.limits.per_customer is not None and not customer:
            return LIMIT_REACHED, GUEST_CART
        for scope, key, limit in limited(promotion, customer, coupon):
            if limit is not None and self._used(scope, key) >= limit:
                return LIMIT_REACHED, f"{scope.replace('_', ' ')} limit of {limit} reached"
        left = self.budget_left(promotion)
        if left is not None and left <= 0:
            return BUDGET_EXHAUSTED, f"budget of {promotion.limits.budget} spent"  # type: ignore[union-attr]
        return None

    def _batch_refusal(self, batch: str, coupon: str) -> tuple[str, str] | None:
        """A batch code the store never generated for ``batch``, or one another order holds
        or used (the order it is priced again for may hold it).  Says nothing of any other
        code."""
        found = self.store.batch_code(coupon)
        if found is None or found.batch != batch:
            return COUPON_UNKNOWN, f"not a code of the batch {batch}"
        if found.state != "unused" and not (found.state == "reserved"
                                            and found.order_ref == self.order_ref):
            what = "already used" if found.state == "used" else "held by another checkout"
            return COUPON_USED, f"a single-use code of the batch {batch}, {what}"
        return None

    def budget_left(self, promotion: Promotion) -> Decimal | None:
        if promotion.limits is None or promotion.limits.budget is None:
            return None
        spent = from_minor(self._used(BUDGET, counter_key(promotion.id)), self.units)
        return promotion.limits.budget - spent
