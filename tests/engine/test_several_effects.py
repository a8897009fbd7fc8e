"""Several effects per promotion (``effects:``) and per-line unit caps
(``max_units_per_line``), against hand-computed amounts (the arithmetic is in the
comments; docs/semantics.md#several-effects and #max-units-per-line).

Every result also passes ``check_invariants`` (the ``price`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine import compile_ruleset
from engine.trace import explain_cart

from .conftest import AT, make_cart

Price = Callable[..., Any]
TSHIRT = {"category": "tshirts"}
SHOES = {"category": "shoes"}
SOCKS = {"category": "socks"}

COMBO = """
- id: combo
  effects:
    - { percent_off: 10 }
    - { percent_off: 50, target: item.category == "tshirts", max_units_per_line: 1 }
    - { shipping: { free: true } }
"""


# ------------------------------------------------------------------ several effects


def test_effects_apply_in_order_on_what_the_earlier_ones_left(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    out = price(ruleset(COMBO, currency="EUR"),
                cart([("a", "20.00", 3, TSHIRT), ("b", "100.00", 1, SHOES)], currency="EUR",
                     shipping="4.95"))
    # base discounted: 10% of a (60.00) = 6.00, of b = 10.00; a has 54.00 left, a unit
    # 18.00; 50% of one unit = 9.00; free shipping 4.95.  One promotion, one entry.
    assert out.discounts() == {"a": {"combo": "15.00"}, "b": {"combo": "10.00"},
                               "shipping": {"combo": "4.95"}}
    assert out.applied() == {"combo": "29.95"}
    assert out["applied"][0]["items"] == "25.00" and out["applied"][0]["shipping"] == "4.95"
    assert out["total"] == "135.00"  # 160.00 + 4.95 - 29.95


def test_with_base_original_each_effect_sees_the_original_prices(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    out = price(ruleset(COMBO, currency="EUR", base="original"),
                cart([("a", "20.00", 3, TSHIRT), ("b", "100.00", 1, SHOES)], currency="EUR",
                     shipping="4.95"))
    # 10% of 60.00 = 6.00, then 50% of one original unit (20.00) = 10.00: 16.00 on a
    assert out.discounts() == {"a": {"combo": "16.00"}, "b": {"combo": "10.00"},
                               "shipping": {"combo": "4.95"}}
    assert out.applied() == {"combo": "30.95"}


def test_the_later_effects_are_clamped_to_what_the_earlier_ones_left(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    rs = ruleset("""
    - id: p
      effects:
        - { percent_off: 80 }
        - { amount_off: "30.00" }
    """, base="original")
    out = price(rs, cart([("a", "100.00")]))
    # 80.00, then 30.00 on the original base, clamped to the 20.00 left: never below zero
    assert out.applied() == {"p": "100.00"}
    assert out.finals() == {"a": "0.00"}


def test_max_amount_inside_an_effect_caps_that_effect(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    rs = ruleset("""
    - id: p
      effects:
        - { percent_off: 20, max_amount: "5.00" }
        - { amount_off: "3.00" }
    """)
    out = price(rs, cart([("a", "60.00"), ("b", "40.00")]))
    # 20% = 12.00 + 8.00 = 20.00, cut to 5.00: 3.00 / 2.00; then 3.00 off what is left
    # (57.00 and 38.00, 95.00): 1.80 / 1.20.  The promotion gives 8.00.
    assert out.capped() == [("p", "max_amount", "20.00", "5.00")]
    assert out.discounts() == {"a": {"p": "4.80"}, "b": {"p": "3.20"}}
    assert out.applied() == {"p": "8.00"}


def test_an_effects_own_target_overrides_the_promotions(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    rs = ruleset("""
    - id: p
      target: item.category == "shoes"
      effects:
        - { percent_off: 10 }
        - { amount_off_each: "1.00", target: item.category == "socks" }
    """)
    out = price(rs, cart([("shoe", "80.00", 1, SHOES), ("sock", "4.00", 3, SOCKS)]))
    # 10% of the shoes only (8.00); 1.00 off each of the 3 socks only (3.00)
    assert out.discounts() == {"shoe": {"p": "8.00"}, "sock": {"p": "3.00"}}


def test_buy_get_with_get_target_inside_a_list(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    rs = ruleset("""
    - id: p
      effects:
        - buy: 1
          get: 1
          target: item.category == "shoes"
          get_target: item.category == "socks"
        - { shipping: { amount_off: "2.00" } }
    """)
    out = price(rs, cart([("shoe", "80.00", 2, SHOES), ("sock", "5.00", 1, SOCKS)],
                         shipping="4.95"))
    # two shoes bought, one sock line of one unit to get: one application, the sock free
    assert out.discounts() == {"shoe": {}, "sock": {"p": "5.00"}, "shipping": {"p": "2.00"}}
    assert out.applied() == {"p": "7.00"}


def test_jpy_several_effects_and_a_per_line_cap(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    rs = ruleset("""
    - id: p
      effects:
        - { percent_off: 15 }
        - { amount_off_each: 100, max_units_per_line: 2 }
    """, currency="JPY")
    out = price(rs, cart([("a", "1000", 3), ("b", "333", 1)], currency="JPY"))
    # 15%: 450 on a, 49.95 → 50 on b (half_even); left 2550 and 283.
    # 100 off each of at most 2 units of a (200) and of b's one unit (100)
    assert out.discounts() == {"a": {"p": "650"}, "b": {"p": "150"}}
    assert out.applied() == {"p": "800"}
    assert out["total"] == "2533"  # 3333 - 800


def test_a_promotion_of_several_effects_with_nothing_to_take(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    rs = ruleset("""
    - id: p
      effects:
        - { percent_off: 10, target: item.category == "socks" }
        - { shipping: { free: true } }
    """)
    out = price(rs, cart([("shoe", "80.00", 1, SHOES)]))
    assert out.rejected() == {"p": "nothing_to_discount"}
    assert out.reason("p") == ('percent_off: no line matches target: item.category == '
                               '"socks"; shipping: no shipping to discount')


def test_every_effect_cut_to_zero_by_its_max_amount_is_cap_reached(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    rs = ruleset("""
    - id: p
      effects:
        - { percent_off: 10, max_amount: 0 }
        - { amount_off: "5.00", max_amount: 0 }
    """)
    out = price(rs, cart([("a", "80.00")]))
    assert out.rejected() == {"p": "cap_reached"}


def test_several_effects_count_as_one_use_in_the_stacking(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price) -> None:
    rs = ruleset("""
    - id: first
      group: g
      effects: [{ percent_off: 10 }, { amount_off: "1.00" }]
    - id: second
      group: g
      effect: { percent_off: 5 }
    """)
    out = price(rs, cart([("a", "50.00")]))
    # 5.00 then 1.00 off the 45.00 left: one applied entry; the group is taken
    assert out.applied() == {"first": "6.00"}
    assert out.rejected() == {"second": "group_taken"}


# ------------------------------------------------------------ max_units_per_line


@pytest.mark.parametrize(("effect", "expected"), [
    # the cheapest 3 units, at most 1 per line: c (2.00), b (5.00), a (10.00) at 50%
    ("{ percent_off: 50, max_units: 3, max_units_per_line: 1 }",
     {"a": {"p": "5.00"}, "b": {"p": "2.50"}, "c": {"p": "1.00"}}),
    # without the per-line cap the cheapest 3 units are all of c's: 3 × 1.00
    ("{ percent_off: 50, max_units: 3 }", {"a": {}, "b": {}, "c": {"p": "3.00"}}),
    # without max_units: 1 unit of each line
    ("{ percent_off: 50, max_units_per_line: 1 }",
     {"a": {"p": "5.00"}, "b": {"p": "2.50"}, "c": {"p": "1.00"}}),
    # 2 units of each line at most: 2 × 1.50 off c and b, a's single unit
    ('{ amount_off_each: "1.50", max_units_per_line: 2 }',
     {"a": {"p": "1.50"}, "b": {"p": "3.00"}, "c": {"p": "3.00"}}),
    # units above 4.00 cost 4.00, 1 per line: a (6.00 off), b (1.00 off); c is cheaper
    ('{ fixed_price: "4.00", max_units_per_line: 1 }',
     {"a": {"p": "6.00"}, "b": {"p": "1.00"}, "c": {}}),
])
def test_max_units_per_line(ruleset: Callable[..., Any], cart: Callable[..., Any],
                            price: Price, effect: str, expected: dict[str, Any]) -> None:
    out = price(ruleset(f"- id: p\n  effect: {effect}\n"),
                cart([("a", "10.00", 1), ("b", "5.00", 2), ("c", "2.00", 3)]))
    assert out.discounts() == expected


@pytest.mark.parametrize(("per_line", "free"), [(None, "30.00"), (1, "10.00"), (2, "20.00")])
def test_buy_get_discounts_at_most_n_units_of_a_line(
        ruleset: Callable[..., Any], cart: Callable[..., Any], price: Price,
        per_line: int | None, free: str) -> None:
    effect = "{ buy: 1, get: 1" + (f", max_units_per_line: {per_line}" if per_line else "") + " }"
    out = price(ruleset(f"- id: p\n  effect: {effect}\n"), cart([("a", "10.00", 6)]))
    # 6 units: 3 applications; at most N of the line's units are given
    assert out.applied() == {"p": free}


def test_max_units_per_line_in_jpy(ruleset: Callable[..., Any], cart: Callable[..., Any],
                                   price: Price) -> None:
    out = price(ruleset("- id: p\n  effect: { percent_off: 33, max_units_per_line: 1 }\n",
                        currency="JPY"),
                cart([("a", "999", 4), ("b", "105", 2)], currency="JPY"))
    # 33% of one unit: 329.67 → 330; 34.65 → 35
    assert out.discounts() == {"a": {"p": "330"}, "b": {"p": "35"}}


# ---------------------------------------------------------------------- explain


def test_explain_shows_each_effect(ruleset: Callable[..., Any]) -> None:
    program = compile_ruleset(ruleset(COMBO, currency="EUR"))
    trace, _ = explain_cart(program, make_cart([("a", "20.00", 3, TSHIRT),
                                                ("b", "100.00", 1, SHOES)],
                                               currency="EUR", shipping="4.95", at=AT))
    combo = trace.promotion("combo").to_dict()
    assert combo["effect"] is None
    assert [(e["kind"], e["computed"], e["final"]) for e in combo["effects"]] == [
        ("percent_off", "16.00", "16.00"), ("percent_off", "9.00", "9.00"),
        ("shipping", "4.95", "4.95")]
    assert combo["effects"][1]["spec"]["target"] == 'item.category == "tshirts"'
    assert [c["field"] for c in combo["conditions"]] == ["effects.1.target"]
