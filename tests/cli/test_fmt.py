"""``promo fmt``: writing, --check, --diff, files that do not load, discovery, the README."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dsl.fmt import format_ruleset
from engine.cli import cli

UNFORMATTED = "docs/examples/unformatted.yaml"
BROKEN = "tests/dsl/data/five_mistakes.yaml"


def _copy(root: Path, tmp_path: Path, relative: str, name: str | None = None) -> Path:
    target = tmp_path / (name or Path(relative).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / relative, target)
    return target


def test_fmt_rewrites_a_file_in_place_and_then_has_nothing_to_do(
        runner: CliRunner, root: Path, tmp_path: Path) -> None:
    path = _copy(root, tmp_path, UNFORMATTED)
    before = path.read_text(encoding="utf-8")
    path.chmod(0o640)
    inode = path.stat().st_ino
    result = runner.invoke(cli, ["fmt", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == f"reformatted {path}\n1 file reformatted\n"
    assert path.read_text(encoding="utf-8") == format_ruleset(before)
    assert path.stat().st_ino != inode, "written to a temporary file renamed over it"
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left
    again = runner.invoke(cli, ["fmt", "--check", str(path)])
    assert (again.exit_code, again.output) == (0, "1 file already formatted\n")


def test_check_lists_what_would_change_and_writes_nothing(
        runner: CliRunner, root: Path, tmp_path: Path) -> None:
    path = _copy(root, tmp_path, UNFORMATTED)
    before = path.read_bytes()
    result = runner.invoke(cli, ["fmt", "--check", str(path)])
    assert result.exit_code == 1
    assert result.output == f"would reformat {path}\n1 file would be reformatted\n"
    assert path.read_bytes() == before


def test_diff_prints_a_unified_diff_and_writes_nothing(
        runner: CliRunner, root: Path, tmp_path: Path) -> None:
    path = _copy(root, tmp_path, UNFORMATTED)
    before = path.read_bytes()
    result = runner.invoke(cli, ["fmt", "--diff", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"--- {path}\n+++ {path} (formatted)\n@@ ")
    assert '+    effect: { percent_off: 10, max_amount: "15.00" }\n' in result.output
    assert path.read_bytes() == before


def test_a_file_that_does_not_load_is_reported_and_left_untouched(
        runner: CliRunner, root: Path, tmp_path: Path) -> None:
    broken = _copy(root, tmp_path, BROKEN)
    other = _copy(root, tmp_path, UNFORMATTED)
    before = broken.read_bytes()
    result = runner.invoke(cli, ["fmt", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{broken}:14:40: PR126 the window ends" in result.output
    assert "PR105 amount 10.50 is written as a bare number" in result.output
    assert result.output.endswith("1 file reformatted, 1 file with errors (left unchanged)\n")
    assert broken.read_bytes() == before
    assert format_ruleset(other.read_text(encoding="utf-8")) == \
        other.read_text(encoding="utf-8")


def test_directories_are_searched_as_lint_searches_them(
        runner: CliRunner, root: Path, tmp_path: Path) -> None:
    shutil.copytree(root / "rulesets" / "japan", tmp_path / "japan")
    ruleset = tmp_path / "japan" / "ruleset.yaml"
    ruleset.write_text(format_ruleset(ruleset.read_text(encoding="utf-8")), encoding="utf-8")
    messy = _copy(root, tmp_path, UNFORMATTED, "japan/more/unformatted.yml")
    carts = {p: p.read_bytes() for p in (tmp_path / "japan").rglob("*")
             if p.is_file() and {"carts", "tests"} & set(p.relative_to(tmp_path).parts)}
    result = runner.invoke(cli, ["fmt", "--check", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"would reformat {messy}"
    assert result.output.endswith("1 file would be reformatted, 1 file already formatted\n")
    assert runner.invoke(cli, ["fmt", str(tmp_path)]).exit_code == 0
    assert all(p.read_bytes() == content for p, content in carts.items())


def test_line_endings_survive_the_command(runner: CliRunner, root: Path,
                                          tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    text = (root / UNFORMATTED).read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))
    assert runner.invoke(cli, ["fmt", str(path)]).exit_code == 0
    written = path.read_bytes()
    assert written.count(b"\r\n") == written.count(b"\n") > 0


def test_a_missing_path_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["fmt", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 2
    assert "PR500" in result.output


def test_formatted_rulesets_price_every_rule_test_the_same(
        runner: CliRunner, root: Path, tmp_path: Path) -> None:
    copy = tmp_path / "rulesets"
    shutil.copytree(root / "rulesets", copy)
    for path in copy.glob("*/ruleset.yaml"):  # the bundled ones are formatted: mess them up
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("{ ", "{").replace(" }", "}"), encoding="utf-8")
    assert runner.invoke(cli, ["fmt", str(copy)]).exit_code == 0
    for ruleset in sorted(copy.glob("*/ruleset.yaml")):
        for cart in sorted((ruleset.parent / "carts").glob("*")):
            original = root / ruleset.relative_to(tmp_path)
            shown = [runner.invoke(cli, ["eval", str(r), str(cart), "--format", "json"])
                     for r in (original, ruleset)]
            assert shown[0].exit_code == 0, shown[0].output
            assert shown[0].output == shown[1].output
    result = runner.invoke(cli, ["test", str(copy)])
    assert result.exit_code == 0, result.output


def test_readme_shows_the_real_fmt_output(runner: CliRunner, root: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    readme = (root / "README.md").read_text(encoding="utf-8")
    command = f"promo fmt --diff {UNFORMATTED}"
    shown = readme[readme.index(f"$ {command}\n"):]
    shown = shown[shown.index("\n") + 1:shown.index("```")]
    assert shown == runner.invoke(cli, command.split()[1:]).output


def test_the_pre_commit_hook_runs_fmt_on_changed_rulesets(
        runner: CliRunner, root: Path, tmp_path: Path) -> None:
    hooks = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "promo-fmt")
    wanted = re.compile(hook["files"])
    skipped = re.compile(hook["exclude"])
    assert wanted.search("rulesets/fashion/ruleset.yaml")
    assert skipped.search("rulesets/fashion/carts/example.yaml")
    assert skipped.search("rulesets/fashion/tests/carts.yaml")
    path = _copy(root, tmp_path, UNFORMATTED)
    program, *arguments = hook["entry"].split()
    assert program == "promo"
    result = runner.invoke(cli, [*arguments, *hook.get("args", []), str(path)])
    assert result.exit_code == 0  # pre-commit fails the commit because the file changed
    assert result.output.startswith(f"reformatted {path}\n")


def test_the_bundled_rulesets_are_formatted(runner: CliRunner, root: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["fmt", "--check", "rulesets"])
    assert (result.exit_code, result.output) == (0, "5 files already formatted\n")


def test_a_file_fmt_cannot_rewrite_is_left_untouched(runner: CliRunner, root: Path,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "tab.yaml"
    text = (root / UNFORMATTED).read_text(encoding="utf-8")
    path.write_text(text.replace("coupon: NEWS5", "coupon: NEWS5\t# tab"), encoding="utf-8")
    before = path.read_bytes()
    result = runner.invoke(cli, ["fmt", str(path)])
    assert result.exit_code == 2
    assert f"{path}:1:1: PR520 promo fmt cannot format this file" in result.output
    assert path.read_bytes() == before


def test_a_file_that_cannot_be_written_is_named_and_left_as_it_was(
        runner: CliRunner, root: Path, tmp_path: Path) -> None:
    # the temporary file beside it gets a name longer than a file name may be
    path = _copy(root, tmp_path, UNFORMATTED, name="r" * 245 + ".yaml")
    before = path.read_bytes()
    result = runner.invoke(cli, ["fmt", str(path)])
    assert result.exit_code == 2, result.output
    assert f"PR509 {path}: cannot write: File name too long" in result.output
    assert result.output.endswith("1 file with errors (left unchanged)\n")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
