"""Property tests for carts with shipments: the money rules of test_properties.py hold
when a shipping effect applies to each selected shipment on its own (sums exact, never
negative, caps hold, determinism, shuffled input), and one shipment is priced as the
plain shipping it stands for (docs/semantics.md#shipments)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl import load_ruleset_text
from engine import Result, compile_ruleset, evaluate
from engine.cart import parse_cart
from tests.engine.test_properties import (
    CURRENCIES,
    SETTINGS,
    Scenario,
    carts,
    check_caps,
    dump,
    minor_amounts,
    money_text,
    rulesets,
)

pytestmark = pytest.mark.slow

SHIPMENT_IDS = ["s1", "s2", "s-10", "s-2", "acme", "z"]
SELLERS = ["acme", "gadgethub", ""]
METHODS = ["standard", "express"]
SHIPMENT_TARGETS = ['shipment.seller == "acme"', 'shipment.method == "express"',
                    "shipment.price >= 5", 'shipment.id != "s1"',
                    'sum(item.total where item.category == "shoes") >= 30 and '
                    'shipment.seller != "gadgethub"']


@st.composite
def shipments(draw: st.DrawFn, units: int) -> list[dict[str, str]]:
    ids = draw(st.lists(st.sampled_from(SHIPMENT_IDS), min_size=1, max_size=5, unique=True))
    return [{"id": shipment_id, "method": draw(st.sampled_from(METHODS)),
             "seller": draw(st.sampled_from(SELLERS)),
             "price": money_text(draw(minor_amounts(units)), units, False)}
            for shipment_id in ids]


@st.composite
def shipment_scenarios(draw: st.DrawFn) -> Scenario:
    """A random ruleset whose shipping promotions may select shipments, and a cart with
    shipments instead of shipping."""
    data = draw(rulesets())
    for promo in data["promotions"]:
        listed = promo.get("effects") or [promo["effect"]]  # (an effects list too)
        if any("shipping" in effect for effect in listed) and draw(st.booleans()):
            promo["shipment_target"] = draw(st.sampled_from(SHIPMENT_TARGETS))
    cart_data = draw(carts(data))
    cart_data.pop("shipping", None)
    cart_data["shipments"] = draw(shipments(CURRENCIES[data["currency"]]))
    return Scenario(data, cart_data)


def parts_by_promotion(result: Result) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Each promotion's line parts and shipment parts, added up from the priced result."""
    items: dict[str, Decimal] = {}
    shipping: dict[str, Decimal] = {}
    for line in result.lines:
        for d in line.discounts:
            items[d.promotion] = items.get(d.promotion, Decimal(0)) + d.amount
    for shipment in result.shipments or ():
        for d in shipment.discounts:
            shipping[d.promotion] = shipping.get(d.promotion, Decimal(0)) + d.amount
    return items, shipping


@SETTINGS
@given(shipment_scenarios())
def test_no_shipment_goes_below_zero(s: Scenario) -> None:
    result = s.evaluate()
    assert result.shipping is None and result.shipments is not None
    for shipment in result.shipments:
        assert all(d.amount > 0 for d in shipment.discounts), shipment
        assert 0 <= shipment.discount <= shipment.price, shipment
        assert shipment.final == shipment.price - shipment.discount >= 0, shipment
    assert result.total >= 0 and result.total_discount >= 0


@SETTINGS
@given(shipment_scenarios())
def test_shipment_parts_add_up_exactly(s: Scenario) -> None:
    result = s.evaluate()
    items, shipping = parts_by_promotion(result)
    applied = {a.promotion: a for a in result.applied}
    assert set(items) | set(shipping) <= set(applied)
    for promotion, entry in applied.items():
        assert entry.items == items.get(promotion, 0), entry
        assert entry.shipping == shipping.get(promotion, 0), entry
        assert entry.amount == entry.items + entry.shipping > 0, entry
    assert result.total_discount == sum((a.amount for a in result.applied), Decimal(0))
    prices = sum((shipment.price for shipment in result.shipments or ()), Decimal(0))
    assert result.total == result.subtotal - result.total_discount + prices
    assert prices == s.cart.shipping_price


@SETTINGS
@given(shipment_scenarios())
def test_caps_hold_over_shipments(s: Scenario) -> None:
    check_caps(s, s.evaluate())


@SETTINGS
@given(shipment_scenarios())
def test_shipment_results_are_deterministic(s: Scenario) -> None:
    first = s.evaluate().to_json()
    program = compile_ruleset(s.ruleset)
    assert program.evaluate(s.cart).to_json() == first
    fresh = compile_ruleset(load_ruleset_text(dump(s.data)))
    assert fresh.evaluate(parse_cart(s.cart_data)).to_json() == first


@SETTINGS
@given(shipment_scenarios(), st.randoms(use_true_random=False))
def test_shuffled_shipments_lines_and_promotions_price_the_same(s: Scenario,
                                                                rnd: random.Random) -> None:
    result = s.evaluate()
    shuffled = dict(s.cart_data)
    for key in ("shipments", "lines"):
        shuffled[key] = list(s.cart_data[key])
        rnd.shuffle(shuffled[key])
    promos = list(s.data["promotions"])
    rnd.shuffle(promos)
    other = evaluate(load_ruleset_text(dump({**s.data, "promotions": promos})),
                     parse_cart(shuffled))

    def by_id(r: Result) -> dict[tuple[str, str], Any]:
        lines = {("line", x.id): (x.final_total, sorted((d.promotion, d.amount)
                                                         for d in x.discounts))
                 for x in r.lines}
        return lines | {("shipment", x.id): (x.final, sorted((d.promotion, d.amount)
                                                             for d in x.discounts))
                        for x in r.shipments or ()}

    assert by_id(other) == by_id(result)
    assert [(a.promotion, a.amount, a.shipping) for a in other.applied] == \
        [(a.promotion, a.amount, a.shipping) for a in result.applied]
    assert [(r.promotion, r.code) for r in other.rejected] == \
        [(r.promotion, r.code) for r in result.rejected]
    assert other.capped == result.capped


@SETTINGS
@given(st.data())
def test_one_shipment_is_priced_as_the_plain_shipping(data: st.DataObject) -> None:
    ruleset = data.draw(rulesets())
    cart_data = data.draw(carts(ruleset))
    units = CURRENCIES[ruleset["currency"]]
    price = money_text(data.draw(minor_amounts(units)), units, False)
    plain = parse_cart({**cart_data, "shipping": {"method": "standard", "price": price}})
    one = parse_cart({**{k: v for k, v in cart_data.items() if k != "shipping"},
                      "shipments": [{"id": "s1", "method": "standard", "price": price}]})
    rs = load_ruleset_text(dump(ruleset))
    a, b = evaluate(rs, plain), evaluate(rs, one)
    assert b.shipments is not None and a.shipping is not None
    assert (b.total, b.total_discount) == (a.total, a.total_discount)
    assert (b.shipments[0].final, b.shipments[0].discounts) == (a.shipping.final,
                                                                 a.shipping.discounts)
    assert [(x.promotion, x.amount, x.shipping) for x in b.applied] == \
        [(x.promotion, x.amount, x.shipping) for x in a.applied]
    assert [(x.promotion, x.code) for x in b.rejected] == [(x.promotion, x.code)
                                                          for x in a.rejected]
