"""At the maxima (amounts of 10^15, quantities of 10^9, percentages with 6 decimals,
every currency's minor units), pricing is exact: the result in the engine's decimal
context (28 digits, ``dsl.decimal_context``) is the result with that context widened to
200 digits, and no cent is lost or invented (docs/semantics.md#maximum)."""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dsl import decimal_context, load_ruleset_text
from dsl.currencies import MINOR_UNITS
from dsl.values import MAX_AMOUNT
from engine import Result, evaluate, parse_cart
from engine.cart import MAX_QUANTITY

MAX = int(MAX_AMOUNT)
CURRENCIES = ("USD", "JPY", "BHD", "CLF")  # 2, 0, 3 and 4 minor units

PERCENTS = st.sampled_from(["99.999999", "0.000001", "33.333333", "50", "100", "12.5",
                            "66.666667"])


def amounts(units: int) -> st.SearchStrategy[str]:
    """Amounts up to the maximum, most at or near it, with the currency's decimals."""
    top = MAX * 10**units
    minor = st.one_of(st.just(top), st.integers(top - 1000, top), st.integers(1, top),
                      st.integers(1, 10**units * 100))
    return minor.map(lambda m: str(Decimal(m).scaleb(-units)))


@st.composite
def carts(draw: st.DrawFn, currency: str) -> dict[str, Any]:
    units = MINOR_UNITS[currency]
    left = MAX * 10**units  # what the subtotal may still hold, in minor units
    lines = []
    for index in range(draw(st.integers(1, 8))):
        quantity = draw(st.one_of(st.just(MAX_QUANTITY), st.integers(1, 5),
                                  st.integers(1, MAX_QUANTITY)))
        most = left // quantity
        if most == 0:
            break
        price = draw(st.one_of(st.just(most), st.integers(max(0, most - 7), most),
                               st.integers(0, most)))
        left -= price * quantity
        lines.append({"id": f"l{index}", "sku": f"S{index}", "quantity": quantity,
                      "unit_price": str(Decimal(price).scaleb(-units)),
                      "category": draw(st.sampled_from(["a", "b"]))})
    data: dict[str, Any] = {"id": "c", "currency": currency, "at": "2026-06-15T12:00:00Z",
                            "lines": lines}
    if draw(st.booleans()):
        data["shipping"] = {"method": "m", "price": draw(amounts(units))}
    return data


@st.composite
def rulesets(draw: st.DrawFn, currency: str) -> str:
    units = MINOR_UNITS[currency]
    money = amounts(units)
    effects: list[Callable[[], str]] = [
        lambda: f"{{ percent_off: {draw(PERCENTS)} }}",
        lambda: f"{{ percent_off: {draw(PERCENTS)}, max_units: {draw(st.integers(1, 10**9))}, "
                f"choose: {draw(st.sampled_from(['cheapest', 'most_expensive']))} }}",
        lambda: f'{{ amount_off: "{draw(money)}" }}',
        lambda: f'{{ amount_off_each: "{draw(money)}", max_units: 1000000000 }}',
        lambda: f'{{ fixed_price: "{draw(money)}" }}',
        lambda: f"{{ buy: {draw(st.integers(1, 10**9))}, get: {draw(st.integers(1, 10**9))}, "
                f"percent_off: {draw(PERCENTS)} }}",
        lambda: f'{{ bundle: {{ units: {draw(st.integers(2, 10**9))}, price: "{draw(money)}" }} }}',
        lambda: f'{{ tiers: {{ by: subtotal, steps: [{{ at: "{draw(money)}", percent_off: '
                f'{draw(PERCENTS)} }}, {{ at: "1", amount_off: "{draw(money)}" }}] }} }}',
        lambda: f'{{ tiers: {{ by: quantity, steps: [{{ at: {draw(st.integers(1, 10**15))}, '
                f'fixed_price: "{draw(money)}" }}] }} }}',
        lambda: f"{{ shipping: {{ percent_off: {draw(PERCENTS)} }} }}",
        lambda: f'{{ shipping: {{ amount_off: "{draw(money)}" }} }}',
    ]
    promotions = []
    for index in range(draw(st.integers(1, 6))):
        effect = draw(st.sampled_from(effects))()
        if draw(st.booleans()):
            effect = effect[:-2] + f', max_amount: "{draw(money)}" }}'
        target = draw(st.sampled_from(["", '\n    target: item.category == "a"']))
        promotions.append(f"  - id: p{index}\n    effect: {effect}{target}\n")
    cap = draw(st.sampled_from([
        "", f"\n  max_discount: {{ percent_of_subtotal: {draw(PERCENTS)} }}",
        f'\n  max_discount: {{ amount: "{draw(money)}", percent_of_subtotal: {draw(PERCENTS)} }}']))
    return (f"ruleset: maxima\ndsl: 1\ncurrency: {currency}\ntimezone: UTC\n"
            f"rounding: {draw(st.sampled_from(['half_even', 'half_up', 'down']))}\n"
            f"stacking:\n  coupons_per_order: 1\n  coupon_with_automatic: true\n"
            f"  base: {draw(st.sampled_from(['original', 'discounted']))}{cap}\n"
            "promotions:\n" + "".join(promotions))


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    currency = draw(st.sampled_from(CURRENCIES))
    return draw(rulesets(currency)), draw(carts(currency))


def priced(text: str, data: dict[str, Any]) -> tuple[Result, str]:
    result = evaluate(load_ruleset_text(text), parse_cart(data))
    return result, result.to_json()


LARGEST = ("ruleset: maxima\ndsl: 1\ncurrency: CLF\ntimezone: UTC\nstacking:\n"
           "  coupons_per_order: 1\n  coupon_with_automatic: true\n  base: discounted\n"
           '  max_discount: { amount: "1000000000000000", percent_of_subtotal: 99.999999 }\n'
           "promotions:\n"
           "  - { id: p0, effect: { percent_off: 33.333333,\n"
           '                         max_amount: "999999999999999.9999" } }\n'
           '  - { id: p1, effect: { amount_off: "1000000000000000" } }\n'
           "  - { id: p2, effect: { shipping: { percent_off: 0.000001 } } }\n",
           {"id": "c", "currency": "CLF", "at": "2026-06-15T12:00:00Z",
            "lines": [{"id": "a", "sku": "A", "unit_price": "999999.9999", "quantity": 999999999},
                      {"id": "b", "sku": "B", "unit_price": "0.0001", "quantity": 10**9 - 1}],
            "shipping": {"method": "m", "price": "1000000000000000.0000"}})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@example(LARGEST)
@given(cases())
def test_pricing_at_the_maxima_is_exact(case: tuple[str, dict[str, Any]]) -> None:
    text, data = case
    with decimal.localcontext(decimal.Context()):  # Python's default: 28 digits
        result, default = priced(text, data)
        check_totals(result)
    with engine_digits(200):
        _, wide = priced(text, data)
    assert default == wide


@contextmanager
def engine_digits(digits: int) -> Iterator[None]:
    """The engine's decimal context widened to ``digits`` (the two names its entry points
    read), and the caller's the same, so the engine computes in it."""
    saved = decimal_context.PRECISION, decimal_context.DECIMAL_CONTEXT
    wide = decimal_context.DECIMAL_CONTEXT.copy()
    wide.prec = digits
    decimal_context.PRECISION, decimal_context.DECIMAL_CONTEXT = digits, wide
    try:
        with decimal.localcontext(wide):
            assert decimal.getcontext().prec == digits
            yield
    finally:
        decimal_context.PRECISION, decimal_context.DECIMAL_CONTEXT = saved


def check_totals(result: Result) -> None:
    """Parts add up to lines, lines to totals, and nothing goes below zero."""
    out = result.to_dict()
    subtotal = sum((Decimal(line["total"]) for line in out["lines"]), Decimal(0))
    assert Decimal(out["subtotal"]) == subtotal <= MAX_AMOUNT
    for line in out["lines"]:
        parts = sum((Decimal(d["amount"]) for d in line["discounts"]), Decimal(0))
        assert parts == Decimal(line["discount"]) <= Decimal(line["total"])
        assert Decimal(line["final_total"]) == Decimal(line["total"]) - parts >= 0
    shipping = out["shipping"]
    ship = Decimal(shipping["final"]) if shipping else Decimal(0)
    assert Decimal(out["total"]) == \
        sum((Decimal(line["final_total"]) for line in out["lines"]), Decimal(0)) + ship
    assert sum((Decimal(a["amount"]) for a in out["applied"]), Decimal(0)) == \
        Decimal(out["total_discount"])
