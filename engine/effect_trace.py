"""One effect as ``promo explain`` shows it (engine/trace.py): each line targeted or not
(and why not), its base, the units chosen, the amount before rounding, computed,
after clamping to what was left, after caps and in the result; the tier reached, the
allocation, the caps; each shipment a shipping effect selected or not.  A promotion
with an ``effects`` list has one of these per effect; a gift adds the line it gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from dsl.effects import (
    AmountOffEach,
    BuyGet,
    Effect,
    FixedPrice,
    Gift,
    PercentOff,
    Shipping,
    Tiers,
)
from dsl.records import record

from .effects import Parts
from .program import CompiledPromotion
from .recorder import EffectStep, Recorder
from .result import Cap, Result
from .result_shipping import PartKey, ShipmentKey
from .stacking import SHIPPING


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _exact(value: Fraction) -> str:
    """A ratio as a decimal when it ends within 12 places, else as ``a/b``."""
    for places in range(13):
        scaled = value * 10 ** places
        if scaled.denominator == 1:
            return format(Decimal(scaled.numerator).scaleb(-places), "f")
    return f"{value.numerator}/{value.denominator}"



@record
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


@record
class CapStep:
    source: str  # max_amount | budget | max_discount
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "before": self.before, "after": self.after}


@record
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
    # a shipping effect on a cart with shipments: each shipment, selected or not
    shipments: tuple[dict[str, Any], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        shipments = {} if self.shipments is None else {"shipments": list(self.shipments)}
        return {"kind": self.kind, "spec": self.spec, "base": self.base,
                "rounding": self.rounding, "allocation": self.allocation, "tier": self.tier,
                "lines": [line.to_dict() for line in self.lines], "shipping": self.shipping,
                **shipments, "caps": [c.to_dict() for c in self.caps], "note": self.note,
                "computed": self.computed, "final": self.final}


def _per_unit(effect: Effect, parts: Parts) -> tuple[str, Decimal] | None:
    """What the effect takes off each chosen unit, as ``(kind, value)``, when it works
    unit by unit (so each line's amount before rounding can be shown): a percentage,
    an amount off each unit, or a fixed price — for a tier, the step reached."""
    if isinstance(effect, PercentOff | BuyGet):
        return "percent_off", effect.percent_off
    if isinstance(effect, Gift):
        return "percent_off", effect.gift.percent_off
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


def cap_steps(caps: Iterable[Cap]) -> list[CapStep]:
    return [CapStep(c.source, money_text(c.before) or "", money_text(c.after) or "") for c in caps]


def effect_trace(run: Recorder, cp: CompiledPromotion, step: EffectStep,
                 final_parts: dict[PartKey, Decimal], caps: list[CapStep],
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
            why_not = _why_not_taken(effect, target)
        base = bases.get(line_id)
        units = picked.get(line_id)
        exact = None
        if base is not None and off is not None and units:
            exact = _exact(_before_rounding(off, base, units, minor))
        lines.append(EffectLine(
            line_id, roles, why_not, int(facts["quantity"]), money_text(facts["total"]) or "",
            money_text(base.base) if base is not None else None, units, exact,
            money_text(parts.lines.get(line_id)),
            money_text((step.clamped or {}).get(line_id)), money_text(final_parts.get(line_id))))
    if parts.gift is not None:  # the line the gift adds: on its whole value
        gift = parts.gift
        lines.append(EffectLine(
            gift.id, ("gift",), None, gift.quantity, money_text(gift.total) or "",
            money_text(gift.total), gift.quantity, None, money_text(parts.lines.get(gift.id)),
            money_text((step.clamped or {}).get(gift.id)), money_text(final_parts.get(gift.id))))
    shipping = None
    if run.cart.shipping is not None and (isinstance(effect, Shipping) or parts.shipping):
        shipping = {"base": money_text(step.shipping_base),
                    "computed": money_text(parts.shipping),
                    "clamped": money_text((step.clamped or {}).get(SHIPPING)),
                    "final": money_text(final_parts.get(SHIPPING))}
    shipments = None
    if run.cart.shipments is not None and isinstance(effect, Shipping):
        shipments = tuple(_shipment_step(shipment, step, final_parts)
                          for shipment in run.facts.shipments)
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
        money_text(parts.total) or "", money_text(sum(final_parts.values(), zero)) or "",
        shipments)


def _shipment_step(shipment: dict[str, Any], step: EffectStep,
                   final_parts: dict[PartKey, Decimal]) -> dict[str, Any]:
    """What a shipping effect did with one shipment: selected by the shipment_target
    or not, its base, the part computed, clamped to what was left, and kept."""
    key = ShipmentKey(shipment["id"])
    base = step.shipment_bases.get(shipment["id"])
    return {"shipment": shipment["id"], "seller": shipment["seller"],
            "method": shipment["method"], "selected": base is not None,
            "why_not": None if base is not None else
            "shipment_target is false for this shipment",
            "base": money_text(base),
            "computed": money_text(step.parts.shipments.get(shipment["id"])),
            "clamped": money_text((step.clamped or {}).get(key)),
            "final": money_text(final_parts.get(key))}


_KINDS = {"PercentOff": "percent_off", "AmountOff": "amount_off",
          "AmountOffEach": "amount_off_each", "FixedPrice": "fixed_price", "BuyGet": "buy_get",
          "Bundle": "bundle", "Tiers": "tiers", "Shipping": "shipping", "Gift": "gift"}


def _why_not_taken(effect: Effect, target: Any) -> str:
    """Why the effect did not take a cart line as a target (``target``: its own, else
    the promotion's)."""
    if isinstance(effect, Gift):
        spec = effect.gift
        return f"a gift takes only lines of its sku ({spec.sku}), when_in_cart: discount" \
            if spec.when_in_cart == "discount" else "a gift adds its own line"
    return "target is false for this line" if target is not None else \
        "get_target is false for this line"


def _tier_spreads(effect: Effect, tier: dict[str, Any]) -> bool:
    """Whether the tier reached takes an amount spread over the lines."""
    assert isinstance(effect, Tiers)
    if tier["reached"] is None:
        return False
    step = next(s for s in effect.tiers.steps if format(s.at, "f") == tier["reached"])
    return step.amount_off is not None
