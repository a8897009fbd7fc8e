"""What each effect takes off: per-line parts and a shipping part, before stacking.

Every function gets an ``EffectInput`` (the target lines with their base
values, per ``stacking.base``) and returns ``Parts``.  Line parts are rounded
here, once per line, with the ruleset's rounding mode; spread amounts are
allocated by largest remainder and never rounded.  Clamping to what is left
of a line, caps and stacking are the evaluator's job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from dsl import model as m

from .money import HUNDRED, allocate, from_minor, normalize, round_minor, round_money, to_minor

ZERO = Decimal(0)


@dataclass(frozen=True)
class BaseLine:
    """A target line as an effect sees it."""

    id: str
    rank: int  # position of the id in sorted order: breaks every tie
    quantity: int
    base: Decimal  # line value the effect works on (original or remaining)
    original: Decimal  # original line total (tiers measure this)

    @functools.cached_property
    def unit_value(self) -> Fraction:
        return Fraction(self.base) / self.quantity


@dataclass(frozen=True)
class EffectInput:
    targets: list[BaseLine]
    get_targets: list[BaseLine]
    shipping_base: Decimal | None
    minor_units: int
    rounding: str


@dataclass
class Parts:
    """A promotion's discount: per line id, and on shipping."""

    lines: dict[str, Decimal] = field(default_factory=dict)
    shipping: Decimal = ZERO
    note: str | None = None  # e.g. which tier applied, or why nothing did
    unmet: bool = False  # the effect's own condition failed (no tier reached)

    @property
    def total(self) -> Decimal:
        return sum(self.lines.values(), ZERO) + self.shipping


def choose_units(lines: list[BaseLine], count: int | None, choose: str) -> dict[str, int]:
    """Pick ``count`` units (all if ``None``) pooled over lines, cheapest first.

    ``choose="most_expensive"`` reverses the price order; equal unit values
    go to the line whose id sorts first.
    """
    if count is None:
        return {line.id: line.quantity for line in lines}
    sign = 1 if choose == "cheapest" else -1
    ordered = sorted(lines, key=lambda ln: (sign * ln.unit_value, ln.rank))
    picked: dict[str, int] = {}
    left = count
    for line in ordered:
        take = min(line.quantity, left)
        if take:
            picked[line.id] = take
        left -= take
        if left == 0:
            break
    return picked


def _by_id(lines: list[BaseLine]) -> dict[str, BaseLine]:
    return {line.id: line for line in lines}


def _percent_of_units(inp: EffectInput, picked: dict[str, int], pct: Decimal,
                      lines: list[BaseLine]) -> Parts:
    index = _by_id(lines)
    parts = Parts()
    share = Fraction(pct) / HUNDRED
    scale = 10 ** inp.minor_units
    for line_id, units in picked.items():
        line = index[line_id]
        # base (whole minor units) × units / quantity × pct / 100, as one exact fraction
        exact = Fraction(int(line.base * scale) * units * share.numerator,
                         line.quantity * share.denominator)
        parts.lines[line_id] = from_minor(round_minor(exact, inp.rounding), inp.minor_units)
    return parts


def percent_off(effect: m.PercentOff, inp: EffectInput) -> Parts:
    picked = choose_units(inp.targets, effect.max_units, effect.choose)
    return _percent_of_units(inp, picked, effect.percent_off, inp.targets)


def _spread(amount: Decimal, lines: list[BaseLine], minor_units: int) -> Parts:
    worth = sum((line.base for line in lines), ZERO)
    total = min(amount, worth)
    weights = {line.id: to_minor(line.base, minor_units) for line in lines}
    order = {line.id: line.rank for line in lines}
    return Parts(lines=allocate(total, weights, minor_units, order))


def amount_off(effect: m.AmountOff, inp: EffectInput) -> Parts:
    return _spread(effect.amount_off, inp.targets, inp.minor_units)


def _per_unit(inp: EffectInput, picked: dict[str, int],
              off_per_unit: Callable[[Fraction], Fraction]) -> Parts:
    index = _by_id(inp.targets)
    parts = Parts()
    for line_id, units in picked.items():
        off = max(Fraction(0), min(off_per_unit(index[line_id].unit_value),
                                   index[line_id].unit_value))
        parts.lines[line_id] = round_money(off * units, inp.minor_units, inp.rounding)
    return parts


def amount_off_each(effect: m.AmountOffEach, inp: EffectInput) -> Parts:
    picked = choose_units(inp.targets, effect.max_units, effect.choose)
    each = Fraction(effect.amount_off_each)
    return _per_unit(inp, picked, lambda unit: each)


def fixed_price(effect: m.FixedPrice, inp: EffectInput) -> Parts:
    """Units cost ``fixed_price``; ``max_units`` are chosen among units that cost more."""
    price = Fraction(effect.fixed_price)
    dearer = [line for line in inp.targets if line.unit_value > price]
    picked = choose_units(dearer, effect.max_units, effect.choose)
    parts = _per_unit(inp, picked, lambda unit: unit - price)
    if not parts.total:
        parts.note = f"every target unit already costs at most {effect.fixed_price}"
    return parts


def buy_get(effect: m.BuyGet, inp: EffectInput) -> Parts:
    """Applications = floor(units / (X + Y)); the Y-units of each are discounted.

    With ``get_target`` the discounted units come from the get lines and the
    bought units from the target lines, never the same unit twice: the get
    units are chosen first (in ``choose`` order), the bought units are counted
    among the target units left, and the number of applications is the
    largest that fits both.
    """
    x, y, cap = effect.buy, effect.get, effect.max_applications
    if effect.get_target is None:
        units = sum(line.quantity for line in inp.targets)
        applications = units // (x + y)
        if cap is not None:
            applications = min(applications, cap)
        if applications == 0:
            return Parts(note=f"buy {x} get {y} needs {x + y} target units; there "
                              f"{'is' if units == 1 else 'are'} {units}")
        picked = choose_units(inp.targets, applications * y, effect.choose)
        return _percent_of_units(inp, picked, effect.percent_off, inp.targets)
    get_units = sum(line.quantity for line in inp.get_targets)
    buy_units = sum(line.quantity for line in inp.targets)
    applications = min(get_units // y, buy_units // x)
    if cap is not None:
        applications = min(applications, cap)
    while applications > 0:
        picked = choose_units(inp.get_targets, applications * y, effect.choose)
        left = sum(line.quantity - picked.get(line.id, 0) for line in inp.targets)
        if left >= applications * x:
            return _percent_of_units(inp, picked, effect.percent_off, inp.get_targets)
        applications -= 1
    return Parts(note="not enough units to buy and get")


def bundle(effect: m.Bundle, inp: EffectInput) -> Parts:
    """``units`` for ``price``: the saving is spread over the chosen units' lines."""
    size = effect.bundle.units
    units = sum(line.quantity for line in inp.targets)
    applications = units // size
    if effect.max_applications is not None:
        applications = min(applications, effect.max_applications)
    if applications == 0:
        return Parts(note=f"fewer than {size} units")
    picked = choose_units(inp.targets, applications * size, effect.choose)
    index = _by_id(inp.targets)
    chosen = {line_id: index[line_id].unit_value * k for line_id, k in picked.items()}
    worth = sum(chosen.values(), Fraction(0))
    saving = worth - Fraction(effect.bundle.price) * applications
    if saving <= 0:
        return Parts(note="the bundle price is not below the units' price")
    amount = round_money(saving, inp.minor_units, inp.rounding)
    order = {line_id: index[line_id].rank for line_id in chosen}
    return Parts(lines=allocate(amount, chosen, inp.minor_units, order))


def tiers(effect: m.Tiers, inp: EffectInput) -> Parts:
    """The highest step reached by the target lines' original subtotal or units."""
    spec = effect.tiers
    if not inp.targets:
        return Parts()  # nothing to measure or discount: nothing_to_discount
    if spec.by == "subtotal":
        measure = sum((line.original for line in inp.targets), ZERO)
    else:
        measure = Decimal(sum(line.quantity for line in inp.targets))
    reached = [step for step in spec.steps if step.at <= measure]
    shown = format(measure, "f")
    if not reached:
        first = min(step.at for step in spec.steps)
        return Parts(note=f"no tier reached: target {spec.by} is {shown}, the first tier is "
                          f"at {format(first, 'f')}", unmet=True)
    step = max(reached, key=lambda s: s.at)
    inner: Parts
    if step.percent_off is not None:
        inner = percent_off(m.PercentOff(percent_off=step.percent_off), inp)
    elif step.amount_off is not None:
        inner = amount_off(m.AmountOff(amount_off=step.amount_off), inp)
    elif step.amount_off_each is not None:
        inner = amount_off_each(m.AmountOffEach(amount_off_each=step.amount_off_each), inp)
    else:
        assert step.fixed_price is not None
        inner = fixed_price(m.FixedPrice(fixed_price=step.fixed_price), inp)
    inner.note = f"tier at {format(step.at, 'f')} reached (target {spec.by} is {shown})"
    return inner


def shipping(effect: m.Shipping, inp: EffectInput) -> Parts:
    base = inp.shipping_base
    if base is None or base <= 0:
        return Parts(note="no shipping to discount")
    spec = effect.shipping
    if spec.free:
        off = base
    elif spec.amount_off is not None:
        off = min(spec.amount_off, base)
    elif spec.percent_off is not None:
        off = round_money(Fraction(base) * Fraction(spec.percent_off) / HUNDRED,
                          inp.minor_units, inp.rounding)
    else:
        assert spec.fixed_price is not None
        off = max(ZERO, base - spec.fixed_price)
    # amounts from the ruleset may be written without decimals ("2"): report them
    # with the currency's minor units, like every other amount
    parts = Parts(shipping=normalize(off, inp.minor_units))
    if not off:
        parts.note = f"shipping ({base}) already costs at most {spec.fixed_price}" \
            if spec.fixed_price is not None else f"the discount on shipping ({base}) is zero"
    return parts


EFFECTS: dict[type, Callable[..., Parts]] = {
    m.PercentOff: percent_off,
    m.AmountOff: amount_off,
    m.AmountOffEach: amount_off_each,
    m.FixedPrice: fixed_price,
    m.BuyGet: buy_get,
    m.Bundle: bundle,
    m.Tiers: tiers,
    m.Shipping: shipping,
}


def compute(effect: object, inp: EffectInput) -> Parts:
    """The uncapped parts of ``effect`` on ``inp``."""
    return EFFECTS[type(effect)](effect, inp)
