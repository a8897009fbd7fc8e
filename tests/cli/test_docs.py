"""Every command and option of the CLI is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click

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
            if isinstance(param, click.Option):
                if not any(opt in readme for opt in param.opts if opt.startswith("--")):
                    missing.append(f"{name} {param.opts[0]}")
    assert not missing, f"document in README.md: {missing}"
