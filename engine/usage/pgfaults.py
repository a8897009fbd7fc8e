"""What a PostgreSQL error means for the store: one ``StoreError`` (and code) per kind.

| error | store error |
|---|---|
| cannot connect: refused, unknown host, password, no database | ``StoreUnreachable`` (PR421) |
| the connection died in a transaction (restart, network) | ``StoreConnectionLost`` (PR422) |
| serialization failure or deadlock, still after the retries | ``StoreConflict`` (PR423) |
| ``statement_timeout`` (the server cancelled the statement) | ``StoreTimeout`` (PR424) |
| ``lock_timeout`` | ``StoreBusy`` (PR403) |
| no connection of the pool free in time | ``StorePoolExhausted`` (PR425) |
| a read-only transaction or server, and the call writes | ``StoreReadOnly`` (PR402) |
| the store's tables are missing or not the store's | ``StoreFileError`` (PR401) |
| permissions, disk full, out of resources, anything else | ``StoreServerRefused`` (PR426) |

Messages name the store by its URL without the password.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors

from .store import (
    StoreBusy,
    StoreConnectionLost,
    StoreError,
    StoreFileError,
    StoreReadOnly,
    StoreServerRefused,
    StoreTimeout,
    StoreUnreachable,
)

RETRYABLE = (errors.SerializationFailure, errors.DeadlockDetected)
"""Errors after which the whole transaction is run again (a bounded number of times)."""


def redact(url: str) -> str:
    """``url`` without its password (the store is named in messages and logs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def unreachable(where: str, err: BaseException) -> StoreUnreachable:
    return StoreUnreachable(f"{where}: cannot connect to the usage store's server: "
                            f"{first_line(err)}")


def fault(where: str, err: psycopg.Error, *, committing: bool = False) -> StoreError:
    """The store error a driver error met during a unit of work means."""
    text = first_line(err)
    if isinstance(err, errors.QueryCanceled):
        return StoreTimeout(f"{where}: a statement ran past the statement timeout and was "
                            f"cancelled ({text}); nothing was written")
    if isinstance(err, errors.LockNotAvailable):
        return StoreBusy(f"{where}: a row stayed locked past the lock timeout ({text}); "
                         "nothing was written")
    if isinstance(err, errors.ReadOnlySqlTransaction):
        return StoreReadOnly(f"{where}: the usage store is read-only ({text}); nothing was "
                             "written")
    if isinstance(err, (errors.UndefinedTable, errors.UndefinedColumn)):
        return StoreFileError(f"{where}: not a usage store, or not all of it ({text})")
    if isinstance(err, errors.InsufficientPrivilege):
        return StoreServerRefused(f"{where}: permission denied ({text}); nothing was written")
    connection_gone = isinstance(err, psycopg.OperationalError) and (
        getattr(err, "sqlstate", None) is None or
        isinstance(err, (errors.AdminShutdown, errors.CrashShutdown,
                         errors.CannotConnectNow, errors.IdleSessionTimeout)))
    if connection_gone:
        if committing:
            return StoreConnectionLost(
                f"{where}: the connection was lost during the commit ({text}): the "
                "transaction may or may not have been committed; every transition is "
                "idempotent, so run it again")
        return StoreConnectionLost(f"{where}: the connection was lost during a transaction "
                                   f"({text}); it was rolled back: nothing was written")
    return StoreServerRefused(f"{where}: the server refused the statement ({text}); nothing "
                              "was written")
