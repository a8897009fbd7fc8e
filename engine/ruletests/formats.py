"""A rule-test report as JSON (for scripts) and as JUnit XML (for CI test tabs).

The JUnit XML is the dialect CI systems read (Jenkins, GitLab, Azure DevOps,
GitHub test-report actions) and validates against the Jenkins xUnit plugin's
``junit-10.xsd``: one ``<testsuite>`` per test file (its ``file`` attribute
names it), one ``<testcase>`` per rule test with ``classname`` (the file as a
dotted name), ``name`` and ``time`` in seconds; a failed test holds a
``<failure>`` whose text is the diff ``promo test`` prints, headed by the
test's ``file:line``.  That schema has no ``file`` attribute on a test case, so
the position is in the text.  An invalid test file (or a ruleset or cart it
names) is a test suite with one test case holding an ``<error>`` per
diagnostic, so CI shows it rather than a green run.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from dsl.errors import Diagnostic

from .runner import TestReport, TestResult, describe_differences

JSON_VERSION = 1


def report_dict(report: TestReport) -> dict[str, Any]:
    """The report as JSON data: every test that ran, the errors and the counts."""
    return {
        "version": JSON_VERSION,
        "tests": [_test_dict(r) for r in report.results],
        "errors": [d.to_dict() for d in sorted(report.errors, key=Diagnostic.sort_key)],
        "summary": {"passed": report.passed, "failed": report.failed,
                    "deselected": report.deselected, "errors": len(report.errors),
                    "files": len(report.files), "exit_code": report.exit_code},
    }


def _test_dict(result: TestResult) -> dict[str, Any]:
    test = result.test
    return {
        "name": test.name,
        "file": test.file,
        "line": test.span.line,
        "ruleset": str(test.ruleset_path),
        "passed": result.passed,
        "seconds": round(result.seconds, 6),
        "differences": [{"what": d.what, "expected": d.expected, "actual": d.actual}
                        for d in result.differences],
    }


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _classname(file: str) -> str:
    """``rulesets/fashion/tests/carts.yaml`` → ``rulesets.fashion.tests.carts``: CI
    systems group test cases by the dots of their class name."""
    path = PurePath(file)
    parts = [p for p in path.with_suffix("").parts if p not in ("/", ".", "..")]
    return ".".join(parts)


def junit_xml(report: TestReport) -> str:
    """The report as a JUnit XML document (UTF-8, with its declaration)."""
    root = ET.Element("testsuites", name="promo test")
    by_file: dict[str, list[TestResult]] = {}
    for result in report.results:
        by_file.setdefault(result.test.file, []).append(result)
    errors: dict[str, list[Diagnostic]] = {}
    for diagnostic in sorted(report.errors, key=Diagnostic.sort_key):
        errors.setdefault(diagnostic.span.file if diagnostic.span else "", []).append(diagnostic)
    for file, results in by_file.items():
        _suite(root, file, results, errors.pop(file, []))
    for file, found in errors.items():
        _suite(root, file or "promo test", [], found)
    _count(root, root.findall("testsuite"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _suite(root: ET.Element, file: str, results: list[TestResult],
           errors: list[Diagnostic]) -> None:
    suite = ET.SubElement(root, "testsuite", name=file, file=file)
    classname = _classname(file)
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=classname, name=result.test.name,
                             time=_seconds(result.seconds))
        if not result.passed:
            first = result.differences[0]
            failure = ET.SubElement(case, "failure", type="expectation", message=(
                f"{len(result.differences)} expectation(s) not met; first: {first.what} "
                f"expected {first.expected}, actual {first.actual}"))
            failure.text = "\n".join([f"{result.test.file}:{result.test.span.line}",
                                      *describe_differences(result)]) + "\n"
    if errors:
        case = ET.SubElement(suite, "testcase", classname=classname,
                             name="(the file could not be run)", time=_seconds(0))
        for diagnostic in errors:
            error = ET.SubElement(case, "error", type=diagnostic.code,
                                  message=diagnostic.headline())
            error.text = diagnostic.render() + "\n"
    _count(suite, [suite])


def _count(element: ET.Element, suites: Iterable[ET.Element]) -> None:
    """The ``tests``, ``failures``, ``errors`` and ``time`` attributes of a suite (or of
    the root, over its suites)."""
    cases = [case for suite in suites for case in suite.iter("testcase")]
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    element.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    if element.tag == "testsuite":
        element.set("skipped", "0")
    element.set("time", _seconds(sum(float(c.get("time", "0")) for c in cases)))


def report_schema() -> dict[str, Any]:
    """JSON Schema of ``promo test --format json`` (with ``--coverage`` or without)."""
    from .coverage import KINDS

    text, flag = {"type": "string"}, {"type": "boolean"}
    count = {"type": "integer", "minimum": 0}
    share = {"type": "number", "minimum": 0, "maximum": 100}

    def closed(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False,
                "required": [p for p in properties if p not in optional],
                "properties": properties}

    difference = closed({"what": text, "expected": text, "actual": text})
    test = closed({"name": text, "file": text, "line": count, "ruleset": text,
                   "passed": flag, "seconds": {"type": "number", "minimum": 0},
                   "differences": {"type": "array", "items": difference}})
    diagnostic = closed({"code": text, "severity": {"enum": ["error", "warning", "info"]},
                         "message": text, "file": text, "line": count, "col": count,
                         "end_line": count, "end_col": count, "expr_col": count,
                         "hint": text},
                        optional=("file", "line", "col", "end_line", "end_col", "expr_col",
                                  "hint"))
    summary = closed({"passed": count, "failed": count, "deselected": count, "errors": count,
                      "files": count, "exit_code": {"enum": [0, 1, 2]}})
    seen = closed({"seen": count, "checks": count, "percent": share})
    both = closed({"both_ways": count, "parts": count, "percent": share})
    part = closed({"promotion": text, "field": text, "id": text, "text": text,
                   "line": count, "col": count, "true": flag, "false": flag})
    place = closed({"file": text, "line": count, "col": count, "what": text})
    ruleset = closed({
        "ruleset": text, "tests": count,
        "checks": closed({kind: closed({"seen": count, "total": count}) for kind in KINDS}),
        "conditions": both, "total": seen,
        "uncovered": {"type": "array", "items": place},
        "parts": {"type": "array", "items": part}})
    coverage = closed({"rulesets": {"type": "array", "items": ruleset}, "total": seen,
                       "conditions": both,
                       "fail_under": {"anyOf": [share, {"type": "null"}]}})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://promorules.dev/schemas/test-report.schema.json",
        "title": "promorules rule-test report",
        "description": "The rule tests that ran, their differences, the invalid files and, "
                       "with --coverage, what they exercise (promo test --format json).",
        **closed({"version": {"const": JSON_VERSION},
                  "tests": {"type": "array", "items": test},
                  "errors": {"type": "array", "items": diagnostic},
                  "summary": summary, "coverage": coverage}, optional=("coverage",)),
    }
