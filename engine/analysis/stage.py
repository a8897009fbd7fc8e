"""The evaluation stage of a replay: a pure function of (ruleset, chunk of orders).

It prices every order without a usage store and keeps what the limit pass and
the report need (``Outcome``), so it runs anywhere — a worker process, a dask
worker — and its results are the same wherever it runs.  The limit pass
(``limits.py``) then applies the limits in time order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from dsl import Ruleset, load_ruleset_text
from dsl.errors import Diagnostic, PromoError
from dsl.values import normalise_code

from ..cart import Cart
from ..money import whole_minor
from ..program import Program
from ..result import Result
from .orders import Chunk, decode_chunk


@dataclass(frozen=True)
class RulesetSource:
    """A ruleset as text, to load where the stage runs (the same bytes: the same rules)."""

    name: str
    text: str

    @property
    def key(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class Use(NamedTuple):
    """One promotion an order's pass applied."""

    promotion: str
    coupon: str | None  # normalised, as the store keys it
    amount: int  # minor units, as the store takes it (after the ruleset's max_discount)
    before_cap: int  # minor units the pass gave it before the ruleset's max_discount


class Outcome(NamedTuple):
    """One order priced without limits: what the limit pass and the report read."""

    line: int  # line or row in the history
    order: str
    instant: dt.datetime  # UTC
    day: str  # in the ruleset's timezone
    customer: str
    gross: int  # subtotal (gift lines included) + shipping, minor units
    uses: tuple[Use, ...]
    exact_only: bool  # a limited promotion its max_discount took to zero: price with limits


_PROGRAMS: dict[tuple[str, frozenset[str]], tuple[Ruleset, Program]] = {}
_LOCK = threading.Lock()


def program_of(source: RulesetSource, spent: frozenset[str] = frozenset(),
               ) -> tuple[Ruleset, Program]:
    """The source loaded and compiled, once per process; without the ``spent``
    promotions (see ``evaluate_chunk``)."""
    key = (source.key, spent)
    found = _PROGRAMS.get(key)
    if found is None:
        with _LOCK:
            found = _PROGRAMS.get(key)
            if found is None:
                ruleset = program_of(source)[0] if spent else \
                    load_ruleset_text(source.text, name=source.name)
                # A promotion refused at its eligibility leaves the pass as it was, so
                # pricing without it is pricing with it refused (its reasons aside).
                kept = ruleset.model_copy(update={"promotions": tuple(
                    p for p in ruleset.promotions if p.id not in spent)}) if spent else ruleset
                found = _PROGRAMS[key] = (ruleset, Program(kept))
    return found


def evaluate_chunk(source: RulesetSource, chunk: Chunk, spent: frozenset[str] = frozenset(),
                   ) -> list[Outcome] | list[Diagnostic]:
    """Every order of ``chunk`` priced without limits; or, for bad input, its diagnostics
    (returned, not raised: they cross process boundaries as plain data).

    ``spent``: promotions whose ``uses`` limit or budget ran out before the chunk's
    first order (they stay refused: the replay never gives a use back); they are
    left out, so the limit pass prices fewer orders again."""
    ruleset, program = program_of(source, spent)
    limited = {p.id for p in ruleset.promotions if p.limits is not None}
    try:
        return [outcome(program, limited, number, cart, result)
                for number, cart, result in _priced(program, chunk)]
    except PromoError as err:
        return err.diagnostics


def _priced(program: Program, chunk: Chunk):  # type: ignore[no-untyped-def]
    from dsl.codes import ORDER_WITHOUT_TIME
    from dsl.errors import Span

    from ..cart import CartError

    for number, cart in decode_chunk(chunk):
        if cart.at is None:
            raise CartError([Diagnostic(ORDER_WITHOUT_TIME, f"order {cart.id} has no `at`: "
                                        "a replay prices each order when it was placed",
                                        Span(chunk.file, number, 1))])
        try:
            yield number, cart, program.evaluate(cart)
        except PromoError as err:
            raise CartError([Diagnostic(d.code, f"order {cart.id}: {d.message}",
                                        Span(chunk.file, number, 1), hint=d.hint)
                             for d in err.diagnostics]) from None


def outcome(program: Program, limited: set[str], number: int, cart: Cart,
            result: Result) -> Outcome:
    """What the limit pass and the report keep of one priced order."""
    units = program.minor_units
    before = {c.promotion: c.before for c in result.capped if c.source == "max_discount"}
    uses = tuple(Use(a.promotion, normalise_code(a.coupon) if a.coupon else None,
                     whole_minor(a.amount, units),
                     whole_minor(before.get(a.promotion, a.amount), units))
                 for a in result.applied)
    exact_only = bool(before) and any(
        p in limited for p in before if all(p != a.promotion for a in result.applied))
    # the cart's own amounts and the gifts' (the result's lines would be written out to
    # be summed): the result's subtotal, as a gift's discount counts in the discount
    gross = cart.subtotal + sum((gift.total for gift in result.gifts), Decimal(0)) \
        + (cart.shipping.price if cart.shipping is not None else 0)
    at = cart.at
    assert at is not None
    if at.tzinfo is None:
        at = at.replace(tzinfo=program.zone)
    return Outcome(number, cart.id, at.astimezone(dt.UTC),
                   at.astimezone(program.zone).date().isoformat(), cart.customer.id,
                   whole_minor(gross, units), uses, exact_only)
