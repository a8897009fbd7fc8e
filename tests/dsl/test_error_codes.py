"""Every error code raised anywhere is registered, documented, and never invented ad hoc."""

from __future__ import annotations

import re
from pathlib import Path

from dsl.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r'"(PR[0-9]{3})"')


def _codes_in_source() -> set[str]:
    found: set[str] = set()
    for package in ("dsl", "engine"):
        for path in (ROOT / package).rglob("*.py"):
            found.update(CODE.findall(path.read_text(encoding="utf-8")))
    return found - {"PR000"}


def test_every_code_in_the_source_is_registered() -> None:
    missing = {c for c in _codes_in_source() if not c.startswith("PR2")} - set(ERROR_CODES)
    assert not missing, f"register these in dsl.errors.ERROR_CODES: {sorted(missing)}"


def test_every_registered_code_is_used() -> None:
    assert set(ERROR_CODES) <= _codes_in_source()


def test_every_code_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [code for code in ERROR_CODES if f"`{code}`" not in readme]
    assert not undocumented, f"document these codes in README.md: {undocumented}"
