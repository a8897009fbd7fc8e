"""The usage store adapter: limits held through reserve → confirm / release.

    store.py        the contract every backend keeps: interface, records, errors
    counters.py     which counters a use touches, and their keys
    sqlstore.py     the transitions and reads, written once for both backends
    sqltypes.py     what that SQL runs on: one transaction of a driver
    tally.py        the counter rows: take, give back, read; split in slots
    idempotency.py  idempotency records and relay cursors
    sqlite.py       the SQLite backend (one file, WAL, ``BEGIN IMMEDIATE``)
    files.py        opening the SQLite file; each fault of the file named
    postgres.py     the PostgreSQL backend (psycopg 3, a pool, READ COMMITTED)
    pgschema.py     its schema and migrations (a version table)
    pgfaults.py     each failure of a server named (a store error and code)
    backend.py      ``open_store``: a backend chosen by where the store lives
    migrate.py      copying a store between backends, exactly, and verifying it
    reads.py        read models (status)
    view.py         the store as a dry run sees it (read only)
    checkout.py     the checkout saga over a store
    events.py       the outbox events and their JSON Schemas
"""

from .backend import DEFAULT_PATH, open_store
from .checkout import Checkout, checkout_aborted, payment_captured, start_checkout
from .sqlite import SQLiteStore
from .store import (
    DEFAULT_TTL,
    CustomerRequired,
    Drift,
    IdempotencyClaim,
    IdempotencyUnclaimed,
    IdempotentResponse,
    IllegalTransition,
    LimitReached,
    MigrationMismatch,
    MigrationRefused,
    Reservation,
    ReservationConflict,
    StoreBusy,
    StoreConflict,
    StoreConnectionLost,
    StoreDiskFault,
    StoreError,
    StoreFileError,
    StoreLocationError,
    StoreMissing,
    StorePoolExhausted,
    StoreReadOnly,
    StoreServerRefused,
    StoreTimeout,
    StoreUnopenable,
    StoreUnreachable,
    UnknownReservation,
    UsageStore,
    Use,
)
from .tally import SplitPolicy
from .view import StoreView

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_TTL",
    "Checkout",
    "CustomerRequired",
    "Drift",
    "IdempotencyClaim",
    "IdempotencyUnclaimed",
    "IdempotentResponse",
    "IllegalTransition",
    "LimitReached",
    "MigrationMismatch",
    "MigrationRefused",
    "Reservation",
    "ReservationConflict",
    "SQLiteStore",
    "SplitPolicy",
    "StoreBusy",
    "StoreConflict",
    "StoreConnectionLost",
    "StoreDiskFault",
    "StoreError",
    "StoreFileError",
    "StoreLocationError",
    "StoreMissing",
    "StorePoolExhausted",
    "StoreReadOnly",
    "StoreServerRefused",
    "StoreTimeout",
    "StoreUnopenable",
    "StoreUnreachable",
    "StoreView",
    "UnknownReservation",
    "UsageStore",
    "Use",
    "checkout_aborted",
    "open_store",
    "payment_captured",
    "start_checkout",
]
