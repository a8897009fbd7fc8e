"""Names and types: check_condition's PR170-PR174 with their columns, and infer_type."""

from __future__ import annotations

import pytest

from dsl import ExpressionError, parse_expression
from dsl.expr.check import check_condition, infer_type
from dsl.expr.types import FUNCTIONS, SCOPES, Context, Type, comparable, orderable


def errors(text: str, context: Context = Context.CART) -> list[tuple[str, int, int]]:
    return [(e.code, e.span.line, e.span.col)
            for e in check_condition(parse_expression(text), context)]


def only_error(text: str, context: Context = Context.CART) -> ExpressionError:
    found = check_condition(parse_expression(text), context)
    assert len(found) == 1, [str(e) for e in found]
    return found[0]


# ------------------------------------------------------------ valid ones


@pytest.mark.parametrize(
    "text",
    [
        "cart.subtotal >= 100",
        "cart.subtotal >= 99.95 and cart.quantity > 2",
        'customer.segments contains "vip"',
        'cart.coupons contains "WELCOME10"',
        "customer.orders == 0",
        'customer.id != ""',
        'cart.weekday in ["sat", "sun"]',
        "cart.hour not in [0, 1, 2]",
        "cart.date >= 2026-06-01 and cart.date < 2026-09-01",
        "cart.at < 2026-06-01T09:00Z",
        "cart.date < 2026-06-01T09:00",  # dates and datetimes compare
        'cart.currency == "EUR" or cart.shipping_method == "express"',
        "cart.shipping_price > 0",
        'any(item.tags contains "sale")',
        'all(item.seller != "outlet")',
        'count(item.category == "socks") >= 3',
        "count() >= 3",
        "lines() > 1",
        'lines(item.brand == "acme") >= 2',
        'sum(item.total where item.seller == "acme") >= 50',
        "sum(item.quantity) >= 5",
        "min(item.unit_price) < 5",
        'max(item.unit_price where item.category == "shoes") > 100',
        "cart.subtotal - cart.shipping_price > 10",
        "cart.subtotal * 2 > 10",
        "cart.subtotal / 2 > 10",
        "cart.subtotal / cart.quantity > 10",
        "-cart.subtotal < -100",
        "not (cart.subtotal < 50)",
        'attributes.channel == "app"',
        "cart.attributes.first_order == true",
        'customer.attributes.tier in ["gold"]',
        "customer.attributes.points > 100",
        "cart.coupons == []",
        "cart.attributes.x",  # 'any' may be true or false
        'not any(item.tags contains "final-sale") and count() > 1',
        '"sale" in cart.coupons',
    ],
)
def test_valid_cart_conditions(text: str) -> None:
    assert errors(text) == []


@pytest.mark.parametrize(
    "text",
    [
        'item.category == "shoes" and item.seller != "outlet"',
        "item.unit_price * item.quantity == item.total",
        "item.total / item.quantity >= 10",
        'item.tags contains "sale"',
        'item.attributes.color == "red"',
        'item.sku in ["A-1", "B-2"]',
        "item.total > 10 and cart.subtotal > 100",  # cart and customer are still visible
        "item.total >= sum(item.total) / 2",
    ],
)
def test_valid_item_conditions(text: str) -> None:
    assert errors(text, context=Context.ITEM) == []


# ------------------------------------------------------------------ PR170


@pytest.mark.parametrize(
    ("text", "col", "message", "hint"),
    [
        ("foo == 1", 1, "unknown name 'foo'",
         "names start with cart., customer., item., shipment. or attributes."),
        ("cartt.subtotal > 1", 1, "unknown name 'cartt.subtotal'", "did you mean 'cart'?"),
        ("cart.subtotal >= 100 and cart.subtotl > 1", 26, "unknown field 'subtotl' of cart",
         "did you mean 'subtotal'?"),
        ('customer.segment contains "vip"', 1, "unknown field 'segment' of customer",
         "did you mean 'segments'?"),
        ("customer.xyz == 1", 1, "unknown field 'xyz' of customer",
         "customer has: id, orders, segments"),
        ("cart == 1", 1, "'cart' needs a field, e.g. 'cart.id'", None),
        ("cart.subtotal.cents > 1", 1, "'cart.subtotal' has no field 'cents'", None),
        ('cart.attributes == "x"', 1, "write 'cart.attributes.<name>'", None),
        ('item.attributes.a.b == "x"', 1, "write 'item.attributes.<name>'", None),
        ("attributes == 1", 1, "write 'cart.attributes.<name>'", None),
    ],
)
def test_unknown_names(text: str, col: int, message: str, hint: str | None) -> None:
    err = only_error(text, context=Context.ITEM)
    assert (err.code, err.span.line, err.span.col) == ("PR170", 1, col)
    assert message in err.message
    assert err.hint == hint


def test_unknown_name_span_covers_the_path() -> None:
    err = only_error("count() > 1 and\n  customer.ordrs == 0")
    assert (err.code, err.span.line, err.span.col, err.span.end_col) == ("PR170", 2, 3, 17)


# ------------------------------------------------------------------ PR171


@pytest.mark.parametrize(
    ("text", "col", "message", "hint"),
    [
        ('cart.subtotal > "abc"', 1,
         """cannot use '>' between money (cart.subtotal) and string ("abc")""",
         "money compares with numbers"),
        ('cart.subtotal == "100"', 1, "cannot use '==' between money",
         "money compares with numbers"),
        ("cart.date < 5", 1, "cannot use '<' between date (cart.date) and number", None),
        ('customer.orders in "abc"', 1, "cannot use 'in'",
         "the right side of 'in' must be a list"),
        ("cart.subtotal contains 1", 1, "cannot use 'contains'", "'contains' asks a list"),
        ('customer.id contains "test"', 1, "cannot use 'contains' between string",
         "compare text with =="),  # text is not searched for a substring
        ("customer.segments contains 1", 1, "cannot use 'contains' between list of strings", None),
        ('cart.quantity in ["1", "2"]', 1, "cannot use 'in'", None),
        ('[1, "a"] == cart.coupons', 1, "a list holds only strings or only numbers", None),
        ('cart.coupons == ["a"] and cart.hour == [1]', 27, "cannot use '==' between number",
         None),
        ('cart.subtotal + "a" > 1', 1, "'+' needs numbers or money, but \"a\" is string", None),
        ("cart.subtotal * cart.subtotal > 1", 1, "cannot multiply money by money", None),
        ("1 / cart.subtotal > 1", 1, "cannot divide a number by money", None),
        ('-"a" == 1', 1, "'-' needs a number, but \"a\" is string", None),
        ("not cart.subtotal", 5, "'not' needs true or false, but cart.subtotal is money", None),
        ("cart.quantity > 1 and cart.id", 23, "'and' needs true or false", None),
        ("cart.id or true", 1, "'or' needs true or false", None),
        ("cart.subtotal", 1, "a condition must be true or false, but this is money",
         "compare it, e.g. '... >= 100'"),
        ("1 + 1", 1, "a condition must be true or false, but this is number", None),
        ('any(item.total) == true', 5, "any() needs a condition, but item.total is money", None),
        ("count(item.sku) > 1", 7, "count() needs a condition", None),
        ("sum(item.category) > 1", 5,
         "sum() needs a number or money, but item.category is string", None),
        ("sum(item.total where item.total) > 1", 22, "'where' needs true or false", None),
    ],
)
def test_type_mismatches(text: str, col: int, message: str, hint: str | None) -> None:
    err = only_error(text)
    assert (err.code, err.span.line, err.span.col) == ("PR171", 1, col)
    assert message in err.message
    if hint is not None:
        assert err.hint is not None and hint in err.hint


def test_a_long_operand_is_shortened_in_the_message() -> None:
    err = only_error('cart.subtotal > "' + "x" * 60 + '"')
    # 40 characters at most: 37 of the operand and '...'
    assert '("' + "x" * 36 + '...)' in err.message
    assert "x" * 37 not in err.message


# ------------------------------------------------------------------ PR172


def test_item_names_need_a_line() -> None:
    err = only_error("cart.subtotal > 10 and item.total > 1")
    assert (err.code, err.span.col) == ("PR172", 24)
    assert "'item.total' names a line, but here there is no line" in err.message
    assert err.hint is not None and "target:" in err.hint
    # ... which target: and the functions over lines provide
    assert errors("cart.subtotal > 10 and item.total > 1", context=Context.ITEM) == []
    assert errors("any(item.total > 1) and count(item.total > 1) > 0") == []
    assert errors('sum(1 where item.seller == "x") > 0') == []


def test_functions_over_lines_do_not_nest() -> None:
    err = only_error("any(count(item.total > 1) > 1)")
    assert (err.code, err.span.col) == ("PR172", 5)
    assert "'count()' cannot sit inside another function over lines" in err.message


def test_item_after_a_call_is_outside_it_again() -> None:
    assert errors("any(item.total > 1) and item.total > 1") == [("PR172", 1, 25)]


# ------------------------------------------------------------------ PR173


@pytest.mark.parametrize(
    ("text", "col", "hint"),
    [
        ("cuont(item.total > 1) > 1", 1, "did you mean 'count'?"),
        ("cart.quantity > 1 and avg(item.total) > 1", 23,
         "functions: all, any, count, lines, max, min, sum"),
    ],
)
def test_unknown_functions(text: str, col: int, hint: str) -> None:
    err = only_error(text)
    assert (err.code, err.span.col) == ("PR173", col)
    assert err.hint == hint


# ------------------------------------------------------------------ PR174


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("any()", "any() takes 1 argument, got 0"),
        ("all(item.total > 1, item.total > 2)", "all() takes 1 argument, got 2"),
        ("count(item.total > 1, item.total > 2) > 1", "count() takes 0 to 1 arguments, got 2"),
        ("sum() > 1", "sum() takes 1 argument, got 0"),
        ("any(item.total > 1 where item.total > 2)", "any() takes no 'where'"),
        ("count(where item.total > 2) > 1", "count() takes no 'where'"),
    ],
)
def test_wrong_arity(text: str, message: str) -> None:
    err = only_error(text)
    assert (err.code, err.span.line, err.span.col) == ("PR174", 1, 1)
    assert err.message == message


# ------------------------------------------------------- collecting errors


def test_every_error_is_reported_in_order() -> None:
    text = 'cart.foo == 1 and customer.bar == 2 or\n  item.total > "x"'
    assert errors(text) == [("PR170", 1, 1), ("PR170", 1, 19), ("PR172", 2, 3)]


def test_a_failed_node_does_not_cascade() -> None:
    # cart.foo is unknown: its type becomes 'any', so no type error follows from it.
    assert errors('cart.foo > "x"') == [("PR170", 1, 1)]
    assert errors("nope(1) > 2 and not nope(2)") == [("PR173", 1, 1), ("PR173", 1, 21)]


# --------------------------------------------------------------- infer_type


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1", Type.NUMBER),
        ('"a"', Type.STRING),
        ("true", Type.BOOL),
        ("2026-06-01", Type.DATE),
        ("2026-06-01T09:00", Type.DATETIME),
        ("[]", Type.EMPTY_LIST),
        ("[1, 2.5]", Type.NUMBER_LIST),
        ('["a"]', Type.STRING_LIST),
        ("cart.subtotal", Type.MONEY),
        ("cart.subtotal + 1", Type.MONEY),
        ("1 - cart.shipping_price", Type.MONEY),
        ("cart.subtotal * 2", Type.MONEY),
        ("cart.subtotal / 2", Type.MONEY),
        ("cart.subtotal / cart.shipping_price", Type.NUMBER),
        ("cart.quantity * 2", Type.NUMBER),
        ("-cart.subtotal", Type.MONEY),
        ("cart.attributes.x", Type.ANY),
        ("cart.attributes.x + 1", Type.ANY),
        ("sum(item.total)", Type.MONEY),
        ("sum(item.quantity)", Type.NUMBER),
        ("sum(item.attributes.weight)", Type.NUMBER),
        ("count()", Type.NUMBER),
        ("lines()", Type.NUMBER),
        ("any(true)", Type.BOOL),
        ("cart.at", Type.DATETIME),
        ("cart.coupons", Type.STRING_LIST),
        ("a == b", Type.BOOL),  # unknown names, but a comparison is still a bool
    ],
)
def test_infer_type(text: str, kind: Type) -> None:
    assert infer_type(parse_expression(text))[0] == kind


def test_type_tables() -> None:
    assert comparable(Type.MONEY, Type.NUMBER)
    assert not comparable(Type.MONEY, Type.STRING)
    assert comparable(Type.DATE, Type.DATETIME)
    assert comparable(Type.STRING_LIST, Type.EMPTY_LIST)
    assert not comparable(Type.STRING_LIST, Type.NUMBER_LIST)
    assert comparable(Type.ANY, Type.BOOL)
    assert orderable(Type.MONEY, Type.NUMBER)
    assert orderable(Type.DATE, Type.DATETIME)
    assert not orderable(Type.STRING, Type.STRING)
    assert orderable(Type.ANY, Type.NUMBER)
    assert orderable(Type.DATE, Type.ANY)
    assert orderable(Type.ANY, Type.ANY)
    assert set(SCOPES) == {"cart", "customer", "item", "shipment"}
    assert set(FUNCTIONS) == {"any", "all", "count", "lines", "sum", "min", "max"}
