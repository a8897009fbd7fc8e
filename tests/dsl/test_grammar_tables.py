"""The generated parser (dsl/expr/condition_parser.py, Lark's standalone parser) is
that of the grammar, and parsing imports nothing of Lark.

Regenerate it with ``python -m dsl.expr.grammar`` when a test here fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import lark

from dsl.expr import condition_parser, grammar
from dsl.expr import parser as expression_parser

CORPUS = Path(__file__).parent / "data" / "roundtrip.txt"
BROKEN = ["cart.subtotal >=", "cart.subtotal 100", ">= 100", "a < b < c", "()",
          "a and ()", "count(item.category ==", "cart.subtotal => 49", "x in [1, 2",
          "not", "1 2", "a contains", '"x" "y"', "a = 1", "cart.subtotal >= 'x", "@"]
ERRORS = (lark.exceptions.UnexpectedInput, condition_parser.UnexpectedInput)


def _shape(tree: Any) -> Any:
    """A parse tree as plain data: rule names (a ``Token`` when built, a ``str`` when
    loaded: equal as text), tokens and positions, whichever Lark (or copy of its
    runtime) made it."""
    if type(tree).__name__ == "Tree":
        meta = tree.meta
        where = (meta.line, meta.column, meta.end_line, meta.end_column) \
            if not meta.empty else None
        return str(tree.data), where, [_shape(child) for child in tree.children]
    if type(tree).__name__ == "Token":
        return tree.type, str(tree), tree.line, tree.column
    return tree


def _outcome(parser: Any, text: str) -> Any:
    try:
        return _shape(parser.parse(text))
    except ERRORS as err:
        return f"{type(err).__name__} at {err.line}:{err.column}"


def _texts() -> list[str]:
    return [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_parser_was_generated_from_this_grammar() -> None:
    current = grammar.fingerprint(grammar.GRAMMAR.read_text(encoding="utf-8"))
    assert current == condition_parser.FINGERPRINT, \
        "dsl/expr/condition_parser.py is stale: run python -m dsl.expr.grammar"


def test_the_generated_parser_parses_as_the_grammar_does() -> None:
    loaded, built = grammar.load(), grammar.build()
    for text in _texts() + BROKEN:
        assert _outcome(loaded, text) == _outcome(built, text), text
    for text in _texts():  # the linter reads the tokens
        assert [(t.type, t) for t in loaded.lex(text)] == [(t.type, t) for t in built.lex(text)]


def test_the_parser_in_use_is_the_generated_one() -> None:
    assert isinstance(expression_parser._LARK, condition_parser.Lark)


def test_parsing_imports_nothing_of_lark() -> None:
    probe = ("import sys\nfrom dsl.expr.parser import parse_expression\n"
             "parse_expression('cart.subtotal >= 100 and customer.orders > 0')\n"
             "try:\n    parse_expression('cart.subtotal >=')\nexcept Exception:\n    pass\n"
             "print(sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.')))")
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                          text=True)
    assert done.stdout.split() == ["[]"]


def test_the_generator_writes_a_working_parser() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(grammar.standalone_source(), "condition_parser.py", "exec"), namespace)
    assert namespace["FINGERPRINT"] == condition_parser.FINGERPRINT
    fresh = namespace["Lark_StandAlone"]()
    assert _outcome(fresh, "cart.subtotal >= 100 and customer.orders > 0") == \
        _outcome(grammar.build(), "cart.subtotal >= 100 and customer.orders > 0")
