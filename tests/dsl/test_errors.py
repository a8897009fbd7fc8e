"""Syntax errors of parse_expression (codes, lines, columns, messages) and how errors render."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from dsl import (
    Diagnostic,
    ExpressionError,
    PromoError,
    RulesetError,
    Severity,
    Span,
    load_ruleset_text,
    parse_expression,
)
from dsl.errors import DiagnosticsError, InputError, attach_source
from dsl.expr.parser import MAX_DEPTH, MAX_LENGTH


def syntax_error(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    return caught.value


# ------------------------------------------------------- PR150 .. PR154


@pytest.mark.parametrize(
    ("text", "code", "line", "col", "message"),
    [
        # PR150: a token where it cannot be
        ("a b", "PR150", 1, 3, "missing operator between two values: found 'b'"),
        ("cart.subtotal 100", "PR150", 1, 15, "missing operator between two values"),
        ('"x" "y"', "PR150", 1, 5, "missing operator between two values"),
        (">= 100", "PR150", 1, 1, "missing value before the operator: found '>='"),
        ("a < b < c", "PR150", 1, 7, "comparisons cannot be chained; join them with 'and'"),
        ("a == b != c", "PR150", 1, 8, "comparisons cannot be chained"),
        ("()", "PR150", 1, 2, "empty parentheses"),
        ("a and ()", "PR150", 1, 8, "empty parentheses"),
        ("a = 1", "PR150", 1, 3, "'=' is not an operator"),
        ("a && b", "PR150", 1, 3, "'&' is not an operator"),
        ("a || b", "PR150", 1, 3, "'|' is not an operator"),
        ("!a", "PR150", 1, 1, "'!' is not an operator"),
        ("a $ b", "PR150", 1, 3, "unexpected character '$'"),
        ("x where y", "PR150", 1, 3, "unexpected 'where'"),
        ("2026-06-01 09:00", "PR150", 1, 12, "unexpected '09'"),
        ("a\nb", "PR150", 2, 1, "missing operator between two values"),
        ("a and\n  b c", "PR150", 2, 5, "'c'"),
        # PR151: the expression is incomplete
        ("", "PR151", 1, 1, "empty expression"),
        ("  \n ", "PR151", 1, 1, "empty expression"),
        ("cart.subtotal >=", "PR151", 1, 15,
         "the expression ends too early: missing value after '>='"),
        ("a ==", "PR151", 1, 3, "missing value after '=='"),
        ("a and", "PR151", 1, 3, "missing value after 'and'"),
        ("a and == b", "PR151", 1, 7, "missing value after 'and': found '=='"),
        ("not", "PR151", 1, 1, "missing value after 'not'"),
        ("-", "PR151", 1, 1, "missing value after '-'"),
        ("a not in", "PR151", 1, 7, "missing value after 'in'"),
        ("a and\n  b >=", "PR151", 2, 5, "missing value after '>='"),
        ("'abc", "PR151", 1, 1, "unterminated string"),
        ('a == "abc', "PR151", 1, 6, "unterminated string"),
        ('a == "x\ny"', "PR151", 1, 6, "unterminated string"),  # strings stay on one line
        # PR152: brackets
        ("(a", "PR152", 1, 1, "unclosed parenthesis"),
        ("[1, 2", "PR152", 1, 1, "unclosed bracket"),
        ("a and\n (b or (c)", "PR152", 2, 2, "unclosed parenthesis"),
        ("a)", "PR152", 1, 2, "unmatched ')'"),
        ("a]", "PR152", 1, 2, "unmatched ']'"),
        ("[a)", "PR152", 1, 3, "'[' closed by ')'"),
        ("f(a]", "PR152", 1, 4, "'(' closed by ']'"),
        # PR154: dates that do not exist
        ("2026-13-01", "PR154", 1, 1, "'2026-13-01' is not a valid date"),
        ("cart.date >= 2026-02-30", "PR154", 1, 14, "'2026-02-30' is not a valid date"),
        ("a and\n  cart.at < 2026-06-01T25:00", "PR154", 2, 13, "is not a valid date and time"),
        ("cart.at < 2026-06-01T09:00+24:00", "PR154", 1, 11, "not a valid date and time"),
    ],
)
def test_syntax_errors(text: str, code: str, line: int, col: int, message: str) -> None:
    err = syntax_error(text)
    assert (err.code, err.span.line, err.span.col) == (code, line, col)
    assert err.span is not None and err.span.file == "<expr>"
    assert message in err.message


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("a = 1", "use '==' to compare"),
        ("a & b", "write 'and'"),
        ("a | b", "write 'or'"),
        ("!a", "write 'not' or '!='"),
        ("'abc", "close it with '"),
        ('"abc', 'close it with "'),
        ("(a", "add the closing ')'"),
        ("[a", "add the closing ']'"),
    ],
)
def test_syntax_error_hints(text: str, hint: str) -> None:
    assert syntax_error(text).hint == hint


def test_brackets_inside_strings_do_not_count() -> None:
    assert parse_expression('x == "(" or y == \'[\' or z == "\\")"')
    assert syntax_error('x == ")" or (y').code == "PR152"


# ------------------------------------------------------------------ PR153


def test_too_long_an_expression() -> None:
    longest = '"' + "x" * (MAX_LENGTH - 2) + '"'
    assert parse_expression(longest)
    err = syntax_error(longest + " ")
    assert (err.code, err.span.line, err.span.col) == ("PR153", 1, 1)
    assert f"the limit is {MAX_LENGTH}" in err.message


def test_brackets_nested_too_deep() -> None:
    assert parse_expression("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == parse_expression("a")
    err = syntax_error("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    # Pointed at the first bracket past the limit.
    assert (err.code, err.span.line, err.span.col) == ("PR153", 1, MAX_DEPTH + 1)
    err = syntax_error("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert (err.code, err.span.col) == ("PR153", MAX_DEPTH + 1)


@pytest.mark.parametrize(
    "text",
    [
        " and ".join(["a"] * 500),
        " or ".join(["a"] * 500),
        "not " * 800 + "a",
        "- " * 1500 + "a",
        " + ".join(["1"] * 1000),
    ],
)
def test_operator_chains_nested_too_deep(text: str) -> None:
    assert len(text) <= MAX_LENGTH
    err = syntax_error(text)
    assert (err.code, err.span.line, err.span.col) == ("PR153", 1, 1)
    assert err.hint and "split" in err.hint


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "a" + ")" * 10_000,
        " and ".join(["a"] * 3_000),
        '"' + "x" * 1_000_000 + '"',
        "[" * 100_000,
    ],
)
def test_hostile_expressions_are_refused_quickly(text: str) -> None:
    start = time.perf_counter()
    err = syntax_error(text)
    assert err.code == "PR153"
    assert time.perf_counter() - start < 1.0


# ------------------------------------------------------------------ render


def test_expression_error_headline() -> None:
    err = syntax_error("cart.subtotal >=")
    assert str(err) == ("<expr>:1:15: PR151 the expression ends too early: missing value "
                        "after '>='")
    # No source line attached: the headline alone.
    assert err.render() == str(err)


def test_render_puts_the_caret_under_the_column() -> None:
    line = "    when: cart.subtotal >= 100 and cart.foo == 1"
    col = line.index("cart.foo") + 1
    diagnostic = Diagnostic("PR170", "unknown field 'foo' of cart",
                            Span("shop.yaml", 11, col, 11, col + len("cart.foo"), expr_col=26),
                            hint="cart has: subtotal, ...", source_line=line + "\n")
    headline, source, caret, hint = diagnostic.render().split("\n")
    assert headline == ("shop.yaml:11:36: PR170 unknown field 'foo' of cart "
                        "(expression column 26)")
    assert source == "  11 | " + line
    assert caret == "     | " + " " * 35 + "^" * 8
    # The caret sits exactly under the first character of the span.
    assert caret.index("^") == source.index("cart.foo")
    assert hint == "     = hint: cart has: subtotal, ..."


def test_render_without_an_end_column_draws_one_caret() -> None:
    diagnostic = Diagnostic("PR101", "bad", Span("f.yaml", 3, 5), source_line="key: [oops")
    assert diagnostic.render().split("\n")[1:] == ["   3 | key: [oops", "     |     ^"]


def test_render_clamps_the_caret_to_the_line() -> None:
    diagnostic = Diagnostic("PR101", "bad", Span("f.yaml", 1, 4, 1, 99), source_line="ab cd")
    assert diagnostic.render().split("\n")[2] == "     |    ^^"
    # A span over several lines marks its first character only.
    diagnostic = Diagnostic("PR101", "bad", Span("f.yaml", 1, 4, 3, 2), source_line="ab cd")
    assert diagnostic.render().split("\n")[2] == "     |    ^"


def test_render_counts_a_tab_as_one_column() -> None:
    diagnostic = Diagnostic("PR101", "bad", Span("f.yaml", 2, 3), source_line="\t\tx: 1")
    _, source, caret = diagnostic.render().split("\n")
    assert source == "   2 |   x: 1"
    assert caret.index("^") == source.index("x")


def test_render_of_a_ruleset_error_shows_the_yaml_line(ruleset_text: Callable[..., str]) -> None:
    text = ruleset_text("  - id: p1\n"
                        "    when: customer.orders == 0 and cart.subtotl > 100\n"
                        "    effect: { percent_off: 10 }\n")
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text, name="shop.yaml")
    rendered = caught.value.render().split("\n")
    assert rendered[0] == ("shop.yaml:11:36: PR170 unknown field 'subtotl' of cart "
                           "(expression column 26)")
    assert rendered[1] == "  11 |     when: customer.orders == 0 and cart.subtotl > 100"
    assert rendered[2].index("^") == rendered[1].index("cart.subtotl")
    assert rendered[2].count("^") == len("cart.subtotl")
    assert rendered[3] == "     = hint: did you mean 'subtotal'?"


# ------------------------------------------------------- the hierarchy


def test_every_error_is_a_promo_error() -> None:
    for cls in (ExpressionError, RulesetError, DiagnosticsError, InputError):
        assert issubclass(cls, PromoError)
    assert ExpressionError.code == "PR150"
    assert InputError.code == "PR300"


def test_diagnostics_error_sorts_and_summarises() -> None:
    late = Diagnostic("PR121", "late", Span("f.yaml", 9, 1))
    early = Diagnostic("PR170", "early", Span("f.yaml", 2, 7))
    nowhere = Diagnostic("PR106", "nowhere")
    err = RulesetError([late, early, nowhere])
    assert [d.message for d in err.diagnostics] == ["nowhere", "early", "late"]
    assert err.code == "PR106"
    assert str(err) == "PR106 nowhere (and 2 more)"
    assert str(RulesetError([early])) == "f.yaml:2:7: PR170 early"
    with pytest.raises(ValueError):
        RulesetError([])


def test_diagnostic_to_dict() -> None:
    d = Diagnostic("PR170", "unknown", Span("f.yaml", 3, 9, 3, 12, expr_col=4),
                   severity=Severity.WARNING, hint="did you mean")
    assert d.to_dict() == {
        "code": "PR170", "severity": "warning", "message": "unknown", "file": "f.yaml",
        "line": 3, "col": 9, "end_line": 3, "end_col": 12, "expr_col": 4,
        "hint": "did you mean",
    }
    assert Diagnostic("PR106", "empty").to_dict() == {
        "code": "PR106", "severity": "error", "message": "empty"}


def test_spans_sort_by_file_line_and_column() -> None:
    spans = [Span("b", 1, 1), Span("a", 2, 1), Span("a", 1, 9), Span("a", 1, 2)]
    assert sorted(spans) == [Span("a", 1, 2), Span("a", 1, 9), Span("a", 2, 1), Span("b", 1, 1)]
    assert str(Span("a.yaml", 4, 2)) == "a.yaml:4:2"
    assert Span("<expr>", 1, 2).shifted("x.yaml") == Span("x.yaml", 1, 2)


def test_severity_rank() -> None:
    assert Severity.INFO.rank < Severity.WARNING.rank < Severity.ERROR.rank


def test_attach_source_fills_in_lines_in_range_only() -> None:
    lines = ["first", "second"]
    inside = Diagnostic("PR1", "m", Span("f", 2, 1))
    outside = Diagnostic("PR1", "m", Span("f", 3, 1))
    filled = attach_source([inside, outside, Diagnostic("PR1", "m")], lines)
    assert [d.source_line for d in filled] == ["second", None, None]
