"""format_expression and parse_expression are inverse: golden lines and random ASTs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import format_expression, parse_expression
from dsl.expr import nodes as n
from dsl.expr.check import check_condition
from dsl.expr.nodes import walk
from dsl.expr.types import Context

ROUNDTRIP = Path(__file__).parent / "data" / "roundtrip.txt"
CANONICAL = [line for line in ROUNDTRIP.read_text(encoding="utf-8").splitlines() if line]


# ---------------------------------------------------------------- golden


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_conditions_format_to_themselves(text: str) -> None:
    node = parse_expression(text)
    assert format_expression(node) == text
    assert parse_expression(format_expression(node)) == node


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_conditions_are_valid_targets(text: str) -> None:
    assert check_condition(parse_expression(text), context=Context.ITEM) == []


def test_the_golden_file_covers_every_node_type() -> None:
    seen = {type(node) for text in CANONICAL for node in walk(parse_expression(text))}
    assert seen == {n.Number, n.String, n.Boolean, n.Date, n.ListLit, n.Path, n.Compare,
                    n.Arith, n.Neg, n.And, n.Or, n.Not, n.Call}
    ops = {node.op for text in CANONICAL for node in walk(parse_expression(text))
           if isinstance(node, (n.Compare, n.Arith))}
    assert ops == set(n.COMPARE_OPS) | set(n.ARITH_OPS)
    calls = {node.name for text in CANONICAL for node in walk(parse_expression(text))
             if isinstance(node, n.Call)}
    assert calls == {"any", "all", "count", "lines", "sum", "min", "max"}


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("a  and\n   b", "a and b"),
        ("((a))", "a"),
        ("'x'", '"x"'),
        ("'say \"hi\"'", r'"say \"hi\""'),
        ("[1,]", "[1]"),
        ("[ 1 ,2 ]", "[1, 2]"),
        ("2026-06-01T09:00", "2026-06-01T09:00:00"),
        ("2026-06-01T09:00Z", "2026-06-01T09:00:00+00:00"),
        ("--a", "- -a"),
        ("-(3)", "-3"),
        ("- - 3", "3"),
        ("1.50", "1.50"),
        ("007", "7"),
        ("(a or b) or c", "a or b or c"),
        ("a or (b or c)", "a or (b or c)"),
        ("(a and b) or c", "a and b or c"),
        ("a and (b or c)", "a and (b or c)"),
        ("not (a == 1)", "not a == 1"),
        ("(not a) == b", "(not a) == b"),
        ("(a == b) == c", "(a == b) == c"),
        ("(1 + 2) + 3", "1 + 2 + 3"),
        ("1 + (2 + 3)", "1 + (2 + 3)"),
        ("1 - (2 + 3)", "1 - (2 + 3)"),
        ("(1 * 2) + 3", "1 * 2 + 3"),
        ("1 * (2 + 3)", "1 * (2 + 3)"),
        ("a / (b * c)", "a / (b * c)"),
        ("-(a * b)", "-(a * b)"),
        ("(-a) * b", "-a * b"),
        ("a - -1", "a - -1"),
        ("count( where a)", "count(where a)"),
        ("sum( a   where b )", "sum(a where b)"),
        ("f(a,b)", "f(a, b)"),
    ],
)
def test_formatting_is_canonical(written: str, canonical: str) -> None:
    node = parse_expression(written)
    assert format_expression(node) == canonical
    assert parse_expression(canonical) == node


# ----------------------------------------------------------- random ASTs

KEYWORDS = {"and", "or", "not", "in", "contains", "true", "false", "where"}

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
    lambda name: name not in KEYWORDS)

numbers = st.decimals(allow_nan=False, allow_infinity=False).map(n.Number)
strings = st.text(max_size=12).map(n.String)
booleans = st.booleans().map(n.Boolean)
offsets = st.one_of(
    st.none(),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))),
)
dates = st.one_of(
    st.dates(),
    st.builds(lambda moment, tz: moment.replace(tzinfo=tz),
              st.datetimes().map(lambda moment: moment.replace(microsecond=0)), offsets),
).map(n.Date)
paths = st.lists(names, min_size=1, max_size=3).map(lambda parts: n.Path(tuple(parts)))

leaves = st.one_of(numbers, strings, booleans, dates, paths)


def _not_a_number(node: n.Node) -> bool:
    # The parser folds '-<number>' into a negative Number, so Neg never holds one.
    return not isinstance(node, n.Number)


def _extend(children: st.SearchStrategy[n.Node]) -> st.SearchStrategy[n.Node]:
    return st.one_of(
        st.builds(n.ListLit, st.lists(children, max_size=3).map(tuple)),
        st.builds(n.Compare, st.sampled_from(n.COMPARE_OPS), children, children),
        st.builds(n.Arith, st.sampled_from(n.ARITH_OPS), children, children),
        st.builds(n.Neg, children.filter(_not_a_number)),
        st.builds(n.And, children, children),
        st.builds(n.Or, children, children),
        st.builds(n.Not, children),
        st.builds(n.Call, names, st.lists(children, max_size=2).map(tuple),
                  st.none() | children),
    )


expressions = st.recursive(leaves, _extend, max_leaves=12)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(expressions)
def test_random_asts_survive_format_and_parse(node: n.Node) -> None:
    text = format_expression(node)
    reparsed = parse_expression(text)
    assert reparsed == node, text
    # Equality of aware datetimes ignores the offset; the text does not.
    assert format_expression(reparsed) == text


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_numbers_round_trip_exactly(value: Decimal) -> None:
    node = parse_expression(format_expression(n.Number(value)))
    assert isinstance(node, n.Number)
    assert node.value == value
    assert type(node.value) is Decimal


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_strings_round_trip_exactly(value: str) -> None:
    assert parse_expression(format_expression(n.String(value))) == n.String(value)
