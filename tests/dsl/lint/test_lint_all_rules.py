"""The acceptance rulesets: one mistake per rule, each reported once at its marked line
(all_rules.yaml, and all_rules_best_deal.yaml for the rules of ``mode: best_deal``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from dsl.lint import lint_paths
from dsl.lint.report import format_github, format_sarif, format_text
from dsl.lint.rules import BY_CODE
from engine.analysis.invariants import check_invariants  # PR219, PR220 price carts

CASES = Path(__file__).resolve().parents[2] / "cases" / "lint"
ALL_RULES = CASES / "all_rules.yaml"
BEST_DEAL = CASES / "all_rules_best_deal.yaml"
FILES = [ALL_RULES, BEST_DEAL]
SCHEMA = CASES / "sarif-schema-2.1.0.json"


def _marked() -> dict[str, tuple[str, int]]:
    """Code → the file and line marked ``<- CODE`` (each code marked once in all)."""
    out: dict[str, tuple[str, int]] = {}
    for path in FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.search(r"<- (PR2[0-9]{2})", line)
            if match:
                assert match.group(1) not in out, f"{match.group(1)} marked twice"
                out[match.group(1)] = path.name, number
    return out


def test_every_rule_is_seeded_once() -> None:
    assert sorted(_marked()) == sorted(BY_CODE)


def test_sarif_validates_and_holds_each_code_once_at_its_line() -> None:
    log = json.loads(format_sarif(lint_paths(FILES, invariants=check_invariants)))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    results = log["runs"][0]["results"]
    found = {r["ruleId"]: (Path(r["locations"][0]["physicalLocation"]["artifactLocation"]
                                ["uri"]).name,
                           r["locations"][0]["physicalLocation"]["region"]["startLine"])
             for r in results}
    assert len(results) == len(found), "each code once"
    assert found == _marked()
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_github_prints_one_annotation_per_finding() -> None:
    report = lint_paths(FILES, invariants=check_invariants)
    lines = format_github(report).splitlines()
    assert len(lines) == len(report.diagnostics) == len(BY_CODE)
    marked = _marked()
    for line in lines:
        assert line.startswith(("::error file=", "::warning file="))
        code = line.split("title=")[1][:5]
        name, number = marked[code]
        assert f"{name},line={number}," in line


def test_text_headlines_carry_code_and_severity() -> None:
    text = format_text(lint_paths(FILES, invariants=check_invariants))
    assert "Found 9 errors and 23 warnings in 2 files." in text
