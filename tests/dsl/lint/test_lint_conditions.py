"""Never true, always true, implies: examples, and soundness against the engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import load_ruleset_text, parse_expression
from dsl.expr.check import check_condition
from dsl.lint.conditions import always_true, branches, implies, never_true
from engine import compile_ruleset
from engine.cart import parse_cart
from engine.compile import compile_condition

NEVER = [
    'cart.subtotal > 100 and cart.subtotal < 50',
    'item.category == "a" and item.category == "b"',
    'cart.quantity > 2 and cart.quantity < 3',
    'cart.subtotal < 0',
    'cart.weekday == "monday"',
    'cart.hour >= 24',
    'cart.coupons contains "WELCOME10"',
    'item.tags contains "x" and not (item.tags contains "x")',
    'attributes.x == 1 and not (attributes.x == 1)',
    'attributes.x == "a" and attributes.x == "b"',
    'item.category in ["a", "b"] and item.category not in ["a", "b"]',
    '(cart.subtotal > 10 or cart.subtotal > 20) and cart.subtotal < 5',
    'count(item.category == "socks") < 0',
    'not any(item.tags contains "sale") and any(item.tags contains "sale")',
    'cart.date >= 2026-06-01 and cart.date < 2026-05-01',
    '100 < cart.subtotal and cart.subtotal <= 100',
    'customer.orders == 0 and customer.orders >= 1',
    'cart.quantity != 0 and cart.quantity < 1',
    'false',
]
POSSIBLE = [
    'cart.subtotal >= 100 and customer.segments contains "vip"',
    'cart.subtotal >= 50 and cart.subtotal < 100',
    'cart.coupons contains "welcome10"',
    'attributes.x != 1 and not (attributes.x == 2)',
    'cart.quantity > 2 and cart.quantity < 4',
    'cart.weekday in ["sat", "sun"]',
    'item.category in ["a", "b"] and item.category != "a"',
    'cart.subtotal / cart.quantity > 5 and cart.subtotal < 100',
]
ALWAYS = [
    'cart.subtotal >= 0',
    'cart.subtotal < 100 or cart.subtotal >= 100',
    'item.quantity >= 1',
    'any(item.tags contains "a") or not any(item.tags contains "a")',
    'cart.hour <= 23',
    'true',
]
NOT_ALWAYS = [
    'attributes.x == 1 or attributes.x != 1',
    'cart.subtotal >= 1',
    'cart.subtotal / cart.quantity > 1 or cart.subtotal / cart.quantity <= 1',
]


@pytest.mark.parametrize("text", NEVER)
def test_never_true(text: str) -> None:
    assert never_true(parse_expression(text)) is not None


@pytest.mark.parametrize("text", POSSIBLE + ALWAYS)
def test_can_be_true(text: str) -> None:
    assert never_true(parse_expression(text)) is None


@pytest.mark.parametrize("text", ALWAYS)
def test_always_true(text: str) -> None:
    assert always_true(parse_expression(text)) is not None


@pytest.mark.parametrize("text", POSSIBLE + NOT_ALWAYS)
def test_not_always_true(text: str) -> None:
    assert always_true(parse_expression(text)) is None


def test_the_conflict_names_the_two_comparisons() -> None:
    why = never_true(parse_expression("cart.subtotal > 100 and customer.orders == 0 "
                                      "and cart.subtotal < 50"))
    assert why is not None
    assert [lit.text() for lit in why.lits] == ["cart.subtotal > 100", "cart.subtotal < 50"]


def test_implies() -> None:
    p = parse_expression
    assert implies(p('cart.subtotal >= 100 and customer.orders == 0'), p('cart.subtotal >= 50'))
    assert implies(p('item.category == "shoes"'), p('item.category != "gift-cards"'))
    assert implies(p('item.category == "shoes"'), None)
    assert not implies(p('item.category == "shoes"'), p('item.category == "shirts"'))
    assert not implies(None, p('item.category != "gift-cards"'))
    assert implies(None, p('cart.subtotal >= 0'))


def test_too_many_alternatives_is_no_answer() -> None:
    wide = " and ".join(f'(item.category == "a{i}" or item.brand == "b{i}")' for i in range(8))
    assert branches(parse_expression(wide)) is None
    assert never_true(parse_expression(wide + ' and cart.subtotal < 0')) is None


# --------------------------------------------------------- soundness property

RULESET = load_ruleset_text("""\
ruleset: props
dsl: 1
currency: EUR
timezone: UTC
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }
promotions: []
""")
PROGRAM = compile_ruleset(RULESET)

NUMBERS = ["0", "0.5", "1", "1.5", "2", "3"]
ATOMS = st.one_of(
    st.builds(lambda op, n: f"cart.subtotal {op} {n}",
              st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.sampled_from(NUMBERS)),
    st.builds(lambda op, n: f"cart.quantity {op} {n}",
              st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.sampled_from(NUMBERS)),
    st.builds(lambda op, d: f'cart.weekday {op} "{d}"', st.sampled_from(["==", "!="]),
              st.sampled_from(["mon", "sat", "monday"])),
    st.builds(lambda op, ds: f"cart.weekday {op} [{', '.join(repr(d) for d in ds)}]"
              .replace("'", '"'), st.sampled_from(["in", "not in"]),
              st.lists(st.sampled_from(["mon", "tue", "sat"]), min_size=1, max_size=2)),
    st.builds(lambda s: f'customer.segments contains "{s}"', st.sampled_from(["a", "b"])),
    st.builds(lambda op, n: f"attributes.x {op} {n}",
              st.sampled_from(["==", "!=", "<", ">="]), st.sampled_from(["0", "1"])),
    st.builds(lambda t: f'any(item.tags contains "{t}")', st.sampled_from(["a", "b"])),
    st.builds(lambda op, n: f'count(item.tags contains "a") {op} {n}',
              st.sampled_from(["<", ">=", "=="]), st.sampled_from(["0", "1", "2"])),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda a, b: f"({a} and {b})", children, children),
        st.builds(lambda a, b: f"({a} or {b})", children, children),
        st.builds(lambda a: f"not ({a})", children),
    )


CONDITIONS = st.recursive(ATOMS, _combine, max_leaves=5)


@st.composite
def carts(draw: Any) -> Any:
    lines = []
    for index in range(draw(st.integers(0, 3))):
        lines.append({"id": f"l{index}", "sku": f"S{index}",
                      "unit_price": draw(st.sampled_from(["0.50", "1.00", "1.50"])),
                      "quantity": draw(st.integers(1, 2)),
                      "tags": draw(st.lists(st.sampled_from(["a", "b"]), max_size=2))})
    attributes = {} if draw(st.booleans()) else {"x": draw(st.integers(0, 2))}
    data = {"id": "c", "currency": "EUR", "lines": lines, "attributes": attributes,
            "customer": {"segments": draw(st.lists(st.sampled_from(["a", "b"]),
                                                   max_size=2))}}
    day = draw(st.integers(0, 6))
    at = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=day)
    return PROGRAM.facts(parse_cart(data), at)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(CONDITIONS, st.lists(carts(), min_size=1, max_size=6))
def test_never_and_always_are_sound(text: str, facts: list[Any]) -> None:
    node = parse_expression(text)
    assert not check_condition(node, False)
    run = compile_condition(node, RULESET.zone)
    values = [bool(run(f, None)) for f in facts]
    if never_true(node) is not None:
        assert not any(values), text
    if always_true(node) is not None:
        assert all(values), text


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(CONDITIONS, CONDITIONS, st.lists(carts(), min_size=1, max_size=6))
def test_implies_is_sound(a: str, b: str, facts: list[Any]) -> None:
    left, right = parse_expression(a), parse_expression(b)
    if not implies(left, right):
        return
    run_a, run_b = compile_condition(left, RULESET.zone), compile_condition(right,
                                                                             RULESET.zone)
    for f in facts:
        if run_a(f, None):
            assert run_b(f, None), (a, b)
