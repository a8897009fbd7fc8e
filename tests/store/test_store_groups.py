"""Groups: units of several callers committed as one transaction (group commit).

The service runs the store work of the requests at hand in one group on its
loop: each unit is a savepoint, undone alone when it raises, and one commit
writes them all, or none of them.  A group never waits for a lock, and it
refuses to go on once an error has rolled its whole transaction back.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from storekit import NOW, committed_keys, sql, write_lock_held

from engine.usage import SQLiteStore, StoreError, UsageStore, open_store
from engine.usage.store import StoreDiskFault, WouldWait


def claim(key: str) -> Any:
    return lambda inside: inside.claim_idempotency(key, "h", now=NOW).state


def statements(store: Any) -> list[str]:
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    return seen


def test_a_group_commits_its_units_together_once(db_path: Path) -> None:
    with open_store(db_path) as store:
        assert isinstance(store, SQLiteStore)
        seen = statements(store)
        store.open_group()
        assert store.in_group(claim("k1")) == "claimed"
        assert store.in_group(claim("k2")) == "claimed"
        # a unit sees the units of its group before it
        assert store.in_group(claim("k1")) == "running"
        assert committed_keys(db_path) == []  # nothing is seen before the commit
        store.close_group()
        assert committed_keys(db_path) == ["k1", "k2"]
        assert [s for s in seen if s.startswith(("BEGIN", "COMMIT"))] == \
            ["BEGIN IMMEDIATE", "COMMIT"]


def test_a_unit_that_raises_in_a_group_is_undone_alone(db_path: Path) -> None:
    with open_store(db_path) as store:
        assert isinstance(store, SQLiteStore)

        def refused(inside: UsageStore) -> None:
            inside.claim_idempotency("k2", "h", now=NOW)
            raise LookupError("refused after writing")

        store.open_group()
        store.in_group(claim("k1"))
        with pytest.raises(LookupError):
            store.in_group(refused)
        store.in_group(claim("k3"))
        store.close_group()
        assert committed_keys(db_path) == ["k1", "k3"]


def test_a_group_never_waits_for_another_connections_write_lock(db_path: Path) -> None:
    with open_store(db_path) as store, open_store(db_path) as other:
        assert isinstance(store, SQLiteStore)
        with write_lock_held(other), pytest.raises(WouldWait):
            store.open_group()
        store.unit(claim("k1"), wait=False)  # the connection was left free
        assert committed_keys(db_path) == ["k1"]


def test_a_group_opens_neither_inside_a_unit_nor_inside_a_group(db_path: Path) -> None:
    with open_store(db_path) as store:
        assert isinstance(store, SQLiteStore)
        with pytest.raises(StoreError, match="inside a unit"):
            store.unit(lambda inside: inside.open_group())
        with pytest.raises(StoreError, match="no group is open"):
            store.in_group(claim("k1"))
        store.open_group()
        with pytest.raises(StoreError, match="inside a unit"):
            store.open_group()
        store.in_group(claim("k1"))
        store.close_group()
        assert committed_keys(db_path) == ["k1"]


def test_a_group_rolled_back_whole_refuses_its_next_units_and_its_commit(
        db_path: Path) -> None:
    """Some errors (a full disk) roll back the whole transaction: a unit run after would
    otherwise run outside any, committed alone."""
    with open_store(db_path) as store:
        assert isinstance(store, SQLiteStore)

        def rolled_back(inside: Any) -> None:
            inside.claim_idempotency("k2", "h", now=NOW)
            inside.conn.execute("ROLLBACK")  # as SQLite does after such an error

        store.open_group()
        store.in_group(claim("k1"))
        with pytest.raises(StoreError):
            store.in_group(rolled_back)
        with pytest.raises(StoreError, match="rolled back"):
            store.in_group(claim("k3"))
        with pytest.raises(StoreError, match="rolled back"):
            store.close_group()
        assert committed_keys(db_path) == []
        store.unit(claim("k4"), wait=False)  # the connection was left free
        assert committed_keys(db_path) == ["k4"]


def test_a_commit_that_fails_writes_nothing_of_the_group(db_path: Path) -> None:
    with open_store(db_path) as store:
        assert isinstance(store, SQLiteStore)

        def breaks_the_commit(inside: Any) -> None:
            # a foreign key checked at the commit, not at the statement
            inside.conn.execute("PRAGMA defer_foreign_keys = ON")
            inside.conn.execute("INSERT INTO uses (order_ref, promotion, customer, "
                                "amount_minor) VALUES ('no-such-order', 'p', 'c', 1)")

        store.open_group()
        store.in_group(claim("k1"))
        store.in_group(breaks_the_commit)
        with pytest.raises(StoreError):
            store.close_group()
        assert committed_keys(db_path) == []
        assert sql(store, "SELECT COUNT(*) FROM uses") == [(0,)]
        store.unit(claim("k2"), wait=False)
        assert committed_keys(db_path) == ["k2"]


def test_after_a_full_disk_rolled_the_group_back_no_call_writes_alone(db_path: Path) -> None:
    """SQLite rolls the whole transaction back on a full disk: a unit that catches the
    error and writes again is refused as the disk was, not committed on its own."""
    with open_store(db_path) as store:
        assert isinstance(store, SQLiteStore)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        refused: list[Exception] = []

        def fills_the_disk_then_writes(inside: UsageStore) -> None:
            inside.claim_idempotency("k2", "h", now=NOW)
            try:
                inside.finish_idempotency("k2", 200, b"x" * 200_000, "text/plain", now=NOW)
            except StoreDiskFault:
                try:
                    inside.claim_idempotency("k3", "h", now=NOW)
                except StoreError as err:
                    refused.append(err)
                raise

        store.open_group()
        store.in_group(claim("k1"))
        with pytest.raises(StoreDiskFault):
            store.in_group(fills_the_disk_then_writes)
        assert [type(err) for err in refused] == [StoreDiskFault]
        assert "rolled back this transaction whole" in str(refused[0])
        with pytest.raises(StoreDiskFault, match="disk is full"):
            store.close_group()
        assert committed_keys(db_path) == []
        store.conn.execute("PRAGMA max_page_count = 1073741823")
        store.unit(claim("k4"), wait=False)
        assert committed_keys(db_path) == ["k4"]


def test_a_group_is_its_threads(db_path: Path) -> None:
    with open_store(db_path) as store:
        assert isinstance(store, SQLiteStore)
        store.open_group()
        errors: list[Exception] = []

        def elsewhere() -> None:
            for call in (lambda: store.in_group(claim("k1")), store.close_group):
                try:
                    call()
                except StoreError as err:
                    errors.append(err)

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        assert [err.message for err in errors] == ["the open group is another thread's"] * 2
        store.in_group(claim("k2"))
        store.close_group()
        assert committed_keys(db_path) == ["k2"]
