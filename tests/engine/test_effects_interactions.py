"""Several effects (``effects:``) and ``max_units_per_line`` together with gifts,
best deal and schedules, against hand-computed amounts (the arithmetic is in the
comments; docs/semantics.md#several-effects).

Every result also passes ``check_invariants`` (the ``price`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine import compile_ruleset
from engine.trace import explain_cart

from .conftest import make_cart

Factory = Callable[..., Any]
TSHIRT = {"category": "tshirts"}
SHOES = {"category": "shoes"}

TEES_AND_TOTE = """
- id: tees-tote
  target: item.category == "tshirts"
  effects:
    - { percent_off: 10 }
    - { gift: { sku: TOTE-01, unit_price: "12.00", name: Canvas tote } }
"""


def gift_lines(out: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for line in out["lines"] if line.get("gift")]


# ------------------------------------------------------------------ gifts in a list


def test_a_promotion_takes_ten_percent_and_adds_a_tote(ruleset: Factory, cart: Factory,
                                                       price: Factory) -> None:
    out = price(ruleset(TEES_AND_TOTE, currency="EUR"),
                cart([("a", "20.00", 3, TSHIRT), ("b", "100.00", 1, SHOES)], currency="EUR"))
    # the promotion's target is the percentage's: 10 % of the tees (60.00) = 6.00; the
    # tote (12.00) is added and given: one applied entry of 18.00
    assert out.applied() == {"tees-tote": "18.00"}
    assert out.discounts() == {"a": {"tees-tote": "6.00"}, "b": {},
                               "gift:tees-tote:TOTE-01": {"tees-tote": "12.00"}}
    assert (out["subtotal"], out["total_discount"], out["total"]) == \
        ("172.00", "18.00", "154.00")
    assert [(g["id"], g["total"], g["final_total"]) for g in gift_lines(out)] == [
        ("gift:tees-tote:TOTE-01", "12.00", "0.00")]


def test_jpy_a_half_price_gift_beside_a_percentage(ruleset: Factory, cart: Factory,
                                                   price: Factory) -> None:
    rs = ruleset("""
    - id: tea-mug
      effects:
        - { percent_off: 15 }
        - { gift: { sku: MUG, unit_price: "833", percent_off: 50 } }
    """, currency="JPY", rounding="half_even")
    out = price(rs, cart([("tea", "1250", 1)], currency="JPY"))
    # 15 % of 1250 = 187.5 → 188 (half even); 50 % of the 833 yen mug = 416.5 → 416
    assert out.applied() == {"tea-mug": "604"}
    assert out.discounts() == {"tea": {"tea-mug": "188"}, "gift:tea-mug:MUG": {"tea-mug": "416"}}
    assert (out["subtotal"], out["total"]) == ("2083", "1479")


def test_a_gift_the_max_discount_cuts_to_zero_is_neither_given_nor_sold(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
    - id: tees-pin
      target: item.category == "tshirts"
      effects:
        - { percent_off: 10 }
        - { gift: { sku: PIN, unit_price: "0.01" } }
    """, currency="EUR", max_discount='{ amount: "0.01" }')
    out = price(rs, cart([("a", "20.00", 3, TSHIRT), ("b", "100.00", 1, SHOES)],
                         currency="EUR"))
    # 10 % of the tees (6.00) and the pin (0.01) make 6.01, cut to 0.01 by max_discount;
    # the cut keeps the parts in proportion (6.00 : 0.01), so the 0.01 stays on the tees
    # and the pin's part is 0: no pin line, which the customer would otherwise pay for
    assert out.applied() == {"tees-pin": "0.01"}
    assert gift_lines(out) == []
    assert (out["subtotal"], out["total_discount"], out["total"]) == \
        ("160.00", "0.01", "159.99")


def test_a_gift_in_the_cart_is_discounted_on_what_the_earlier_effects_left(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
    - id: p
      effects:
        - { percent_off: 50, max_units_per_line: 1 }
        - { gift: { sku: TOTE-01, unit_price: "12.00", quantity: 2, when_in_cart: discount } }
    """, currency="EUR")
    lines = [{"id": "tote", "sku": "TOTE-01", "unit_price": "12.00", "quantity": 3},
             ("shirt", "20.00", 2)]
    out = price(rs, cart(lines, currency="EUR"))
    # 50 % of one unit per line: tote 6.00, shirt 10.00.  The tote line has 30.00 left
    # (10.00 a unit): the gift takes two units of it, 20.00, and adds no line
    assert out.discounts() == {"tote": {"p": "26.00"}, "shirt": {"p": "10.00"}}
    assert gift_lines(out) == []
    assert out.applied() == {"p": "36.00"}


def test_the_gift_is_left_out_when_the_promotion_does_not_apply(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
    - id: p
      when: cart.subtotal >= 50
      effects:
        - { percent_off: 10 }
        - { gift: { sku: TOTE-01, unit_price: "12.00" } }
    """)
    out = price(rs, cart([("a", "40.00")]))
    assert gift_lines(out) == [] and out["subtotal"] == "40.00"
    assert out.rejected() == {"p": "conditions_not_met"}


def test_explain_shows_the_gift_line_of_its_effect(ruleset: Factory) -> None:
    program = compile_ruleset(ruleset(TEES_AND_TOTE, currency="EUR"))
    trace, _ = explain_cart(program, make_cart([("a", "20.00", 3, TSHIRT)], currency="EUR"))
    entry = trace.promotion("tees-tote").to_dict()
    assert [(e["kind"], e["final"]) for e in entry["effects"]] == [
        ("percent_off", "6.00"), ("gift", "12.00")]
    gift = entry["effects"][1]
    assert [(line["line"], line["roles"], line["final"]) for line in gift["lines"]] == [
        ("a", [], None), ("gift:tees-tote:TOTE-01", ["gift"], "12.00")]
    assert gift["lines"][0]["why_not"] == "a gift adds its own line"


# ------------------------------------------------------------------ best deal


def test_best_deal_compares_a_promotion_by_the_sum_of_its_effects(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    promotions = """
    - id: combo
      effects:
        - { percent_off: 10 }
        - { shipping: { free: true } }
    - id: solo
      exclusive: true
      effect: { percent_off: %s }
    """
    basket = cart([("a", "100.00")], shipping="10.00")
    # combo: 10.00 + 10.00 shipping = 20.00 against solo's 15.00, then its 25.00
    out = price(ruleset(promotions % 15, mode="best_deal"), basket)
    assert out.applied() == {"combo": "20.00"}
    assert out.rejected() == {"solo": "not_best_deal"}
    out = price(ruleset(promotions % 25, mode="best_deal"), basket)
    assert out.applied() == {"solo": "25.00"}
    assert out.rejected() == {"combo": "not_best_deal"}
    assert "giving 20.00" in out.reason("combo")


def test_best_deal_counts_the_gift_line_an_effects_list_adds(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
    - id: tote-and-tenth
      group: autumn
      effects:
        - { percent_off: 10 }
        - { gift: { sku: TOTE-01, unit_price: "12.00" } }
    - id: fifth
      group: autumn
      effect: { percent_off: 20 }
    """, mode="best_deal", base="discounted")
    # 20.00 line: 2.00 + the 12.00 tote = 14.00 beats 4.00, though the cart holds 20.00
    out = price(rs, cart([("a", "20.00")]))
    assert out.applied() == {"tote-and-tenth": "14.00"}
    assert out["best_deal"]["amount"] == "14.00"
    # 100.00 line: 10.00 + 12.00 = 22.00 against 20.00
    out = price(rs, cart([("a", "100.00")]))
    assert out.applied() == {"tote-and-tenth": "22.00"}


def test_best_deal_searches_past_the_cart_value_for_a_gift(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
    - id: code-off
      coupon: ALL
      effect: { amount_off: "5.00" }
    - id: mug
      effect: { gift: { sku: MUG, unit_price: "8.00" } }
    """, mode="best_deal", coupon_with_automatic=False)
    # a 1.00 cart: the code takes all of it (1.00); the mug alone gives 8.00, more than
    # the whole cart is worth — the search may not cut that branch by the cart's value
    out = price(rs, cart([("a", "1.00")], coupons=["ALL"]))
    assert out.applied() == {"mug": "8.00"}
    assert out.rejected() == {"code-off": "not_best_deal"}


# ------------------------------------------------------------------ schedules


def test_a_schedule_opens_and_closes_every_effect_at_once(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
    - id: weekend
      active: { days: [sat, sun] }
      effects:
        - { percent_off: 10, max_units_per_line: 2 }
        - { gift: { sku: TOTE-01, unit_price: "12.00" } }
    """, currency="EUR")
    lines = [("a", "10.00", 5)]
    # Saturday 2026-06-13: 10 % of two units (20.00) = 2.00, and the tote
    out = price(rs, cart(lines, currency="EUR", at="2026-06-13T12:00:00+02:00"))
    assert out.applied() == {"weekend": "14.00"}
    # Monday: closed, neither the percentage nor the gift
    out = price(rs, cart(lines, currency="EUR", at="2026-06-15T12:00:00+02:00"))
    assert out.rejected() == {"weekend": "outside_schedule"}
    assert gift_lines(out) == []


# ------------------------------------------------------------------ per-line caps


def test_a_per_line_cap_never_counts_a_gift_line(ruleset: Factory, cart: Factory,
                                                 price: Factory) -> None:
    rs = ruleset("""
    - id: gift-first
      priority: 10
      effect: { gift: { sku: TOTE-01, unit_price: "12.00", quantity: 3 } }
      limits: { uses: 10 }
    - id: b1g1
      effect: { buy: 1, get: 1, max_units_per_line: 1 }
    """, currency="EUR")
    out = price(rs, cart([("a", "10.00", 4), ("b", "6.00", 2)], currency="EUR"))
    # the gift line is no cart line: buy/get sees 6 units, 3 applications, of which at
    # most one discounted unit per line: b (6.00) and a (10.00)
    assert out.discounts()["a"] == {"b1g1": "10.00"}
    assert out.discounts()["b"] == {"b1g1": "6.00"}
    assert out.applied() == {"gift-first": "36.00", "b1g1": "16.00"}
