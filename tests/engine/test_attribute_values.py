"""The language's own rules for ``attributes.*`` values (docs/semantics.md#missing-attributes):
a boolean is not a number, ``contains`` looks into lists only, and a value of the
wrong kind makes a comparison false — as a missing one does — and arithmetic missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl import load_ruleset_text
from dsl.expr.parser import parse_expression
from engine import evaluate, parse_cart
from engine.compile import compile_condition, kind_of
from engine.facts import Facts

ZONE = ZoneInfo("Europe/Berlin")


def holds(text: str, value: Any) -> bool:
    facts = Facts(cart={}, customer={}, cart_attributes={"x": value}, customer_attributes={},
                  lines=[])
    return bool(compile_condition(parse_expression(text), ZONE)(facts, None))


@pytest.mark.parametrize(("text", "value", "expected"), [
    ("attributes.x == 1", True, False),           # a boolean is not a number
    ("attributes.x >= 1", True, False),
    ("attributes.x != 1", True, False),           # nor unequal to one: it is no number
    ("attributes.x == true", True, True),
    ("attributes.x * 2 + 1 == 3", True, False),   # arithmetic on a boolean is missing
    ("attributes.x * 2 + 1 == 3", 1, True),
    ("-attributes.x == -1", True, False),
    ('attributes.x contains "ab"', "abc", False),  # no substring test
    ('attributes.x contains "a"', {"a": 1}, False),  # no key test
    ('attributes.x contains "a"', ["a", "b"], True),
    ("attributes.x contains 2", [1, 2], True),
    ("attributes.x contains 1", [True], False),
    ('"a" in attributes.x', "abc", False),
    ('"a" not in attributes.x', "abc", False),   # not a list: neither in nor not in
    ('"c" not in attributes.x', ["a"], True),
    ("attributes.x in [1, 2]", True, False),
    ('attributes.x == "1"', 1, False),
    ("attributes.x < 5", "3", False),
    ("attributes.x > 0", Decimal("NaN"), False),
    ("attributes.x > 2", 2.5, True),
])
def test_examples(text: str, value: Any, expected: bool) -> None:
    assert holds(text, value) is expected


LITERALS = {"1": Decimal(1), "true": True, '"a"': "a", "2026-01-01": dt.date(2026, 1, 1)}
VALUES = st.one_of(st.booleans(), st.integers(-3, 3), st.decimals(-3, 3, places=2),
                   st.text("ab1", max_size=2), st.dates(dt.date(2025, 12, 30),
                                                        dt.date(2026, 1, 2)),
                   st.lists(st.sampled_from(["a", 1, True]), max_size=2),
                   st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=1))


@given(value=VALUES, literal=st.sampled_from(sorted(LITERALS)),
       op=st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
def test_values_of_another_kind_never_compare(value: Any, literal: str, op: str) -> None:
    if kind_of(value) != kind_of(LITERALS[literal]):
        assert not holds(f"attributes.x {op} {literal}", value)


@given(value=VALUES)
def test_contains_looks_into_lists_only(value: Any) -> None:
    found = holds('attributes.x contains "a"', value)
    assert found == (isinstance(value, list) and "a" in value)


@given(value=VALUES)
def test_arithmetic_needs_numbers(value: Any) -> None:
    number = kind_of(value) == "number"
    assert holds("attributes.x + 0 == attributes.x", value) == number


def test_through_evaluation() -> None:
    ruleset = load_ruleset_text("""\
ruleset: flags
dsl: 1
currency: EUR
timezone: Europe/Berlin
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }
promotions:
  - id: member-5
    when: customer.attributes.member == 1
    effect: { percent_off: 5 }
""")
    cart = parse_cart({"id": "c", "currency": "EUR", "at": "2026-06-01T12:00:00+02:00",
                       "customer": {"id": "u", "attributes": {"member": True}},
                       "lines": [{"id": "l1", "sku": "A", "unit_price": "10.00",
                                  "quantity": 1}]})
    result = evaluate(ruleset, cart)
    assert result.applied_ids() == []
    [rejected] = result.rejected
    assert rejected.code == "conditions_not_met"
