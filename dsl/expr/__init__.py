"""The condition language: grammar → parse tree → AST → type check → text.

    condition.lark  the grammar (Lark, LALR), loaded once at import
    parser.py       text → AST, with messages a merchandiser understands
    transform.py    Lark parse tree → AST nodes (numbers become ``Decimal``)
    nodes.py        the AST, declared in one place, and its visitor
    check.py        names and types (``types.py`` declares the fields)
    format.py       AST → canonical text (``format(parse(x)) == x``)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .format import format_expression
    from .parser import parse_expression

__all__ = ["format_expression", "parse_expression"]


def __getattr__(name: str) -> Any:
    # Imported when first read: the AST and the checker do not need the parser.
    if name not in ("format_expression", "parse_expression"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{name.split('_')[0]}", __name__)
    value = globals()[name] = getattr(module, name)
    return value
