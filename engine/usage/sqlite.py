"""The SQLite backend of the usage store: one file (WAL), one writer at a time.

The transitions and reads are ``sqlstore.py``'s; this module opens the file,
creates and migrates its schema (``PRAGMA user_version``), and runs each unit
of work in one transaction: ``BEGIN IMMEDIATE`` for one that writes — SQLite's
one write lock is taken before anything is read, so no other writer acts
between a read and the write that follows — and ``BEGIN`` for one that only
reads (WAL: it reads the last committed state, and waits for nobody).  The
connection runs with ``isolation_level=None``, so SQLite starts no transaction
of its own.  Any SQLite error becomes the store error the fault of the file
means (``files.py``).  One connection is shared by the threads of a process:
a lock lets one unit of work use it at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from dsl.codes import STORE_TOO_NEW

from .files import check_path, connect, fault
from .sqlstore import SQLStore, iso
from .sqltypes import Tx
from .store import (
    StoreBusy,
    StoreError,
    StoreFileError,
    StoreMissing,
    StoreReadOnly,
    WouldWait,
)
from .tally import UNSPLIT, SplitPolicy

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000


# ----------------------------------------------------------------- schema


def _migration_1(db: sqlite_utils.Database) -> None:
    db.table("reservations").create(
        {"order_ref": str, "ruleset": str, "currency": str, "minor_units": int,
         "customer": str, "state": str, "fingerprint": str, "created_at": str,
         "expires_at": str, "settled_at": str},
        pk="order_ref", not_null={"ruleset", "currency", "minor_units", "customer", "state",
                                  "fingerprint", "created_at", "expires_at"})
    db.table("uses").create(
        {"order_ref": str, "promotion": str, "coupon": str, "customer": str,
         "amount_minor": int},
        pk=("order_ref", "promotion"), not_null={"customer", "amount_minor"},
        foreign_keys=[("order_ref", "reservations", "order_ref")])
    db.table("counters").create({"scope": str, "key": str, "used": int},
                          pk=("scope", "key"), not_null={"used"})
    db.table("events").create({"id": int, "type": str, "version": int, "occurred_at": str,
                         "order_ref": str, "payload": str},
                        pk="id", not_null={"type", "version", "occurred_at", "payload"})
    db.table("reservations").create_index(["state", "expires_at"])
    db.table("uses").create_index(["promotion"])


def _migration_2(db: sqlite_utils.Database) -> None:
    """Idempotency records of the requests that moved reservations, and relay cursors."""
    db.table("idempotency").create(
        {"key": str, "request_hash": str, "state": str, "status": int, "body": bytes,
         "content_type": str, "lease_until": str, "expires_at": str, "created_at": str,
         "finished_at": str},
        pk="key", not_null={"request_hash", "state", "lease_until", "expires_at",
                            "created_at"})
    db.table("idempotency").create_index(["expires_at"])
    db.table("relay_cursors").create({"name": str, "event_id": int}, pk="name",
                                     not_null={"event_id"})


def _migration_3(db: sqlite_utils.Database) -> None:
    """Counters in slots (``tally.py``): the key gains ``slot``; each row its share."""
    db.execute("CREATE TABLE counters_3 (scope TEXT NOT NULL, key TEXT NOT NULL, "
               "slot INTEGER NOT NULL DEFAULT 0, slots INTEGER NOT NULL DEFAULT 1, "
               "used INTEGER NOT NULL, share INTEGER, lim INTEGER, "
               "PRIMARY KEY (scope, key, slot))")
    db.execute("INSERT INTO counters_3 (scope, key, used) SELECT scope, key, used "
               "FROM counters")
    db.execute("DROP TABLE counters")
    db.execute("ALTER TABLE counters_3 RENAME TO counters")


def _migration_4(db: sqlite_utils.Database) -> None:
    """Coupon batches (``batches.py``), and each use's promotion metadata (JSON)."""
    db.execute("CREATE TABLE batch_codes (code TEXT PRIMARY KEY, batch TEXT NOT NULL, "
               "state TEXT NOT NULL, order_ref TEXT, created_at TEXT NOT NULL)")
    db.execute("CREATE INDEX batch_codes_batch_state ON batch_codes (batch, state)")
    db.execute("CREATE INDEX batch_codes_order_ref ON batch_codes (order_ref)")
    db.execute("ALTER TABLE uses ADD COLUMN metadata TEXT")


MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4]
"""Schema migrations in order; the file's version is how many have run."""
SCHEMA_VERSION = len(MIGRATIONS)


# ---------------------------------------------------------------- store


@functools.cache
def _store_names() -> frozenset[str]:
    """The names (tables, indexes) a store's migrations make, read off an in-memory one."""
    conn = sqlite3.connect(":memory:")
    try:
        db = sqlite_utils.Database(conn)
        for migration in MIGRATIONS:
            migration(db)
        return frozenset(row[0] for row in conn.execute("SELECT name FROM sqlite_master"))
    finally:
        conn.close()


class SQLiteStore(SQLStore):
    """A usage store on one SQLite file (WAL, busy timeout).

    ``readonly`` opens it only to read (``mode=ro``; see ``files.py``).  Only
    with ``create`` (the default) is a store made where there is none: a new
    file, or an empty one; otherwise ``StoreMissing``, and nothing is created.
    ``split``: which counters are kept in slots (``tally.py``); none by default,
    since SQLite takes one writer at a time and a split buys nothing there.
    """

    def __init__(self, path: str | Path, *, timeout_ms: int = BUSY_TIMEOUT_MS,
                 readonly: bool = False, create: bool = True,
                 split: SplitPolicy = UNSPLIT) -> None:
        self.path = str(path)
        self.readonly = readonly
        self.split = split
        self.timeout_ms = timeout_ms
        self._lock = threading.RLock()
        self._unit_writes: bool | None = None  # inside a unit: whether it writes
        self._savepoints = 0
        # the error that rolled back the open transaction whole (``_joined``)
        self._lost: StoreError | None = None
        self._group_thread: int | None = None  # the thread whose group is open
        self._busy_ms = timeout_ms  # the connection's busy timeout now (``_begin``)
        self._wal = False  # the file is in WAL mode (``_use_wal``)
        check_path(self.path, readonly=readonly, create=create)
        try:
            conn = connect(self.path, readonly=readonly, timeout_ms=timeout_ms)
            self.conn = conn
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                # refuse a newer file, or one that is no store, before writing anything to
                # it: a store is created only in a new or empty file (or one another
                # process is creating it in), never beside the tables of another
                # application's database
                if self._schema_version() == 0 and (readonly or not create
                                                    or self._foreign()):
                    raise self._not_created()
                if not readonly:
                    self._use_wal(timeout_ms)
                    conn.execute("PRAGMA synchronous = NORMAL")
                    # savepoint journals (every unit of a group is one) and temporary
                    # b-trees in memory, not in temporary files: a unit's journal holds
                    # the few pages it changes, and the store's sorts are small
                    conn.execute("PRAGMA temp_store = MEMORY")
                self.db = sqlite_utils.Database(conn)
                self._migrate()
            except BaseException:
                conn.close()
                raise
        except sqlite3.DatabaseError as err:
            raise self._file_error(err) from None

    def _empty(self) -> bool:
        return bool(self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0)

    def _foreign(self) -> bool:
        """Whether the file holds anything a store does not: the tables a store's
        migrations make appear one by one while another process creates it (its
        version is written last), and ``_migrate`` waits for that process."""
        names = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master")}
        return not names <= _store_names()

    def _not_created(self) -> StoreFileError:
        """A file with no store in it yet: empty, or some other SQLite database."""
        if self._empty():
            return StoreMissing(f"{self.path}: no usage store here (an empty file; only "
                                "`promo usage reserve` creates one)")
        return StoreFileError(f"{self.path}: not a usage store (a SQLite database without "
                              "the usage store's tables)")

    def _use_wal(self, timeout_ms: int) -> None:
        """``PRAGMA journal_mode = WAL``, retried while locked.

        Switching a new file to WAL can fail with "database is locked" at once,
        without the busy handler, while other processes open the same new file.
        """
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()
                self._wal = bool(mode) and str(mode[0]).lower() == "wal"
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)

    def _file_error(self, err: sqlite3.DatabaseError) -> StoreError:
        return fault(self.path, err)

    def close(self) -> None:
        self.conn.close()

    # schema
    def _schema_version(self) -> int:
        version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreFileError(f"{self.path}: written by a newer promorules (schema "
                                 f"{version}, this one knows {SCHEMA_VERSION}); upgrade "
                                 "promorules", code=STORE_TOO_NEW)
        return version

    def _migrate(self) -> None:
        version = self._schema_version()
        if version == SCHEMA_VERSION:
            return
        if self.readonly:
            raise StoreReadOnly(f"{self.path}: schema {version} needs an upgrade, but the "
                                "store is open read-only (any `promo usage` command that "
                                "writes upgrades it)")

        def upgrade(tx: Tx) -> None:
            # Re-read inside the lock: another process may have migrated meanwhile.
            for migration in MIGRATIONS[self._schema_version():]:
                migration(self.db)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

        self._atomic(upgrade)

    # ------------------------------------------------------ transactions

    def _atomic(self, work: Callable[[Tx], T], *, write: bool = True,
                snapshot: bool = False, one_write: bool = False) -> T:
        """``BEGIN IMMEDIATE`` (``BEGIN`` to only read) … ``COMMIT``; anything raised rolls back.

        A read transaction of WAL sees one committed state: ``snapshot`` holds.
        Inside a ``unit`` the work joins the unit's transaction instead, a write as a
        savepoint (rolled back alone when it raises) unless it is ``one_write``."""
        with self._lock:
            if self._unit_writes is not None:
                return self._joined(work, write, savepoint=write and not one_write)
            return self._transaction(work, write)

    def _transaction(self, work: Callable[[Tx], T], write: bool, wait: bool = True) -> T:
        self._start(write, wait)
        try:
            result = work(self.conn)
        except sqlite3.DatabaseError as err:
            self._rollback()
            raise self._file_error(err) from None
        except BaseException:
            self._rollback()
            raise
        self._commit()
        return result

    def _start(self, write: bool, wait: bool) -> None:
        self._lost = None
        if write and self.readonly:
            raise StoreReadOnly(f"{self.path}: the store is open read-only; nothing was "
                                "written")
        try:
            self._begin("BEGIN IMMEDIATE" if write else "BEGIN", wait)
        except sqlite3.DatabaseError as err:
            error = self._file_error(err)
            if not wait and isinstance(error, StoreBusy):
                raise WouldWait(str(error)) from None
            raise error from None

    def _commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            self._rollback()
            raise self._file_error(err) from None

    def _begin(self, statement: str, wait: bool) -> None:
        """``BEGIN``; without ``wait`` SQLite's busy handler is off for it (a lock held by
        another connection fails at once instead of sleeping).

        A write's ``BEGIN IMMEDIATE`` without ``wait`` leaves the handler off: on a WAL
        file nothing after it waits for a lock (it holds the read and the write lock,
        and a commit's checkpoint is passive), so a run of such writes (the service's,
        on its loop) sets the timeout once, not twice per transaction.  Anything that
        may wait turns it back on first: a waiting write, a read (its first statement
        takes the read lock), a file not in WAL mode (its commit waits for readers)."""
        if wait or statement == "BEGIN":  # (a deferred BEGIN takes no lock)
            self._busy_timeout(self.timeout_ms)
            self.conn.execute(statement)
            return
        self._busy_timeout(0)
        if self._wal:
            self.conn.execute(statement)
            return
        try:
            self.conn.execute(statement)
        finally:
            self._busy_timeout(self.timeout_ms)

    def _busy_timeout(self, ms: int) -> None:
        if self._busy_ms != ms:
            self.conn.execute(f"PRAGMA busy_timeout = {ms}")
            self._busy_ms = ms

    def _joined(self, work: Callable[[Tx], T], write: bool, savepoint: bool) -> T:
        """A store call inside a unit: its reads as they are, its writes in a savepoint."""
        if write and not self._unit_writes:
            raise StoreError("a unit opened to read cannot write")
        self._transaction_alive()
        if not savepoint:
            try:
                return work(self.conn)
            except sqlite3.DatabaseError as err:
                raise self._lost_with(err) from None
        self._savepoints += 1
        name = f"call_{self._savepoints}"
        try:
            self.conn.execute(f"SAVEPOINT {name}")
            result = work(self.conn)
            self.conn.execute(f"RELEASE {name}")
            return result
        except BaseException as err:
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.DatabaseError):
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
            if isinstance(err, sqlite3.DatabaseError):
                raise self._lost_with(err) from None
            raise
        finally:
            self._savepoints -= 1

    def unit(self, work: Callable[[Any], T], *, write: bool = True, wait: bool = True) -> T:
        """``work(self)`` in one transaction: every store call in it joins it (a call that
        writes as a savepoint, undone alone when it raises), and it commits whole.
        ``wait=False``: ``WouldWait`` at once, nothing done, where it would wait for
        another thread's use of the connection or another connection's write lock."""
        if not self._lock.acquire(blocking=wait):
            raise WouldWait(f"{self.path}: another thread is using the store")
        try:
            if self._unit_writes is not None:  # a unit in a unit: one transaction still
                return self._joined(lambda tx: work(self), write, savepoint=write)

            def whole(tx: Tx) -> T:
                self._unit_writes = write
                try:
                    return work(self)
                finally:
                    self._unit_writes = None

            return self._transaction(whole, write, wait)
        finally:
            self._lock.release()

    def open_group(self) -> None:
        """Begin a write transaction that stays open after this call (group commit): every
        ``unit`` of this thread until ``close_group`` joins it, each as a savepoint (undone
        alone when it raises), and they commit together, or not at all.  Without waiting:
        ``WouldWait`` at once, nothing begun, where ``unit(…, wait=False)`` gives it.

        A caller that answers many requests (the service, on its loop) runs the units of
        the requests at hand in one group: one commit for them all (a commit writes the
        pages each unit changed, most of them the same pages, once), and none of their
        answers leaves before it.  Nothing read in the group may leave before it commits
        either: the others' changes in it are not committed yet."""
        if not self._lock.acquire(blocking=False):
            raise WouldWait(f"{self.path}: another thread is using the store")
        try:
            if self._unit_writes is not None:
                raise StoreError("a group cannot open inside a unit")
            self._start(write=True, wait=False)
        except BaseException:
            self._lock.release()
            raise
        self._unit_writes = True
        self._group_thread = threading.get_ident()

    def in_group(self, work: Callable[[Any], T]) -> T:
        """``work(self)`` as a unit of the open group: a savepoint, undone alone when it
        raises."""
        self._own_group()
        return self._joined(lambda tx: work(self), write=True, savepoint=True)

    def close_group(self) -> None:
        """Commit the group ``open_group`` began (``StoreError`` when the commit fails: then
        nothing of it was written)."""
        self._own_group()
        try:
            self._unit_writes = self._group_thread = None
            self._transaction_alive()
            self._commit()
        finally:
            self._lock.release()

    def _own_group(self) -> None:
        if self._group_thread is None:  # (set and cleared with ``_unit_writes``)
            raise StoreError("no group is open")
        if self._group_thread != threading.get_ident():
            raise StoreError("the open group is another thread's")

    def _lost_with(self, err: sqlite3.DatabaseError) -> StoreError:
        """The store error ``err`` means, kept when it rolled the transaction back whole
        (as SQLite does on a full disk): the calls after it are refused with it."""
        error = self._file_error(err)
        if not self.conn.in_transaction:
            self._lost = error
        return error

    def _transaction_alive(self) -> None:
        """Some errors (a full disk) roll back the whole transaction, savepoints and all:
        the unit's or the group's other calls are gone with it, and a call after would
        run outside any transaction, committed alone.  It is refused, as the error did."""
        if not self.conn.in_transaction:
            lost = self._lost
            raise (type(lost) if lost is not None else StoreError)(
                f"{self.path}: an error rolled back this transaction whole"
                f"{f' ({lost})' if lost is not None else ''}; nothing of it was written")

    def _rollback(self) -> None:
        # SQLite has already rolled back after some errors (a full disk, for one);
        # a second ROLLBACK would hide the real error behind "no transaction is active".
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.DatabaseError):  # the error raised says why
                self.conn.execute("ROLLBACK")

    def _time(self, moment: dt.datetime) -> str:
        return iso(moment)

    def _moment(self, value: Any) -> dt.datetime:
        return dt.datetime.fromisoformat(value)

    def integrity_ok(self) -> bool:
        """``PRAGMA integrity_check``; a file too damaged to check is not ok either."""
        try:
            with self._lock:
                self._busy_timeout(self.timeout_ms)
                return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
        except sqlite3.DatabaseError as err:
            error = self._file_error(err)
            if isinstance(error, StoreBusy):
                raise error from None
            return False
