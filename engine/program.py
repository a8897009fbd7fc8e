"""A ruleset compiled for evaluation: promotions in order, conditions compiled, the index.

    program = compile_ruleset(ruleset)      # once per ruleset (cached by the engine)
    result = program.evaluate(cart)         # per cart; thread-safe

``evaluate.py`` holds the per-cart passes; this module builds what they share.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from dsl import Ruleset
from dsl.codes import CART_BAD_TIME, CART_CURRENCY
from dsl.decimal_context import in_decimal_context
from dsl.effects import Effect, Gift, Shipping
from dsl.errors import Diagnostic
from dsl.expr.types import Context
from dsl.gc_pause import gc_paused
from dsl.model import Promotion
from dsl.records import record
from dsl.schedule import Schedule
from dsl.values import YEARS, normalise_code

from . import reasons as r
from .caps import apply_max_discount
from .cart import Cart, CartError
from .compile import CONDITION, LINES, SHIPMENTS, Compiled, LineFilter, compile_all
from .evaluate import Bounds, Evaluation
from .facts import Facts, cart_facts, fields_read
from .index import PromotionIndex, set_positions
from .money import quantum
from .plans import plans_for
from .priced import priced_result
from .rejections import explain_skipped, written
from .result import Rejected, Rejections, Result
from .stacking import PassState

if TYPE_CHECKING:
    from .bestdeal import Decision
    from .condition_trace import ConditionTracer
    from .explain import Explainer

CHECK_INDEX = os.environ.get("PROMORULES_CHECK_INDEX", "") not in ("", "0")
"""Check on every evaluation that the index left out no promotion that applies
(the test suite turns it on; it costs the reasons of every promotion left out)."""
INDEX_PAYS_FROM = 10
"""Promotions per line of the cart from which the index is used.  It reads keys off
every line of a cart and saves the checks of the promotions it leaves out, so for a
small ruleset and a large cart running the promotions open at the cart's moment
whose code was entered (``Program._positions``) costs less.  Measured on the
benchmark's reference workload (``python -m benchmarks.suite --index-crossover``,
10 to 1,000 promotions, 1 to 100 lines): the index paid from about 10 to 20
promotions per line (from 4 or 5 in rulesets of 10 or 20 promotions, where both
cost little); at 10 the choice costs at most about 12 % either way."""
MAX_SUBSETS = 4096
"""Sets of promotions (``Program._positions``) a program keeps written out as positions."""
MAX_APPLIED = 200_000
"""The cart's lines (at least one) times the promotions that apply in a pass: it bounds
what a result holds and what writing it out costs (README "Limits")."""
MAX_WORK = 1_000_000
"""Line discounts one cart's evaluation may compute, its reasons included: each effect
computed counts the lines it takes from (at least one)."""

COMPILED_AS = {Context.CART: CONDITION, Context.ITEM: LINES, Context.SHIPMENT: SHIPMENTS}
"""How a condition about each context is compiled (``compile.compile_all``)."""


class Pass(NamedTuple):
    """One cart's pass over the promotions (``Program.run_pass``), before its result."""

    facts: Facts
    run: Evaluation
    state: PassState  # what applied (``max_discount`` applied), what was rejected
    positions: Sequence[int]  # the promotions the pass ran; the others were left out
    unmatched: list[Rejected]  # the codes entered that chose no promotion
    decision: Decision | None  # the best-deal search's (best_deal stacking)


class UsageView(Protocol):
    """Read-only view of the usage store, for dry runs that respect limits."""

    def refusal(self, promotion: Promotion, customer: str, code: str | None,
                ) -> tuple[str, str] | None:
        """``(reason code, sentence)`` when a use limit is reached, else ``None``."""

    def budget_left(self, promotion: Promotion) -> Decimal | None:
        """Discount budget still available (``None`` when unlimited)."""


@record
class CompiledEffect:
    """One effect of a promotion with the lines it takes from compiled."""

    effect: Effect
    target: LineFilter | None  # its own target, else the promotion's (a gift's: none)
    get_target: LineFilter | None
    shipping: bool  # a shipping effect: it takes from no line


@record
class CompiledPromotion:
    """A promotion with its conditions compiled and its window resolved."""

    id: str
    promotion: Promotion
    when: Compiled | None
    target: LineFilter | None  # the lines it selects, from the cart's facts
    get_target: LineFilter | None
    shipment_target: LineFilter | None  # the shipments it selects (a shipping effect)
    starts: dt.datetime | None  # as written, in the ruleset's timezone (for reasons)
    ends: dt.datetime | None
    is_coupon: bool  # read for every promotion of every cart: kept at hand
    effects: tuple[CompiledEffect, ...]  # in the order they apply
    schedule: Schedule | None  # its days and hours, in the ruleset's timezone
    # the window as instants (UTC): moments in one zone compare by wall clock in
    # Python, which a daylight-saving change makes disagree with their order
    opens: dt.datetime | None = field(init=False)
    closes: dt.datetime | None = field(init=False)
    window: tuple[str, str] = field(init=False)  # starts and ends as reasons show them
    # a per-customer limit or a coupon batch: checks left to a pass without a store
    limited: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "opens", _instant(self.starts))
        object.__setattr__(self, "closes", _instant(self.ends))
        limits = self.promotion.limits
        object.__setattr__(self, "limited", limits is not None and limits.per_customer
                           is not None or self.promotion.coupon_batch is not None)
        object.__setattr__(self, "window", tuple(m.isoformat() if m is not None else ""
                                                  for m in (self.starts, self.ends)))

    def active(self, at: dt.datetime) -> bool:
        """Whether the window contains instant ``at`` (a UTC datetime); its schedule
        is not looked at (``open_at`` does)."""
        return (self.opens is None or self.opens <= at) and \
            (self.closes is None or at < self.closes)

    def open_at(self, at: dt.datetime) -> bool:
        """Whether the window contains instant ``at`` and its schedule is open then."""
        return self.active(at) and (self.schedule is None or self.schedule.is_open(at))


def _instant(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(dt.UTC) if moment is not None else None


def _in_years(moment: dt.datetime) -> dt.datetime:
    """An evaluation time within ``YEARS``: beyond, an offset or a timezone overflows."""
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise CartError([Diagnostic(CART_BAD_TIME, f"at: {moment.isoformat()} is outside the "
                                    f"years {YEARS[0]} to {YEARS[1]}")])
    return moment


def _moment(value: dt.date | dt.datetime | None, ruleset: Ruleset) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value if value.tzinfo is not None else value.replace(tzinfo=ruleset.zone)



class Program:
    """A ruleset compiled for evaluation; immutable, reusable for many carts."""

    @in_decimal_context  # (the index and the plans keep amounts of the ruleset)
    def __init__(self, ruleset: Ruleset, use_index: bool = True,
                 check_index: bool = CHECK_INDEX) -> None:
        self.check_index = check_index and use_index
        with gc_paused():
            self._build(ruleset, use_index)

    @functools.cached_property
    def explainer(self) -> Explainer:
        """Says why a condition is false (imported when a reason first needs it)."""
        from .explain import Explainer

        return Explainer(self.zone)

    def _build(self, ruleset: Ruleset, use_index: bool) -> None:
        self.ruleset = ruleset
        self.zone = zone = ruleset.zone
        ordered = sorted(ruleset.promotions, key=lambda p: (-p.priority, p.id))

        # Every condition compiled in one go (one call of Python's compiler for the
        # ruleset), once per condition text and use.
        wanted: dict[tuple[str, str], Any] = {}
        for p in ordered:
            for _, cond, context in p.conditions():
                wanted.setdefault((cond.source, COMPILED_AS[context]), cond.node)
        functions = dict(zip(wanted, compile_all([(node, use) for (_, use), node
                                                  in wanted.items()], zone), strict=True))

        # the facts conditions read beyond what every evaluation reads (``cart_facts``)
        self.reads = fields_read(cond.node for p in ordered for _, cond, _ in p.conditions())

        def built(cond: Any, use: str) -> Any:
            return None if cond is None else functions[cond.source, use]

        self.promotions = tuple(
            CompiledPromotion(
                id=p.id,
                promotion=p,
                when=built(p.when, CONDITION),
                target=built(p.target, LINES),
                get_target=built(p.get_target, LINES),
                shipment_target=built(p.shipment_target, SHIPMENTS),
                starts=_moment(p.active.from_ if p.active else None, ruleset),
                ends=_moment(p.active.until if p.active else None, ruleset),
                is_coupon=p.is_coupon,
                effects=tuple(CompiledEffect(
                    effect, None if isinstance(effect, Shipping | Gift)  # (no target lines)
                    else built(effect.target, LINES) if effect.target is not None
                    else built(p.target, LINES),
                    built(getattr(effect, "get_target", None), LINES),
                    isinstance(effect, Shipping)) for effect in p.all_effects),
                schedule=p.active.schedule(zone) if p.active else None,
            )
            for p in ordered
        )
        self.order = {cp.id: position for position, cp in enumerate(self.promotions)}
        # each promotion's application specialised where it can be (``plans.py``)
        self.plans = plans_for(self.promotions, ruleset.minor_units, ruleset.rounding,
                               ruleset.stacking.base == "original")
        # Without the index every promotion is run for every cart: the same results,
        # the cost grows with the ruleset (kept to prove they are the same).
        self.index = PromotionIndex(self.promotions) if use_index else None
        # Where the index does not pay, a pass still leaves out what the cart's moment
        # and codes alone rule out (``_positions``): the automatic promotions, as bits
        # in evaluation order, and each coupon promotion's bit.
        self.automatic = sum(1 << position for position, cp in enumerate(self.promotions)
                             if not cp.is_coupon)
        self.everyone = (1 << len(self.promotions)) - 1
        self._subsets: dict[int, tuple[int, ...]] = {}  # such a set → its positions
        self.codes: dict[str, str] = {}
        for p in ordered:
            for code in p.codes:
                self.codes.setdefault(code, p.id)
        # batch promotions: their codes live in the usage store; a code finds its
        # promotion by the batch's pattern (patterns do not overlap: PR145)
        self.batches = tuple((p.batch_pattern, p.id) for p in ordered
                             if p.batch_pattern is not None)
        self.minor_units = ruleset.minor_units
        self.quantum = quantum(self.minor_units)
        self.scale = Decimal(10 ** self.minor_units)  # amount × scale: in minor units
        self.rounding = ruleset.rounding  # (read by every effect computed)
        # (read for every cart: the ruleset's settings at hand)
        self.currency = ruleset.currency
        self.best_deal = ruleset.stacking.mode == "best_deal"
        self.coupons_first = not ruleset.stacking.coupon_with_automatic
        self.max_discount = ruleset.stacking.max_discount
        self.zero = self.quantum * 0  # nothing, with the currency's minor units

    @property
    def condition_tracer(self) -> ConditionTracer:
        """Traces this ruleset's conditions part by part (``promo explain``); made when
        first asked for."""
        from .condition_trace import ConditionTracer  # (only promo explain needs it)

        tracer = self.__dict__.get("_condition_tracer")
        if tracer is None:
            tracer = self.__dict__["_condition_tracer"] = ConditionTracer(
                self.zone, self.ruleset.source, self.explainer)
        return tracer

    @in_decimal_context
    def candidates(self, cart: Cart, at: dt.datetime | None = None) -> list[str]:
        """Ids of the promotions an evaluation of ``cart`` runs (in evaluation order):
        the index's (every other promotion cannot apply to it), or where the index
        does not pay (``INDEX_PAYS_FROM``) those open at the cart's moment whose code,
        if they need one, was entered."""
        moment = self._moment(cart, at)
        chosen, _ = self._choose(cart)
        return [self.promotions[p].id
                for p in self._positions(self.facts(cart, moment), moment, chosen)]

    def active_ids(self, at: dt.datetime) -> list[str]:
        """Promotions whose window contains ``at`` and whose schedule is open then (the
        active_promotions read model)."""
        local = _in_years(at)
        local = local if local.tzinfo is not None else local.replace(tzinfo=self.ruleset.zone)
        instant = local.astimezone(dt.UTC)
        return [cp.id for cp in self.promotions if cp.open_at(instant)]

    # ------------------------------------------------------------ facts

    @in_decimal_context
    def facts(self, cart: Cart, at: dt.datetime) -> Facts:
        """What the conditions read about ``cart`` priced at ``at``."""
        return cart_facts(cart, at, self.zone, self.quantum)

    # -------------------------------------------------------- evaluate

    @in_decimal_context
    def evaluate(self, cart: Cart, at: dt.datetime | None = None,
                 usage: UsageView | None = None, *,
                 evaluation: Callable[..., Evaluation] = Evaluation) -> Result:
        """Price ``cart`` as of ``at`` (default: the cart's ``at``, else now).

        ``evaluation`` makes the run (``Evaluation``'s arguments): ``engine/trace.py``
        passes one that records each step as it prices."""
        done = self._pass(cart, at, usage, evaluation)
        run, state, positions = done.run, done.state, done.positions
        skipped = len(positions) < len(self.promotions)

        def rejections() -> tuple[Rejected, ...]:
            found = {key: written(entry) for key, entry in state.rejected.items()}
            if skipped:
                found.update(explain_skipped(run, state, frozenset(positions)))
            order = self.order
            return tuple(sorted(found.values(), key=lambda x: order[x.promotion or ""])) \
                + tuple(done.unmatched)

        # The reasons of the promotions the index left out are worked out when read
        # (a checkout that only prices pays for what could apply); with a usage
        # store they are worked out now, against the store as it is now; when
        # checking the index, now too, so a promotion it wrongly left out fails here.
        rejected = Rejections(rejections)
        if usage is not None or self.check_index:
            len(rejected)
        return priced_result(self, cart, done.facts, run.moment, state, rejected,
                             None if done.decision is None else done.decision.summary())

    @in_decimal_context
    def run_pass(self, cart: Cart, at: dt.datetime | None = None,
                 usage: UsageView | None = None, *,
                 evaluation: Callable[..., Evaluation] = Evaluation) -> Pass:
        """``evaluate``'s pass over the promotions, ``max_discount`` applied, without
        writing the result out: what applied is ``.state.applied`` (a replay reads
        that alone; ``evaluate`` is this and the result made of it)."""
        return self._pass(cart, at, usage, evaluation)

    def _pass(self, cart: Cart, at: dt.datetime | None, usage: UsageView | None,
              evaluation: Callable[..., Evaluation]) -> Pass:
        """``run_pass`` in the decimal context it is called in (``evaluate`` checked it)."""
        if cart.currency != self.currency:
            raise CartError([Diagnostic(CART_CURRENCY, f"currency: the cart is in "
                                        f"{cart.currency} but "
                                        f"the ruleset is in {self.ruleset.currency}")])
        moment = self._moment(cart, at)
        # (``facts``, checked above; with what the conditions read only)
        facts = cart_facts(cart, moment, self.zone, self.quantum, self.reads)
        chosen, unmatched = self._choose(cart)
        # (the limits read now: tests change them; the tuple made without the frame of
        # its generated ``__new__``, as the ``Pass`` below)
        run = evaluation(self, cart, facts, moment, chosen, usage,
                         tuple.__new__(Bounds, (MAX_APPLIED, MAX_WORK)))
        positions = self._positions(facts, run.instant, chosen)  # (in UTC, as the index asks)
        state = None
        decision = None
        if self.best_deal:
            from .bestdeal import Decision, Searcher  # (here: most rulesets never search)

            decision = run.deal = Decision(Searcher(self, cart, facts, moment, chosen, usage),
                                           positions)
            state = run.run(positions, coupons_only=False)
            decision.check(state)
        elif self.coupons_first and chosen:
            # The customer's explicit choice wins: if a coupon applies on its own,
            # automatic promotions are rejected; otherwise they run as usual.
            coupons_first = run.run(positions, coupons_only=True)
            if coupons_first.coupons:
                state = coupons_first
        if state is None:
            state = run.run(positions, coupons_only=False)
        apply_max_discount(state, self.max_discount, facts.cart["subtotal"], self.quantum,
                           self.minor_units)
        return tuple.__new__(Pass, (facts, run, state, positions, unmatched, decision))

    def _moment(self, cart: Cart, at: dt.datetime | None) -> dt.datetime:
        """When the cart is priced: ``at``, else the cart's, else now."""
        moment = _in_years(at or cart.at or dt.datetime.now(dt.UTC))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def _choose(self, cart: Cart) -> tuple[dict[str, str], list[Rejected]]:
        """Promotion id → the code entered for it; and the entered codes that chose
        nothing (unknown, or a second code of a promotion already chosen)."""
        chosen: dict[str, str] = {}
        unmatched: list[Rejected] = []
        if not cart.coupons:  # (most carts: no code entered, nothing to normalise)
            return chosen, unmatched
        for code, raw in self._entered(cart).items():
            promotion = self.promotion_of(code)
            if promotion is None:
                unmatched.append(Rejected(None, raw, r.COUPON_UNKNOWN,
                                          f"no promotion has the code {raw}"))
            elif promotion in chosen:
                unmatched.append(Rejected(None, raw, r.COUPON_REDUNDANT,
                                          f"{chosen[promotion]} was entered for the same "
                                          "promotion"))
            else:
                chosen[promotion] = raw
        return chosen, unmatched

    def promotion_of(self, code: str) -> str | None:
        """The promotion a normalised code is for: the one listing it, else the batch
        promotion whose pattern it is written in (``None``: no promotion)."""
        found = self.codes.get(code)
        if found is None and self.batches:
            found = next((pid for pattern, pid in self.batches if pattern.matches(code)), None)
        return found

    def _positions(self, facts: Facts, moment: dt.datetime,
                   chosen: dict[str, str]) -> Sequence[int]:
        """The promotions a pass runs: those the index finds, when it pays (when
        checking the index, the index's); else those whose window contains the
        moment, whose schedule is open then and whose code (if they need one) was
        entered.  Each promotion left out is rejected whatever else the pass does,
        and its reason is worked out when read (``explain_skipped``), as for the
        index: a rejection recorded in the pass costs more than these checks."""
        if self.index is None:
            return range(len(self.promotions))
        if self.check_index or len(self.promotions) >= INDEX_PAYS_FROM * len(facts.lines):
            return self.index.candidates(facts, moment, chosen)
        wanted = self.automatic
        order = self.order
        for promotion in chosen:
            wanted |= 1 << order[promotion]
        wanted &= self.index.active(moment)
        if wanted == self.everyone:
            return range(len(self.promotions))
        # few sets recur (the windows' segments, the codes entered): each written once
        found = self._subsets.get(wanted)
        if found is None:
            if len(self._subsets) >= MAX_SUBSETS:
                self._subsets.clear()
            found = self._subsets[wanted] = tuple(set_positions(wanted))
        return found

    def _entered(self, cart: Cart) -> dict[str, str]:
        """Normalised code → the code as entered (trimmed), first entry kept."""
        out: dict[str, str] = {}
        for raw in cart.coupons:
            code = normalise_code(raw)
            if code:
                out.setdefault(code, raw.strip())
        return out

    # ------------------------------------------------------------- caps



_COMPILING = threading.Lock()
_PROGRAMS: dict[int, Program] = {}  # id(ruleset) → its program, while the ruleset lives


def compile_ruleset(ruleset: Ruleset) -> Program:
    """Compile every promotion of ``ruleset``, once.

    The program is kept while the (immutable) ruleset lives, and ``load_ruleset``
    gives the same ruleset for the same content, so loading an unchanged file
    again compiles nothing."""
    program = _PROGRAMS.get(id(ruleset))
    if program is None:
        with _COMPILING:
            program = _PROGRAMS.get(id(ruleset))
            if program is None:
                program = _PROGRAMS[id(ruleset)] = Program(ruleset)
                weakref.finalize(ruleset, _PROGRAMS.pop, id(ruleset), None)
    return program


def evaluate(ruleset: Ruleset, cart: Cart, at: dt.datetime | None = None,
             usage: UsageView | None = None) -> Result:
    """Price one cart (compiles the ruleset; use ``compile_ruleset`` for many carts)."""
    return compile_ruleset(ruleset).evaluate(cart, at, usage)
