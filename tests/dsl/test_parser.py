"""parse_expression: every grammar construct, the AST shapes it builds and their spans."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from dsl import ExpressionError, parse_expression
from dsl.expr.nodes import (
    And,
    Arith,
    Boolean,
    Call,
    Compare,
    Date,
    ListLit,
    Neg,
    Node,
    Not,
    Number,
    Or,
    Path,
    String,
    Visitor,
    walk,
)
from dsl.expr.parser import iter_tokens


def P(dotted: str) -> Path:
    return Path(tuple(dotted.split(".")))


def N(text: str) -> Number:
    return Number(Decimal(text))


def S(value: str) -> String:
    return String(value)


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", "0"),
        ("100", "100"),
        ("19.99", "19.99"),
        ("1.50", "1.50"),
        ("007", "7"),
        ("0.1", "0.1"),
        ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
    ],
)
def test_numbers_are_exact_decimals(text: str, value: str) -> None:
    node = parse_expression(text)
    assert isinstance(node, Number)
    assert type(node.value) is Decimal
    # Exact, including the written exponent: 1.50 keeps two places.
    assert node.value.as_tuple() == Decimal(value).as_tuple()


def test_decimal_arithmetic_is_not_float_arithmetic() -> None:
    node = parse_expression("0.1 + 0.2")
    assert node == Arith("+", N("0.1"), N("0.2"))
    assert isinstance(node, Arith)
    left, right = node.left, node.right
    assert isinstance(left, Number) and isinstance(right, Number)
    assert left.value + right.value == Decimal("0.3")  # false for floats


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-3", "-3"),
        ("- 3", "-3"),
        ("-(3)", "-3"),
        ("-19.99", "-19.99"),
        ("--3", "3"),
        ("- - -2.5", "-2.5"),
        # Negation is exact even past the default 28-digit decimal context.
        ("-1.23456789012345678901234567890123", "-1.23456789012345678901234567890123"),
    ],
)
def test_minus_before_a_number_folds_into_the_number(text: str, value: str) -> None:
    node = parse_expression(text)
    assert isinstance(node, Number)
    assert node.value.as_tuple() == Decimal(value).as_tuple()


def test_minus_before_anything_else_is_neg() -> None:
    assert parse_expression("-cart.subtotal") == Neg(P("cart.subtotal"))
    assert parse_expression("--cart.subtotal") == Neg(Neg(P("cart.subtotal")))
    assert parse_expression("-(a + 1)") == Neg(Arith("+", P("a"), N("1")))


@pytest.mark.parametrize("text", ["1.", ".5", "1e5", "1,5"])
def test_malformed_numbers_are_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.code == "PR150"


# ------------------------------------------------------------------ strings


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"shoes"', "shoes"),
        ("'shoes'", "shoes"),
        ('""', ""),
        ("''", ""),
        ('"it\'s"', "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'it\'s'", "it's"),
        (r'"a\nb"', "a\nb"),
        (r'"a\tb"', "a\tb"),
        (r'"back\\slash"', "back\\slash"),
        (r'"\q"', "\\q"),  # an unknown escape keeps its backslash
        ('"Größe ✓"', "Größe ✓"),
        ('"(not [a list)"', "(not [a list)"),  # brackets inside strings do not count
    ],
)
def test_strings(text: str, value: str) -> None:
    assert parse_expression(text) == String(value)


# ----------------------------------------------------------------- booleans


def test_booleans() -> None:
    assert parse_expression("true") == Boolean(True)
    assert parse_expression("false") == Boolean(False)
    # Keywords are whole words and lower case; anything else is a name.
    assert parse_expression("True") == P("True")
    assert parse_expression("true_x") == P("true_x")


# -------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2026-06-01", dt.date(2026, 6, 1)),
        ("0001-01-01", dt.date(1, 1, 1)),
        ("2028-02-29", dt.date(2028, 2, 29)),
        ("2026-06-01T09:00", dt.datetime(2026, 6, 1, 9, 0)),
        ("2026-06-01T09:00:30", dt.datetime(2026, 6, 1, 9, 0, 30)),
        ("2026-06-01T09:00Z", dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)),
        (
            "2026-06-01T09:00:30+02:00",
            dt.datetime(2026, 6, 1, 9, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ),
        (
            "2026-06-01T09:00-05:30",
            dt.datetime(2026, 6, 1, 9, 0,
                        tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30))),
        ),
    ],
)
def test_dates_and_datetimes(text: str, value: dt.date) -> None:
    node = parse_expression(text)
    assert isinstance(node, Date)
    assert type(node.value) is type(value)
    assert node.value == value
    if isinstance(value, dt.datetime):
        assert node.value.utcoffset() == value.utcoffset()


def test_a_date_in_a_comparison() -> None:
    assert parse_expression("cart.date >= 2026-06-01") == Compare(
        ">=", P("cart.date"), Date(dt.date(2026, 6, 1)))


# -------------------------------------------------------------------- lists


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("[]", ()),
        ("[ ]", ()),
        ('["a"]', (S("a"),)),
        ('["a",]', (S("a"),)),
        ('["a", "b", ]', (S("a"), S("b"))),
        ("[1, 2.5, -3]", (N("1"), N("2.5"), N("-3"))),
        ("[\n  1,\n  2,\n]", (N("1"), N("2"))),
        ("[[1], []]", (ListLit((N("1"),)), ListLit(()))),
        ("[cart.subtotal, 1 + 2]", (P("cart.subtotal"), Arith("+", N("1"), N("2")))),
    ],
)
def test_lists(text: str, items: tuple[Node, ...]) -> None:
    assert parse_expression(text) == ListLit(items)


@pytest.mark.parametrize("text", ["[,]", "[1,,2]", "[1 2]"])
def test_malformed_lists(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.code == "PR150"


# -------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    "text",
    [
        "cart.subtotal",
        "cart.shipping_price",
        "customer.segments",
        "customer.orders",  # starts with the keyword 'or'
        "item.category",
        "item.in_stock",  # 'in'
        "item.notes",  # 'not'
        "attributes.channel",
        "item.attributes.color",
        "customer.attributes.tier_2",
        "_private",
    ],
)
def test_paths(text: str) -> None:
    assert parse_expression(text) == Path(tuple(text.split(".")))


def test_path_dotted() -> None:
    node = parse_expression("item . attributes . color")  # blanks around dots are allowed
    assert isinstance(node, Path)
    assert node.parts == ("item", "attributes", "color")
    assert node.dotted == "item.attributes.color"


# -------------------------------------------------------------- comparisons


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains"])
def test_every_comparison_operator(op: str) -> None:
    assert parse_expression(f"cart.subtotal {op} x") == Compare(op, P("cart.subtotal"), P("x"))


def test_comparison_operators_need_no_blanks() -> None:
    assert parse_expression("a>=1") == Compare(">=", P("a"), N("1"))
    assert parse_expression("a!=-1") == Compare("!=", P("a"), N("-1"))


def test_not_in_is_one_operator_even_with_blanks_between() -> None:
    assert parse_expression("a not   in [1]") == Compare("not in", P("a"), ListLit((N("1"),)))
    assert parse_expression("a not\nin b") == Compare("not in", P("a"), P("b"))


def test_in_and_contains_take_any_sums() -> None:
    assert parse_expression('item.seller in ["acme", "outlet"]') == Compare(
        "in", P("item.seller"), ListLit((S("acme"), S("outlet"))))
    assert parse_expression('item.tags contains "sale"') == Compare(
        "contains", P("item.tags"), S("sale"))


# ------------------------------------------------------------ boolean logic


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a and b", And(P("a"), P("b"))),
        ("a or b", Or(P("a"), P("b"))),
        ("not a", Not(P("a"))),
        ("not not a", Not(Not(P("a")))),
        # and binds tighter than or, not tighter than and
        ("a or b and c", Or(P("a"), And(P("b"), P("c")))),
        ("a and b or c", Or(And(P("a"), P("b")), P("c"))),
        ("not a and b", And(Not(P("a")), P("b"))),
        ("not a or not b", Or(Not(P("a")), Not(P("b")))),
        # left associative
        ("a or b or c", Or(Or(P("a"), P("b")), P("c"))),
        ("a and b and c", And(And(P("a"), P("b")), P("c"))),
        # parentheses override
        ("a or (b or c)", Or(P("a"), Or(P("b"), P("c")))),
        ("(a or b) and c", And(Or(P("a"), P("b")), P("c"))),
        ("not (a and b)", Not(And(P("a"), P("b")))),
        ("((a))", P("a")),
        # not binds looser than comparisons
        ("not a == 1", Not(Compare("==", P("a"), N("1")))),
        ("a == 1 and b != 2", And(Compare("==", P("a"), N("1")), Compare("!=", P("b"), N("2")))),
    ],
)
def test_boolean_precedence(text: str, tree: Node) -> None:
    assert parse_expression(text) == tree


# --------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a + b", Arith("+", P("a"), P("b"))),
        ("a - b", Arith("-", P("a"), P("b"))),
        ("a * b", Arith("*", P("a"), P("b"))),
        ("a / b", Arith("/", P("a"), P("b"))),
        ("1 + 2 * 3", Arith("+", N("1"), Arith("*", N("2"), N("3")))),
        ("(1 + 2) * 3", Arith("*", Arith("+", N("1"), N("2")), N("3"))),
        ("a - b - c", Arith("-", Arith("-", P("a"), P("b")), P("c"))),
        ("a - (b - c)", Arith("-", P("a"), Arith("-", P("b"), P("c")))),
        ("a / b * c", Arith("*", Arith("/", P("a"), P("b")), P("c"))),
        ("-a * b", Arith("*", Neg(P("a")), P("b"))),
        ("a--b", Arith("-", P("a"), Neg(P("b")))),
        ("1 - -2", Arith("-", N("1"), N("-2"))),
        (
            "a + b >= c * 2",
            Compare(">=", Arith("+", P("a"), P("b")), Arith("*", P("c"), N("2"))),
        ),
    ],
)
def test_arithmetic_precedence(text: str, tree: Node) -> None:
    assert parse_expression(text) == tree


# -------------------------------------------------------------------- calls


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ('any(item.tags contains "sale")',
         Call("any", (Compare("contains", P("item.tags"), S("sale")),))),
        ('all(item.seller == "acme")',
         Call("all", (Compare("==", P("item.seller"), S("acme")),))),
        ("count()", Call("count", ())),
        ('count(item.category == "socks")',
         Call("count", (Compare("==", P("item.category"), S("socks")),))),
        ("lines()", Call("lines", ())),
        ("lines(item.quantity > 1)", Call("lines", (Compare(">", P("item.quantity"), N("1")),))),
        ("sum(item.total)", Call("sum", (P("item.total"),))),
        ('sum(item.total where item.seller == "acme")',
         Call("sum", (P("item.total"),), Compare("==", P("item.seller"), S("acme")))),
        ("min(item.unit_price where item.quantity >= 2)",
         Call("min", (P("item.unit_price"),), Compare(">=", P("item.quantity"), N("2")))),
        ("max(item.unit_price * item.quantity)",
         Call("max", (Arith("*", P("item.unit_price"), P("item.quantity")),))),
        ("count(where a)", Call("count", (), P("a"))),
        # any name parses as a call; the checker knows which functions exist
        ("f(a, b, 1)", Call("f", (P("a"), P("b"), N("1")))),
    ],
)
def test_calls(text: str, tree: Node) -> None:
    assert parse_expression(text) == tree


def test_calls_compose_with_operators() -> None:
    assert parse_expression('count(item.category == "socks") >= 3') == Compare(
        ">=", Call("count", (Compare("==", P("item.category"), S("socks")),)), N("3"))
    assert parse_expression("not any(a) and all(b)") == And(
        Not(Call("any", (P("a"),))), Call("all", (P("b"),)))


@pytest.mark.parametrize("text", ["sum(a where)", "sum(a where b where c)", "f(,)", "f(a,)",
                                  "x where y", "cart.sum(a)"])
def test_malformed_calls(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.code in ("PR150", "PR151")


# ------------------------------------------------------------ layout, spans


def test_blanks_tabs_and_newlines_are_insignificant() -> None:
    assert parse_expression("\ta\n  and\r\n b ") == And(P("a"), P("b"))


def _spans(text: str) -> list[tuple[str, tuple[int, int, int | None, int | None]]]:
    return [(type(node).__name__, (node.span.line, node.span.col, node.span.end_line,
                                   node.span.end_col)) for node in walk(parse_expression(text))]


def test_spans_of_boolean_operators_and_parentheses() -> None:
    assert _spans("(a and b) or not c") == [
        ("Or", (1, 1, 1, 19)),
        ("And", (1, 2, 1, 9)),  # the parentheses are not part of the node
        ("Path", (1, 2, 1, 3)),
        ("Path", (1, 8, 1, 9)),
        ("Not", (1, 14, 1, 19)),
        ("Path", (1, 18, 1, 19)),
    ]


def test_spans_of_literals() -> None:
    assert _spans('x >= -3 or y == "ab" or z < 2026-06-01') == [
        ("Or", (1, 1, 1, 39)),
        ("Or", (1, 1, 1, 21)),
        ("Compare", (1, 1, 1, 8)),
        ("Path", (1, 1, 1, 2)),
        ("Number", (1, 6, 1, 8)),  # a folded minus belongs to the number
        ("Compare", (1, 12, 1, 21)),
        ("Path", (1, 12, 1, 13)),
        ("String", (1, 17, 1, 21)),  # quotes included
        ("Compare", (1, 25, 1, 39)),
        ("Path", (1, 25, 1, 26)),
        ("Date", (1, 29, 1, 39)),
    ]


def test_spans_of_calls_and_lists() -> None:
    assert _spans('sum(item.total where item.seller == "a") > [1]') == [
        ("Compare", (1, 1, 1, 47)),
        ("Call", (1, 1, 1, 41)),
        ("Path", (1, 5, 1, 15)),
        ("Compare", (1, 22, 1, 40)),
        ("Path", (1, 22, 1, 33)),
        ("String", (1, 37, 1, 40)),
        ("ListLit", (1, 44, 1, 47)),
        ("Number", (1, 45, 1, 46)),
    ]


def test_spans_over_several_lines() -> None:
    assert _spans("a and\n  b.c >= 1") == [
        ("And", (1, 1, 2, 11)),
        ("Path", (1, 1, 1, 2)),
        ("Compare", (2, 3, 2, 11)),
        ("Path", (2, 3, 2, 6)),
        ("Number", (2, 10, 2, 11)),
    ]


def test_spans_name_the_expression_not_a_file() -> None:
    assert {node.span.file for node in walk(parse_expression("a and b(c)"))} == {"<expr>"}


# ------------------------------------------------------------ AST behaviour


def test_equality_ignores_spans_but_not_values() -> None:
    first, second = parse_expression("a == 1"), parse_expression("\n\n   a   ==   1")
    assert first == second
    assert first.span != second.span
    assert parse_expression("a == 1") != parse_expression("a == 2")
    assert parse_expression("a == 1") != parse_expression("a != 1")


def test_nodes_are_frozen_and_hashable() -> None:
    node = parse_expression("a in [1, 2]")
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.op = "=="  # type: ignore[attr-defined,misc]
    assert hash(node) == hash(parse_expression("a  in  [1,2]"))


def test_walk_visits_parents_before_children_in_order() -> None:
    names = [type(x).__name__ for x in walk(parse_expression("sum(a where b) > -c"))]
    assert names == ["Compare", "Call", "Path", "Path", "Neg", "Path"]


def test_visitor_dispatches_by_class_name() -> None:
    class Names(Visitor):
        def __init__(self) -> None:
            self.seen: list[str] = []

        def visit_Path(self, node: Path) -> None:
            self.seen.append(node.dotted)

    visitor = Names()
    visitor.visit(parse_expression("x.y > 1 and not any(z where w)"))
    assert visitor.seen == ["x.y", "z", "w"]


def test_iter_tokens() -> None:
    tokens = [(tok.type, str(tok)) for tok in iter_tokens("a >= 1.5")]
    assert [value for _, value in tokens] == ["a", ">=", "1.5"]
    assert tokens[0][0] == "NAME" and tokens[2][0] == "NUMBER"


def test_only_text_is_parsed() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(100)  # type: ignore[arg-type]
    assert caught.value.code == "PR151"
    assert "not int" in caught.value.message


@pytest.mark.parametrize("text", ["or == 1", "a in in", "a and or b", "contains"])
def test_keywords_are_reserved(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.code in ("PR150", "PR151")
