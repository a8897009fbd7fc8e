"""The condition language: grammar → parse tree → AST → type check → text.

    condition.lark  the grammar (Lark, LALR), loaded once at import
    parser.py       text → AST, with messages a merchandiser understands
    transform.py    Lark parse tree → AST nodes (numbers become ``Decimal``)
    nodes.py        the AST, declared in one place, and its visitor
    check.py        names and types (``types.py`` declares the fields)
    format.py       AST → canonical text (``format(parse(x)) == x``)
"""

from .format import format_expression
from .parser import parse_expression

__all__ = ["format_expression", "parse_expression"]
