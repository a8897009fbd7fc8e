"""Golden cases: tests/cases/lint/PR2xx.yaml hold rulesets and each rule's exact findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from dsl import analyze_source
from dsl.lint import lint_analysis
from dsl.lint.rules import BY_CODE, REGISTRY
from dsl.loader import SourceFile
from engine.analysis.invariants import check_invariants  # PR219, PR220 price carts

CASES = Path(__file__).resolve().parents[2] / "cases" / "lint"
DEFAULT_NOW = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)


def _files() -> list[Path]:
    return sorted(CASES.glob("PR2*.yaml"))


def _cases() -> list[Any]:
    out = []
    for path in _files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            out.append(pytest.param(data, case, id=f"{path.stem}: {case['name']}"))
    return out


@pytest.mark.parametrize(("data", "case"), _cases())
def test_golden_case(data: dict[str, Any], case: dict[str, Any]) -> None:
    code = data["rule"]
    analysis = analyze_source(SourceFile(f"{code}.yaml", case["ruleset"]))
    assert analysis.ok, "\n".join(d.render() for d in analysis.diagnostics)
    now = dt.datetime.fromisoformat(data["now"]) if "now" in data else DEFAULT_NOW
    found = [f"{d.span.line}:{d.span.col} {d.message}"
             for d in lint_analysis(analysis, now=now, invariants=check_invariants)
             if d.code == code and d.span]
    assert found == case["findings"]


def test_every_rule_has_golden_cases_with_and_without_findings() -> None:
    by_file = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
               for path in _files()}
    assert sorted(by_file) == sorted(BY_CODE), "one golden file per rule, named by its code"
    for stem, data in by_file.items():
        assert data["rule"] == stem
        assert any(case["findings"] for case in data["cases"]), f"{stem}: no failing case"
        assert any(not case["findings"] for case in data["cases"]), f"{stem}: no clean case"


def test_golden_findings_carry_the_rule_severity() -> None:
    for rule in REGISTRY:
        data = yaml.safe_load((CASES / f"{rule.code}.yaml").read_text(encoding="utf-8"))
        case = next(c for c in data["cases"] if c["findings"])
        analysis = analyze_source(SourceFile("x.yaml", case["ruleset"]))
        now = dt.datetime.fromisoformat(data["now"]) if "now" in data else DEFAULT_NOW
        found = [d for d in lint_analysis(analysis, now=now, invariants=check_invariants)
                 if d.code == rule.code]
        assert {d.severity for d in found} == {rule.severity}
        assert all(d.hint for d in found), f"{rule.code}: every finding says what to do"
