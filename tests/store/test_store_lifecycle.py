"""reserve → confirm / release / expire, limits, idempotency, status, reconcile, events."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal

import pytest
from storekit import (
    NOW,
    assert_events_valid,
    make_cart,
    make_ruleset,
    nonzero,
    price,
    priced_elsewhere,
    rows,
    sql,
)

from dsl import Ruleset
from engine import evaluate
from engine.usage import (
    CustomerRequired,
    IllegalTransition,
    LimitReached,
    ReservationConflict,
    StoreError,
    StoreView,
    UnknownReservation,
    UsageStore,
    checkout_aborted,
    payment_captured,
    start_checkout,
)
from engine.usage import events as ev

MINUTE = dt.timedelta(minutes=1)


def snapshot(store: UsageStore) -> tuple[object, ...]:
    """Everything a refused transition must leave as it was."""
    return rows(store)


def kinds(store: UsageStore, since: int = 0) -> list[tuple[str, str]]:
    return [(e["event"], e["promotion"]) for e in store.events(since)]


# ------------------------------------------------------------------ reserve


def test_reserve_takes_every_applied_promotions_counters(store: UsageStore,
                                                         rules: Ruleset) -> None:
    result = price(rules, customer="alice", coupons=[" spring10 "])
    assert sorted(result.applied_ids()) == ["auto5", "save10"]

    reservation = store.reserve("o1", rules, result, ttl=15 * MINUTE, now=NOW)

    assert reservation.state == "reserved"
    assert reservation.customer == "alice"
    assert reservation.expires_at == NOW + 15 * MINUTE
    assert [(u.promotion, u.coupon, u.amount) for u in reservation.uses] == [
        ("auto5", None, Decimal("5.00")), ("save10", "spring10", Decimal("10.00"))]
    expected = {
        ("uses", "auto5"): 1, ("per_customer", "auto5\x1falice"): 1, ("budget", "auto5"): 500,
        ("uses", "save10"): 1, ("per_customer", "save10\x1falice"): 1,
        ("per_coupon", "save10\x1fspring10"): 1, ("budget", "save10"): 1000,
    }
    assert store.counters() == expected
    assert store.expected_counters() == expected
    assert store.held_by("o1") == expected
    assert store.counter("per_coupon", "save10\x1fsave10") == 0
    assert kinds(store) == [("promotion_reserved", "auto5"), ("promotion_reserved", "save10"),
                            ("coupon_reserved", "save10"), ("coupon_applied", "save10")]
    assert_events_valid(store.events())
    assert store.integrity_ok()


def test_counters_add_up_over_reservations(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    store.reserve("o2", rules, price(rules, customer="bob", coupons=["SAVE10"],
                                     price="60.00"), now=NOW)
    assert store.counter("uses", "save10") == 2
    assert store.counter("per_coupon", "save10\x1fsave10") == 2
    assert store.counter("per_customer", "save10\x1fbob") == 1
    assert store.counter("budget", "auto5") == 500 + 300
    assert store.counter("budget", "save10") == 2000
    assert store.counters() == store.expected_counters()


def test_reserve_with_nothing_applied_takes_nothing(store: UsageStore) -> None:
    rules = make_ruleset("""\
        - id: code-only
          coupon: ONLY
          effect: { amount_off: "1.00" }
          limits: { uses: 1 }
        """)
    reservation = store.reserve("o1", rules, price(rules), now=NOW)
    assert reservation.uses == () and reservation.state == "reserved"
    assert nonzero(store.counters()) == {} and store.events() == []


AUTO5 = """\
- id: auto5
  effect: { percent_off: 5 }
  limits: { uses: 100 }
"""

# the second reservation of each case: auto5 is taken first (sorted), then save10 refuses
REFUSALS = {
    "uses": ("""\
        - id: save10
          coupon: SAVE10
          effect: { amount_off: "10.00" }
          limits: { uses: 1, per_customer: 5, per_coupon: 5, budget: "100.00" }
        """, [("bob", "SAVE10")], ("alice", "SAVE10")),
    "per_customer": ("""\
        - id: save10
          coupon: SAVE10
          effect: { amount_off: "10.00" }
          limits: { uses: 5, per_customer: 1, per_coupon: 5, budget: "100.00" }
        """, [("alice", "SAVE10"), ("bob", "SAVE10")], ("alice", "SAVE10")),
    "per_coupon": ("""\
        - id: save10
          coupons: [SAVE10, OTHER10]
          effect: { amount_off: "10.00" }
          limits: { uses: 5, per_customer: 5, per_coupon: 1, budget: "100.00" }
        """, [("bob", "SAVE10"), ("bob", "OTHER10")], ("alice", "save10")),
    "budget": ("""\
        - id: save10
          coupon: SAVE10
          effect: { amount_off: "10.00" }
          limits: { uses: 5, per_customer: 5, budget: "15.00" }
        """, [("bob", "SAVE10")], ("alice", "SAVE10")),
}


@pytest.mark.parametrize("limit", sorted(REFUSALS))
def test_one_refused_limit_reserves_nothing(store: UsageStore, limit: str) -> None:
    promotions, before, (customer, code) = REFUSALS[limit]
    rules = make_ruleset(AUTO5 + textwrap.dedent(promotions))
    for n, (who, entered) in enumerate(before):
        store.reserve(f"before-{n}", rules, price(rules, customer=who, coupons=[entered]),
                      now=NOW)
    result = price(rules, customer=customer, coupons=[code])
    assert sorted(result.applied_ids()) == ["auto5", "save10"]
    was = snapshot(store)

    with pytest.raises(LimitReached) as caught:
        store.reserve("o-refused", rules, result, now=NOW)

    err = caught.value
    assert (err.code, err.promotion, err.limit) == ("PR410", "save10", limit)
    assert "save10" in str(err) and ("budget" if limit == "budget" else f"{limit} limit") \
        in str(err)
    assert snapshot(store) == was  # auto5's counters were given back with the rest
    with pytest.raises(UnknownReservation):
        store.reservation("o-refused")
    assert store.reconcile() == []


def test_budget_refuses_in_minor_units(store: UsageStore) -> None:
    rules = make_ruleset("""\
        - id: b
          effect: { amount_off: "0.07" }
          limits: { budget: "0.20" }
        """)
    for n in range(2):
        store.reserve(f"o{n}", rules, price(rules, customer=f"c{n}"), now=NOW)
    assert store.counter("budget", "b") == 14
    with pytest.raises(LimitReached) as caught:  # 14 + 7 = 21 > 20 minor units
        store.reserve("o3", rules, price(rules, customer="c3"), now=NOW)
    assert caught.value.limit == "budget"
    cheaper = make_ruleset("""\
        - id: b
          effect: { amount_off: "0.06" }
          limits: { budget: "0.20" }
        """)
    store.reserve("o4", cheaper, price(cheaper, customer="c4"), now=NOW)  # 14 + 6 = 20
    assert store.counter("budget", "b") == 20


def test_reserve_is_idempotent_on_the_order_ref(store: UsageStore, rules: Ruleset) -> None:
    result = price(rules, customer="alice", coupons=["SAVE10"])
    first = store.reserve("o1", rules, result, ttl=MINUTE, now=NOW)
    was = snapshot(store)
    again = store.reserve("o1", rules, price(rules, customer="alice", coupons=["save10 "]),
                          ttl=10 * MINUTE, now=NOW + MINUTE / 2)
    assert again == first  # same hold, same expiry: nothing taken twice
    assert snapshot(store) == was


@pytest.mark.parametrize("other", [
    {"customer": "bob", "coupons": ["SAVE10"]},        # another customer
    {"customer": "alice", "coupons": []},              # fewer promotions
    {"customer": "alice", "coupons": ["SPRING10"]},    # another code
    {"customer": "alice", "coupons": ["SAVE10"], "price": "80.00"},  # other amounts
])
def test_same_order_ref_other_content_conflicts(store: UsageStore, rules: Ruleset,
                                                 other: dict[str, object]) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    was = snapshot(store)
    with pytest.raises(ReservationConflict) as caught:
        store.reserve("o1", rules, price(rules, **other), now=NOW)
    assert caught.value.code == "PR411" and "o1" in str(caught.value)
    assert snapshot(store) == was


def test_per_customer_limit_needs_a_customer(store: UsageStore, rules: Ruleset) -> None:
    guest = priced_elsewhere(customer="", coupons=["SAVE10"])  # not seeing the limit
    assert guest.customer == "" and "save10" in guest.applied_ids()
    was = snapshot(store)
    with pytest.raises(CustomerRequired) as caught:
        store.reserve("o1", rules, guest, now=NOW)
    assert caught.value.code == "PR415" and "save10" in str(caught.value)
    assert snapshot(store) == was
    # auto5 has no per-customer limit: a guest may use it
    reservation = store.reserve("o2", rules, price(rules, customer=""), now=NOW)
    assert [u.promotion for u in reservation.uses] == ["auto5"]
    assert reservation.customer == ""


# -------------------------------------------------------- confirm, release


def test_confirm_is_idempotent(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    held = store.counters()
    since = store.events()[-1]["id"]
    assert store.confirm("o1", now=NOW + MINUTE).state == "confirmed"
    assert kinds(store, since) == [("promotion_consumed", "auto5"),
                                   ("promotion_consumed", "save10"),
                                   ("coupon_consumed", "save10")]
    was = snapshot(store)
    assert store.confirm("o1", now=NOW + 2 * MINUTE).state == "confirmed"
    assert snapshot(store) == was
    assert store.counters() == held  # confirmed uses still count
    assert_events_valid(store.events())


def test_release_is_idempotent_and_gives_the_uses_back(store: UsageStore,
                                                       rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    since = store.events()[-1]["id"]
    assert store.release("o1", now=NOW + MINUTE).state == "released"
    assert nonzero(store.counters()) == {}
    events = store.events(since)
    assert [(e["event"], e["reason"]) for e in events] == [
        ("promotion_released", "released"), ("promotion_released", "released"),
        ("coupon_released", "released")]
    was = snapshot(store)
    assert store.release("o1", now=NOW + 2 * MINUTE).state == "released"
    assert snapshot(store) == was
    assert_events_valid(store.events())


def test_the_saga_api(store: UsageStore, rules: Ruleset) -> None:
    cart = make_cart(customer="alice", coupons=["SAVE10"])
    checkout = start_checkout(store, rules, cart, "o1", at=NOW)
    assert sorted(checkout.result.applied_ids()) == ["auto5", "save10"]
    assert checkout.reservation.state == "reserved"
    assert payment_captured(store, "o1", rules, now=NOW).state == "confirmed"
    start_checkout(store, rules, cart, "o2", at=NOW)
    assert checkout_aborted(store, "o2", now=NOW).state == "released"
    assert checkout_aborted(store, "o2", now=NOW).state == "released"
    assert store.counter("uses", "save10") == 1


def test_start_checkout_prices_again_when_a_limit_is_taken_meanwhile(
        store: UsageStore, rules: Ruleset) -> None:
    """Between pricing and reserving, another checkout takes the last use."""
    cart = make_cart(customer="alice", coupons=["SAVE10"])
    real_reserve = store.reserve
    calls = []

    def racing_reserve(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not calls:
            for n, code in enumerate(["SAVE10", "SPRING10", "SPRING10"]):  # 3 uses
                real_reserve(f"other-{n}", rules, price(rules, customer=f"c{n}",
                                                        coupons=[code]), now=NOW)
        calls.append(args)
        return real_reserve(*args, **kwargs)

    store.reserve = racing_reserve  # type: ignore[method-assign]
    checkout = start_checkout(store, rules, cart, "o1", at=NOW)
    assert len(calls) == 2
    assert checkout.result.applied_ids() == ["auto5"]
    assert checkout.result.rejection("save10").code == "limit_reached"  # type: ignore[union-attr]
    assert [u.promotion for u in checkout.reservation.uses] == ["auto5"]


def test_a_checkout_after_an_abort_needs_a_new_order_ref(store: UsageStore,
                                                        rules: Ruleset) -> None:
    """The released hold holds nothing and can never be confirmed: no price is handed out
    for it (the store's reserve itself stays idempotent and returns the released hold)."""
    cart = make_cart(customer="alice", coupons=["SAVE10"])
    start_checkout(store, rules, cart, "o1", at=NOW)
    checkout_aborted(store, "o1", now=NOW)
    was = snapshot(store)
    with pytest.raises(IllegalTransition) as caught:
        start_checkout(store, rules, cart, "o1", at=NOW)
    assert "new order reference" in str(caught.value)
    assert snapshot(store) == was
    assert start_checkout(store, rules, cart, "o2", at=NOW).reservation.state == "reserved"


def test_a_checkout_retried_after_capture_gets_its_order_back(
        store: UsageStore, rules: Ruleset) -> None:
    """An expired hold holds nothing: no price for it (see test_order_refs.py); once the late
    payment is captured (uses taken again), the order is confirmed and a retry gets it."""
    cart = make_cart(customer="alice", coupons=["SAVE10"])
    start_checkout(store, rules, cart, "late", ttl=MINUTE, at=NOW)
    store.expire(NOW + MINUTE)
    with pytest.raises(IllegalTransition):
        start_checkout(store, rules, cart, "late", at=NOW)
    assert payment_captured(store, "late", rules, now=NOW).state == "confirmed"
    again = start_checkout(store, rules, cart, "late", at=NOW)  # its own uses do not count
    assert again.reservation.state == "confirmed"
    assert sorted(again.result.applied_ids()) == ["auto5", "save10"]


def test_store_view_refuses_what_is_used_up_except_the_orders_own(
        store: UsageStore, rules: Ruleset) -> None:
    for n, code in enumerate(["SAVE10", "SPRING10", "SAVE10"]):  # save10's 3 uses
        store.reserve(f"o{n}", rules, price(rules, customer=f"c{n}", coupons=[code]), now=NOW)
    cart = make_cart(customer="alice", coupons=["SAVE10"])
    seen = evaluate(rules, cart, usage=StoreView(store, rules))
    assert seen.rejection("save10").code == "limit_reached"  # type: ignore[union-attr]
    assert "uses limit of 3 reached" in seen.rejection("save10").reason  # type: ignore[union-attr]
    # pricing o0 again: its own hold does not count against it
    again = evaluate(rules, make_cart(customer="c0", coupons=["SAVE10"]),
                     usage=StoreView(store, rules, order_ref="o0"))
    assert sorted(again.applied_ids()) == ["auto5", "save10"]
    # a guest cannot use a per-customer promotion, in a dry run either
    guest = evaluate(rules, make_cart(customer="", coupons=["SPRING10"]),
                     usage=StoreView(store, rules))
    assert guest.rejection("save10").code == "limit_reached"  # type: ignore[union-attr]
    # auto5: 15.00 of 30.00 held; 10.00 more leaves 5.00, which caps the next one
    store.reserve("big", rules, price(rules, customer="d", price="200.00"), now=NOW)
    capped = evaluate(rules, make_cart(customer="e", price="300.00"),
                      usage=StoreView(store, rules))
    assert [(a.promotion, a.amount) for a in capped.applied] == [("auto5", Decimal("5.00"))]
    assert [(c.source, c.before, c.after) for c in capped.capped] == [
        ("budget", Decimal("15.00"), Decimal("5.00"))]
    store.reserve("last", rules, price(rules, customer="f"), now=NOW)  # 5.00: all spent
    spent = evaluate(rules, make_cart(customer="g"), usage=StoreView(store, rules))
    assert spent.applied == ()
    assert spent.rejection("auto5").code == "budget_exhausted"  # type: ignore[union-attr]


@pytest.mark.parametrize("first, then, message", [
    ("release", "confirm", "released"),
    ("confirm", "release", "confirmed"),
])
def test_illegal_transitions(store: UsageStore, rules: Ruleset, first: str, then: str,
                             message: str) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    getattr(store, first)("o1", now=NOW)
    was = snapshot(store)
    with pytest.raises(IllegalTransition) as caught:
        getattr(store, then)("o1", now=NOW)
    assert caught.value.code == "PR412" and message in str(caught.value)
    assert snapshot(store) == was


def test_confirming_a_released_hold_is_illegal_even_with_retake(store: UsageStore,
                                                                rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice"), now=NOW)
    store.release("o1", now=NOW)
    with pytest.raises(IllegalTransition):
        store.confirm("o1", rules, now=NOW, retake_expired=True)


@pytest.mark.parametrize("method", ["confirm", "release"])
def test_unknown_order_ref(store: UsageStore, method: str) -> None:
    with pytest.raises(UnknownReservation) as caught:
        getattr(store, method)("nope", now=NOW)
    assert caught.value.code == "PR413"
    with pytest.raises(UnknownReservation):
        store.reservation("nope")


# ------------------------------------------------------------------ expiry


def test_expire_releases_each_due_hold_exactly_once(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("short", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                  ttl=MINUTE, now=NOW)
    store.reserve("long", rules, price(rules, customer="bob", coupons=["SAVE10"],
                                       price="60.00"), ttl=10 * MINUTE, now=NOW)
    store.reserve("paid", rules, price(rules, customer="carol"), ttl=MINUTE, now=NOW)
    store.confirm("paid", now=NOW)
    since = store.events()[-1]["id"]

    assert store.expire(NOW + MINUTE - dt.timedelta(microseconds=1)) == []
    assert store.expire(NOW + MINUTE) == ["short"]
    assert store.expire(NOW + MINUTE) == []
    assert store.expire(NOW + 5 * MINUTE) == []
    assert store.expire(NOW + 60 * MINUTE) == ["long"]
    assert store.expire(NOW + 60 * MINUTE) == []

    assert {r: store.reservation(r).state for r in ("short", "long", "paid")} == {
        "short": "expired", "long": "expired", "paid": "confirmed"}
    assert nonzero(store.counters()) == store.expected_counters() == store.held_by("paid")
    released = store.events(since)
    assert [(e["order_ref"], e["event"], e["reason"]) for e in released] == [
        ("short", "promotion_released", "expired"), ("short", "promotion_released", "expired"),
        ("short", "coupon_released", "expired"),
        ("long", "promotion_released", "expired"), ("long", "promotion_released", "expired"),
        ("long", "coupon_released", "expired")]
    assert_events_valid(store.events())


def test_expire_returns_due_holds_oldest_first(store: UsageStore, rules: Ruleset) -> None:
    for ref, minutes in [("b", 3), ("a", 5), ("c", 1)]:
        store.reserve(ref, rules, price(rules, customer=ref), ttl=minutes * MINUTE, now=NOW)
    assert store.expire(NOW + 10 * MINUTE) == ["c", "b", "a"]


def test_expire_accepts_any_timezone(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice"), ttl=MINUTE, now=NOW)
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert store.expire((NOW + MINUTE / 2).astimezone(tokyo)) == []
    assert store.expire((NOW + MINUTE).astimezone(tokyo)) == ["o1"]
    with pytest.raises(ValueError):
        store.expire(dt.datetime(2026, 3, 1, 13))  # naive


def test_a_hold_past_its_ttl_not_yet_expired_still_confirms(store: UsageStore,
                                                            rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice"), ttl=MINUTE, now=NOW)
    assert store.confirm("o1", now=NOW + 10 * MINUTE).state == "confirmed"
    assert store.expire(NOW + 20 * MINUTE) == []


def test_releasing_an_expired_hold_does_nothing(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice"), ttl=MINUTE, now=NOW)
    store.expire(NOW + MINUTE)
    was = snapshot(store)
    assert store.release("o1", now=NOW + 2 * MINUTE).state == "expired"
    assert snapshot(store) == was


def test_confirming_an_expired_hold_needs_retake(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                  ttl=MINUTE, now=NOW)
    store.expire(NOW + MINUTE)
    was = snapshot(store)
    with pytest.raises(IllegalTransition) as caught:
        store.confirm("o1", rules, now=NOW + 2 * MINUTE)
    assert "expired" in str(caught.value)
    with pytest.raises(StoreError):  # re-taking needs the ruleset's limits
        store.confirm("o1", now=NOW + 2 * MINUTE, retake_expired=True)
    assert snapshot(store) == was


def test_retake_of_an_expired_hold_when_the_limits_allow(store: UsageStore,
                                                         rules: Ruleset) -> None:
    held = store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                         ttl=MINUTE, now=NOW)
    taken = store.counters()
    store.expire(NOW + MINUTE)
    since = store.events()[-1]["id"]
    later = NOW + 2 * MINUTE

    confirmed = payment_captured(store, "o1", rules, now=later)

    assert confirmed.state == "confirmed"
    assert confirmed.uses == held.uses
    assert store.counters() == taken == store.expected_counters()
    events = store.events(since)
    assert [e["event"] for e in events] == [
        "promotion_reserved", "promotion_reserved", "coupon_reserved", "coupon_applied",
        "promotion_consumed", "promotion_consumed", "coupon_consumed"]
    assert {e["occurred_at"] for e in events} == {later.isoformat(timespec="microseconds")}
    assert_events_valid(store.events())
    # and it stays confirmed
    assert store.confirm("o1", rules, now=later, retake_expired=True).state == "confirmed"
    assert len(store.events(since)) == len(events)


def test_retake_looks_the_ruleset_up_by_the_reservations_id(store: UsageStore,
                                                             rules: Ruleset) -> None:
    """A service serving several rulesets passes a lookup: it is asked for the ruleset the
    hold was reserved under, and only when an expired hold is taken again."""
    asked: list[str] = []

    def lookup(ruleset_id: str) -> Ruleset | None:
        asked.append(ruleset_id)
        return rules if ruleset_id == rules.ruleset else None

    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                  ttl=MINUTE, now=NOW)
    store.reserve("o2", rules, price(rules, customer="bob"), ttl=MINUTE, now=NOW)
    assert store.confirm("o2", lookup, now=NOW, retake_expired=True).state == "confirmed"
    assert asked == []  # a live hold confirms without it
    taken = store.counters()
    store.expire(NOW + MINUTE)

    confirmed = store.confirm("o1", lookup, now=NOW + 2 * MINUTE, retake_expired=True)

    assert confirmed.state == "confirmed"
    assert asked == [rules.ruleset]
    assert store.counters() == taken == store.expected_counters()


def test_retake_refused_when_the_lookup_knows_no_such_ruleset(store: UsageStore,
                                                              rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                  ttl=MINUTE, now=NOW)
    store.expire(NOW + MINUTE)
    was = snapshot(store)
    with pytest.raises(StoreError):
        store.confirm("o1", lambda _: None, now=NOW + 2 * MINUTE, retake_expired=True)
    assert snapshot(store) == was


def test_retake_refused_when_the_limits_no_longer_allow(store: UsageStore) -> None:
    rules = make_ruleset("""\
        - id: auto5
          effect: { percent_off: 5 }
          limits: { uses: 100 }
        - id: once
          coupon: ONCE
          effect: { amount_off: "10.00" }
          limits: { uses: 1 }
        """)
    store.reserve("late", rules, price(rules, customer="alice", coupons=["ONCE"]),
                  ttl=MINUTE, now=NOW)
    store.expire(NOW + MINUTE)
    store.reserve("other", rules, price(rules, customer="bob", coupons=["ONCE"]), now=NOW)
    was = snapshot(store)

    with pytest.raises(LimitReached) as caught:
        payment_captured(store, "late", rules, now=NOW + 2 * MINUTE)

    assert (caught.value.promotion, caught.value.limit) == ("once", "uses")
    assert snapshot(store) == was  # auto5 was not re-taken either
    assert store.reservation("late").state == "expired"
    store.release("other", now=NOW)
    assert payment_captured(store, "late", rules, now=NOW).state == "confirmed"
    assert store.reconcile() == []


def test_retake_is_refused_for_a_guest_with_a_per_customer_limit(
        store: UsageStore, rules: Ruleset) -> None:
    """A guest's hold of auto5, then auto5 gains a per-customer limit before the capture."""
    store.reserve("o1", rules, price(rules, customer=""), ttl=MINUTE, now=NOW)
    store.expire(NOW + MINUTE)
    stricter = make_ruleset("""\
        - id: auto5
          effect: { percent_off: 5 }
          limits: { uses: 100, per_customer: 1 }
        """)
    with pytest.raises(CustomerRequired):
        store.confirm("o1", stricter, now=NOW, retake_expired=True)
    assert store.reservation("o1").state == "expired"


# ------------------------------------------------------------ read models


def test_reservation_amounts_are_money_whichever_call_returns_them(
        store: UsageStore, rules: Ruleset) -> None:
    reserved = store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                             now=NOW)
    assert store.confirm("o1", now=NOW).uses == reserved.uses
    assert store.reservation("o1").uses == reserved.uses
    store.reserve("o2", rules, price(rules, customer="bob"), now=NOW)
    assert store.release("o2", now=NOW).uses[0].amount == Decimal("5.00")


def test_status_numbers(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    store.reserve("o2", rules, price(rules, customer="bob", coupons=["SPRING10"],
                                     price="60.00"), now=NOW)
    store.reserve("o3", rules, price(rules, customer="carol", coupons=["SAVE10"],
                                     price="20.00"), now=NOW)
    store.confirm("o1", now=NOW)
    store.release("o3", now=NOW)

    rows = {(r["promotion"], r["coupon"]): r for r in store.status(rules)}
    assert list(rows) == [("auto5", None), ("save10", None), ("save10", "save10"),
                          ("save10", "spring10")]
    assert rows["auto5", None] == {
        "promotion": "auto5", "coupon": None, "limit": 100, "reserved": 1, "confirmed": 1,
        "remaining": 98, "budget": "30.00", "budget_left": "22.00"}  # 30.00 - 5.00 - 3.00
    assert rows["save10", None] == {
        "promotion": "save10", "coupon": None, "limit": 3, "reserved": 1, "confirmed": 1,
        "remaining": 1, "budget": "1000.00", "budget_left": "980.00"}
    assert rows["save10", "save10"] == {
        "promotion": "save10", "coupon": "save10", "limit": 2, "reserved": 0, "confirmed": 1,
        "remaining": 1, "budget": None, "budget_left": None}
    assert rows["save10", "spring10"]["reserved"] == 1
    assert rows["save10", "spring10"]["remaining"] == 1


def test_status_of_an_empty_store(store: UsageStore, rules: Ruleset) -> None:
    rows = store.status(rules)
    assert all(r["reserved"] == r["confirmed"] == 0 for r in rows)
    assert rows[0]["budget_left"] == "30.00"


# --------------------------------------------------------------- reconcile


def test_reconcile_finds_no_drift_after_any_lifecycle(store: UsageStore,
                                                      rules: Ruleset) -> None:
    for n, (who, codes) in enumerate([("alice", ["SAVE10"]), ("bob", ["SPRING10"]),
                                      ("carol", []), ("dave", ["SAVE10"])]):
        store.reserve(f"o{n}", rules, price(rules, customer=who, coupons=codes),
                      ttl=MINUTE * (n + 1), now=NOW)
    store.confirm("o0", now=NOW)
    store.release("o1", now=NOW)
    store.expire(NOW + 3 * MINUTE)
    assert store.reconcile() == []
    assert store.reconcile(fix=True) == []
    assert nonzero(store.counters()) == store.expected_counters()


def test_reconcile_finds_and_repairs_drift(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    store.reserve("o2", rules, price(rules, customer="bob"), now=NOW)
    right = store.counters()
    sql(store, "UPDATE counters SET used = used + 5 WHERE scope = 'uses' AND key = 'save10'")
    sql(store, "DELETE FROM counters WHERE scope = 'budget' AND key = 'auto5'")
    sql(store, "INSERT INTO counters (scope, key, used) VALUES ('uses', 'ghost', 3)")

    drift = store.reconcile()
    assert {(d.scope, d.key): (d.actual, d.expected) for d in drift} == {
        ("uses", "save10"): (6, 1), ("budget", "auto5"): (0, 1000), ("uses", "ghost"): (3, 0)}
    assert store.counter("uses", "save10") == 6  # reported, not repaired
    assert {tuple(d.to_dict().values()) for d in drift} >= {("uses", "save10", 6, 1)}

    assert len(store.reconcile(fix=True)) == 3
    assert store.reconcile() == []
    assert nonzero(store.counters()) == right
    # the repaired counters are the ones the limits are checked against again
    store.reserve("o3", rules, price(rules, customer="carol", coupons=["SPRING10"]), now=NOW)
    assert store.counter("uses", "save10") == 2


def test_reconcile_repairs_a_per_customer_key(store: UsageStore, rules: Ruleset) -> None:
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    sql(store, "UPDATE counters SET used = 2 WHERE scope = 'per_customer' AND key = ?",
        "save10\x1falice")
    [drift] = store.reconcile(fix=True)
    assert drift.to_dict() == {"scope": "per_customer", "key": "save10/alice", "actual": 2,
                               "expected": 1}
    # alice's second use fits again (per_customer 2)
    store.reserve("o2", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)


# ------------------------------------------------------------------ events


def test_event_schemas_are_checked_in_for_every_type() -> None:
    from storekit import EVENT_SCHEMAS, VALIDATORS

    assert set(VALIDATORS) == set(ev.EVENT_TYPES)
    for kind in ev.EVENT_TYPES:
        import json

        on_disk = json.loads((EVENT_SCHEMAS / f"{kind}.v1.json").read_text(encoding="utf-8"))
        assert on_disk == ev.event_schema(kind)


def test_every_emitted_event_validates(store: UsageStore, rules: Ruleset) -> None:
    yen = make_ruleset("""\
        - id: yen5
          effect: { percent_off: 5 }
          limits: { budget: "1000" }
        """, currency="JPY")
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                  ttl=MINUTE, now=NOW)
    store.reserve("o2", rules, price(rules, customer="", coupons=[]), ttl=MINUTE, now=NOW)
    store.reserve("o3", rules, price(rules, customer="bob", coupons=["SPRING10"]),
                  ttl=MINUTE, now=NOW)
    store.reserve("o4", yen, price(yen, customer="dave", price="1999", currency="JPY"), now=NOW)
    store.confirm("o1", now=NOW)
    store.release("o2", now=NOW)
    store.expire(NOW + MINUTE)
    store.confirm("o3", rules, now=NOW + 2 * MINUTE, retake_expired=True)

    events = store.events()
    assert_events_valid(events)
    assert {e["event"] for e in events} == set(ev.EVENT_TYPES)
    assert {e["customer"] for e in events} == {"alice", "", "bob", "dave"}
    assert [(e["amount"], e["currency"]) for e in events if e["order_ref"] == "o4"] == [
        ("100", "JPY")]  # 5% of 1999 yen, rounded to whole yen
    assert store.counter("budget", "yen5") == 100
    # the outbox pages by id
    assert store.events(since=events[2]["id"], limit=3) == events[3:6]


def test_an_aborted_transition_leaves_no_events(store: UsageStore, rules: Ruleset,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The events are written in the reserve's transaction: a failure after some of
    them were inserted takes them back with the counters and the reservation."""
    real = ev.payload

    def failing(kind: str, **fields: object) -> dict[str, object]:
        if kind == "coupon_applied":
            raise RuntimeError("relay exploded")
        return real(kind, **fields)

    monkeypatch.setattr(ev, "payload", failing)
    was = snapshot(store)
    with pytest.raises(RuntimeError):
        store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                      now=NOW)
    assert snapshot(store) == was
    monkeypatch.setattr(ev, "payload", real)
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
    assert len(store.events()) == 4
