"""The PostgreSQL backend of the usage store: many writers at once, each transition atomic.

The transitions and reads are ``sqlstore.py``'s; this module connects
(``psycopg`` 3, a ``psycopg_pool`` connection pool, statements prepared by the
driver after their first use on a connection), creates and migrates the
schema (``pgschema.py``), and runs each unit of work in one transaction at
READ COMMITTED:

* every write that depends on a row is conditional and its row count checked
  (``UPDATE counters SET used = used + n WHERE … AND used + n <= limit``,
  ``… WHERE state = 'reserved'``), or follows a ``SELECT … FOR UPDATE`` of
  that row (``LOCK``), so no decision rests on a read another transaction
  may change before the write;
* a serialization failure or deadlock runs the whole unit again, with
  backoff, a bounded number of times (``StoreConflict`` after the last); a
  connection found dead before its first statement (a server restarted since
  the pool made it) is replaced, and the unit runs on a fresh one; every other
  failure is a ``StoreError`` (``pgfaults.py``) and the transaction is rolled
  back whole.

Outbox ids come from a sequence, so two transactions may commit their events
out of id order.  A relay must never read past an event that is not committed
yet, so each transition takes a *shared* advisory lock (held to its commit)
before it inserts events, and ``events`` takes the same lock *exclusively*
before it reads: it waits for the transitions that hold ids, and reads only
what they committed.  (Writers never wait for each other on it.)
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import conninfo as pgconninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from . import pgschema
from .pgfaults import RETRYABLE, fault, redact, unreachable
from .sqlstore import SQLStore
from .sqltypes import Cursor, Tx
from .store import StoreConflict, StorePoolExhausted, StoreUnreachable
from .tally import Reshape, SplitPolicy

T = TypeVar("T")

OUTBOX_LOCK = 4243
"""First key of the outbox's advisory lock (the second: the schema's name)."""
RETRIES = 5
"""Runs of one unit of work at most, when it meets serialization failures or deadlocks."""
MAX_RESHAPES = 32
"""Reruns of one unit of work to cut a split counter's shares (one per counter, normally)."""
BACKOFF_S = 0.002
"""The first wait before a retry; doubled each time, with jitter."""
POOL_SIZE = 4
POOL_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 5000
PREPARE_THRESHOLD = 1
"""psycopg prepares a statement the second time a connection runs it."""


@functools.lru_cache(maxsize=512)
def _pg(sql: str) -> str:
    """The store's ``?`` placeholders in psycopg's ``%s`` style."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgTx:
    """A pooled connection inside one transaction, taking ``?`` placeholders.

    In a write transaction the connection is in pipeline mode: a statement is
    sent at once, but its result is waited for only when it is read (a row
    count, a fetch) — so the statements whose results nobody reads (``BEGIN``, a
    savepoint, the uses and events inserted) travel with the next one that is,
    and a transition costs fewer round trips to the server.  Before ``COMMIT``
    every answer is in, so a connection lost at the commit is told apart."""

    def __init__(self, conn: psycopg.Connection[Any],
                 pipeline: psycopg.Pipeline | None = None) -> None:
        self.conn = conn
        self.pipeline = pipeline
        self.done = 0  # statements the server answered in this transaction

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        cursor = self.conn.execute(_pg(sql), params)
        if self.pipeline is None:
            self.done += 1
            return cursor
        return _Pending(cursor, self)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> Any:
        with self.conn.cursor() as cursor:
            cursor.executemany(_pg(sql), params)
        if self.pipeline is None:
            self.done += 1

    def sync(self) -> None:
        if self.pipeline is not None:
            self.pipeline.sync()
            self.done += 1


class _Pending:
    """A pipelined statement's cursor: reading its row count waits for its result."""

    def __init__(self, cursor: psycopg.Cursor[Any], tx: PgTx) -> None:
        self.cursor, self.tx = cursor, tx

    @property
    def rowcount(self) -> int:
        if self.cursor.pgresult is None:
            self.tx.sync()
        return self.cursor.rowcount

    def fetchone(self) -> Any:
        if self.cursor.pgresult is None:
            self.tx.sync()
        return self.cursor.fetchone()

    def fetchall(self) -> list[Any]:
        if self.cursor.pgresult is None:
            self.tx.sync()
        return self.cursor.fetchall()

    def fetchmany(self, size: int) -> list[Any]:
        if self.cursor.pgresult is None:
            self.tx.sync()
        return self.cursor.fetchmany(size)


def _conninfo(url: str, *, readonly: bool, statement_timeout_ms: int,
              connect_timeout: int) -> str:
    """The URL with the session settings the store relies on added to its ``options``."""
    try:
        params = pgconninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as err:
        from .store import StoreLocationError

        raise StoreLocationError(f"{redact(url)}: not a PostgreSQL URL ({err})") from None
    ours = [f"-c statement_timeout={int(statement_timeout_ms)}", "-c TimeZone=UTC"]
    if readonly:
        ours.append("-c default_transaction_read_only=on")
    options = " ".join(filter(None, [str(params.get("options") or ""), *ours]))
    params.setdefault("connect_timeout", str(connect_timeout))
    return pgconninfo.make_conninfo("", **{**params, "options": options})


class PostgresStore(SQLStore):
    """A usage store in a PostgreSQL database (the schema the URL's search path names).

    ``readonly``: every transaction is read-only (``default_transaction_read_only``).
    ``create``: make the store's tables if there are none; without it, a
    database with no store is ``StoreMissing``.  ``split``: which counters are
    kept in slots (``tally.py``); by default those of promotions whose
    ``uses`` or ``per_coupon`` limit is at least ``tally.SPLIT_FROM``.
    """

    LOCK = " FOR UPDATE"

    def __init__(self, url: str, *, readonly: bool = False, create: bool = True,
                 pool_size: int = POOL_SIZE, pool_timeout: float = POOL_TIMEOUT_S,
                 statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
                 connect_timeout: int = CONNECT_TIMEOUT_S, retries: int = RETRIES,
                 split: SplitPolicy | None = None) -> None:
        self.url = url
        self.split = SplitPolicy() if split is None else split
        self.where = redact(url)
        self.readonly = readonly
        self.pool_timeout = pool_timeout
        self.retries = max(1, retries)
        conninfo = _conninfo(url, readonly=readonly, statement_timeout_ms=statement_timeout_ms,
                             connect_timeout=connect_timeout)
        try:  # reach the server and settle the schema; meanwhile the pool connects
            first = psycopg.connect(conninfo, autocommit=False)
        except psycopg.OperationalError as err:
            raise unreachable(self.where, err) from None
        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo, min_size=1, max_size=max(1, pool_size), timeout=pool_timeout,
            open=False, name=f"promorules {self.where}",
            kwargs={"autocommit": False, "prepare_threshold": PREPARE_THRESHOLD})
        try:
            with first:
                self.pool.open(wait=False)
                pgschema.prepare(first, self.where, readonly=readonly, create=create)
        except BaseException as err:
            self.pool.close()
            if isinstance(err, psycopg.OperationalError):
                raise unreachable(self.where, err) from None
            if isinstance(err, psycopg.Error):
                raise fault(self.where, err) from None
            raise

    def close(self) -> None:
        self.pool.close()

    # ------------------------------------------------------ transactions

    def _atomic(self, work: Callable[[Tx], T], *, write: bool = True,
                snapshot: bool = False, one_write: bool = False) -> T:
        """Run ``work`` in one transaction, again after a serialization failure or deadlock
        (``one_write`` is for units, which PostgreSQL does not join)."""
        delay = BACKOFF_S
        stale = reshapes = 0
        attempt = 0
        while True:
            attempt += 1
            tx: PgTx | None = None
            committing = False
            try:
                with self.pool.connection(timeout=self.pool_timeout) as conn:
                    if not write and not snapshot:
                        # reads at READ COMMITTED see a new snapshot per statement anyway:
                        # without BEGIN and COMMIT, one round trip each
                        tx = PgTx(conn)
                        return self._autocommit(conn, work, tx)
                    with conn.pipeline() as pipeline:
                        tx = PgTx(conn, pipeline)
                        if snapshot:
                            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, "
                                       "READ ONLY")
                        result = work(tx)
                        tx.sync()  # every statement answered: a failure now is not the commit's
                        committing = True
                        conn.commit()
                    return result
            except PoolTimeout as err:
                raise self._pool_error(err) from None
            except Reshape:
                # rolled back: run again, cutting that counter's shares first (tally.py)
                reshapes += 1
                attempt -= 1
                if reshapes > MAX_RESHAPES:
                    raise StoreConflict(f"{self.where}: a split counter kept changing under "
                                        "the transaction; nothing was written") from None
            except RETRYABLE as err:
                if attempt == self.retries:
                    raise StoreConflict(f"{self.where}: {type(err).__name__} persisted through "
                                        f"{self.retries} attempts; nothing was written") from None
                time.sleep(delay * (1 + random.random()))
                delay *= 2
            except psycopg.Error as err:
                if tx is not None and tx.done == 0 and tx.conn.broken and \
                        stale < self.pool.max_size:
                    # a connection that died idle in the pool (the server restarted):
                    # nothing reached the server; check the others and run on a fresh one
                    stale += 1
                    self.pool.check()
                    continue
                raise fault(self.where, err, committing=committing) from None

    @staticmethod
    def _autocommit(conn: psycopg.Connection[Any], work: Callable[[Tx], T], tx: PgTx) -> T:
        conn.autocommit = True
        try:
            return work(tx)
        finally:
            if not conn.broken:
                conn.autocommit = False

    def _pool_error(self, err: PoolTimeout) -> StorePoolExhausted | StoreUnreachable:
        stats = self.pool.get_stats()
        if stats.get("pool_size", 0) < self.pool.max_size:
            return unreachable(self.where, err)  # a connection could not be made
        return StorePoolExhausted(f"{self.where}: all {self.pool.max_size} connections of the "
                                  f"pool stayed in use for {self.pool_timeout:g} s; nothing "
                                  "was done (a larger pool_size, or fewer concurrent callers)")

    def _time(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("store times must be timezone-aware")
        return moment

    def _moment(self, value: Any) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            raise TypeError(f"not a timestamptz: {value!r}")
        return value

    # ---------------------------------------------------------- outbox

    def _insert_events(self, tx: Tx, rows: list[tuple[Any, ...]]) -> None:
        # the shared outbox lock is taken before the row's id is drawn (see above)
        tx.executemany(
            "INSERT INTO events (type, version, occurred_at, order_ref, payload) "
            "SELECT ?, ?, ?, ?, ? FROM (SELECT pg_advisory_xact_lock_shared("
            f"{OUTBOX_LOCK}, hashtext(current_schema()))) AS outbox", rows)

    def events(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Outbox events with ``id > since``, oldest first: only committed ones, with no
        lower id still to come (the exclusive outbox lock waits for those who draw ids)."""
        sql = "SELECT id, payload FROM events WHERE id > ? ORDER BY id"
        params: list[Any] = [since]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)

        def work(tx: Tx) -> list[Any]:
            tx.execute(f"SELECT pg_advisory_xact_lock({OUTBOX_LOCK}, "
                       "hashtext(current_schema()))")
            return tx.execute(sql, params).fetchall()

        # one transaction (not an autocommit read): the lock is held while it reads
        return [{"id": int(event_id), **json.loads(payload)}
                for event_id, payload in self._atomic(work)]

    def _after_copy(self, tx: Tx) -> None:
        """Events copied with their ids: the next one drawn follows the last."""
        tx.execute("SELECT setval(pg_get_serial_sequence('events', 'id'), "
                   "COALESCE(MAX(id), 0) + 1, false) FROM events").fetchall()

    def _freeze_counters(self, tx: Tx, fix: bool) -> None:
        """``reconcile --fix``: no counter moves while it reads and repairs them (the
        transitions that would wait; readers do not)."""
        if fix:
            tx.execute("LOCK TABLE counters IN SHARE ROW EXCLUSIVE MODE")

    def integrity_ok(self) -> bool:
        """No counter below zero, and the store readable (the server keeps the keys)."""
        rows = self._atomic(lambda tx: tx.execute(
            "SELECT COUNT(*) FROM counters WHERE used < 0").fetchone(), write=False)
        return int(rows[0]) == 0
