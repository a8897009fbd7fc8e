"""The generated LALR tables (dsl/expr/lalr_tables.py) are those of the grammar.

Regenerate them with ``python -m dsl.expr.grammar`` when a test here fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from dsl.expr import grammar, lalr_tables
from dsl.expr import parser as expression_parser

CORPUS = Path(__file__).parent / "data" / "roundtrip.txt"
BROKEN = ["cart.subtotal >=", "cart.subtotal 100", ">= 100", "a < b < c", "()",
          "a and ()", "count(item.category ==", "cart.subtotal => 49", "x in [1, 2",
          "not", "1 2", "a contains", '"x" "y"']


def _shape(tree: Any) -> Any:
    """A parse tree as plain data: rule names (a ``Token`` when built, a ``str`` when
    loaded: equal as text), tokens and positions."""
    if isinstance(tree, Tree):
        meta = tree.meta
        where = (meta.line, meta.column, meta.end_line, meta.end_column) \
            if not meta.empty else None
        return str(tree.data), where, [_shape(child) for child in tree.children]
    if isinstance(tree, Token):
        return tree.type, str(tree), tree.line, tree.column
    return tree


def _outcome(parser: Lark, text: str) -> Any:
    try:
        return _shape(parser.parse(text))
    except UnexpectedInput as err:
        return f"{type(err).__name__} at {err.line}:{err.column}"


def test_the_tables_were_generated_from_this_grammar_and_lark() -> None:
    current = grammar.fingerprint(grammar.GRAMMAR.read_text(encoding="utf-8"))
    assert current == lalr_tables.FINGERPRINT, \
        "dsl/expr/lalr_tables.py is stale: run python -m dsl.expr.grammar"


def test_the_parser_in_use_is_loaded_from_the_tables() -> None:
    assert expression_parser._LARK.source_path == "<deserialized>"


def test_the_tables_parse_as_the_grammar_does() -> None:
    loaded, built = grammar.load(), grammar.build()
    texts = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for text in texts + BROKEN:
        assert _outcome(loaded, text) == _outcome(built, text), text
    for text in texts:  # the linter reads the tokens
        assert [(t.type, t) for t in loaded.lex(text)] == [(t.type, t) for t in built.lex(text)]


def test_stale_tables_are_not_used(monkeypatch) -> None:
    monkeypatch.setattr(lalr_tables, "FINGERPRINT", "0" * 64)
    parser = grammar.load()
    assert parser.source_path != "<deserialized>"
    assert _outcome(parser, "cart.subtotal >= 100") == _outcome(grammar.build(),
                                                                 "cart.subtotal >= 100")


def test_the_generator_writes_loadable_tables() -> None:
    namespace: dict[str, object] = {}
    exec(compile(grammar.tables_source(), "lalr_tables.py", "exec"), namespace)
    assert namespace["FINGERPRINT"] == lalr_tables.FINGERPRINT
    fresh = Lark._load_from_dict(namespace["DATA"], namespace["MEMO"])  # type: ignore[no-untyped-call]
    assert _outcome(fresh, "cart.subtotal >= 100 and customer.orders > 0") == \
        _outcome(grammar.build(), "cart.subtotal >= 100 and customer.orders > 0")
