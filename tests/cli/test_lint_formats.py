"""promo lint: one snapshot per output format, exit codes, options, configuration."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from dsl.lint.report import _escape_data, _escape_property
from dsl.lint.rules import rules_table
from engine.cli import cli

FORMATS = "tests/cases/lint/formats.yaml"
ALL_RULES = "tests/cases/lint/all_rules.yaml"
SNAPSHOTS = Path(__file__).resolve().parents[1] / "cases" / "lint" / "snapshots"
NOW = ["--now", "2026-07-01T00:00:00+02:00"]
EXTENSION = {"text": "txt", "json": "json", "github": "txt", "sarif": "sarif"}


@pytest.fixture(autouse=True)
def _at_root(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)


def _normalise(fmt: str, output: str) -> str:
    if fmt != "sarif":
        return output
    log = json.loads(output)
    driver = log["runs"][0]["tool"]["driver"]
    driver["version"] = "VERSION"
    # The rules' documentation has its own tests; keep the snapshot about the format.
    for rule in driver["rules"]:
        for key in ("fullDescription", "help"):
            if key in rule:
                rule[key] = "..."
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_snapshot(runner: CliRunner, fmt: str) -> None:
    result = runner.invoke(cli, ["lint", "--format", fmt, *NOW, FORMATS])
    assert result.exit_code == 1, result.output
    output = _normalise(fmt, result.stdout)
    snapshot = SNAPSHOTS / f"formats.{fmt}.{EXTENSION[fmt]}"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(output, encoding="utf-8")
    assert output == snapshot.read_text(encoding="utf-8"), \
        f"output changed; if intended: UPDATE_SNAPSHOTS=1 pytest {__file__}"


def test_sarif_of_the_bundled_rulesets_validates(runner: CliRunner, root: Path) -> None:
    result = runner.invoke(cli, ["lint", "--format", "sarif", "--fail-on", "warning", *NOW,
                                 "rulesets", ALL_RULES])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    schema = json.loads((root / "tests/cases/lint/sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]}
    assert uris == {ALL_RULES}
    assert len(log["runs"][0]["artifacts"]) == 6


def test_github_annotations_escape_what_workflow_commands_need() -> None:
    assert _escape_data("50% off\nnow") == "50%25 off%0Anow"
    assert _escape_property("a:b,c") == "a%3Ab%2Cc"


@pytest.mark.parametrize(("args", "code"), [
    (["rulesets"], 0),                                      # suppressed or none
    (["--fail-on", "warning", "rulesets"], 0),
    ([ALL_RULES], 1),                                       # errors
    (["--select", "PR203", ALL_RULES], 0),                  # a warning only
    (["--select", "PR203", "--fail-on", "warning", ALL_RULES], 1),
    (["--ignore", "PR2", ALL_RULES], 0),
    (["--select", "pr20,PR21", "--ignore", "PR202,PR204,PR208,PR211,PR212,PR217,PR219",
      ALL_RULES], 0),
])
def test_exit_codes(runner: CliRunner, args: list[str], code: int) -> None:
    result = runner.invoke(cli, ["lint", *NOW, *args])
    assert result.exit_code == code, result.output


@pytest.mark.parametrize(("args", "message"), [
    (["nope/"], "PR500 no such file or directory"),
    (["--select", "PR105", FORMATS], "PR501 --select: 'PR105' names no lint rule"),
    (["--ignore", "W291", FORMATS], "PR501 --ignore: 'W291' names no lint rule"),
    (["--now", "yesterday", FORMATS], "PR501 --now: 'yesterday' is not an ISO-8601"),
    (["--explain", "PR999"], "PR501 --explain: 'PR999' is not a lint rule code"),
    (["--format", "xml", FORMATS], "Invalid value for '--format'"),
    (["--fail-on", "info", FORMATS], "Invalid value for '--fail-on'"),
])
def test_usage_errors_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["lint", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_configuration_from_pyproject(runner: CliRunner, tmp_path: Path, root: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.promorules.lint]\nignore = ["PR208"]\nfail-on = "warning"\n'
        'severity = { PR203 = "info" }\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    target = str(root / FORMATS)
    result = runner.invoke(cli, ["lint", "--format", "json", *NOW, target])
    data = json.loads(result.stdout)
    assert [(d["code"], d["severity"]) for d in data["diagnostics"]] == [
        ("PR203", "info"), ("PR205", "warning")]
    assert result.exit_code == 1                        # fail-on = "warning"
    result = runner.invoke(cli, ["lint", "--fail-on", "error", *NOW, target])
    assert result.exit_code == 0
    assert "Found 0 errors and 1 warning, 1 note in 1 file. (1 suppressed)" in result.output


def test_explicit_config_file_and_bad_config(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "lint.toml"
    good.write_text('[tool.promorules.lint]\nselect = ["PR208"]\n', encoding="utf-8")
    result = runner.invoke(cli, ["lint", "--config", str(good), "--format", "json", FORMATS])
    assert [d["code"] for d in json.loads(result.stdout)["diagnostics"]] == ["PR208"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[tool.promorules.lint]\nselect = ["PR208"]\nfial-on = "warning"\n',
                   encoding="utf-8")
    result = runner.invoke(cli, ["lint", "--config", str(bad), FORMATS])
    assert result.exit_code == 2
    assert f"{bad}:3:1: PR502 unknown setting 'fial-on'" in result.output


def test_explain_and_list_rules(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["lint", "--explain", "pr210"])
    assert result.exit_code == 0
    assert result.output.startswith("PR210 shadowed-by-exclusive (default severity: warning)")
    assert "Why it costs money" in result.output
    result = runner.invoke(cli, ["lint", "--list-rules"])
    assert result.exit_code == 0 and result.output == rules_table()
