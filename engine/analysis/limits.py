"""The limit pass of a replay: the usage limits and budgets, in time order, as the store.

Orders come priced without limits (``stage.Outcome``).  An order is taken as
priced when every promotion its pass applied is still within its limits and
budget — then pricing it with the store would have given the same result (see
``docs/semantics.md``, "Replay"): the limits only ever refuse a promotion or
cap its amount, and here none is refused or capped.  Otherwise the order is
priced again, seeing the counters (``StoreView``, the store's own rules).  Either
way its uses are taken as the store's ``reserve`` takes them (``counters.py``):
1 on each counter, the amount on the budget; a payment captured confirms them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from dsl import Ruleset
from dsl.model import Promotion

from ..cart import Cart
from ..money import to_minor
from ..program import Program
from ..usage.counters import BUDGET, counter_key, limited
from ..usage.store import UsageStore
from ..usage.view import StoreView
from .stage import Outcome, Use, outcome


class Counters:
    """The counters the store would hold: (scope, key) → used (budget in minor units).

    Only the counters a limit bounds are kept; the others never refuse anything."""

    def __init__(self) -> None:
        self.used: dict[tuple[str, str], int] = {}

    def counter(self, scope: str, key: str) -> int:
        return self.used.get((scope, key), 0)

    def held_by(self, order_ref: str | None) -> dict[tuple[str, str], int]:
        return {}


@dataclass
class Exhaustion:
    """When a promotion's limits ran out: limit → the moment of the order that took
    the last use (or spent the budget); ``per_customer``, ``per_coupon``: the first
    customer or code to reach it."""

    ran_out: dict[str, dt.datetime] = field(default_factory=dict)


class LimitPass:
    """Takes priced orders in time order; hands back the uses the store would keep."""

    def __init__(self, ruleset: Ruleset, program: Program,
                 without: Callable[[frozenset[str]], Program]) -> None:
        """``without(spent)``: the program without the promotions in ``spent``."""
        self.ruleset = ruleset
        self.program = program
        self.without = without
        self.spent: frozenset[str] = frozenset()  # uses limit or budget run out
        self.counters = Counters()
        self.view = StoreView(cast(UsageStore, self.counters), ruleset)
        self.promotions = {p.id: p for p in ruleset.promotions if p.limits is not None}
        self.budgets = {p.id: int(to_minor(p.limits.budget, ruleset.minor_units))
                        for p in self.promotions.values()
                        if p.limits is not None and p.limits.budget is not None}
        self.exhaustion: dict[str, Exhaustion] = {p: Exhaustion() for p in self.promotions}
        self.repriced = 0

    def take(self, priced: Outcome, cart: Callable[[], Cart],
             spent: frozenset[str] = frozenset()) -> Outcome:
        """The order as the store would have priced and held it.  ``priced``: priced
        without limits and without the promotions in ``spent`` (spent before it);
        ``cart`` gives the order again when it must be priced once more."""
        final: Outcome | None = priced
        if priced.exact_only or not self._all_fit(priced):
            self.repriced += 1
            final = None
            if self.spent != spent:  # more have run out since: price without them too
                order = cart()
                again = self.without(self.spent).run_pass(order)
                final = outcome(self.program, self.promotions, priced.line, order, again)
                final = final if self._all_fit(final) and not final.exact_only else None
            if final is None:  # with the counters, as the store prices a checkout
                order = cart()
                final = outcome(self.program, self.promotions, priced.line, order,
                                self.program.run_pass(order, usage=self.view))
        assert final is not None
        for use in self._limited(final):
            self._hold(final, use)
        return final

    def _limited(self, priced: Outcome) -> list[Use]:
        """The uses of promotions with limits (the others never refuse and count
        nothing: most uses of most histories)."""
        promotions = self.promotions
        return [use for use in priced.uses if use.promotion in promotions]

    def _all_fit(self, priced: Outcome) -> bool:
        return all(self._fits(priced, use) for use in self._limited(priced))

    def _fits(self, priced: Outcome, use: Use) -> bool:
        promotion = self.promotions[use.promotion]
        for scope, key, limit in limited(promotion, priced.customer, use.coupon):
            if limit is not None and self.counters.counter(scope, key) + 1 > limit:
                return False
        budget = self.budgets.get(use.promotion)
        return budget is None or \
            self.counters.counter(BUDGET, counter_key(use.promotion)) + use.before_cap <= budget

    def _hold(self, final: Outcome, use: Use) -> None:
        """Take the use (of a promotion with limits) from its counters, as the store's
        reserve does (all within limits)."""
        promotion = self.promotions[use.promotion]
        used = self.counters.used
        for scope, key, limit in limited(promotion, final.customer, use.coupon):
            if limit is None:
                continue
            now = used.get((scope, key), 0) + 1
            if now > limit:  # the view saw these counters: the store would refuse nothing
                raise AssertionError(f"{use.promotion}: {scope} limit exceeded")
            used[(scope, key)] = now
            if now == limit:
                self._ran_out(promotion, scope, final.instant)
        budget = self.budgets.get(use.promotion)
        if budget is not None:
            budget_key = (BUDGET, counter_key(use.promotion))
            spent = used[budget_key] = used.get(budget_key, 0) + use.amount
            if spent > budget:
                raise AssertionError(f"{use.promotion}: budget exceeded")
            if spent == budget:
                self._ran_out(promotion, BUDGET, final.instant)

    def _ran_out(self, promotion: Promotion, scope: str, at: dt.datetime) -> None:
        self.exhaustion[promotion.id].ran_out.setdefault(scope, at)
        if scope in ("uses", BUDGET):  # refused for every order from now on
            self.spent = self.spent | {promotion.id}
