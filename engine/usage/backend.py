"""Opening a usage store by where it lives: the one place a backend is chosen."""

from __future__ import annotations

from pathlib import Path

from .sqlite import SQLiteStore

DEFAULT_PATH = "promo-usage.sqlite"


def open_store(location: str | Path = DEFAULT_PATH, *, readonly: bool = False,
               create: bool = True) -> SQLiteStore:
    """The store at ``location``: a file path opens the SQLite backend.

    ``readonly``: only read it (it must exist).  ``create``: make the store if
    there is none; without it, a location with no store is ``StoreMissing``
    and nothing is created there.
    """
    return SQLiteStore(location, readonly=readonly, create=create)
