"""Lint output formats: ``text`` for people, ``json`` for tools."""

from __future__ import annotations

import json
from itertools import groupby

from ..errors import Diagnostic, Severity
from . import LintReport


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def format_text(report: LintReport) -> str:
    """Grouped by file: each finding rendered with its source line and caret."""
    out: list[str] = []
    key = lambda d: d.span.file if d.span else ""
    for _, items in groupby(report.diagnostics, key=key):
        for diagnostic in items:
            out.append(_render(diagnostic))
        out.append("")
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    files = _plural(len(report.files), "file")
    if errors or warnings:
        out.append(f"Found {_plural(errors, 'error')} and {_plural(warnings, 'warning')} "
                   f"in {files}.")
    else:
        out.append(f"All clean: {files} checked.")
    return "\n".join(out) + "\n"


def _render(diagnostic: Diagnostic) -> str:
    return diagnostic.render()


def format_json(report: LintReport) -> str:
    data = {
        "files": report.files,
        "diagnostics": [d.to_dict() for d in report.diagnostics],
        "summary": {s.value: report.count(s) for s in Severity},
    }
    return json.dumps(data, indent=2) + "\n"


def format_report(report: LintReport, fmt: str) -> str:
    return {"text": format_text, "json": format_json}[fmt](report)
