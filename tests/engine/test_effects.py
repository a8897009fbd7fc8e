"""Each effect against hand-computed amounts (the arithmetic is in the comments).

Unless a test says otherwise the ruleset is in USD, rounds ``half_even`` and
stacks on the discounted base; every result also passes ``check_invariants``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Price = Callable[..., Any]


@pytest.fixture
def one(ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> Price:
    """Price ``lines`` with a single promotion ``p`` having ``effect`` (and ``target``)."""

    def run(effect: str, lines: list[Any], *, target: str | None = None,
            currency: str = "USD", rounding: str | None = None, shipping: str | None = None,
            coupon: str | None = None) -> Any:
        promo = f"- id: p\n  effect: {effect}\n"
        if target is not None:
            promo += f"  target: {target}\n"
        if coupon is not None:
            promo += f"  coupon: {coupon}\n"
        rs = ruleset(promo, currency=currency, rounding=rounding)
        return price(rs, cart(lines, currency=currency, shipping=shipping,
                              coupons=[coupon] if coupon else []))

    return run


SOCKS = {"category": "socks"}
SHOES = {"category": "shoes"}


# ------------------------------------------------------------- percent_off


@pytest.mark.parametrize("rounding, a, b, c, total", [
    # 15% of 69.90 = 10.485, of 39.90 (2 × 19.95) = 5.985, of 3.33 = 0.4995
    ("half_even", "10.48", "5.98", "0.50", "96.17"),   # 113.13 − 16.96
    ("half_up", "10.49", "5.99", "0.50", "96.15"),     # 113.13 − 16.98
    ("down", "10.48", "5.98", "0.49", "96.18"),        # 113.13 − 16.95
    (None, "10.48", "5.98", "0.50", "96.17"),          # the default is half_even
])
def test_percent_off_rounds_each_line_once(one: Price, rounding: str | None, a: str, b: str,
                                           c: str, total: str) -> None:
    out = one("{ percent_off: 15 }", [("a", "69.90"), ("b", "19.95", 2), ("c", "3.33")],
              rounding=rounding)
    assert out.discounts() == {"a": {"p": a}, "b": {"p": b}, "c": {"p": c}}
    assert out["subtotal"] == "113.13"
    assert out["total"] == total


def test_percent_off_only_target_lines(one: Price) -> None:
    # 20% of 89.90 = 17.98; the socks are not a target
    out = one("{ percent_off: 20 }", [("a", "89.90", 1, SHOES), ("b", "5.00", 2, SOCKS)],
              target="item.category == \"shoes\"")
    assert out.finals() == {"a": "71.92", "b": "10.00"}
    assert out.applied() == {"p": "17.98"}


def test_percent_off_max_units_pools_cheapest_units_across_lines(one: Price) -> None:
    # units: a 3.00, c 4.00, b 5.00 ×3 → the 2 cheapest are a's and c's (not 2 per line)
    lines = [("a", "3.00"), ("b", "5.00", 3), ("c", "4.00")]
    out = one("{ percent_off: 50, max_units: 2 }", lines)
    assert out.discounts() == {"a": {"p": "1.50"}, "b": {}, "c": {"p": "2.00"}}
    # 4 units: a, c and two of b's → 1.50 + 2.00 + 50% of 10.00
    out = one("{ percent_off: 50, max_units: 4 }", lines)
    assert out.discounts() == {"a": {"p": "1.50"}, "b": {"p": "5.00"}, "c": {"p": "2.00"}}
    # more units allowed than there are: every unit
    out = one("{ percent_off: 50, max_units: 99 }", lines)
    assert out.applied() == {"p": "11.00"}   # 50% of 3 + 15 + 4


def test_percent_off_max_units_most_expensive(one: Price) -> None:
    # the 2 most expensive units are two of b's: 50% of 10.00
    out = one("{ percent_off: 50, max_units: 2, choose: most_expensive }",
              [("a", "3.00"), ("b", "5.00", 3), ("c", "4.00")])
    assert out.discounts() == {"a": {}, "b": {"p": "5.00"}, "c": {}}


def test_percent_off_equal_unit_prices_go_to_the_smaller_line_id(one: Price) -> None:
    # b is listed first, but a and b cost the same: a's unit is the one chosen
    out = one("{ percent_off: 50, max_units: 1 }", [("b", "5.00"), ("a", "5.00")])
    assert out.discounts() == {"b": {}, "a": {"p": "2.50"}}


@pytest.mark.parametrize("rounding, expected", [("half_even", "1.66"), ("half_up", "1.67"),
                                                ("down", "1.66")])
def test_percent_off_max_units_rounds_the_chosen_units(one: Price, rounding: str,
                                                       expected: str) -> None:
    # 25% of two units of 3.33 = 1.665: a tie
    out = one("{ percent_off: 25, max_units: 2 }", [("a", "3.33", 3)], rounding=rounding)
    assert out.discounts() == {"a": {"p": expected}}


@pytest.mark.parametrize("rounding, a, b", [
    # 15% of ¥1990 = 298.5 and of ¥2970 = 445.5: both ties
    ("half_even", "298", "446"), ("half_up", "299", "446"), ("down", "298", "445")])
def test_percent_off_jpy(one: Price, rounding: str, a: str, b: str) -> None:
    out = one("{ percent_off: 15 }", [("a", "1990"), ("b", "2970")], currency="JPY",
              rounding=rounding)
    assert out.discounts() == {"a": {"p": a}, "b": {"p": b}}
    assert out["lines"][0]["final_total"] == str(1990 - int(a))
    assert out["subtotal"] == "4960"


@pytest.mark.parametrize("rounding, a, b", [
    # 10% of 1.125 = 0.1125 and of 3.245 = 0.3245: both ties at the fils
    ("half_even", "0.112", "0.324"), ("half_up", "0.113", "0.325"), ("down", "0.112", "0.324")])
def test_percent_off_bhd(one: Price, rounding: str, a: str, b: str) -> None:
    out = one("{ percent_off: 10 }", [("a", "1.125"), ("b", "3.245")], currency="BHD",
              rounding=rounding)
    assert out.discounts() == {"a": {"p": a}, "b": {"p": b}}
    assert out["subtotal"] == "4.370"


# -------------------------------------------------------------- amount_off


def test_amount_off_spreads_in_proportion(one: Price) -> None:
    # 10.00 over 30 : 20 : 50 → 3.00, 2.00, 5.00
    out = one('{ amount_off: "10.00" }', [("a", "30.00"), ("b", "20.00"), ("c", "50.00")])
    assert out.discounts() == {"a": {"p": "3.00"}, "b": {"p": "2.00"}, "c": {"p": "5.00"}}
    assert out["total"] == "90.00"


def test_amount_off_largest_remainder(one: Price) -> None:
    # 1.00 over 3.00 : 2.50 : 0.99 (6.49): 46.224, 38.521, 15.254 cents;
    # floors 46 + 38 + 15 = 99, the leftover cent to b (remainder .521)
    out = one('{ amount_off: "1.00" }', [("a", "1.00", 3), ("b", "2.50"), ("c", "0.99")])
    assert out.discounts() == {"a": {"p": "0.46"}, "b": {"p": "0.39"}, "c": {"p": "0.15"}}


@pytest.mark.parametrize("rounding", ["half_even", "half_up", "down"])
def test_amount_off_ties_by_line_id_whatever_the_cart_order(one: Price, rounding: str) -> None:
    # 10.00 / 3 = 3.333…: the leftover cent goes to a, in any line order and any mode
    # (a spread amount is allocated, never rounded)
    for order in (["a", "b", "c"], ["c", "a", "b"], ["b", "c", "a"]):
        out = one('{ amount_off: "10.00" }', [(x, "5.00") for x in order], rounding=rounding)
        assert out.discounts() == {"a": {"p": "3.34"}, "b": {"p": "3.33"}, "c": {"p": "3.33"}}


def test_amount_off_never_more_than_the_lines_are_worth(one: Price) -> None:
    out = one('{ amount_off: "10.00" }', [("a", "1.00"), ("b", "2.00")])
    assert out.finals() == {"a": "0.00", "b": "0.00"}
    assert out.applied() == {"p": "3.00"}
    assert out["total"] == "0.00"


def test_amount_off_only_target_lines(one: Price) -> None:
    # 6.00 over the two shoe lines 40 : 80 → 2.00, 4.00
    out = one('{ amount_off: "6.00" }', [("a", "40.00", 1, SHOES), ("b", "9.00", 1, SOCKS),
                                         ("c", "80.00", 1, SHOES)],
              target='item.category == "shoes"')
    assert out.discounts() == {"a": {"p": "2.00"}, "b": {}, "c": {"p": "4.00"}}


def test_amount_off_jpy(one: Price) -> None:
    # ¥1000 over 1980 : 2980 : 500 (5460): 362.637, 545.787, 91.575;
    # floors 998, the two leftover yen to b (.787) and a (.637)
    out = one("{ amount_off: 1000 }", [("a", "1980"), ("b", "2980"), ("c", "500")],
              currency="JPY")
    assert out.discounts() == {"a": {"p": "363"}, "b": {"p": "546"}, "c": {"p": "91"}}
    assert out["total"] == "4460"


def test_amount_off_bhd(one: Price) -> None:
    # 1.000 over 1.500 : 0.500 → 0.750, 0.250
    out = one('{ amount_off: "1.000" }', [("a", "1.500"), ("b", "0.500")], currency="BHD")
    assert out.discounts() == {"a": {"p": "0.750"}, "b": {"p": "0.250"}}
    # 0.100 / 3 = 33.33 fils each: the leftover fils to a
    out = one('{ amount_off: "0.100" }', [("a", "1.000"), ("b", "1.000"), ("c", "1.000")],
              currency="BHD")
    assert out.discounts() == {"a": {"p": "0.034"}, "b": {"p": "0.033"}, "c": {"p": "0.033"}}


# --------------------------------------------------------- amount_off_each


def test_amount_off_each_never_more_than_a_unit(one: Price) -> None:
    # 2.00 × 3 units of a; b's units are worth 1.50 each → 1.50 × 2
    out = one('{ amount_off_each: "2.00" }', [("a", "10.00", 3), ("b", "1.50", 2)])
    assert out.discounts() == {"a": {"p": "6.00"}, "b": {"p": "3.00"}}
    assert out.finals() == {"a": "24.00", "b": "0.00"}


def test_amount_off_each_max_units(one: Price) -> None:
    lines = [("a", "10.00", 3), ("b", "5.00")]
    # the 2 cheapest units: b's and one of a's
    out = one('{ amount_off_each: "2.00", max_units: 2 }', lines)
    assert out.discounts() == {"a": {"p": "2.00"}, "b": {"p": "2.00"}}
    # the 2 most expensive: two of a's
    out = one('{ amount_off_each: "2.00", max_units: 2, choose: most_expensive }', lines)
    assert out.discounts() == {"a": {"p": "4.00"}, "b": {}}


def test_amount_off_each_jpy(one: Price) -> None:
    # ¥100 × 2 on a; b's one unit is worth only ¥50
    out = one("{ amount_off_each: 100 }", [("a", "980", 2), ("b", "50")], currency="JPY")
    assert out.discounts() == {"a": {"p": "200"}, "b": {"p": "50"}}
    assert out["total"] == "1760"


# ------------------------------------------------------------- fixed_price


def test_fixed_price_only_units_above_the_price(one: Price) -> None:
    # a: 2 × (15.00 − 10.00); b (8.00) and c (10.00) already cost at most 10.00
    out = one('{ fixed_price: "10.00" }', [("a", "15.00", 2), ("b", "8.00"), ("c", "10.00")])
    assert out.discounts() == {"a": {"p": "10.00"}, "b": {}, "c": {}}
    assert out.finals() == {"a": "20.00", "b": "8.00", "c": "10.00"}


def test_fixed_price_nothing_above_the_price(one: Price) -> None:
    out = one('{ fixed_price: "10.00" }', [("b", "8.00"), ("c", "10.00")])
    assert out.applied() == {}
    assert out.rejected() == {"p": "nothing_to_discount"}
    assert out.reason("p") == "every target unit already costs at most 10.00"


def test_fixed_price_max_units(one: Price) -> None:
    lines = [("a", "15.00", 2), ("b", "25.00")]
    # one unit, the most expensive: b, 25.00 → 10.00
    out = one('{ fixed_price: "10.00", max_units: 1, choose: most_expensive }', lines)
    assert out.discounts() == {"a": {}, "b": {"p": "15.00"}}
    # one unit, the cheapest: one of a's, 15.00 → 10.00
    out = one('{ fixed_price: "10.00", max_units: 1 }', lines)
    assert out.discounts() == {"a": {"p": "5.00"}, "b": {}}


def test_fixed_price_jpy(one: Price) -> None:
    # 2 × (¥1480 − ¥1000)
    out = one("{ fixed_price: 1000 }", [("a", "1480", 2)], currency="JPY")
    assert out.discounts() == {"a": {"p": "960"}}
    assert out["total"] == "2000"


# ------------------------------------------------------------- buy X get Y

B1_LINES = [("a", "5.00", 2, SOCKS), ("b", "4.00", 1, SOCKS), ("c", "6.00", 3, SOCKS),
            ("d", "50.00", 1, SHOES)]
IS_SOCKS = 'item.category == "socks"'


def test_buy_get_cheapest_units_free(one: Price) -> None:
    # 6 sock units → floor(6 / 3) = 2 applications → the 2 cheapest units are free:
    # b's 4.00 and one of a's 5.00; the shoes are not a target
    out = one("{ buy: 2, get: 1 }", B1_LINES, target=IS_SOCKS)
    assert out.discounts() == {"a": {"p": "5.00"}, "b": {"p": "4.00"}, "c": {}, "d": {}}
    assert out.applied() == {"p": "9.00"}


def test_buy_get_repeats(one: Price) -> None:
    # 7 units → still 2 applications
    lines = [("a", "5.00", 2), ("b", "4.00", 1), ("c", "6.00", 4)]
    assert one("{ buy: 2, get: 1 }", lines).applied() == {"p": "9.00"}
    # 9 units → 3 applications: b and both of a's free
    lines = [("a", "5.00", 2), ("b", "4.00", 1), ("c", "6.00", 6)]
    out = one("{ buy: 2, get: 1 }", lines)
    assert out.discounts() == {"a": {"p": "10.00"}, "b": {"p": "4.00"}, "c": {}}


def test_buy_get_max_applications(one: Price) -> None:
    # 6 units would make 2 applications; 1 allowed → only b's unit
    out = one("{ buy: 2, get: 1, max_applications: 1 }", B1_LINES, target=IS_SOCKS)
    assert out.discounts() == {"a": {}, "b": {"p": "4.00"}, "c": {}, "d": {}}


def test_buy_get_at_half_price(one: Price) -> None:
    # buy 1 get 1 at 50%: 4 units → 2 applications → c (3.00) and b (7.00) at half price
    out = one("{ buy: 1, get: 1, percent_off: 50 }",
              [("a", "10.00", 2), ("b", "7.00"), ("c", "3.00")])
    assert out.discounts() == {"a": {}, "b": {"p": "3.50"}, "c": {"p": "1.50"}}


@pytest.mark.parametrize("rounding, expected", [("half_even", "1.66"), ("half_up", "1.67"),
                                                ("down", "1.66")])
def test_buy_get_rounding(one: Price, rounding: str, expected: str) -> None:
    # 50% of one unit of 3.33 = 1.665
    out = one("{ buy: 1, get: 1, percent_off: 50 }", [("a", "3.33", 2)], rounding=rounding)
    assert out.discounts() == {"a": {"p": expected}}


def test_buy_get_most_expensive(one: Price) -> None:
    # 2 applications, the 2 most expensive sock units: two of c's 6.00
    out = one("{ buy: 2, get: 1, choose: most_expensive }", B1_LINES, target=IS_SOCKS)
    assert out.discounts() == {"a": {}, "b": {}, "c": {"p": "12.00"}, "d": {}}


def test_buy_get_not_enough_units(one: Price) -> None:
    out = one("{ buy: 2, get: 1 }", [("a", "5.00", 2)])
    assert out.rejected() == {"p": "nothing_to_discount"}
    assert out.reason("p") == "buy 2 get 1 needs 3 target units; there are 2"


@pytest.mark.parametrize("rounding, expected", [("half_even", "502"), ("half_up", "503"),
                                                ("down", "502")])
def test_buy_get_jpy(one: Price, rounding: str, expected: str) -> None:
    # 50% of ¥1005 = 502.5
    out = one("{ buy: 1, get: 1, percent_off: 50 }", [("a", "1005", 2)], currency="JPY",
              rounding=rounding)
    assert out.discounts() == {"a": {"p": expected}}


def test_buy_get_with_get_target(one: Price) -> None:
    # buy 2 shoes, get 1 sock free: 2 shoe units → 1 application → one 5.00 sock
    effect = '{ buy: 2, get: 1, get_target: item.category == "socks" }'
    out = one(effect, [("s", "80.00", 2, SHOES), ("k", "5.00", 2, SOCKS)],
              target='item.category == "shoes"')
    assert out.discounts() == {"s": {}, "k": {"p": "5.00"}}
    # one shoe is not enough
    out = one(effect, [("s", "80.00", 1, SHOES), ("k", "5.00", 2, SOCKS)],
              target='item.category == "shoes"')
    assert out.rejected() == {"p": "nothing_to_discount"}
    assert out.reason("p") == "not enough units to buy and get"


def test_buy_get_overlap_a_unit_never_counts_twice(one: Price) -> None:
    # buy any 2, get a sock free; the target (every line) overlaps the socks.
    # Naively min(3 socks / 1, 4 units / 2) = 2 applications, but then the 2 free
    # socks leave only 2 units to buy for 2 × 2: the get units are chosen first and
    # the bought units counted among the rest, so 1 application: one sock free.
    effect = '{ buy: 2, get: 1, get_target: item.category == "socks" }'
    out = one(effect, [("t", "20.00", 1, {"category": "shirts"}), ("k", "5.00", 3, SOCKS)])
    assert out.discounts() == {"t": {}, "k": {"p": "5.00"}}
    # only socks, buy 1 get 1: 4 socks → 2 free, 2 bought (not 4 free)
    effect = '{ buy: 1, get: 1, get_target: item.category == "socks" }'
    out = one(effect, [("k", "5.00", 4, SOCKS)])
    assert out.discounts() == {"k": {"p": "10.00"}}


def test_buy_get_get_target_picks_the_cheapest_get_units(one: Price) -> None:
    # buy 1 shoe, get a sock at 50%; 2 shoes → 2 applications → the 2 cheapest socks:
    # j (3.00) and one of k's (4.00) → 1.50 and 2.00
    effect = '{ buy: 1, get: 1, percent_off: 50, get_target: item.category == "socks" }'
    out = one(effect, [("s", "80.00", 2, SHOES), ("k", "4.00", 2, SOCKS),
                       ("j", "3.00", 1, SOCKS), ("m", "9.00", 1, SOCKS)],
              target='item.category == "shoes"')
    assert out.discounts() == {"s": {}, "k": {"p": "2.00"}, "j": {"p": "1.50"}, "m": {}}


# ------------------------------------------------------------------ bundle


def test_bundle_saving_spread_over_the_chosen_units(one: Price) -> None:
    # 3 for 10.00; 4 units → 1 application; the 3 cheapest: a × 2 (8.00) + one b (5.00)
    # = 13.00 → saving 3.00 over 8 : 5: 184.615 and 115.385 cents → a 1.85, b 1.15
    out = one('{ bundle: { units: 3, price: "10.00" } }', [("a", "4.00", 2), ("b", "5.00", 2)])
    assert out.discounts() == {"a": {"p": "1.85"}, "b": {"p": "1.15"}}
    assert out.finals() == {"a": "6.15", "b": "8.85"}


def test_bundle_repeats_and_max_applications(one: Price) -> None:
    lines = [("a", "4.00", 3), ("b", "5.00", 3)]
    # 6 units → 2 applications: 27.00 − 20.00 = 7.00 over 12 : 15 → 311.11 and 388.89
    # cents; the leftover cent to b (.89) → 3.11 and 3.89
    out = one('{ bundle: { units: 3, price: "10.00" } }', lines)
    assert out.discounts() == {"a": {"p": "3.11"}, "b": {"p": "3.89"}}
    # at most 1 application: a's 3 units, 12.00 − 10.00
    out = one('{ bundle: { units: 3, price: "10.00" }, max_applications: 1 }', lines)
    assert out.discounts() == {"a": {"p": "2.00"}, "b": {}}


def test_bundle_most_expensive(one: Price) -> None:
    # b × 2 (10.00) + one a (4.00) = 14.00 → saving 4.00 over 10 : 4 → 285.71 and
    # 114.29 cents; the leftover cent to b (.71)
    out = one('{ bundle: { units: 3, price: "10.00" }, choose: most_expensive }',
              [("a", "4.00", 2), ("b", "5.00", 2)])
    assert out.discounts() == {"a": {"p": "1.14"}, "b": {"p": "2.86"}}


@pytest.mark.parametrize("bundle_price", ['"13.00"', '"15.00"'])
def test_bundle_no_saving_is_nothing_to_discount(one: Price, bundle_price: str) -> None:
    # the 3 cheapest units cost 13.00: a bundle at 13.00 or more saves nothing
    out = one(f"{{ bundle: {{ units: 3, price: {bundle_price} }} }}",
              [("a", "4.00", 2), ("b", "5.00", 2)])
    assert out.applied() == {}
    assert out.rejected() == {"p": "nothing_to_discount"}
    assert out.reason("p") == "the bundle price is not below the units' price"


def test_bundle_too_few_units(one: Price) -> None:
    out = one('{ bundle: { units: 3, price: "10.00" } }', [("a", "4.00", 2)])
    assert out.rejected() == {"p": "nothing_to_discount"}
    assert out.reason("p") == "fewer than 3 units"


def test_bundle_jpy_and_bhd(one: Price) -> None:
    # 2 for ¥1000: 600 + 700 − 1000 = 300 over 6 : 7 → 138.46, 161.54 → b gets the yen
    out = one("{ bundle: { units: 2, price: 1000 } }", [("a", "600"), ("b", "700")],
              currency="JPY")
    assert out.discounts() == {"a": {"p": "138"}, "b": {"p": "162"}}
    # the same in fils
    out = one('{ bundle: { units: 2, price: "1.000" } }', [("a", "0.600"), ("b", "0.700")],
              currency="BHD")
    assert out.discounts() == {"a": {"p": "0.138"}, "b": {"p": "0.162"}}


# ------------------------------------------------------------------- tiers

SUBTOTAL_TIERS = """{ tiers: { by: subtotal, steps: [
      { at: 200, percent_off: 15 }, { at: 50, percent_off: 5 }, { at: 100, percent_off: 10 }
    ] } }"""


def test_tiers_by_subtotal_highest_step_reached(one: Price) -> None:
    # subtotal 150.00 reaches 50 and 100 (steps in any order): 10% → 10.00 and 5.00
    out = one(SUBTOTAL_TIERS, [("a", "100.00"), ("b", "50.00")])
    assert out.discounts() == {"a": {"p": "10.00"}, "b": {"p": "5.00"}}
    assert out["applied"][0]["note"] == "tier at 100 reached (target subtotal is 150.00)"
    # a threshold is reached when met exactly: 100.00 → 10%
    out = one(SUBTOTAL_TIERS, [("a", "60.00"), ("b", "40.00")])
    assert out.discounts() == {"a": {"p": "6.00"}, "b": {"p": "4.00"}}
    # 250.00 → 15%
    out = one(SUBTOTAL_TIERS, [("a", "250.00")])
    assert out.discounts() == {"a": {"p": "37.50"}}


def test_tiers_measure_target_lines_only(one: Price) -> None:
    # the shoes alone are 90.00: only the 5% step; 5% of 90.00 = 4.50
    out = one(SUBTOTAL_TIERS, [("a", "90.00", 1, SHOES), ("b", "30.00", 1, SOCKS)],
              target='item.category == "shoes"')
    assert out.discounts() == {"a": {"p": "4.50"}, "b": {}}


def test_tiers_by_quantity(one: Price) -> None:
    effect = """{ tiers: { by: quantity, steps: [
      { at: 2, amount_off_each: "1.00" }, { at: 5, amount_off_each: "2.00" } ] } }"""
    # 5 units → 2.00 each
    out = one(effect, [("a", "3.00", 3), ("b", "4.00", 2)])
    assert out.discounts() == {"a": {"p": "6.00"}, "b": {"p": "4.00"}}
    # 4 units → 1.00 each
    out = one(effect, [("a", "3.00", 2), ("b", "4.00", 2)])
    assert out.discounts() == {"a": {"p": "2.00"}, "b": {"p": "2.00"}}
    assert out["applied"][0]["note"] == "tier at 2 reached (target quantity is 4)"


def test_tiers_amount_off_and_fixed_price_steps(one: Price) -> None:
    effect = """{ tiers: { by: quantity, steps: [
      { at: 2, amount_off: "3.00" }, { at: 3, fixed_price: "2.00" } ] } }"""
    # 2 units: 3.00 spread over 4.00 : 2.00 → 2.00 and 1.00
    out = one(effect, [("a", "4.00"), ("b", "2.00")])
    assert out.discounts() == {"a": {"p": "2.00"}, "b": {"p": "1.00"}}
    # 3 units: each costs 2.00 → a 2.00 off, b untouched, c 1.50 off
    out = one(effect, [("a", "4.00"), ("b", "2.00"), ("c", "3.50")])
    assert out.discounts() == {"a": {"p": "2.00"}, "b": {}, "c": {"p": "1.50"}}


def test_tiers_none_reached_is_conditions_not_met(one: Price) -> None:
    out = one(SUBTOTAL_TIERS, [("a", "40.00")])
    assert out.applied() == {}
    assert out.rejected() == {"p": "conditions_not_met"}
    assert out.reason("p") == \
        "no tier reached: target subtotal is 40.00, the first tier is at 50"
    effect = "{ tiers: { by: quantity, steps: [ { at: 2, percent_off: 10 } ] } }"
    out = one(effect, [("a", "40.00")])
    assert out.rejected() == {"p": "conditions_not_met"}
    assert out.reason("p") == "no tier reached: target quantity is 1, the first tier is at 2"


def test_tiers_none_reached_on_a_coupon_is_coupon_ineligible(one: Price) -> None:
    out = one(SUBTOTAL_TIERS, [("a", "40.00")], coupon="TIERS")
    assert out.rejected() == {"p": "coupon_ineligible"}


def test_tiers_jpy(one: Price) -> None:
    # ¥10,000 reached by ¥12,980: 7% of 12980 = 908.6 → 909
    effect = "{ tiers: { by: subtotal, steps: [ { at: 5000, percent_off: 5 }, " \
             "{ at: 10000, percent_off: 7 } ] } }"
    out = one(effect, [("a", "12980")], currency="JPY")
    assert out.discounts() == {"a": {"p": "909"}}
    assert out["applied"][0]["note"] == "tier at 10000 reached (target subtotal is 12980)"


# ---------------------------------------------------------------- shipping


def test_shipping_free(one: Price) -> None:
    out = one("{ shipping: { free: true } }", [("a", "20.00")], shipping="4.90")
    assert out["shipping"]["discount"] == "4.90"
    assert out["shipping"]["final"] == "0.00"
    assert out["applied"][0]["items"] == "0.00"
    assert out["applied"][0]["shipping"] == "4.90"
    assert out["total_discount"] == "4.90"
    assert out["total"] == "20.00"


def test_shipping_amount_off_never_below_zero(one: Price) -> None:
    out = one('{ shipping: { amount_off: "10.00" } }', [("a", "20.00")], shipping="4.90")
    assert out.discounts()["shipping"] == {"p": "4.90"}
    assert out["shipping"]["final"] == "0.00"
    out = one('{ shipping: { amount_off: "2.00" } }', [("a", "20.00")], shipping="4.90")
    assert out["shipping"]["final"] == "2.90"
    assert out["total"] == "22.90"


def test_shipping_amount_written_as_an_integer_has_the_minor_units(one: Price) -> None:
    out = one("{ shipping: { amount_off: 2 } }", [("a", "20.00")], shipping="4.90")
    assert out.discounts()["shipping"] == {"p": "2.00"}
    assert out.applied() == {"p": "2.00"}
    assert out["applied"][0]["shipping"] == "2.00"


@pytest.mark.parametrize("rounding, expected", [("half_even", "0.82"), ("half_up", "0.83"),
                                                ("down", "0.82")])
def test_shipping_percent_off_rounds(one: Price, rounding: str, expected: str) -> None:
    # 15% of 5.50 = 0.825
    out = one("{ shipping: { percent_off: 15 } }", [("a", "20.00")], shipping="5.50",
              rounding=rounding)
    assert out.discounts()["shipping"] == {"p": expected}


def test_shipping_fixed_price(one: Price) -> None:
    # 4.90 → 2.99
    out = one('{ shipping: { fixed_price: "2.99" } }', [("a", "20.00")], shipping="4.90")
    assert out.discounts()["shipping"] == {"p": "1.91"}
    assert out["shipping"]["final"] == "2.99"
    # shipping already cheaper than the fixed price: nothing moves
    out = one('{ shipping: { fixed_price: "5.00" } }', [("a", "20.00")], shipping="4.90")
    assert out.applied() == {}
    assert out.rejected() == {"p": "nothing_to_discount"}
    assert out.reason("p") == "shipping (4.90) already costs at most 5.00"
    assert out["shipping"]["final"] == "4.90"


@pytest.mark.parametrize("effect", ["{ free: true }", '{ amount_off: "1.00" }',
                                    "{ percent_off: 10 }", '{ fixed_price: "1.00" }'])
def test_shipping_without_shipping_is_nothing_to_discount(one: Price, effect: str) -> None:
    out = one(f"{{ shipping: {effect} }}", [("a", "20.00")])
    assert out["shipping"] is None
    assert out.rejected() == {"p": "nothing_to_discount"}
    assert out.reason("p") == "no shipping to discount"
    # free shipping on a free shipping method: nothing to discount either
    out = one(f"{{ shipping: {effect} }}", [("a", "20.00")], shipping="0.00")
    assert out.rejected() == {"p": "nothing_to_discount"}


def test_shipping_jpy_and_bhd(one: Price) -> None:
    out = one("{ shipping: { free: true } }", [("a", "2000")], currency="JPY", shipping="500")
    assert out["shipping"] == {"method": "standard", "price": "500", "discount": "500",
                               "final": "0", "discounts": [{"promotion": "p",
                                                            "amount": "500"}]}
    assert out["total"] == "2000"
    # 15% of 2.350 = 0.3525: a tie at the fils
    out = one("{ shipping: { percent_off: 15 } }", [("a", "2.000")], currency="BHD",
              shipping="2.350", rounding="half_up")
    assert out.discounts()["shipping"] == {"p": "0.353"}
    out = one("{ shipping: { percent_off: 15 } }", [("a", "2.000")], currency="BHD",
              shipping="2.350")
    assert out.discounts()["shipping"] == {"p": "0.352"}
    assert out["total"] == "3.998"   # 2.000 + 2.350 − 0.352


# -------------------------------------------------------------- max_amount


def test_max_amount_caps_in_proportion(one: Price) -> None:
    # 20% of 100 / 60 / 40 = 20 + 12 + 8 = 40.00 → capped to 30.00 in proportion
    out = one('{ percent_off: 20, max_amount: "30.00" }',
              [("a", "100.00"), ("b", "60.00"), ("c", "40.00")])
    assert out.discounts() == {"a": {"p": "15.00"}, "b": {"p": "9.00"}, "c": {"p": "6.00"}}
    assert out.applied() == {"p": "30.00"}
    assert out.capped() == [("p", "max_amount", "40.00", "30.00")]


def test_max_amount_cut_by_largest_remainder(one: Price) -> None:
    # 10% of 33.33 / 33.33 / 33.34 → 3.33 each (9.99); capped to 5.00 over equal
    # parts: 166.67 cents each → the two leftover cents to a and b
    out = one('{ percent_off: 10, max_amount: "5.00" }',
              [("c", "33.34"), ("b", "33.33"), ("a", "33.33")])
    assert out.discounts() == {"a": {"p": "1.67"}, "b": {"p": "1.67"}, "c": {"p": "1.66"}}
    assert out.capped() == [("p", "max_amount", "9.99", "5.00")]


def test_max_amount_not_reached_reports_nothing(one: Price) -> None:
    out = one('{ percent_off: 20, max_amount: "30.00" }', [("a", "100.00")])
    assert out.applied() == {"p": "20.00"}
    assert out["capped"] == []


def test_max_amount_on_shipping_and_jpy(one: Price) -> None:
    out = one('{ shipping: { free: true }, max_amount: "3.00" }', [("a", "20.00")],
              shipping="4.90")
    assert out["shipping"]["final"] == "1.90"
    assert out.capped() == [("p", "max_amount", "4.90", "3.00")]
    # 50% of ¥3000 + ¥1000 = 2000 → capped to ¥1000: 750 and 250
    out = one("{ percent_off: 50, max_amount: 1000 }", [("a", "3000"), ("b", "1000")],
              currency="JPY")
    assert out.discounts() == {"a": {"p": "750"}, "b": {"p": "250"}}
    assert out.capped() == [("p", "max_amount", "2000", "1000")]


def test_max_amount_written_as_an_integer_is_reported_with_minor_units(one: Price) -> None:
    out = one("{ percent_off: 20, max_amount: 30 }",
              [("a", "100.00"), ("b", "60.00"), ("c", "40.00")])
    assert out.applied() == {"p": "30.00"}
    assert out.capped() == [("p", "max_amount", "40.00", "30.00")]


def test_max_amount_of_zero_is_cap_reached(one: Price) -> None:
    out = one('{ percent_off: 10, max_amount: "0.00" }', [("a", "10.00")])
    assert out.applied() == {}
    assert out.rejected() == {"p": "cap_reached"}
