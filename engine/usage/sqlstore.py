"""The usage store's transitions and reads, written once in the SQL both backends speak.

A backend (``sqlite.py``, ``postgres.py``) supplies three things:

* ``_atomic(work)``: run ``work(tx)`` in one transaction — committed whole, or
  not at all — and turn its driver's errors into the store's (``StoreError``);
* ``_time``/``_moment``: how a time is kept in a row (ISO-8601 text in SQLite,
  ``timestamptz`` in PostgreSQL);
* ``LOCK``: what a ``SELECT`` whose rows the transaction then writes ends
  with — ``FOR UPDATE`` on PostgreSQL (READ COMMITTED: the row is locked, and
  a concurrent transition of the same reservation waits, then sees the new
  state); nothing on SQLite, whose ``BEGIN IMMEDIATE`` already holds the one
  write lock before anything is read.

Everything else is here: the state machine, the conditional counter updates
(``tally.py``), the outbox events, the idempotency records
(``idempotency.py``) and the read models.  The SQL uses ``?`` placeholders
and ``INSERT … ON CONFLICT``, which both dialects accept.
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, ClassVar, Self, TypeVar

from dsl import Ruleset
from dsl.couponbatch import CodePattern
from dsl.decimal_context import in_decimal_context
from dsl.records import record

from ..money import from_minor, to_minor
from ..result import Result
from . import batches, reads, tally
from . import events as ev
from . import idempotency as idem
from .counters import BUDGET, counted, counter_key
from .sqltypes import Tx
from .store import (
    DEFAULT_TTL,
    IDEMPOTENCY_LEASE,
    IDEMPOTENCY_TTL,
    RESERVATION_STATES,
    Drift,
    IdempotencyClaim,
    IdempotentResponse,
    IllegalTransition,
    Reservation,
    ReservationConflict,
    RulesetLookup,
    StoreError,
    UnknownReservation,
    Use,
    WouldWait,
    dead_reference,
    fingerprint,
    same_content,
    uses_of,
)
from .tally import UNSPLIT, Held, SplitPolicy

T = TypeVar("T")

HEAD = ("SELECT order_ref, ruleset, currency, minor_units, customer, state, expires_at, "
        "fingerprint FROM reservations WHERE order_ref = ?")


def iso(moment: dt.datetime) -> str:
    """A time as the events (and SQLite's rows) write it: UTC, microseconds."""
    if moment.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@record
class Head:
    """A reservation's row, without its uses."""

    order_ref: str
    ruleset: str
    currency: str
    units: int
    customer: str
    state: str
    expires_at: dt.datetime
    fingerprint: str = ""

    def reservation(self, uses: Iterable[Held], units: int | None = None) -> Reservation:
        units = self.units if units is None else units
        return Reservation(self.order_ref, self.ruleset, self.customer, self.state,
                           self.expires_at.astimezone(dt.UTC),
                           tuple(Use(p, c, from_minor(a, units)) for p, c, a in uses))


class SQLStore(abc.ABC):
    """The store's behaviour over a backend's transactions (see the module's text); a
    backend gives the five abstract methods."""

    LOCK: ClassVar[str] = ""
    split: SplitPolicy = UNSPLIT

    @abc.abstractmethod
    def _atomic(self, work: Callable[[Tx], T], *, write: bool = True,
                snapshot: bool = False, one_write: bool = False) -> T:
        """Run ``work`` in one transaction (``snapshot``: every read sees one moment).
        ``one_write``: ``work`` writes with one statement at most, and raises only before
        it or through it (a failed statement undoes itself): inside a unit it needs no
        savepoint of its own."""
        ...

    @abc.abstractmethod
    def _time(self, moment: dt.datetime) -> Any:
        ...

    @abc.abstractmethod
    def _moment(self, value: Any) -> dt.datetime:
        ...

    @abc.abstractmethod
    def close(self) -> None:
        ...

    @abc.abstractmethod
    def integrity_ok(self) -> bool:
        """Whether the backend finds the store sound (a check of its own kind)."""
        ...

    def unit(self, work: Callable[[Any], T], *, write: bool = True, wait: bool = True) -> T:
        """``work(self)``; each store call in it keeps its own transaction (a backend that
        can join them overrides this: ``SQLiteStore``).  ``wait=False``: ``WouldWait``,
        since a transaction here may wait for a lock or a connection."""
        if not wait:
            raise WouldWait("this backend's transactions may wait")
        return work(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _after_copy(self, tx: Tx) -> None:
        """After ``migrate`` wrote rows with their ids: what the backend must set by them
        (nothing on SQLite; PostgreSQL moves the event ids' sequence past them)."""
        return None

    def _insert_events(self, tx: Tx, rows: list[tuple[Any, ...]]) -> None:
        tx.executemany("INSERT INTO events (type, version, occurred_at, order_ref, payload) "
                       "VALUES (?, ?, ?, ?, ?)", rows)

    # ------------------------------------------------------------ reserve

    @in_decimal_context
    def reserve(self, order_ref: str, ruleset: Ruleset, result: Result,
                ttl: dt.timedelta = DEFAULT_TTL, now: dt.datetime | None = None, *,
                idempotency: IdempotentResponse | None = None) -> Reservation:
        """Take every applied promotion's usage, all or nothing; idempotent on ``order_ref``.

        Raises ``LimitReached`` (naming the limit) when any limit would be
        exceeded, ``ReservationConflict`` when ``order_ref`` holds other content
        (another cart, other amounts: see ``fingerprint``), ``IllegalTransition``
        when it was released or expired and the content differs (the same
        content returns the reservation as it is, in whatever state),
        ``CustomerRequired`` for a per-customer limit on a guest cart.
        """
        now = now or utcnow()
        units = ruleset.minor_units
        uses = [(u.promotion, u.coupon, int(to_minor(u.amount, units))) for u in uses_of(result)]
        promotions = {p.id: p for p in ruleset.promotions}
        metadata: dict[str, dict[str, str]] = {
            p: found for p, _, _ in uses
            if p in promotions and (found := promotions[p].metadata or {})}
        head = Head(order_ref, ruleset.ruleset, ruleset.currency, units, result.customer,
                    "reserved", now + ttl, fingerprint(ruleset.ruleset, result, units))

        first: set[tuple[str, str]] = set()  # counters to reshape first, on a rerun

        def work(tx: Tx) -> Reservation:
            # Insert first: of two reserves of one new reference, the second waits on the
            # first's row (PostgreSQL) or on the write lock (SQLite), then finds it.
            inserted = tx.execute(
                "INSERT INTO reservations (order_ref, ruleset, currency, minor_units, "
                "customer, state, fingerprint, created_at, expires_at) VALUES "
                "(?, ?, ?, ?, ?, 'reserved', ?, ?, ?) ON CONFLICT (order_ref) DO NOTHING",
                (order_ref, head.ruleset, head.currency, units, head.customer,
                 head.fingerprint, self._time(now), self._time(head.expires_at))).rowcount
            if inserted != 1:
                reservation = self._existing(tx, order_ref, ruleset, result)
            else:
                tally.take(tx, self.LOCK, self.split, uses, promotions, head.customer, units,
                           first)
                batches.claim(tx, order_ref, uses, promotions)
                tx.executemany("INSERT INTO uses (order_ref, promotion, coupon, customer, "
                               "amount_minor, metadata) VALUES (?, ?, ?, ?, ?, ?)",
                               [(order_ref, p, c, head.customer, a,
                                 json.dumps(metadata[p], sort_keys=True) if p in metadata
                                 else None) for p, c, a in uses])
                self._emit(tx, now, head, uses, "reserved",
                           {"expires_at": iso(head.expires_at)}, metadata)
                reservation = head.reservation(uses)
            self._respond(tx, idempotency, reservation, now)
            return reservation

        return self._atomic(work)

    def _existing(self, tx: Tx, order_ref: str, ruleset: Ruleset, result: Result,
                  ) -> Reservation:
        """The reservation ``order_ref`` already holds, if it is this content."""
        head = self._head(tx, order_ref)
        if not same_content(head.fingerprint, ruleset.ruleset, result, ruleset.minor_units):
            if head.state in ("released", "expired"):
                raise dead_reference(order_ref, head.state)
            raise ReservationConflict(
                f"order {order_ref} is already {head.state} with another cart or other "
                "amounts; use a new order reference")
        return head.reservation(self._uses(tx, order_ref), ruleset.minor_units)

    # ------------------------------------------------------ transitions

    @in_decimal_context
    def confirm(self, order_ref: str, ruleset: Ruleset | RulesetLookup | None = None,
                now: dt.datetime | None = None, retake_expired: bool = False, *,
                idempotency: IdempotentResponse | None = None) -> Reservation:
        """``reserved → confirmed``; idempotent.

        A reservation past its TTL that ``expire`` has not released yet is
        still counted, so it confirms.  An *expired* one is an error unless
        ``retake_expired`` (the payment was captured after the hold
        expired): then its uses are taken again if the limits still allow —
        all or nothing — else ``LimitReached`` says which limit refused.
        ``ruleset`` is what they are taken again with, or a lookup given the
        reservation's ruleset id (called only then).
        """
        moment = now or utcnow()
        first: set[tuple[str, str]] = set()  # counters to reshape first, on a rerun

        def work(tx: Tx) -> Reservation:
            head = self._head(tx, order_ref, lock=True)
            uses = self._uses(tx, order_ref)
            if head.state == "reserved":
                self._settle(tx, order_ref, "reserved", "confirmed", moment)
                batches.settle(tx, order_ref, used=True)
                self._emit(tx, moment, head, uses, "consumed")
            elif head.state == "expired" and retake_expired:
                rules = ruleset(head.ruleset) if callable(ruleset) else ruleset
                if rules is None:
                    raise StoreError("re-taking an expired hold needs the ruleset")
                promotions = {p.id: p for p in rules.promotions}
                tally.take(tx, self.LOCK, self.split, uses, promotions, head.customer,
                           rules.minor_units, first)
                batches.claim(tx, order_ref, uses, promotions)  # its code, if still unused
                batches.settle(tx, order_ref, used=True)
                self._settle(tx, order_ref, "expired", "confirmed", moment)
                self._emit(tx, moment, head, uses, "reserved",
                           {"expires_at": iso(moment)})
                self._emit(tx, moment, head, uses, "consumed")
            elif head.state != "confirmed":
                raise IllegalTransition(f"order {order_ref} is {head.state}; it cannot be "
                                        "confirmed" + (" (the hold expired: capture "
                                                       "with retake)"
                                                       if head.state == "expired" else ""))
            reservation = replace(head, state="confirmed").reservation(uses)
            self._respond(tx, idempotency, reservation, moment)
            return reservation

        return self._atomic(work)

    @in_decimal_context
    def release(self, order_ref: str, now: dt.datetime | None = None, *,
                idempotency: IdempotentResponse | None = None) -> Reservation:
        """``reserved → released``, giving the uses back; idempotent.

        Releasing an expired reservation is a no-op (expiry released it);
        releasing a confirmed one is an ``IllegalTransition``.
        """
        moment = now or utcnow()

        def work(tx: Tx) -> Reservation:
            head = self._head(tx, order_ref, lock=True)
            uses = self._uses(tx, order_ref)
            if head.state == "reserved":
                self._settle(tx, order_ref, "reserved", "released", moment)
                tally.give_back(tx, self.LOCK, [(head.customer, uses)])
                batches.settle(tx, order_ref, used=False)
                self._emit(tx, moment, head, uses, "released", {"reason": "released"})
                head = replace(head, state="released")
            elif head.state == "confirmed":
                raise IllegalTransition(f"order {order_ref} is confirmed; a consumed "
                                        "use cannot be released")
            reservation = head.reservation(uses)
            self._respond(tx, idempotency, reservation, moment)
            return reservation

        return self._atomic(work)

    @in_decimal_context
    def expire(self, now: dt.datetime | None = None) -> list[str]:
        """Release every reservation past its TTL, each exactly once; returns their refs."""
        moment = now or utcnow()

        def work(tx: Tx) -> list[str]:
            due = [row[0] for row in tx.execute(
                "SELECT order_ref FROM reservations WHERE state = 'reserved' AND "
                "expires_at <= ? ORDER BY expires_at, order_ref" + self.LOCK,
                (self._time(moment),)).fetchall()]
            expired, held = [], []
            for order_ref in due:
                if self._settle(tx, order_ref, "reserved", "expired", moment, strict=False):
                    head = self._head(tx, order_ref)
                    uses = self._uses(tx, order_ref)
                    held.append((head.customer, uses))
                    batches.settle(tx, order_ref, used=False)
                    self._emit(tx, moment, head, uses, "released", {"reason": "expired"})
                    expired.append(order_ref)
            tally.give_back(tx, self.LOCK, held)
            return expired

        return self._atomic(work)

    def _head(self, tx: Tx, order_ref: str, lock: bool = False) -> Head:
        row = tx.execute(HEAD + (self.LOCK if lock else ""), (order_ref,)).fetchone()
        if row is None:
            raise UnknownReservation(f"no reservation for order {order_ref}")
        ref, ruleset, currency, units, customer, state, expires_at, fp = row
        return Head(ref, ruleset, currency, int(units), customer, state,
                    self._moment(expires_at), fp)

    @staticmethod
    def _uses(tx: Tx, order_ref: str) -> list[Held]:
        return [(p, c, int(a)) for p, c, a in tx.execute(
            "SELECT promotion, coupon, amount_minor FROM uses WHERE order_ref = ? "
            "ORDER BY promotion", (order_ref,)).fetchall()]

    def _settle(self, tx: Tx, order_ref: str, from_state: str, to_state: str,
                now: dt.datetime, strict: bool = True) -> bool:
        settled = tx.execute("UPDATE reservations SET state = ?, settled_at = ? "
                             "WHERE order_ref = ? AND state = ?",
                             (to_state, self._time(now), order_ref, from_state)).rowcount
        if settled != 1 and strict:
            raise IllegalTransition(f"order {order_ref} is no longer {from_state}")
        return settled == 1

    def _emit(self, tx: Tx, now: dt.datetime, head: Head, uses: list[Held], verb: str,
              extra: dict[str, Any] | None = None,
              metadata: dict[str, dict[str, str]] | None = None) -> None:
        """Append the events of one transition of ``head`` to the outbox; each use's
        promotion's ``metadata`` (as reserved: read from its use when not given)."""
        at = iso(now)
        rows = []
        if metadata is None and uses:
            metadata = {p: json.loads(m) for p, m in tx.execute(
                "SELECT promotion, metadata FROM uses WHERE order_ref = ? AND metadata IS NOT "
                "NULL", (head.order_ref,)).fetchall()}
        for promotion, coupon, amount in uses:
            for kind in ev.kinds_for(verb, coupon is not None):
                payload = ev.payload(
                    kind, order_ref=head.order_ref, ruleset=head.ruleset, promotion=promotion,
                    coupon=coupon, customer=head.customer,
                    amount=str(from_minor(amount, head.units)), currency=head.currency,
                    occurred_at=at, **(extra or {}))
                if metadata and promotion in metadata:
                    payload["metadata"] = metadata[promotion]
                rows.append((kind, ev.VERSION, self._time(now), head.order_ref,
                             json.dumps(payload, sort_keys=True)))
        if rows:
            self._insert_events(tx, rows)

    def _respond(self, tx: Tx, idempotency: IdempotentResponse | None,
                 reservation: Reservation, now: dt.datetime) -> None:
        """Store the answer of the request behind this transition, in its transaction."""
        if idempotency is not None:
            status, body, content_type = idempotency.respond(reservation)
            idem.finish(tx, self._time, idempotency.key, status, body, content_type, now)

    # ---------------------------------------------------- coupon batches

    def generate_codes(self, batch: str, pattern: CodePattern, count: int,
                       now: dt.datetime | None = None) -> int:
        """Add ``count`` new unique unused codes of ``pattern`` to ``batch``; returns how many
        the batch then holds.  Written ``batches.CHUNK`` codes per transaction."""
        created = self._time(now or utcnow())
        held = sum(self.batch_status(batch).values())
        refused = batches.refused_count(pattern, held, count)
        if refused is not None:
            raise refused
        target, have = held + count, held
        while have < target:  # a code drawn twice (or already held) is drawn again
            for start in range(0, target - have, batches.CHUNK):
                codes = batches.draw(pattern, min(batches.CHUNK, target - have - start))
                self._atomic(functools.partial(batches.insert, batch=batch, codes=codes,
                                               created_at=created))
            have = sum(self.batch_status(batch).values())
        return have

    def batch_code(self, code: str) -> batches.BatchCode | None:
        """What the store holds of one normalised code (``None``: never generated)."""
        return self._atomic(lambda tx: batches.lookup(tx, code), write=False)

    def batch_status(self, batch: str) -> dict[str, int]:
        """The codes of ``batch`` by state: unused, reserved, used."""
        return self._atomic(lambda tx: batches.count(tx, batch), write=False)

    def export_codes(self, batch: str, write: Callable[[list[tuple[str, str]]], None],
                     state: str | None = None) -> int:
        """Hand every code of ``batch`` (normalised) with its state to ``write``, in chunks,
        from one snapshot; returns how many."""
        return self._atomic(lambda tx: batches.export(tx, batch, state, write), write=False,
                            snapshot=True)

    # ------------------------------------------------- idempotency records

    def claim_idempotency(self, key: str, request_hash: str, *, now: dt.datetime | None = None,
                          lease: dt.timedelta = IDEMPOTENCY_LEASE,
                          ttl: dt.timedelta = IDEMPOTENCY_TTL) -> IdempotencyClaim:
        """Claim ``key`` for the request ``request_hash`` (one short transaction).

        ``claimed`` for a new key, an expired record, or a running claim whose
        lease passed; ``mismatch`` for a key used by another request;
        ``done`` with the stored response; ``running`` while another caller's
        lease lasts."""
        moment = now or utcnow()
        return self._atomic(lambda tx: idem.claim(tx, self.LOCK, self._time, self._moment,
                                                  key, request_hash, moment, lease, ttl),
                            one_write=True)

    def finish_idempotency(self, key: str, status: int, body: bytes, content_type: str, *,
                           now: dt.datetime | None = None) -> None:
        """Store a response (an error, say) for a claimed key, in its own transaction."""
        moment = now or utcnow()
        self._atomic(lambda tx: idem.finish(tx, self._time, key, status, body, content_type,
                                            moment), one_write=True)

    def abandon_idempotency(self, key: str) -> None:
        """Forget a running claim, so that a retry of the request runs again."""
        self._atomic(lambda tx: idem.abandon(tx, key), one_write=True)

    def prune_idempotency(self, now: dt.datetime | None = None) -> int:
        """Delete the idempotency records past their ``expires_at``; returns how many."""
        moment = now or utcnow()
        return self._atomic(lambda tx: idem.prune(tx, self._time, moment), one_write=True)

    def relay_cursor(self, name: str) -> int:
        """The last event id relay ``name`` delivered (0 if none)."""
        return self._atomic(lambda tx: idem.relay_cursor(tx, name), write=False)

    def set_relay_cursor(self, name: str, event_id: int) -> None:
        """Move relay ``name``'s cursor to ``event_id``; a lower id leaves it where it is."""
        self._atomic(lambda tx: idem.set_relay_cursor(tx, name, event_id), one_write=True)

    # ----------------------------------------------------- read models

    def events(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Outbox events with ``id > since``, oldest first, for a relay to publish."""
        sql = "SELECT id, payload FROM events WHERE id > ? ORDER BY id"
        params: list[Any] = [since]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._atomic(lambda tx: tx.execute(sql, params).fetchall(), write=False)
        return [{"id": int(event_id), **json.loads(payload)} for event_id, payload in rows]

    @in_decimal_context
    def reservation(self, order_ref: str, minor_units: int | None = None) -> Reservation:
        """One reservation; its uses' amounts in money (the currency's minor units as stored)."""
        return self._atomic(lambda tx: self._head(tx, order_ref).reservation(
            self._uses(tx, order_ref), minor_units), write=False)

    def reservation_counts(self) -> dict[str, int]:
        """Reservations by state, every state listed (0 when none)."""
        rows = self._atomic(lambda tx: tx.execute(
            "SELECT state, COUNT(*) FROM reservations GROUP BY state").fetchall(), write=False)
        counts = dict.fromkeys(RESERVATION_STATES, 0)
        counts.update({state: int(n) for state, n in rows})
        return counts

    def ping(self) -> None:
        """Read the store once: a ``StoreError`` if it cannot be reached or read."""
        self._atomic(lambda tx: tx.execute("SELECT COUNT(*) FROM reservations "
                                           "WHERE order_ref = ''").fetchone(), write=False)

    def counter(self, scope: str, key: str) -> int:
        return self._atomic(lambda tx: tally.value(tx, scope, key), write=False)

    def counters(self) -> dict[tuple[str, str], int]:
        return self._atomic(tally.values, write=False)

    def held_by(self, order_ref: str) -> dict[tuple[str, str], int]:
        """What one order's reserved or confirmed uses add to each counter."""
        return self.expected_counters(order_ref)

    def expected_counters(self, order_ref: str | None = None) -> dict[tuple[str, str], int]:
        """Counters recomputed from the reservation rows (reserved + confirmed)."""
        return self._atomic(lambda tx: self._expected(tx, order_ref), write=False)

    @staticmethod
    def _expected(tx: Tx, order_ref: str | None = None) -> dict[tuple[str, str], int]:
        expected: dict[tuple[str, str], int] = {}
        sql = ("SELECT u.promotion, u.coupon, u.customer, u.amount_minor FROM uses u "
               "JOIN reservations r ON r.order_ref = u.order_ref "
               "WHERE r.state IN ('reserved', 'confirmed')")
        params: list[str] = []
        if order_ref is not None:
            sql += " AND r.order_ref = ?"
            params.append(order_ref)
        for promotion, coupon, customer, amount in tx.execute(sql, params).fetchall():
            for key in counted(promotion, customer, coupon):
                expected[key] = expected.get(key, 0) + 1
            budget = (BUDGET, counter_key(promotion))
            expected[budget] = expected.get(budget, 0) + int(amount)
        return expected

    @in_decimal_context
    def reconcile(self, fix: bool = False) -> list[Drift]:
        """Compare every counter, and every batch code's state, with the reservation rows;
        with ``fix``, repair the drift."""

        def work(tx: Tx) -> list[Drift]:
            self._freeze_counters(tx, fix)
            actual = tally.values(tx)
            expected = self._expected(tx)
            drift = [Drift(scope, key, actual.get((scope, key), 0), want)
                     for (scope, key), want in sorted(expected.items())
                     if actual.get((scope, key), 0) != want]
            drift += [Drift(scope, key, have, 0) for (scope, key), have in
                      sorted(actual.items()) if (scope, key) not in expected and have]
            if fix:
                for d in drift:
                    tally.put(tx, d.scope, d.key, d.expected)
            return drift + [Drift(f"batch_codes.{scope}", batch, have, want)
                            for batch, scope, have, want in batches.drift(tx, fix)]

        return self._atomic(work, write=fix, snapshot=not fix)

    def _freeze_counters(self, tx: Tx, fix: bool) -> None:
        """Hold the counters still while ``reconcile --fix`` reads and repairs them (SQLite's
        one writer already does; PostgreSQL locks the table)."""
        return None

    @in_decimal_context
    def status(self, ruleset: Ruleset) -> list[dict[str, Any]]:
        """Per promotion (and per coupon code): limit, reserved, confirmed, remaining."""
        rows = self._atomic(lambda tx: tx.execute(reads.STATUS_SQL).fetchall(), write=False)
        return reads.status(rows, ruleset)
