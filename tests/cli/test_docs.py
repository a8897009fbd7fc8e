"""Every command and option of the CLI is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli import cli


def test_every_command_and_option_is_in_the_readme(root: Path) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    missing = []
    for name, command in cli.commands.items():
        if f"promo {name}" not in readme:
            missing.append(f"promo {name}")
        for param in command.params:
            if isinstance(param, click.Option):
                if not any(opt in readme for opt in param.opts if opt.startswith("--")):
                    missing.append(f"promo {name} {param.opts[0]}")
    assert not missing, f"document in README.md: {missing}"
