"""The whole decision about each promotion for one cart: ``promo explain``.

    trace = explain_cart(program, cart, at=None, usage=None, promotions=None)
    trace.to_dict()            # the JSON form (schemas/explain.schema.json)

The trace is recorded while the cart is priced by the evaluator itself: a
``Recorder`` (an ``Evaluation`` that notes each step) is handed to
``Program.evaluate``, so what the trace says applied, was rejected and took
how much is what ``evaluate`` decided (a test holds them equal on every
sample cart).  Nothing here prices on its own; the only values worked out
again are those shown beside the evaluator's: every part of every condition
(``engine/condition_trace.py``) and, for effects that take a percentage, each
line's amount before rounding.

For each promotion (in evaluation order), ``PromotionTrace`` holds:

- ``coupon``: whether it needs a code, the code this cart entered for it as
  typed and normalised (NFKC, case-folded, trimmed) — never a code it did not
  enter;
- ``window``: its ``from`` and ``until`` and the instant priced, compared in UTC;
  its schedule (days and hours), the local weekday and wall time read, and when
  closed the next opening;
- ``conditions``: every condition field, part by part (``ConditionTrace``);
- ``limits``: the limits declared and what the usage store answered when asked;
- ``stacking``: refused or not by what applied before it, and who caused it;
- ``effect``: each line targeted or not (and why not), its base, the units
  chosen, the amount computed, before rounding, after clamping to what is left,
  after caps, and in the result; the tier reached, the allocation, the caps;
- ``decided_by``: the step that decided (``coupon``, ``window``, ``when``,
  ``limits``, ``best_deal``, ``stacking``, ``effect``, ``caps``, ``max_discount``;
  ``applied``),
  ``outcome``, and the reason code and sentence of a rejection, as the result
  writes them.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from dsl.codes import EVALUATION_TOO_LARGE, UNKNOWN_PROMOTION
from dsl.decimal_context import in_decimal_context
from dsl.errors import Diagnostic, InputError
from dsl.expr.nodes import walk
from dsl.expr.types import WEEKDAYS
from dsl.records import record

from . import reasons as r
from .cart import Cart, CartError
from .condition_trace import ConditionTrace, promotion_conditions
from .effect_trace import EffectTrace, cap_steps, effect_trace, money_text
from .evaluate import Evaluation
from .program import CompiledPromotion, Program, UsageView
from .recorder import LimitQuery, Record, Recorder
from .result import Rejected, Result

TRACE_VERSION = 1
"""The version of the trace's JSON form (``schemas/explain.schema.json``)."""
MAX_TRACE_VALUES = 500_000
"""Values one trace may hold: each condition part on each line it is read on, and each
line of each effect.  A thousand lines and a large ruleset would make gigabytes; a
trace that would hold more is refused (``PR314``), so name fewer promotions."""

_WINDOW_CODES = (r.NOT_ACTIVE_YET, r.EXPIRED, r.COUPON_NOT_ACTIVE_YET, r.COUPON_EXPIRED,
                 r.OUTSIDE_SCHEDULE)
_WHEN_CODES = (r.CONDITIONS_NOT_MET, r.COUPON_INELIGIBLE)


# ---------------------------------------------------------------- the trace


@record
class EnteredCode:
    """A code the cart entered, normalised, and what it chose."""

    entered: str  # as typed, trimmed
    normalised: str
    promotion: str | None  # the promotion it chose
    outcome: str  # "chosen" | coupon_unknown | coupon_redundant

    def to_dict(self) -> dict[str, Any]:
        return {"entered": self.entered, "normalised": self.normalised,
                "promotion": self.promotion, "outcome": self.outcome}


@record
class CouponCheck:
    needs_code: bool
    entered: str | None
    normalised: str | None
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"needs_code": self.needs_code, "entered": self.entered,
                "normalised": self.normalised, "passed": self.passed}


@record
class WindowCheck:
    """The window as written (in the ruleset's timezone) and the instants compared."""

    starts: str | None
    ends: str | None
    at: str
    starts_utc: str | None
    ends_utc: str | None
    at_utc: str
    passed: bool
    failed: str | None  # "starts" (not yet) | "ends" (over) | "schedule" (closed)
    schedule: str | None  # its days and hours (``Schedule.describe``), when it has some
    local: str | None  # the local weekday and wall time the schedule was read at
    next_opening: str | None  # when closed: the next open instant, local (None: never)

    def to_dict(self) -> dict[str, Any]:
        return {"starts": self.starts, "ends": self.ends, "at": self.at,
                "starts_utc": self.starts_utc, "ends_utc": self.ends_utc,
                "at_utc": self.at_utc, "passed": self.passed, "failed": self.failed,
                "schedule": self.schedule, "local": self.local,
                "next_opening": self.next_opening}


@record
class LimitsCheck:
    declared: dict[str, Any]
    customer: str
    store: bool  # whether a usage store was consulted
    queries: tuple[LimitQuery, ...]
    passed: bool | None  # None: not reached

    def to_dict(self) -> dict[str, Any]:
        return {"declared": self.declared, "customer": self.customer, "store": self.store,
                "queries": [q.to_dict() for q in self.queries], "passed": self.passed}


@record
class StackingCheck:
    exclusive: bool
    group: str | None
    passed: bool | None  # None: not reached
    code: str | None
    reason: str | None
    caused_by: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"exclusive": self.exclusive, "group": self.group, "passed": self.passed,
                "code": self.code, "reason": self.reason, "caused_by": list(self.caused_by)}


@record
class PromotionTrace:
    id: str
    name: str | None  # only of a promotion that applied, as in the result: a name may
    # mention a code, and a rejected coupon's code was not entered
    priority: int
    order: int  # position in evaluation order (priority, then id)
    kind: str  # coupon | automatic
    coupon: CouponCheck
    window: WindowCheck
    conditions: tuple[ConditionTrace, ...]
    limits: LimitsCheck
    stacking: StackingCheck
    effect: EffectTrace | None  # None: the effect was not computed (or several)
    effects: tuple[EffectTrace, ...] | None  # an ``effects`` list: each effect computed
    decided_by: str
    outcome: str  # applied | rejected
    amount: str | None  # applied: what it took
    code: str | None  # rejected: the reason code
    reason: str | None
    metadata: dict[str, str] | None = None  # of a promotion that applied, as in the result

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "name": self.name, "priority": self.priority,
                "order": self.order, "kind": self.kind, "coupon": self.coupon.to_dict(),
                "window": self.window.to_dict(),
                "conditions": [c.to_dict() for c in self.conditions],
                "limits": self.limits.to_dict(), "stacking": self.stacking.to_dict(),
                "effect": None if self.effect is None else self.effect.to_dict(),
                "effects": None if self.effects is None else
                [effect.to_dict() for effect in self.effects],
                "decided_by": self.decided_by, "outcome": self.outcome,
                "amount": self.amount, "code": self.code, "reason": self.reason}
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        return data


@record
class Trace:
    """Why each promotion applied or not to one cart."""

    ruleset: str
    cart: str
    currency: str
    timezone: str
    at: str
    stacking: dict[str, Any]
    passes: tuple[str, ...]  # "coupons_only", "all": the passes run, the last decided
    entered: tuple[EnteredCode, ...]
    promotions: tuple[PromotionTrace, ...]
    subtotal: str
    total_discount: str
    total: str
    best_deal: dict[str, Any] | None = None  # the result's, with stacking.mode: best_deal
    version: int = TRACE_VERSION

    def promotion(self, promotion_id: str) -> PromotionTrace:
        return next(p for p in self.promotions if p.id == promotion_id)

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "ruleset": self.ruleset, "cart": self.cart,
                "currency": self.currency, "timezone": self.timezone, "at": self.at,
                "stacking": self.stacking, "passes": list(self.passes),
                "entered": [e.to_dict() for e in self.entered],
                "promotions": [p.to_dict() for p in self.promotions],
                "subtotal": self.subtotal, "total_discount": self.total_discount,
                "total": self.total} | ({} if self.best_deal is None
                                        else {"best_deal": self.best_deal})


def unknown_promotion(program: Program, unknown: list[str]) -> InputError:
    """The error for promotion ids the ruleset does not have (with the nearest one)."""
    known = [cp.id for cp in program.promotions]
    where = program.ruleset.source.name if program.ruleset.source else program.ruleset.ruleset
    close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.6)
    listed = ", ".join(known[:10]) + (f" and {len(known) - 10:,} more" if len(known) > 10
                                      else "")
    return InputError(f"{where}: no promotion {', '.join(repr(u) for u in unknown[:10])} in "
                      f"ruleset {program.ruleset.ruleset} (it has {listed})",
                      code=UNKNOWN_PROMOTION,
                      hint=f"did you mean '{close[0]}'?" if close else None)


# ---------------------------------------------------------------- the trace, built


@in_decimal_context
def explain_cart(program: Program, cart: Cart, at: dt.datetime | None = None,
                 usage: UsageView | None = None,
                 promotions: list[str] | None = None) -> tuple[Trace, Result]:
    """Price ``cart`` recording every step; the trace of each promotion (those named
    in ``promotions``, else all, in evaluation order) and the result."""
    if promotions:
        unknown = [p for p in promotions if p not in program.order]
        if unknown:
            raise unknown_promotion(program, unknown)
    _within_bounds(program, cart, promotions)
    made: list[Recorder] = []

    def recorder(*args: Any) -> Recorder:
        made.append(Recorder(*args))
        return made[-1]

    result = program.evaluate(cart, at, usage, evaluation=recorder)
    rejected = {x.promotion: x for x in result.rejected}  # (reading them replays the skipped)
    run = made[0]
    outcome = run.passes[-1]
    final = {entry.compiled.id: entry for entry in outcome.applied}
    wanted = set(promotions) if promotions else None
    entered, chosen = _entered(program, cart)
    traces = tuple(
        _promotion(run, cp, position, run.records.get(cp.id), final.get(cp.id),
                   rejected.get(cp.id), result, chosen.get(cp.id))
        for position, cp in enumerate(program.promotions)
        if wanted is None or cp.id in wanted)
    stacking = program.ruleset.stacking
    policy = {"coupons_per_order": stacking.coupons_per_order,
              "coupon_with_automatic": stacking.coupon_with_automatic,
              "base": stacking.base, "mode": stacking.mode,
              "max_discount": None if stacking.max_discount is None else
              stacking.max_discount.model_dump(mode="json", exclude_none=True)}
    trace = Trace(result.ruleset, result.cart, result.currency, program.ruleset.timezone,
                  result.at, policy,
                  tuple("coupons_only" if s.coupons_only else "all" for s in run.passes),
                  entered, traces, money_text(result.subtotal) or "",
                  money_text(result.total_discount) or "", money_text(result.total) or "",
                  None if result.best_deal is None else result.best_deal.to_dict())
    return trace, result


def _within_bounds(program: Program, cart: Cart, promotions: list[str] | None) -> None:
    """Refuse a trace that would hold more than ``MAX_TRACE_VALUES`` values."""
    lines = max(1, len(cart.lines))
    wanted = set(promotions) if promotions else None
    values = 0
    for cp in program.promotions:
        if wanted is not None and cp.id not in wanted:
            continue
        values += lines  # the effect's lines
        for _, condition, _ in cp.promotion.conditions():
            if condition.node is not None:
                values += lines * sum(1 for _ in walk(condition.node))
        if values > MAX_TRACE_VALUES:
            raise CartError([Diagnostic(
                EVALUATION_TOO_LARGE, f"lines: explaining {len(cart.lines):,} lines against "
                "these promotions would write more than "
                f"{MAX_TRACE_VALUES:,} values", hint="name fewer promotions to explain")])


def _entered(program: Program, cart: Cart) -> tuple[tuple[EnteredCode, ...],
                                                      dict[str, EnteredCode]]:
    """Each code entered (the first entry of each normalised code) and what the program
    chose with it (``Program._choose``); and the codes by the promotion they chose."""
    chosen, unmatched = program._choose(cart)
    refused = {u.coupon: u.code for u in unmatched}
    out: list[EnteredCode] = []
    by_promotion: dict[str, EnteredCode] = {}
    for code, raw in program._entered(cart).items():
        promotion = program.promotion_of(code)
        found = EnteredCode(raw, code, promotion, refused.get(raw, "chosen"))
        if found.outcome == "chosen" and promotion is not None:
            assert chosen[promotion] == raw
            by_promotion[promotion] = found
        out.append(found)
    return tuple(out), by_promotion


def _window(run: Evaluation, cp: CompiledPromotion) -> WindowCheck:
    instant = run.instant
    failed = "starts" if cp.opens is not None and instant < cp.opens else \
        "ends" if cp.closes is not None and instant >= cp.closes else None
    schedule, local, opening = cp.schedule, None, None
    if schedule is not None:
        wall = instant.astimezone(run.program.zone)
        local = f"{WEEKDAYS[wall.weekday()]} {wall.time().isoformat()}"
        if failed is None and not schedule.is_open(instant):
            failed = "schedule"
            found = schedule.next_opening(instant, cp.closes)
            opening = None if found is None else \
                found.astimezone(run.program.zone).isoformat(timespec="seconds")
    return WindowCheck(_iso(cp.starts), _iso(cp.ends), run.at_text, _iso(cp.opens),
                       _iso(cp.closes), instant.isoformat(), failed is None, failed,
                       None if schedule is None else schedule.describe(), local, opening)


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _decided(record: Record | None, applied: bool, rejection: Rejected | None) -> str:
    if applied:
        return "applied"
    if record is None or rejection is None:
        return "max_discount"
    if record.eligibility is not None:
        code = record.eligibility[0]
        return "coupon" if code == r.COUPON_NOT_ENTERED else "window" \
            if code in _WINDOW_CODES else "when" if code in _WHEN_CODES else "limits"
    if rejection.code == r.NOT_BEST_DEAL:
        return "best_deal"
    if record.stacking is not None:
        return "stacking"
    if record.rejected is None:  # applied in its pass, cut to zero afterwards
        return "max_discount"
    return "caps" if record.rejected.code in (r.BUDGET_EXHAUSTED, r.CAP_REACHED) \
        else "effect"


def _promotion(run: Recorder, cp: CompiledPromotion, position: int, record: Record | None,
               applied: Any, rejection: Rejected | None, result: Result,
               entered: EnteredCode | None) -> PromotionTrace:
    promo = cp.promotion
    decided = _decided(record, applied is not None, rejection)
    steps = ("coupon", "window", "when", "limits", "best_deal", "stacking")
    reached = steps.index(decided) if decided in steps else len(steps)
    coupon = CouponCheck(cp.is_coupon, entered.entered if entered else None,
                         entered.normalised if entered else None,
                         entered is not None or not cp.is_coupon)
    declared = {} if promo.limits is None else \
        promo.limits.model_dump(mode="json", exclude_none=True)
    limits = LimitsCheck(declared, run.cart.customer.id, run.usage is not None,
                         tuple(record.queries) if record else (),
                         None if reached < 3 else decided != "limits")
    stacking = StackingCheck(
        promo.exclusive, promo.group, None if reached < 5 else decided != "stacking",
        record.stacking[0] if record and record.stacking and decided == "stacking" else None,
        record.stacking[1] if record and record.stacking and decided == "stacking" else None,
        record.caused_by if decided == "stacking" and record else ())
    effect, effects = None, None
    if record is not None and len(cp.effects) > 1:
        effects = tuple(effect_trace(run, cp, step, step.taken or {}, cap_steps(step.caps), result)
                        for step in record.steps)
    elif record is not None and record.parts is not None:
        caps = cap_steps(record.caps) + cap_steps(c for c in result.capped if c.promotion == cp.id
                                          and c.source == "max_discount")
        effect = effect_trace(run, cp, record.steps[-1], applied.parts if applied is not None
                         else {}, caps, result)
    return PromotionTrace(
        cp.id, promo.name if applied is not None else None, promo.priority, position,
        "coupon" if cp.is_coupon else "automatic",
        coupon, _window(run, cp), promotion_conditions(run.program, promo, run.facts), limits,
        stacking, effect, effects, decided, "applied" if applied is not None else "rejected",
        money_text(applied.amount) if applied is not None else None,
        rejection.code if rejection else None, rejection.reason if rejection else None,
        promo.metadata if applied is not None else None)
