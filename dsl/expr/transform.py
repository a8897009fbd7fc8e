"""Lark parse tree → AST nodes (``nodes.py``).

One method per grammar alias; numbers become ``Decimal``, never ``float``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..codes import BAD_DATE_LITERAL
from ..errors import ExpressionError, Span
from . import nodes as n
from .condition_parser import Meta, Token, Transformer, v_args

EXPR_FILE = "<expr>"

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def span_of(meta: Meta | Token) -> Span:
    if isinstance(meta, Token):
        return Span(EXPR_FILE, meta.line or 1, meta.column or 1, meta.end_line, meta.end_column)
    return Span(EXPR_FILE, meta.line, meta.column, meta.end_line, meta.end_column)


def unescape(quoted: str) -> str:
    body = quoted[1:-1]
    if "\\" not in body:
        return body
    out = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(ch)
    return "".join(out)


def _binary(node_cls: Any, op: str | None = None) -> Any:
    """A transformer method building ``node_cls`` from two operands (and ``op``)."""
    def method(self: ToAst, meta: Meta, children: list[n.Node]) -> n.Node:
        left, right = children
        if op is None:
            return node_cls(left, right, span=span_of(meta))  # type: ignore[no-any-return]
        return node_cls(op, left, right, span=span_of(meta))  # type: ignore[no-any-return]

    return v_args(meta=True)(method)


class ToAst(Transformer[Token, n.Node]):
    """Builds frozen AST nodes from the parse tree."""

    # literals
    def number(self, children: list[Token]) -> n.Number:
        (tok,) = children
        return n.Number(Decimal(str(tok)), span=span_of(tok))

    def string(self, children: list[Token]) -> n.String:
        (tok,) = children
        return n.String(unescape(str(tok)), span=span_of(tok))

    @v_args(meta=True)
    def true(self, meta: Meta, children: list[Any]) -> n.Boolean:
        return n.Boolean(True, span=span_of(meta))

    @v_args(meta=True)
    def false(self, meta: Meta, children: list[Any]) -> n.Boolean:
        return n.Boolean(False, span=span_of(meta))

    def date(self, children: list[Token]) -> n.Date:
        (tok,) = children
        try:
            value = dt.date.fromisoformat(str(tok))
        except ValueError:
            raise ExpressionError(f"'{tok}' is not a valid date", span_of(tok),
                                  code=BAD_DATE_LITERAL) from None
        return n.Date(value, span=span_of(tok))

    def datetime(self, children: list[Token]) -> n.Date:
        (tok,) = children
        try:
            value = dt.datetime.fromisoformat(str(tok).replace("Z", "+00:00"))
        except ValueError:
            raise ExpressionError(f"'{tok}' is not a valid date and time", span_of(tok),
                                  code=BAD_DATE_LITERAL) from None
        return n.Date(value, span=span_of(tok))

    @v_args(meta=True)
    def list_lit(self, meta: Meta, children: list[n.Node | None]) -> n.ListLit:
        return n.ListLit(tuple(c for c in children if c is not None), span=span_of(meta))

    # names and calls
    @v_args(meta=True)
    def path(self, meta: Meta, children: list[Token]) -> n.Path:
        return n.Path(tuple(str(t) for t in children), span=span_of(meta))

    def args(self, children: list[n.Node]) -> tuple[n.Node, ...]:
        return tuple(children)

    def where(self, children: list[n.Node]) -> tuple[str, n.Node]:
        return ("where", children[0])

    @v_args(meta=True)
    def call(self, meta: Meta, children: list[Any]) -> n.Call:
        name_tok, args, where = children
        where_node = where[1] if where is not None else None
        return n.Call(str(name_tok), tuple(args or ()), where_node, span=span_of(meta))

    # operators
    or_ = _binary(n.Or)
    and_ = _binary(n.And)
    eq = _binary(n.Compare, "==")
    ne = _binary(n.Compare, "!=")
    lt = _binary(n.Compare, "<")
    le = _binary(n.Compare, "<=")
    gt = _binary(n.Compare, ">")
    ge = _binary(n.Compare, ">=")
    in_ = _binary(n.Compare, "in")
    not_in = _binary(n.Compare, "not in")
    contains = _binary(n.Compare, "contains")
    add = _binary(n.Arith, "+")
    sub = _binary(n.Arith, "-")
    mul = _binary(n.Arith, "*")
    div = _binary(n.Arith, "/")

    @v_args(meta=True)
    def not_(self, meta: Meta, children: list[n.Node]) -> n.Not:
        return n.Not(children[0], span=span_of(meta))

    @v_args(meta=True)
    def neg(self, meta: Meta, children: list[n.Node]) -> n.Node:
        (operand,) = children
        if isinstance(operand, n.Number):
            # copy_negate is exact; unary minus would round to the context's 28 digits.
            return n.Number(operand.value.copy_negate(), span=span_of(meta))
        return n.Neg(operand, span=span_of(meta))
