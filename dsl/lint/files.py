"""Which files ``promo lint`` looks at (without importing the rules: the command
finds them before it knows whether it has to lint them or its cache holds them)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..loader import find_yaml_files

NOT_RULESET_DIRS = frozenset({"carts", "tests"})
"""Directories beside rulesets that hold sample carts and rule tests."""


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Ruleset files named by ``paths``: files as given, directories searched.

    In a directory, every ``*.yaml`` / ``*.yml`` is a ruleset except those in
    ``carts/`` and ``tests/`` folders.  A path that does not exist is an
    ``InputError``.
    """
    return find_yaml_files(paths, lambda root, folders: not NOT_RULESET_DIRS.intersection(folders))
