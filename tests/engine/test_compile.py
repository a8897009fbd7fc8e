"""The condition compiler against a tiny tree-walking interpreter (the oracle).

Random condition texts go through the DSL's own parser and checker, random
facts are built the way ``Program.facts`` builds them (plus attributes of every
JSON type, present or missing), and the compiled function must give what the
oracle gives: the same value of the same type, or the same exception type.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dsl.errors import ExpressionError
from dsl.expr import nodes as n
from dsl.expr.check import check_condition, infer_type
from dsl.expr.parser import parse_expression
from dsl.expr.types import Context, Type
from engine.compile import (
    CONDITION,
    LINES,
    MISSING,
    Compiler,
    clear_caches,
    compile_all,
    compile_condition,
    compile_line_filter,
)
from engine.facts import Facts

ZONE = ZoneInfo("Europe/Berlin")

# ================================================================ the oracle

_TESTS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge, "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b, "contains": lambda a, b: b in a,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
}


def _localize(value: Any, zone: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return dt.datetime(value.year, value.month, value.day, tzinfo=zone)


def _as_number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _temporal(node: n.Compare) -> bool:
    left, _ = infer_type(node.left, context=Context.ITEM)
    right, _ = infer_type(node.right, context=Context.ITEM)
    return left.temporal and right.temporal and Type.ANY not in (left, right)


# a value of the wrong type (or NaN) in arithmetic or a comparison
WRONG = (TypeError, ArithmeticError)


def _kind(value: Any) -> str | None:
    """The language's kinds: a boolean is not a number; a mapping is of no kind."""
    for kind, types in (("bool", bool), ("number", (Decimal, int, float)), ("string", str),
                        ("time", dt.date), ("list", (list, tuple))):
        if isinstance(value, types):
            return kind
    return None


def _compare(op: str, a: Any, b: Any) -> bool:
    """A comparison where a side may be an attribute: values of different kinds (or
    missing) make it false; ``in`` and ``contains`` look into lists only."""
    if op in ("in", "not in", "contains"):
        value, items = (b, a) if op == "contains" else (a, b)
        if _kind(items) != "list" or _kind(value) is None:
            return False
        found = False
        for x in items:
            try:
                if _kind(x) == _kind(value) and x == value:
                    found = True
            except WRONG:
                return False
        return found if op != "not in" else not found
    if _kind(a) is None or _kind(a) != _kind(b):
        return False
    try:
        return bool(_TESTS[op](a, b))
    except WRONG:
        return False


def oracle(node: n.Node, facts: Facts, item: Any, zone: ZoneInfo = ZONE) -> Any:
    """What a condition means, one node at a time (the rules of engine/compile.py)."""

    def ev(node: n.Node, item: Any) -> Any:
        if isinstance(node, (n.Number, n.String, n.Boolean)):
            return node.value
        if isinstance(node, n.Date):
            value = node.value
            return _localize(value, zone) if isinstance(value, dt.datetime) else value
        if isinstance(node, n.ListLit):
            return tuple(ev(x, item) for x in node.items)
        if isinstance(node, n.Path):
            parts = ("cart", *node.parts) if node.parts[0] == "attributes" else node.parts
            if parts[1] == "attributes":
                found = {"cart": facts.cart_attributes, "customer": facts.customer_attributes,
                         "item": item["attributes"] if parts[0] == "item" else None}[parts[0]]
                assert found is not None
                return _as_number(found.get(parts[2], MISSING))
            scope = {"cart": facts.cart, "customer": facts.customer, "item": item}[parts[0]]
            return scope[parts[1]]
        if isinstance(node, n.Not):
            return not ev(node.operand, item)
        if isinstance(node, n.And):
            return bool(ev(node.left, item)) and bool(ev(node.right, item))
        if isinstance(node, n.Or):
            return bool(ev(node.left, item)) or bool(ev(node.right, item))
        if isinstance(node, n.Neg):
            value = ev(node.operand, item)
            if _kind(value) != "number":
                return MISSING
            try:
                return -value
            except WRONG:
                return MISSING
        if isinstance(node, n.Arith):
            a, b = ev(node.left, item), ev(node.right, item)
            if _kind(a) != "number" or _kind(b) != "number" or (node.op == "/" and not b):
                return MISSING
            try:
                return _ARITH[node.op](a, b)
            except WRONG:
                return MISSING
        if isinstance(node, n.Compare):
            a, b = ev(node.left, item), ev(node.right, item)
            if _temporal(node):
                a, b = _localize(a, zone), _localize(b, zone)
            return _compare(node.op, a, b)
        assert isinstance(node, n.Call), node
        lines = facts.lines
        if not node.args:
            return facts.cart["quantity" if node.name == "count" else "lines"]
        arg = node.args[0]
        if node.name == "any":
            return any(ev(arg, line) for line in lines)
        if node.name == "all":
            return all(ev(arg, line) for line in lines)
        if node.name == "count":
            return Decimal(sum(line["quantity"] for line in lines if ev(arg, line)))
        if node.name == "lines":
            return Decimal(sum(1 for line in lines if ev(arg, line)))
        where = node.where
        chosen = [line for line in lines if where is None or ev(where, line)]
        values = [v for v in (ev(arg, line) for line in chosen) if v is not MISSING]
        if any(_kind(v) != "number" for v in values):
            return MISSING  # an aggregate is over numbers
        try:
            if node.name == "sum":
                return sum(values, Decimal(0))
            return (min if node.name == "min" else max)(values, default=Decimal(0))
        except WRONG:  # text among numbers: the aggregate is missing
            return MISSING

    return ev(node, item)


def outcome(run: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """``run(*args)`` as (type, repr), so 1, 1.0 and True differ; or the exception's type."""
    try:
        value = run(*args)
    except Exception as err:  # the compiled code must fail the same way
        return "raises", type(err)
    return type(value).__name__, repr(value)


# ================================================================ conditions as text

NUMBERS = st.sampled_from(["0", "1", "2", "2.50", "-1", "0.1", "3.000", "100"])
STRINGS = st.sampled_from(['"a"', '"b"', '"sale"', '"mon"', '"EUR"', '""', "'it''s'",
                           '"q\\"uote\\\\"', "'\\'); import os #'", '"{_k0}"'])
DATES = st.sampled_from(["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-02T00:00",
                         "2026-06-01T23:30", "2026-06-02T09:15:30", "2026-06-01T22:00Z",
                         "2026-06-02T01:00+02:00", "2026-06-01T23:00-01:00"])
ATTRIBUTE_NAMES = ("n", "s", "l", "b", "d", "zz")


def attribute(scope: str) -> st.SearchStrategy[str]:
    return st.sampled_from(ATTRIBUTE_NAMES).map(lambda name: f"{scope}attributes.{name}")


def leaves(item: bool) -> dict[str, st.SearchStrategy[str]]:
    """The atoms of each type; ``item``: whether ``item.*`` may be named here."""
    scopes = ["", "cart.", "customer."] + (["item."] if item else [])
    anything = st.sampled_from(scopes).flatmap(attribute)

    def fields(*names: str) -> st.SearchStrategy[str]:
        return st.sampled_from([x for x in names if item or not x.startswith("item.")])

    return {
        "num": st.one_of(NUMBERS, fields("cart.subtotal", "cart.quantity", "cart.lines",
                                         "cart.hour", "cart.shipping_price", "customer.orders",
                                         "item.unit_price", "item.quantity", "item.total"),
                         anything),
        "str": st.one_of(STRINGS, fields("cart.weekday", "cart.currency", "cart.id",
                                         "cart.shipping_method", "customer.id", "item.category",
                                         "item.seller", "item.brand", "item.sku", "item.id",
                                         "item.product"), anything),
        "list": st.one_of(st.sampled_from(['["a", "b"]', "[]", '["mon", "sat", "sun"]',
                                           '["sale"]', "[1, 2.50, 100]", "[0]",
                                           '[attributes.s, "a"]', "[attributes.n, 1]"]),
                          fields("cart.coupons", "customer.segments", "item.tags"), anything),
        "time": st.one_of(DATES, fields("cart.at", "cart.date"), anything),
        "bool": st.one_of(st.sampled_from(["true", "false"]), anything),
    }


ORDER = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
EQUAL = st.sampled_from(["==", "!="])
ARITH = st.sampled_from(["+", "-", "*"])
ZEROISH = st.sampled_from(["0", "(1 - 1)", "customer.orders", "cart.lines", "attributes.n"])


@cache
def grammar(depth: int, item: bool, calls: bool) -> dict[str, st.SearchStrategy[str]]:
    """Expressions of each type, nested at most ``depth`` deep.

    ``item``: item.* allowed; ``calls``: functions over lines allowed (not inside one).
    """
    leaf = leaves(item)
    if depth == 0:
        return leaf
    sub = grammar(depth - 1, item, calls)
    b = st.builds
    arith = b(lambda x, op, y: f"({x} {op} {y})", sub["num"], ARITH, sub["num"])
    # Divisors are often zero: dividing by zero gives MISSING.
    divide = b(lambda x, y: f"({x} / {y})", sub["num"], st.one_of(sub["num"], ZEROISH))
    num = [leaf["num"], arith, divide, b(lambda x: f"-({x})", sub["num"])]
    # Numbers compared appear thrice, and/or twice: structure over leaves.
    number_comparison = b(lambda x, op, y: f"{x} {op} {y}", sub["num"], ORDER, sub["num"])
    and_or = b(lambda x, op, y: f"({x} {op} {y})", sub["bool"], st.sampled_from(["and", "or"]),
               sub["bool"])
    boolean = [
        leaf["bool"], number_comparison, number_comparison, number_comparison, and_or, and_or,
        b(lambda x, op, y: f"{x} {op} {y}", sub["str"], EQUAL, sub["str"]),
        b(lambda x, op, y: f"{x} {op} {y}", sub["str"], st.sampled_from(["in", "not in"]),
          sub["list"]),
        b(lambda x, y: f"{x} contains {y}", sub["list"], sub["str"]),
        b(lambda x, y: f"{x} contains {y}", sub["str"], sub["str"]),
        b(lambda x, op, y: f"{x} {op} {y}", sub["num"], st.sampled_from(["in", "not in"]),
          st.sampled_from(["[1, 2.50, 100]", "[0]", "[]", "[attributes.n, 1]"])),
        b(lambda x, op, y: f"{x} {op} {y}", sub["time"], ORDER, sub["time"]),
        b(lambda x, op, y: f"{x} {op} {y}", sub["list"], EQUAL, sub["list"]),
        b(lambda x: f"not ({x})", sub["bool"]),
    ]
    if calls:
        inner = grammar(depth - 1, True, False)
        any_all = b(lambda f, x: f"{f}({x})", st.sampled_from(["any", "all"]), inner["bool"])
        aggregate = b(lambda f, x, w: f"{f}({x}{w})", st.sampled_from(["sum", "min", "max"]),
                      inner["num"], st.one_of(st.just(""), inner["bool"].map(" where {}".format)))
        boolean += [any_all, any_all]
        num += [
            st.sampled_from(["count()", "lines()"]),
            b(lambda f, x: f"{f}({x})", st.sampled_from(["count", "lines"]), inner["bool"]),
            aggregate, aggregate,
        ]
    return {"num": st.one_of(*num), "str": leaf["str"], "list": leaf["list"],
            "time": leaf["time"], "bool": st.one_of(*boolean)}


def checked(text: str, item: bool) -> n.Node:
    """Parse and check a generated condition; discard the few the checker refuses."""
    try:
        node = parse_expression(text)
    except ExpressionError:
        assume(False)
        raise
    assume(not check_condition(node, context=Context.ITEM if item else Context.CART))
    return node


# ================================================================ facts

WORDS = st.sampled_from(["a", "b", "sale", "mon", ""])
MONEY = st.sampled_from(["0", "0.10", "1", "2.50", "9.99", "100.00"]).map(Decimal)
JSON_VALUES = st.one_of(
    st.integers(-2, 3), st.sampled_from([0.1, 2.5, -0.0, 1e20, float("nan"), float("inf")]),
    WORDS, st.booleans(), st.none(), st.lists(st.one_of(WORDS, st.integers(0, 2)), max_size=2),
    st.just({"k": 1}),
)
ATTRIBUTES = st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES[:-1]), JSON_VALUES, max_size=5)
MOMENTS = st.sampled_from([
    dt.datetime(2026, 6, 1, 21, 30, tzinfo=dt.UTC), dt.datetime(2026, 6, 1, 22, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 2, 7, 15, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 2, 0, 0, tzinfo=ZONE), dt.datetime(2026, 6, 3, 12, tzinfo=ZONE),
])


@st.composite
def line_facts(draw: Any, index: int) -> dict[str, Any]:
    price, quantity = draw(MONEY), Decimal(draw(st.integers(1, 3)))
    return {"id": f"l{index}", "sku": draw(WORDS), "product": draw(WORDS),
            "category": draw(WORDS), "seller": draw(WORDS), "brand": draw(WORDS),
            "tags": tuple(draw(st.lists(WORDS, max_size=2))), "unit_price": price,
            "quantity": quantity, "total": price * quantity, "attributes": draw(ATTRIBUTES)}


@st.composite
def facts(draw: Any) -> Facts:
    lines = [draw(line_facts(k)) for k in range(draw(st.integers(0, 4)))]
    at = draw(MOMENTS)
    local = at.astimezone(ZONE)
    return Facts(
        cart={"id": "c1", "currency": "EUR", "subtotal": sum((ln["total"] for ln in lines),
                                                             Decimal(0)),
              "quantity": Decimal(sum(ln["quantity"] for ln in lines)),
              "lines": Decimal(len(lines)), "coupons": tuple(draw(st.lists(WORDS, max_size=2))),
              "at": at, "date": local.date(),
              "weekday": ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()],
              "hour": Decimal(local.hour), "shipping_method": draw(WORDS),
              "shipping_price": draw(MONEY)},
        customer={"id": draw(WORDS), "segments": tuple(draw(st.lists(WORDS, max_size=2))),
                  "orders": Decimal(draw(st.integers(0, 3)))},
        cart_attributes=draw(ATTRIBUTES), customer_attributes=draw(ATTRIBUTES), lines=lines)


# ================================================================ differential tests


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(grammar(3, False, True)["bool"], st.lists(facts(), min_size=1, max_size=3))
def test_when_conditions_agree_with_the_oracle(text: str, carts: list[Facts]) -> None:
    node = checked(text, item=False)
    run = compile_condition(node, ZONE)
    for f in carts:
        assert outcome(run, f, None) == outcome(oracle, node, f, None), text


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(grammar(3, True, True)["bool"], facts())
def test_target_conditions_agree_with_the_oracle(text: str, f: Facts) -> None:
    node = checked(text, item=True)
    run = compile_condition(node, ZONE)
    for line in f.lines:
        assert outcome(run, f, line) == outcome(oracle, node, f, line), text
    want = outcome(lambda: [ln for ln in f.lines if oracle(node, f, ln)])
    got = outcome(lambda: compile_line_filter(node, ZONE)(f))
    assert got == want, text


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(grammar(2, False, True)["num"], facts())
def test_expressions_agree_with_the_oracle(text: str, f: Facts) -> None:
    """Parts of conditions (``explain`` compiles them alone): numbers, MISSING included."""
    try:
        node = parse_expression(text)
    except ExpressionError:
        assume(False)
        raise
    kind, errors = infer_type(node)
    assume(not errors)
    run = Compiler(ZONE).compile(node)
    assert outcome(run, f, None) == outcome(oracle, node, f, None), text


# ================================================================ examples


def make_facts(cart_attributes: dict[str, Any] | None = None,
               lines: list[dict[str, Any]] | None = None,
               at: dt.datetime = dt.datetime(2026, 6, 1, 22, 30, tzinfo=dt.UTC)) -> Facts:
    local = at.astimezone(ZONE)
    return Facts(
        cart={"id": "c", "currency": "EUR", "subtotal": Decimal("50.00"),
              "quantity": Decimal(3), "lines": Decimal(2), "coupons": ("WELCOME",), "at": at,
              "date": local.date(), "weekday": "tue", "hour": Decimal(local.hour),
              "shipping_method": "", "shipping_price": Decimal("0.00")},
        customer={"id": "u", "segments": ("vip",), "orders": Decimal(2)},
        cart_attributes=cart_attributes or {}, customer_attributes={},
        lines=lines if lines is not None else [
            {"id": "l1", "sku": "A", "product": "A", "category": "socks", "seller": "s",
             "brand": "", "tags": ("sale",), "unit_price": Decimal("10.00"),
             "quantity": Decimal(2), "total": Decimal("20.00"), "attributes": {"w": 2}},
            {"id": "l2", "sku": "B", "product": "B", "category": "hats", "seller": "t",
             "brand": "", "tags": (), "unit_price": Decimal("30.00"),
             "quantity": Decimal(1), "total": Decimal("30.00"), "attributes": {}},
        ])


def value(text: str, f: Facts | None = None, item: Any = None) -> Any:
    return Compiler(ZONE).compile(parse_expression(text))(f or make_facts(), item)


@pytest.mark.parametrize("text", [
    "attributes.x == 1", "attributes.x != 1", "attributes.x < 1", "attributes.x >= 1",
    'attributes.x in ["a"]', 'attributes.x not in ["a"]', "attributes.x in [attributes.x]",
    '["a"] contains attributes.x', 'attributes.x contains "a"', "attributes.x == attributes.x",
    "cart.subtotal / 0 == cart.subtotal / 0", "cart.subtotal / 0 != 1",
    "-attributes.x != 1", "attributes.x + 1 != 1", "sum(item.attributes.x) != 0",
])
def test_comparisons_with_missing_are_false(text: str) -> None:
    assert value(text) is False


@pytest.mark.parametrize("text", [
    "attributes.x + 1", "1 - attributes.x", "attributes.x * 2", "attributes.x / 2",
    "-attributes.x", "cart.subtotal / 0", "cart.subtotal / (cart.quantity - 3)",
    "2 / attributes.x",
])
def test_arithmetic_with_missing_or_zero_divisor_is_missing(text: str) -> None:
    assert value(text) is MISSING


@pytest.mark.parametrize(("text", "attrs", "want"), [
    ("attributes.x == 3", {"x": 3}, True),                      # int read as Decimal
    ("attributes.x == 0.1", {"x": 0.1}, True),                  # float through its repr
    ("attributes.x == true", {"x": True}, True),                # bool stays bool
    ("attributes.x + 1 == 4", {"x": 3}, True),
    ("attributes.x < 3", {"x": "abc"}, False),                  # wrong type: false
    ('attributes.x in ["a"]', {"x": ["a"]}, False),
    ('attributes.x not in ["a"]', {"x": ["a"]}, True),          # a list is not in the list
    ('attributes.x contains "a"', {"x": 5}, False),             # not a container: false
    ('attributes.x contains "a"', {"x": ["a", "b"]}, True),
    ("attributes.x / 2 == 1.5", {"x": 3}, True),
    ("attributes.x / 2 > 0", {"x": "3"}, False),                # str / Decimal: MISSING
    ("attributes.x / attributes.y > 0", {"x": 3, "y": 0}, False),
])
def test_attribute_values(text: str, attrs: dict[str, Any], want: bool) -> None:
    got = value(text, make_facts(attrs))
    assert got is want


def test_arithmetic_on_a_wrong_type_is_missing() -> None:
    assert value("attributes.x * 2", make_facts({"x": "ab"})) is MISSING
    assert value("attributes.x + 1", make_facts({"x": [1]})) is MISSING


def test_and_or_give_bools() -> None:
    f = make_facts({"x": 5, "s": "yes"})
    assert value("attributes.x and attributes.s", f) is True
    assert value("attributes.x and attributes.zz", f) is False
    assert value("attributes.zz or cart.subtotal > 1", f) is True
    assert value("attributes.zz or attributes.x", f) is True
    assert value("count(true) and true", f) is True
    assert value("not attributes.zz", f) is True


def test_any_and_all_stop_at_the_first_line_that_decides() -> None:
    lines = make_facts().lines
    del lines[1]["category"]              # reading the second line's category raises
    f = make_facts(lines=lines)
    assert lines[0]["sku"] == "A" and lines[1]["sku"] != "A"
    assert value('any(item.sku == "A" or item.category == "x")', f) is True
    assert value('all(item.sku != "A" and item.category == "x")', f) is False
    with pytest.raises(KeyError):
        value('any(item.sku != "A" and item.category == "x")', f)


def test_a_value_of_the_wrong_type_is_missing_not_an_error() -> None:
    lines = make_facts().lines
    lines[1]["attributes"] = {"w": "heavy", "s": "text"}
    f = make_facts(lines=lines)
    assert value("sum(item.attributes.w)", f) is MISSING       # text among numbers
    assert value("sum(item.attributes.w) > 1", f) is False
    assert value("max(item.attributes.w) >= 0", f) is False
    assert value("any(-item.attributes.s > 0)", f) is False   # -"text"
    nan = make_facts(cart_attributes={"x": float("nan")})    # JSON allows NaN
    assert value("attributes.x > 1", nan) is False
    assert value("attributes.x + 1 > 1", nan) is False


def test_counts_and_sums_are_decimals() -> None:
    assert repr(value("count()")) == "Decimal('3')"
    assert repr(value('count(item.category == "socks")')) == "Decimal('2')"
    assert repr(value('count(item.category == "none")')) == "Decimal('0')"
    assert repr(value('lines(item.tags contains "sale")')) == "Decimal('1')"
    assert repr(value("sum(item.total)")) == "Decimal('50.00')"
    assert repr(value("sum(item.attributes.w)")) == "Decimal('2')"    # MISSING skipped
    assert repr(value('max(item.unit_price where item.category == "none")')) == "Decimal('0')"
    assert repr(value("min(item.unit_price)")) == "Decimal('10.00')"
    assert repr(value("sum(item.total)", make_facts(lines=[]))) == "Decimal('0')"


def test_temporal_comparisons_happen_in_the_ruleset_timezone() -> None:
    # 22:30 UTC on June 1st is 00:30 on June 2nd in Berlin.
    f = make_facts()
    assert value("cart.date == 2026-06-02", f) is True
    assert value("cart.at >= 2026-06-02", f) is True            # midnight in Berlin
    assert value("cart.at < 2026-06-02T00:31", f) is True       # no offset: Berlin time
    assert value("cart.at > 2026-06-01T22:29Z", f) is True
    assert value("cart.at < 2026-06-01T22:31+00:00", f) is True
    assert value("cart.date < 2026-06-02T00:01", f) is True     # the date is its midnight
    assert value("cart.date == 2026-06-02T00:00", f) is True
    assert value("2026-06-02T00:00 == 2026-06-01T22:00Z", f) is True
    assert value("2026-06-01T22:00", f) == dt.datetime(2026, 6, 1, 22, tzinfo=ZONE)


def test_a_long_and_chain_compiles() -> None:
    terms = [n.Compare(">=", n.Path(("cart", "subtotal")), n.Number(Decimal(k)))
             for k in range(200)]
    left: n.Node = terms[0]
    right: n.Node = terms[-1]
    for term in terms[1:]:
        left = n.And(left, term)
    for term in reversed(terms[:-1]):
        right = n.And(term, right)
    rich = make_facts()
    poor = make_facts(lines=[])
    poor.cart["subtotal"] = Decimal("198.99")
    for node in (left, right):
        run = compile_condition(node, ZONE)
        assert run(rich, None) is False
        rich.cart["subtotal"] = Decimal(200)
        assert run(rich, None) is True
        assert run(poor, None) is False
        rich.cart["subtotal"] = Decimal("50.00")
    mixed: n.Node = terms[0]
    for k, term in enumerate(terms[1:]):
        mixed = n.Or(mixed, term) if k % 2 else n.And(mixed, term)
    assert compile_condition(mixed, ZONE)(rich, None) is False


def test_the_longest_and_chains_the_parser_accepts_compile() -> None:
    chain = " and ".join(f"cart.hour >= {k % 24}" for k in range(95))
    assert compile_condition(parse_expression(chain), ZONE)(make_facts(), None) is False
    # Parenthesised groups nest less deep, so more terms fit in 4,000 characters.
    group = "(" + " and ".join(["cart.lines > 0"] * 10) + ")"
    text = " and ".join([group] * 20)
    assert len(text) <= 4000
    node = parse_expression(text)
    assert not check_condition(node)
    assert compile_condition(node, ZONE)(make_facts(), None) is True


@pytest.mark.parametrize("text", [
    " + ".join(["attributes.x"] * 95) + " > 0",      # nested helper calls
    " / ".join(["attributes.x"] * 95) + " > 0",
    "-" * 94 + "attributes.x > 0",
    "not " * 95 + "true",
    "(" * 48 + "attributes.x" + " + 1)" * 48 + " > 0",
    "sum(" + " * ".join(["item.attributes.w"] * 93) + " where item.total > 1) >= 0",
])
def test_the_deepest_expressions_the_parser_accepts_compile(text: str) -> None:
    """Python's parser allows 200 nested brackets; these need about 100."""
    node = parse_expression(text)
    f = make_facts({"x": 2})
    assert outcome(compile_condition(node, ZONE), f, None) == outcome(oracle, node, f, None)


def test_line_filter_keeps_the_matching_lines_in_order() -> None:
    f = make_facts()
    pick = compile_line_filter(parse_expression('item.category in ["hats", "socks"]'), ZONE)
    assert pick(f) == f.lines and pick(f)[0] is f.lines[0]
    assert pick(f) is not f.lines
    assert compile_line_filter(parse_expression("item.total > 25"), ZONE)(f) == [f.lines[1]]
    assert compile_line_filter(parse_expression("item.attributes.w >= 2"), ZONE)(f) == \
        [f.lines[0]]
    # A function over lines inside a target sees every line, not the one being filtered.
    above = compile_line_filter(parse_expression("item.total * 2 > sum(item.total)"), ZONE)
    assert above(f) == [f.lines[1]]
    assert compile_line_filter(parse_expression("false"), ZONE)(f) == []
    assert compile_line_filter(parse_expression("true"), ZONE)(make_facts(lines=[])) == []


def test_text_never_becomes_code() -> None:
    hostile = ["'); import os #", '" + __import__("os").name + "', "\\n1/0\\n", "{_k0}"]
    for text in hostile:
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        node = parse_expression(f"cart.id == {quoted} or item.sku contains {quoted}")
        source = Compiler(ZONE).source(node)
        assert text not in source
        assert "import" not in source
        run = compile_condition(node, ZONE)
        assert run(make_facts(), make_facts().lines[0]) is False
    f = make_facts()
    f.cart["id"] = "'); import os #"
    assert value('cart.id == "\'); import os #"', f) is True


def test_declared_fields_compile_to_plain_python() -> None:
    def source(text: str) -> str:
        return Compiler(ZONE).source(parse_expression(text))

    assert source("cart.subtotal >= 100") == "lambda f, i: f.cart['subtotal'] >= _k0"
    assert source('count(item.category == "socks") >= 2 and customer.orders > 0') == (
        "lambda f, i: _Decimal(sum([i['quantity'] for i in f.lines "
        "if i['category'] == _k0])) >= _k1 and f.customer['orders'] > _k2")
    assert source("cart.date >= 2026-06-01") == "lambda f, i: f.cart['date'] >= _k0"
    assert "_guard" in source("attributes.x >= 1")


def test_conditions_compiled_together_compute_what_each_computes_alone() -> None:
    texts = ["cart.subtotal >= 100", "cart.subtotal >= 250", 'item.category == "socks"',
             "attributes.x >= 1 or customer.orders > 2", "cart.date >= 2026-06-01",
             'count(item.category == "socks") >= 2']
    # More conditions than one call of the compiler takes, so several batches run.
    texts += [f"cart.quantity >= {k} and customer.orders < {k}" for k in range(40)]
    texts += [f"cart.quantity + {k} > customer.orders * {k + 1}" for k in range(40)]
    conditions = [(parse_expression(text), CONDITION) for text in texts]
    conditions += [(parse_expression('item.category == "socks"'), LINES)]
    clear_caches()
    together = compile_all(conditions, ZONE)
    alone = [compile_line_filter(node, ZONE) if use == LINES else compile_condition(node, ZONE)
             for node, use in conditions]
    f = make_facts()
    for (_, use), one, other in zip(conditions, together, alone, strict=True):
        if use == LINES:
            assert one(f) == other(f)
        else:
            assert outcome(one, f, None) == outcome(other, f, None)


def test_a_condition_compiled_again_reuses_its_factory() -> None:
    node = parse_expression("cart.subtotal >= 100 and customer.orders > 1")
    same_shape = parse_expression("cart.subtotal >= 7 and customer.orders > 3")
    clear_caches()
    first, again, other = compile_all([(node, False), (node, False), (same_shape, False)],
                                      ZONE)
    # One code object for the three (the literals are the closures' cells) ...
    assert first.__code__ is again.__code__ is other.__code__
    # ... and the next ruleset with that condition compiles nothing new.
    assert compile_condition(node, ZONE).__code__ is first.__code__
