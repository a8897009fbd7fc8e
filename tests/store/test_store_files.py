"""The store file: schema version, migrations, and files that are not (writable) stores."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from storekit import NOW, make_ruleset, price

from dsl import Ruleset
from engine.usage import (
    SQLiteStore,
    StoreBusy,
    StoreError,
    StoreFileError,
    UsageStore,
)
from engine.usage import sqlite as store_module
from engine.usage.sqlite import SCHEMA_VERSION

TABLES = {"reservations", "uses", "counters", "events"}


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def files_in(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def filled_store(path: Path, rules: Ruleset) -> None:
    with SQLiteStore(path) as store:
        store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
        store.reserve("o2", rules, price(rules, customer="bob"), now=NOW)
        store.confirm("o2", now=NOW)


def every_write(store: UsageStore, rules: Ruleset) -> dict[str, object]:
    """Each writing call, to check they all fail the same way."""
    return {
        "reserve": lambda: store.reserve("o9", rules, price(rules, customer="zoe"), now=NOW),
        "confirm": lambda: store.confirm("o1", now=NOW),
        "release": lambda: store.release("o1", now=NOW),
        "expire": lambda: store.expire(NOW),
        "reconcile": lambda: store.reconcile(fix=True),
    }


# ------------------------------------------------------------------ schema


def test_a_new_store_is_created_with_its_schema(db_path: Path) -> None:
    with SQLiteStore(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.integrity_ok()
    assert tables(db_path) >= TABLES
    with SQLiteStore(db_path) as again:  # opening again migrates nothing
        assert again.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_empty_file_becomes_a_store(db_path: Path) -> None:
    db_path.write_bytes(b"")
    with SQLiteStore(db_path) as store:
        assert store.integrity_ok()
    assert tables(db_path) >= TABLES


def test_a_newer_schema_is_refused_untouched(db_path: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = files_in(tmp_path)

    for readonly in (False, True):
        with pytest.raises(StoreFileError) as caught:
            SQLiteStore(db_path, readonly=readonly)
        assert caught.value.code == "PR404"
        assert f"schema {SCHEMA_VERSION + 1}" in str(caught.value)
    assert files_in(tmp_path) == before  # not even switched to WAL


def test_an_older_schema_is_migrated_keeping_the_data(db_path: Path, rules: Ruleset,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    filled_store(db_path, rules)

    def add_note_column(db: object) -> None:
        db["reservations"].add_column("note", str)  # type: ignore[index]

    migrations = [*store_module.MIGRATIONS, add_note_column]
    monkeypatch.setattr(store_module, "MIGRATIONS", migrations)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", len(migrations))

    with pytest.raises(StoreFileError) as caught:  # read-only cannot upgrade
        SQLiteStore(db_path, readonly=True)
    assert caught.value.code == "PR402"
    with SQLiteStore(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations)
        columns = {r[1] for r in store.conn.execute("PRAGMA table_info(reservations)")}
        assert "note" in columns
        assert store.reservation("o2").state == "confirmed"
        assert store.reconcile() == []


# --------------------------------------------------------- not a store


@pytest.mark.parametrize("content", [
    os.urandom(8192),
    b"SQLite format 3\x00" + b"\xff" * 4080,   # the magic, then nonsense
    b"ruleset: not-a-database\n",
], ids=["random", "bad-header", "text"])
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path,
                                                        content: bytes) -> None:
    path = tmp_path / "usage.sqlite"
    path.write_bytes(content)
    for readonly in (False, True):
        with pytest.raises(StoreFileError) as caught:
            SQLiteStore(path, readonly=readonly)
        assert caught.value.code == "PR401"
        assert str(path) in str(caught.value)
    assert files_in(tmp_path) == {"usage.sqlite": content}


def test_a_corrupt_store_is_a_store_error_not_a_sqlite_error(db_path: Path,
                                                             rules: Ruleset) -> None:
    filled_store(db_path, rules)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'counters'").fetchone()[0]
    conn.close()
    with db_path.open("r+b") as handle:  # scribble over the counters table's root page
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)

    with SQLiteStore(db_path) as store:
        assert not store.integrity_ok()
        with pytest.raises(StoreFileError) as caught:
            store.reserve("o3", rules, price(rules, customer="carol"), now=NOW)
        assert caught.value.code == "PR401"
        with pytest.raises(StoreError):
            store.reconcile()


def test_a_missing_file_cannot_be_opened_read_only(tmp_path: Path) -> None:
    with pytest.raises(StoreFileError) as caught:
        SQLiteStore(tmp_path / "nope.sqlite", readonly=True)
    assert caught.value.code == "PR402"
    assert not (tmp_path / "nope.sqlite").exists()


def test_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(StoreFileError):
        SQLiteStore(tmp_path / "missing" / "usage.sqlite")


# ---------------------------------------------------------------- read-only


def test_read_only_store_reads_and_refuses_every_write(db_path: Path, rules: Ruleset,
                                                       tmp_path: Path) -> None:
    filled_store(db_path, rules)
    before = files_in(tmp_path)
    with SQLiteStore(db_path, readonly=True) as store:
        assert store.reservation("o1").state == "reserved"
        assert store.counter("uses", "save10") == 1
        assert store.status(rules)[0]["reserved"] == 1
        assert len(store.events()) == 6
        assert store.reconcile() == []  # reporting drift reads only
        assert store.integrity_ok()
        for name, call in every_write(store, rules).items():
            with pytest.raises(StoreFileError) as caught:
                call()  # type: ignore[operator]
            assert caught.value.code == "PR402", name
    # a WAL reader may create the -wal and -shm files; the database is as it was
    assert files_in(tmp_path)["usage.sqlite"] == before["usage.sqlite"]
    assert not files_in(tmp_path).get("usage.sqlite-wal")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod 0o444")
def test_read_only_file_and_directory(db_path: Path, rules: Ruleset, tmp_path: Path) -> None:
    filled_store(db_path, rules)
    before = files_in(tmp_path)
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [tmp_path, *tmp_path.iterdir()]}
    try:
        for p in tmp_path.iterdir():
            p.chmod(0o444)
        tmp_path.chmod(0o555)
        with pytest.raises(StoreFileError) as caught:  # WAL needs to write beside the file
            SQLiteStore(db_path)
        assert caught.value.code == "PR402"
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    assert files_in(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod 0o444")
def test_read_only_file_in_a_writable_directory(db_path: Path, rules: Ruleset) -> None:
    filled_store(db_path, rules)
    before = db_path.read_bytes()
    db_path.chmod(0o444)
    try:
        with SQLiteStore(db_path) as store:  # SQLite opens it read-only
            assert store.counter("uses", "save10") == 1
            for call in (lambda: store.reserve("o9", rules, price(rules, customer="zoe"),
                                               now=NOW),
                         lambda: store.confirm("o1", now=NOW)):
                with pytest.raises(StoreFileError) as caught:
                    call()
                assert caught.value.code == "PR402"
    finally:
        db_path.chmod(0o644)
    assert db_path.read_bytes() == before


# -------------------------------------------------------------------- busy


def locker(path: Path) -> sqlite3.Connection:
    """Another connection holding the write lock (BEGIN EXCLUSIVE) with a write pending."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("UPDATE counters SET used = used + 100")
    return conn


def test_a_locked_store_is_busy_for_every_write(db_path: Path, rules: Ruleset) -> None:
    filled_store(db_path, rules)
    with SQLiteStore(db_path) as reference:
        was = (reference.counters(), reference.events(),
               reference.conn.execute("SELECT * FROM reservations").fetchall())
    other = locker(db_path)
    try:
        with SQLiteStore(db_path, timeout_ms=100) as store:
            for name, call in every_write(store, rules).items():
                with pytest.raises(StoreBusy) as caught:
                    call()  # type: ignore[operator]
                assert caught.value.code == "PR403", name
                assert "locked" in str(caught.value)
            # reads, and a reconcile that only reports, see the last commit (WAL)
            assert store.counter("uses", "save10") == 1
            assert store.reconcile() == []
    finally:
        other.execute("ROLLBACK")
        other.close()
    with SQLiteStore(db_path) as store:  # nothing half-written
        assert (store.counters(), store.events(),
                store.conn.execute("SELECT * FROM reservations").fetchall()) == was
        assert store.reconcile() == []
        store.reserve("o9", rules, price(rules, customer="zoe"), now=NOW)  # usable again


def test_a_store_locked_while_being_created_is_busy(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)  # rollback journal, not WAL yet
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("CREATE TABLE other (x)")
    try:
        with pytest.raises(StoreBusy) as caught:
            SQLiteStore(db_path, timeout_ms=100)
        assert caught.value.code == "PR403"
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert tables(db_path) == set()
    with SQLiteStore(db_path) as store:  # once free, the store is created in the empty file
        assert store.integrity_ok()
    assert tables(db_path) >= TABLES


# -------------------------------------------------------------------- full


def test_a_full_database_is_a_clear_error_and_nothing_half_written(db_path: Path) -> None:
    rules = make_ruleset("""\
        - id: auto
          effect: { percent_off: 5 }
        - id: code
          coupon: CODE
          effect: { amount_off: "1.00" }
        """)
    with SQLiteStore(db_path) as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(StoreError) as caught:
            for n in range(10_000):
                store.reserve(f"o{n}", rules, price(rules, customer=f"c{n}", coupons=["CODE"]),
                              now=NOW)
        # SQLite rolled the transaction back itself; the error says what happened
        assert caught.value.code == "PR405"
        assert "the disk is full" in str(caught.value)
        assert "nothing was written" in str(caught.value)
        assert not store.conn.in_transaction
        refused = f"o{n}"
        with pytest.raises(StoreError):
            store.reservation(refused)
        assert store.reconcile() == [] and store.integrity_ok()
        assert store.conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0] == n
