"""Every stacking switch: order, exclusive, group, coupons per order, coupons with
automatic promotions, the base, never below zero, and the order's max_discount."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

Factory = Callable[..., Any]


# ------------------------------------------------------------------- order


def test_priority_then_id(ruleset: Factory, cart: Factory, price: Factory) -> None:
    # Written in the "wrong" order on purpose: file order never matters.
    rs = ruleset("""
      - id: a-ten
        effect: { amount_off: "10.00" }
      - id: z-half
        priority: 10
        effect: { percent_off: 50 }
      - id: b-tenth
        effect: { percent_off: 10 }
    """)
    out = price(rs, cart([("x", "100.00")]))
    # z-half first (priority 10): 50.00 → 50.00 left; then a-ten before b-tenth (ids):
    # 10.00 → 40.00 left; b-tenth: 10% of 40.00 = 4.00 → 36.00
    assert list(out.applied()) == ["z-half", "a-ten", "b-tenth"]
    assert out.applied() == {"z-half": "50.00", "a-ten": "10.00", "b-tenth": "4.00"}
    assert out.finals() == {"x": "36.00"}
    # the line lists its discounts in the same order
    assert [d["promotion"] for d in out["lines"][0]["discounts"]] == \
        ["z-half", "a-ten", "b-tenth"]


def test_negative_priority_runs_last(ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
      - id: a-ten
        priority: -1
        effect: { amount_off: "10.00" }
      - id: b-half
        effect: { percent_off: 50 }
    """)
    # b-half (priority 0) first: 50.00, then 10.00 → 40.00
    out = price(rs, cart([("x", "100.00")]))
    assert out.applied() == {"b-half": "50.00", "a-ten": "10.00"}


def test_rejections_are_listed_in_evaluation_order(ruleset: Factory, cart: Factory,
                                                   price: Factory) -> None:
    rs = ruleset("""
      - id: a
        when: cart.subtotal > 1000
        effect: { percent_off: 10 }
      - id: c
        priority: 5
        when: cart.subtotal > 1000
        effect: { percent_off: 10 }
      - id: b
        when: cart.subtotal > 1000
        effect: { percent_off: 10 }
    """)
    out = price(rs, cart([("x", "100.00")]))
    assert [r["promotion"] for r in out["rejected"]] == ["c", "a", "b"]


# --------------------------------------------------------------- exclusive


def test_exclusive_first_blocks_every_later_promotion(ruleset: Factory, cart: Factory,
                                                      price: Factory) -> None:
    rs = ruleset("""
      - id: solo
        priority: 100
        exclusive: true
        effect: { percent_off: 30 }
      - id: later
        effect: { percent_off: 10 }
      - id: coupon
        coupon: EXTRA
        effect: { amount_off: "5.00" }
      - id: ship
        effect: { shipping: { free: true } }
    """)
    out = price(rs, cart([("x", "50.00")], coupons=["EXTRA"], shipping="4.90"))
    # 30% of 50.00
    assert out.applied() == {"solo": "15.00"}
    assert out.rejected() == {"coupon": "blocked_by_exclusive", "later": "blocked_by_exclusive",
                              "ship": "blocked_by_exclusive"}
    assert out.reason("later") == "exclusive promotion solo applied"
    assert out["total"] == "39.90"   # 35.00 + 4.90


def test_exclusive_after_another_applied_is_not_combinable(ruleset: Factory, cart: Factory,
                                                          price: Factory) -> None:
    rs = ruleset("""
      - id: first
        priority: 100
        effect: { percent_off: 10 }
      - id: solo
        priority: 50
        exclusive: true
        effect: { percent_off: 30 }
      - id: last
        effect: { amount_off: "1.00" }
    """)
    out = price(rs, cart([("x", "50.00")]))
    # first: 5.00 → 45.00; solo rejected; last: 1.00 → 44.00
    assert out.applied() == {"first": "5.00", "last": "1.00"}
    assert out.rejected() == {"solo": "not_combinable"}
    assert out.reason("solo") == "exclusive, but first already applied"
    assert out.finals() == {"x": "44.00"}


def test_exclusive_that_moves_no_money_blocks_nothing(ruleset: Factory, cart: Factory,
                                                      price: Factory) -> None:
    rs = ruleset("""
      - id: solo
        priority: 100
        exclusive: true
        target: item.category == "shoes"
        effect: { percent_off: 30 }
      - id: later
        effect: { percent_off: 10 }
    """)
    out = price(rs, cart([("x", "50.00", 1, {"category": "socks"})]))
    assert out.applied() == {"later": "5.00"}
    assert out.rejected() == {"solo": "nothing_to_discount"}


def test_ineligible_exclusive_blocks_nothing(ruleset: Factory, cart: Factory,
                                             price: Factory) -> None:
    rs = ruleset("""
      - id: solo
        priority: 100
        exclusive: true
        when: cart.subtotal >= 100
        effect: { percent_off: 30 }
      - id: later
        effect: { percent_off: 10 }
    """)
    out = price(rs, cart([("x", "50.00")]))
    assert out.applied() == {"later": "5.00"}
    assert out.rejected() == {"solo": "conditions_not_met"}


# ------------------------------------------------------------------- group


def test_group_first_reached_wins(ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
      - id: vip
        priority: 10
        group: member
        effect: { percent_off: 15 }
      - id: student
        group: member
        effect: { percent_off: 10 }
      - id: other
        group: seasonal
        effect: { amount_off: "1.00" }
    """)
    out = price(rs, cart([("x", "40.00")]))
    # vip: 6.00 → 34.00; other (a different group): 1.00 → 33.00
    assert out.applied() == {"vip": "6.00", "other": "1.00"}
    assert out.rejected() == {"student": "group_taken"}
    assert out.reason("student") == "group member already used by vip"


def test_group_member_that_does_not_apply_leaves_the_group_free(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
      - id: vip
        priority: 10
        group: member
        when: customer.segments contains "vip"
        effect: { percent_off: 15 }
      - id: shoes
        priority: 5
        group: member
        target: item.category == "shoes"
        effect: { percent_off: 20 }
      - id: student
        group: member
        effect: { percent_off: 10 }
    """)
    out = price(rs, cart([("x", "40.00")], customer={"segments": ["student"]}))
    assert out.applied() == {"student": "4.00"}
    assert out.rejected() == {"vip": "conditions_not_met", "shoes": "nothing_to_discount"}


# --------------------------------------------------------- coupons per order

COUPONS = """
  - id: c-first
    priority: 30
    coupon: FIRST
    effect: { amount_off: "3.00" }
  - id: c-second
    priority: 20
    coupon: SECOND
    effect: { amount_off: "2.00" }
  - id: c-third
    priority: 10
    coupon: THIRD
    effect: { amount_off: "1.00" }
  - id: auto
    effect: { percent_off: 10 }
"""


@pytest.mark.parametrize("per_order, applied, limited, sentence", [
    (0, {}, ["c-first", "c-second", "c-third"], "at most 0 coupons per order"),
    (1, {"c-first": "3.00"}, ["c-second", "c-third"],
     "at most 1 coupon per order; FIRST applied"),
    (2, {"c-first": "3.00", "c-second": "2.00"}, ["c-third"],
     "at most 2 coupons per order; FIRST, SECOND applied"),
])
def test_coupons_per_order(ruleset: Factory, cart: Factory, price: Factory, per_order: int,
                           applied: dict[str, str], limited: list[str], sentence: str) -> None:
    rs = ruleset(COUPONS, coupons_per_order=per_order)
    # entered in another order than their priorities: priority decides
    out = price(rs, cart([("x", "100.00")], coupons=["THIRD", "FIRST", "SECOND"]))
    coupons = {k: v for k, v in out.applied().items() if k != "auto"}
    assert coupons == applied
    assert [k for k, v in out.rejected().items() if v == "coupon_limit"] == limited
    assert out.reason(limited[-1]) == sentence
    # the automatic promotion is not a coupon: never limited
    assert "auto" in out.applied()


def test_coupon_that_does_not_apply_does_not_use_up_the_limit(ruleset: Factory, cart: Factory,
                                                              price: Factory) -> None:
    rs = ruleset("""
      - id: c-first
        priority: 30
        coupon: FIRST
        when: cart.subtotal >= 500
        effect: { amount_off: "3.00" }
      - id: c-second
        priority: 20
        coupon: SECOND
        effect: { amount_off: "2.00" }
    """, coupons_per_order=1)
    out = price(rs, cart([("x", "100.00")], coupons=["FIRST", "SECOND"]))
    assert out.applied() == {"c-second": "2.00"}
    assert out.rejected() == {"c-first": "coupon_ineligible"}


# ------------------------------------------------- coupon with automatic

WITH_AUTOMATIC = """
  - id: auto-10
    priority: 100
    effect: { percent_off: 10 }
  - id: auto-ship
    effect: { shipping: { free: true } }
  - id: welcome
    coupon: WELCOME
    when: customer.orders == 0
    effect: { amount_off: "5.00" }
"""


def test_coupon_with_automatic_false_the_coupon_wins(ruleset: Factory, cart: Factory,
                                                     price: Factory) -> None:
    rs = ruleset(WITH_AUTOMATIC, coupon_with_automatic=False)
    out = price(rs, cart([("x", "80.00")], coupons=["welcome"], shipping="4.90"))
    # the coupon alone, even though auto-10 has the higher priority
    assert out.applied() == {"welcome": "5.00"}
    assert out.rejected() == {"auto-10": "not_combinable_with_coupon",
                              "auto-ship": "not_combinable_with_coupon"}
    assert out["total"] == "79.90"   # 75.00 + 4.90


def test_coupon_with_automatic_false_ineligible_coupon(ruleset: Factory, cart: Factory,
                                                       price: Factory) -> None:
    rs = ruleset(WITH_AUTOMATIC, coupon_with_automatic=False)
    # a returning customer: the coupon does not apply, the automatics apply as usual
    out = price(rs, cart([("x", "80.00")], coupons=["WELCOME"], shipping="4.90",
                         customer={"orders": 3}))
    assert out.applied() == {"auto-10": "8.00", "auto-ship": "4.90"}
    assert out.rejected() == {"welcome": "coupon_ineligible"}
    assert out["total"] == "72.00"


@pytest.mark.parametrize("coupons", [[], ["NOSUCHCODE"]])
def test_coupon_with_automatic_false_no_valid_coupon(ruleset: Factory, cart: Factory,
                                                     price: Factory, coupons: list[str]) -> None:
    rs = ruleset(WITH_AUTOMATIC, coupon_with_automatic=False)
    out = price(rs, cart([("x", "80.00")], coupons=coupons, shipping="4.90"))
    assert out.applied() == {"auto-10": "8.00", "auto-ship": "4.90"}


def test_coupon_with_automatic_false_coupon_with_nothing_to_discount(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
      - id: auto-10
        effect: { percent_off: 10 }
      - id: shoes
        coupon: SHOES
        target: item.category == "shoes"
        effect: { percent_off: 20 }
    """, coupon_with_automatic=False)
    out = price(rs, cart([("x", "80.00")], coupons=["SHOES"]))
    assert out.applied() == {"auto-10": "8.00"}
    assert out.rejected() == {"shoes": "nothing_to_discount"}


def test_coupon_with_automatic_true_both_apply(ruleset: Factory, cart: Factory,
                                               price: Factory) -> None:
    rs = ruleset(WITH_AUTOMATIC, coupon_with_automatic=True)
    out = price(rs, cart([("x", "80.00")], coupons=["WELCOME"], shipping="4.90"))
    # auto-10: 8.00 → 72.00; auto-ship 4.90; welcome 5.00 → 67.00
    assert out.applied() == {"auto-10": "8.00", "auto-ship": "4.90", "welcome": "5.00"}
    assert out["total"] == "67.00"


# -------------------------------------------------------------------- base

BASE = """
  - id: quarter
    priority: 10
    target: item.id == "a"
    effect: { percent_off: 25 }
  - id: tenth
    priority: 5
    effect: { percent_off: 10 }
  - id: spread
    effect: { amount_off: "10.00" }
"""


def test_base_discounted(ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset(BASE, base="discounted")
    out = price(rs, cart([("a", "80.00"), ("b", "20.00")]))
    # quarter: a 20.00 → a 60.00 left
    # tenth:   a 6.00, b 2.00 → a 54.00, b 18.00 left
    # spread:  10.00 over 54 : 18 → 7.50, 2.50
    assert out.discounts() == {"a": {"quarter": "20.00", "tenth": "6.00", "spread": "7.50"},
                               "b": {"tenth": "2.00", "spread": "2.50"}}
    assert out.finals() == {"a": "46.50", "b": "15.50"}
    assert out["total"] == "62.00"


def test_base_original(ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset(BASE, base="original")
    out = price(rs, cart([("a", "80.00"), ("b", "20.00")]))
    # quarter: a 20.00
    # tenth:   10% of the original 80.00 and 20.00 → 8.00, 2.00
    # spread:  10.00 over the original 80 : 20 → 8.00, 2.00
    assert out.discounts() == {"a": {"quarter": "20.00", "tenth": "8.00", "spread": "8.00"},
                               "b": {"tenth": "2.00", "spread": "2.00"}}
    assert out.finals() == {"a": "44.00", "b": "16.00"}
    assert out["total"] == "60.00"


@pytest.mark.parametrize("base, final", [("discounted", "1.45"), ("original", "0.45")])
def test_base_on_shipping(ruleset: Factory, cart: Factory, price: Factory, base: str,
                          final: str) -> None:
    rs = ruleset("""
      - id: ship-2
        priority: 10
        effect: { shipping: { amount_off: "2.00" } }
      - id: ship-half
        effect: { shipping: { percent_off: 50 } }
    """, base=base)
    out = price(rs, cart([("x", "10.00")], shipping="4.90"))
    # discounted: 50% of 2.90 = 1.45 → 1.45 left; original: 50% of 4.90 = 2.45 → 0.45 left
    assert out["shipping"]["final"] == final


def test_base_discounted_rounds_on_what_is_left(ruleset: Factory, cart: Factory,
                                                price: Factory) -> None:
    rs = ruleset("""
      - id: cent
        priority: 10
        effect: { amount_off: "0.01" }
      - id: half
        effect: { percent_off: 50 }
    """, base="discounted", rounding="half_up")
    # 9.99 left; 50% = 4.995 → half_up 5.00 (half_even would give 5.00 too: 499.5 → 500)
    out = price(rs, cart([("x", "10.00")]))
    assert out.discounts() == {"x": {"cent": "0.01", "half": "5.00"}}
    rs = ruleset("""
      - id: cent
        priority: 10
        effect: { amount_off: "0.03" }
      - id: half
        effect: { percent_off: 50 }
    """, base="discounted")
    # 9.97 left; 50% = 4.985 → half_even 4.98
    out = price(rs, cart([("x", "10.00")]))
    assert out.discounts() == {"x": {"cent": "0.03", "half": "4.98"}}


# ------------------------------------------------------- never below zero


@pytest.mark.parametrize("base, why", [
    ("discounted", "the lines it targets are already discounted to zero"),
    ("original", "its effect takes nothing off the lines it targets"),
])
def test_stacked_full_discounts_never_go_below_zero(ruleset: Factory, cart: Factory,
                                                    price: Factory, base: str, why: str) -> None:
    rs = ruleset("""
      - id: all-free
        priority: 10
        effect: { percent_off: 100 }
      - id: again
        effect: { percent_off: 100 }
      - id: each
        effect: { amount_off_each: "1.00" }
    """, base=base)
    out = price(rs, cart([("x", "12.34", 2)]))
    assert out.applied() == {"all-free": "24.68"}
    assert out.finals() == {"x": "0.00"}
    assert out.rejected() == {"again": "nothing_to_discount", "each": "nothing_to_discount"}
    assert out.reason("again") == why
    assert out["total"] == "0.00"


def test_base_original_clamps_to_what_is_left(ruleset: Factory, cart: Factory,
                                              price: Factory) -> None:
    rs = ruleset("""
      - id: seventy
        priority: 10
        effect: { percent_off: 70 }
      - id: half
        effect: { percent_off: 50 }
      - id: ship
        effect: { shipping: { free: true } }
      - id: ship-again
        effect: { shipping: { amount_off: "3.00" } }
    """, base="original")
    out = price(rs, cart([("x", "10.00")], shipping="4.90"))
    # seventy: 7.00; half: 50% of the original 10.00 = 5.00, but only 3.00 is left
    assert out.applied() == {"seventy": "7.00", "half": "3.00", "ship": "4.90"}
    assert out.rejected() == {"ship-again": "nothing_to_discount"}
    assert out["total"] == "0.00"


# ------------------------------------------------------------ max_discount

TWO = """
  - id: p1
    priority: 10
    effect: { percent_off: 10 }
  - id: p2
    effect: { amount_off: "10.00" }
"""


@pytest.mark.parametrize("max_discount, p2, after", [
    # 10.00 + 10.00 = 20.00 applied; the excess comes back from p2 (applied last)
    ('{ amount: "15.00" }', "5.00", "5.00"),                       # 20 − 15
    ("{ percent_of_subtotal: 12 }", "2.00", "2.00"),               # 12% of 100 = 12
    ('{ amount: "15.00", percent_of_subtotal: 12 }', "2.00", "2.00"),   # the smaller: 12
    ('{ amount: "11.00", percent_of_subtotal: 12 }', "1.00", "1.00"),   # the smaller: 11
])
def test_max_discount_gives_back_from_the_last_applied(
        ruleset: Factory, cart: Factory, price: Factory, max_discount: str, p2: str,
        after: str) -> None:
    rs = ruleset(TWO, max_discount=max_discount)
    out = price(rs, cart([("x", "100.00")]))
    assert out.applied() == {"p1": "10.00", "p2": p2}
    assert out.capped() == [("p2", "max_discount", "10.00", after)]


def test_max_discount_not_reached(ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset(TWO, max_discount='{ amount: "20.00" }')
    out = price(rs, cart([("x", "100.00")]))
    assert out.applied() == {"p1": "10.00", "p2": "10.00"}
    assert out["capped"] == []


def test_max_discount_percent_rounds_down(ruleset: Factory, cart: Factory,
                                          price: Factory) -> None:
    rs = ruleset(TWO, max_discount="{ percent_of_subtotal: 10 }")
    # 10% of 99.99 = 9.999 → 9.99 (the cap holds); p1 alone is 10% of 99.99 = 9.999 → 10.00
    # (half_even), so p2 is cut to zero and p1 to 9.99
    out = price(rs, cart([("x", "99.99")]))
    assert out.applied() == {"p1": "9.99"}
    assert out.rejected() == {"p2": "cap_reached"}
    assert out.capped() == [("p2", "max_discount", "10.00", "0.00"),
                            ("p1", "max_discount", "10.00", "9.99")]


def test_max_discount_cut_to_zero_is_cap_reached(ruleset: Factory, cart: Factory,
                                                 price: Factory) -> None:
    rs = ruleset(TWO, max_discount='{ amount: "8.00" }')
    out = price(rs, cart([("x", "100.00")]))
    # 20.00 − 8.00 = 12.00 back: all of p2's 10.00, then 2.00 of p1's
    assert out.applied() == {"p1": "8.00"}
    assert out.rejected() == {"p2": "cap_reached"}
    assert out.reason("p2") == \
        "the order's max_discount (8.00) was used up by promotions applied before it"
    assert out.capped() == [("p2", "max_discount", "10.00", "0.00"),
                            ("p1", "max_discount", "10.00", "8.00")]
    assert out.discounts() == {"x": {"p1": "8.00"}}
    assert out["total"] == "92.00"


def test_max_discount_cuts_line_parts_by_largest_remainder(ruleset: Factory, cart: Factory,
                                                           price: Factory) -> None:
    rs = ruleset("""
      - id: p1
        priority: 10
        target: item.id == "a"
        effect: { percent_off: 10 }
      - id: p2
        effect: { amount_off: "3.00" }
    """, max_discount='{ amount: "2.00" }')
    out = price(rs, cart([("c", "10.00"), ("b", "10.00"), ("a", "10.00")]))
    # p1: a 1.00 → a 9.00 left
    # p2: 3.00 over 9 : 10 : 10 → 93.10, 103.45, 103.45 cents; floors 299, the leftover
    #     cent to b (b and c tie at .448, b sorts first) → a 0.93, b 1.04, c 1.03
    # cap 2.00: 4.00 − 2.00 = 2.00 back from p2 → p2 keeps 1.00, cut in proportion
    #     93 : 104 : 103 → 31.00, 34.67, 34.33 cents; the leftover cent to b (.67)
    assert out.discounts() == {"c": {"p2": "0.34"}, "b": {"p2": "0.35"},
                               "a": {"p1": "1.00", "p2": "0.31"}}
    assert out.capped() == [("p2", "max_discount", "3.00", "1.00")]
    assert out.finals() == {"c": "9.66", "b": "9.65", "a": "8.69"}


def test_max_discount_counts_shipping_but_measures_items(ruleset: Factory, cart: Factory,
                                                         price: Factory) -> None:
    rs = ruleset("""
      - id: items
        priority: 10
        effect: { percent_off: 10 }
      - id: ship
        effect: { shipping: { free: true } }
    """, max_discount="{ percent_of_subtotal: 12 }")
    out = price(rs, cart([("x", "50.00")], shipping="4.90"))
    # limit: 12% of the subtotal 50.00 (shipping excluded) = 6.00;
    # applied 5.00 + 4.90 = 9.90 → 3.90 back from ship (last): 1.00 left of it
    assert out.applied() == {"items": "5.00", "ship": "1.00"}
    assert out.capped() == [("ship", "max_discount", "4.90", "1.00")]
    assert out["shipping"]["final"] == "3.90"
    assert out["total_discount"] == "6.00"
    assert out["total"] == "48.90"


def test_max_discount_after_max_amount(ruleset: Factory, cart: Factory,
                                       price: Factory) -> None:
    rs = ruleset("""
      - id: p1
        effect: { percent_off: 50, max_amount: "20.00" }
    """, max_discount='{ amount: "15.00" }')
    out = price(rs, cart([("a", "60.00"), ("b", "20.00")]))
    # 50%: 30.00 + 10.00 = 40.00 → max_amount 20.00: 15.00 + 5.00 → max_discount 15.00:
    # 11.25 + 3.75
    assert out.discounts() == {"a": {"p1": "11.25"}, "b": {"p1": "3.75"}}
    assert out.capped() == [("p1", "max_amount", "40.00", "20.00"),
                            ("p1", "max_discount", "20.00", "15.00")]


def test_max_discount_jpy(ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
      - id: p1
        effect: { percent_off: 20 }
    """, currency="JPY", max_discount="{ percent_of_subtotal: 15 }")
    # 20% of ¥999 + ¥1000 = 199.8 → 200 and 200; limit 15% of 1999 = 299.85 → 299;
    # 400 → 299 over 200 : 200 → 149.5 each, the leftover yen to a
    out = price(rs, cart([("a", "999"), ("b", "1000")], currency="JPY"))
    assert out.discounts() == {"a": {"p1": "150"}, "b": {"p1": "149"}}
    assert out.capped() == [("p1", "max_discount", "400", "299")]


def test_a_pass_starts_from_the_state_the_constructor_makes() -> None:
    """``PassState.fresh`` and ``Remaining.of`` (made for every pass) are the plain
    constructors' objects: every field, and what is left in minor units."""
    from engine.stacking import PassState, Remaining

    remaining = Remaining.of({"a": Decimal("1.50"), "b": Decimal("2.00")}, 2)
    assert remaining == {"a": Decimal("1.50"), "b": Decimal("2.00")}
    assert remaining.minor == {} and remaining.minor_units == 2
    assert remaining.minor_of("a") == 150 and remaining.minor == {"a": 150}
    copied = remaining.copy()
    copied.take("a", Decimal("0.50"))
    assert (copied["a"], copied.minor, copied.minor_units) == (Decimal("1.00"), {"a": 100}, 2)
    assert remaining["a"] == Decimal("1.50") and remaining.minor == {"a": 150}
    for args in ((False, remaining, None, {}), (True, remaining, Decimal("4.95"), {"s": 1})):
        fresh, made = PassState.fresh(*args), PassState(*args)  # type: ignore[arg-type]
        assert fresh == made
        assert [getattr(fresh, f.name) for f in dataclasses.fields(PassState)] == \
            [getattr(made, f.name) for f in dataclasses.fields(PassState)]
