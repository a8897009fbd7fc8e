"""Positions, diagnostics and the one error hierarchy of promorules.

Every problem the tool reports is a `Diagnostic`: a stable code, a severity,
a message and a `Span` pointing into a source file.  Exceptions carry one or
more diagnostics and render them as ``path:line:col: CODE message`` followed
by the source line and a caret.

Every code is declared once, with its meaning, in ``codes.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field, replace
from enum import Enum
from typing import Any

from .codes import CART_INVALID, EXPRESSION_SYNTAX, UNEXPECTED
from .records import record


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@record(order=True)
class Span:
    """Where something sits in a source file: 1-based lines and columns.

    ``expr_col`` is the 1-based column inside a condition expression when the
    span points into one; ``line``/``col`` then already point at that
    character in the YAML file.
    """

    file: str
    line: int
    col: int
    end_line: int | None = None
    end_col: int | None = None
    expr_col: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, file: str) -> Span:
        return replace(self, file=file)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "line": self.line, "col": self.col}
        if self.end_line is not None:
            data["end_line"] = self.end_line
            data["end_col"] = self.end_col
        if self.expr_col is not None:
            data["expr_col"] = self.expr_col
        return data


@record
class Diagnostic:
    """One finding: a stable code, a message and where it is."""

    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    hint: str | None = None
    source_line: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.col, self.code)

    def headline(self) -> str:
        where = f"{self.span}: " if self.span else ""
        inside = ""
        if self.span is not None and self.span.expr_col is not None:
            inside = f" (expression column {self.span.expr_col})"
        return f"{where}{self.code} {self.message}{inside}"

    def render(self) -> str:
        """The headline, the source line and a caret under the column."""
        out = [self.headline()]
        if self.span is not None and self.source_line is not None:
            line = self.source_line.rstrip("\n").expandtabs(1)
            gutter = f"{self.span.line:>4} | "
            out.append(gutter + line)
            width = 1
            if self.span.end_line == self.span.line and self.span.end_col:
                width = max(1, self.span.end_col - self.span.col)
            width = min(width, max(1, len(line) - self.span.col + 1))
            out.append(" " * (len(gutter) - 2) + "| " + " " * (self.span.col - 1) + "^" * width)
        if self.hint:
            out.append(f"     = hint: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.span is not None:
            data.update(self.span.to_dict())
        if self.hint:
            data["hint"] = self.hint
        return data


class PromoError(Exception):
    """Root of every error promorules raises on purpose."""

    code = UNEXPECTED

    def __init__(self, message: str, span: Span | None = None, *, code: str | None = None,
                 hint: str | None = None, source_line: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        if code is not None:
            self.code = code
        self.source_line = source_line

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [Diagnostic(self.code, self.message, self.span, Severity.ERROR, self.hint,
                           self.source_line)]

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)

    def __str__(self) -> str:
        return self.diagnostics[0].headline()


class DiagnosticsError(PromoError):
    """Several diagnostics at once: what loading a file with mistakes raises."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        items = sorted(diagnostics, key=Diagnostic.sort_key)
        if not items:
            raise ValueError("DiagnosticsError needs at least one diagnostic")
        first = items[0]
        super().__init__(first.message, first.span, code=first.code, hint=first.hint,
                         source_line=first.source_line)
        self._diagnostics = items

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self._diagnostics)

    def __str__(self) -> str:
        more = len(self._diagnostics) - 1
        suffix = f" (and {more} more)" if more else ""
        return self._diagnostics[0].headline() + suffix


class RulesetError(DiagnosticsError):
    """A ruleset that cannot be loaded: holds every diagnostic found."""


class ExpressionError(PromoError):
    """A condition expression that does not parse or does not type-check."""

    code = EXPRESSION_SYNTAX


class InputError(PromoError):
    """Bad input other than a ruleset: a cart, a path, an option."""

    code = CART_INVALID


def attach_source(diagnostics: Iterable[Diagnostic], lines: list[str]) -> list[Diagnostic]:
    """Fill in each diagnostic's source line from the file's lines."""
    out = []
    for d in diagnostics:
        if d.span is not None and d.source_line is None and 0 < d.span.line <= len(lines):
            d = replace(d, source_line=lines[d.span.line - 1])
        out.append(d)
    return out
