"""The layout keeps its promises: the core is what the layering contract says it
is, modules stay short, and the project cites only its own files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_CORE = {"__init__", "schemas"}  # the package's face, and the contracts' generator
MAX_LINES = 600
GENERATED = {"dsl/expr/condition_parser.py"}  # Lark's standalone parser (dsl/expr/grammar.py)


def contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_every_module_at_the_top_of_engine_is_under_the_core_contract() -> None:
    core = next(c for name, c in contracts().items() if name.startswith("the pricing core"))
    listed = {m.removeprefix("engine.") for m in core["source_modules"]}  # type: ignore[attr-defined]
    on_disk = {p.stem for p in (ROOT / "engine").glob("*.py")} - NOT_CORE
    assert listed == on_disk


def test_no_module_is_longer_than_the_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for package in ("dsl", "engine")
            for p in (ROOT / package).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long.keys() - GENERATED == set()


def test_the_project_refers_to_no_file_outside_it() -> None:
    # written in pieces, so that this file does not match itself
    outside = re.compile("|".join(["DESIGN" + r"\.md", r"\.\./" + "shared", "/wo" + "rk/",
                                   "/ho" + "me/", "/ro" + "ot/"]))
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if not path.is_file() or parts[0].startswith(".") or "egg-info" in parts[0] \
                or "__pycache__" in parts or path.suffix not in {".py", ".md", ".yaml", ".yml",
                                                                 ".toml", ".json", ".lark"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if outside.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
