"""Positions, diagnostics and the one error hierarchy of promorules.

Every problem the tool reports is a `Diagnostic`: a stable code, a severity,
a message and a `Span` pointing into a source file.  Exceptions carry one or
more diagnostics and render them as ``path:line:col: CODE message`` followed
by the source line and a caret.

Code ranges (stable; a code is never reused for another meaning):

* ``PR1xx`` ruleset loading: files and YAML (100-119), the document model
  (120-149), expressions: syntax (150-169) and names and types (170-199)
* ``PR2xx`` semantic lint rules
* ``PR3xx`` cart snapshots and evaluation input
* ``PR4xx`` the usage store
* ``PR5xx`` command line usage and configuration
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True, order=True)
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


@dataclass(frozen=True)
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

    code = "PR000"

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

    code = "PR150"


class InputError(PromoError):
    """Bad input other than a ruleset: a cart, a path, an option."""

    code = "PR300"


def attach_source(diagnostics: Iterable[Diagnostic], lines: list[str]) -> list[Diagnostic]:
    """Fill in each diagnostic's source line from the file's lines."""
    out = []
    for d in diagnostics:
        if d.span is not None and d.source_line is None and 0 < d.span.line <= len(lines):
            d = replace(d, source_line=lines[d.span.line - 1])
        out.append(d)
    return out


ERROR_CODES: dict[str, str] = {
    "PR100": "a file cannot be read",
    "PR101": "YAML syntax error, a bad alias, a merge key or a non-scalar key",
    "PR102": "a YAML tag that is not allowed (e.g. !!python/object): nothing in a ruleset runs",
    "PR103": "a duplicate mapping key",
    "PR104": "a file too large, too many nodes (alias bomb) or nested too deep",
    "PR105": "money written as a bare float (9.99) instead of a quoted decimal (\"9.99\")",
    "PR106": "not exactly one YAML document (empty file, or several)",
    "PR107": "the document is not a mapping",
    "PR120": "a required field is missing",
    "PR121": "an unknown field (with a did-you-mean hint)",
    "PR122": "an invalid value (type, range, choice)",
    "PR123": "an amount with more decimals than the currency allows",
    "PR124": "an unknown currency (not ISO 4217)",
    "PR125": "an unknown timezone (not an IANA name)",
    "PR126": "an active window that ends before or when it starts",
    "PR127": "an effect with no or several discount kinds",
    "PR129": "coupon fields that contradict each other",
    "PR150": "expression syntax error",
    "PR151": "an incomplete expression (ends too early, unterminated string, empty)",
    "PR152": "unbalanced parentheses or brackets",
    "PR153": "an expression too long or nested too deep",
    "PR154": "an invalid date or datetime literal",
    "PR170": "an unknown name or field",
    "PR171": "a type mismatch",
    "PR172": "item.* used where there is no line, or functions over lines nested",
    "PR173": "an unknown function",
    "PR174": "a function called with the wrong number of arguments or a misplaced 'where'",
    "PR300": "an invalid cart value",
    "PR301": "a required cart field is missing",
    "PR302": "an unknown cart field",
    "PR303": "a price sent as a bare number instead of a decimal string",
    "PR304": "a price with more decimals than the currency allows",
    "PR305": "an unknown cart currency, or one that differs from the ruleset's",
    "PR306": "a duplicate line id",
    "PR307": "a cart file cannot be read",
    "PR400": "the usage store cannot do what was asked",
    "PR401": "not a usage store: corrupt or not SQLite",
    "PR402": "the usage store is read-only or missing where it must exist",
    "PR403": "the usage store stayed locked past the busy timeout",
    "PR404": "the usage store was written by a newer promorules",
    "PR410": "a usage limit or budget would be exceeded: nothing was reserved",
    "PR411": "the order reference is already reserved with other content",
    "PR412": "an illegal transition of a reservation",
    "PR413": "no reservation has this order reference",
    "PR415": "a per-customer limit on a guest cart",
    "PR500": "a path given on the command line does not exist",
    "PR501": "an invalid command-line value",
    "PR502": "an invalid [tool.promorules.lint] configuration in pyproject.toml",
    "PR510": "an invalid rule test file (structure, amounts, reason codes, duplicate names)",
    "PR511": "a ruleset or cart named by a rule test does not exist",
}
"""Every error code and what it means. Codes are stable: never reused or renumbered."""
