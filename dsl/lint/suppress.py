"""Inline suppressions: ``# promo: ignore[PR205, PR216] reason`` in a ruleset.

On a promotion's ``- id:`` line (its first line) or on the line above it,
the comment silences those codes for every finding inside that promotion.
Anywhere else it silences findings on its own line and the line below (for
ruleset-level findings such as ``PR206`` on ``stacking:``).  A suppression
that silences nothing is reported as ``PR200``, except for time-dependent
rules (``PR203``) and rules switched off by the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..codes import ERROR_CODES
from ..errors import Diagnostic, Span
from ..loader import Document
from .rules import BY_CODE, UNUSED_SUPPRESSION

COMMENT = re.compile(r"(?:^|\s)(#\s*promo:\s*ignore\[([^\]]*)\])")


@dataclass
class Suppression:
    """One ``# promo: ignore[...]`` comment and the lines it covers."""

    span: Span
    codes: tuple[str, ...]
    first: int
    last: int
    used: set[str] = field(default_factory=set)

    def covers(self, diagnostic: Diagnostic) -> bool:
        span = diagnostic.span
        return span is not None and diagnostic.code in self.codes and \
            self.first <= span.line <= self.last


def _promotion_lines(doc: Document) -> dict[int, int]:
    """The first line of each promotion → its last line."""
    ranges: dict[int, tuple[int, int]] = {}
    for path, pos in doc.positions.items():
        if len(path) < 2 or path[0] != "promotions" or not isinstance(path[1], int):
            continue
        index = path[1]
        end = pos.value.end_line or pos.value.line
        first, last = ranges.get(index, (pos.value.line, end))
        if len(path) == 2:
            first = pos.value.line
        ranges[index] = (first, max(last, end))
    return {first: last for first, last in ranges.values()}


def find_suppressions(doc: Document) -> list[Suppression]:
    """Every suppression comment of a document, with the lines it covers."""
    source = doc.source
    if "promo:" not in source.text:
        return []
    starts: dict[int, int] | None = None
    found = []
    for number, line in enumerate(source.lines, start=1):
        match = COMMENT.search(line)
        if match is None:
            continue
        if starts is None:
            starts = _promotion_lines(doc)
        codes = tuple(c.strip() for c in match.group(2).split(",") if c.strip())
        span = Span(source.name, number, match.start(1) + 1, number, match.end(1) + 1)
        for first in (number, number + 1):
            if first in starts:
                found.append(Suppression(span, codes, first, starts[first]))
                break
        else:
            found.append(Suppression(span, codes, number, number + 1))
    return found


def apply_suppressions(diagnostics: list[Diagnostic], suppressions: list[Suppression],
                       enabled: Callable[[str], bool]) -> tuple[list[Diagnostic], int]:
    """Drop suppressed rule findings; add ``PR200`` for suppressions that did nothing.

    Returns the findings kept (with the unused-suppression findings) and how many
    were suppressed.
    """
    kept, suppressed = [], 0
    for diagnostic in diagnostics:
        hit = next((s for s in suppressions if diagnostic.code in BY_CODE and
                    s.covers(diagnostic)), None)
        if hit is None:
            kept.append(diagnostic)
        else:
            hit.used.add(diagnostic.code)
            suppressed += 1
    if enabled(UNUSED_SUPPRESSION):
        severity = BY_CODE[UNUSED_SUPPRESSION].severity
        for s in suppressions:
            for code in s.codes:
                rule = BY_CODE.get(code)
                if rule is None:
                    message = f"{code} is a loading error, not a lint rule: it cannot be " \
                              "suppressed" if code in ERROR_CODES else \
                              f"'{code}' is not a lint rule code"
                elif code in s.used or rule.time_dependent or not enabled(code):
                    continue
                else:
                    message = f"the suppression of {code} ({rule.name}) is unused: nothing " \
                              "here is reported by it"
                kept.append(Diagnostic(UNUSED_SUPPRESSION, message, s.span, severity,
                                       "remove it (or the code) from the comment"))
    return kept, suppressed

