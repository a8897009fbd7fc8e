"""-k expressions: words match name or file, ignoring case; not > and > or."""

from __future__ import annotations

import pytest

from engine.ruletests.select import parse_selection

NAMES = ["Socks 3 for 2", "black friday socks", "welcome code", "black friday"]


def _chosen(expression: str, file: str = "rulesets/fashion/tests/carts.yaml") -> list[str]:
    select = parse_selection(expression)
    return [name for name in NAMES if select(name, file)]


@pytest.mark.parametrize("expression, chosen", [
    ("", NAMES),
    ("socks", ["Socks 3 for 2", "black friday socks"]),
    ("SOCKS and not black", ["Socks 3 for 2"]),
    ("welcome or black and not socks", ["welcome code", "black friday"]),
    ("(welcome or black) and not socks", ["welcome code", "black friday"]),
    ("not (welcome or black)", ["Socks 3 for 2"]),
    ('"friday socks" or \'code\'', ["black friday socks", "welcome code"]),
    ("not not socks", ["Socks 3 for 2", "black friday socks"]),
])
def test_expressions(expression: str, chosen: list[str]) -> None:
    assert _chosen(expression) == chosen


def test_words_match_the_file_too() -> None:
    assert _chosen("fashion and welcome") == ["welcome code"]
    assert _chosen("grocery") == []
