"""The one rule for missing values (dsl.expr.logic), held against evaluation: when
it says ``not (a op b)`` is ``a op' b``, the compiled conditions agree on every cart
drawn; when it says they may differ, some cart has both false."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.expr import nodes as n
from dsl.expr.logic import NEGATION, against_number, may_be_missing, negation_is_flip
from dsl.expr.parser import parse_expression
from engine.compile import compile_condition
from engine.facts import Facts

ZONE = ZoneInfo("Europe/Berlin")

COMPARISONS = [
    "cart.subtotal > 100", "customer.orders == 0", 'cart.weekday != "sun"',
    "cart.quantity <= cart.lines * 2", '"vip" in customer.segments',
    'cart.shipping_method in ["express", "pickup"]',
    "attributes.weight > 10", 'customer.attributes.country == "FR"',
    "cart.subtotal / cart.quantity > 20", "sum(item.attributes.weight) >= 3",
    'customer.attributes.tier in ["gold"]',
]

VALUES = st.one_of(st.none(), st.integers(-5, 30).map(Decimal), st.sampled_from(
    ["FR", "gold", "x"]), st.booleans(), st.lists(st.sampled_from(["vip", "FR"]), max_size=2))


def facts(draw: Any) -> Facts:
    attributes = {k: v for k in ("weight", "country", "tier")
                  if (v := draw(VALUES)) is not None}
    return Facts(
        cart={"subtotal": Decimal(draw(st.integers(0, 300))),
              "quantity": Decimal(draw(st.integers(0, 9))),
              "lines": Decimal(draw(st.integers(0, 5))),
              "weekday": draw(st.sampled_from(["mon", "sun"])),
              "shipping_method": draw(st.sampled_from(["express", "standard"]))},
        customer={"orders": Decimal(draw(st.integers(0, 3))),
                  "segments": tuple(draw(st.lists(st.sampled_from(["vip", "new"]),
                                                  max_size=2)))},
        cart_attributes=attributes, customer_attributes=dict(attributes),
        lines=[{"attributes": {"weight": draw(VALUES)}} for _ in range(draw(st.integers(0, 2)))],
    )


def compare(text: str) -> n.Compare:
    node = parse_expression(text)
    assert isinstance(node, n.Compare)
    return node


@pytest.mark.parametrize("text", COMPARISONS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_negation_rule_agrees_with_evaluation(text: str, data: st.DataObject) -> None:
    node = compare(text)
    flipped = n.Compare(NEGATION[node.op], node.left, node.right)
    holds = compile_condition(node, ZONE)
    holds_flipped = compile_condition(flipped, ZONE)
    cart = facts(data.draw)
    if negation_is_flip(node):
        assert bool(holds(cart, None)) != bool(holds_flipped(cart, None))


@pytest.mark.parametrize("text", [t for t in COMPARISONS if not negation_is_flip(compare(t))])
def test_where_a_side_may_be_missing_both_can_be_false(text: str) -> None:
    """No attributes and an empty cart: the comparison and its flip are both false."""
    node = compare(text)
    flipped = n.Compare(NEGATION[node.op], node.left, node.right)
    empty = Facts(cart={"subtotal": Decimal(0), "quantity": Decimal(0)}, customer={},
                  cart_attributes={}, customer_attributes={},
                  lines=[{"attributes": {"weight": "heavy"}}])
    assert not compile_condition(node, ZONE)(empty, None)
    assert not compile_condition(flipped, ZONE)(empty, None)


def test_which_comparisons_may_be_missing() -> None:
    assert [t for t in COMPARISONS if not negation_is_flip(compare(t))] == [
        "attributes.weight > 10", 'customer.attributes.country == "FR"',
        "cart.subtotal / cart.quantity > 20", "sum(item.attributes.weight) >= 3",
        'customer.attributes.tier in ["gold"]']
    assert not may_be_missing(parse_expression("count(item.tags contains \"x\")"))


def test_against_number_puts_the_number_on_the_right() -> None:
    found = against_number(compare("2 <= cart.quantity"))
    assert found is not None and (found.op, found.bound) == (">=", Decimal(2))
    assert against_number(compare('cart.weekday == "sun"')) is None
