"""Schema versions: a store written by an earlier version is upgraded in place, keeping
everything it holds, and works as a new one does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from storekit import NOW, price

from dsl import Ruleset
from engine.usage import SQLiteStore, StoreFileError
from engine.usage import sqlite as sqlite_backend

V1_ROWS = {
    "reservations": [("o1", "store-test", "USD", 2, "alice", "reserved", "v2:x",
                      "2026-03-01T12:00:00.000000+00:00", "2026-03-01T12:15:00.000000+00:00",
                      None)],
    "uses": [("o1", "auto5", None, "alice", 500)],
    "counters": [("uses", "auto5", 1), ("per_customer", "auto5\x1falice", 1),
                 ("budget", "auto5", 500)],
    "events": [(1, "promotion_reserved", 1, "2026-03-01T12:00:00.000000+00:00", "o1",
                '{"event": "promotion_reserved"}')],
}


def schema_1_store(path: Path) -> None:
    """A store as the first schema wrote it: one reservation of auto5 for alice."""
    conn = sqlite3.connect(path)
    sqlite_backend.MIGRATIONS[0](sqlite_utils.Database(conn))
    for table, rows in V1_ROWS.items():
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_a_schema_1_store_is_upgraded_in_place(db_path: Path, rules: Ruleset) -> None:
    schema_1_store(db_path)
    with pytest.raises(StoreFileError) as caught:  # reading cannot upgrade it
        SQLiteStore(db_path, readonly=True)
    assert caught.value.code == "PR402"

    with SQLiteStore(db_path) as store:
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == sqlite_backend.SCHEMA_VERSION >= 2
        assert store.reservation("o1").state == "reserved"
        assert store.counters() == {("uses", "auto5"): 1, ("per_customer", "auto5\x1falice"): 1,
                                    ("budget", "auto5"): 500}
        assert store.reconcile() == []
        assert [e["id"] for e in store.events()] == [1]
        # what schema 2 added works
        assert store.claim_idempotency("k", "h", now=NOW).state == "claimed"
        store.set_relay_cursor("relay", 1)
        # and the store goes on as a new one would
        store.confirm("o1", now=NOW)
        store.reserve("o2", rules, price(rules, customer="bob"), now=NOW)
        assert store.counter("uses", "auto5") == 2
        assert store.reconcile() == []
        assert [e["id"] for e in store.events()][:2] == [1, 2]
    with SQLiteStore(db_path, readonly=True) as store:  # upgraded: reading works now
        assert store.relay_cursor("relay") == 1
