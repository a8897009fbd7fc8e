"""The PostgreSQL backend as such: chosen by URL, its schema versions, its outbox, and
each failure of a server — a typed store error with its code, nothing half-written,
no traceback from the command line.

(The store's behaviour, the same on both backends, is tested by every module here
through the parametrised ``store`` fixture.)
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pgcluster import Server, in_schema
from psycopg import errors
from storekit import NOW, cart_data, ok, price, promo, ruleset_yaml, sql, usage_error, write_json

from dsl import Ruleset
from engine.usage import (
    StoreConflict,
    StoreConnectionLost,
    StoreFileError,
    StoreLocationError,
    StoreMissing,
    StorePoolExhausted,
    StoreReadOnly,
    StoreTimeout,
    StoreUnreachable,
    open_store,
    pgschema,
)
from engine.usage import events as ev
from engine.usage.postgres import PostgresStore


@pytest.fixture
def url(pg_server: Server) -> str:
    """A new, empty schema: where a store may be made."""
    return pg_server.new_schema()


@pytest.fixture
def shell(tmp_path: Path, url: str) -> dict[str, str]:
    (tmp_path / "ruleset.yaml").write_text(ruleset_yaml(), encoding="utf-8")
    return {"ruleset": str(tmp_path / "ruleset.yaml"), "db": url,
            "cart": write_json(tmp_path / "alice.json",
                               cart_data(customer="alice", coupons=["SAVE10"]))}


def admin(pg_server: Server) -> psycopg.Connection[Any]:
    return psycopg.connect(pg_server.base, autocommit=True)


# ----------------------------------------------------------- locations


def test_a_url_opens_postgresql_and_a_path_sqlite(url: str, tmp_path: Path) -> None:
    with open_store(url) as store:
        assert isinstance(store, PostgresStore)
    with open_store(url.replace("postgresql://", "postgres://", 1)) as store:
        assert isinstance(store, PostgresStore)
    with open_store(tmp_path / "usage.sqlite") as store:
        assert type(store).__name__ == "SQLiteStore"


def test_another_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreLocationError) as caught:
        open_store("mysql://root@localhost/usage")
    assert caught.value.code == "PR420"
    assert list(tmp_path.iterdir()) == []


def test_the_environment_selects_postgresql(shell: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMO_USAGE_DB", shell["db"])
    ok(promo("usage", "reserve", shell["ruleset"], shell["cart"], "--order", "o1"))
    assert "o1: confirmed" in ok(promo("usage", "confirm", "o1")).stdout
    with open_store(shell["db"]) as store:
        assert store.reservation("o1").state == "confirmed"


def test_every_command_without_a_store_there_is_refused_and_creates_none(
        shell: dict[str, str]) -> None:
    for args in (["usage", "status", shell["ruleset"]], ["usage", "events"],
                 ["usage", "confirm", "o1"], ["usage", "expire"], ["usage", "reconcile"],
                 ["eval", shell["ruleset"], shell["cart"]]):
        assert "no usage store" in usage_error(promo(*args, "--db", shell["db"]), "PR402")
    with pytest.raises(StoreMissing):
        open_store(shell["db"], readonly=True)


# ------------------------------------------------------------- schema


def test_a_schema_1_store_is_upgraded_in_place(url: str, rules: Ruleset) -> None:
    with psycopg.connect(url) as conn:
        pgschema.prepare(conn, url, readonly=False, create=True, upto=1)
        conn.execute("INSERT INTO counters (scope, key, used) VALUES ('uses', 'auto5', 1)")
        conn.execute("INSERT INTO reservations VALUES ('o1', 'store-test', 'USD', 2, 'alice', "
                     "'reserved', 'v2:x', now(), now() + interval '15 minutes', NULL)")
        conn.execute("INSERT INTO uses VALUES ('o1', 'auto5', NULL, 'alice', 500)")
        conn.commit()
    with pytest.raises(StoreReadOnly):
        open_store(url, readonly=True)
    with open_store(url) as store:
        assert sql(store, "SELECT version FROM promorules_schema") == [
            (pgschema.SCHEMA_VERSION,)]
        assert store.counter("uses", "auto5") == 1
        assert store.reservation("o1").state == "reserved"
        assert store.claim_idempotency("k", "h", now=NOW).state == "claimed"
        store.reserve("o2", rules, price(rules, customer="bob"), now=NOW)
        assert store.counter("uses", "auto5") == 2


def test_a_newer_schema_is_refused_untouched(url: str) -> None:
    open_store(url).close()
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE promorules_schema SET version = version + 1")
    for readonly in (False, True):
        with pytest.raises(StoreFileError) as caught:
            open_store(url, readonly=readonly)
        assert caught.value.code == "PR404"
        assert f"schema {pgschema.SCHEMA_VERSION + 1}" in str(caught.value)


def test_tables_that_are_not_a_store_are_refused(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE reservations (id integer)")
    with pytest.raises(StoreFileError) as caught:
        open_store(url)
    assert caught.value.code == "PR401"


def test_a_read_only_store_refuses_writes(url: str, rules: Ruleset) -> None:
    open_store(url).close()
    with open_store(url, readonly=True) as store:
        assert store.reservation_counts()["reserved"] == 0
        with pytest.raises(StoreReadOnly) as caught:
            store.reserve("o1", rules, price(rules, customer="alice"), now=NOW)
        assert caught.value.code == "PR402"


# --------------------------------------------------------------- outbox


def test_a_relay_never_reads_past_an_event_not_yet_committed(url: str) -> None:
    """Ids are drawn before commit: the reader waits for the transaction holding a lower
    id, so it never hands out a higher one first (and skips the lower for good)."""
    with open_store(url) as store, open_store(url) as other:
        drawn, release = threading.Event(), threading.Event()

        def slow(tx: Any) -> None:  # draws an id, then waits before committing
            store._insert_events(tx, [("promotion_reserved", 1, NOW, "slow", '{"n": 1}')])
            tx.execute("SELECT 1").fetchall()  # the insert has run on the server
            drawn.set()
            release.wait(10)

        writer = threading.Thread(target=store._atomic, args=(slow,))
        writer.start()
        assert drawn.wait(10)
        other._atomic(lambda tx: other._insert_events(
            tx, [("promotion_reserved", 1, NOW, "fast", '{"n": 2}')]))  # a higher id, committed
        read: list[list[dict[str, Any]]] = []
        reader = threading.Thread(target=lambda: read.append(other.events()))
        reader.start()
        time.sleep(0.3)
        assert read == []  # waiting for the slow writer
        release.set()
        writer.join(10)
        reader.join(10)
        assert [e["n"] for e in read[0]] == [1, 2]


# ------------------------------------------------------------- failures


def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    gone = f"postgresql://promo:s3cret@/promotest?host={tmp_path}&connect_timeout=2"
    with pytest.raises(StoreUnreachable) as caught:
        open_store(gone)
    assert caught.value.code == "PR421" and "s3cret" not in str(caught.value)


def test_an_unknown_database_is_a_store_error(pg_server: Server) -> None:
    with pytest.raises(StoreUnreachable) as caught:
        open_store(pg_server.base.replace("/promotest?", "/no_such_db?"))
    assert "no_such_db" in str(caught.value)


def test_the_command_line_says_so_without_a_traceback(shell: dict[str, str],
                                                      tmp_path: Path) -> None:
    gone = f"postgresql://promo:s3cret@/promotest?host={tmp_path}&connect_timeout=2"
    for args in (["usage", "reserve", shell["ruleset"], shell["cart"], "--order", "o1"],
                 ["usage", "status", shell["ruleset"]], ["eval", shell["ruleset"],
                                                         shell["cart"]]):
        assert "s3cret" not in usage_error(promo(*args, "--db", gone), "PR421")
    usage_error(promo("usage", "events", "--db", "mysql://x/y"), "PR420")


def test_a_connection_lost_mid_transaction_writes_nothing(url: str, pg_server: Server,
                                                          rules: Ruleset,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    real = ev.payload

    def killing(kind: str, **fields: Any) -> dict[str, Any]:
        if kind == "coupon_applied":  # the reservation, uses and counters are written
            with admin(pg_server) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                             "datname = current_database() AND pid <> pg_backend_pid() AND "
                             "backend_xid IS NOT NULL")  # the transaction that has written
        return real(kind, **fields)

    with open_store(url) as store:
        monkeypatch.setattr(ev, "payload", killing)
        with pytest.raises(StoreConnectionLost) as caught:
            store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]),
                          now=NOW)
        assert caught.value.code == "PR422" and "rolled back" in str(caught.value)
        monkeypatch.setattr(ev, "payload", real)
        # nothing of it was committed, and the store goes on (on a new connection)
        assert store.reservation_counts()["reserved"] == 0
        assert store.counters() == {} and store.events() == []
        store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
        assert store.reconcile() == []


def test_a_server_restarted_under_an_open_store(url: str, pg_server: Server,
                                                rules: Ruleset) -> None:
    if pg_server.cluster is None:
        pytest.skip("an external server is not ours to restart")
    with open_store(url, pool_size=2) as store:
        store.reserve("o1", rules, price(rules, customer="alice"), now=NOW)
        pg_server.cluster.pg_ctl("restart")
        # the pooled connections died idle: each unit of work gets a fresh one
        assert store.reservation("o1").state == "reserved"
        store.confirm("o1", now=NOW)
        assert store.reconcile() == []


def test_a_statement_past_the_timeout_is_cancelled(url: str, rules: Ruleset) -> None:
    open_store(url).close()
    with open_store(url, statement_timeout_ms=200) as store, psycopg.connect(url) as holder:
        store.reserve("o0", rules, price(rules, customer="bob"), now=NOW)
        holder.execute("SELECT * FROM counters WHERE scope = 'uses' AND key = 'auto5' "
                       "FOR UPDATE")  # held until holder commits
        with pytest.raises(StoreTimeout) as caught:
            store.reserve("o1", rules, price(rules, customer="alice"), now=NOW)
        assert caught.value.code == "PR424"
        holder.rollback()
        assert store.reservation_counts()["reserved"] == 1  # o1 left nothing behind
        assert store.reconcile() == []


def test_an_exhausted_pool_is_a_store_error(url: str) -> None:
    with open_store(url, pool_size=1, pool_timeout=0.3) as store, store.pool.connection():
        with pytest.raises(StorePoolExhausted) as caught:
            store.ping()
        assert caught.value.code == "PR425"


def test_serialization_failures_are_retried_then_refused(url: str) -> None:
    with open_store(url, retries=3) as store:
        runs = []

        def flaky(tx: Any) -> str:
            runs.append(1)
            tx.execute("INSERT INTO relay_cursors (name, event_id) VALUES (?, ?)",
                       (f"r{len(runs)}", len(runs)))
            if len(runs) < 3:
                raise errors.SerializationFailure("could not serialize access")
            return "done"

        assert store._atomic(flaky) == "done" and len(runs) == 3
        assert sql(store, "SELECT name FROM relay_cursors") == [("r3",)]  # the others rolled back

        def hopeless(tx: Any) -> None:
            raise errors.DeadlockDetected("deadlock detected")

        with pytest.raises(StoreConflict) as caught:
            store._atomic(hopeless)
        assert caught.value.code == "PR423"


def test_a_real_deadlock_is_retried(url: str) -> None:
    """Two transactions lock two rows in opposite orders: the server kills one (after its
    deadlock timeout), and that one runs again and succeeds."""
    open_store(url).close()
    with open_store(url) as first, open_store(url) as second:
        first.set_relay_cursor("a", 1)
        first.set_relay_cursor("b", 1)
        barrier = threading.Barrier(2)
        runs = {"ab": 0, "ba": 0}

        def both(order: str) -> Any:
            def work(tx: Any) -> None:
                runs[order] += 1
                for n, name in enumerate(order):
                    assert tx.execute("UPDATE relay_cursors SET event_id = event_id + 1 "
                                      "WHERE name = ?", (name,)).rowcount == 1  # row held
                    if n == 0 and runs[order] == 1:
                        barrier.wait(10)
            return work

        threads = [threading.Thread(target=store._atomic, args=(both(order),))
                   for store, order in ((first, "ab"), (second, "ba"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(runs.values()) == [1, 2]
        assert (first.relay_cursor("a"), first.relay_cursor("b")) == (3, 3)


def test_a_url_with_its_own_options_keeps_them(pg_server: Server) -> None:
    schema = pg_server.new_schema().rsplit("search_path%3D", 1)[1]
    with open_store(in_schema(pg_server.base, schema)) as store:
        assert sql(store, "SELECT current_schema()") == [(schema,)]
        assert sql(store, "SELECT current_setting('statement_timeout')") == [("5s",)]
