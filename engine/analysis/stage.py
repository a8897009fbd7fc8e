"""The evaluation stage of a replay: a pure function of (ruleset, chunk of orders).

It prices every order without a usage store and keeps what the limit pass and
the report need (``Outcome``), so it runs anywhere — a worker process, a dask
worker — and its results are the same wherever it runs.  The limit pass
(``limits.py``) then applies the limits in time order.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import threading
from collections.abc import Collection
from typing import NamedTuple

from dsl import Ruleset, load_ruleset_text
from dsl.decimal_context import in_decimal_context
from dsl.errors import Diagnostic, PromoError
from dsl.records import record
from dsl.values import normalise_code

from ..cart import Cart
from ..money import known_wholes, shifted_minor, whole_minor
from ..program import Pass, Program
from .orders import Chunk, decode_chunk


@record
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


def worker_ready(source: RulesetSource) -> None:
    """A worker process's start: the program built once, then left out of the garbage
    collector's passes (``gc.freeze``: it lives as long as the worker)."""
    program_of(source)
    gc.freeze()


@in_decimal_context  # (a worker's context is its own: a dask worker's may be anything)
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
        return [outcome(program, limited, number, cart, priced)
                for number, cart, priced in _priced(program, chunk)]
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
            yield number, cart, program.run_pass(cart)
        except PromoError as err:
            raise CartError([Diagnostic(d.code, f"order {cart.id}: {d.message}",
                                        Span(chunk.file, number, 1), hint=d.hint)
                             for d in err.diagnostics]) from None


def outcome(program: Program, limited: Collection[str], number: int, cart: Cart,
            priced: Pass) -> Outcome:
    """What the limit pass and the report keep of one priced order: read off the pass
    (``Program.run_pass``), as its result would write it (``priced_result``)."""
    units = program.minor_units
    state = priced.state
    before = {c.promotion: c.before for c in state.capped
              if c.source == "max_discount"} if state.capped else {}
    uses = []
    gifts = 0
    wholes = known_wholes(units)  # (the parts were made by ``from_minor``: found here)
    for entry in state.applied:
        promotion, amount = entry.compiled.id, 0
        for part in entry.parts.values():
            whole = wholes.get(part)
            amount += whole_minor(part, units) if whole is None else whole
        uses.append(_use((promotion, _store_code(entry.coupon) if entry.coupon else None,
                          amount, whole_minor(before[promotion], units) if promotion in before
                          else amount)))
        if entry.gifts:  # the gift lines the result holds: max_discount did not cut them
            gifts += sum(whole_minor(gift.total, units) for gift in entry.gifts
                         if entry.parts.get(gift.id))
    exact_only = bool(before) and any(
        p in limited for p in before if all(p != use.promotion for use in uses))
    # the cart's own amounts and the gifts': the result's subtotal, as a gift's discount
    # counts in the discount; the shipping is the one shipping's price or the shipments'
    # together (the facts hold both, quantized)
    facts = priced.facts.cart
    gross = shifted_minor(facts["subtotal"] + facts["shipping_price"], units) + gifts
    # (the facts' moment is the cart's ``at`` with the ruleset's zone if it had none, and
    # their date the moment's day in that zone)
    return Outcome(number, cart.id, facts["at"].astimezone(dt.UTC),
                   facts["date"].isoformat(), cart.customer.id, gross, tuple(uses),
                   exact_only)


# Codes as the store keys them; a history enters the same few codes again and again.
_store_code = functools.lru_cache(maxsize=4096)(normalise_code)
# A ``Use`` made from a tuple without the named tuple's own constructor, a Python
# function called for every promotion applied to every order.
_use = functools.partial(tuple.__new__, Use)
