"""The store's SQLite file: opening it, and naming what is wrong with it.

Each fault of the file has its own error (and code), whichever call meets it:

| fault | error |
|---|---|
| no store at the path (only a checkout creates one) | ``StoreMissing`` |
| a read-only file, directory or file system, and the call writes | ``StoreReadOnly`` |
| the disk is full, or an I/O error | ``StoreDiskFault`` |
| the file or its ``-wal``/``-shm`` files cannot be opened | ``StoreUnopenable`` |
| locked past the busy timeout | ``StoreBusy`` |
| not SQLite, corrupt, or SQLite without the store's tables | ``StoreFileError`` |

Read-only use opens the file ``mode=ro``.  A WAL database is read through its
``-shm`` index, which SQLite creates beside the file; where it cannot (a
read-only directory or file system, a full disk) and no ``-wal`` file holds
changes not yet written back to the database, the file is read as immutable
(``immutable=1``): what it holds is the whole store.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .store import (
    StoreBusy,
    StoreDiskFault,
    StoreError,
    StoreFileError,
    StoreMissing,
    StoreReadOnly,
    StoreUnopenable,
)

CANNOT_OPEN = {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH}
BESIDE_UNWRITABLE = {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR}
"""Errors of a read-only open that mean the ``-shm`` index could not be made beside it."""

READING = "reading needs no write access: promo usage status, events, eval --db"


def check_path(path: str, *, readonly: bool, create: bool) -> None:
    """Refuse, before SQLite creates anything, a path where no store is and none may be made."""
    where = Path(path)
    if where.is_dir():
        raise StoreFileError(f"{path}: a directory, not a usage store")
    if where.exists():
        return
    if readonly or not create:
        raise StoreMissing(f"{path}: no usage store here (only `promo usage reserve` creates "
                           "one): check the path given with --db or PROMO_USAGE_DB")
    if not where.parent.is_dir():
        raise StoreMissing(f"{path}: cannot create a usage store: the directory "
                           f"{where.parent} does not exist")


def connect(path: str, *, readonly: bool, timeout_ms: int) -> sqlite3.Connection:
    """A connection to the file, its header read (``PRAGMA user_version``).

    Raises ``sqlite3`` errors, which the caller names with ``fault`` (and a
    ``StoreError`` when a read-only open would have to skip the ``-wal``)."""
    if not readonly:
        conn = _open(path, timeout_ms, uri=False)
        _header(conn)
        return conn
    uri = Path(path).resolve().as_uri()
    conn = _open(f"{uri}?mode=ro", timeout_ms)
    try:
        _header(conn)
        return conn
    except sqlite3.DatabaseError as err:  # _header closed the connection
        if _primary(err) not in BESIDE_UNWRITABLE:
            raise
        if _wal_holds_changes(path):
            raise _wal_unreadable(path, err) from None
    conn = _open(f"{uri}?mode=ro&immutable=1", timeout_ms)
    _header(conn)
    return conn


def _open(target: str, timeout_ms: int, uri: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(target, uri=uri, isolation_level=None, timeout=timeout_ms / 1000,
                           check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    except BaseException:
        conn.close()
        raise
    return conn


def _header(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA user_version").fetchone()
    except BaseException:
        conn.close()
        raise


def _wal_unreadable(path: str, err: sqlite3.Error) -> StoreError:
    """A read-only open that cannot make the ``-shm`` index, with changes in the ``-wal``."""
    where = Path(path)
    kind = StoreUnopenable if _writable(where) and _writable(where.parent) else StoreReadOnly
    return kind(f"{path}: cannot be read: its -wal file holds changes not yet written back to "
                f"the database, and SQLite cannot make the -shm index beside it to read them "
                f"({err}); open it once where it can be written, or copy the store with its "
                "-wal file somewhere writable")


def _wal_holds_changes(path: str) -> bool:
    """A ``-wal`` file that is not empty may hold commits the database file does not."""
    wal = Path(f"{path}-wal")
    try:
        if not wal.exists():
            return False
        return not wal.is_file() or wal.stat().st_size > 0
    except OSError:
        return True


def _primary(err: sqlite3.Error) -> int | None:
    code = getattr(err, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _writable(path: Path) -> bool:
    """Whether this process may write ``path`` (``False`` on a read-only file system, for
    root too)."""
    return os.access(path, os.W_OK)


def fault(path: str, err: sqlite3.Error) -> StoreError:
    """The store error that a SQLite error met on the file at ``path`` means."""
    text = str(err)
    primary = _primary(err)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or \
            (primary is None and ("locked" in text or "busy" in text)):
        return StoreBusy(f"{path}: the database stayed locked: {text}")
    if primary == sqlite3.SQLITE_READONLY:
        return StoreReadOnly(f"{path}: {_read_only_why(path, err)}; nothing was written "
                             f"({READING})")
    if primary == sqlite3.SQLITE_FULL:
        return StoreDiskFault(f"{path}: the disk is full ({text}); nothing was written")
    if primary == sqlite3.SQLITE_IOERR:
        return StoreDiskFault(f"{path}: {text}: the disk is full or failing, or a -wal/-shm "
                              "file beside the store is not a regular file; nothing was "
                              "written")
    if primary in CANNOT_OPEN:
        return _cannot_open(path, text)
    return StoreFileError(f"{path}: not a usage store ({text})")


def _read_only_why(path: str, err: sqlite3.Error) -> str:
    where = Path(path)
    if getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY_DIRECTORY or \
            (where.parent.is_dir() and not _writable(where.parent)):
        return ("the usage store is read-only: its directory (or file system) is read-only, "
                "and SQLite writes the -wal and -shm files beside the store")
    if where.exists() and not _writable(where):
        return "the usage store is read-only: a read-only file or file system"
    return "the usage store is read-only"


def _cannot_open(path: str, text: str) -> StoreError:
    where = Path(path)
    if not where.exists():
        if where.parent.is_dir() and not _writable(where.parent):
            return StoreReadOnly(f"{path}: cannot create a usage store: the directory "
                                 f"{where.parent} is read-only")
        return StoreMissing(f"{path}: no usage store here ({text})")
    if not _writable(where) or not _writable(where.parent):
        return StoreReadOnly(f"{path}: the usage store is read-only (a read-only file, "
                             "directory or file system) and SQLite cannot open it to write; "
                             f"nothing was written ({READING})")
    return StoreUnopenable(f"{path}: cannot open the usage store, or the -wal/-shm files "
                           f"beside it ({text}); check their permissions and that they are "
                           "regular files")
