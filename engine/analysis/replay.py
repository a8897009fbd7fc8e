"""``promo replay``: what a ruleset would have given on an order history, limits included.

    report = replay(ruleset_path, orders_path, workers=2)

Three stages, so the history is never held and the limits stay exact:

1. reading (``orders.py``): the history in chunks of whole orders;
2. evaluation (``stage.py``): each chunk priced without limits — a pure
   function, run in worker processes (``workers``) or on a dask cluster
   (``dask``), at most a few chunks in flight;
3. the limit pass (``limits.py``): the results taken in the history's order
   (which must be time order), the usage limits and budgets applied as the
   store applies them; an order whose promotions hit a limit is priced again
   seeing the counters.

Each order is its own checkout: priced (``start_checkout``), then paid
(``payment_captured``).  The totals (``ReplayReport``) grow with the
promotions and the days, not with the orders.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsl import Ruleset
from dsl.codes import DASK_UNAVAILABLE, ORDERS_OUT_OF_ORDER
from dsl.decimal_context import in_decimal_context
from dsl.errors import Diagnostic, InputError, Span
from dsl.gc_pause import heap_frozen
from dsl.loader import read_source

from ..cart import Cart, CartError
from .histogram import Histogram
from .limits import Exhaustion, LimitPass
from .orders import Chunk, Progress, decode_chunk, read_orders
from .sources import cart_of_line
from .stage import Outcome, RulesetSource, evaluate_chunk, program_of, worker_ready

CHUNK_ORDERS = 100
"""Orders a chunk holds.  The orders of the chunks in flight when a promotion's
``uses`` or budget runs out are priced again by this process (``limits.py``): with 2
workers, chunks of 250 priced about 2,300 of 50,000 orders again, of 100 about 900,
and sending a chunk costs little beside pricing 100 orders."""
IN_FLIGHT_PER_WORKER = 2


@dataclass
class PromotionReplay:
    """One promotion over the history."""

    id: str
    name: str | None
    uses: int = 0
    discount: int = 0  # minor units
    limits: dict[str, Any] = field(default_factory=dict)  # as written: uses, budget, …
    exhaustion: Exhaustion = field(default_factory=Exhaustion)
    metadata: dict[str, str] = field(default_factory=dict)  # the promotion's: who funds it …


@dataclass
class ReplayReport:
    """What the ruleset would have given: totals, per promotion, per day."""

    ruleset: str
    currency: str
    minor_units: int
    timezone: str
    orders: int = 0
    gross: int = 0  # minor units: subtotal (gift lines included) + shipping, before discount
    discount: int = 0
    repriced: int = 0  # orders priced again by the limit pass
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    promotions: dict[str, PromotionReplay] = field(default_factory=dict)
    daily: dict[str, dict[str, int]] = field(default_factory=dict)  # day → promotion → minor
    per_order: Histogram = field(default_factory=Histogram)

    @property
    def share(self) -> float:
        """The discount as a share of revenue (subtotal + shipping, before discount)."""
        return self.discount / self.gross if self.gross else 0.0

    def add(self, final: Outcome) -> None:
        self.orders += 1
        self.gross += final.gross
        given = sum(use.amount for use in final.uses)
        self.discount += given
        self.per_order.add(given)
        self.first = self.first or final.instant
        self.last = final.instant
        day = self.daily.setdefault(final.day, {})
        for use in final.uses:
            entry = self.promotions[use.promotion]
            entry.uses += 1
            entry.discount += use.amount
            day[use.promotion] = day.get(use.promotion, 0) + use.amount


def replay(ruleset_path: str | Path, orders: str | Path, *, workers: int = 1,
           dask: str | None = None, progress: Progress | None = None,
           chunk_orders: int = CHUNK_ORDERS,
           each: Callable[[Outcome], None] | None = None) -> ReplayReport:
    """Replay the history at ``orders`` against the ruleset file at ``ruleset_path``.

    ``workers``: processes pricing chunks (1: in this process); ``dask``: a
    dask.distributed scheduler's address, to price them there instead;
    ``progress(done, total)``: called as the history is read; ``each``: called with
    every order as the store would have priced it, in order."""
    source = RulesetSource(str(ruleset_path), read_source(ruleset_path).text)
    return replay_source(source, str(orders), workers=workers, dask=dask, progress=progress,
                         chunk_orders=chunk_orders, each=each)


@in_decimal_context
def replay_source(source: RulesetSource, orders: str, *, workers: int = 1,
                  dask: str | None = None, progress: Progress | None = None,
                  chunk_orders: int = CHUNK_ORDERS,
                  each: Callable[[Outcome], None] | None = None) -> ReplayReport:
    """``replay`` of a ruleset given as text (``progress`` and ``each`` are called in the
    engine's decimal context, ``dsl.decimal_context``, as the rest of it runs)."""
    ruleset, program = program_of(source)
    report = _empty_report(ruleset)
    limits = LimitPass(ruleset, program, lambda spent: program_of(source, spent)[1])
    # (closed here, not when collected: an order refused mid-way leaves no file open)
    with contextlib.closing(read_orders(orders, chunk_orders, progress)) as chunks, \
            heap_frozen():  # the program and the report live to the end
        previous: Outcome | None = None
        for chunk, spent, priced in _evaluated(source, chunks, workers, dask,
                                               lambda: limits.spent):
            decoded: dict[int, Cart] = {}
            for order in priced:
                if previous is not None and order.instant < previous.instant:
                    raise _out_of_order(order, previous, chunk.file)
                previous = order
                final = limits.take(order, functools.partial(_again, chunk, decoded, order.line),
                                    spent)
                report.add(final)
                if each is not None:
                    each(final)
    report.repriced = limits.repriced
    for promotion_id, exhaustion in limits.exhaustion.items():
        report.promotions[promotion_id].exhaustion = exhaustion
    return report


def _out_of_order(order: Outcome, previous: Outcome, file: str) -> CartError:
    return CartError([Diagnostic(
        ORDERS_OUT_OF_ORDER, f"order {order.order} at {order.instant.isoformat()} comes "
        f"after an order at {previous.instant.isoformat()} (line {previous.line}): the "
        "limits are applied in time order", Span(file, order.line, 1),
        hint="sort the history by `at` (JSON lines: e.g. with jq -s 'sort_by(.at)')")])


def _again(chunk: Chunk, decoded: dict[int, Cart], line: int) -> Cart:
    """The order at ``line`` of ``chunk`` read again (a flat chunk: all of it, once)."""
    if chunk.kind == "lines":
        return cart_of_line(chunk.payload[line - chunk.first].decode("utf-8"), chunk.file, line)
    if not decoded:
        decoded.update(decode_chunk(chunk))
    return decoded[line]


def _empty_report(ruleset: Ruleset) -> ReplayReport:
    report = ReplayReport(ruleset.ruleset, ruleset.currency, ruleset.minor_units,
                          ruleset.timezone)
    for p in sorted(ruleset.promotions, key=lambda p: (-p.priority, p.id)):
        limits = {} if p.limits is None else \
            {k: v for k, v in p.limits.model_dump().items() if v is not None}
        report.promotions[p.id] = PromotionReplay(p.id, p.name, limits=limits,
                                                  metadata=dict(p.metadata or {}))
    return report


Evaluated = Iterator[tuple[Chunk, frozenset[str], list[Outcome]]]


def _evaluated(source: RulesetSource, chunks: Iterator[Chunk], workers: int,
               dask: str | None, spent: Callable[[], frozenset[str]]) -> Evaluated:
    """Each chunk with its orders priced without limits (and without the promotions
    spent when it was sent), in the history's order."""
    if dask is not None:
        yield from _on_dask(source, chunks, dask, workers, spent)
        return
    if workers <= 1:
        for chunk in chunks:
            now = spent()
            yield chunk, now, _checked(evaluate_chunk(source, chunk, now))
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=worker_ready,
                             initargs=(source,)) as pool:
        yield from _pipelined(lambda c, s: pool.submit(evaluate_chunk, source, c, s), chunks,
                              workers * IN_FLIGHT_PER_WORKER, spent)


def _pipelined(submit: Callable[[Chunk, frozenset[str]], Any], chunks: Iterator[Chunk],
               depth: int, spent: Callable[[], frozenset[str]]) -> Evaluated:
    """At most ``depth`` chunks in flight; results handed out in submission order."""
    waiting: deque[tuple[Chunk, frozenset[str], Any]] = deque()
    for chunk in chunks:
        now = spent()
        waiting.append((chunk, now, submit(chunk, now)))
        if len(waiting) >= depth:
            done, used, future = waiting.popleft()
            yield done, used, _checked(future.result())
    while waiting:
        done, used, future = waiting.popleft()
        yield done, used, _checked(future.result())


def _on_dask(source: RulesetSource, chunks: Iterator[Chunk], address: str,
             workers: int, spent: Callable[[], frozenset[str]]) -> Evaluated:
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--dask: dask.distributed is not installed: pip install "
                         "'promorules[dask]'", code=DASK_UNAVAILABLE) from None
    try:
        client = Client(address, timeout=10, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as err:
        raise InputError(f"--dask {address}: cannot reach the scheduler ({err})",
                         code=DASK_UNAVAILABLE) from None
    try:
        cores = max(1, sum(client.nthreads().values()))  # type: ignore[no-untyped-call]
        yield from _pipelined(
            lambda c, s: client.submit(evaluate_chunk, source, c, s, pure=False), chunks,
            max(workers, cores) * IN_FLIGHT_PER_WORKER, spent)
    finally:
        client.close()  # type: ignore[no-untyped-call]


def _checked(priced: list[Outcome] | list[Diagnostic]) -> list[Outcome]:
    if priced and isinstance(priced[0], Diagnostic):
        raise CartError(priced)
    return priced  # type: ignore[return-value]

