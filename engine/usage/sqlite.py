"""The SQLite backend of the usage store: one file, reserve → confirm / release.

The reservation rows are the source of truth; the ``counters`` table is the
fast, lockable summary the limits are checked against.  Every transition is
one ``BEGIN IMMEDIATE`` transaction (the connection runs with
``isolation_level=None``) made of conditional writes whose row counts are
checked — ``UPDATE counters SET used = used + ? WHERE … AND used + ? <= ?``,
``UPDATE reservations … WHERE state = 'reserved'`` — never a read followed by
a write in a deferred transaction.  Each transition appends its events to the
``events`` outbox in the same transaction.

The counters and their keys are declared in ``counters.py``.
A counter counts reserved + confirmed uses.  A reservation's state moves
``reserved → confirmed`` or ``reserved → released | expired``; the only way
back is ``expired → confirmed`` (a payment captured after the hold expired,
see ``confirm(retake_expired=True)``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from dsl import Ruleset
from dsl.codes import STORE_TOO_NEW
from dsl.model import Promotion

from ..money import from_minor, to_minor
from ..result import Result
from . import events as ev
from . import reads
from .counters import BUDGET, counted, counter_key, limited
from .files import check_path, connect, fault
from .store import (
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
    StoreMissing,
    StoreReadOnly,
    UnknownReservation,
    Use,
    dead_reference,
    fingerprint,
    same_content,
    uses_of,
)

F = TypeVar("F", bound=Callable[..., Any])

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


MIGRATIONS = [_migration_1]
"""Schema migrations in order; the file's version is how many have run."""
SCHEMA_VERSION = len(MIGRATIONS)


# -------------------------------------------------------------- records


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- store


def _guarded(method: F) -> F:
    """A read model that raises the store's errors, never a raw ``sqlite3`` one."""

    @functools.wraps(method)
    def wrapper(self: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as err:
            raise self._file_error(err) from None

    return wrapper  # type: ignore[return-value]


class SQLiteStore:
    """A usage store on one SQLite file (WAL, busy timeout).

    ``readonly`` opens it only to read (``mode=ro``; see ``files.py``).  Only
    with ``create`` (the default) is a store made where there is none: a new
    file, or an empty one; otherwise ``StoreMissing``, and nothing is created.
    """

    def __init__(self, path: str | Path, *, timeout_ms: int = BUSY_TIMEOUT_MS,
                 readonly: bool = False, create: bool = True) -> None:
        self.path = str(path)
        self.readonly = readonly
        check_path(self.path, readonly=readonly, create=create)
        try:
            conn = connect(self.path, readonly=readonly, timeout_ms=timeout_ms)
            self.conn = conn
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                # refuse a newer file, or one that is no store, before writing anything to it
                if self._schema_version() == 0 and (readonly or not create):
                    raise self._not_created()
                if not readonly:
                    self._use_wal(timeout_ms)
                    conn.execute("PRAGMA synchronous = NORMAL")
                self.db = sqlite_utils.Database(conn)
                self._migrate()
            except BaseException:
                conn.close()
                raise
        except sqlite3.DatabaseError as err:
            raise self._file_error(err) from None

    def _not_created(self) -> StoreFileError:
        """A file with no store in it yet: empty, or some other SQLite database."""
        if self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0:
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
                self.conn.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)

    def _file_error(self, err: sqlite3.DatabaseError) -> StoreError:
        return fault(self.path, err)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        with self._transaction():
            # Re-read inside the lock: another process may have migrated meanwhile.
            version = self._schema_version()
            for migration in MIGRATIONS[version:]:
                migration(self.db)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` (``BEGIN`` to only read) … ``COMMIT``; anything raised rolls back."""
        if write and self.readonly:
            raise StoreReadOnly(f"{self.path}: the store is open read-only; nothing was written")
        try:
            self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as err:
            raise self._file_error(err) from None
        try:
            yield self.conn
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as err:
            self._rollback()
            raise self._file_error(err) from None

    def _rollback(self) -> None:
        # SQLite has already rolled back after some errors (a full disk, for one);
        # a second ROLLBACK would hide the real error behind "no transaction is active".
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # ------------------------------------------------------------ reserve

    @_guarded
    def reserve(self, order_ref: str, ruleset: Ruleset, result: Result,
                ttl: dt.timedelta = DEFAULT_TTL, now: dt.datetime | None = None,
                ) -> Reservation:
        """Take every applied promotion's usage, all or nothing; idempotent on ``order_ref``.

        Raises ``LimitReached`` (naming the limit) when any limit would be
        exceeded, ``ReservationConflict`` when ``order_ref`` holds other content
        (another cart, other amounts: see ``fingerprint``), ``IllegalTransition``
        when it was released or expired and the content differs (the same
        content returns the reservation as it is, in whatever state),
        ``CustomerRequired`` for a per-customer limit on a guest cart.
        """
        now = now or _now()
        customer = result.customer
        uses = uses_of(result)
        promotions = {p.id: p for p in ruleset.promotions}
        units = ruleset.minor_units
        with self._transaction() as conn:
            row = conn.execute("SELECT fingerprint, state FROM reservations "
                               "WHERE order_ref = ?", (order_ref,)).fetchone()
            if row is not None:
                stored, state = row
                if not same_content(stored, ruleset.ruleset, result, units):
                    if state in ("released", "expired"):
                        raise dead_reference(order_ref, state)
                    raise ReservationConflict(
                        f"order {order_ref} is already {state} with another cart or other "
                        "amounts; use a new order reference")
            else:
                expires = now + ttl
                conn.execute(
                    "INSERT INTO reservations (order_ref, ruleset, currency, minor_units, "
                    "customer, state, fingerprint, created_at, expires_at) VALUES "
                    "(?, ?, ?, ?, ?, 'reserved', ?, ?, ?)",
                    (order_ref, ruleset.ruleset, ruleset.currency, units, customer,
                     fingerprint(ruleset.ruleset, result, units), _iso(now), _iso(expires)))
                self._take(conn, uses, promotions, customer, units, order_ref)
                for use in uses:
                    conn.execute(
                        "INSERT INTO uses (order_ref, promotion, coupon, customer, "
                        "amount_minor) VALUES (?, ?, ?, ?, ?)",
                        (order_ref, use.promotion, use.coupon, customer,
                         int(to_minor(use.amount, units))))
                self._emit_for(conn, now, order_ref, "reserved",
                               extra={"expires_at": _iso(expires)})
        return self.reservation(order_ref, units)

    def _take(self, conn: sqlite3.Connection, uses: list[Use],
              promotions: dict[str, Promotion], customer: str, units: int,
              order_ref: str) -> None:
        """Conditionally increment every counter; the first refusal aborts them all."""
        for use in uses:
            promotion = promotions.get(use.promotion)
            if promotion is None:
                raise StoreError(f"promotion {use.promotion} is not in the ruleset")
            limits = promotion.limits
            if limits and limits.per_customer is not None and not customer:
                raise CustomerRequired(f"{use.promotion} has a per-customer limit, and the "
                                       "cart has no customer id")
            for scope, key, limit in limited(promotion, customer, use.coupon):
                self._increment(conn, scope, key, 1, limit, use.promotion, scope)
            budget = limits.budget if limits else None
            self._increment(conn, BUDGET, counter_key(use.promotion),
                            int(to_minor(use.amount, units)),
                            None if budget is None else int(to_minor(budget, units)),
                            use.promotion, BUDGET)

    @staticmethod
    def _increment(conn: sqlite3.Connection, scope: str, key: str, amount: int,
                   limit: int | None, promotion: str, name: str) -> None:
        conn.execute("INSERT OR IGNORE INTO counters (scope, key, used) VALUES (?, ?, 0)",
                     (scope, key))
        if limit is None:
            conn.execute("UPDATE counters SET used = used + ? WHERE scope = ? AND key = ?",
                         (amount, scope, key))
            return
        cursor = conn.execute(
            "UPDATE counters SET used = used + ? WHERE scope = ? AND key = ? "
            "AND used + ? <= ?", (amount, scope, key, amount, limit))
        if cursor.rowcount != 1:
            what = BUDGET if name == BUDGET else f"{name} limit ({limit})"
            raise LimitReached(f"{promotion}: {what} reached; nothing was reserved",
                               promotion, name)

    @staticmethod
    def _give_back(conn: sqlite3.Connection, order_ref: str) -> list[Use]:
        rows = conn.execute(
            "SELECT u.promotion, u.coupon, u.customer, u.amount_minor FROM uses u "
            "WHERE u.order_ref = ? ORDER BY u.promotion", (order_ref,)).fetchall()
        for promotion, coupon, customer, amount_minor in rows:
            for scope, key in counted(promotion, customer, coupon):
                conn.execute("UPDATE counters SET used = used - 1 WHERE scope = ? "
                             "AND key = ?", (scope, key))
            conn.execute("UPDATE counters SET used = used - ? WHERE scope = ? AND key = ?",
                         (amount_minor, BUDGET, counter_key(promotion)))
        return [Use(p, c, Decimal(a)) for p, c, _, a in rows]

    # ------------------------------------------------------ transitions

    @_guarded
    def confirm(self, order_ref: str, ruleset: Ruleset | None = None,
                now: dt.datetime | None = None, retake_expired: bool = False,
                ) -> Reservation:
        """``reserved → confirmed``; idempotent.

        A reservation past its TTL that ``expire`` has not released yet is
        still counted, so it confirms.  An *expired* one is an error unless
        ``retake_expired`` (the payment was captured after the hold
        expired): then its uses are taken again if the limits still allow —
        all or nothing — else ``LimitReached`` says which limit refused.
        """
        now = now or _now()
        with self._transaction() as conn:
            state = self._state(conn, order_ref)
            if state == "confirmed":
                pass
            elif state == "reserved":
                self._settle(conn, order_ref, "reserved", "confirmed", now)
                self._emit_for(conn, now, order_ref, "consumed")
            elif state == "expired" and retake_expired:
                if ruleset is None:
                    raise StoreError("re-taking an expired hold needs the ruleset")
                self._retake(conn, order_ref, ruleset)
                self._settle(conn, order_ref, "expired", "confirmed", now)
                self._emit_for(conn, now, order_ref, "reserved",
                               extra={"expires_at": _iso(now)})
                self._emit_for(conn, now, order_ref, "consumed")
            else:
                raise IllegalTransition(f"order {order_ref} is {state}; it cannot be "
                                        "confirmed" + (" (the hold expired: capture "
                                                       "with retake)"
                                                       if state == "expired" else ""))
        return self.reservation(order_ref)

    def _retake(self, conn: sqlite3.Connection, order_ref: str, ruleset: Ruleset) -> None:
        rows = conn.execute("SELECT promotion, coupon, customer, amount_minor FROM uses "
                            "WHERE order_ref = ?", (order_ref,)).fetchall()
        units = ruleset.minor_units
        uses = [Use(p, c, from_minor(a, units)) for p, c, _, a in rows]
        customer = rows[0][2] if rows else ""
        self._take(conn, uses, {p.id: p for p in ruleset.promotions}, customer, units,
                   order_ref)

    @_guarded
    def release(self, order_ref: str, now: dt.datetime | None = None) -> Reservation:
        """``reserved → released``, giving the uses back; idempotent.

        Releasing an expired reservation is a no-op (expiry released it);
        releasing a confirmed one is an ``IllegalTransition``.
        """
        now = now or _now()
        with self._transaction() as conn:
            state = self._state(conn, order_ref)
            if state == "reserved":
                self._settle(conn, order_ref, "reserved", "released", now)
                self._give_back(conn, order_ref)
                self._emit_for(conn, now, order_ref, "released",
                               extra={"reason": "released"})
            elif state == "confirmed":
                raise IllegalTransition(f"order {order_ref} is confirmed; a consumed "
                                        "use cannot be released")
        return self.reservation(order_ref)

    @_guarded
    def expire(self, now: dt.datetime | None = None) -> list[str]:
        """Release every reservation past its TTL, each exactly once; returns their refs."""
        now = now or _now()
        expired = []
        with self._transaction() as conn:
            due = [r[0] for r in conn.execute(
                "SELECT order_ref FROM reservations WHERE state = 'reserved' AND "
                "expires_at <= ? ORDER BY expires_at, order_ref", (_iso(now),))]
            for order_ref in due:
                if self._settle(conn, order_ref, "reserved", "expired", now,
                                strict=False):
                    self._give_back(conn, order_ref)
                    self._emit_for(conn, now, order_ref, "released",
                                   extra={"reason": "expired"})
                    expired.append(order_ref)
        return expired

    @staticmethod
    def _state(conn: sqlite3.Connection, order_ref: str) -> str:
        row = conn.execute("SELECT state FROM reservations WHERE order_ref = ?",
                           (order_ref,)).fetchone()
        if row is None:
            raise UnknownReservation(f"no reservation for order {order_ref}")
        return str(row[0])

    @staticmethod
    def _settle(conn: sqlite3.Connection, order_ref: str, from_state: str, to_state: str,
                now: dt.datetime, strict: bool = True) -> bool:
        cursor = conn.execute("UPDATE reservations SET state = ?, settled_at = ? "
                              "WHERE order_ref = ? AND state = ?",
                              (to_state, _iso(now), order_ref, from_state))
        if cursor.rowcount != 1 and strict:
            raise IllegalTransition(f"order {order_ref} is no longer {from_state}")
        return cursor.rowcount == 1

    # ----------------------------------------------------------- events

    @staticmethod
    def _emit_for(conn: sqlite3.Connection, now: dt.datetime, order_ref: str, verb: str,
                  extra: dict[str, Any] | None = None) -> None:
        """Append the events of one transition of ``order_ref`` to the outbox."""
        ruleset, currency, units, customer = conn.execute(
            "SELECT ruleset, currency, minor_units, customer FROM reservations "
            "WHERE order_ref = ?", (order_ref,)).fetchone()
        uses = conn.execute("SELECT promotion, coupon, amount_minor FROM uses "
                            "WHERE order_ref = ? ORDER BY promotion", (order_ref,)).fetchall()
        for promotion, coupon, amount_minor in uses:
            for kind in ev.kinds_for(verb, coupon is not None):
                payload = ev.payload(
                    kind, order_ref=order_ref, ruleset=ruleset, promotion=promotion,
                    coupon=coupon, customer=customer,
                    amount=str(from_minor(amount_minor, units)), currency=currency,
                    occurred_at=_iso(now), **(extra or {}))
                conn.execute("INSERT INTO events (type, version, occurred_at, order_ref, "
                             "payload) VALUES (?, ?, ?, ?, ?)",
                             (kind, ev.VERSION, _iso(now), order_ref,
                              json.dumps(payload, sort_keys=True)))

    @_guarded
    def events(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Outbox events with ``id > since``, oldest first, for a relay to publish."""
        sql = "SELECT id, payload FROM events WHERE id > ? ORDER BY id"
        params: list[Any] = [since]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [{"id": row["id"], **json.loads(row["payload"])}
                for row in self.db.query(sql, params)]

    # ----------------------------------------------------- read models

    @_guarded
    def reservation(self, order_ref: str, minor_units: int | None = None) -> Reservation:
        """One reservation; its uses' amounts in money (the currency's minor units as stored)."""
        row = self.conn.execute(
            "SELECT order_ref, ruleset, customer, state, expires_at, minor_units "
            "FROM reservations WHERE order_ref = ?", (order_ref,)).fetchone()
        if row is None:
            raise UnknownReservation(f"no reservation for order {order_ref}")
        units = row[5] if minor_units is None else minor_units
        uses = tuple(
            Use(p, c, from_minor(a, units))
            for p, c, a in self.conn.execute(
                "SELECT promotion, coupon, amount_minor FROM uses WHERE order_ref = ? "
                "ORDER BY promotion", (order_ref,)))
        return Reservation(row[0], row[1], row[2], row[3],
                           dt.datetime.fromisoformat(row[4]), uses)

    @_guarded
    def counter(self, scope: str, key: str) -> int:
        row = self.conn.execute("SELECT used FROM counters WHERE scope = ? AND key = ?",
                                (scope, key)).fetchone()
        return int(row[0]) if row else 0

    @_guarded
    def counters(self) -> dict[tuple[str, str], int]:
        return {(r["scope"], r["key"]): r["used"]
                for r in self.db.query("SELECT scope, key, used FROM counters")}

    def held_by(self, order_ref: str) -> dict[tuple[str, str], int]:
        """What one order's reserved or confirmed uses add to each counter."""
        return self.expected_counters(order_ref)

    @_guarded
    def expected_counters(self, order_ref: str | None = None) -> dict[tuple[str, str], int]:
        """Counters recomputed from the reservation rows (reserved + confirmed)."""
        expected: dict[tuple[str, str], int] = {}
        sql = ("SELECT u.promotion, u.coupon, u.customer, u.amount_minor FROM uses u "
               "JOIN reservations r ON r.order_ref = u.order_ref "
               "WHERE r.state IN ('reserved', 'confirmed')")
        params: list[str] = []
        if order_ref is not None:
            sql += " AND r.order_ref = ?"
            params.append(order_ref)
        rows = self.db.query(sql, params)
        for row in rows:
            promotion = row["promotion"]
            for key in counted(promotion, row["customer"], row["coupon"]):
                expected[key] = expected.get(key, 0) + 1
            budget = (BUDGET, counter_key(promotion))
            expected[budget] = expected.get(budget, 0) + int(row["amount_minor"])
        return expected

    @_guarded
    def reconcile(self, fix: bool = False) -> list[Drift]:
        """Compare every counter with the reservation rows; with ``fix``, repair the drift."""
        with self._transaction(write=fix) as conn:
            actual = self.counters()
            expected = self.expected_counters()
            drift = [Drift(scope, key, actual.get((scope, key), 0), want)
                     for (scope, key), want in sorted(expected.items())
                     if actual.get((scope, key), 0) != want]
            drift += [Drift(scope, key, have, 0) for (scope, key), have in
                      sorted(actual.items()) if (scope, key) not in expected and have]
            if fix:
                for d in drift:
                    conn.execute("INSERT OR IGNORE INTO counters (scope, key, used) "
                                 "VALUES (?, ?, 0)", (d.scope, d.key))
                    conn.execute("UPDATE counters SET used = ? WHERE scope = ? AND "
                                 "key = ?", (d.expected, d.scope, d.key))
        return drift

    def integrity_ok(self) -> bool:
        """``PRAGMA integrity_check``; a file too damaged to check is not ok either."""
        try:
            return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
        except sqlite3.DatabaseError as err:
            error = self._file_error(err)
            if isinstance(error, StoreBusy):
                raise error from None
            return False

    @_guarded
    def status(self, ruleset: Ruleset) -> list[dict[str, Any]]:
        """Per promotion (and per coupon code): limit, reserved, confirmed, remaining."""
        return reads.status(self.db, ruleset)
