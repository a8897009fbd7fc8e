"""Lint output formats: ``text`` for people, ``json`` for tools, ``github`` for
workflow annotations, ``sarif`` (2.1.0) for code-scanning dashboards.

Each is a pure function of the ``LintReport``: same report, same bytes.
"""

from __future__ import annotations

import hashlib
import json
from itertools import groupby
from pathlib import Path, PurePath
from typing import Any

from ..codes import ERROR_CODES
from ..errors import Diagnostic, Severity
from .results import LintReport

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/" \
               "sarif-schema-2.1.0.json"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _file(diagnostic: Diagnostic) -> str:
    return diagnostic.span.file if diagnostic.span else ""


# -------------------------------------------------------------------- text


def headline(diagnostic: Diagnostic) -> str:
    """``path:line:col: CODE [severity] message`` (and the expression column)."""
    where = f"{diagnostic.span}: " if diagnostic.span else ""
    inside = ""
    if diagnostic.span is not None and diagnostic.span.expr_col is not None:
        inside = f" (expression column {diagnostic.span.expr_col})"
    return f"{where}{diagnostic.code} [{diagnostic.severity.value}] {diagnostic.message}{inside}"


def render(diagnostic: Diagnostic) -> str:
    """The headline, the source line with a caret under the column, the hint."""
    lines = diagnostic.render().split("\n")
    lines[0] = headline(diagnostic)
    return "\n".join(lines)


def summary(report: LintReport) -> str:
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    infos = report.count(Severity.INFO)
    files = _plural(len(report.files), "file")
    extra = f", {_plural(infos, 'note')}" if infos else ""
    hidden = f" ({report.suppressed} suppressed)" if report.suppressed else ""
    if errors or warnings or infos:
        return (f"Found {_plural(errors, 'error')} and {_plural(warnings, 'warning')}{extra} "
                f"in {files}.{hidden}")
    return f"All clean: {files} checked.{hidden}"


def format_text(report: LintReport) -> str:
    """Grouped by file: each finding rendered with its source line and caret."""
    out: list[str] = []
    for _, items in groupby(report.diagnostics, key=_file):
        for diagnostic in items:
            out.append(render(diagnostic))
        out.append("")
    out.append(summary(report))
    return "\n".join(out) + "\n"


# -------------------------------------------------------------------- json


def format_json(report: LintReport) -> str:
    summary_: dict[str, int] = {s.value: report.count(s) for s in Severity}
    summary_["suppressed"] = report.suppressed
    data = {
        "files": report.files,
        "diagnostics": [d.to_dict() for d in report.diagnostics],
        "summary": summary_,
    }
    return json.dumps(data, indent=2) + "\n"


# ------------------------------------------------------------------ github


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def format_github(report: LintReport) -> str:
    """One workflow command per finding: ``::error file=…,line=…,col=…,title=CODE::message``."""
    out = []
    for d in report.diagnostics:
        props = []
        if d.span is not None:
            props += [f"file={_escape_property(_uri(d.span.file))}", f"line={d.span.line}",
                      f"col={d.span.col}"]
            if d.span.end_line is not None and d.span.end_col is not None:
                props += [f"endLine={d.span.end_line}", f"endColumn={d.span.end_col}"]
        props.append(f"title={_escape_property(d.code)}")
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        out.append(f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{_escape_data(message)}")
    return "".join(line + "\n" for line in out)


# ------------------------------------------------------------------- sarif


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(file: str) -> str:
    """A file as a SARIF / GitHub path: relative to the working directory, with slashes."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_uri()
    return PurePath(path).as_posix()


def _tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("promorules")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "0"


def _descriptor(code: str) -> dict[str, Any]:
    from .rules import BY_CODE  # (here: the other formats need no rule's documentation)

    rule = BY_CODE.get(code)
    if rule is not None:
        return {
            "id": code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": _finds(rule.doc)},
            "help": {"text": rule.doc, "markdown": rule.doc},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            "properties": {"tags": ["promorules", "lint"]},
        }
    meaning = ERROR_CODES.get(code, "a ruleset error")
    return {
        "id": code,
        "shortDescription": {"text": meaning},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["promorules", "load"]},
    }


def _finds(doc: str) -> str:
    """The "What it finds" paragraph of a rule's documentation (or its summary)."""
    for paragraph in doc.split("\n\n"):
        if paragraph.startswith("What it finds"):
            return " ".join(paragraph.split())
    return " ".join(doc.split("\n\n", 1)[0].split())


def _fingerprint(d: Diagnostic) -> str:
    line = (d.source_line or "").strip()
    text = f"{d.code}\0{_uri(_file(d))}\0{line}\0{d.message}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def sarif_log(report: LintReport) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict ready for ``json.dumps``)."""
    from .rules import BY_CODE

    codes = sorted({d.code for d in report.diagnostics} | set(BY_CODE))
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for d in report.diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message + (f" (hint: {d.hint})" if d.hint else "")},
        }
        if d.span is not None:
            region: dict[str, Any] = {"startLine": d.span.line, "startColumn": d.span.col}
            if d.span.end_line is not None and d.span.end_col is not None:
                region["endLine"] = d.span.end_line
                region["endColumn"] = d.span.end_col
            if d.source_line is not None:
                region["snippet"] = {"text": d.source_line}
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(d.span.file)},
                "region": region,
            }}]
        result["partialFingerprints"] = {"promorules/v1": _fingerprint(d)}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "promorules",
                "version": _tool_version(),
                "rules": [_descriptor(code) for code in codes],
            }},
            "columnKind": "unicodeCodePoints",
            "artifacts": [{"location": {"uri": _uri(f)}} for f in report.files],
            "results": results,
        }],
    }


def format_sarif(report: LintReport) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


def format_report(report: LintReport, fmt: str) -> str:
    return {"text": format_text, "json": format_json, "github": format_github,
            "sarif": format_sarif}[fmt](report)
