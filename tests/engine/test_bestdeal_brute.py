"""Best deal equals a brute force over every allowed set, on random rulesets of up to
eight promotions and carts with shipping, shipments or neither (docs/semantics.md#best-deal).

The brute force prices each subset of the promotions in priority mode, on its own: a
subset is allowed when no member is refused by a stacking rule; its value is the
result's total discount; ties go to the set the priority order prefers."""

from __future__ import annotations

import itertools
import sys
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import Ruleset
from engine import evaluate
from engine.cart import Cart
from engine.program import Program

from .conftest import check_invariants, make_cart, make_ruleset

STACKING_CODES = {"blocked_by_exclusive", "not_combinable", "group_taken", "coupon_limit",
                  "not_combinable_with_coupon"}
EFFECTS = [
    '{ percent_off: 10 }', '{ percent_off: 50 }', '{ amount_off: 7 }',
    '{ amount_off: 25, max_amount: 12 }', '{ amount_off_each: 3 }',
    '{ fixed_price: 9, max_units: 1 }', '{ fixed_price: 15 }',
    '{ percent_off: 30, max_units: 2, choose: most_expensive }',
    '{ buy: 1, get: 1, percent_off: 50 }', '{ bundle: { units: 2, price: 20 } }',
    '{ shipping: { free: true } }', '{ shipping: { amount_off: 3 } }',
    '{ gift: { sku: TOTE, unit_price: 8 } }',
    '{ gift: { sku: L0, unit_price: 4, when_in_cart: discount } }',
    '{ gift: { sku: MUG, unit_price: 10, percent_off: 50 } }',
    '{ percent_off: 20, max_units_per_line: 1 }', '{ fixed_price: 5, max_units_per_line: 2 }',
    '{ amount_off_each: 4, max_units: 3, max_units_per_line: 1, choose: most_expensive }',
    '{ tiers: { by: quantity, steps: [{ at: 2, percent_off: 10 }, { at: 4, amount_off: 9 }] } }',
]
SEVERAL = [  # effects lists: the search prices a promotion as the sum of its effects
    '[{ percent_off: 10 }, { shipping: { free: true } }]',
    '[{ amount_off: 5 }, { percent_off: 50, max_units_per_line: 1 }]',
    '[{ percent_off: 20, max_amount: 6 }, { gift: { sku: MUG, unit_price: 8 } }]',
    '[{ buy: 1, get: 1, max_units_per_line: 1 }, '
    '{ amount_off_each: 2, target: item.category == "b" }]',
    '[{ shipping: { percent_off: 50 } }, '
    '{ gift: { sku: L1, unit_price: 6, quantity: 2, when_in_cart: discount } }]',
    '[{ fixed_price: 12, max_units: 2 }, { amount_off: 10, max_amount: 4 }]',
]
SHIPMENT_TARGETS = ['shipment.method == "express"', "shipment.price >= 4"]


@st.composite
def scenarios(draw: Any) -> tuple[Ruleset, Cart]:
    currency = draw(st.sampled_from(["USD", "JPY"]))
    count = draw(st.integers(1, 8))
    written, entered = [], []
    for i in range(count):
        effect = f"  effects: {draw(st.sampled_from(SEVERAL))}" if draw(st.integers(0, 3)) == 0 \
            else f"  effect: {draw(st.sampled_from(EFFECTS))}"
        lines = [f"- id: p{i}", f"  priority: {draw(st.integers(0, 2))}", effect]
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append("  exclusive: true")
        group = draw(st.sampled_from([None, None, "g1", "g2"]))
        if group:
            lines.append(f"  group: {group}")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"  coupon: CODE{i}")
            if draw(st.integers(0, 3)) > 0:
                entered.append(f"CODE{i}")
        if draw(st.integers(0, 3)) == 0 and "effect: { gift" not in effect:  # (a gift: none)
            lines.append('  target: item.category == "a"')
        if "shipping" in lines[2] and draw(st.booleans()):  # (a cart with shipments)
            lines.append(f"  shipment_target: {draw(st.sampled_from(SHIPMENT_TARGETS))}")
        written.append("\n".join(lines))
    cap = draw(st.sampled_from([None, None, "{ amount: 30 }", "{ percent_of_subtotal: 40 }"]))
    ruleset = make_ruleset("\n".join(written), currency=currency, mode="best_deal",
                           coupons_per_order=draw(st.integers(0, 2)),
                           coupon_with_automatic=draw(st.booleans()),
                           base=draw(st.sampled_from(["original", "discounted"])),
                           max_discount=cap)
    lines = [(f"l{j}", str(draw(st.integers(1, 60))), draw(st.integers(1, 3)),
              {"category": draw(st.sampled_from(["a", "b"]))})
             for j in range(draw(st.integers(1, 3)))]
    shipping = draw(st.sampled_from([None, "5", "shipments"]))
    if shipping == "shipments":  # a shipping promotion's value is its total over them
        shipments = [{"id": f"s{k}", "method": draw(st.sampled_from(["standard", "express"])),
                      "price": str(draw(st.integers(0, 9)))}
                     for k in range(draw(st.integers(1, 3)))]
        return ruleset, make_cart(lines, currency=currency, coupons=entered,
                                  shipments=shipments)
    return ruleset, make_cart(lines, currency=currency, coupons=entered, shipping=shipping)


def brute_force(ruleset: Ruleset, cart: Cart) -> tuple[Decimal, tuple[int, ...]]:
    """The best allowed set's total and the promotions its pass applies (positions)."""
    order = Program(ruleset).order
    priority = ruleset.model_copy(update={"stacking": ruleset.stacking.model_copy(
        update={"mode": "priority"})})
    best: tuple[Decimal, tuple[int, ...]] | None = None
    for size in range(len(ruleset.promotions) + 1):
        for subset in itertools.combinations(ruleset.promotions, size):
            result = evaluate(priority.model_copy(update={"promotions": subset}), cart)
            if any(r.code in STACKING_CODES for r in result.rejected):
                continue
            cut = {c.promotion for c in result.capped if c.source == "max_discount"
                   and c.after == 0}
            applied = tuple(sorted(order[p] for p in [*result.applied_ids(), *cut]))
            value = result.total_discount
            if best is None or value > best[0] or value == best[0] and \
                    (*applied, sys.maxsize) < (*best[1], sys.maxsize):
                best = value, applied
    assert best is not None  # the empty set is always allowed
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_best_deal_is_the_best_allowed_set(scenario: tuple[Ruleset, Cart]) -> None:
    ruleset, cart = scenario
    result = evaluate(ruleset, cart)
    check_invariants(result)
    assert result.best_deal is not None and result.best_deal.method == "exact"
    value, applied = brute_force(ruleset, cart)
    order = Program(ruleset).order
    assert result.total_discount == result.best_deal.amount == value
    # the priority pass applies one of the allowed sets: never more than the best
    priority = ruleset.model_copy(update={"stacking": ruleset.stacking.model_copy(
        update={"mode": "priority"})})
    assert evaluate(priority, cart).total_discount <= value
    assert tuple(order[p] for p in result.best_deal.chosen) == applied
    # every eligible promotion left out says why, with the amounts compared
    for rejected in result.rejected:
        if rejected.code == "not_best_deal":
            assert format(value, "f") in rejected.reason
