"""Idempotency records, relay cursors, ping and counts: the store's side of the HTTP service.

A request's key is claimed in one short transaction (the service joins it to the
transition: test_store_units.py); the transition it asks
for stores its response in the transition's own transaction (or nothing, if
it raises); an error response is stored apart (``finish``), a failure on our
side forgets the claim (``abandon``), and old records are pruned.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from storekit import NOW, make_ruleset, ok, price, promo, sql, write_json

from dsl import Ruleset
from engine.usage import (
    IdempotencyClaim,
    IdempotencyUnclaimed,
    IdempotentResponse,
    LimitReached,
    Reservation,
    StoreError,
    UnknownReservation,
    UsageStore,
)

LEASE = dt.timedelta(seconds=30)
TTL = dt.timedelta(hours=24)
SECOND = dt.timedelta(seconds=1)


def answer(reservation: Reservation) -> tuple[int, bytes, str]:
    return 200, f"{reservation.order_ref}:{reservation.state}".encode(), "text/plain"


def record(key: str) -> IdempotentResponse:
    return IdempotentResponse(key, answer)


def idempotency_rows(store: UsageStore) -> list[tuple[Any, ...]]:
    return sql(store, "SELECT key, request_hash, state, status, content_type FROM idempotency "
                      "ORDER BY key")


# ------------------------------------------------------------------ claims


def test_a_new_key_is_claimed_then_running(store: UsageStore) -> None:
    assert store.claim_idempotency("k1", "h1", now=NOW) == IdempotencyClaim("claimed")
    assert store.claim_idempotency("k1", "h1", now=NOW + SECOND).state == "running"
    assert store.claim_idempotency("k1", "h1", now=NOW + LEASE - SECOND).state == "running"


def test_a_claim_whose_lease_passed_is_taken_over(store: UsageStore) -> None:
    store.claim_idempotency("k1", "h1", now=NOW, lease=10 * SECOND)
    assert store.claim_idempotency("k1", "h1", now=NOW + 10 * SECOND).state == "claimed"
    # the new claimant holds a fresh lease
    assert store.claim_idempotency("k1", "h1", now=NOW + 11 * SECOND).state == "running"


def test_another_request_under_a_key_is_a_mismatch(store: UsageStore) -> None:
    store.claim_idempotency("k1", "h1", now=NOW)
    assert store.claim_idempotency("k1", "h2", now=NOW) == IdempotencyClaim("mismatch")
    store.finish_idempotency("k1", 409, b"{}", "application/problem+json", now=NOW)
    assert store.claim_idempotency("k1", "h2", now=NOW).state == "mismatch"


def test_an_expired_record_counts_as_none(store: UsageStore) -> None:
    store.claim_idempotency("k1", "h1", now=NOW, ttl=TTL)
    store.finish_idempotency("k1", 200, b"old", "text/plain", now=NOW)
    assert store.claim_idempotency("k1", "h2", now=NOW + TTL).state == "claimed"
    assert idempotency_rows(store) == [("k1", "h2", "running", None, None)]


def test_a_finished_key_replays_its_response(store: UsageStore) -> None:
    store.claim_idempotency("k1", "h1", now=NOW)
    store.finish_idempotency("k1", 409, b'{"code": "PR410"}', "application/problem+json",
                             now=NOW)
    assert store.claim_idempotency("k1", "h1", now=NOW + LEASE * 2) == IdempotencyClaim(
        "done", 409, b'{"code": "PR410"}', "application/problem+json")


def test_finishing_a_key_that_holds_no_claim_stores_nothing(store: UsageStore) -> None:
    with pytest.raises(IdempotencyUnclaimed) as caught:
        store.finish_idempotency("never", 200, b"", "text/plain", now=NOW)
    assert caught.value.code == "PR430"
    assert idempotency_rows(store) == []


@pytest.mark.parametrize("status, body, content_type", [
    (99, b"", "text/plain"), (600, b"", "text/plain"), (200, "text", "text/plain"),
    (200, b"", ""), (True, b"", "text/plain")])
def test_a_response_that_is_no_http_response_is_refused(store: UsageStore, status: Any,
                                                        body: Any, content_type: Any) -> None:
    store.claim_idempotency("k1", "h1", now=NOW)
    with pytest.raises(ValueError):
        store.finish_idempotency("k1", status, body, content_type, now=NOW)
    assert idempotency_rows(store) == [("k1", "h1", "running", None, None)]


def test_abandon_forgets_a_running_claim_only(store: UsageStore) -> None:
    store.claim_idempotency("k1", "h1", now=NOW)
    store.abandon_idempotency("k1")
    assert store.claim_idempotency("k1", "h2", now=NOW).state == "claimed"  # runs again
    store.finish_idempotency("k1", 200, b"ok", "text/plain", now=NOW)
    store.abandon_idempotency("k1")  # a stored response stays
    assert store.claim_idempotency("k1", "h2", now=NOW).state == "done"
    store.abandon_idempotency("unknown")  # nothing to forget: no error


def test_prune_deletes_the_records_past_their_expiry(store: UsageStore) -> None:
    store.claim_idempotency("old", "h", now=NOW, ttl=TTL)
    store.claim_idempotency("done", "h", now=NOW, ttl=TTL)
    store.finish_idempotency("done", 200, b"", "text/plain", now=NOW)
    store.claim_idempotency("new", "h", now=NOW + SECOND, ttl=TTL)
    assert store.prune_idempotency(NOW + TTL - SECOND) == 0
    assert store.prune_idempotency(NOW + TTL) == 2
    assert [row[0] for row in idempotency_rows(store)] == ["new"]
    assert store.prune_idempotency(NOW + TTL) == 0


# ------------------------------------------------- responses of transitions


def test_each_transition_stores_its_response_with_itself(store: UsageStore,
                                                         rules: Ruleset) -> None:
    result = price(rules, customer="alice", coupons=["SAVE10"])
    for key in ("r1", "c1", "r2", "x2"):
        assert store.claim_idempotency(key, "h", now=NOW).state == "claimed"
    store.reserve("o1", rules, result, now=NOW, idempotency=record("r1"))
    store.confirm("o1", now=NOW, idempotency=record("c1"))
    store.reserve("o2", rules, price(rules, customer="bob"), now=NOW, idempotency=record("r2"))
    store.release("o2", now=NOW, idempotency=record("x2"))
    replies = {key: store.claim_idempotency(key, "h", now=NOW) for key in ("r1", "c1", "r2", "x2")}
    assert replies == {
        "r1": IdempotencyClaim("done", 200, b"o1:reserved", "text/plain"),
        "c1": IdempotencyClaim("done", 200, b"o1:confirmed", "text/plain"),
        "r2": IdempotencyClaim("done", 200, b"o2:reserved", "text/plain"),
        "x2": IdempotencyClaim("done", 200, b"o2:released", "text/plain"),
    }


def test_an_idempotent_no_op_transition_stores_its_response_too(store: UsageStore,
                                                                 rules: Ruleset) -> None:
    result = price(rules, customer="alice")
    store.reserve("o1", rules, result, now=NOW)
    store.claim_idempotency("again", "h", now=NOW)
    store.reserve("o1", rules, result, now=NOW, idempotency=record("again"))
    assert store.claim_idempotency("again", "h", now=NOW).body == b"o1:reserved"


def test_a_transition_that_raises_stores_nothing(store: UsageStore) -> None:
    rules = make_ruleset("""\
        - id: once
          coupon: ONCE
          effect: { amount_off: "5.00" }
          limits: { uses: 1 }
        """)
    store.reserve("o1", rules, price(rules, customer="a", coupons=["ONCE"]), now=NOW)
    store.claim_idempotency("k", "h", now=NOW)
    events = store.events()
    with pytest.raises(LimitReached):
        store.reserve("o2", rules, price(rules, customer="b", coupons=["ONCE"]), now=NOW,
                      idempotency=record("k"))
    with pytest.raises(UnknownReservation):
        store.confirm("nope", now=NOW, idempotency=record("k"))
    assert store.claim_idempotency("k", "h", now=NOW).state == "running"
    assert store.events() == events


def test_a_response_that_fails_takes_its_transition_back(store: UsageStore,
                                                         rules: Ruleset) -> None:
    def broken(reservation: Reservation) -> tuple[int, bytes, str]:
        raise RuntimeError("the answer could not be encoded")

    store.claim_idempotency("k", "h", now=NOW)
    with pytest.raises(RuntimeError):
        store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                      now=NOW, idempotency=IdempotentResponse("k", broken))
    with pytest.raises(UnknownReservation):
        store.reservation("o1")
    assert store.counters() == {} or set(store.counters().values()) == {0}
    assert store.events() == []
    with pytest.raises(IdempotencyUnclaimed):  # no claim: the transition is taken back
        store.reserve("o1", rules, price(rules, customer="alice"), now=NOW,
                      idempotency=record("unclaimed"))
    with pytest.raises(UnknownReservation):
        store.reservation("o1")


# --------------------------------------------------------------- racing


def test_twenty_threads_claim_one_key_and_one_wins(store_factory: Any) -> None:
    stores = [store_factory() for _ in range(20)]
    barrier = threading.Barrier(20)
    claims: list[str] = []

    def claim(n: int) -> None:
        barrier.wait()
        claims.append(stores[n].claim_idempotency("hot", "h", now=NOW).state)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for opened in stores:
        opened.close()
    assert sorted(claims) == ["claimed"] + ["running"] * 19


def test_threads_sharing_one_store_claim_one_key_once(store: UsageStore) -> None:
    barrier = threading.Barrier(20)
    claims: list[str] = []

    def claim() -> None:
        barrier.wait()
        claims.append(store.claim_idempotency("hot", "h", now=NOW).state)

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(claims) == ["claimed"] + ["running"] * 19


# ------------------------------------------------ relays, ping and counts


def test_a_relay_cursor_only_moves_forward(store: UsageStore) -> None:
    assert store.relay_cursor("kafka") == 0
    store.set_relay_cursor("kafka", 7)
    store.set_relay_cursor("kafka", 3)
    store.set_relay_cursor("webhooks", 2)
    assert (store.relay_cursor("kafka"), store.relay_cursor("webhooks")) == (7, 2)
    store.set_relay_cursor("kafka", 9)
    assert store.relay_cursor("kafka") == 9
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError):
            store.set_relay_cursor("kafka", bad)  # type: ignore[arg-type]
    assert store.relay_cursor("kafka") == 9


def test_ping_reads_the_store(store: UsageStore) -> None:
    store.ping()


def test_reservation_counts_list_every_state(store: UsageStore, rules: Ruleset) -> None:
    zero = {"reserved": 0, "confirmed": 0, "released": 0, "expired": 0}
    assert store.reservation_counts() == zero
    for n, customer in enumerate(["a", "b", "c", "d", "e"]):
        store.reserve(f"o{n}", rules, price(rules, customer=customer),
                      ttl=dt.timedelta(minutes=n + 1), now=NOW)
    store.confirm("o4", now=NOW)
    store.release("o3", now=NOW)
    store.expire(NOW + dt.timedelta(minutes=1))
    assert store.reservation_counts() == {"reserved": 2, "confirmed": 1, "released": 1,
                                          "expired": 1}


# --------------------------------------------------------------- the shell


def test_expire_from_the_shell_prunes_and_says_how_many(location: str, tmp_path: Path,
                                                        rules: Ruleset) -> None:
    ruleset = tmp_path / "ruleset.yaml"
    from storekit import cart_data, ruleset_yaml

    ruleset.write_text(ruleset_yaml(), encoding="utf-8")
    cart = write_json(tmp_path / "cart.json", cart_data(customer="alice"))
    ok(promo("usage", "reserve", str(ruleset), cart, "--order", "o1", "--db", location,
             "--at", "2026-03-01T12:00:00Z"))
    from engine.usage import open_store

    with open_store(location) as opened:
        opened.claim_idempotency("old", "h", now=NOW - 2 * TTL)
        opened.claim_idempotency("new", "h", now=NOW)
    out = ok(promo("usage", "expire", "--db", location, "--now", "2026-03-01T12:00:00Z")).stdout
    assert out == "0 reservations expired\n1 idempotency record pruned\n"


def test_ping_of_a_store_that_lost_its_tables_is_a_store_error(store: UsageStore) -> None:
    sql(store, "DROP TABLE uses")
    sql(store, "DROP TABLE reservations")
    with pytest.raises(StoreError):
        store.ping()
