"""The usage store's contract: what every backend promises, its records and errors.

A backend (``sqlite.py``, ``postgres.py``) keeps counters of reserved + confirmed uses and
the reservations they come from, and moves each reservation through

    reserved → confirmed            (payment captured)
    reserved → released | expired   (checkout aborted, or nobody settled in time)
    expired  → confirmed            (payment captured after expiry, uses re-taken)

one transaction per transition, all or nothing, with the transition's events
appended to the outbox in the same transaction (docs/semantics.md#usage-store).
A transition may carry an ``IdempotentResponse``: the answer to the request
that asked for it, stored under the request's idempotency key in the same
transaction (docs/semantics.md#idempotency-records).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from dsl import Ruleset
from dsl.codes import (
    CUSTOMER_REQUIRED,
    IDEMPOTENCY_UNCLAIMED,
    ILLEGAL_TRANSITION,
    MIGRATE_MISMATCH,
    MIGRATE_TARGET_NOT_EMPTY,
    RESERVATION_CONFLICT,
    STORE_BUSY,
    STORE_CONFLICT,
    STORE_CONNECTION_LOST,
    STORE_DISK,
    STORE_ERROR,
    STORE_LOCATION,
    STORE_NOT_A_STORE,
    STORE_POOL_EXHAUSTED,
    STORE_READ_ONLY,
    STORE_SERVER_REFUSED,
    STORE_TIMEOUT,
    STORE_UNOPENABLE,
    STORE_UNREACHABLE,
    UNKNOWN_RESERVATION,
    USAGE_LIMIT,
)
from dsl.couponbatch import CodePattern
from dsl.errors import PromoError
from dsl.records import record
from dsl.values import normalise_code

from ..money import normalize, to_minor
from ..result import Result
from .counters import shown_key

if TYPE_CHECKING:
    from .batches import BatchCode

T = TypeVar("T")

DEFAULT_TTL = dt.timedelta(minutes=15)


class StoreError(PromoError):
    """The usage store cannot do what was asked."""

    code = STORE_ERROR


class StoreFileError(StoreError):
    """The store's file: not a usage store (corrupt, not SQLite), or from a newer version.

    Its subclasses name the other faults of the file."""

    code = STORE_NOT_A_STORE


class StoreMissing(StoreFileError):
    """No usage store where one must exist (only a checkout creates one)."""

    code = STORE_READ_ONLY


class StoreReadOnly(StoreFileError):
    """The store is read-only (file, directory or file system) and the call writes."""

    code = STORE_READ_ONLY


class StoreDiskFault(StoreFileError):
    """The disk is full or failing: SQLite could not read or write; nothing was written."""

    code = STORE_DISK


class StoreUnopenable(StoreFileError):
    """The store's file, or the ``-wal``/``-shm`` files beside it, cannot be opened."""

    code = STORE_UNOPENABLE


class WouldWait(Exception):  # noqa: N818 (a signal to the caller, not a failure)
    """``unit(…, wait=False)`` would have waited for a lock or the connection: nothing
    was done; run it where waiting is allowed."""


class StoreBusy(StoreError):
    """The database stayed locked past the busy timeout."""

    code = STORE_BUSY


class StoreLocationError(StoreError):
    """A store location that names no backend: a URL of an unknown scheme, or unparsable."""

    code = STORE_LOCATION


class StoreUnreachable(StoreError):
    """The store's server cannot be reached, or refuses the connection."""

    code = STORE_UNREACHABLE


class StoreConnectionLost(StoreError):
    """The connection died during a transaction: rolled back (unless during the commit)."""

    code = STORE_CONNECTION_LOST


class StoreConflict(StoreError):
    """Serialization failures or deadlocks went on past the bounded retries."""

    code = STORE_CONFLICT


class StoreTimeout(StoreError):
    """A statement ran past the statement timeout; the server cancelled it."""

    code = STORE_TIMEOUT


class StorePoolExhausted(StoreError):
    """Every connection of the pool stayed in use past the wait."""

    code = STORE_POOL_EXHAUSTED


class StoreServerRefused(StoreError):
    """The server refused a statement: permissions, disk full, out of resources."""

    code = STORE_SERVER_REFUSED


class IdempotencyUnclaimed(StoreError):
    """A response stored for an idempotency key that holds no claim."""

    code = IDEMPOTENCY_UNCLAIMED


class MigrationRefused(StoreError):
    """``migrate`` into a store that already holds something."""

    code = MIGRATE_TARGET_NOT_EMPTY


class MigrationMismatch(StoreError):
    """``migrate`` copied, but the target does not verify against the source."""

    code = MIGRATE_MISMATCH


class LimitReached(StoreError):
    """A usage limit or budget would be exceeded: nothing was reserved."""

    code = USAGE_LIMIT

    def __init__(self, message: str, promotion: str, limit: str) -> None:
        super().__init__(message)
        self.promotion = promotion
        self.limit = limit


class ReservationConflict(StoreError):
    """The order reference is already reserved with different content."""

    code = RESERVATION_CONFLICT


class IllegalTransition(StoreError):
    """Confirming a released reservation, releasing a confirmed one, and the like."""

    code = ILLEGAL_TRANSITION


def dead_reference(order_ref: str, state: str) -> IllegalTransition:
    """A checkout started again with the reference of a released or expired one.

    Such a reservation holds nothing (its uses were given back), so no price may
    be handed out for it: a new checkout needs a new order reference."""
    why = "was released (checkout aborted)" if state == "released" else \
        "expired (its hold was given back)"
    return IllegalTransition(f"order {order_ref} {why}; it holds nothing: start the new "
                             "checkout with a new order reference")


class UnknownReservation(StoreError):
    """No reservation has this order reference."""

    code = UNKNOWN_RESERVATION


class CustomerRequired(StoreError):
    """A per-customer limit cannot be enforced for a guest (no customer id)."""

    code = CUSTOMER_REQUIRED


# -------------------------------------------------------------- records


@record
class Use:
    """One promotion's use within a reservation."""

    promotion: str
    coupon: str | None  # normalised code, or None for an automatic promotion
    amount: Decimal


@record
class Reservation:
    order_ref: str
    ruleset: str
    customer: str
    state: str
    expires_at: dt.datetime
    uses: tuple[Use, ...]


@record
class IdempotencyClaim:
    """What ``claim_idempotency`` found for a request's key.

    ``claimed``: this caller runs the request (a new key, an expired record, or a
    claim whose lease passed: its claimant died); ``done``: answered before, the
    stored response is here; ``running``: another caller holds the lease;
    ``mismatch``: the key was used for another request (another hash)."""

    state: Literal["claimed", "done", "running", "mismatch"]
    status: int | None = None
    body: bytes | None = None
    content_type: str | None = None


@record
class IdempotentResponse:
    """The answer a transition stores under ``key`` in its own transaction.

    ``respond`` is called inside the transaction, after the transition, with the
    reservation as the transition leaves it; it returns ``(status, body,
    content_type)`` and must be pure (it may run again if the transaction is
    retried)."""

    key: str
    respond: Callable[[Reservation], tuple[int, bytes, str]]


RESERVATION_STATES = ("reserved", "confirmed", "released", "expired")
IDEMPOTENCY_LEASE = dt.timedelta(seconds=30)
IDEMPOTENCY_TTL = dt.timedelta(hours=24)


@record
class Drift:
    """A counter, or a count of batch codes (scope ``batch_codes.<state>`` or
    ``batch_codes.misplaced``, key the batch), that disagrees with the reservation rows."""

    scope: str
    key: str
    actual: int
    expected: int

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "key": shown_key(self.key),
                "actual": self.actual, "expected": self.expected}


def uses_of(result: Result) -> list[Use]:
    """What a priced result takes from the limits: one use per applied promotion."""
    out = []
    for applied in result.applied:
        code = normalise_code(applied.coupon) if applied.coupon else None
        out.append(Use(applied.promotion, code, applied.amount))
    return sorted(out, key=lambda u: u.promotion)


FINGERPRINT_VERSION = "v2"


def fingerprint(ruleset: str, result: Result, minor_units: int) -> str:
    """What makes two reservations of one order reference the same checkout.

    The priced content: the ruleset id, the customer, the currency, each line
    (id, sku, quantity, unit price, final total; in line-id order), the
    shipping (method, price, final) or each shipment (id, method, seller, price,
    final; in id order), the totals and the uses (promotion,
    normalised code, amount).  Not the evaluation time, the cart id or the
    rejections: the same cart at the same money is the same checkout.
    Versioned (``v2:``); a row written before has an unversioned fingerprint
    of its uses only, compared the old way (``same_content``).
    """
    def money(amount: Decimal) -> str:
        return format(normalize(amount, minor_units), "f")

    lines = sorted([line.id, line.sku, line.quantity, money(line.unit_price),
                    money(line.final_total)] for line in result.lines)
    shipping = result.shipping
    body: dict[str, Any] = {
        "ruleset": ruleset, "customer": result.customer, "currency": result.currency,
        "lines": lines,
        "shipping": None if shipping is None else [shipping.method, money(shipping.price),
                                                   money(shipping.final)],
        "subtotal": money(result.subtotal), "discount": money(result.total_discount),
        "total": money(result.total),
        "uses": [[u.promotion, u.coupon, money(u.amount)] for u in uses_of(result)],
    }
    if result.shipments is not None:  # (a cart without shipments: the body it always had)
        body["shipments"] = sorted([s.id, s.method, s.seller, money(s.price), money(s.final)]
                                   for s in result.shipments)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{FINGERPRINT_VERSION}:{hashlib.sha256(text.encode()).hexdigest()}"


def uses_fingerprint(ruleset: str, customer: str, uses: list[Use], minor_units: int) -> str:
    """The fingerprint of the first schema: the uses only (rows reserved before ``v2``)."""
    body = json.dumps([ruleset, customer, [[u.promotion, u.coupon,
                                            int(to_minor(u.amount, minor_units))]
                                           for u in uses]])
    return hashlib.sha256(body.encode()).hexdigest()


def same_content(stored: str, ruleset: str, result: Result, minor_units: int) -> bool:
    """Whether ``result`` is the content a reservation's ``stored`` fingerprint describes."""
    if stored.startswith(f"{FINGERPRINT_VERSION}:"):
        return stored == fingerprint(ruleset, result, minor_units)
    return stored == uses_fingerprint(ruleset, result.customer, uses_of(result), minor_units)


# ------------------------------------------------------------ interface


RulesetLookup = Callable[[str], "Ruleset | None"]
"""The ruleset served under an id (``None``: none is): what ``confirm`` re-takes an expired
hold with, given the reservation's ruleset id, when the caller serves several."""


class UsageStore(Protocol):
    """What the checkout saga, the dry run, the service and the command line need of a backend."""

    def reserve(self, order_ref: str, ruleset: Ruleset, result: Result,
                ttl: dt.timedelta = DEFAULT_TTL, now: dt.datetime | None = None, *,
                idempotency: IdempotentResponse | None = None) -> Reservation:
        """Take every applied promotion's usage, all or nothing; idempotent on ``order_ref``."""
        ...

    def confirm(self, order_ref: str, ruleset: Ruleset | RulesetLookup | None = None,
                now: dt.datetime | None = None, retake_expired: bool = False, *,
                idempotency: IdempotentResponse | None = None) -> Reservation:
        """``reserved → confirmed`` (``expired → confirmed`` with ``retake_expired``)."""
        ...

    def release(self, order_ref: str, now: dt.datetime | None = None, *,
                idempotency: IdempotentResponse | None = None) -> Reservation:
        """``reserved → released``, giving the uses back; idempotent."""
        ...

    def expire(self, now: dt.datetime | None = None) -> list[str]:
        """Release every reservation past its TTL; returns their order references."""
        ...

    def reconcile(self, fix: bool = False) -> list[Drift]:
        """Counters, and batch codes' states, that disagree with the reservation rows
        (repaired with ``fix``)."""
        ...

    def reservation(self, order_ref: str, minor_units: int | None = None) -> Reservation:
        """One reservation and its uses."""
        ...

    def counter(self, scope: str, key: str) -> int:
        """One counter's value (0 when it was never touched)."""
        ...

    def held_by(self, order_ref: str) -> dict[tuple[str, str], int]:
        """What one order's reserved or confirmed uses add to each counter."""
        ...

    def events(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Outbox events with ``id > since``, oldest first."""
        ...

    def status(self, ruleset: Ruleset) -> list[dict[str, Any]]:
        """Per promotion and coupon code: limit, reserved, confirmed, remaining, budget."""
        ...

    def claim_idempotency(self, key: str, request_hash: str, *, now: dt.datetime | None = None,
                          lease: dt.timedelta = IDEMPOTENCY_LEASE,
                          ttl: dt.timedelta = IDEMPOTENCY_TTL) -> IdempotencyClaim:
        """Claim a request's idempotency key, or say who has it and what it answered."""
        ...

    def finish_idempotency(self, key: str, status: int, body: bytes, content_type: str, *,
                           now: dt.datetime | None = None) -> None:
        """Store the response of a claimed key that no transition answered (an error)."""
        ...

    def abandon_idempotency(self, key: str) -> None:
        """Forget a claim (the request failed on our side): a retry runs again."""
        ...

    def prune_idempotency(self, now: dt.datetime | None = None) -> int:
        """Delete the records past their ``expires_at``; returns how many."""
        ...

    def relay_cursor(self, name: str) -> int:
        """The last event id relay ``name`` delivered (0 if none)."""
        ...

    def set_relay_cursor(self, name: str, event_id: int) -> None:
        """Move relay ``name``'s cursor forward to ``event_id`` (never backwards)."""
        ...

    def ping(self) -> None:
        """Raise a ``StoreError`` if the store cannot be reached or read."""
        ...

    def reservation_counts(self) -> dict[str, int]:
        """Reservations by state: reserved, confirmed, released, expired (zeros included)."""
        ...

    def generate_codes(self, batch: str, pattern: CodePattern, count: int,
                       now: dt.datetime | None = None) -> int:
        """Add ``count`` unique single-use codes of ``pattern`` to ``batch`` (``batches.py``)."""
        ...

    def batch_code(self, code: str) -> BatchCode | None:
        """What the store holds of one normalised code: its batch, state, order."""
        ...

    def batch_status(self, batch: str) -> dict[str, int]:
        """The codes of ``batch`` by state: unused, reserved, used."""
        ...

    def export_codes(self, batch: str, write: Callable[[list[tuple[str, str]]], None],
                     state: str | None = None) -> int:
        """Every code of ``batch`` with its state, handed to ``write`` in chunks."""
        ...

    def unit(self, work: Callable[[UsageStore], T], *, write: bool = True,
             wait: bool = True) -> T:
        """``work(store)``, every store call in it one transaction where the backend can
        (SQLite: each call's own transaction becomes a savepoint of this one; PostgreSQL:
        each call keeps its own).  ``write=False``: it only reads.  ``wait=False``:
        ``WouldWait`` at once, nothing done, instead of waiting for a lock."""
        ...

    def close(self) -> None:
        ...
