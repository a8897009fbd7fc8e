"""promo test --format json|junit and -k: reports for scripts and CI, tests chosen by name.

The JUnit XML is validated against the Jenkins xUnit plugin's junit-10.xsd
(tests/ruletests/junit-10.xsd), the schema CI systems' JUnit readers follow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from engine.cli import cli

from .conftest import fashion_shop

XSD = Path(__file__).resolve().parents[1] / "ruletests" / "junit-10.xsd"

FAILING = """\
# a comment
- name: showcase
  cart: ../carts/example.yaml
  expect:
    total: "179.30"
    applied: [summer-swim-30, vip-15, free-shipping-75]
- name: still fine
  cart: ../carts/example.yaml
  expect: { total_discount: "64.11" }
"""


def _valid_junit(text: str) -> etree._Element:
    """The document, after the schema accepted it."""
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(text.encode("utf-8"))
    schema.assertValid(document)
    return document


def test_junit_of_the_bundled_tests_is_valid(runner: CliRunner, root: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["test", "--format", "junit"])
    assert result.exit_code == 0
    document = _valid_junit(result.output)
    suites = document.findall("testsuite")
    assert sorted(s.get("name") for s in suites) == [
        f"rulesets/{shop}/tests/carts.yaml" for shop in
        ("fashion", "grocery", "japan", "marketplace", "outlet")]
    cases = document.findall("testsuite/testcase")
    assert document.get("tests") == str(len(cases)) and len(cases) >= 23
    assert document.get("failures") == "0" and document.get("errors") == "0"
    fashion = next(s for s in suites if "fashion" in s.get("name"))
    assert fashion.get("file") == "rulesets/fashion/tests/carts.yaml"
    first = fashion.find("testcase")
    assert first.get("classname") == "rulesets.fashion.tests.carts"
    assert first.get("name") == "showcase - summer sale, VIP and basics, free shipping"
    assert re.fullmatch(r"\d+\.\d{3}", first.get("time"))


def test_junit_failure_holds_the_diff(runner: CliRunner, tmp_path: Path, root: Path) -> None:
    shop = fashion_shop(tmp_path, FAILING)
    result = runner.invoke(cli, ["test", str(shop), "--format", "junit"])
    assert result.exit_code == 1
    document = _valid_junit(result.output)
    suite = document.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    failed, passed = suite.findall("testcase")
    assert passed.find("failure") is None
    failure = failed.find("failure")
    assert failure.get("message") == \
        "2 expectation(s) not met; first: total expected 179.30, actual 179.29"
    where = shop / "tests" / "carts.yaml"
    assert failure.text == f"""\
{where}:2
    total    expected 179.30, actual 179.29
    applied  expected [summer-swim-30, vip-15, free-shipping-75]
             actual   [summer-swim-30, vip-15, basics-tee-12, free-shipping-75]
             + basics-tee-12  (applied, not expected)
"""


def test_junit_reports_invalid_files_as_errors(runner: CliRunner, tmp_path: Path,
                                               root: Path) -> None:
    shop = fashion_shop(tmp_path, """\
- name: bare float
  cart: ../carts/example.yaml
  expect: { total: 179.29 }
""")
    result = runner.invoke(cli, ["test", str(shop), "--format", "junit"])
    assert result.exit_code == 2
    document = _valid_junit(result.output)
    assert document.get("errors") == "1" and document.get("tests") == "1"
    error = document.find("testsuite/testcase/error")
    assert error.get("type") == "PR510"
    assert "amount 179.29 is written as a bare number" in error.get("message")
    assert "   3 |   expect: { total: 179.29 }" in error.text


def test_json_report(runner: CliRunner, tmp_path: Path, root: Path) -> None:
    shop = fashion_shop(tmp_path, FAILING)
    result = runner.invoke(cli, ["test", str(shop), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    where = str(shop / "tests" / "carts.yaml")
    assert data["version"] == 1
    assert data["summary"] == {"passed": 1, "failed": 1, "deselected": 0, "errors": 0,
                               "files": 1, "exit_code": 1}
    first = data["tests"][0]
    assert {k: first[k] for k in ("name", "file", "line", "passed")} == \
        {"name": "showcase", "file": where, "line": 2, "passed": False}
    assert first["differences"][0] == {"what": "total", "expected": "179.30",
                                       "actual": "179.29"}
    assert data["tests"][1]["passed"] is True and data["tests"][1]["differences"] == []
    assert data["errors"] == []


def test_k_selects_by_name_and_file(runner: CliRunner, root: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["test", "-k", 'fashion and not "black friday" and '
                                 "(socks or 'new customer')"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split("  (")[0] for line in lines[:-1]] == [
        "PASS socks 3 for 2 - pooled across lines, exclusive",
        "PASS welcome new customer - sloppy code, one coupon per order",
        "PASS vip small order - two codes for new customers, no free shipping"]
    match = re.fullmatch(r"3 passed, 0 failed, (\d+) deselected", lines[-1])
    assert match and int(match.group(1)) >= 21
    none = runner.invoke(cli, ["test", "-k", "\"no such test\""])
    assert none.exit_code == 0 and none.output.endswith("0 passed, 0 failed, "
                                                        f"{int(match.group(1)) + 3} deselected\n")


@pytest.mark.parametrize("expression, problem", [
    ("socks or (", "a word is missing at the end"),
    ("(socks", "a parenthesis is not closed"),
    ("socks)", "unexpected ')'"),
    ("and socks", "unexpected 'and'"),
    ('"socks', "unclosed quote"),
])
def test_a_bad_k_expression_is_a_usage_error(runner: CliRunner, root: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             expression: str, problem: str) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["test", "-k", expression])
    assert result.exit_code == 2
    assert result.output.startswith(f"PR501 -k: {problem}")
    assert "Traceback" not in result.output


def test_json_reports_follow_the_published_schema(runner: CliRunner, tmp_path: Path,
                                                  root: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((root / "schemas" / "test-report.schema.json").read_text())
    validator = Draft202012Validator(schema)
    failing = fashion_shop(tmp_path / "a", FAILING)
    invalid = fashion_shop(tmp_path / "b", '- name: x\n  cart: ../carts/example.yaml\n'
                    '  expect: { total: 1.5 }\n')
    runs = [["test", str(failing), "--format", "json"],
            ["test", str(invalid), "--format", "json"],
            ["test", str(failing), "--format", "json", "--coverage", "--fail-under", "95"]]
    for arguments in runs:
        data = json.loads(runner.invoke(cli, arguments).output)
        validator.validate(data)
    assert data["coverage"]["fail_under"] == 95 and data["coverage"]["rulesets"][0]["parts"]
    monkeypatch.chdir(root)
    bundled = json.loads(runner.invoke(cli, ["test", "--format", "json", "--coverage"]).output)
    validator.validate(bundled)
    assert {r["ruleset"] for r in bundled["coverage"]["rulesets"]} == {
        f"rulesets/{shop}/ruleset.yaml" for shop in ("fashion", "grocery", "japan",
                                                     "marketplace", "outlet")}
