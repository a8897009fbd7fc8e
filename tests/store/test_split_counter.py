"""The split (escrow) counter: a hot promotion's counters in slots, exact at the limit.

Each slot holds a share of the limit and takes uses against it; when a slot's
share is spent, the counter is cut again under its lock.  These tests take one
process through every path: the limit reached exactly, budgets of uneven
amounts, limits changed under the shares, counters split and joined, uses given
back, and reconcile summing the slots.  (Many processes at once:
``test_store_concurrency.py``.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from storekit import NOW, make_ruleset, price, sql

from dsl import Ruleset
from engine.usage import LimitReached, UsageStore, open_store
from engine.usage.tally import SPLIT_FROM, SplitPolicy

HOT = SplitPolicy(slots=4, promotions=frozenset({"flash"}))


def flash(uses: int = 30, budget: str = "1000.00", amount: str = "5.00") -> Ruleset:
    return make_ruleset(f"""\
        - id: flash
          coupon: FLASH
          effect: {{ amount_off: "{amount}" }}
          limits: {{ uses: {uses}, per_coupon: {uses}, budget: "{budget}" }}
        """)


@pytest.fixture
def hot(location: str) -> Iterator[UsageStore]:
    with open_store(location, split=HOT) as opened:
        yield opened


def reserve_all(store: UsageStore, rules: Ruleset, count: int, start: int = 0,
                ) -> tuple[list[str], list[str]]:
    """Try ``count`` new orders; the refs reserved, and the limits that refused the rest."""
    template = price(rules, customer="x", coupons=["FLASH"])
    done, refused = [], []
    for n in range(start, start + count):
        try:
            store.reserve(f"o{n}", rules, dataclasses.replace(template, customer=f"c{n}"),
                          now=NOW)
            done.append(f"o{n}")
        except LimitReached as err:
            refused.append(err.limit)
    return done, refused


def slots(store: UsageStore, scope: str, key: str) -> list[tuple[Any, ...]]:
    return sql(store, "SELECT slot, slots, used, share, lim FROM counters WHERE scope = ? "
                      "AND key = ? ORDER BY slot", scope, key)


def assert_shares_hold(store: UsageStore) -> None:
    """No slot above its share; a split counter's shares add up to the limit they were
    cut from (or, once used is above a lowered limit, to what is used)."""
    for scope, key in {(r[0], r[1]) for r in sql(store, "SELECT scope, key FROM counters")}:
        rows = slots(store, scope, key)
        if rows[0][3] is None:
            continue
        assert all(used <= share for _, _, used, share, _ in rows), rows
        limit = rows[0][4]
        assert sum(r[3] for r in rows) == max(limit, sum(r[2] for r in rows)), rows


def test_a_split_counter_takes_exactly_its_limit(hot: UsageStore) -> None:
    rules = flash(uses=30)
    done, refused = reserve_all(hot, rules, 40)
    assert len(done) == 30 and refused == ["uses"] * 10
    assert hot.counter("uses", "flash") == 30
    rows = slots(hot, "uses", "flash")
    assert [r[0] for r in rows] == [0, 1, 2, 3] and {r[1] for r in rows} == {4}
    assert sum(r[2] for r in rows) == 30 and sum(r[3] for r in rows) == 30
    assert_shares_hold(hot)
    assert hot.reconcile() == []


def test_uses_given_back_are_taken_again_to_the_limit(hot: UsageStore) -> None:
    rules = flash(uses=12)
    done, _ = reserve_all(hot, rules, 12)
    for ref in done[:5]:
        hot.release(ref, now=NOW)
    hot.expire(NOW.replace(year=2027))  # the other seven
    assert hot.counter("uses", "flash") == 0
    again, refused = reserve_all(hot, rules, 14, start=100)
    assert len(again) == 12 and refused == ["uses", "uses"]
    assert_shares_hold(hot)
    assert hot.reconcile() == []


def test_a_split_budget_of_uneven_amounts_is_never_passed(hot: UsageStore) -> None:
    """Budget shares are in minor units: a take needs its whole amount in one slot, or a
    cut; it is refused only when the budget as a whole cannot take it."""
    taken = 0
    for n, amount in enumerate(["7.00", "3.50", "9.99", "1.01", "5.00"] * 6):
        rules = flash(uses=1000, budget="100.00", amount=amount)
        try:
            hot.reserve(f"o{n}", rules, price(rules, customer=f"c{n}", coupons=["FLASH"]),
                        now=NOW)
            taken += int(amount.replace(".", ""))
        except LimitReached as err:
            assert err.limit == "budget"
            assert taken + int(amount.replace(".", "")) > 10000  # it did not fit
    assert hot.counter("budget", "flash") == taken <= 10000
    assert_shares_hold(hot)
    assert hot.reconcile() == []


def test_a_changed_limit_cuts_the_shares_again(hot: UsageStore) -> None:
    done, _ = reserve_all(hot, flash(uses=20), 10)
    assert len(done) == 10
    raised, _ = reserve_all(hot, flash(uses=25), 20, start=100)
    assert len(raised) == 15 and hot.counter("uses", "flash") == 25
    assert {r[4] for r in slots(hot, "uses", "flash")} == {25}
    lowered, refused = reserve_all(hot, flash(uses=20), 3, start=200)
    assert lowered == [] and refused == ["uses"] * 3  # 25 held, the limit is 20 now
    assert_shares_hold(hot)
    assert hot.reconcile() == []


def test_counters_are_split_and_joined_as_the_policy_says(location: str) -> None:
    rules = flash(uses=50)
    with open_store(location, split=HOT) as store:
        reserve_all(store, rules, 5)
        assert len(slots(store, "uses", "flash")) == 4
    with open_store(location, split=SplitPolicy(from_limit=None)) as store:
        reserve_all(store, rules, 5, start=10)  # joined into one row on the next take
        assert slots(store, "uses", "flash") == [(0, 1, 10, None, None)]
        assert store.counter("per_coupon", "flash\x1fflash") == 10
    with open_store(location, split=HOT) as store:
        reserve_all(store, rules, 45, start=20)  # split again; 40 more fit
        assert store.counter("uses", "flash") == 50
        assert_shares_hold(store)
        assert store.reconcile() == []


def test_a_large_limit_is_split_by_itself(location: str) -> None:
    rules = flash(uses=SPLIT_FROM)
    with open_store(location, split=SplitPolicy()) as store:
        reserve_all(store, rules, 3)
        assert len(slots(store, "uses", "flash")) == SplitPolicy().slots
        assert len(slots(store, "per_customer", "flash\x1fc0")) == 1  # never split
    small = flash(uses=SPLIT_FROM - 1)
    with open_store(location, split=SplitPolicy()) as store:
        reserve_all(store, small, 1, start=10)
        assert len(slots(store, "uses", "flash")) == 1


def test_reconcile_sums_the_slots_and_repairs_into_one_row(hot: UsageStore) -> None:
    rules = flash(uses=30)
    reserve_all(hot, rules, 8)
    sql(hot, "UPDATE counters SET used = used + 3 WHERE scope = 'uses' AND key = 'flash' "
             "AND slot = 2")
    [drift] = hot.reconcile()
    assert (drift.scope, drift.key, drift.actual, drift.expected) == ("uses", "flash", 11, 8)
    hot.reconcile(fix=True)
    assert slots(hot, "uses", "flash") == [(0, 1, 8, None, None)]
    done, _ = reserve_all(hot, rules, 30, start=100)
    assert len(done) == 22 and hot.counter("uses", "flash") == 30
    assert_shares_hold(hot)
