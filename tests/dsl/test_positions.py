"""Expressions inside YAML: a diagnostic points at the YAML line and column of the character
the expression error names, whatever the scalar style, and keeps the column inside the
expression as ``expr_col``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dsl import Diagnostic, analyze_source
from dsl.loader import SourceFile

Build = Callable[..., str]


def diagnostics(text: str) -> list[Diagnostic]:
    return analyze_source(SourceFile("shop.yaml", text)).diagnostics


def promotion(*lines: str) -> str:
    """Promotion p1 (line 10) with the given lines from line 11 on, then its effect."""
    return "  - id: p1\n" + "".join(line + "\n" for line in lines) + \
        "    effect: { percent_off: 10 }\n"


def char_at(text: str, line: int, col: int) -> str:
    return text.split("\n")[line - 1][col - 1:]


# Each case: the YAML lines of the condition, then (line, col, expr_line_col) of the
# diagnostic for 'cart.foo' (PR170), which every case contains.
STYLES = [
    pytest.param(["    when: cart.subtotal >= 100 and cart.foo == 1"], (11, 36, 26), id="plain"),
    pytest.param(['    when: "cart.subtotal >= 100 and cart.foo == 1"'], (11, 37, 26),
                 id="double-quoted"),
    pytest.param(["    when: 'cart.subtotal >= 100 and cart.foo == 1'"], (11, 37, 26),
                 id="single-quoted"),
    pytest.param(['    when: "customer.segments contains \\"vip\\" and cart.foo == 1"'],
                 (11, 51, 38), id="double-quoted-escaped-quotes"),
    pytest.param(["    when: 'customer.segments contains ''vip'' and cart.foo == 1'"],
                 (11, 51, 38), id="single-quoted-doubled-quotes"),
    pytest.param(['    when: "customer.segments contains \\"\\u00e9\\" and cart.foo == 1"'],
                 (11, 54, 36), id="double-quoted-unicode-escape"),
    pytest.param(['    when: "cart.subtotal >= 100\\tand cart.foo == 1"'], (11, 38, 26),
                 id="double-quoted-tab-escape"),
    pytest.param(['    when: "cart.subtotal >= 100 and \\',
                  '      cart.foo == 1"'], (12, 7, 26), id="double-quoted-line-continuation"),
    pytest.param(["    when: 'cart.subtotal >= 100",
                  "      and cart.foo == 1'"], (12, 11, 26), id="single-quoted-folded"),
    pytest.param(["    when: cart.subtotal >= 100",
                  "      and cart.foo == 1"], (12, 11, 26), id="plain-multi-line"),
    pytest.param(["    when:",
                  "      cart.foo == 1"], (12, 7, 1), id="plain-on-the-next-line"),
    pytest.param(["    when: cart.foo == 1  # cart.foo is not a field"], (11, 11, 1),
                 id="plain-with-comment"),
    pytest.param(["    when: |",
                  "      cart.subtotal >= 100",
                  "        and cart.foo == 1"], (13, 13, 7), id="literal-block"),
    pytest.param(["    when: |-", "", "      cart.subtotal >= 100",
                  "        and cart.foo == 1"], (14, 13, 7), id="literal-block-blank-first"),
    pytest.param(["    when: >",
                  "      cart.subtotal >= 100",
                  "        and cart.foo == 1"], (13, 13, 7), id="folded-block-more-indented"),
    pytest.param(["    when: >-",
                  "      cart.subtotal >= 100",
                  "      and cart.foo == 1"], (13, 11, 26), id="folded-block"),
    pytest.param(["    when: |2", "        cart.foo == 1"], (12, 9, 3),
                 id="block-indentation-indicator"),
]


@pytest.mark.parametrize(("lines", "where"), STYLES)
def test_expression_errors_point_into_the_yaml(lines: list[str], where: tuple[int, int, int],
                                               ruleset_text: Build) -> None:
    text = ruleset_text(promotion(*lines))
    (diagnostic,) = diagnostics(text)
    assert diagnostic.code == "PR170"
    span = diagnostic.span
    assert span is not None
    assert (span.line, span.col, span.expr_col) == where
    assert span.file == "shop.yaml"
    # The YAML column is exactly where 'cart.foo' is written ...
    assert char_at(text, span.line, span.col).startswith("cart.foo")
    # ... and the caret is drawn under it.
    rendered = diagnostic.render().split("\n")
    assert rendered[1].endswith(text.split("\n")[span.line - 1])
    assert rendered[2].index("^") == rendered[1].index("|") + 2 + span.col - 1


def test_flow_mapping(ruleset_text: Build) -> None:
    text = ruleset_text('  - { id: p1, when: "cart.foo == 1", effect: { percent_off: 10 } }\n')
    (diagnostic,) = diagnostics(text)
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.col, diagnostic.span.expr_col) == (10, 22, 1)


def test_windows_line_endings(ruleset_text: Build) -> None:
    text = ruleset_text(promotion("    when: cart.subtotal >= 100 and cart.foo == 1"))
    (diagnostic,) = diagnostics(text.replace("\n", "\r\n"))
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.col) == (11, 36)


@pytest.mark.parametrize(
    ("lines", "code", "where", "written"),
    [
        (["    when: cart.subtotal >="], "PR151", (11, 25, 15), ">="),
        (['    when: "cart.subtotal >= 100 and (cart.quantity > 2"'], "PR152", (11, 37, 26),
         "(cart.quantity"),
        (["    when: |", "      cart.subtotal >= 100 and", "        (cart.quantity > 2"],
         "PR152", (13, 9, 3), "(cart.quantity"),
        (["    when: cart.subtotal = 100"], "PR150", (11, 25, 15), "= 100"),
        (["    when: cart.date >= 2026-02-30"], "PR154", (11, 24, 14), "2026-02-30"),
        (['    when: cart.subtotal > "abc"'], "PR171", (11, 11, 1), "cart.subtotal"),
        (["    when: item.total > 10"], "PR172", (11, 11, 1), "item.total"),
        (["    when: cuont(item.total > 1) > 1"], "PR173", (11, 11, 1), "cuont("),
        (["    when: cart.quantity > 1 and any()"], "PR174", (11, 33, 23), "any()"),
        (['    target: item.category == "shoes" and item.seler != "x"'], "PR170",
         (11, 42, 30), "item.seler"),
    ],
)
def test_every_kind_of_expression_error_is_positioned(
        lines: list[str], code: str, where: tuple[int, int, int], written: str,
        ruleset_text: Build) -> None:
    text = ruleset_text(promotion(*lines))
    (diagnostic,) = diagnostics(text)
    assert diagnostic.code == code
    span = diagnostic.span
    assert span is not None
    assert (span.line, span.col, span.expr_col) == where
    assert char_at(text, span.line, span.col).startswith(written)


def test_get_target_is_an_item_condition(ruleset_text: Build) -> None:
    text = ruleset_text(
        "  - id: p1\n"
        "    effect:\n"
        "      buy: 2\n"
        "      get: 1\n"
        "      get_target: item.tags contains \"basic\" and item.colour == \"red\"\n")
    (diagnostic,) = diagnostics(text)
    assert diagnostic.code == "PR170"
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.col, diagnostic.span.expr_col) == (14, 50, 32)


def test_the_caret_spans_the_offending_name(ruleset_text: Build) -> None:
    text = ruleset_text(promotion("    when: customer.orders == 0 and cart.subtotl > 100"))
    (diagnostic,) = diagnostics(text)
    assert diagnostic.span is not None
    assert diagnostic.span.end_col is not None
    assert diagnostic.span.end_col - diagnostic.span.col == len("cart.subtotl")
    assert diagnostic.render().split("\n")[2].count("^") == len("cart.subtotl")


def test_errors_in_several_conditions_are_all_positioned(ruleset_text: Build) -> None:
    text = ruleset_text(
        promotion("    when: cart.foo == 1", "    target: item.bar == 2 and cart.baz == 3"))
    found = [(d.code, d.span.line, d.span.col, d.span.expr_col)
             for d in diagnostics(text) if d.span]
    assert found == [("PR170", 11, 11, 1), ("PR170", 12, 13, 1), ("PR170", 12, 31, 19)]
