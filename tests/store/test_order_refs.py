"""An order reference used again: a price is only handed out with its uses held, and the
same reference means the same checkout — the same cart at the same money.

Regression tests: an expired hold re-reserved answered a discounted price holding
nothing; a fingerprint of the uses only accepted another cart under the same reference.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click.testing
import pytest
from storekit import (
    CART_AT,
    NOW,
    cart_data,
    make_ruleset,
    ok,
    price,
    promo,
    rows,
    ruleset_yaml,
    sql,
    usage_error,
    write_json,
)

from dsl import Ruleset
from engine import evaluate, parse_cart
from engine.result import Result
from engine.usage import (
    IllegalTransition,
    ReservationConflict,
    UsageStore,
    checkout_aborted,
    open_store,
    payment_captured,
    start_checkout,
)
from engine.usage.store import fingerprint, same_content, uses_fingerprint, uses_of

MINUTE = dt.timedelta(minutes=1)
AT = "2026-03-01T12:00:00+00:00"

# The same discount whatever the cart: another cart under one reference has the
# same uses (what the first fingerprint covered) and another total.
TEN_OFF = """\
- id: ten-off
  effect: { amount_off: "10.00" }
  limits: { uses: 5 }
"""


def two_lines(first: str = "100.00", second: str = "20.00", *, reverse: bool = False,
              quantity: int = 1, sku: str = "SKU-2", shipping: dict[str, str] | None = None,
              **kwargs: Any) -> dict[str, Any]:
    data = cart_data(**kwargs)
    data["lines"] = [{"id": "l1", "sku": "SKU-1", "unit_price": first, "quantity": 1},
                     {"id": "l2", "sku": sku, "unit_price": second, "quantity": quantity}]
    if reverse:
        data["lines"].reverse()
    if shipping is not None:
        data["shipping"] = shipping
    return data


def priced(rules: Ruleset, data: dict[str, Any]) -> Result:
    return evaluate(rules, parse_cart(data))


# --------------------------------------------------------- 10: expired holds


def test_an_expired_order_ref_gets_no_price(store: UsageStore, rules: Ruleset) -> None:
    cart = parse_cart(cart_data(customer="alice", coupons=["SAVE10"]))
    start_checkout(store, rules, cart, "o1", ttl=MINUTE, at=NOW)
    assert store.expire(NOW + MINUTE) == ["o1"]
    was = rows(store)
    assert was[0] == {}  # expiry gave every use back
    for at in (NOW, NOW + 2 * MINUTE):
        with pytest.raises(IllegalTransition) as caught:
            start_checkout(store, rules, cart, "o1", at=at)
        assert caught.value.code == "PR412"
        assert "o1 expired" in str(caught.value) and "new order reference" in str(caught.value)
    assert rows(store) == was  # nothing taken, nothing written
    # a new reference prices and holds again
    assert start_checkout(store, rules, cart, "o2", at=NOW).reservation.state == "reserved"


def test_a_hold_past_its_ttl_that_is_not_expired_yet_still_gets_its_price(
        store: UsageStore, rules: Ruleset) -> None:
    """Still counted until `expire` runs: the price handed out is held."""
    cart = parse_cart(cart_data(customer="alice", coupons=["SAVE10"]))
    first = start_checkout(store, rules, cart, "o1", ttl=MINUTE, at=NOW)
    again = start_checkout(store, rules, cart, "o1", at=NOW + 5 * MINUTE)
    assert again.reservation == first.reservation and again.result.total == first.result.total
    assert store.counter("uses", "save10") == 1


@pytest.mark.parametrize("ended", ["released", "expired"])
def test_a_dead_order_ref_with_other_content_is_an_illegal_transition(
        store: UsageStore, rules: Ruleset, ended: str) -> None:
    """Not PR411 (“reserved with other content”): it holds nothing at all."""
    store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), ttl=MINUTE,
                  now=NOW)
    if ended == "released":
        checkout_aborted(store, "o1", now=NOW)
    else:
        store.expire(NOW + MINUTE)
    was = rows(store)
    other = price(rules, customer="alice", price="80.00")
    with pytest.raises(IllegalTransition) as caught:
        store.reserve("o1", rules, other, now=NOW)
    assert caught.value.code == "PR412" and "new order reference" in str(caught.value)
    with pytest.raises(IllegalTransition):
        start_checkout(store, rules, parse_cart(cart_data(customer="alice", price="80.00")),
                       "o1", at=NOW)
    assert rows(store) == was
    # the store's reserve stays idempotent for the same content: the hold as it is
    same = store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                         now=NOW)
    assert same.state == ended and rows(store) == was


def test_a_late_payment_confirms_an_expired_hold_and_then_the_order_is_held_again(
        store: UsageStore, rules: Ruleset) -> None:
    cart = parse_cart(cart_data(customer="alice", coupons=["SAVE10"]))
    start_checkout(store, rules, cart, "o1", ttl=MINUTE, at=NOW)
    store.expire(NOW + MINUTE)
    assert payment_captured(store, "o1", rules, now=NOW + 2 * MINUTE).state == "confirmed"
    again = start_checkout(store, rules, cart, "o1", at=NOW + 3 * MINUTE)
    assert again.reservation.state == "confirmed"
    assert store.counter("uses", "save10") == 1


# ------------------------------------------------------- 11: the fingerprint


def test_another_cart_with_the_same_discounts_is_a_conflict(store: UsageStore) -> None:
    rules = make_ruleset(TEN_OFF)
    first = price(rules, customer="alice", price="100.00")
    other = price(rules, customer="alice", price="150.00")
    assert uses_of(first) == uses_of(other) and first.total != other.total
    store.reserve("o1", rules, first, now=NOW)
    was = rows(store)
    with pytest.raises(ReservationConflict) as caught:
        store.reserve("o1", rules, other, now=NOW)
    assert caught.value.code == "PR411" and "o1" in str(caught.value)
    with pytest.raises(ReservationConflict):
        start_checkout(store, rules, parse_cart(cart_data(customer="alice", price="150.00")),
                       "o1", at=NOW)
    assert rows(store) == was


@pytest.mark.parametrize("change", [
    {"second": "25.00"},                                   # a unit price
    {"quantity": 2},                                       # a quantity
    {"sku": "SKU-9"},                                      # another product on a line
    {"shipping": {"method": "express", "price": "9.00"}},  # shipping added
    {"customer": "bob"},                                   # another customer
])
def test_what_the_fingerprint_covers(change: dict[str, Any]) -> None:
    rules = make_ruleset(TEN_OFF)
    base = priced(rules, two_lines(customer="alice"))
    other = priced(rules, two_lines(**{"customer": "alice", **change}))
    assert fingerprint("r", base, 2) != fingerprint("r", other, 2)
    assert not same_content(fingerprint("r", base, 2), "r", other, 2)


def test_the_same_checkout_has_the_same_fingerprint() -> None:
    """Same lines and money: the evaluation time, the cart id, the line order, the way a
    code was typed and the rejections do not make another checkout."""
    rules = make_ruleset(TEN_OFF + """\
- id: save5
  coupon: SAVE5
  effect: { amount_off: "5.00" }
- id: later
  active: { from: 2027-01-01 }
  effect: { percent_off: 50 }
""")
    base = priced(rules, two_lines(customer="alice", coupons=["SAVE5"]))
    same = priced(rules, {**two_lines(customer="alice", coupons=[" save5 "], reverse=True),
                          "id": "another-cart-id", "at": "2026-03-01T13:30:00Z"})
    assert base.at != same.at and base.cart != same.cart
    assert fingerprint("r", base, 2) == fingerprint("r", same, 2)
    assert fingerprint("r", base, 2).startswith("v2:")
    assert fingerprint("other-ruleset", base, 2) != fingerprint("r", base, 2)


def test_the_same_cart_again_is_idempotent(store: UsageStore) -> None:
    rules = make_ruleset(TEN_OFF)
    data = two_lines(customer="alice")
    first = store.reserve("o1", rules, priced(rules, data), now=NOW)
    was = rows(store)
    moved = {**two_lines(customer="alice", reverse=True), "id": "retry",
             "at": "2026-03-01T12:05:00Z"}
    assert store.reserve("o1", rules, priced(rules, moved), now=NOW + MINUTE) == first
    assert rows(store) == was


def test_a_reservation_from_before_the_content_fingerprint_keeps_its_idempotency(
        location: str) -> None:
    """A row written by an earlier version has a fingerprint of its uses only: it is
    compared the old way, so retrying that checkout still returns it."""
    rules = make_ruleset(TEN_OFF)
    first = price(rules, customer="alice", price="100.00")
    with open_store(location) as store:
        reservation = store.reserve("old", rules, first, now=NOW)
        store.reserve("new", rules, first, now=NOW)
        old_style = uses_fingerprint(rules.ruleset, "alice", uses_of(first), rules.minor_units)
        sql(store, "UPDATE reservations SET fingerprint = ? WHERE order_ref = 'old'", old_style)
    with open_store(location) as store:
        was = rows(store)
        assert store.reserve("old", rules, first, now=NOW) == reservation
        # the old fingerprint knew only the uses: the same uses under it are the same
        assert store.reserve("old", rules, price(rules, customer="alice", price="150.00"),
                             now=NOW).order_ref == "old"
        with pytest.raises(ReservationConflict):  # other uses are not
            store.reserve("old", rules, price(rules, customer="bob"), now=NOW)
        # a row written now knows the cart
        with pytest.raises(ReservationConflict):
            store.reserve("new", rules, price(rules, customer="alice", price="150.00"),
                          now=NOW)
        assert rows(store) == was
        stored = dict(sql(store, "SELECT order_ref, fingerprint FROM reservations"))
    assert stored == {"old": old_style, "new": fingerprint(rules.ruleset, first, 2)}


# ------------------------------------------------------------- from the shell


@pytest.fixture
def shell(tmp_path: Path, location: str) -> dict[str, str]:
    (tmp_path / "ruleset.yaml").write_text(ruleset_yaml(), encoding="utf-8")
    (tmp_path / "ten.yaml").write_text(ruleset_yaml(TEN_OFF), encoding="utf-8")
    return {
        "ruleset": str(tmp_path / "ruleset.yaml"), "ten": str(tmp_path / "ten.yaml"),
        "db": location,
        "alice": write_json(tmp_path / "alice.json",
                            cart_data(customer="alice", coupons=["SAVE10"])),
        "cheap": write_json(tmp_path / "cheap.json", cart_data(customer="alice")),
        "dear": write_json(tmp_path / "dear.json",
                           cart_data(customer="alice", price="150.00")),
    }


def reserve(shell: dict[str, str], ruleset: str, cart: str, order: str,
            *extra: str) -> click.testing.Result:
    return promo("usage", "reserve", shell[ruleset], shell[cart], "--order", order,
                 "--db", shell["db"], "--at", AT, *extra)


def test_reserving_an_expired_order_ref_again_from_the_shell(shell: dict[str, str]) -> None:
    ok(reserve(shell, "ruleset", "alice", "o1", "--ttl", "60"))
    assert "expired o1" in ok(promo("usage", "expire", "--db", shell["db"], "--now",
                                    "2026-03-01T12:01:00Z")).stdout
    result = reserve(shell, "ruleset", "alice", "o1")
    stderr = usage_error(result, "PR412")
    assert "o1 expired" in stderr and "new order reference" in stderr
    assert "total" not in result.stdout  # no price for a hold that holds nothing
    with open_store(shell["db"]) as store:
        assert store.reservation("o1").state == "expired"
        assert {k: v for k, v in store.counters().items() if v} == {}
    assert "o2: reserved" in ok(reserve(shell, "ruleset", "alice", "o2")).stdout


def test_another_cart_under_one_order_ref_from_the_shell(shell: dict[str, str]) -> None:
    assert "total 90.00" in ok(reserve(shell, "ten", "cheap", "o1")).stdout
    result = reserve(shell, "ten", "dear", "o1")
    assert "o1" in usage_error(result, "PR411")
    assert "total" not in result.stdout
    assert "total 90.00" in ok(reserve(shell, "ten", "cheap", "o1")).stdout  # the retry
    data = json.loads(ok(reserve(shell, "ten", "cheap", "o1", "--format", "json")).stdout)
    assert data["result"]["total"] == "90.00" and data["state"] == "reserved"
    ok(promo("usage", "release", "o1", "--db", shell["db"]))
    assert "released" in usage_error(reserve(shell, "ten", "dear", "o1"), "PR412")


def test_cart_at_is_not_part_of_the_checkout(shell: dict[str, str], tmp_path: Path) -> None:
    ok(reserve(shell, "ten", "cheap", "o1"))
    later = write_json(tmp_path / "later.json",
                       {**cart_data(customer="alice"), "at": CART_AT.replace("12:", "13:")})
    out = ok(promo("usage", "reserve", shell["ten"], later, "--order", "o1", "--db",
                   shell["db"])).stdout
    assert "total 90.00" in out and "o1: reserved" in out
