"""The evaluator, recording: for each promotion it considers, each step it took.

``Recorder`` is an ``Evaluation`` (engine/evaluate.py) handed to
``Program.evaluate``: it calls the evaluator's own checks and notes what they
returned (eligibility, the stacking refusal and who caused it, the effect's parts
and the lines it saw, the clamped parts, the caps, what the usage store was
asked), so ``engine/trace.py`` shows what pricing did, not a second pricing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dsl.model import Promotion
from dsl.records import record

from .cart import Cart
from .effects import Parts
from .evaluate import Evaluation
from .program import CompiledEffect, CompiledPromotion, Program, UsageView
from .rejections import Pending, written
from .result import Cap, Rejected
from .result_shipping import PartKey
from .stacking import STACKING_CAUSE, PassState, stacking_refusal


@record
class LimitQuery:
    """One question put to the usage store, and its answer."""

    question: str  # "refusal" | "budget_left"
    answer: str | None  # the refusal's code, the budget left; None: no refusal, no budget
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "reason": self.reason}


@dataclass
class EffectStep:
    """One effect as the evaluator computed it for the promotion considered."""

    compiled: CompiledEffect
    parts: Parts
    targets: list[Any]
    get_targets: list[Any]
    shipping_base: Decimal | None
    shipment_bases: dict[str, Decimal]  # a shipping effect: the shipments selected
    clamped: dict[PartKey, Decimal] | None = None
    taken: dict[PartKey, Decimal] | None = None  # one of several: after its max_amount
    caps: list[Cap] = field(default_factory=list)  # one of several: its max_amount's cut


@dataclass
class Record:
    """What the evaluator did with one promotion, the last time it considered it."""

    compiled: CompiledPromotion
    state: PassState
    eligibility: tuple[str, str] | None = None
    stacking: tuple[str, str] | None = None
    caused_by: tuple[str, ...] = ()
    queries: list[LimitQuery] = field(default_factory=list)
    parts: Parts | None = None
    targets: list[Any] = field(default_factory=list)
    get_targets: list[Any] = field(default_factory=list)
    shipping_base: Decimal | None = None
    shipment_bases: dict[str, Decimal] = field(default_factory=dict)  # the selected ones
    clamped: dict[PartKey, Decimal] | None = None
    caps: list[Cap] = field(default_factory=list)
    rejected: Rejected | None = None
    applied: Any = None  # stacking.Applied
    steps: list[EffectStep] = field(default_factory=list)  # each effect computed, in order


class _AskedStore:
    """The usage view, noting each question and answer for the promotion considered."""

    def __init__(self, view: UsageView, recorder: Recorder) -> None:
        self.view = view
        self.recorder = recorder

    def refusal(self, promotion: Promotion, customer: str,
                code: str | None) -> tuple[str, str] | None:
        answer = self.view.refusal(promotion, customer, code)
        self.recorder.note(LimitQuery("refusal", answer[0] if answer else None,
                                      answer[1] if answer else None))
        return answer

    def budget_left(self, promotion: Promotion) -> Decimal | None:
        left = self.view.budget_left(promotion)
        self.recorder.note(LimitQuery("budget_left", None if left is None else format(left, "f")))
        return left


class Recorder(Evaluation):
    """An ``Evaluation`` that records, for each promotion it considers, each step."""

    def __init__(self, program: Program, cart: Cart, *args: Any) -> None:
        super().__init__(program, cart, *args)
        if self.usage is not None:
            self.usage = _AskedStore(self.usage, self)
        self.records: dict[str, Record] = {}
        self.passes: list[PassState] = []
        self.current: Record | None = None

    def note(self, query: LimitQuery) -> None:
        if self.current is not None:
            self.current.queries.append(query)

    def run(self, positions: Any, coupons_only: bool) -> PassState:
        state = super().run(positions, coupons_only)
        self.passes.append(state)
        return state

    def consider(self, compiled: CompiledPromotion, position: int, state: PassState) -> None:
        record = self.current = Record(compiled, state)
        left_out = self.deal is not None and position not in self.deal.chosen
        refusal = None if left_out else stacking_refusal(compiled, state, self.stacking)
        if refusal is not None:
            code, sentence = refusal
            record.stacking = (code, sentence if isinstance(sentence, str) else sentence())
            record.caused_by = tuple(c for c in STACKING_CAUSE[code](compiled, state) if c)
        caps_before = len(state.capped)
        applied_before = len(state.applied)
        super().consider(compiled, position, state)
        record.caps = state.capped[caps_before:]
        entry = state.rejected.get(compiled.id)
        if entry is not None:
            record.rejected = written(entry)
            if isinstance(entry, Pending):  # read now, while this record is current
                state.rejected[compiled.id] = record.rejected
        elif len(state.applied) > applied_before:
            record.applied = state.applied[-1]
        self.records[compiled.id] = record
        self.current = None

    def _eligibility(self, cp: CompiledPromotion, coupon: str | None) -> Any:
        refusal = super()._eligibility(cp, coupon)
        if refusal is not None and self.current is not None:
            code, sentence = refusal
            self.current.eligibility = (code, sentence if isinstance(sentence, str)
                                        else sentence())
        return refusal

    def _effect(self, cp: CompiledPromotion, ce: CompiledEffect, remaining: Any,
                shipping_left: Decimal | None, shipments_left: dict[str, Decimal]) -> Any:
        parts, targets = super()._effect(cp, ce, remaining, shipping_left, shipments_left)
        record = self.current
        if record is not None:
            get_targets = self._lines_for(ce.get_target, remaining) \
                if ce.get_target is not None else []
            original = self.stacking.base == "original"
            shipping_base = None
            if self.cart.shipping is not None:
                shipping_base = self.facts.cart["shipping_price"] if original else shipping_left
            shipment_bases = {}
            if self.cart.shipments is not None and ce.shipping:
                shipment_bases = {s["id"]: s["price"] if original else shipments_left[s["id"]]
                                  for s in self.selected_shipments(cp)}
            record.parts, record.targets = parts, targets
            record.get_targets, record.shipping_base = get_targets, shipping_base
            record.shipment_bases = shipment_bases
            record.steps.append(EffectStep(ce, parts, targets, get_targets, shipping_base,
                                           shipment_bases))
        return parts, targets

    def _clamp(self, parts: Parts, remaining: Any, shipping_left: Decimal | None,
               shipments_left: dict[str, Decimal]) -> dict[PartKey, Decimal]:
        clamped = super()._clamp(parts, remaining, shipping_left, shipments_left)
        if self.current is not None:
            self.current.clamped = dict(clamped)
            if self.current.steps:
                self.current.steps[-1].clamped = dict(clamped)
        return clamped

    def _one_of_several(self, cp: CompiledPromotion, ce: CompiledEffect, remaining: Any,
                        shipping_left: Decimal | None, shipments_left: dict[str, Decimal],
                        state: PassState) -> Any:
        caps_before = len(state.capped)
        found = super()._one_of_several(cp, ce, remaining, shipping_left, shipments_left,
                                        state)
        if self.current is not None and self.current.steps:
            step = self.current.steps[-1]
            step.taken, step.caps = dict(found[2]), state.capped[caps_before:]
        return found
