"""Faults of the store's file, each named by its own code, and read-only use that works.

Every error here is a real SQLite error met on a real file: a read-only
connection written to, a database at its page limit (``SQLITE_FULL``), a
``-shm`` index that SQLite cannot open (a FIFO: "disk I/O error", as on a
nearly full disk; a dangling link: "unable to open database file", as in a
read-only directory or file system; a directory: SQLite falls back to a
read-only connection).  Root writes through ``chmod``, so the tests that
need a read-only file for real skip under root; where a test needs the
answer a read-only file system gives ``os.access`` (root included), it says so.

Regression: a read-only store said PR401 "not a usage store" for every
command, reads included; a full disk at open said "disk I/O error" as PR401.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from storekit import (
    NOW,
    cart_data,
    listing,
    ok,
    price,
    promo,
    rows,
    ruleset_yaml,
    usage_error,
    write_json,
)

from dsl import Ruleset
from engine.usage import (
    SQLiteStore,
    StoreDiskFault,
    StoreFileError,
    StoreReadOnly,
    StoreUnopenable,
)
from engine.usage import files as store_files
from engine.usage.files import fault

AT = "2026-03-01T12:00:00+00:00"
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


def filled(path: Path, rules: Ruleset) -> None:
    """o1 reserved (auto5, save10), o2 confirmed (auto5); closed, so no -wal or -shm."""
    with SQLiteStore(path) as store:
        store.reserve("o1", rules, price(rules, customer="alice", coupons=["SAVE10"]), now=NOW)
        store.reserve("o2", rules, price(rules, customer="bob"), now=NOW)
        store.confirm("o2", now=NOW)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def raised(call: Callable[[], object]) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        call()
    return caught.value


def shm_fifo(path: Path) -> None:
    """A FIFO where SQLite makes its -shm index: a real "disk I/O error" on every open."""
    os.mkfifo(f"{path}-shm")


def shm_dangling(path: Path) -> None:
    """A dangling link where SQLite makes its -shm index: it cannot be opened (CANTOPEN),
    as where SQLite may not create it (a read-only directory or file system)."""
    os.symlink(path.parent / "nowhere", f"{path}-shm")


def shm_directory(path: Path) -> None:
    """A directory where SQLite makes its -shm index: SQLite opens the store read-only."""
    os.mkdir(f"{path}-shm")


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


# ------------------------------------------------------ classifying real errors


def test_a_write_on_a_read_only_connection(db_path: Path, rules: Ruleset) -> None:
    filled(db_path, rules)
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    err = raised(lambda: conn.execute("UPDATE counters SET used = used + 1"))
    conn.close()
    assert err.sqlite_errorname == "SQLITE_READONLY"  # type: ignore[attr-defined]
    error = fault(str(db_path), err)
    assert isinstance(error, StoreReadOnly) and error.code == "PR402"
    text = str(error)
    assert f"{db_path}: the usage store is read-only" in text
    assert "nothing was written" in text and "not a usage store" not in text


def test_a_full_database(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE t (x)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    err = raised(lambda: conn.execute("INSERT INTO t VALUES (randomblob(100000))"))
    conn.close()
    assert err.sqlite_errorname == "SQLITE_FULL"  # type: ignore[attr-defined]
    error = fault(str(db_path), err)
    assert isinstance(error, StoreDiskFault) and error.code == "PR405"
    assert f"{db_path}: the disk is full" in str(error)
    assert "nothing was written" in str(error)


@needs_fifo
def test_a_disk_io_error(db_path: Path, rules: Ruleset) -> None:
    filled(db_path, rules)
    shm_fifo(db_path)
    conn = sqlite3.connect(db_path)
    err = raised(lambda: conn.execute("PRAGMA user_version").fetchone())
    conn.close()
    assert str(err) == "disk I/O error"
    assert err.sqlite_errorname.startswith("SQLITE_IOERR")  # type: ignore[attr-defined]
    error = fault(str(db_path), err)
    assert isinstance(error, StoreDiskFault) and error.code == "PR405"
    assert "the disk is full or failing" in str(error) and "not a usage store" not in str(error)


def test_a_file_that_cannot_be_opened(db_path: Path, rules: Ruleset,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    filled(db_path, rules)
    shm_dangling(db_path)
    conn = sqlite3.connect(db_path)
    err = raised(lambda: conn.execute("PRAGMA user_version").fetchone())
    conn.close()
    assert err.sqlite_errorname == "SQLITE_CANTOPEN"  # type: ignore[attr-defined]
    error = fault(str(db_path), err)  # where this process may write: the -shm is at fault
    assert isinstance(error, StoreUnopenable) and error.code == "PR406"
    assert "-wal/-shm" in str(error)
    # where it may not (on a read-only file system os.access says so, for root too)
    monkeypatch.setattr(store_files, "_writable", lambda path: False)
    error = fault(str(db_path), err)
    assert isinstance(error, StoreReadOnly) and error.code == "PR402"
    assert "read-only" in str(error)


def test_not_sqlite_is_still_not_a_usage_store(db_path: Path) -> None:
    db_path.write_bytes(b"ruleset: no\n" * 400)
    conn = sqlite3.connect(db_path)
    err = raised(lambda: conn.execute("PRAGMA user_version").fetchone())
    conn.close()
    error = fault(str(db_path), err)
    assert type(error) is StoreFileError and error.code == "PR401"


# -------------------------------------------------------------- from the shell


@pytest.fixture
def shell(tmp_path: Path, rules: Ruleset) -> Iterator[dict[str, str]]:
    (tmp_path / "ruleset.yaml").write_text(ruleset_yaml(), encoding="utf-8")
    stores = tmp_path / "stores"
    stores.mkdir()
    filled(stores / "usage.sqlite", rules)
    yield {"ruleset": str(tmp_path / "ruleset.yaml"), "db": str(stores / "usage.sqlite"),
           "carol": write_json(tmp_path / "carol.json", cart_data(customer="carol")),
           "alice": write_json(tmp_path / "alice.json",
                               cart_data(customer="alice", coupons=["SAVE10"]))}


def writes(shell: dict[str, str]) -> dict[str, list[str]]:
    return {
        "reserve": ["usage", "reserve", shell["ruleset"], shell["carol"], "--order", "o3",
                    "--at", AT],
        "confirm": ["usage", "confirm", "o1"],
        "release": ["usage", "release", "o1"],
        "expire": ["usage", "expire", "--now", "2026-03-02T00:00:00Z"],
        "reconcile --fix": ["usage", "reconcile", "--fix"],
    }


def check_reads(shell: dict[str, str]) -> None:
    """status, events, reconcile and eval --db read the store as it is."""
    db = shell["db"]
    status = ok(promo("usage", "status", shell["ruleset"], "--db", db, "--at", AT)).stdout
    assert status.splitlines()[2].split()[:6] == ["auto5", "yes", "100", "1", "1", "98"]
    events = ok(promo("usage", "events", "--db", db)).stdout.splitlines()
    assert len(events) == 6
    assert ok(promo("usage", "reconcile", "--db", db)).stdout.startswith("no drift")
    text = ok(promo("eval", shell["ruleset"], shell["alice"], "--db", db)).stdout
    assert "save10" in text


WRITES = ["reserve", "confirm", "release", "expire", "reconcile --fix"]


@needs_fifo
@pytest.mark.parametrize("command", WRITES)
def test_a_disk_io_error_at_open_is_not_a_corrupt_store(shell: dict[str, str],
                                                        command: str) -> None:
    db = Path(shell["db"])
    before = db.read_bytes()
    shm_fifo(db)
    stderr = usage_error(promo(*writes(shell)[command], "--db", shell["db"]), "PR405")
    assert shell["db"] in stderr and "disk I/O error" in stderr and "PR401" not in stderr
    assert db.read_bytes() == before  # the file is intact
    check_reads(shell)  # and reading it works


@pytest.mark.parametrize("command", WRITES)
def test_where_the_shm_index_cannot_be_made(shell: dict[str, str], command: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    db = Path(shell["db"])
    before = db.read_bytes()
    shm_dangling(db)
    check_reads(shell)  # read as an immutable file: no -wal holds anything newer
    usage_error(promo(*writes(shell)[command], "--db", shell["db"]), "PR406")
    # on a read-only file system (as os.access answers there, for root too)
    monkeypatch.setattr(store_files, "_writable", lambda path: False)
    stderr = usage_error(promo(*writes(shell)[command], "--db", shell["db"]), "PR402")
    assert "read-only" in stderr and "PR401" not in stderr
    check_reads(shell)
    assert db.read_bytes() == before


@pytest.mark.parametrize("command", WRITES)
def test_a_store_sqlite_opens_read_only(shell: dict[str, str], command: str) -> None:
    db = Path(shell["db"])
    shm_directory(db)
    with SQLiteStore(db) as store:
        was = rows(store)
    stderr = usage_error(promo(*writes(shell)[command], "--db", shell["db"]), "PR402")
    assert "read-only" in stderr and "nothing was written" in stderr
    check_reads(shell)
    with SQLiteStore(db) as store:
        assert rows(store) == was


def test_changes_in_the_wal_are_never_skipped(shell: dict[str, str], tmp_path: Path,
                                              rules: Ruleset) -> None:
    """Where the -shm index cannot be made and the -wal holds commits, reading the file
    alone would miss them: an error, not an old answer."""
    live = SQLiteStore(shell["db"])
    try:
        live.reserve("o3", rules, price(rules, customer="carol"), now=NOW)
        copy = tmp_path / "copy"
        copy.mkdir()
        for suffix in ("", "-wal"):
            shutil.copyfile(f"{shell['db']}{suffix}", copy / f"usage.sqlite{suffix}")
    finally:
        live.close()
    assert (copy / "usage.sqlite-wal").stat().st_size > 0
    shm_dangling(copy / "usage.sqlite")
    before = listing(copy)
    stderr = usage_error(promo("usage", "status", shell["ruleset"], "--db",
                               str(copy / "usage.sqlite")), "PR406")
    assert "-wal file holds changes" in stderr
    assert listing(copy) == before


# ------------------------------------------- read-only for real (not as root)


@pytest.fixture
def read_only(shell: dict[str, str]) -> Iterator[dict[str, str]]:
    """The store file 0o444 in a 0o555 directory."""
    directory = Path(shell["db"]).parent
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [directory, *directory.iterdir()]}
    try:
        for p in directory.iterdir():
            p.chmod(0o444)
        directory.chmod(0o555)
        yield shell
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


@pytest.mark.skipif(ROOT, reason="root writes through chmod 0o444")
def test_reading_a_read_only_store_in_a_read_only_directory(read_only: dict[str, str]) -> None:
    before = listing(Path(read_only["db"]).parent)
    check_reads(read_only)
    for command, args in writes(read_only).items():
        stderr = usage_error(promo(*args, "--db", read_only["db"]), "PR402")
        assert "read-only" in stderr, command
    assert listing(Path(read_only["db"]).parent) == before


@pytest.mark.skipif(ROOT, reason="root writes through chmod 0o444")
def test_reading_a_read_only_file(shell: dict[str, str]) -> None:
    db = Path(shell["db"])
    before = db.read_bytes()
    db.chmod(0o444)
    try:
        check_reads(shell)
        for command, args in writes(shell).items():
            result = promo(*args, "--db", shell["db"])
            if command == "reconcile --fix":  # no drift: nothing to write, nothing refused
                assert ok(result).stdout.startswith("no drift")
            else:
                usage_error(result, "PR402")
    finally:
        db.chmod(0o644)
    assert db.read_bytes() == before


def test_a_read_only_store_can_reconcile_without_fix(shell: dict[str, str]) -> None:
    """reconcile only reports unless --fix: it opens the store read-only."""
    db = Path(shell["db"])
    shm_directory(db)
    assert ok(promo("usage", "reconcile", "--db", shell["db"], "--format", "json")).stdout \
        .startswith('{\n  "drift": []')
