"""What the store's SQL runs on: one transaction of either backend's driver.

``sqlite3.Connection`` is one as it is; the PostgreSQL backend wraps a
``psycopg`` connection to take the same ``?`` placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int, /) -> list[Any]: ...


class Tx(Protocol):
    """A connection inside one transaction of the store."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> Any: ...
