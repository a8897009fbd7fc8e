"""The effects' integer arithmetic against a slow oracle written with ``Fraction``.

The oracle below follows the definitions (README "Effects", the docstrings
of ``engine/effects.py``) as directly as it can: a unit's value is ``Fraction(base) /
quantity``, units are picked by sorting on that value (ties: the line id that
sorts first), a line part is the exact amount rounded once with Python's own
rounding of a ``Fraction`` (``round`` is half-even, ``math.trunc`` is down),
spread amounts go by largest remainder computed on exact shares.  Every effect
kind is compared with ``engine.effects.compute`` on random lines in currencies
with 0, 2 and 3 minor units, in every rounding mode: the same parts, written
the same way (``str`` of each ``Decimal``: value and exponent), in the same
order, with the same note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dsl import effects as m
from engine.effects import BaseLine, EffectInput, choose_units, compute
from engine.money import round_ratio

MODES = ("half_even", "half_up", "down")
MINOR_UNITS = (0, 2, 3)
IDS = ["a", "b", "c", "d", "e", "l-10", "l-2", "x.1", "Z"]
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ----------------------------------------------------------------------- oracle


def rounded(value: Fraction, mode: str) -> int:
    """``value`` (minor units) to an integer, by the definition of each mode."""
    if mode == "half_even":
        return round(value)  # Python rounds a Fraction half to even
    if mode == "half_up":  # half away from zero
        return math.floor(value + Fraction(1, 2)) if value >= 0 \
            else -math.floor(-value + Fraction(1, 2))
    assert mode == "down"
    return math.trunc(value)


def money(value: Fraction, minor_units: int, mode: str) -> str:
    """An exact amount in the currency, rounded once, written with its minor units."""
    units = rounded(value * 10 ** minor_units, mode)
    return str((Decimal(units) / 10 ** minor_units).quantize(Decimal(1).scaleb(-minor_units)))


def whole(value: Fraction, minor_units: int) -> str:
    assert (value * 10 ** minor_units).denominator == 1
    return money(value, minor_units, "down")


@dataclass
class Expected:
    lines: list[tuple[str, str]] = field(default_factory=list)
    shipping: str | None = None  # None: zero, with the currency's decimals
    note: str | None = None
    unmet: bool = False


def unit(line: BaseLine) -> Fraction:
    return Fraction(line.base) / line.quantity


def pick(lines: list[BaseLine], count: int | None, choose: str,
         per_line: int | None = None) -> list[tuple[BaseLine, int]]:
    """Units by exact value, at most ``per_line`` of a line, at most ``count`` in all."""
    def most(line: BaseLine) -> int:
        return line.quantity if per_line is None else min(line.quantity, per_line)

    if count is None:
        return [(line, most(line)) for line in lines]
    if choose == "cheapest":
        ordered = sorted(lines, key=lambda ln: (unit(ln), ln.id))
    else:
        ordered = sorted(lines, key=lambda ln: (-unit(ln), ln.id))
    out = []
    for line in ordered:
        take = min(most(line), count)
        if take:
            out.append((line, take))
        count -= take
        if count == 0:
            break
    return out


def largest_remainder(total: Fraction, weights: list[tuple[str, Fraction]],
                      minor_units: int) -> list[tuple[str, str]]:
    """Exact shares of ``total`` (whole minor units); floors, then one more minor unit
    each for the largest remainders, equal remainders to the smaller id."""
    units = total * 10 ** minor_units
    assert units.denominator == 1
    worth = sum((w for _, w in weights if w > 0), Fraction(0))
    if units == 0 or worth == 0:
        return [(key, whole(Fraction(0), minor_units)) for key, _ in weights]
    shares = {key: units * w / worth if w > 0 else Fraction(0) for key, w in weights}
    given = {key: math.floor(share) for key, share in shares.items()}
    leftover = int(units) - sum(given.values())
    by_remainder = sorted((key for key, _ in weights if shares[key] > 0),
                          key=lambda key: (-(shares[key] - given[key]), key))
    for key in by_remainder[:leftover]:
        given[key] += 1
    return [(key, whole(Fraction(given[key], 10 ** minor_units), minor_units))
            for key, _ in weights]


def pct_parts(picked: list[tuple[BaseLine, int]], pct: Decimal, minor_units: int,
              mode: str) -> list[tuple[str, str]]:
    return [(ln.id, money(unit(ln) * k * Fraction(pct) / 100, minor_units, mode))
            for ln, k in picked]


def oracle_percent_off(inp: EffectInput, pct: Decimal, max_units: int | None,
                       choose: str, per_line: int | None = None) -> Expected:
    return Expected(pct_parts(pick(inp.targets, max_units, choose, per_line), pct,
                              inp.minor_units, inp.rounding))


def oracle_amount_off(inp: EffectInput, amount: Decimal) -> Expected:
    worth = sum((Fraction(ln.base) for ln in inp.targets), Fraction(0))
    total = min(Fraction(amount), worth)
    return Expected(largest_remainder(total, [(ln.id, Fraction(ln.base)) for ln in inp.targets],
                                      inp.minor_units))


def oracle_amount_off_each(inp: EffectInput, amount: Decimal, max_units: int | None,
                           choose: str, per_line: int | None = None) -> Expected:
    each = Fraction(amount)
    return Expected([(ln.id, money(max(Fraction(0), min(each, unit(ln))) * k, inp.minor_units,
                                   inp.rounding))
                     for ln, k in pick(inp.targets, max_units, choose, per_line)])


def oracle_fixed_price(inp: EffectInput, price: Decimal, max_units: int | None,
                       choose: str, per_line: int | None = None) -> Expected:
    p = Fraction(price)
    dearer = [ln for ln in inp.targets if unit(ln) > p]
    lines = [(ln.id, money((unit(ln) - p) * k, inp.minor_units, inp.rounding))
             for ln, k in pick(dearer, max_units, choose, per_line)]
    out = Expected(lines)
    if all(Decimal(v) == 0 for _, v in lines):
        out.note = f"every target unit already costs at most {price}"
    return out


def oracle_buy_get(inp: EffectInput, e: m.BuyGet) -> Expected:
    x, y = e.buy, e.get
    if e.get_target is None:
        units = sum(ln.quantity for ln in inp.targets)
        n = units // (x + y)
        if e.max_applications is not None:
            n = min(n, e.max_applications)
        if n == 0:
            verb = "is" if units == 1 else "are"
            return Expected(note=f"buy {x} get {y} needs {x + y} target units; there {verb} "
                                 f"{units}")
        return Expected(pct_parts(pick(inp.targets, n * y, e.choose, e.max_units_per_line),
                                  e.percent_off,
                                  inp.minor_units, inp.rounding))
    # the most applications whose get units (chosen first) leave X units per
    # application among the target units
    most = min(sum(ln.quantity for ln in inp.get_targets) // y,
               sum(ln.quantity for ln in inp.targets) // x)
    if e.max_applications is not None:
        most = min(most, e.max_applications)
    for n in range(most, 0, -1):
        picked = pick(inp.get_targets, n * y, e.choose, e.max_units_per_line)
        used = {ln.id: k for ln, k in picked}
        if sum(ln.quantity - used.get(ln.id, 0) for ln in inp.targets) >= n * x:
            return Expected(pct_parts(picked, e.percent_off, inp.minor_units, inp.rounding))
    return Expected(note="not enough units to buy and get")


def oracle_bundle(inp: EffectInput, e: m.Bundle) -> Expected:
    size = e.bundle.units
    n = sum(ln.quantity for ln in inp.targets) // size
    if e.max_applications is not None:
        n = min(n, e.max_applications)
    if n == 0:
        return Expected(note=f"fewer than {size} units")
    chosen = [(ln.id, unit(ln) * k) for ln, k in pick(inp.targets, n * size, e.choose)]
    saving = sum((v for _, v in chosen), Fraction(0)) - Fraction(e.bundle.price) * n
    if saving <= 0:
        return Expected(note="the bundle price is not below the units' price")
    amount = Fraction(Decimal(money(saving, inp.minor_units, inp.rounding)))
    return Expected(largest_remainder(amount, chosen, inp.minor_units))


def oracle_tiers(inp: EffectInput, e: m.Tiers) -> Expected:
    spec = e.tiers
    if not inp.targets:
        return Expected()
    if spec.by == "subtotal":
        measure = sum((ln.original for ln in inp.targets), Decimal(0))
    else:
        measure = Decimal(sum(ln.quantity for ln in inp.targets))
    reached = [s for s in spec.steps if s.at <= measure]
    if not reached:
        first = min(s.at for s in spec.steps)
        return Expected(note=f"no tier reached: target {spec.by} is {measure:f}, the first "
                             f"tier is at {first:f}", unmet=True)
    best = max(s.at for s in reached)
    step = next(s for s in reached if s.at == best)
    if step.percent_off is not None:
        out = oracle_percent_off(inp, step.percent_off, None, "cheapest")
    elif step.amount_off is not None:
        out = oracle_amount_off(inp, step.amount_off)
    elif step.amount_off_each is not None:
        out = oracle_amount_off_each(inp, step.amount_off_each, None, "cheapest")
    else:
        assert step.fixed_price is not None
        out = oracle_fixed_price(inp, step.fixed_price, None, "cheapest")
    out.note = f"tier at {step.at:f} reached (target {spec.by} is {measure:f})"
    return out


def oracle_shipping(inp: EffectInput, e: m.Shipping) -> Expected:
    base = inp.shipping_base
    if base is None or base <= 0:
        return Expected(note="no shipping to discount")
    spec = e.shipping
    if spec.free:
        off = Fraction(base)
    elif spec.amount_off is not None:
        off = min(Fraction(spec.amount_off), Fraction(base))
    elif spec.percent_off is not None:
        off = Fraction(base) * Fraction(spec.percent_off) / 100
    else:
        assert spec.fixed_price is not None
        off = max(Fraction(0), Fraction(base) - Fraction(spec.fixed_price))
    shown = money(off, inp.minor_units, inp.rounding)
    out = Expected(shipping=shown)
    if Decimal(shown) == 0:
        out.note = f"shipping ({base}) already costs at most {spec.fixed_price}" \
            if spec.fixed_price is not None else f"the discount on shipping ({base}) is zero"
    return out


def oracle(effect: Any, inp: EffectInput) -> Expected:
    if isinstance(effect, m.PercentOff):
        return oracle_percent_off(inp, effect.percent_off, effect.max_units, effect.choose,
                                  effect.max_units_per_line)
    if isinstance(effect, m.AmountOff):
        return oracle_amount_off(inp, effect.amount_off)
    if isinstance(effect, m.AmountOffEach):
        return oracle_amount_off_each(inp, effect.amount_off_each, effect.max_units,
                                      effect.choose, effect.max_units_per_line)
    if isinstance(effect, m.FixedPrice):
        return oracle_fixed_price(inp, effect.fixed_price, effect.max_units, effect.choose,
                                  effect.max_units_per_line)
    if isinstance(effect, m.BuyGet):
        return oracle_buy_get(inp, effect)
    if isinstance(effect, m.Bundle):
        return oracle_bundle(inp, effect)
    if isinstance(effect, m.Tiers):
        return oracle_tiers(inp, effect)
    assert isinstance(effect, m.Shipping)
    return oracle_shipping(inp, effect)


def check(effect: Any, inp: EffectInput) -> None:
    parts = compute(effect, inp)
    expected = oracle(effect, inp)
    assert [(k, str(v)) for k, v in parts.lines.items()] == expected.lines
    assert str(parts.shipping) == (expected.shipping or "0")
    assert parts.note == expected.note
    assert parts.unmet == expected.unmet
    for value in parts.lines.values():  # zero or not, written with the currency's decimals
        assert value.as_tuple().exponent == -inp.minor_units, value


# ------------------------------------------------------------------- strategies


def amounts(minor_units: int, extra: bool = False) -> st.SearchStrategy[Decimal]:
    """Amounts with the currency's decimals (``extra``: sometimes finer than a minor unit,
    as a model built without a ruleset's context allows)."""
    digits = minor_units + (2 if extra else 0)
    small = st.integers(0, 10 ** (minor_units + 1)).map(
        lambda n: Decimal(n).scaleb(-minor_units))
    ordinary = st.integers(0, 300 * 10 ** digits).map(lambda n: Decimal(n).scaleb(-digits))
    whole_units = st.integers(0, 200).map(Decimal)
    return st.one_of(small, ordinary, whole_units)


percents = st.one_of(
    st.sampled_from(["100", "50", "25", "10", "15", "33.333", "12.5", "0.5", "99.99", "66.67"]),
    st.integers(1, 10000).map(lambda n: str(Decimal(n).scaleb(-2))),
).map(Decimal)
CHOOSE: tuple[m.Choose, ...] = ("cheapest", "most_expensive")
BY: tuple[Literal["subtotal", "quantity"], ...] = ("subtotal", "quantity")
chooses = st.sampled_from(CHOOSE)
max_units = st.one_of(st.none(), st.integers(1, 12))
per_line = st.one_of(st.none(), st.none(), st.integers(1, 4))  # max_units_per_line


def written(minor: int, minor_units: int) -> Decimal:
    """Whole minor units as the evaluator writes them: with the currency's decimals."""
    return Decimal(minor).scaleb(-minor_units)


@st.composite
def cart_lines(draw: st.DrawFn, minor_units: int) -> list[BaseLine]:
    """Lines as the evaluator makes them, in cart order (not sorted by id): whole minor
    units; the base at most the original; unit values often equal across lines."""
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=7, unique=True))
    rank = {line_id: i for i, line_id in enumerate(sorted(ids))}
    scale = 10 ** minor_units
    lines = []
    for line_id in ids:
        quantity = draw(st.sampled_from([1, 1, 2, 3, 4, 6]))
        if draw(st.booleans()):  # a price from a short list: equal unit values are common
            unit_minor = draw(st.sampled_from([0, 1, 5, 7, 99, 250])) * max(1, scale // 100)
            original = base = unit_minor * quantity
        else:
            original = draw(st.integers(0, 500 * scale))
            base = draw(st.sampled_from([original, original // 2, original // 3, 0,
                                         max(0, original - 1)]))
        lines.append(BaseLine(line_id, rank[line_id], quantity, written(base, minor_units),
                              written(original, minor_units), base, original))
    return lines


@st.composite
def inputs(draw: st.DrawFn) -> EffectInput:
    minor_units = draw(st.sampled_from(MINOR_UNITS))
    lines = draw(cart_lines(minor_units))
    targets = lines  # all the lines, or some of them
    if draw(st.booleans()):
        targets = [ln for ln in lines if draw(st.booleans())]
    gets = [ln for ln in lines if draw(st.booleans())]
    # no shipping, free shipping, or a price (most often)
    price = draw(st.integers(-5, 30 * 10 ** minor_units))
    shipping = None if price < -2 else written(max(price, 0), minor_units)
    return EffectInput(targets, gets, shipping, minor_units, draw(st.sampled_from(MODES)))


@st.composite
def tier_specs(draw: st.DrawFn, minor_units: int) -> m.TierSpec:
    by = draw(st.sampled_from(BY))
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        if by == "subtotal":
            at = draw(st.one_of(amounts(minor_units), st.just(Decimal("10.5"))))
        else:
            at = Decimal(draw(st.integers(0, 15)))
        kind = draw(st.sampled_from(m.TIER_KINDS))
        value = draw(percents if kind == "percent_off" else amounts(minor_units))
        steps.append(m.TierStep.model_validate({"at": at, kind: value}))
    return m.TierSpec(by=by, steps=steps)


KINDS = ["percent_off", "amount_off", "amount_off_each", "fixed_price", "buy_get", "bundle",
         "tiers", "shipping"]


@st.composite
def effects(draw: st.DrawFn, kind: str, minor_units: int) -> Any:
    if kind == "percent_off":
        return m.PercentOff(percent_off=draw(percents), max_units=draw(max_units),
                            max_units_per_line=draw(per_line), choose=draw(chooses))
    if kind == "amount_off":
        return m.AmountOff(amount_off=draw(amounts(minor_units)))
    if kind == "amount_off_each":
        return m.AmountOffEach(amount_off_each=draw(amounts(minor_units, extra=True)),
                               max_units=draw(max_units), max_units_per_line=draw(per_line),
                               choose=draw(chooses))
    if kind == "fixed_price":
        return m.FixedPrice(fixed_price=draw(amounts(minor_units, extra=True)),
                            max_units=draw(max_units), max_units_per_line=draw(per_line),
                            choose=draw(chooses))
    if kind == "buy_get":
        return m.BuyGet.model_validate({
            "buy": draw(st.integers(1, 4)), "get": draw(st.integers(1, 3)),
            "percent_off": draw(percents), "choose": draw(chooses),
            "max_applications": draw(st.one_of(st.none(), st.integers(1, 3))),
            "max_units_per_line": draw(per_line),
            "get_target": draw(st.one_of(st.none(), st.just('item.category == "socks"')))})
    if kind == "bundle":
        return m.Bundle(bundle=m.BundleSpec(units=draw(st.integers(2, 5)),
                                            price=draw(amounts(minor_units, extra=True))),
                        choose=draw(chooses),
                        max_applications=draw(st.one_of(st.none(), st.integers(1, 3))))
    if kind == "tiers":
        return m.Tiers(tiers=draw(tier_specs(minor_units)))
    spec = draw(st.sampled_from(["free", "amount_off", "percent_off", "fixed_price"]))
    value: Any = True if spec == "free" else \
        draw(percents) if spec == "percent_off" else draw(amounts(minor_units))
    return m.Shipping(shipping=m.ShippingSpec.model_validate({spec: value}))


# ------------------------------------------------------------------- properties


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@SETTINGS
@given(data=st.data())
def test_every_effect_matches_the_fraction_oracle(kind: str, data: st.DataObject) -> None:
    inp = data.draw(inputs())
    check(data.draw(effects(kind, inp.minor_units)), inp)


@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_choose_units_matches_sorting_by_exact_unit_value(data: st.DataObject) -> None:
    inp = data.draw(inputs())
    count = data.draw(max_units)
    choose = data.draw(chooses)
    expected = {ln.id: k for ln, k in pick(inp.targets, count, choose)}
    got = choose_units(inp.targets, count, choose)
    assert list(got.items()) == list(expected.items())


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(st.integers(-10 ** 12, 10 ** 12), st.integers(1, 10 ** 6), st.sampled_from(MODES))
@example(5, 2, "half_even")
@example(-5, 2, "half_even")
@example(-7, 2, "half_up")
@example(-7, 2, "down")
def test_round_ratio_matches_rounding_a_fraction(numerator: int, denominator: int,
                                                  mode: str) -> None:
    expected = rounded(Fraction(numerator, denominator), mode)
    assert round_ratio(numerator, denominator, mode) == expected
    assert round_ratio(-numerator, -denominator, mode) == expected


# ------------------------------------------------- half-way ties, by example


def lines_of(*specs: tuple[str, str, int], minor_units: int = 2) -> list[BaseLine]:
    """(id, base, quantity) lines with base = original."""
    ranks = {line_id: i for i, line_id in enumerate(sorted(s[0] for s in specs))}
    out = []
    for line_id, base, quantity in specs:
        amount = Decimal(base)
        minor = int(amount.scaleb(minor_units))
        out.append(BaseLine.of(line_id, ranks[line_id], quantity, amount, amount, minor_units))
        assert out[-1].base_minor == minor
    return out


def run(effect: Any, lines: list[BaseLine], mode: str, minor_units: int = 2,
        shipping: str | None = None) -> dict[str | None, str]:
    inp = EffectInput(lines, lines, Decimal(shipping) if shipping else None, minor_units, mode)
    check(effect, inp)  # the oracle agrees, too
    parts = compute(effect, inp)
    out: dict[str | None, str] = {k: str(v) for k, v in parts.lines.items()}
    if parts.shipping:
        out[None] = str(parts.shipping)
    return out


TIES = [  # mode, x.5 rounded: 2.5 → ?, 3.5 → ?
    ("half_even", "2", "4"),
    ("half_up", "3", "4"),
    ("down", "2", "3"),
]


@pytest.mark.parametrize("mode, two_and_a_half, three_and_a_half", TIES)
@pytest.mark.parametrize("minor_units", MINOR_UNITS)
def test_percent_off_half_way_ties(mode: str, two_and_a_half: str, three_and_a_half: str,
                                   minor_units: int) -> None:
    # 50% of 5 and of 7 minor units: 2.5 and 3.5 minor units, exact ties
    q = Decimal(1).scaleb(-minor_units)
    lines = lines_of(("a", str(5 * q), 1), ("b", str(7 * q), 1), minor_units=minor_units)
    out = run(m.PercentOff(percent_off=Decimal(50)), lines, mode, minor_units)
    assert out == {"a": str(int(two_and_a_half) * q), "b": str(int(three_and_a_half) * q)}


@pytest.mark.parametrize("mode, two_and_a_half, three_and_a_half", TIES)
def test_amount_off_each_capped_at_a_half_cent_unit_value(mode: str, two_and_a_half: str,
                                                          three_and_a_half: str) -> None:
    # 2 units worth 0.05 and 0.07: a unit is worth 2.5 and 3.5 cents, less than 1.00
    lines = lines_of(("a", "0.05", 2), ("b", "0.07", 2))
    out = run(m.AmountOffEach(amount_off_each=Decimal("1.00"), max_units=2,
                              choose="most_expensive"), lines, mode)
    # most expensive first: b's two units (7 cents, whole), none of a
    assert out == {"b": "0.07"}
    out = run(m.AmountOffEach(amount_off_each=Decimal("1.00"), max_units=1), lines, mode)
    assert out == {"a": f"0.0{two_and_a_half}"}
    out = run(m.AmountOffEach(amount_off_each=Decimal("1.00"), max_units=1,
                              choose="most_expensive"), lines, mode)
    assert out == {"b": f"0.0{three_and_a_half}"}


@pytest.mark.parametrize("mode, two_and_a_half, three_and_a_half", TIES)
def test_fixed_price_half_way_ties(mode: str, two_and_a_half: str,
                                   three_and_a_half: str) -> None:
    # 1.05 for 2 units: 0.525 each; at 0.50 one unit saves 2.5 cents
    # 1.07 for 2 units: 0.535 each; one unit saves 3.5 cents
    out = run(m.FixedPrice(fixed_price=Decimal("0.50"), max_units=1),
              lines_of(("a", "1.05", 2)), mode)
    assert out == {"a": f"0.0{two_and_a_half}"}
    out = run(m.FixedPrice(fixed_price=Decimal("0.50"), max_units=1),
              lines_of(("a", "1.07", 2)), mode)
    assert out == {"a": f"0.0{three_and_a_half}"}


@pytest.mark.parametrize("mode, two_and_a_half, _", TIES)
def test_bundle_saving_half_way_tie(mode: str, two_and_a_half: str, _: str) -> None:
    # 4 units for 0.10: 2.5 cents each; 3 for 0.05 is worth 7.5 cents, saves 2.5 cents,
    # rounded once before it is spread
    out = run(m.Bundle(bundle=m.BundleSpec(units=3, price=Decimal("0.05"))),
              lines_of(("a", "0.10", 4)), mode)
    assert out == {"a": f"0.0{two_and_a_half}"}


@pytest.mark.parametrize("mode, two_and_a_half, three_and_a_half", TIES)
def test_shipping_percent_half_way_ties(mode: str, two_and_a_half: str,
                                        three_and_a_half: str) -> None:
    ship = m.Shipping(shipping=m.ShippingSpec(percent_off=Decimal(50)))
    assert run(ship, [], mode, shipping="0.05") == {None: f"0.0{two_and_a_half}"}
    assert run(ship, [], mode, 0, shipping="7") == {None: three_and_a_half}


@pytest.mark.parametrize("mode", MODES)
def test_buy_get_half_way_tie_and_equal_unit_values(mode: str) -> None:
    # b, c and a: 2.50, 2.50 (5.00 for 2) and 2.50 a unit, all equal: buy 1 get 1 at 1%
    # takes the line whose id sorts first, whatever the input order; 1% of 2.50 = 2.5 cents
    lines = lines_of(("c", "2.50", 1), ("b", "5.00", 2), ("a", "2.50", 1))
    out = run(m.BuyGet(buy=1, get=1, percent_off=Decimal(1), max_applications=1), lines, mode)
    assert out == {"a": {"half_even": "0.02", "half_up": "0.03", "down": "0.02"}[mode]}
    out = run(m.BuyGet(buy=1, get=1, percent_off=Decimal(1), max_applications=1,
                       choose="most_expensive"), lines, mode)
    assert out == {"a": {"half_even": "0.02", "half_up": "0.03", "down": "0.02"}[mode]}


def test_amount_off_leftover_cents_break_ties_by_id_not_input_order() -> None:
    # 10.00 over three equal lines: 3.33 each, the leftover cent to "a"
    lines = lines_of(("c", "5.00", 1), ("a", "5.00", 1), ("b", "5.00", 1))
    out = run(m.AmountOff(amount_off=Decimal("10.00")), lines, "half_even")
    assert list(out.items()) == [("c", "3.33"), ("a", "3.34"), ("b", "3.33")]


def test_tiers_with_no_step_reached_and_a_reached_step() -> None:
    lines = lines_of(("a", "10.00", 1), ("b", "5.50", 3))
    spec = m.TierSpec(by="subtotal", steps=[m.TierStep(at=Decimal(20), percent_off=Decimal(10)),
                                            m.TierStep(at=Decimal(15), amount_off=Decimal(1))])
    inp = EffectInput(lines, [], None, 2, "half_even")
    parts = compute(m.Tiers(tiers=spec), inp)
    assert parts.note == "tier at 15 reached (target subtotal is 15.50)"
    assert {k: str(v) for k, v in parts.lines.items()} == {"a": "0.65", "b": "0.35"}
    parts = compute(m.Tiers(tiers=spec), EffectInput(lines[1:], [], None, 2, "half_even"))
    assert parts.unmet and parts.note == ("no tier reached: target subtotal is 5.50, the "
                                          "first tier is at 15")
