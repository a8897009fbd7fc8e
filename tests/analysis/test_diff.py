"""``promo diff`` on known changes of the fashion ruleset, over its sample carts."""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import load_ruleset
from engine.analysis.diff import diff_rulesets
from engine.analysis.sources import load_ruleset_spec, read_carts
from engine.cli import cli

from .conftest import FASHION, fashion_variant

OLD = str(FASHION / "ruleset.yaml")
SAMPLES = ("black-friday", "example", "returning-customer", "socks-exclusive",
           "summer-student", "welcome-new-customer")
FREE_SHIPPING = "  - id: free-shipping-75\n"


@pytest.fixture
def carts(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Six of the fashion sample carts, in a folder of their own (more may be added)."""
    folder = tmp_path_factory.mktemp("carts")
    for name in SAMPLES:
        shutil.copy(FASHION / "carts" / f"{name}.yaml", folder)
    return str(folder)


def _removed(tmp_path: Path) -> Path:
    text = (FASHION / "ruleset.yaml").read_text(encoding="utf-8")
    path = tmp_path / "removed.yaml"
    path.write_text(text[:text.index(FREE_SHIPPING)], encoding="utf-8")
    return path


def _diff(new: Path, carts: str):
    return diff_rulesets(load_ruleset(OLD), load_ruleset(new), read_carts([carts]),
                         old_name="old", new_name="new")


def test_a_percent_raised_makes_the_carts_it_applies_to_cheaper(tmp_path: Path, carts: str) -> None:
    new = fashion_variant(tmp_path, "raised", "effect: { percent_off: 15 }\n",
                          "effect: { percent_off: 20 }\n")  # vip-15 → 20 %
    found = _diff(new, carts)
    assert found.carts == 6
    [change] = found.changes
    # example.yaml: vip-15 on 69.90 and 38.85: 10.49 + 5.83 → 13.98 + 7.77
    assert change.where.endswith("example.yaml") and change.cart == "nl-cart-100231"
    assert (change.old_total, change.new_total) == (Decimal("179.29"), Decimal("173.86"))
    assert change.change == Decimal("-5.43")
    assert change.moved == (("vip-15", Decimal("16.32"), Decimal("21.75")),)
    assert (change.gained, change.lost) == ((), ())
    assert (found.cheaper, found.dearer, found.net, found.moved) == \
        (1, 0, Decimal("-5.43"), Decimal("5.43"))


def test_a_promotion_removed_makes_its_carts_dearer(tmp_path: Path, carts: str) -> None:
    found = _diff(_removed(tmp_path), carts)
    assert [(Path(c.where).name, c.change, c.lost) for c in found.changes] == [
        ("example.yaml", Decimal("4.95"), ("free-shipping-75",)),
        ("returning-customer.yaml", Decimal("4.95"), ("free-shipping-75",)),
        ("welcome-new-customer.yaml", Decimal("4.95"), ("free-shipping-75",))]
    assert (found.dearer, found.net, found.largest) == (3, Decimal("14.85"), Decimal("4.95"))
    assert found.distribution()["median"] == Decimal("4.95")


def test_a_window_moved_drops_the_promotion_from_carts_before_it(tmp_path: Path,
                                                                 carts: str) -> None:
    new = fashion_variant(tmp_path, "moved", "active: { from: 2026-06-01, until: 2026-09-01 }",
                          "active: { from: 2026-07-20, until: 2026-09-01 }")
    found = _diff(new, carts)
    # example.yaml is dated 2026-07-15: before the new start; summer-student is later
    [change] = found.changes
    assert Path(change.where).name == "example.yaml"
    assert (change.change, change.lost) == (Decimal("26.94"), ("summer-swim-30",))


def test_largest_changes_come_first_and_json_lines_carts_are_read(tmp_path: Path) -> None:
    import yaml
    carts = tmp_path / "carts.jsonl"
    rows = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in
            (FASHION / "carts" / f"{name}.yaml" for name in SAMPLES)]
    carts.write_text("\n".join(json.dumps(r, default=str) for r in rows) + "\n\n")
    new = fashion_variant(tmp_path, "moved", "active: { from: 2026-06-01, until: 2026-09-01 }",
                          "active: { from: 2026-07-20, until: 2026-09-01 }")
    removed = _removed(tmp_path)
    text = removed.read_text().replace("active: { from: 2026-06-01, until: 2026-09-01 }",
                                       "active: { from: 2026-07-20, until: 2026-09-01 }")
    both = tmp_path / "both.yaml"
    both.write_text(text)
    found = diff_rulesets(load_ruleset(OLD), load_ruleset(both), read_carts([str(carts)]),
                          old_name="old", new_name="new")
    assert [c.change for c in found.changes] == [Decimal("31.89"), Decimal("4.95"),
                                                 Decimal("4.95")]
    assert found.changes[0].where == f"{carts}:2"  # example.yaml sorts second
    assert new.exists()


def test_cli_formats_and_fail_above(runner, tmp_path: Path, carts: str) -> None:
    new = str(_removed(tmp_path))
    base = ["diff", OLD, new, "--carts", carts]
    text = runner.invoke(cli, base)
    assert text.exit_code == 0, text.output
    assert "3 of 6 carts change total (0 cheaper, 3 dearer); customers pay 14.85 EUR more" \
        in text.output
    data = json.loads(runner.invoke(cli, [*base, "--format", "json"]).output)
    assert data["summary"]["changed"] == 3 and data["summary"]["net"] == "14.85"
    assert data["carts"][0]["lost"] == ["free-shipping-75"]
    markdown = runner.invoke(cli, [*base, "--format", "markdown"]).output
    assert markdown.startswith("### promo diff:")
    assert "| **+4.95** |  | `free-shipping-75` |" in markdown
    github = runner.invoke(cli, [*base, "--format", "github", "--fail-above", "4"])
    assert github.exit_code == 1
    assert github.output.count("::error file=") == 3
    assert github.output.splitlines()[-1].startswith("::notice title=promo diff::3 of 6")
    assert runner.invoke(cli, [*base, "--fail-above", "4.95"]).exit_code == 0
    bad = runner.invoke(cli, [*base, "--fail-above", "lots"])
    assert bad.exit_code == 2 and "PR501" in bad.output


def test_a_bad_cart_line_is_named(runner, tmp_path: Path) -> None:
    carts = tmp_path / "carts.jsonl"
    carts.write_text('{"id": "a", "currency": "EUR", "lines": []}\n'
                     '{"id": "b", "currency": "EUR", "lines": [{"id": "l1"}]}\n')
    result = runner.invoke(cli, ["diff", OLD, OLD, "--carts", str(carts)])
    assert result.exit_code == 2
    assert f"{carts}:2:" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_rev_path_is_read_from_git(runner, tmp_path: Path, monkeypatch, carts: str) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                       cwd=tmp_path, check=True, capture_output=True)
    git("init", "-q", "-b", "main")
    shutil.copy(OLD, tmp_path / "shop.yaml")
    git("add", "shop.yaml")
    git("commit", "-q", "-m", "shop")
    (tmp_path / "shop.yaml").write_text(_removed(tmp_path).read_text())
    monkeypatch.chdir(tmp_path)
    assert load_ruleset_spec("main:shop.yaml").promotions[-1].id == "free-shipping-75"
    result = runner.invoke(cli, ["diff", "main:shop.yaml", "shop.yaml", "--carts", carts])
    assert result.exit_code == 0, result.output
    assert "promo diff main:shop.yaml → shop.yaml" in result.output
    assert "3 of 6 carts change total" in result.output
    for spec, said in (("nope:shop.yaml", "PR535"), ("main:gone.yaml", "PR535"),
                       ("gone.yaml", "PR500"), (":shop.yaml", "PR535")):
        failed = runner.invoke(cli, ["diff", spec, "shop.yaml", "--carts", carts])
        assert failed.exit_code == 2 and said in failed.output, (spec, failed.output)
        assert "Traceback" not in failed.output


def test_readme_shows_the_real_diff_output(runner, root: Path, tmp_path: Path,
                                           monkeypatch) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    (tmp_path / "rulesets").symlink_to(root / "rulesets")
    text = (root / "rulesets/fashion/ruleset.yaml").read_text(encoding="utf-8")
    (tmp_path / "vip-20.yaml").write_text(text.replace("effect: { percent_off: 15 }",
                                                       "effect: { percent_off: 20 }"))
    monkeypatch.chdir(tmp_path)
    command = ("promo diff rulesets/fashion/ruleset.yaml vip-20.yaml --carts "
               "rulesets/fashion/orders.jsonl")
    start = readme.index(f"`{command}`")
    block = readme.index("```text\n", start) + len("```text\n")
    shown = readme[block:readme.index("```", block)]
    assert shown == runner.invoke(cli, command.split()[1:]).output
