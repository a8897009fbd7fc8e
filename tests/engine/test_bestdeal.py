"""stacking.mode: best_deal against hand-computed numbers (docs/semantics.md#best-deal)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from engine import evaluate
from engine.bestdeal import EXACT_UP_TO

Factory = Callable[..., Any]

EXCLUSIVE_OR_TWO = """
  - id: a-solo
    priority: 10
    exclusive: true
    effect: { percent_off: 20 }
  - id: b-pct
    effect: { percent_off: 15 }
  - id: c-ten
    effect: { amount_off: "10.00" }
"""


def test_two_that_combine_beat_an_exclusive_one(ruleset: Factory, cart: Factory,
                                                price: Factory) -> None:
    basket = cart([("x", "100.00")])
    # priority: a-solo first (priority 10) takes 20.00 and blocks the rest
    first = price(ruleset(EXCLUSIVE_OR_TWO, base="original"), basket)
    assert first.applied() == {"a-solo": "20.00"}
    assert "best_deal" not in first
    # best deal: {b-pct, c-ten} = 15.00 + 10.00 = 25.00 > {a-solo} = 20.00
    out = price(ruleset(EXCLUSIVE_OR_TWO, base="original", mode="best_deal"), basket)
    assert out.applied() == {"b-pct": "15.00", "c-ten": "10.00"}
    assert out["total"] == "75.00"
    assert out.rejected() == {"a-solo": "not_best_deal"}
    assert out.reason("a-solo") == (
        "the best deal is {b-pct, c-ten}, giving 25.00; the best allowed set with this "
        "promotion is {a-solo}, giving 20.00")
    assert out["best_deal"] == {"method": "exact", "candidates": 3, "sets": 3,
                                "chosen": ["b-pct", "c-ten"], "amount": "25.00",
                                "fallback": None}


def test_the_json_is_written_as_the_dict(ruleset: Factory, cart: Factory) -> None:
    result = evaluate(ruleset(EXCLUSIVE_OR_TWO, mode="best_deal"), cart([("x", "100.00")]))
    assert result.to_json() == json.dumps(result.to_dict(), indent=2,
                                          ensure_ascii=False) + "\n"


def test_the_better_member_of_a_group(ruleset: Factory, cart: Factory,
                                      price: Factory) -> None:
    rs = ruleset("""
      - id: tenth
        priority: 5
        group: welcome
        effect: { percent_off: 10 }
      - id: fifteen
        group: welcome
        effect: { amount_off: "15.00" }
    """, mode="best_deal")
    out = price(rs, cart([("x", "100.00")]))
    # priority would take tenth (10.00) and refuse fifteen (group_taken)
    assert out.applied() == {"fifteen": "15.00"}
    assert out.reason("tenth") == (
        "the best deal is {fifteen}, giving 15.00; the best allowed set with this "
        "promotion is {tenth}, giving 10.00")


def test_the_better_coupon_within_coupons_per_order(ruleset: Factory, cart: Factory,
                                                    price: Factory) -> None:
    rs = ruleset("""
      - id: c1
        coupon: TENPCT
        effect: { percent_off: 10 }
      - id: c2
        coupon: MINUS25
        effect: { amount_off: "25.00" }
    """, mode="best_deal", coupons_per_order=1)
    out = price(rs, cart([("x", "120.00")], coupons=["TENPCT", "MINUS25"]))
    # c1: 12.00, c2: 25.00; one coupon per order
    assert out.applied() == {"c2": "25.00"}
    assert out.rejected() == {"c1": "not_best_deal"}
    assert out["applied"][0]["coupon"] == "MINUS25"


def test_coupons_and_automatic_apart_compare_both_kinds(ruleset: Factory, cart: Factory,
                                                        price: Factory) -> None:
    promotions = """
      - id: coupon10
        coupon: SAVE
        effect: { percent_off: 10 }
      - id: auto15
        effect: { amount_off: "15.00" }
      - id: auto5
        effect: { amount_off: "5.00" }
    """
    basket = cart([("x", "100.00")], coupons=["SAVE"])
    # priority: the entered coupon wins, the automatic ones are refused
    first = price(ruleset(promotions, coupon_with_automatic=False, base="original"), basket)
    assert first.applied() == {"coupon10": "10.00"}
    # best deal: {coupon10} = 10.00 against {auto15, auto5} = 20.00; never mixed
    out = price(ruleset(promotions, coupon_with_automatic=False, base="original",
                        mode="best_deal"), basket)
    assert out.applied() == {"auto15": "15.00", "auto5": "5.00"}
    assert out.reason("coupon10") == (
        "the best deal is {auto15, auto5}, giving 20.00; the best allowed set with this "
        "promotion is {coupon10}, giving 10.00")


def test_a_set_applies_in_priority_order_on_the_discounted_base(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
      - id: half
        priority: 5
        effect: { percent_off: 50 }
      - id: tenth
        effect: { percent_off: 10 }
      - id: solo
        priority: 10
        exclusive: true
        effect: { percent_off: 52 }
    """, base="discounted", mode="best_deal")
    out = price(rs, cart([("x", "100.00")]))
    # {half, tenth}: 50.00, then 10 % of the 50.00 left = 5.00 → 55.00 > {solo} 52.00
    assert out.applied() == {"half": "50.00", "tenth": "5.00"}
    assert out["best_deal"]["amount"] == "55.00"


def test_jpy_totals_are_compared_after_max_discount(ruleset: Factory, cart: Factory,
                                                    price: Factory) -> None:
    rs = ruleset("""
      - id: a-solo
        exclusive: true
        effect: { percent_off: 10 }
      - id: b-off
        effect: { amount_off: 200 }
      - id: c-pct
        effect: { percent_off: 5 }
    """, currency="JPY", rounding="down", base="original", mode="best_deal",
        max_discount="{ amount: 350 }")
    out = price(rs, cart([("x", "3333")], currency="JPY"))
    # {a-solo}: 333 (333.3 down); {b-off, c-pct}: 200 + 166 (166.65 down) = 366,
    # capped to 350: the 16 over is given back by c-pct, applied last
    assert out.applied() == {"b-off": "200", "c-pct": "150"}
    assert out.capped() == [("c-pct", "max_discount", "166", "150")]
    assert out["best_deal"]["amount"] == "350"
    assert out.reason("a-solo") == (
        "the best deal is {b-off, c-pct}, giving 350; the best allowed set with this "
        "promotion is {a-solo}, giving 333")


def test_a_tie_goes_to_the_set_the_priority_order_prefers(ruleset: Factory, cart: Factory,
                                                          price: Factory) -> None:
    rs = ruleset("""
      - id: a-solo
        priority: 10
        exclusive: true
        effect: { amount_off: "10.00" }
      - id: b-ten
        effect: { amount_off: "10.00" }
    """, mode="best_deal")
    out = price(rs, cart([("x", "100.00")]))
    assert out.applied() == {"a-solo": "10.00"}
    assert out.reason("b-ten") == (
        "the best deal is {a-solo}, giving 10.00; the best allowed set with this promotion "
        "is {b-ten}, giving 10.00: the same, and the priority order prefers the best "
        "deal's set")


def test_a_tie_under_max_discount_keeps_the_larger_set(ruleset: Factory, cart: Factory,
                                                       price: Factory) -> None:
    promotions = """
      - id: a-ten
        effect: { amount_off: "10.00" }
      - id: b-five
        effect: { amount_off: "5.00" }
    """
    basket = cart([("x", "100.00")])
    # {a-ten, b-five} and {a-ten} both give 10.00 under the cap: the set holding b-five
    # is preferred, as the priority order would apply it; the cap then cuts it to zero
    out = price(ruleset(promotions, max_discount="{ amount: \"10.00\" }", mode="best_deal"),
                basket)
    first = price(ruleset(promotions, max_discount="{ amount: \"10.00\" }"), basket)
    assert out.applied() == first.applied() == {"a-ten": "10.00"}
    assert out.rejected() == first.rejected() == {"b-five": "cap_reached"}
    assert out["best_deal"]["chosen"] == ["a-ten", "b-five"]


def test_what_moves_no_money_alone_keeps_its_own_reason(ruleset: Factory, cart: Factory,
                                                        price: Factory) -> None:
    rs = ruleset("""
      - id: solo
        priority: 10
        exclusive: true
        effect: { percent_off: 10 }
      - id: shoes
        target: item.category == "shoes"
        effect: { percent_off: 50 }
      - id: later
        when: cart.subtotal > 500
        effect: { percent_off: 50 }
      - id: code
        coupon: SECRET
        effect: { percent_off: 50 }
    """, mode="best_deal")
    out = price(rs, cart([("x", "100.00")]))
    assert out.applied() == {"solo": "10.00"}
    assert out.rejected() == {"code": "coupon_not_entered", "later": "conditions_not_met",
                              "shoes": "nothing_to_discount"}
    assert out["best_deal"]["candidates"] == 1
    assert "SECRET" not in json.dumps(out)


def test_a_coupon_no_allowed_set_holds_gets_coupon_limit(ruleset: Factory, cart: Factory,
                                                         price: Factory) -> None:
    rs = ruleset("""
      - id: code
        coupon: SAVE
        effect: { percent_off: 10 }
      - id: auto
        effect: { percent_off: 5 }
    """, mode="best_deal", coupons_per_order=0)
    out = price(rs, cart([("x", "10.00")], coupons=["SAVE"]))
    # with coupons_per_order: 0 no allowed set holds the coupon: not a candidate, and its
    # reason is the priority pass's (not "the best allowed set with it is {}, giving 0")
    assert out.applied() == {"auto": "0.50"}
    assert out.rejected() == {"code": "coupon_limit"}
    assert out.reason("code") == "at most 0 coupons per order"
    assert out["best_deal"]["candidates"] == 1


def test_above_the_exact_cap_the_fallback_is_reported(ruleset: Factory, cart: Factory,
                                                      price: Factory) -> None:
    def promotions(count: int) -> str:
        return "".join(f"- id: p{i:02}\n  effect: {{ amount_off: \"1.00\" }}\n"
                       for i in range(count))

    exact = price(ruleset(promotions(EXACT_UP_TO), mode="best_deal"), cart([("x", "100.00")]))
    assert exact["best_deal"]["method"] == "exact"
    assert exact["total_discount"] == f"{EXACT_UP_TO}.00"
    over = EXACT_UP_TO + 5
    out = price(ruleset(promotions(over) + "- id: solo\n  exclusive: true\n"
                        "  effect: { amount_off: \"24.00\" }\n", mode="best_deal"),
                cart([("x", "100.00")]))
    # the priority pass: solo (its id sorts last) is refused after p00; the fallback
    # keeps the 25 one-euro promotions, 25.00 > 24.00
    assert out["best_deal"]["method"] == "fallback"
    assert out["best_deal"]["fallback"] == f"{over + 1} candidates, more than the " \
                                           f"{EXACT_UP_TO} searched exactly"
    assert out["total_discount"] == "25.00"
    assert out.reason("solo").startswith("the best deal is {p00, ")
    assert "the best set found with this promotion is {solo}, giving 24.00" \
        in out.reason("solo")


def test_a_promotion_the_usage_store_refuses_is_not_a_candidate(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    from .test_reasons import FakeUsage

    rs = ruleset(EXCLUSIVE_OR_TWO, base="original", mode="best_deal")
    usage = FakeUsage(refusals={"b-pct": ("limit_reached", "uses limit of 10 reached")})
    out = price(rs, cart([("x", "100.00")], customer={"id": "c-1"}), usage=usage)
    # without b-pct: {a-solo} 20.00 > {c-ten} 10.00
    assert out.applied() == {"a-solo": "20.00"}
    assert out.rejected() == {"b-pct": "limit_reached", "c-ten": "not_best_deal"}
    assert out["best_deal"]["candidates"] == 2


def test_a_search_out_of_steps_falls_back_and_says_so(ruleset: Factory, cart: Factory,
                                                      price: Factory,
                                                      monkeypatch: Any) -> None:
    import engine.bestdeal

    monkeypatch.setattr(engine.bestdeal, "SEARCH_STEPS", 4)
    out = price(ruleset(EXCLUSIVE_OR_TWO, base="original", mode="best_deal"),
                cart([("x", "100.00")]))
    assert out["best_deal"]["method"] == "fallback"
    assert out["best_deal"]["fallback"] == "the exact search took its 4 steps"
    # the exact search had found {a-solo} (20.00); the fallback leaves out a-solo
    # alone and the priority pass over the others gives {b-pct, c-ten} (25.00)
    assert out.applied() == {"b-pct": "15.00", "c-ten": "10.00"}
    assert out.reason("a-solo") == (
        "the best deal is {b-pct, c-ten}, giving 25.00; the best set found with this "
        "promotion is {a-solo}, giving 20.00")
