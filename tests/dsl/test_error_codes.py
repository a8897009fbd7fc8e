"""Every error code is declared once, in dsl/codes.py, used, and documented."""

from __future__ import annotations

import re
from pathlib import Path

from dsl.codes import ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(r'"(PR[0-9]{3})"')
LINT_RULES = ROOT / "dsl" / "lint" / "rules"


def _sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for package in ("dsl", "engine")
            for path in (ROOT / package).rglob("*.py")}


def test_codes_are_written_out_only_in_the_table() -> None:
    """Outside dsl/codes.py (and the lint rules, which declare their own PR2xx
    codes), code strings are never written: modules import the names."""
    written = {str(path.relative_to(ROOT)): sorted(set(LITERAL.findall(text)))
               for path, text in _sources().items()
               if path.name != "codes.py" and LINT_RULES not in path.parents
               and LITERAL.search(text)}
    assert written == {}


def test_no_lint_code_is_an_error_code() -> None:
    assert not {c for c in ERROR_CODES if c.startswith("PR2")}, "PR2xx belong to lint rules"


def test_every_declared_code_is_used() -> None:
    import dsl.codes as codes

    names = {name for name, value in vars(codes).items()
             if isinstance(value, str) and value in ERROR_CODES}
    text = "\n".join(t for p, t in _sources().items() if p.name != "codes.py")
    unused = sorted(name for name in names if not re.search(rf"\b{name}\b", text))
    assert unused == []


def test_every_code_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [code for code in ERROR_CODES if f"`{code}`" not in readme]
    assert not undocumented, f"document these codes in README.md: {undocumented}"
