"""The usage store adapter: limits held through reserve → confirm / release.

    store.py     the contract every backend keeps: interface, records, errors
    counters.py  which counters a use touches, and their keys
    sqlite.py    the SQLite backend (one file, WAL, ``BEGIN IMMEDIATE``)
    backend.py   ``open_store``: a backend chosen by where the store lives
    files.py     opening the SQLite file; each fault of the file named
    reads.py     read models of the SQLite store (status)
    view.py      the store as a dry run sees it (read only)
    checkout.py  the checkout saga over a store
    events.py    the outbox events and their JSON Schemas
"""

from .backend import DEFAULT_PATH, open_store
from .checkout import Checkout, checkout_aborted, payment_captured, start_checkout
from .sqlite import SQLiteStore
from .store import (
    DEFAULT_TTL,
    CustomerRequired,
    Drift,
    IllegalTransition,
    LimitReached,
    Reservation,
    ReservationConflict,
    StoreBusy,
    StoreDiskFault,
    StoreError,
    StoreFileError,
    StoreMissing,
    StoreReadOnly,
    StoreUnopenable,
    UnknownReservation,
    UsageStore,
    Use,
)
from .view import StoreView

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_TTL",
    "Checkout",
    "CustomerRequired",
    "Drift",
    "IllegalTransition",
    "LimitReached",
    "Reservation",
    "ReservationConflict",
    "SQLiteStore",
    "StoreBusy",
    "StoreDiskFault",
    "StoreError",
    "StoreFileError",
    "StoreMissing",
    "StoreReadOnly",
    "StoreUnopenable",
    "StoreView",
    "UnknownReservation",
    "UsageStore",
    "Use",
    "checkout_aborted",
    "open_store",
    "payment_captured",
    "start_checkout",
]
