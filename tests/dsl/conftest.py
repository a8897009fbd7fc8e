"""Shared helpers for the DSL tests: a minimal valid ruleset and a diagnostics shortcut."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dsl import analyze_source
from dsl.loader import SourceFile

# Nine header lines: the first promotion starts on line 10.
HEADER = """\
ruleset: test
dsl: 1
currency: USD
timezone: Europe/Berlin
stacking:
  coupons_per_order: 1
  coupon_with_automatic: true
  base: discounted
promotions:
"""

ONE_PROMOTION = """\
  - id: p1
    effect: { percent_off: 10 }
"""

Found = list[tuple[str, int, int]]


def found(text: str, name: str = "x.yaml") -> Found:
    """(code, line, col) of every diagnostic ``analyze_source`` reports for ``text``."""
    analysis = analyze_source(SourceFile(name, text))
    return [(d.code, d.span.line, d.span.col) for d in analysis.diagnostics if d.span]


@pytest.fixture
def header() -> str:
    return HEADER


@pytest.fixture
def ruleset_text() -> Callable[..., str]:
    """Build a ruleset: the header (with ``{old: new}`` replacements) and the promotions."""

    def build(promotions: str = ONE_PROMOTION, replace: dict[str, str] | None = None) -> str:
        text = HEADER
        for old, new in (replace or {}).items():
            assert old in text, old
            text = text.replace(old, new)
        return text + promotions

    return build


@pytest.fixture
def diagnose() -> Callable[..., Found]:
    return found
