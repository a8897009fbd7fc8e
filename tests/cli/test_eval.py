"""promo eval: the README's main job, its formats and its error handling."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from engine.cli import cli

RULESET = "rulesets/fashion/ruleset.yaml"
CART = "rulesets/fashion/carts/example.yaml"


def test_text_dry_run_shows_lines_totals_and_reasons(runner: CliRunner, root: Path,
                                                     monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["eval", RULESET, CART])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "subtotal 238.45   discount -64.11   total 179.29" in out
    assert "summer-swim-30 -14.97" in out
    assert "group_taken" in out and "group member-discount already used by vip-15" in out
    assert "coupon_expired" in out


def test_json_follows_the_result_schema(runner: CliRunner, root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["eval", RULESET, CART, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    schema = json.loads((root / "schemas" / "result.schema.json").read_text())
    jsonschema.validate(data, schema)
    assert data["total"] == "179.29"
    assert [a["promotion"] for a in data["applied"]] == [
        "summer-swim-30", "vip-15", "basics-tee-12", "free-shipping-75"]


def test_json_is_byte_identical_across_runs(runner: CliRunner, root: Path,
                                            monkeypatch) -> None:
    monkeypatch.chdir(root)
    first = runner.invoke(cli, ["eval", RULESET, CART, "--format", "json"]).output
    second = runner.invoke(cli, ["eval", RULESET, CART, "--format", "json"]).output
    assert first == second


def test_at_overrides_the_cart_time(runner: CliRunner, root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["eval", RULESET, CART, "--format", "json",
                                 "--at", "2026-11-28T12:00:00+01:00"])
    data = json.loads(result.output)
    assert [a["promotion"] for a in data["applied"]] == ["black-friday-30"]
    assert data["at"] == "2026-11-28T12:00:00+01:00"


def test_bad_at_is_a_usage_error(runner: CliRunner, root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["eval", RULESET, CART, "--at", "next tuesday"])
    assert result.exit_code == 2
    assert "PR501" in result.output


def test_invalid_ruleset_exits_2_with_rendered_errors(runner: CliRunner, root: Path,
                                                      monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["eval", "tests/dsl/data/five_mistakes.yaml", CART])
    assert result.exit_code == 2
    assert "five_mistakes.yaml:16:42: PR170" in result.output
    assert "^^^^" in result.output
    assert "Traceback" not in result.output


def test_a_promotion_with_effect_and_effects_exits_2(runner: CliRunner, root: Path,
                                                    tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    text = (root / RULESET).read_text(encoding="utf-8").replace(
        "    effect: { percent_off: 30 }\n",
        "    effect: { percent_off: 30 }\n    effects: [{ shipping: { free: true } }]\n", 1)
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["eval", str(tmp_path / "r.yaml"), CART])
    assert result.exit_code == 2
    assert "PR137 a promotion has 'effect' (one effect) or 'effects' (a list), not both" \
        in result.output
    assert "Traceback" not in result.output


def test_invalid_cart_exits_2_with_json_path(runner: CliRunner, root: Path,
                                             tmp_path: Path, monkeypatch) -> None:
    cart = tmp_path / "cart.json"
    cart.write_text(json.dumps({
        "id": "c1", "currency": "EUR",
        "lines": [{"id": "a", "sku": "X", "unit_price": 19.99, "quantity": 1}],
    }, indent=1))
    result = runner.invoke(cli, ["eval", str(root / RULESET), str(cart)])
    assert result.exit_code == 2
    assert "PR303 lines[0].unit_price" in result.output
    assert f"{cart}:" in result.output


def test_cart_in_another_currency_exits_2(runner: CliRunner, root: Path,
                                          tmp_path: Path) -> None:
    cart = tmp_path / "cart.yaml"
    cart.write_text('id: c1\ncurrency: USD\nlines: []\n')
    result = runner.invoke(cli, ["eval", str(root / RULESET), str(cart)])
    assert result.exit_code == 2
    assert "PR305" in result.output


def test_missing_files_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["eval", str(tmp_path / "r.yaml"), str(tmp_path / "c.yaml")])
    assert result.exit_code == 2
    assert "PR100" in result.output


@pytest.mark.parametrize("argv", [["eval", "\x00", "cart.yaml"], ["lint", "a\x00b"],
                                  ["usage", "status", "r.yaml", "--db", "\x00"],
                                  ["schema", "--output-dir", "\x00"]])
def test_a_path_with_a_nul_byte_is_a_usage_error(argv: list[str]) -> None:
    """Found by tests/fuzz: os.stat raises on a NUL byte, which became a traceback."""
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "a path cannot contain a NUL character" in result.output
