"""Random rulesets with usage limits, checked out one cart after another against a
real SQLite store (docs/semantics.md#usage-store).

The rulesets and carts are those of tests/engine/test_properties.py, with
``limits`` (uses, per customer, per coupon, budget) drawn on their promotions and
the carts spread over three customers.  Each cart goes through ``start_checkout``
and is then confirmed, released or left held.  After every step:

* the store's counters are exactly what the held results add up to (a use per
  applied promotion, per customer and per coupon; its discount on the budget);
* no counter is above its limit, and no budget below zero;
* every priced result keeps the money rules (parts add up, exact amounts, caps);
* a promotion a limit stopped says so with a limit's reason;
* ``reconcile`` finds no drift.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from dsl import Ruleset, load_ruleset_text
from dsl.values import normalise_code
from engine import Result
from engine.cart import parse_cart
from engine.money import whole_minor
from engine.usage import (
    SQLiteStore,
    checkout_aborted,
    open_store,
    payment_captured,
    start_checkout,
)
from tests.engine.test_properties import (
    CURRENCIES,
    SETTINGS,
    Scenario,
    carts,
    check_caps,
    dump,
    minor_amounts,
    money_text,
    promotion_parts,
    rulesets,
    wrong_amounts,
)

pytestmark = pytest.mark.slow

CUSTOMERS = ["c1", "c2", "c3"]
#: the reasons a promotion gets when a limit, not its conditions, stopped it
LIMIT_REASONS = {"limit_reached", "budget_exhausted", "coupon_used"}
EXAMPLES = max(50, int(os.environ.get("PROMO_PROPERTY_EXAMPLES", "500")) // 4)


@st.composite
def limited_rulesets(draw: st.DrawFn) -> dict[str, Any]:
    """A ruleset of test_properties with small limits on most of its promotions."""
    data = draw(rulesets())
    units = CURRENCIES[data["currency"]]
    for promo in data["promotions"]:
        limits: dict[str, Any] = {}
        if draw(st.integers(0, 2)):
            limits["uses"] = draw(st.integers(1, 4))
        if draw(st.integers(0, 2)) == 0:
            limits["per_customer"] = draw(st.integers(1, 2))
        if ("coupon" in promo or "coupons" in promo) and draw(st.integers(0, 2)) == 0:
            limits["per_coupon"] = draw(st.integers(1, 2))
        if draw(st.integers(0, 1)):
            limits["budget"] = money_text(draw(minor_amounts(units, zero=False)), units, False)
        if limits:
            promo["limits"] = limits
    return data


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[dict[str, Any], str]]]:
    """A limited ruleset and 1-6 orders: a cart and what happens after its checkout."""
    data = draw(limited_rulesets())
    orders = []
    for number in range(draw(st.integers(1, 6))):
        cart = draw(carts(data))
        cart["id"] = f"cart-{number}"
        cart["customer"]["id"] = draw(st.sampled_from(CUSTOMERS))
        orders.append((cart, draw(st.sampled_from(["confirm", "confirm", "release", "hold"]))))
    return data, orders


@dataclass
class Ledger:
    """What the held (reserved or confirmed) results add to each counter."""

    ruleset: Ruleset
    units: int
    held: dict[str, tuple[str, Result]] = field(default_factory=dict)

    def counters(self) -> dict[tuple[str, str], int]:
        expected: dict[tuple[str, str], int] = {}

        def add(key: tuple[str, str], amount: int) -> None:
            expected[key] = expected.get(key, 0) + amount

        for customer, result in self.held.values():
            for applied in result.applied:
                add(("uses", applied.promotion), 1)
                add(("per_customer", f"{applied.promotion}\x1f{customer}"), 1)
                if applied.coupon is not None:
                    add(("per_coupon", f"{applied.promotion}\x1f"
                                       f"{normalise_code(applied.coupon)}"), 1)
                add(("budget", applied.promotion), whole_minor(applied.amount, self.units))
        return expected

    def check_limits(self, counters: dict[tuple[str, str], int]) -> None:
        for promotion in self.ruleset.promotions:
            limits = promotion.limits
            if limits is None:
                continue
            mine = {key: value for key, value in counters.items()
                    if key[1].split("\x1f")[0] == promotion.id}
            for (scope, _key), value in mine.items():
                if scope == "budget":
                    limit = None if limits.budget is None else whole_minor(limits.budget,
                                                                           self.units)
                else:
                    limit = getattr(limits, scope)
                assert limit is None or value <= limit, (promotion.id, scope, value, limit)


def check_result(data: dict[str, Any], cart: dict[str, Any], result: Result) -> None:
    """The money rules of test_properties hold on a result priced against the store."""
    units = CURRENCIES[data["currency"]]
    out = result.to_dict()
    assert wrong_amounts(out, units) == []
    parts = promotion_parts(result)
    for applied in result.applied:
        assert parts.get(applied.promotion, Decimal(0)) == applied.amount, applied
        assert applied.amount > 0, applied
    check_caps(Scenario(data, cart), result)


@settings(SETTINGS, max_examples=EXAMPLES)
@given(histories())
def test_limits_hold_and_counters_match_the_results(
        history: tuple[dict[str, Any], list[tuple[dict[str, Any], str]]]) -> None:
    data, orders = history
    ruleset = load_ruleset_text(dump(data))
    ledger = Ledger(ruleset, CURRENCIES[data["currency"]])
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(os.path.join(folder, "usage.db"))
        assert isinstance(store, SQLiteStore)
        try:
            for number, (cart_data, then) in enumerate(orders):
                cart = parse_cart(cart_data)
                order_ref = f"order-{number}"
                checkout = start_checkout(store, ruleset, cart, order_ref)
                result = checkout.result
                check_result(data, cart_data, result)
                for capped in result.capped:
                    event(f"cut by {capped.source}")
                for rejected in result.rejected:
                    if rejected.code in LIMIT_REASONS:
                        event(f"stopped: {rejected.code}")
                        limited = {p.id for p in ruleset.promotions if p.limits is not None}
                        assert rejected.promotion in limited, rejected
                ledger.held[order_ref] = (cart_data["customer"]["id"], result)
                if then == "confirm":
                    payment_captured(store, order_ref, ruleset)
                elif then == "release":
                    checkout_aborted(store, order_ref)
                    del ledger.held[order_ref]
                counters = {key: value for key, value in store.counters().items() if value}
                assert counters == {k: v for k, v in ledger.counters().items() if v}
                ledger.check_limits(counters)
                assert store.reconcile() == []
        finally:
            store.close()


def test_a_history_that_runs_out_of_budget_is_checked_to_the_cent() -> None:
    """One hand-computed history: 50.00 of budget, four 100.00 carts at 20 % off: the
    third gets the 10.00 left (cut by the budget), a fourth gets nothing."""
    data = {"ruleset": "budget", "dsl": 1, "currency": "USD", "timezone": "UTC",
            "stacking": {"coupons_per_order": 1, "coupon_with_automatic": True,
                         "base": "original"},
            "promotions": [{"id": "p1", "effect": {"percent_off": 20},
                            "limits": {"budget": "50.00"}}]}
    ruleset = load_ruleset_text(dump(data))
    given_off = []
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(os.path.join(folder, "usage.db"))
        try:
            for number in range(4):
                cart = {"id": f"cart-{number}", "currency": "USD", "at": "2026-06-15T12:00:00Z",
                        "customer": {"id": "c1"},
                        "lines": [{"id": "a", "sku": "A", "unit_price": "100.00",
                                   "quantity": 1}]}
                checkout = start_checkout(store, ruleset, parse_cart(cart), f"order-{number}")
                payment_captured(store, f"order-{number}", ruleset)
                given_off.append(str(checkout.result.total_discount))
            assert store.counter("budget", "p1") == 5000
            assert store.reconcile() == []
        finally:
            store.close()
    assert given_off == ["20.00", "20.00", "10.00", "0.00"]
