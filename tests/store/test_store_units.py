"""Units: several store calls as one transaction (how the service runs a request's work).

On SQLite every call in a unit joins its transaction, a call that writes as a
savepoint: the claim of an idempotency key, the limits read while pricing and
the transition with its stored reply commit together or not at all, and a
refused transition is undone alone.  ``wait=False`` never waits for a lock:
it says ``WouldWait`` having done nothing.  PostgreSQL keeps one transaction
per call (a unit only groups them) and always says ``WouldWait`` without
waiting, so the service runs its work on the store's thread.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from storekit import NOW, keys, make_ruleset, price, sql, write_lock_held

from engine.usage import (
    IdempotencyUnclaimed,
    IdempotentResponse,
    LimitReached,
    Reservation,
    SQLiteStore,
    StoreError,
    UsageStore,
    open_store,
)
from engine.usage.store import WouldWait


def answer(reservation: Reservation) -> tuple[int, bytes, str]:
    return 200, f"{reservation.order_ref}:{reservation.state}".encode(), "text/plain"


def test_a_unit_commits_the_claim_the_transition_and_the_reply(store: UsageStore) -> None:
    rules = make_ruleset()

    def work(inside: UsageStore) -> Reservation:
        assert inside.claim_idempotency("k1", "h1", now=NOW).state == "claimed"
        assert inside.counter("uses", "auto5") == 0  # a read in the unit
        return inside.reserve("o1", rules, price(rules), now=NOW,
                              idempotency=IdempotentResponse("k1", answer))

    held = store.unit(work)
    assert held.state == "reserved"
    assert keys(store) == [("k1", "done", 200)]
    assert store.counter("uses", "auto5") == 1
    assert store.claim_idempotency("k1", "h1", now=NOW).body == b"o1:reserved"


def test_an_error_out_of_a_unit_undoes_every_call_in_it(db_path: Path) -> None:
    rules = make_ruleset()
    with open_store(db_path) as store:
        def work(inside: UsageStore) -> None:
            inside.claim_idempotency("k1", "h1", now=NOW)
            inside.reserve("o1", rules, price(rules), now=NOW)
            raise RuntimeError("the reply could not be built")

        with pytest.raises(RuntimeError):
            store.unit(work)
        assert keys(store) == []
        assert store.counters() == {} or set(store.counters().values()) == {0}
        assert sql(store, "SELECT COUNT(*) FROM reservations") == [(0,)]


def test_a_refused_call_in_a_unit_is_undone_alone(db_path: Path) -> None:
    """The claim stays and the refusal is stored with it; the refused reserve left nothing
    (its savepoint rolled back), though it had taken some counters before the one that
    refused."""
    rules = make_ruleset()
    with open_store(db_path) as store:
        for n in range(3):  # save10 allows 3 uses: the fourth is refused
            store.reserve(f"o{n}", rules, price(rules, customer=f"c{n}", coupons=["SAVE10"]
                                                 if n < 2 else ["SPRING10"]), now=NOW)
        before = store.counters()

        def work(inside: UsageStore) -> None:
            inside.claim_idempotency("k1", "h1", now=NOW)
            try:
                inside.reserve("o9", rules, price(rules, customer="c9",
                                                  coupons=["SPRING10"]), now=NOW)
            except LimitReached:
                inside.finish_idempotency("k1", 409, b"refused", "text/plain", now=NOW)

        store.unit(work)
        assert store.counters() == before
        assert keys(store) == [("k1", "done", 409)]
        assert sql(store, "SELECT COUNT(*) FROM reservations WHERE order_ref = 'o9'") == [(0,)]


def test_a_unit_that_only_reads_cannot_write(db_path: Path) -> None:
    with open_store(db_path) as store:
        with pytest.raises(StoreError, match="cannot write"):
            store.unit(lambda inside: inside.claim_idempotency("k1", "h1"), write=False)
        assert keys(store) == []
        assert store.unit(lambda inside: inside.counter("uses", "x"), write=False) == 0


def test_a_unit_in_a_unit_is_the_same_transaction(db_path: Path) -> None:
    with open_store(db_path) as store:
        def inner(inside: UsageStore) -> None:
            inside.claim_idempotency("k2", "h2", now=NOW)
            raise LookupError("inner")

        def outer(inside: UsageStore) -> None:
            inside.claim_idempotency("k1", "h1", now=NOW)
            with pytest.raises(LookupError):
                inside.unit(inner)  # undone alone, as a call is

        store.unit(outer)
        assert keys(store) == [("k1", "running", None)]


def test_without_wait_a_taken_write_lock_is_would_wait_at_once(db_path: Path) -> None:
    with open_store(db_path) as store, open_store(db_path) as other:
        assert isinstance(store, SQLiteStore)
        with write_lock_held(other):
            with pytest.raises(WouldWait):
                store.unit(lambda inside: inside.claim_idempotency("k1", "h1"), wait=False)
            # reading needs no write lock (WAL)
            assert store.unit(lambda inside: inside.counter("uses", "x"), write=False,
                              wait=False) == 0
        assert keys(store) == []
        # the busy timeout is back: a waiting unit still waits for a lock
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == store.timeout_ms
        store.unit(lambda inside: inside.claim_idempotency("k1", "h1"), wait=False)
        assert [k for k, _, _ in keys(store)] == ["k1"]


def test_writes_without_wait_set_the_busy_timeout_once(db_path: Path) -> None:
    """A run of writes on the service's loop turns SQLite's busy handler off once; a read,
    a waiting write and an integrity check turn it back on before they run."""
    def timeout(store: Any) -> int:
        return int(store.conn.execute("PRAGMA busy_timeout").fetchone()[0])

    with open_store(db_path) as store, open_store(db_path) as other:
        assert isinstance(store, SQLiteStore)
        pragmas: list[str] = []
        store.conn.set_trace_callback(
            lambda statement: pragmas.append(statement) if "busy_timeout" in statement
            else None)
        for k in range(3):
            store.unit(lambda inside, k=k: inside.claim_idempotency(f"k{k}", "h"), wait=False)
        assert pragmas == ["PRAGMA busy_timeout = 0"]
        assert timeout(store) == 0
        store.unit(lambda inside: inside.counter("uses", "x"), write=False, wait=False)
        assert timeout(store) == store.timeout_ms
        store.unit(lambda inside: inside.claim_idempotency("k3", "h"), wait=False)
        assert timeout(store) == 0
        assert store.integrity_ok()
        assert timeout(store) == store.timeout_ms
        store.unit(lambda inside: inside.claim_idempotency("k4", "h"), wait=False)

        # a waiting write waits for another connection's write lock, with the handler on
        with write_lock_held(other) as release:
            threading.Timer(0.2, release.set).start()
            store.unit(lambda inside: inside.claim_idempotency("k5", "h"))
        assert [k for k, _, _ in keys(store)] == [f"k{k}" for k in range(6)]


def test_without_wait_a_connection_in_use_by_another_thread_is_would_wait(
        db_path: Path) -> None:
    with open_store(db_path) as store:
        assert isinstance(store, SQLiteStore)
        inside, leave = threading.Event(), threading.Event()

        def busy(_: UsageStore) -> None:
            inside.set()
            leave.wait(30)

        worker = threading.Thread(target=lambda: store.unit(busy, write=False))
        worker.start()
        try:
            assert inside.wait(30)
            with pytest.raises(WouldWait):
                store.unit(lambda s: s.counter("uses", "x"), write=False, wait=False)
        finally:
            leave.set()
            worker.join()


def test_postgres_never_runs_a_unit_without_waiting(backend: str, store: UsageStore) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite runs units without waiting (the tests above)")
    with pytest.raises(WouldWait):
        store.unit(lambda inside: inside.counter("uses", "x"), wait=False)
    assert store.unit(lambda inside: inside.counter("uses", "x")) == 0


def test_a_refused_one_statement_call_leaves_the_unit_as_it_was(db_path: Path) -> None:
    """``finish`` of a key never claimed writes nothing and says so; the unit goes on."""
    with open_store(db_path) as store:
        def work(inside: UsageStore) -> None:
            inside.claim_idempotency("k1", "h1", now=NOW)
            with pytest.raises(IdempotencyUnclaimed):
                inside.finish_idempotency("k2", 200, b"x", "text/plain", now=NOW)
            inside.finish_idempotency("k1", 200, b"ok", "text/plain", now=NOW)

        store.unit(work)
        assert keys(store) == [("k1", "done", 200)]
