"""Every command and option of the CLI is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click
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
