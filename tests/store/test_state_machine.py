"""The real store driven by hypothesis against a small in-memory model.

Rules: reserve (a priced result, or the checkout saga pricing against the
store), confirm (with or without re-taking an expired hold), release, advance
the clock, expire, and reopen the connection.  After every step the counters
equal the model and the reservation rows (``expected_counters``), no counter
is above its limit, and every reservation is in the state the model says;
each call fails exactly when, and how, the model says it must.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from storekit import NOW, assert_events_valid, make_cart, make_ruleset, nonzero, sql

from dsl.values import normalise_code
from engine import Result, compile_ruleset, evaluate
from engine.money import to_minor
from engine.usage import (
    CustomerRequired,
    IllegalTransition,
    LimitReached,
    ReservationConflict,
    SQLiteStore,
    StoreView,
    UnknownReservation,
    open_store,
    start_checkout,
)

pytestmark = pytest.mark.slow

RULES_YAML = """\
    - id: big
      coupon: BIG
      effect: { percent_off: 20 }
      limits: { uses: 2, budget: "32.00" }
    - id: once
      coupon: ONCE
      effect: { amount_off: "5.00" }
      limits: { per_customer: 1 }
    - id: pair
      coupons: [PAIR, PAIR2]
      effect: { amount_off: "5.00" }
      limits: { uses: 2, per_coupon: 1 }
    - id: volume
      when: cart.subtotal >= 60
      effect: { percent_off: 10 }
      limits: { uses: 3, budget: "30.00" }
    """
RULES = make_ruleset(RULES_YAML)
# Carts of 50.00, 80.00 or 120.00 with at most one code.  volume (automatic,
# from 60.00) takes 8.00 or 12.00, big 10.00, 16.00 or 24.00.  Every limit
# refuses within a few reservations: volume's uses (a fourth 8.00) and budget
# (a third 12.00); big's budget (10.00 + 24.00) and uses (a third); once per
# customer (alice twice; a guest cannot use it); pair per coupon (PAIR twice)
# and uses (PAIR, then PAIR2, then either).  The store checks the promotions in
# id order, so volume, which most carts get, is checked last.

# What the reserve rule hands the store: priced without it, and without the
# per-customer limit (a guest cart does not get `once` when priced with it).
PRICING = make_ruleset(RULES_YAML.replace("limits: { per_customer: 1 }", "limits: { uses: 99 }"))
PROGRAM = compile_ruleset(RULES)
UNITS = RULES.minor_units
LIMITS: dict[str, dict[str, int]] = {
    p.id: {name: (int(to_minor(value, UNITS)) if name == "budget" else int(value))
           for name, value in p.limits.model_dump().items() if value is not None}
    for p in RULES.promotions if p.limits is not None
}
CUSTOMERS = ["alice", "bob", "carol", ""]
COUPONS: list[list[str]] = [[], ["BIG"], ["once"], ["PAIR"], [" pair2 "]]
PRICES = ["50.00", "80.00", "120.00"]

carts = st.fixed_dictionaries({"customer": st.sampled_from(CUSTOMERS),
                               "coupons": st.sampled_from(COUPONS),
                               "price": st.sampled_from(PRICES)})
ttls = st.integers(min_value=1, max_value=600).map(lambda s: dt.timedelta(seconds=s))

UseKey = tuple[str, str | None, int]  # promotion, normalised code, amount in minor units


@functools.cache
def priced(customer: str, coupons: tuple[str, ...], price: str) -> Result:
    """The cart priced without the store (so limits are left to ``reserve``)."""
    return evaluate(PRICING, make_cart(customer=customer, coupons=list(coupons), price=price))


def uses_of(result: Result) -> tuple[UseKey, ...]:
    return tuple(sorted((a.promotion, normalise_code(a.coupon) if a.coupon else None,
                         int(to_minor(a.amount, UNITS))) for a in result.applied))


def counter_keys(promotion: str, customer: str, coupon: str | None) -> list[tuple[str, str]]:
    keys = [("uses", promotion), ("per_customer", f"{promotion}\x1f{customer}")]
    if coupon is not None:
        keys.append(("per_coupon", f"{promotion}\x1f{coupon}"))
    return keys


def event_count(verb: str, uses: tuple[UseKey, ...]) -> int:
    per_coupon = {"reserved": 2, "consumed": 1, "released": 1}[verb]
    return sum(1 + (per_coupon if coupon else 0) for _, coupon, _ in uses)


@dataclass
class Order:
    customer: str
    price: str  # with the customer and the uses, the content the store fingerprints
    uses: tuple[UseKey, ...]
    state: str
    expires: dt.datetime


class Model:
    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], int] = {}
        self.orders: dict[str, Order] = {}
        self.events = 0

    def refusal(self, customer: str, uses: tuple[UseKey, ...]) -> tuple[type, str, str] | None:
        """What ``reserve`` must raise, checking uses in promotion order as the store does."""
        for promotion, coupon, amount in uses:
            limits = LIMITS.get(promotion, {})
            if "per_customer" in limits and not customer:
                return CustomerRequired, promotion, ""
            for scope, key in counter_keys(promotion, customer, coupon):
                if scope in limits and self.counters.get((scope, key), 0) + 1 > limits[scope]:
                    return LimitReached, promotion, scope
            if "budget" in limits and \
                    self.counters.get(("budget", promotion), 0) + amount > limits["budget"]:
                return LimitReached, promotion, "budget"
        return None

    def move(self, customer: str, uses: tuple[UseKey, ...], sign: int) -> None:
        for promotion, coupon, amount in uses:
            for key in [*counter_keys(promotion, customer, coupon), ("budget", promotion)]:
                step = amount if key[0] == "budget" else 1
                self.counters[key] = self.counters.get(key, 0) + sign * step
                assert self.counters[key] >= 0

    def nonzero(self) -> dict[tuple[str, str], int]:
        return nonzero(self.counters)


class StoreMachine(RuleBasedStateMachine):
    base: Path  # set by the test: a fresh tmp_path
    new_schema: Any  # set by the test for PostgreSQL: a new store's URL; None for SQLite
    serial = itertools.count()
    seen: set[tuple[str, ...]]  # outcomes met over the whole run, set by the test

    orders = Bundle("orders")  # order references reserved (or tried), to use again

    def __init__(self) -> None:
        super().__init__()
        self.other: sqlite3.Connection | None = None
        if self.new_schema is not None:
            self.location = self.new_schema()
            self.store = open_store(self.location)
        else:
            template = self.base / "empty.sqlite"
            if not template.exists():  # creating a store costs more than copying an empty one
                SQLiteStore(template).close()
            path = self.base / f"usage-{next(self.serial)}.sqlite"
            shutil.copyfile(template, path)
            self.location = str(path)
            self.store = SQLiteStore(path)
            # Another process's connection, as in production; it also spares every reopen
            # the checkpoint (and fsync) the last connection to close does.
            self.other = sqlite3.connect(path)
            self.other.execute("SELECT COUNT(*) FROM reservations").fetchone()  # opens the WAL
        self.model = Model()
        self.now = NOW
        self.refs = (f"o{n}" for n in itertools.count())

    def teardown(self) -> None:
        assert_events_valid(self.store.events())
        self.store.close()
        if self.other is not None:
            self.other.close()

    # ------------------------------------------------------------ helpers

    def expect_reserve(self, ref: str, customer: str, price: str, uses: tuple[UseKey, ...],
                       ttl: dt.timedelta, saga: bool = False) -> tuple[type, str, str] | None:
        """Apply a reserve to the model; return the error it must raise, if any."""
        existing = self.model.orders.get(ref)
        if existing is not None:
            dead = existing.state in ("released", "expired")  # it holds nothing
            if (existing.customer, existing.price, existing.uses) != (customer, price, uses):
                return (IllegalTransition if dead else ReservationConflict), "", ""
            if saga and dead:  # a checkout needs an order ref that holds its uses
                return IllegalTransition, "", ""
            return None
        refusal = self.model.refusal(customer, uses)
        if refusal is not None:
            return refusal
        self.model.move(customer, uses, +1)
        self.model.orders[ref] = Order(customer, price, uses, "reserved", self.now + ttl)
        self.model.events += event_count("reserved", uses)
        return None

    def check_error(self, expected: tuple[type, str, str], call: Any) -> None:
        kind, promotion, limit = expected
        with pytest.raises(kind) as caught:
            call()
        if kind is LimitReached:
            assert (caught.value.promotion, caught.value.limit) == (promotion, limit)
        self.seen.add((kind.__name__, promotion, limit))

    # -------------------------------------------------------------- rules

    @rule(target=orders, cart=carts, ttl=ttls)
    def reserve_new(self, cart: dict[str, Any], ttl: dt.timedelta) -> str:
        ref = next(self.refs)
        self.reserve(ref, cart, ttl)
        return ref

    @rule(ref=orders, cart=carts, ttl=ttls)
    def reserve_again(self, ref: str, cart: dict[str, Any], ttl: dt.timedelta) -> None:
        self.reserve(ref, cart, ttl)

    @rule(target=orders, cart=carts, ttl=ttls)
    def checkout_new(self, cart: dict[str, Any], ttl: dt.timedelta) -> str:
        ref = next(self.refs)
        self.checkout(ref, cart, ttl)
        return ref

    @rule(ref=orders, cart=carts, ttl=ttls)
    def checkout_again(self, ref: str, cart: dict[str, Any], ttl: dt.timedelta) -> None:
        self.checkout(ref, cart, ttl)

    def reserve(self, ref: str, cart: dict[str, Any], ttl: dt.timedelta) -> None:
        result = priced(cart["customer"], tuple(cart["coupons"]), cart["price"])
        expected = self.expect_reserve(ref, cart["customer"], cart["price"], uses_of(result),
                                       ttl)
        call = lambda: self.store.reserve(ref, RULES, result, ttl, now=self.now)  # noqa: E731
        if expected is not None:
            self.check_error(expected, call)
        else:
            reservation = call()
            order = self.model.orders[ref]
            assert (reservation.state, reservation.expires_at) == (order.state, order.expires)

    def checkout(self, ref: str, cart: dict[str, Any], ttl: dt.timedelta) -> None:
        """The saga prices against the store first: limits become rejections, not errors."""
        snapshot = make_cart(**cart)
        result = PROGRAM.evaluate(snapshot, self.now, usage=StoreView(self.store, RULES, ref))
        expected = self.expect_reserve(ref, cart["customer"], cart["price"], uses_of(result),
                                       ttl, saga=True)
        call = lambda: start_checkout(self.store, RULES, snapshot, ref, ttl,  # noqa: E731
                                      at=self.now)
        if expected is not None:
            # only an order reference reused (other content, or aborted) can fail here
            assert expected[0] in (ReservationConflict, IllegalTransition)
            self.check_error(expected, call)
        else:
            checkout = call()
            assert checkout.result == result
            assert checkout.reservation.state == self.model.orders[ref].state

    @rule(ref=st.one_of(orders, st.just("unknown")), retake=st.booleans())
    def confirm(self, ref: str, retake: bool) -> None:
        call = lambda: self.store.confirm(ref, RULES, now=self.now,  # noqa: E731
                                          retake_expired=retake)
        order = self.model.orders.get(ref)
        if order is None:
            return self.check_error((UnknownReservation, "", ""), call)
        if order.state == "reserved":
            order.state = "confirmed"
            self.model.events += event_count("consumed", order.uses)
        elif order.state == "expired" and retake:
            refusal = self.model.refusal(order.customer, order.uses)
            if refusal is not None:
                return self.check_error(refusal, call)
            self.model.move(order.customer, order.uses, +1)
            order.state = "confirmed"
            self.model.events += event_count("reserved", order.uses) + \
                event_count("consumed", order.uses)
            self.seen.add(("retaken",))
        elif order.state in ("expired", "released"):
            return self.check_error((IllegalTransition, "", ""), call)
        assert call().state == order.state == "confirmed"

    @rule(ref=st.one_of(orders, st.just("unknown")))
    def release(self, ref: str) -> None:
        call = lambda: self.store.release(ref, now=self.now)  # noqa: E731
        order = self.model.orders.get(ref)
        if order is None:
            return self.check_error((UnknownReservation, "", ""), call)
        if order.state == "confirmed":
            return self.check_error((IllegalTransition, "", ""), call)
        if order.state == "reserved":
            self.model.move(order.customer, order.uses, -1)
            order.state = "released"
            self.model.events += event_count("released", order.uses)
        assert call().state == order.state

    @rule(seconds=st.integers(min_value=1, max_value=900))
    def advance(self, seconds: int) -> None:
        self.now += dt.timedelta(seconds=seconds)

    @rule(seconds=st.sampled_from([0, 0, 300, 900]))
    def expire(self, seconds: int) -> None:
        """The background job, run now or after a while."""
        self.now += dt.timedelta(seconds=seconds)
        due = sorted((o.expires, ref) for ref, o in self.model.orders.items()
                     if o.state == "reserved" and o.expires <= self.now)
        for _, ref in due:
            order = self.model.orders[ref]
            self.model.move(order.customer, order.uses, -1)
            order.state = "expired"
            self.model.events += event_count("released", order.uses)
        assert self.store.expire(self.now) == [ref for _, ref in due]
        if due:
            self.seen.add(("expired",))
        assert self.store.expire(self.now) == []

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = open_store(self.location)

    # --------------------------------------------------------- invariants

    @invariant()
    def counters_match_the_model_and_the_rows(self) -> None:
        counters = nonzero(self.store.counters())
        assert counters == self.model.nonzero()
        assert nonzero(self.store.expected_counters()) == counters

    @invariant()
    def no_counter_above_its_limit(self) -> None:
        for (scope, key), used in self.store.counters().items():
            promotion = key.split("\x1f")[0]
            limit = LIMITS.get(promotion, {}).get(scope)
            assert limit is None or 0 <= used <= limit, (scope, key, used, limit)

    @invariant()
    def states_and_events_match_the_model(self) -> None:
        states = dict(sql(self.store, "SELECT order_ref, state FROM reservations"))
        assert states == {ref: o.state for ref, o in self.model.orders.items()}
        [(count,)] = sql(self.store, "SELECT COUNT(*) FROM events")
        assert count == self.model.events


SETTINGS = dict(max_examples=150, stateful_step_count=50, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SERVER_EXAMPLES = 50
"""New sequences per run on PostgreSQL, where each step is round trips to a server (the
fixed run that must meet every refusal runs in full on both backends)."""
OUTCOMES = {
    ("LimitReached", "volume", "uses"), ("LimitReached", "volume", "budget"),
    ("LimitReached", "big", "uses"), ("LimitReached", "big", "budget"),
    ("LimitReached", "once", "per_customer"), ("CustomerRequired", "once", ""),
    ("LimitReached", "pair", "uses"), ("LimitReached", "pair", "per_coupon"),
    ("ReservationConflict", "", ""), ("IllegalTransition", "", ""),
    ("UnknownReservation", "", ""), ("retaken",), ("expired",),
}


def machine_class(tmp_path: Path, request: pytest.FixtureRequest, backend: str,
                  seen: set[tuple[str, ...]]) -> type[StoreMachine]:
    new_schema = request.getfixturevalue("pg_server").new_schema \
        if backend == "postgres" else None
    return type("Machine", (StoreMachine,), {"base": tmp_path, "seen": seen,
                                             "new_schema": staticmethod(new_schema)
                                             if new_schema else None})


def run(tmp_path: Path, request: pytest.FixtureRequest, backend: str,
        **overrides: Any) -> set[tuple[str, ...]]:
    seen: set[tuple[str, ...]] = set()
    machine = machine_class(tmp_path, request, backend, seen)
    run_state_machine_as_test(machine, settings=settings(**{**SETTINGS, **overrides}))
    return seen


def scripted(tmp_path: Path, request: pytest.FixtureRequest, backend: str) -> set[tuple[str, ...]]:
    """Chains that need several steps in a row, which random sequences meet only now and
    then: a hold that expires and is retaken at payment, and a budget refused after a
    confirmed use, checked step by step as above.  (The fixed sequences are not the same
    in every process: hypothesis also draws constants it finds in the project's modules
    loaded so far, so what the tests run before imported changes the draws of the same
    seed; after the service's explain test they missed big's budget.  What they reach
    only by chance is scripted here.)"""
    seen: set[tuple[str, ...]] = set()
    machine = machine_class(tmp_path, request, backend, seen)()
    invariants = [machine.counters_match_the_model_and_the_rows,
                  machine.no_counter_above_its_limit, machine.states_and_events_match_the_model]
    steps = [
        lambda: machine.reserve_new(cart={"customer": "alice", "coupons": ["BIG"],
                                          "price": "80.00"}, ttl=dt.timedelta(seconds=60)),
        lambda: machine.expire(seconds=900),
        lambda: machine.confirm(ref="o0", retake=True),
        lambda: machine.release(ref="o0"),
        # big's budget: 16.00 confirmed, then 24.00 more than the 32.00
        lambda: machine.reserve_new(cart={"customer": "bob", "coupons": ["BIG"],
                                          "price": "120.00"}, ttl=dt.timedelta(seconds=60)),
    ]
    try:
        for step in steps:
            step()
            for check in invariants:
                check()
    finally:
        machine.teardown()
    return seen


def test_store_against_the_model(tmp_path: Path, request: pytest.FixtureRequest,
                                 backend: str) -> None:
    """New sequences on every run (and the failures hypothesis remembers)."""
    if backend == "postgres":
        run(tmp_path, request, backend, max_examples=SERVER_EXAMPLES)
    else:
        run(tmp_path, request, backend)


def test_store_against_the_model_meets_every_refusal(tmp_path: Path,
                                                     request: pytest.FixtureRequest,
                                                     backend: str) -> None:
    """A fixed set of sequences, with the scripted chains, reaches every limit and every
    error (the random ones alone reach the chains only now and then)."""
    seen = run(tmp_path, request, backend, derandomize=True, database=None, max_examples=100)
    (tmp_path / "scripted").mkdir()
    chains = scripted(tmp_path / "scripted", request, backend)
    assert chains == {("expired",), ("retaken",), ("IllegalTransition", "", ""),
                      ("LimitReached", "big", "budget")}
    seen |= chains
    assert seen >= OUTCOMES, OUTCOMES - seen
