"""The Lark facade: condition text → AST, with errors a merchandiser can read.

The parser of the grammar (``condition.lark``) is Lark's standalone parser,
generated ahead of time (``grammar.py``), loaded once at import.  Before it sees
the text, its length and parenthesis nesting are capped, so a hostile
expression is refused with a syntax error rather than a ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..codes import EXPRESSION_INCOMPLETE, EXPRESSION_SYNTAX, EXPRESSION_TOO_LARGE, UNBALANCED
from ..errors import ExpressionError, Span
from . import grammar
from . import nodes as n
from .condition_parser import (
    Token,
    Tree,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    VisitError,
)
from .transform import EXPR_FILE, ToAst
from .types import MAX_LENGTH

MAX_DEPTH = 48
"""Deepest nesting accepted: parentheses, operators and calls together."""

_LARK = grammar.load()  # generated from condition.lark (grammar.py)

_TOKEN_TEXT = {
    "EQUAL": "=", "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "COMMA": ",",
    "$END": "the end of the expression",
}

# Parser states → messages (lark's match_examples): each example fails in a
# characteristic state, and an error in the same state gets its message.
_EXAMPLES: dict[str, list[str]] = {
    "missing value after the operator": [
        "cart.subtotal >=", "cart.subtotal ==", "a and", "a or", "not", "a +", "a *",
        "a in", "a contains", "a not in", "-",
    ],
    "missing operator between two values": [
        "cart.subtotal 100", "a b", '"x" "y"', "1 2", "a (b)", "count(a) 3",
    ],
    "missing value before the operator": [
        ">= 100", "== 1", "and a", "or a", "* 2", "contains a", "< 3",
    ],
    "comparisons cannot be chained; join them with 'and'": [
        "a < b < c", "a == b == c", "a > 1 >= 2", "a in b in c",
    ],
    "empty parentheses": ["()", "a and ()"],
}


def _syntax(message: str, line: int, col: int, code: str = EXPRESSION_SYNTAX,
            hint: str | None = None) -> ExpressionError:
    return ExpressionError(message, Span(EXPR_FILE, line, col), code=code, hint=hint)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def _check_shape(text: str) -> None:
    """Caps on length and nesting, and balanced brackets, before Lark runs."""
    if len(text) > MAX_LENGTH:
        raise _syntax(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
                      1, 1, code=EXPRESSION_TOO_LARGE,
                      hint="split it over several promotions or simplify it")
    if not text.strip():
        raise _syntax("empty expression", 1, 1, code=EXPRESSION_INCOMPLETE)
    opened: list[int] = []
    quote: str | None = None
    escaped = False
    for offset, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote or ch == "\n":
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([":
            opened.append(offset)
            if len(opened) > MAX_DEPTH:
                raise _syntax(f"brackets nested more than {MAX_DEPTH} deep",
                              *_line_col(text, offset), code=EXPRESSION_TOO_LARGE)
        elif ch in ")]":
            if not opened:
                raise _syntax(f"unmatched '{ch}'", *_line_col(text, offset), code=UNBALANCED)
            open_ch = text[opened.pop()]
            if (open_ch, ch) not in (("(", ")"), ("[", "]")):
                raise _syntax(f"'{open_ch}' closed by '{ch}'", *_line_col(text, offset),
                              code=UNBALANCED)
    if opened:
        kind = "parenthesis" if text[opened[-1]] == "(" else "bracket"
        raise _syntax(f"unclosed {kind}", *_line_col(text, opened[-1]), code=UNBALANCED,
                      hint=f"add the closing '{')' if kind == 'parenthesis' else ']'}'")


def _tree_depth(tree: Tree[Token]) -> int:
    deepest = 0
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return deepest


def _previous_token(text: str, line: int, col: int) -> Token | None:
    previous = None
    try:
        for tok in _LARK.lex(text):
            if (tok.line, tok.column) >= (line, col):
                break
            previous = tok
    except UnexpectedInput:
        pass
    return previous


def _describe(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the expression"
    return f"'{tok}'"


def _translate(text: str, err: UnexpectedInput) -> ExpressionError:
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        ch = text[pos] if pos is not None and pos < len(text) else ""
        after = text[pos + 1:pos + 2] if pos is not None else ""
        if ch == "=" and after in ("<", ">"):  # => and =< for >= and <=
            meant = after + "="
            return _syntax(f"'={after}' is not an operator", err.line, err.column,
                           hint=f"write '{meant}' ({'at least' if meant == '>=' else 'at most'})")
        if ch == "=":
            return _syntax("'=' is not an operator", err.line, err.column,
                           hint="use '==' to compare")
        if ch in "\"'":
            return _syntax("unterminated string", err.line, err.column, code=EXPRESSION_INCOMPLETE,
                           hint=f"close it with {ch}")
        if ch == "&" or ch == "|":
            word = "and" if ch == "&" else "or"
            return _syntax(f"'{ch}' is not an operator", err.line, err.column,
                           hint=f"write '{word}'")
        if ch == "!":
            return _syntax("'!' is not an operator", err.line, err.column,
                           hint="write 'not' or '!='")
        return _syntax(f"unexpected character '{ch}'", err.line, err.column)

    line = getattr(err, "line", -1)
    col = getattr(err, "column", -1)
    token: Token | None = getattr(err, "token", None)
    if isinstance(err, UnexpectedEOF) or (token is not None and token.type == "$END"):
        prev = _previous_token(text, 10**9, 0)
        end_line, end_col = _line_col(text, len(text.rstrip()))
        if prev is not None:
            return _syntax(f"the expression ends too early: missing value after '{prev}'",
                           prev.line or end_line, prev.column or end_col,
                           code=EXPRESSION_INCOMPLETE)
        return _syntax("the expression ends too early", end_line, end_col,
                       code=EXPRESSION_INCOMPLETE)

    label = err.match_examples(_LARK.parse, _EXAMPLES, use_accepts=True)
    where = _describe(token) if token is not None else "here"
    if label == "missing value after the operator":
        prev = _previous_token(text, line, col)
        after = f" '{prev}'" if prev is not None else ""
        return _syntax(f"missing value after{after}: found {where}", line, col,
                       code=EXPRESSION_INCOMPLETE)
    if label:
        return _syntax(f"{label}: found {where}", line, col)
    return _syntax(f"unexpected {where}", line, col)


def parse_expression(text: str) -> n.Node:
    """Parse a condition expression into an AST (spans relative to ``text``).

    Raises ``ExpressionError`` with a stable code for anything that is not a
    well-formed expression.  Names and types are checked by ``dsl.check``.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}",
                              Span(EXPR_FILE, 1, 1), code=EXPRESSION_INCOMPLETE)
    _check_shape(text)
    try:
        tree = _LARK.parse(text)
    except UnexpectedInput as err:
        raise _translate(text, err) from None
    if _tree_depth(tree) > MAX_DEPTH * 2:
        raise _syntax(f"expression nested more than {MAX_DEPTH} deep", 1, 1,
                      code=EXPRESSION_TOO_LARGE,
                      hint="split long chains of 'and' / 'or' into several promotions or lists")
    try:
        node = ToAst().transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, ExpressionError):
            raise err.orig_exc from None
        raise
    if isinstance(node, Tree) or not isinstance(node, n.Node):  # pragma: no cover - grammar bug
        raise _syntax("not an expression", 1, 1)
    return node


def iter_tokens(text: str) -> Iterator[Token]:
    """The expression's tokens (for tools such as the linter)."""
    return _LARK.lex(text)
