"""Opening a usage store by where it lives: the one place a backend is chosen.

A ``postgresql://`` (or ``postgres://``) URL opens the PostgreSQL backend;
anything else is a file path for the SQLite backend.  Any other URL scheme
(``mysql://…``) is refused rather than taken for a file name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .sqlite import SQLiteStore
from .sqlstore import SQLStore
from .store import StoreError, StoreLocationError

DEFAULT_PATH = "promo-usage.sqlite"
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def open_store(location: str | Path = DEFAULT_PATH, *, readonly: bool = False,
               create: bool = True, **options: Any) -> SQLStore:
    """The store at ``location``: a PostgreSQL URL, or a file path (SQLite).

    ``readonly``: only read it (it must exist).  ``create``: make the store if
    there is none; without it, a location with no store is ``StoreMissing``
    and nothing is created there.  ``options`` go to the backend
    (``PostgresStore``: ``pool_size``, ``pool_timeout``, ``statement_timeout_ms``,
    …; ``SQLiteStore``: ``timeout_ms``).
    """
    where = str(location)
    if where in ("", ":memory:"):  # (SQLite's names of a database that vanishes at exit)
        raise StoreLocationError(f"{where or 'an empty location'}: not a usage store "
                                 "location: a store must outlive the command; give a file "
                                 "path or a postgresql:// URL")
    if isinstance(location, str) and URL.match(where):
        if not where.startswith(("postgresql://", "postgres://")):
            scheme = where.split("://", 1)[0]
            raise StoreLocationError(f"{scheme}://…: not a usage store location: a "
                                     "postgresql:// URL, or the path of a SQLite file")
        try:
            from .postgres import PostgresStore
        except ImportError as err:  # psycopg is an optional dependency
            raise StoreError(f"a PostgreSQL store needs psycopg ({err}): pip install "
                             "'promorules[postgres]'") from None
        return PostgresStore(where, readonly=readonly, create=create, **options)
    return SQLiteStore(location, readonly=readonly, create=create, **options)
