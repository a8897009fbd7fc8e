"""The usage store adapter: limits held through reserve → confirm / release.

    sqlite.py    the SQLite backend (one file, WAL, ``BEGIN IMMEDIATE``)
    checkout.py  the checkout saga over a store
    events.py    the outbox events and their JSON Schemas
"""

from .checkout import Checkout, checkout_aborted, payment_captured, start_checkout
from .sqlite import (
    DEFAULT_PATH,
    DEFAULT_TTL,
    CustomerRequired,
    Drift,
    IllegalTransition,
    LimitReached,
    Reservation,
    ReservationConflict,
    StoreBusy,
    StoreError,
    StoreFileError,
    StoreView,
    UnknownReservation,
    UsageStore,
    Use,
)

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
    "StoreBusy",
    "StoreError",
    "StoreFileError",
    "StoreView",
    "UnknownReservation",
    "UsageStore",
    "Use",
    "checkout_aborted",
    "payment_captured",
    "start_checkout",
]
