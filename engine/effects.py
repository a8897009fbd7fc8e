"""What each effect takes off: per-line parts and a shipping part, before stacking.

Every function gets an ``EffectInput`` (the target lines with their base
values, per ``stacking.base``) and returns ``Parts``.  Line parts are rounded
here, once per line, with the ruleset's rounding mode; spread amounts are
allocated by largest remainder and never rounded.  Clamping to what is left
of a line, caps and stacking are the evaluator's job.

The arithmetic is in integers: a line's values are whole minor units
(``BaseLine.base_minor``), an amount of the ruleset is an exact ratio of minor
units (``money.minor_ratio``), every exact result is a ratio of two integers,
rounded once with ``money.round_ratio``; a ``Decimal`` is built only for the
parts returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from math import gcd, lcm
from operator import attrgetter
from typing import NamedTuple

from dsl import effects as m

from .money import (
    allocate_minor,
    from_minor,
    known_amounts,
    minor_ratio,
    normalize,
    round_ratio,
    whole_minor,
)
from .result import GiftLine

ZERO = Decimal(0)


class BaseLine(NamedTuple):
    """A target line as an effect sees it.

    ``base`` and ``original`` are whole minor units (the evaluator writes them
    with the currency's decimals); ``base_minor`` and ``original_minor`` are
    the same amounts as integers of minor units (``BaseLine.of`` computes them).
    """

    id: str
    # breaks every tie, the smaller first: the line id itself, or its position in sorted
    # order (the same order; the evaluator passes the id, tests either)
    rank: int | str
    quantity: int
    base: Decimal  # line value the effect works on (original or remaining)
    original: Decimal  # original line total (tiers measure this)
    base_minor: int  # base in minor units
    original_minor: int  # original in minor units

    @classmethod
    def of(cls, id: str, rank: int | str, quantity: int, base: Decimal, original: Decimal,
           minor_units: int) -> BaseLine:
        return cls(id, rank, quantity, base, original, whole_minor(base, minor_units),
                   whole_minor(original, minor_units))


class EffectInput(NamedTuple):
    targets: list[BaseLine]
    get_targets: list[BaseLine]
    shipping_base: Decimal | None
    minor_units: int
    rounding: str
    # a cart with shipments: the ones the promotion's shipment_target selects, as
    # (shipment id, base) in the cart's order (``None``: the cart has no shipments)
    shipments: tuple[tuple[str, Decimal], ...] | None = None
    gift_id: str = ""  # the id a gift effect gives the line it adds


@dataclass(slots=True)  # (one or more per promotion that computes: slots make it quicker)
class Parts:
    """A promotion's discount: per line id, and on shipping."""

    lines: dict[str, Decimal] = field(default_factory=dict)
    shipping: Decimal = ZERO
    shipments: dict[str, Decimal] = field(default_factory=dict)  # by shipment id
    note: str | None = None  # e.g. which tier applied, or why nothing did
    unmet: bool = False  # the effect's own condition failed (no tier reached)
    # what ``promo explain`` shows of the computation (kept, never computed for it):
    picked: Picked | None = None  # the lines and units chosen, in choose order
    tier: tuple[str, Decimal, Decimal | None] | None = None  # by, measure, step reached
    gift: GiftLine | None = None  # the line a gift effect adds (its part is keyed by its id)

    @property
    def total(self) -> Decimal:
        return sum(self.lines.values(), ZERO) + self.shipping + \
            sum(self.shipments.values(), ZERO)


# ------------------------------------------------------------------ exact helpers


@lru_cache(maxsize=1024)
def _share(percent: Decimal) -> tuple[int, int]:
    """``percent`` / 100 as a ratio of integers in lowest terms."""
    numerator, denominator = percent.as_integer_ratio()
    denominator *= 100
    common = gcd(numerator, denominator)
    return numerator // common, denominator // common


@lru_cache(maxsize=4096)
def _minor(amount: Decimal, minor_units: int) -> tuple[int, int]:
    """An amount of the ruleset in minor units, as a ratio (whole: ``(n, 1)``)."""
    return minor_ratio(amount, minor_units)


_CHEAPEST_SINGLE = attrgetter("base_minor", "rank")  # one-unit lines, cheapest first
Picked = list[tuple[BaseLine, int]]  # lines and how many of their units, in choose order


def _pick(lines: Iterable[BaseLine], count: int | None, choose: str,
          per_line: int | None = None) -> Picked:
    """``choose_units`` as (line, units) pairs: at most ``per_line`` units of any one
    line (``max_units_per_line``), at most ``count`` in all, in ``choose`` order."""
    if count is None:
        if per_line is None:
            return [(line, line.quantity) for line in lines]
        return [(line, min(line.quantity, per_line)) for line in lines]
    keyed = list(lines)
    most = count if per_line is None else min(count, per_line)  # of one line
    if len(keyed) == 1:  # (nothing to order: most small carts)
        take = min(keyed[0].quantity, most)
        return [(keyed[0], take)] if take else []
    if most == 1 and count == 1 and keyed:  # (one unit: ``max_units: 1``, buy 1 get 1)
        first = _first_unit(keyed, 1 if choose == "cheapest" else -1)
        if first.quantity >= 1:
            return [(first, 1)]
    # Unit values base / quantity compared exactly: over the quantities' common
    # multiple they are integers; equal values go to the smaller rank.
    common = lcm(*[line.quantity for line in keyed])
    if common == 1 and choose == "cheapest":  # (one unit each: its base is its value)
        keyed.sort(key=_CHEAPEST_SINGLE)
    else:
        # (the keys made in one list, not by a function called per line; the position
        # keeps equal keys in the order given, as the stable sort by key did)
        sign = 1 if choose == "cheapest" else -1
        order = [(sign * line.base_minor * (common // line.quantity), line.rank, position)
                 for position, line in enumerate(keyed)]
        order.sort()
        keyed = [keyed[position] for _, _, position in order]
    picked: Picked = []
    left = count
    for line in keyed:
        take = min(line.quantity, most, left)
        if take:
            picked.append((line, take))
        left -= take
        if left == 0:
            break
    return picked


def _first_unit(lines: list[BaseLine], sign: int) -> BaseLine:
    """The line whose unit comes first in ``_pick``'s order (``sign`` 1: the cheapest,
    -1: the dearest; equal unit values: the smaller rank, then the earlier line):
    unit values compared two by two, crosswise, without their common multiple."""
    best = lines[0]
    for line in lines:
        left = sign * line.base_minor * best.quantity
        right = sign * best.base_minor * line.quantity
        # (the ranks of one call are all ids or all positions)
        if left < right or (left == right and line.rank < best.rank):  # type: ignore[operator]
            best = line
    return best


def choose_units(lines: list[BaseLine], count: int | None, choose: str) -> dict[str, int]:
    """Pick ``count`` units (all if ``None``) pooled over lines, cheapest first.

    ``choose="most_expensive"`` reverses the price order; equal unit values
    go to the line whose id sorts first.
    """
    return {line.id: units for line, units in _pick(lines, count, choose)}


def _percent_of_units(inp: EffectInput, picked: Picked, percent: Decimal) -> Parts:
    """``percent`` of each picked line's units: base × units / quantity × pct / 100,
    one exact ratio per line, rounded once."""
    numerator, denominator = _share(percent)
    return Parts(lines=as_amounts(percent_minor(picked, numerator, denominator, inp.rounding),
                                  inp.minor_units), picked=picked)


def percent_minor(picked: Picked, numerator: int, denominator: int,
                  mode: str) -> list[tuple[str, int]]:
    """``numerator / denominator`` of each picked line's units, per line id, in whole
    minor units: base × units / quantity × share, one exact ratio, rounded once."""
    out = []
    # (``round_ratio`` is called only when a line's share is not a whole number of
    # minor units)
    for line, k in picked:
        if k == line.quantity:
            exact, rest = divmod(line.base_minor * numerator, denominator)
            if rest:
                exact = round_ratio(line.base_minor * numerator, denominator, mode)
        else:
            exact = round_ratio(line.base_minor * k * numerator, line.quantity * denominator,
                                mode)
        out.append((line.id, exact))
    return out


def as_amounts(offs: list[tuple[str, int]], minor_units: int) -> dict[str, Decimal]:
    """Whole minor units per line id as amounts (``from_minor``)."""
    amounts = known_amounts(minor_units)  # (``from_minor`` called only for an amount not known)
    out = {}
    for line_id, exact in offs:
        amount = amounts.get(exact)
        out[line_id] = from_minor(exact, minor_units) if amount is None else amount
    return out


def _spread(amount: Decimal, lines: list[BaseLine], minor_units: int) -> Parts:
    """``amount`` (at most what the lines are worth) over the lines, by their base."""
    worth = sum(line.base_minor for line in lines)
    numerator, denominator = _minor(amount, minor_units)
    if numerator < worth * denominator:
        if denominator != 1:
            raise ValueError(f"{amount} is not a whole number of minor units")
        target = numerator
    else:
        target = worth
    parts = allocate_minor(target, [(line.id, line.base_minor, line.rank) for line in lines])
    return Parts(lines={key: from_minor(v, minor_units) for key, v in parts.items()})


def _per_unit(inp: EffectInput, picked: Picked, numerator: int, denominator: int) -> Parts:
    """Each picked unit loses ``numerator / denominator`` minor units, but at least
    nothing and at most its value (base / quantity); rounded once per line."""
    return Parts(lines=as_amounts(per_unit_minor(picked, numerator, denominator, inp.rounding),
                                  inp.minor_units), picked=picked)


def per_unit_minor(picked: Picked, numerator: int, denominator: int,
                   mode: str) -> list[tuple[str, int]]:
    """What each picked line loses, per line id, in whole minor units: each unit
    ``numerator / denominator`` minor units, at least nothing and at most its value."""
    out = []
    for line, k in picked:
        base, quantity = line.base_minor, line.quantity
        if numerator * quantity <= base * denominator:  # off ≤ the unit's value
            if numerator <= 0:
                off = 0
            elif denominator == 1:
                off = numerator * k
            else:
                off = round_ratio(numerator * k, denominator, mode)
        elif base <= 0:
            off = 0
        else:  # the unit's value
            off = base if k == quantity else round_ratio(base * k, quantity, mode)
        out.append((line.id, off))
    return out


# ---------------------------------------------------------------------- effects


def _percent_off(inp: EffectInput, percent: Decimal, max_units: int | None,
                 choose: str, per_line: int | None = None) -> Parts:
    return _percent_of_units(inp, _pick(inp.targets, max_units, choose, per_line), percent)


def _amount_off_each(inp: EffectInput, amount: Decimal, max_units: int | None,
                     choose: str, per_line: int | None = None) -> Parts:
    numerator, denominator = _minor(amount, inp.minor_units)
    return _per_unit(inp, _pick(inp.targets, max_units, choose, per_line), numerator,
                     denominator)


def _fixed_price(inp: EffectInput, price: Decimal, max_units: int | None,
                 choose: str, per_line: int | None = None) -> Parts:
    numerator, denominator = _minor(price, inp.minor_units)
    # units that cost more than the price: base / quantity > price
    dearer = [line for line in inp.targets
              if line.base_minor * denominator > numerator * line.quantity]
    picked = _pick(dearer, max_units, choose, per_line)
    mode, units = inp.rounding, inp.minor_units
    out = {}
    given = 0
    paid = max(numerator, 0)  # a unit loses its value - price, and at most its value
    for line, k in picked:
        # (base / quantity - price) × k, one exact ratio (never below zero)
        value = line.base_minor * denominator - paid * line.quantity
        exact = round_ratio(value * k, line.quantity * denominator, mode) if value > 0 else 0
        given += exact
        out[line.id] = from_minor(exact, units)
    parts = Parts(lines=out, picked=picked)
    if not given:
        parts.note = f"every target unit already costs at most {price}"
    return parts


def percent_off(effect: m.PercentOff, inp: EffectInput) -> Parts:
    return _percent_off(inp, effect.percent_off, effect.max_units, effect.choose,
                        effect.max_units_per_line)


def amount_off(effect: m.AmountOff, inp: EffectInput) -> Parts:
    return _spread(effect.amount_off, inp.targets, inp.minor_units)


def amount_off_each(effect: m.AmountOffEach, inp: EffectInput) -> Parts:
    return _amount_off_each(inp, effect.amount_off_each, effect.max_units, effect.choose,
                            effect.max_units_per_line)


def fixed_price(effect: m.FixedPrice, inp: EffectInput) -> Parts:
    """Units cost ``fixed_price``; ``max_units`` are chosen among units that cost more."""
    return _fixed_price(inp, effect.fixed_price, effect.max_units, effect.choose,
                        effect.max_units_per_line)


def buy_get(effect: m.BuyGet, inp: EffectInput) -> Parts:
    """Applications = floor(units / (X + Y)); the Y-units of each are discounted.

    With ``get_target`` the discounted units come from the get lines and the
    bought units from the target lines, never the same unit twice: the get
    units are chosen first (in ``choose`` order), the bought units are counted
    among the target units left, and the number of applications is the
    largest that fits both.

    ``max_units_per_line: N`` counts the applications as without it, then chooses
    the discounted units with at most N from any one line (fewer may be discounted).
    """
    picked = buy_get_picked(effect, inp.targets, inp.get_targets)
    if picked is not None:
        return _percent_of_units(inp, picked, effect.percent_off)
    if effect.get_target is None:
        x, y = effect.buy, effect.get
        units = sum(line.quantity for line in inp.targets)
        return Parts(note=f"buy {x} get {y} needs {x + y} target units; there "
                          f"{'is' if units == 1 else 'are'} {units}")
    return Parts(note="not enough units to buy and get")


def buy_get_picked(effect: m.BuyGet, targets: list[BaseLine],
                   get_targets: list[BaseLine]) -> Picked | None:
    """The units ``buy_get`` discounts (``None``: not one application)."""
    x, y, cap = effect.buy, effect.get, effect.max_applications
    per_line = effect.max_units_per_line
    if effect.get_target is None:
        applications = sum(line.quantity for line in targets) // (x + y)
        if cap is not None:
            applications = min(applications, cap)
        if applications == 0:
            return None
        return _pick(targets, applications * y, effect.choose, per_line)
    get_units = sum(line.quantity for line in get_targets)
    buy_units = sum(line.quantity for line in targets)
    applications = min(get_units // y, buy_units // x)
    if cap is not None:
        applications = min(applications, cap)
    while applications > 0:
        picked = _pick(get_targets, applications * y, effect.choose, per_line)
        taken = {line.id: k for line, k in picked}
        left = sum(line.quantity - taken.get(line.id, 0) for line in targets)
        if left >= applications * x:
            return picked
        applications -= 1
    return None


def bundle(effect: m.Bundle, inp: EffectInput) -> Parts:
    """``units`` for ``price``: the saving is spread over the chosen units' lines."""
    size = effect.bundle.units
    units = sum(line.quantity for line in inp.targets)
    applications = units // size
    if effect.max_applications is not None:
        applications = min(applications, effect.max_applications)
    if applications == 0:
        return Parts(note=f"fewer than {size} units")
    picked = _pick(inp.targets, applications * size, effect.choose)
    # the chosen units' value, base × k / quantity per line, over a common denominator
    common = lcm(*(line.quantity for line, _ in picked))
    chosen = [(line.id, line.base_minor * k * (common // line.quantity), line.rank)
              for line, k in picked]
    worth = sum(weight for _, weight, _ in chosen)  # minor units × common
    numerator, denominator = _minor(effect.bundle.price, inp.minor_units)
    # saving = worth / common - price × applications, as one ratio over common × denominator
    saving = worth * denominator - numerator * applications * common
    if saving <= 0:
        return Parts(note="the bundle price is not below the units' price")
    amount = round_ratio(saving, common * denominator, inp.rounding)
    parts = allocate_minor(amount, chosen)
    return Parts(lines={key: from_minor(v, inp.minor_units) for key, v in parts.items()},
                 picked=picked)


_TIER_EFFECTS: dict[str, Callable[[EffectInput, Decimal], Parts]] = {
    "percent_off": lambda inp, value: _percent_off(inp, value, None, "cheapest"),
    "amount_off": lambda inp, value: _spread(value, inp.targets, inp.minor_units),
    "amount_off_each": lambda inp, value: _amount_off_each(inp, value, None, "cheapest"),
    "fixed_price": lambda inp, value: _fixed_price(inp, value, None, "cheapest"),
}


def tiers(effect: m.Tiers, inp: EffectInput) -> Parts:
    """The highest step reached by the target lines' original subtotal or units."""
    spec = effect.tiers
    if not inp.targets:
        return Parts()  # nothing to measure or discount: nothing_to_discount
    if spec.by == "subtotal":
        measure = from_minor(sum(line.original_minor for line in inp.targets), inp.minor_units)
    else:
        measure = Decimal(sum(line.quantity for line in inp.targets))
    reached = [step for step in spec.steps if step.at <= measure]
    shown = format(measure, "f")
    if not reached:
        first = min(step.at for step in spec.steps)
        return Parts(note=f"no tier reached: target {spec.by} is {shown}, the first tier is "
                          f"at {format(first, 'f')}", unmet=True, tier=(spec.by, measure, None))
    step = max(reached, key=lambda s: s.at)
    if step.percent_off is not None:
        kind, value = "percent_off", step.percent_off
    elif step.amount_off is not None:
        kind, value = "amount_off", step.amount_off
    elif step.amount_off_each is not None:
        kind, value = "amount_off_each", step.amount_off_each
    else:
        assert step.fixed_price is not None
        kind, value = "fixed_price", step.fixed_price
    inner = _TIER_EFFECTS[kind](inp, value)
    inner.note = f"tier at {format(step.at, 'f')} reached (target {spec.by} is {shown})"
    inner.tier = (spec.by, measure, step.at)
    return inner


def _shipping_off(spec: m.ShippingSpec, base: Decimal, inp: EffectInput) -> Decimal:
    """What ``spec`` takes off a shipping (or one shipment) that costs ``base``: all of it,
    ``amount_off`` (at most ``base``), ``percent_off`` of it rounded once, or what it costs
    above ``fixed_price``; with the currency's minor units."""
    if spec.free:
        off = base
    elif spec.amount_off is not None:
        off = min(spec.amount_off, base)
    elif spec.percent_off is not None:
        numerator, denominator = _share(spec.percent_off)
        base_numerator, base_denominator = minor_ratio(base, inp.minor_units)
        off = from_minor(round_ratio(base_numerator * numerator, base_denominator * denominator,
                                     inp.rounding), inp.minor_units)
    else:
        assert spec.fixed_price is not None
        off = max(ZERO, base - spec.fixed_price)
    # amounts from the ruleset may be written without decimals ("2"): report them
    # with the currency's minor units, like every other amount
    return normalize(off, inp.minor_units)


def shipping(effect: m.Shipping, inp: EffectInput) -> Parts:
    spec = effect.shipping
    if inp.shipments is not None:
        return _per_shipment(spec, inp)
    base = inp.shipping_base
    if base is None or base <= 0:
        return Parts(note="no shipping to discount")
    off = _shipping_off(spec, base, inp)
    parts = Parts(shipping=off)
    if not off:
        parts.note = f"shipping ({base}) already costs at most {spec.fixed_price}" \
            if spec.fixed_price is not None else f"the discount on shipping ({base}) is zero"
    return parts


def _per_shipment(spec: m.ShippingSpec, inp: EffectInput) -> Parts:
    """Each selected shipment discounted on its own, as the one shipping would be."""
    assert inp.shipments is not None
    if not any(base > 0 for _, base in inp.shipments):
        return Parts(note="no shipment to discount")
    off = {shipment: _shipping_off(spec, base, inp) for shipment, base in inp.shipments
           if base > 0}
    parts = Parts(shipments={shipment: amount for shipment, amount in off.items() if amount})
    if not parts.shipments:
        parts.note = f"every shipment already costs at most {spec.fixed_price}" \
            if spec.fixed_price is not None else "the discount on every shipment is zero"
    return parts


def gift(effect: m.Gift, inp: EffectInput) -> Parts:
    """The gift line, ``percent_off`` off its value; or, when the evaluation hands over
    target lines (``when_in_cart: discount`` and the sku is in the cart), ``percent_off``
    off up to ``quantity`` of their units, cheapest first, and no line added."""
    spec = effect.gift
    if inp.targets:
        parts = _percent_off(inp, spec.percent_off, spec.quantity, "cheapest")
        parts.note = f"{spec.sku} is in the cart: " + (
            f"up to {spec.quantity} of its units discounted instead of adding the gift"
            if parts.total else "its units are already discounted to zero; no gift added")
        return parts
    units = inp.minor_units
    total = whole_minor(spec.unit_price, units) * spec.quantity
    numerator, denominator = _share(spec.percent_off)
    off = round_ratio(total * numerator, denominator, inp.rounding)
    line = GiftLine(inp.gift_id, spec.sku, spec.quantity, normalize(spec.unit_price, units),
                    from_minor(total, units), spec.name, spec.product, spec.category)
    parts = Parts(lines={line.id: from_minor(off, units)}, gift=line)
    if not off:
        parts.note = f"the gift's discount is zero ({spec.quantity} × {line.unit_price} at " \
            f"{spec.percent_off}% off)"
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
    m.Gift: gift,
}


def compute(effect: object, inp: EffectInput) -> Parts:
    """The uncapped parts of ``effect`` on ``inp``."""
    return EFFECTS[type(effect)](effect, inp)
