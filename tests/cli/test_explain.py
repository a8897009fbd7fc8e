"""promo explain: the expected tree of every sample cart, the JSON form, the errors, the
README's example.

The expected trees are the files under ``tests/cli/data/explain/<ruleset>/<cart>.txt``:
``promo explain`` of each ``rulesets/<ruleset>/carts/<cart>.yaml`` (and, for the JSON
form, ``fashion/example.vip-15.json``: one promotion of the example).  When the output
changes on purpose, write them again and read the diff before committing:

    UPDATE_SNAPSHOTS=1 python -m pytest tests/cli/test_explain.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from engine.cli import cli
from engine.schemas import explain_schema
from engine.usage import open_store

ROOT = Path(__file__).resolve().parents[2]
TREES = Path(__file__).resolve().parent / "data" / "explain"
CARTS = sorted(ROOT.glob("rulesets/*/carts/*.yaml"))
FASHION = "rulesets/fashion/ruleset.yaml"
EXAMPLE = "rulesets/fashion/carts/example.yaml"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("cart", CARTS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_every_sample_cart_has_its_expected_tree(runner: CliRunner, cart: Path) -> None:
    ruleset = cart.parent.parent / "ruleset.yaml"
    result = runner.invoke(cli, ["explain", _relative(ruleset), _relative(cart)])
    assert result.exit_code == 0, result.output
    tree = TREES / cart.parent.parent.name / f"{cart.stem}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        tree.parent.mkdir(parents=True, exist_ok=True)
        tree.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == tree.read_text(encoding="utf-8"), \
        f"output changed; if intended: UPDATE_SNAPSHOTS=1 pytest {__file__}"


def test_no_expected_tree_is_left_without_its_cart() -> None:
    expected = {f"{p.parent.parent.name}/{p.stem}" for p in CARTS}
    assert {f"{p.parent.name}/{p.stem}" for p in TREES.glob("*/*.txt")} == expected


def test_json_validates_and_names_only_the_promotions_asked(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["explain", FASHION, EXAMPLE, "vip-15", "spring-20",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    trace = json.loads(result.stdout)
    Draft202012Validator(explain_schema()).validate(trace)
    assert [p["id"] for p in trace["promotions"]] == ["vip-15", "spring-20"]
    vip = trace["promotions"][0]
    assert (vip["outcome"], vip["amount"], vip["decided_by"]) == ("applied", "16.32", "applied")


def test_at_moves_the_evaluation(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["explain", FASHION, EXAMPLE, "black-friday-30",
                                 "--at", "2026-11-28T10:00:00+01:00"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[5].startswith("✓ black-friday-30  applied")


def test_an_unknown_promotion_is_a_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["explain", FASHION, EXAMPLE, "vip-16"])
    assert result.exit_code == 2
    assert "PR530" in result.stderr and FASHION in result.stderr
    assert "did you mean 'vip-15'?" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, code, named", [
    (["rulesets/fashion/carts/example.yaml", EXAMPLE], "PR1", "example.yaml"),
    ([FASHION, "rulesets/fashion/ruleset.yaml"], "PR3", "ruleset.yaml"),
    ([FASHION, "missing-cart.yaml"], "", "missing-cart.yaml"),
    ([FASHION, EXAMPLE, "--at", "tomorrow"], "PR501", "--at"),
])
def test_bad_input_exits_2_naming_the_file(runner: CliRunner, args: list[str], code: str,
                                           named: str) -> None:
    result = runner.invoke(cli, ["explain", *args])
    assert result.exit_code == 2, result.output
    assert code in result.stderr and named in result.stderr
    assert "Traceback" not in result.output


def test_with_a_store_the_limits_asked_are_shown(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "usage.db"
    with open_store(str(db)):
        pass  # an empty store: every limit has all its uses left
    result = runner.invoke(cli, ["explain", FASHION, EXAMPLE, "summer-swim-30", "--db",
                                 str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    limits = json.loads(result.stdout)["promotions"][0]["limits"]
    assert limits["store"] is True and limits["passed"] is True
    assert {"question": "refusal", "answer": None, "reason": None} in limits["queries"]
    text = runner.invoke(cli, ["explain", FASHION, EXAMPLE, "summer-swim-30", "--db", str(db)])
    assert "store: no limit reached" in text.stdout


def test_the_readme_shows_the_real_output(runner: CliRunner) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = f"promo explain {FASHION} {EXAMPLE} vip-15 welcome-10"
    start = readme.index(f"`{command}`:")
    block = readme.index("```text\n", start) + len("```text\n")
    shown = readme[block:readme.index("```", block)]
    result = runner.invoke(cli, command.split()[1:])
    assert result.exit_code == 0 and shown == result.stdout


def test_the_json_form_of_one_promotion_is_as_expected(runner: CliRunner) -> None:
    """The JSON is a contract too: one promotion's trace, every field, kept as a file."""
    result = runner.invoke(cli, ["explain", FASHION, EXAMPLE, "vip-15", "--format", "json"])
    assert result.exit_code == 0, result.output
    expected = TREES / "fashion" / "example.vip-15.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        expected.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected.read_text(encoding="utf-8"), \
        f"output changed; if intended: UPDATE_SNAPSHOTS=1 pytest {__file__}"
