"""Every command and option of the CLI is documented in the README."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import yaml
from click.testing import CliRunner

from engine.cli import cli


def test_every_command_and_option_is_in_the_readme(root: Path) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    missing = []
    stack: list[tuple[str, click.Command]] = [(f"promo {n}", c) for n, c in cli.commands.items()]
    while stack:
        name, command = stack.pop()
        if name not in readme:
            missing.append(name)
        if isinstance(command, click.Group):
            stack.extend((f"{name} {n}", c) for n, c in command.commands.items())
        for param in command.params:
            documented = any(opt in readme for opt in param.opts if opt.startswith("--"))
            if isinstance(param, click.Option) and not documented:
                missing.append(f"{name} {param.opts[0]}")
    assert not missing, f"document in README.md: {missing}"


def _shown_output(readme: str, command: str) -> str:
    """The text block the README shows right after ``command``."""
    start = readme.index(command)
    block = readme.index("```text\n", start) + len("```text\n")
    return readme[block:readme.index("```", block)]


def test_readme_shows_the_real_eval_output(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    readme = (root / "README.md").read_text(encoding="utf-8")
    command = "promo eval rulesets/fashion/ruleset.yaml rulesets/fashion/carts/example.yaml"
    result = CliRunner().invoke(cli, command.split()[1:])
    assert _shown_output(readme, f"`{command}`:") == result.output


def test_readme_shows_the_real_lint_output(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    readme = (root / "README.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["lint", "tests/dsl/data/five_mistakes.yaml"])
    shown = readme[readme.index("$ promo lint tests/dsl/data/five_mistakes.yaml\n"):]
    shown = shown[shown.index("\n") + 1:shown.index("```")]
    assert shown == result.output


# ------------------------------------------------------------------ docs/tutorial.md
# The tutorial is run as a merchandiser would, in an empty folder, in document order:
# each file it shows is written ("Write `path`:" and a yaml block), each edit it asks
# for is made ("in `path`, change `old` to `new`"), and each ```console block's
# `$ promo ...` command is run and must print exactly the output shown under it.

_FILE = re.compile(r"`([\w./-]+)`[^`\n]*:\n\n```yaml\n(.*?)```", re.S)
_EDIT = re.compile(r"in\s+`([\w./-]+)`,\s+change\s+`([^`]+)`\s+(?:back\s+)?to\s+`([^`]+)`")
_COMMAND = re.compile(r"```console\n\$ (promo [^\n]*)\n(.*?)```", re.S)


def run_tutorial(text: str, folder: Path) -> list[tuple[str, str, str]]:
    """Follow the tutorial in ``folder``: (command, output shown, output printed) for each
    command, in order."""
    steps = sorted([(m.start(), "file", m.groups()) for m in _FILE.finditer(text)] +
                   [(m.start(), "edit", m.groups()) for m in _EDIT.finditer(text)] +
                   [(m.start(), "run", m.groups()) for m in _COMMAND.finditer(text)])
    runs = []
    for _, kind, groups in steps:
        path = folder / groups[0]
        if kind == "file":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(groups[1], encoding="utf-8")
        elif kind == "edit":
            old, new = groups[1], groups[2]
            written = path.read_text(encoding="utf-8")
            assert written.count(old) == 1, f"{groups[0]}: `{old}` is not there exactly once"
            path.write_text(written.replace(old, new), encoding="utf-8")
        else:
            command, shown = groups
            result = CliRunner(env={"NO_COLOR": "1"}).invoke(cli, shlex.split(command)[1:])
            runs.append((command, shown, result.output))
    return runs


def test_the_tutorial_shows_what_each_command_prints(root: Path, tmp_path: Path,
                                                     monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = (root / "docs" / "tutorial.md").read_text(encoding="utf-8")
    runs = run_tutorial(text, tmp_path)
    assert len(runs) >= 8
    differ = [f"$ {command}\n--- shown\n{shown}--- printed\n{printed}"
              for command, shown, printed in runs if shown != printed]
    assert not differ, "docs/tutorial.md shows other output:\n" + "\n".join(differ)
    assert {"promo lint rulesets", "promo test rulesets"} <= {c for c, _, _ in runs}


def test_the_tutorials_pre_commit_hooks_run_what_it_says(root: Path, tmp_path: Path,
                                                         monkeypatch) -> None:
    """The hooks the tutorial configures exist in .pre-commit-hooks.yaml, pick the files
    it says (the ruleset, not its carts and tests) and pass on the finished folder."""
    monkeypatch.chdir(tmp_path)
    text = (root / "docs" / "tutorial.md").read_text(encoding="utf-8")
    run_tutorial(text, tmp_path)
    offered = {h["id"]: h for h in yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())}
    config = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    selected = {}
    for hook in config["repos"][0]["hooks"]:
        offer = offered[hook["id"]]
        chosen = [f for f in files if f.endswith((".yaml", ".yml")) and
                  re.search(offer["files"], f) and
                  not ("exclude" in offer and re.search(offer["exclude"], f))]
        selected[hook["id"]] = chosen
        argv = [*shlex.split(offer["entry"])[1:], *hook.get("args", []),
                *(chosen if offer.get("pass_filenames", True) else [])]
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, (hook["id"], argv, result.output)
    assert selected["promo-lint"] == ["rulesets/bakery/ruleset.yaml"]
    assert "`promo lint --fail-on warning rulesets/bakery/ruleset.yaml`" in " ".join(text.split())
