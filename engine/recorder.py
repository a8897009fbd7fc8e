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

from .cart import Cart
from .effects import Parts
from .evaluate import Evaluation
from .program import CompiledPromotion, Program, UsageView
from .rejections import Pending, written
from .result import Cap, Rejected
from .result_shipping import PartKey
from .stacking import STACKING_CAUSE, PassState, stacking_refusal


@dataclass(frozen=True)
class LimitQuery:
    """One question put to the usage store, and its answer."""

    question: str  # "refusal" | "budget_left"
    answer: str | None  # the refusal's code, the budget left; None: no refusal, no budget
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "reason": self.reason}


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

    def _effect(self, cp: CompiledPromotion, remaining: Any,
                shipping_left: Decimal | None, shipments_left: dict[str, Decimal]) -> Any:
        parts, targets = super()._effect(cp, remaining, shipping_left, shipments_left)
        if self.current is not None:
            self.current.parts, self.current.targets = parts, targets
            if cp.get_target is not None:
                self.current.get_targets = self._lines_for(cp.get_target, remaining)
            original = self.stacking.base == "original"
            if self.cart.shipping is not None:
                self.current.shipping_base = (self.facts.cart["shipping_price"]
                                              if original else shipping_left)
            if self.cart.shipments is not None:
                self.current.shipment_bases = {
                    s["id"]: s["price"] if original else shipments_left[s["id"]]
                    for s in self.selected_shipments(cp)}
        return parts, targets

    def _clamp(self, parts: Parts, state: PassState) -> dict[PartKey, Decimal]:
        clamped = super()._clamp(parts, state)
        if self.current is not None:
            self.current.clamped = dict(clamped)
        return clamped
