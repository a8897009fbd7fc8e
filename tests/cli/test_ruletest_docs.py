"""The README's "Rule tests" section shows the real output of promo test."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.ruletests import run_tests
from engine.ruletests.coverage import Coverage

_TIME = re.compile(r'time="[0-9.]+"')


def _shown(readme: str, command: str) -> tuple[list[str], str]:
    """The arguments of the ``$ promo …`` line that starts with ``command`` (its comment
    dropped) and the output the README shows under it."""
    start = readme.index(f"$ {command}")
    line_end = readme.index("\n", start)
    arguments = shlex.split(readme[start + 2:line_end], comments=True)
    assert arguments[0] == "promo"
    return arguments[1:], readme[line_end + 1:readme.index("```", line_end)]


@pytest.fixture
def readme(root: Path) -> str:
    return (root / "README.md").read_text(encoding="utf-8")


@pytest.fixture
def wrong_edits(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fashion ruleset with the README's three wrong edits to the black
    friday test; the working directory is its parent, so paths read as in the README."""
    shutil.copytree(root / "rulesets" / "fashion", tmp_path / "rulesets" / "fashion")
    tests = tmp_path / "rulesets" / "fashion" / "tests" / "carts.yaml"
    text = tests.read_text(encoding="utf-8")
    black = text.index("- name: black friday")
    head, body = text[:black], text[black:]
    body = body.replace('total: "271.21"', 'total: "271.20"', 1)
    body = body.replace("applied: [black-friday-30]\n",
                        "applied: [black-friday-30, free-shipping-75]\n", 1)
    body = body.replace("student-10: conditions_not_met", "student-10: group_taken", 1)
    tests.write_text(head + body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tests


def test_failing_test_output(readme: str, wrong_edits: Path) -> None:
    arguments, shown = _shown(readme, "promo test rulesets/fashion        # after three")
    assert CliRunner().invoke(cli, arguments).output == shown


def test_junit_output(readme: str, wrong_edits: Path) -> None:
    arguments, shown = _shown(readme, "promo test rulesets/fashion -k black --format junit")
    real = CliRunner().invoke(cli, arguments).output
    assert _TIME.sub('time=""', real) == _TIME.sub('time=""', shown)


def test_update_output(readme: str, wrong_edits: Path) -> None:
    arguments, shown = _shown(readme, "promo test rulesets/fashion -k black --update")
    assert CliRunner().invoke(cli, arguments).output == shown


def test_k_and_coverage_output(readme: str, root: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    for command in ("promo test rulesets -k", "promo test rulesets/japan -k"):
        arguments, shown = _shown(readme, command)
        assert CliRunner().invoke(cli, arguments).output == shown


def test_bundled_coverage_figures(readme: str, root: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    coverage = Coverage()
    run_tests(["rulesets"], observe=coverage.observe)
    (seen, checks), (both, parts) = coverage.total, coverage.conditions
    assert f"`rulesets/`: {seen} of {checks} checks, {both} of {parts} condition parts " \
           "both ways" in " ".join(readme.split())
