"""The checkout saga as a Python API.

    StartCheckout   → validate, evaluate (seeing the store), reserve → priced result
    PaymentCaptured → confirm
    CheckoutAborted → release
    nobody settles  → ``promo usage expire`` releases the hold after its TTL

Rule for a payment captured after the hold expired: the uses are taken again
if the limits still allow it (all or nothing) and the order is confirmed;
otherwise ``LimitReached`` names the limit and nothing changes — the shop
must not grant the discount (charge the difference or cancel).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dsl import Ruleset
from dsl.decimal_context import in_decimal_context
from dsl.records import record

from ..cart import Cart
from ..program import compile_ruleset
from ..result import Result
from .store import (
    DEFAULT_TTL,
    IdempotentResponse,
    LimitReached,
    Reservation,
    UsageStore,
    dead_reference,
)
from .view import StoreView

MAX_ATTEMPTS = 3
"""Re-pricing rounds when another checkout takes a limit between evaluation and reserve."""
HOLDING = ("reserved", "confirmed")
"""The states whose uses are counted: a price may be handed out for them."""

CheckoutResponse = tuple[str, Callable[[Result, Reservation], tuple[int, bytes, str]]]
"""An idempotency key, and the (pure) answer to the request for a priced, held checkout."""


@record
class Checkout:
    """What ``start_checkout`` hands back: the price to charge and the hold behind it."""

    result: Result
    reservation: Reservation


@in_decimal_context  # (priced, and priced again, in one context)
def start_checkout(store: UsageStore, ruleset: Ruleset, cart: Cart, order_ref: str,
                   ttl: dt.timedelta = DEFAULT_TTL, at: dt.datetime | None = None, *,
                   idempotency: CheckoutResponse | None = None) -> Checkout:
    """Validate and price ``cart`` against the store's limits, then reserve the uses.

    If a concurrent checkout takes a limit between pricing and reserving, the
    cart is priced again (the promotion is then rejected with
    ``limit_reached``), so the returned price always matches the hold.  An
    order reference whose checkout was aborted (released) or whose hold
    expired holds nothing: ``IllegalTransition``, use a new one — a price is
    only ever handed out with the uses behind it held (or confirmed).

    ``idempotency``: ``(key, respond)``; the reserve that succeeds stores
    ``respond(result, reservation)`` under ``key`` in its own transaction
    (``IdempotentResponse``).
    """
    program = compile_ruleset(ruleset)
    view = StoreView(store, ruleset, order_ref)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = program.evaluate(cart, at, usage=view)
        record = None if idempotency is None else _answer(idempotency, result)
        try:
            now = at if at is not None and at.tzinfo is not None else None
            reservation = store.reserve(order_ref, ruleset, result, ttl, now=now,
                                        idempotency=record)
            if reservation.state not in HOLDING:
                raise dead_reference(order_ref, reservation.state)
            return Checkout(result, reservation)
        except LimitReached:
            if attempt == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _answer(idempotency: CheckoutResponse, result: Result) -> IdempotentResponse:
    key, respond = idempotency
    return IdempotentResponse(key, lambda reservation: respond(result, reservation))


def payment_captured(store: UsageStore, order_ref: str, ruleset: Ruleset,
                     now: dt.datetime | None = None) -> Reservation:
    """Confirm the hold; an expired one is re-taken if the limits allow."""
    return store.confirm(order_ref, ruleset, now=now, retake_expired=True)


def checkout_aborted(store: UsageStore, order_ref: str,
                     now: dt.datetime | None = None) -> Reservation:
    """Release the hold (idempotent)."""
    return store.release(order_ref, now=now)
