"""The condition AST, declared in one place.

Every node is a frozen dataclass (a ``dsl.records.record``) with a ``span``
(excluded from equality, so two parses of the same text at different places
compare equal).  Spans here are relative to the expression text: line 1,
columns counted in the expression; the loader maps them onto the YAML file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import field, fields
from decimal import Decimal
from typing import Any, TypeVar

from ..errors import Span
from ..records import record

NO_SPAN = Span("<expr>", 1, 1)


@record
class Node:
    """Base of all nodes: every node has a ``span``, keyword-only and left out of equality."""

    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

    def children(self) -> Iterator[Node]:
        names = _FIELD_NAMES.get(type(self))
        if names is None:  # once per class: dataclasses.fields() is slow to call per node
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in fields(self)
                                                     if f.name != "span")
        for name in names:
            value = getattr(self, name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, Node))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


# ---------------------------------------------------------------- literals


@record
class Number(Node):
    """A decimal or integer literal, kept as ``Decimal``."""

    value: Decimal


@record
class String(Node):
    """A quoted string literal."""

    value: str


@record
class Boolean(Node):
    """``true`` or ``false``."""

    value: bool


@record
class Date(Node):
    """A date (``2026-06-01``) or datetime (``2026-06-01T09:00``) literal."""

    value: dt.date | dt.datetime


@record
class ListLit(Node):
    """A list literal: ``["a", "b"]``."""

    items: tuple[Node, ...]


# ------------------------------------------------------------------ names


@record
class Path(Node):
    """A dotted name such as ``cart.subtotal`` or ``item.attributes.color``."""

    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


# -------------------------------------------------------------- operators


@record
class Compare(Node):
    """``left OP right`` with OP one of == != < <= > >= in, not in, contains."""

    op: str
    left: Node
    right: Node


@record
class Arith(Node):
    """``left OP right`` with OP one of + - * /."""

    op: str
    left: Node
    right: Node


@record
class Neg(Node):
    """Unary minus."""

    operand: Node


@record
class And(Node):
    """``left and right``."""

    left: Node
    right: Node


@record
class Or(Node):
    """``left or right``."""

    left: Node
    right: Node


@record
class Not(Node):
    """``not operand``."""

    operand: Node


@record
class Call(Node):
    """A function over lines: ``count(cond)``, ``sum(expr where cond)``."""

    name: str
    args: tuple[Node, ...]
    where: Node | None = None


COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains")
ARITH_OPS = ("+", "-", "*", "/")

N = TypeVar("N")


class Visitor:
    """Dispatches ``visit(node)`` to ``visit_<NodeClass>``; ``generic_visit`` otherwise."""

    def visit(self, node: Node, *args: Any) -> Any:
        method: Callable[..., Any] = getattr(self, "visit_" + type(node).__name__,
                                             self.generic_visit)
        return method(node, *args)

    def generic_visit(self, node: Node, *args: Any) -> Any:
        for child in node.children():
            self.visit(child, *args)
        return None


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents before children (iterative)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(current.children())))
