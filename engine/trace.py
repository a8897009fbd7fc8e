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
- ``conditions``: every condition field, part by part (``ConditionTrace``);
- ``limits``: the limits declared and what the usage store answered when asked;
- ``stacking``: refused or not by what applied before it, and who caused it;
- ``effect``: each line targeted or not (and why not), its base, the units
  chosen, the amount computed, before rounding, after clamping to what is left,
  after caps, and in the result; the tier reached, the allocation, the caps;
- ``decided_by``: the step that decided (``coupon``, ``window``, ``when``,
  ``limits``, ``stacking``, ``effect``, ``caps``, ``max_discount``; ``applied``),
  ``outcome``, and the reason code and sentence of a rejection, as the result
  writes them.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from dsl.codes import EVALUATION_TOO_LARGE, UNKNOWN_PROMOTION
from dsl.effects import AmountOffEach, BuyGet, Effect, FixedPrice, PercentOff, Shipping, Tiers
from dsl.errors import Diagnostic, InputError
from dsl.expr.nodes import walk

from . import reasons as r
from .cart import Cart, CartError
from .condition_trace import ConditionTrace, promotion_conditions
from .effects import Parts
from .evaluate import Evaluation
from .program import CompiledPromotion, Program, UsageView
from .recorder import EffectStep, LimitQuery, Record, Recorder
from .result import Cap, Rejected, Result
from .stacking import SHIPPING

TRACE_VERSION = 1
"""The version of the trace's JSON form (``schemas/explain.schema.json``)."""
MAX_TRACE_VALUES = 500_000
"""Values one trace may hold: each condition part on each line it is read on, and each
line of each effect.  A thousand lines and a large ruleset would make gigabytes; a
trace that would hold more is refused (``PR314``), so name fewer promotions."""

_WINDOW_CODES = (r.NOT_ACTIVE_YET, r.EXPIRED, r.COUPON_NOT_ACTIVE_YET, r.COUPON_EXPIRED)
_WHEN_CODES = (r.CONDITIONS_NOT_MET, r.COUPON_INELIGIBLE)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _exact(value: Fraction) -> str:
    """A ratio as a decimal when it ends within 12 places, else as ``a/b``."""
    for places in range(13):
        scaled = value * 10 ** places
        if scaled.denominator == 1:
            return format(Decimal(scaled.numerator).scaleb(-places), "f")
    return f"{value.numerator}/{value.denominator}"


# ---------------------------------------------------------------- the trace


@dataclass(frozen=True)
class EnteredCode:
    """A code the cart entered, normalised, and what it chose."""

    entered: str  # as typed, trimmed
    normalised: str
    promotion: str | None  # the promotion it chose
    outcome: str  # "chosen" | coupon_unknown | coupon_redundant

    def to_dict(self) -> dict[str, Any]:
        return {"entered": self.entered, "normalised": self.normalised,
                "promotion": self.promotion, "outcome": self.outcome}


@dataclass(frozen=True)
class CouponCheck:
    needs_code: bool
    entered: str | None
    normalised: str | None
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"needs_code": self.needs_code, "entered": self.entered,
                "normalised": self.normalised, "passed": self.passed}


@dataclass(frozen=True)
class WindowCheck:
    """The window as written (in the ruleset's timezone) and the instants compared."""

    starts: str | None
    ends: str | None
    at: str
    starts_utc: str | None
    ends_utc: str | None
    at_utc: str
    passed: bool
    failed: str | None  # "starts" (not yet) | "ends" (over)

    def to_dict(self) -> dict[str, Any]:
        return {"starts": self.starts, "ends": self.ends, "at": self.at,
                "starts_utc": self.starts_utc, "ends_utc": self.ends_utc,
                "at_utc": self.at_utc, "passed": self.passed, "failed": self.failed}


@dataclass(frozen=True)
class LimitsCheck:
    declared: dict[str, Any]
    customer: str
    store: bool  # whether a usage store was consulted
    queries: tuple[LimitQuery, ...]
    passed: bool | None  # None: not reached

    def to_dict(self) -> dict[str, Any]:
        return {"declared": self.declared, "customer": self.customer, "store": self.store,
                "queries": [q.to_dict() for q in self.queries], "passed": self.passed}


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class EffectLine:
    """One cart line as the effect saw it."""

    line: str
    roles: tuple[str, ...]  # "target", "get_target": what the effect took it as
    why_not: str | None  # why it is not a target
    quantity: int
    original: str
    base: str | None  # what the effect computed on (original or what was left)
    units: int | None  # units chosen (None: not chosen, or every unit for a spread)
    exact: str | None  # the amount before rounding (effects that work unit by unit)
    computed: str | None  # rounded, before clamping
    clamped: str | None  # after clamping to what was left
    final: str | None  # after caps and max_discount: in the result

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "roles": list(self.roles), "why_not": self.why_not,
                "quantity": self.quantity, "original": self.original, "base": self.base,
                "units": self.units, "exact": self.exact, "computed": self.computed,
                "clamped": self.clamped, "final": self.final}


@dataclass(frozen=True)
class CapStep:
    source: str  # max_amount | budget | max_discount
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class EffectTrace:
    kind: str
    spec: dict[str, Any]
    base: str  # original | discounted
    rounding: str
    allocation: str | None  # how a spread amount is shared out
    tier: dict[str, Any] | None
    lines: tuple[EffectLine, ...]
    shipping: dict[str, Any] | None
    caps: tuple[CapStep, ...]
    note: str | None
    computed: str  # the effect's total before clamping
    final: str  # after caps and max_discount

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "spec": self.spec, "base": self.base,
                "rounding": self.rounding, "allocation": self.allocation, "tier": self.tier,
                "lines": [line.to_dict() for line in self.lines], "shipping": self.shipping,
                "caps": [c.to_dict() for c in self.caps], "note": self.note,
                "computed": self.computed, "final": self.final}


@dataclass(frozen=True)
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

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "priority": self.priority,
                "order": self.order, "kind": self.kind, "coupon": self.coupon.to_dict(),
                "window": self.window.to_dict(),
                "conditions": [c.to_dict() for c in self.conditions],
                "limits": self.limits.to_dict(), "stacking": self.stacking.to_dict(),
                "effect": None if self.effect is None else self.effect.to_dict(),
                "effects": None if self.effects is None else
                [effect.to_dict() for effect in self.effects],
                "decided_by": self.decided_by, "outcome": self.outcome,
                "amount": self.amount, "code": self.code, "reason": self.reason}


@dataclass(frozen=True)
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
                "total": self.total}


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
              "base": stacking.base,
              "max_discount": None if stacking.max_discount is None else
              stacking.max_discount.model_dump(mode="json", exclude_none=True)}
    trace = Trace(result.ruleset, result.cart, result.currency, program.ruleset.timezone,
                  result.at, policy,
                  tuple("coupons_only" if s.coupons_only else "all" for s in run.passes),
                  entered, traces, _money(result.subtotal) or "",
                  _money(result.total_discount) or "", _money(result.total) or "")
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
        promotion = program.codes.get(code)
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
    return WindowCheck(_iso(cp.starts), _iso(cp.ends), run.at_text, _iso(cp.opens),
                       _iso(cp.closes), instant.isoformat(), failed is None, failed)


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
    steps = ("coupon", "window", "when", "limits", "stacking")
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
        promo.exclusive, promo.group, None if reached < 4 else decided != "stacking",
        record.stacking[0] if record and record.stacking and decided == "stacking" else None,
        record.stacking[1] if record and record.stacking and decided == "stacking" else None,
        record.caused_by if decided == "stacking" and record else ())
    effect, effects = None, None
    if record is not None and len(cp.effects) > 1:
        effects = tuple(_effect(run, cp, step, step.taken or {}, _caps(step.caps), result)
                        for step in record.steps)
    elif record is not None and record.parts is not None:
        caps = _caps(record.caps) + _caps(c for c in result.capped if c.promotion == cp.id
                                          and c.source == "max_discount")
        effect = _effect(run, cp, record.steps[-1], applied.parts if applied is not None
                         else {}, caps, result)
    return PromotionTrace(
        cp.id, promo.name if applied is not None else None, promo.priority, position,
        "coupon" if cp.is_coupon else "automatic",
        coupon, _window(run, cp), promotion_conditions(run.program, promo, run.facts), limits,
        stacking, effect, effects, decided, "applied" if applied is not None else "rejected",
        _money(applied.amount) if applied is not None else None,
        rejection.code if rejection else None, rejection.reason if rejection else None)


def _per_unit(effect: Effect, parts: Parts) -> tuple[str, Decimal] | None:
    """What the effect takes off each chosen unit, as ``(kind, value)``, when it works
    unit by unit (so each line's amount before rounding can be shown): a percentage,
    an amount off each unit, or a fixed price — for a tier, the step reached."""
    if isinstance(effect, PercentOff | BuyGet):
        return "percent_off", effect.percent_off
    if isinstance(effect, AmountOffEach):
        return "amount_off_each", effect.amount_off_each
    if isinstance(effect, FixedPrice):
        return "fixed_price", effect.fixed_price
    if isinstance(effect, Tiers) and parts.tier is not None and parts.tier[2] is not None:
        step = next(s for s in effect.tiers.steps if s.at == parts.tier[2])
        for kind in ("percent_off", "amount_off_each", "fixed_price"):
            value = getattr(step, kind)
            if value is not None:
                return kind, value
    return None


def _before_rounding(off: tuple[str, Decimal], base: Any, units: int,
                     minor: int) -> Fraction:
    """A line's amount before rounding, in the currency's unit: ``units`` of its
    ``base`` / quantity, each losing what ``off`` takes (never below zero, never more
    than the unit's value) — docs/semantics.md#effects."""
    kind, value = off
    unit = Fraction(base.base_minor, base.quantity * 10 ** minor)
    if kind == "percent_off":
        each = unit * Fraction(value) / 100
    elif kind == "amount_off_each":
        each = min(max(Fraction(value), Fraction(0)), max(unit, Fraction(0)))
    else:
        each = max(unit - max(Fraction(value), Fraction(0)), Fraction(0))
    return each * units


def _caps(caps: Iterable[Cap]) -> list[CapStep]:
    return [CapStep(c.source, _money(c.before) or "", _money(c.after) or "") for c in caps]


def _effect(run: Recorder, cp: CompiledPromotion, step: EffectStep,
            final_parts: dict[str | None, Decimal], caps: list[CapStep],
            result: Result) -> EffectTrace:
    """One effect as it was computed: ``final_parts`` are what it gave in the result
    (one of several: what it took after its own ``max_amount``)."""
    promo, parts, effect = cp.promotion, step.parts, step.compiled.effect
    kind = type(effect).__name__
    spec = effect.model_dump(mode="json", exclude_none=True, by_alias=True,
                             exclude={"get_target", "target"})
    target = effect.target if effect.target is not None else promo.target
    if effect.target is not None:
        spec["target"] = run.program.explainer.written(effect.target, run.facts)
    get_target = getattr(effect, "get_target", None)
    if get_target is not None:
        spec["get_target"] = run.program.explainer.written(get_target, run.facts)
    picked = {line.id: units for line, units in parts.picked or ()}
    off = _per_unit(effect, parts)
    bases = {line.id: line for line in step.targets}
    bases.update({line.id: line for line in step.get_targets if line.id not in bases})
    targets = {line.id for line in step.targets}
    gets = {line.id for line in step.get_targets}
    minor = run.program.minor_units
    lines = []
    for facts in () if isinstance(effect, Shipping) else run.facts.lines:
        line_id = facts["id"]
        roles = tuple(role for role, ids in (("target", targets), ("get_target", gets))
                      if line_id in ids)
        why_not = None
        if not roles:
            why_not = "target is false for this line" if target is not None else \
                "get_target is false for this line"
        base = bases.get(line_id)
        units = picked.get(line_id)
        exact = None
        if base is not None and off is not None and units:
            exact = _exact(_before_rounding(off, base, units, minor))
        lines.append(EffectLine(
            line_id, roles, why_not, int(facts["quantity"]), _money(facts["total"]) or "",
            _money(base.base) if base is not None else None, units, exact,
            _money(parts.lines.get(line_id)),
            _money((step.clamped or {}).get(line_id)), _money(final_parts.get(line_id))))
    shipping = None
    if run.cart.shipping is not None and (isinstance(effect, Shipping) or parts.shipping):
        shipping = {"base": _money(step.shipping_base), "computed": _money(parts.shipping),
                    "clamped": _money((step.clamped or {}).get(SHIPPING)),
                    "final": _money(final_parts.get(SHIPPING))}
    tier = None
    if parts.tier is not None:
        by, measure, at = parts.tier
        tier = {"by": by, "measure": format(measure, "f"),
                "reached": None if at is None else format(at, "f"),
                "steps": [format(s.at, "f") for s in effect.tiers.steps]  # type: ignore[union-attr]
                }
    allocation = "largest remainder, in proportion to each line's base" \
        if kind in ("AmountOff", "Bundle") or (kind == "Tiers" and tier and _tier_spreads(
            effect, tier)) else None
    zero = result.zero
    return EffectTrace(
        _KINDS.get(kind, kind), spec, run.stacking.base, run.program.ruleset.rounding,
        allocation, tier, tuple(lines), shipping, tuple(caps), parts.note,
        _money(parts.total) or "", _money(sum(final_parts.values(), zero)) or "")


_KINDS = {"PercentOff": "percent_off", "AmountOff": "amount_off",
          "AmountOffEach": "amount_off_each", "FixedPrice": "fixed_price", "BuyGet": "buy_get",
          "Bundle": "bundle", "Tiers": "tiers", "Shipping": "shipping"}


def _tier_spreads(effect: Effect, tier: dict[str, Any]) -> bool:
    """Whether the tier reached takes an amount spread over the lines."""
    assert isinstance(effect, Tiers)
    if tier["reached"] is None:
        return False
    step = next(s for s in effect.tiers.steps if format(s.at, "f") == tier["reached"])
    return step.amount_off is not None
