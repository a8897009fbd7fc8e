"""Condition AST → Python closures, built once per ruleset.

A compiled condition is ``fn(facts, item) -> value``: ``facts`` are the
cart's precomputed fields (``Facts``), ``item`` the line being looked at (or
``None``).  Evaluating a cart never walks the AST.

Runtime rules the type checker cannot settle:

* a missing ``attributes.*`` value is ``MISSING``; every comparison with it is
  false (``!=`` and ``not in`` too), arithmetic with it stays ``MISSING``;
* an ``attributes.*`` value of an unexpected type makes its comparison false;
* division by zero gives ``MISSING``;
* a date compared with a datetime is midnight of that date in the ruleset's
  timezone; a datetime literal without an offset is read in that timezone.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dsl import nodes as n
from dsl.check import infer_type
from dsl.types import ATTRIBUTES, Type


class _Missing:
    """An absent attribute: falsy, equal to nothing."""

    def __repr__(self) -> str:
        return "missing"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

Compiled = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Facts:
    """What conditions can read about one cart, computed once per evaluation."""

    cart: dict[str, Any]
    customer: dict[str, Any]
    cart_attributes: dict[str, Any]
    customer_attributes: dict[str, Any]
    lines: list[dict[str, Any]]


_ORDER_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ARITH_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def _localize(value: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return dt.datetime(value.year, value.month, value.day, tzinfo=zone)


def _number(value: Any) -> Any:
    """Attribute values from JSON may be ints or floats; compare them as Decimal."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


class Compiler(n.Visitor):
    """Builds closures; ``zone`` is the ruleset's timezone."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def compile(self, node: n.Node) -> Compiled:
        fn: Compiled = self.visit(node)
        return fn

    # literals
    def visit_Number(self, node: n.Number) -> Compiled:
        value = node.value
        return lambda f, i: value

    def visit_String(self, node: n.String) -> Compiled:
        value = node.value
        return lambda f, i: value

    def visit_Boolean(self, node: n.Boolean) -> Compiled:
        value = node.value
        return lambda f, i: value

    def visit_Date(self, node: n.Date) -> Compiled:
        value: Any = node.value
        if isinstance(value, dt.datetime):
            value = _localize(value, self.zone)
        return lambda f, i: value

    def visit_ListLit(self, node: n.ListLit) -> Compiled:
        if all(isinstance(x, (n.Number, n.String)) for x in node.items):
            frozen = tuple(x.value for x in node.items)  # type: ignore[attr-defined]
            return lambda f, i: frozen
        items = [self.compile(x) for x in node.items]
        return lambda f, i: tuple(item(f, i) for item in items)

    # names
    def visit_Path(self, node: n.Path) -> Compiled:
        parts = node.parts
        if parts[0] == ATTRIBUTES:
            parts = ("cart", *parts)
        scope, name = parts[0], parts[1]
        if name == ATTRIBUTES:
            key = parts[2]
            if scope == "cart":
                return lambda f, i: _number(f.cart_attributes.get(key, MISSING))
            if scope == "customer":
                return lambda f, i: _number(f.customer_attributes.get(key, MISSING))
            return lambda f, i: _number(i["attributes"].get(key, MISSING))
        if scope == "cart":
            return lambda f, i: f.cart[name]
        if scope == "customer":
            return lambda f, i: f.customer[name]
        return lambda f, i: i[name]

    # operators
    def visit_And(self, node: n.And) -> Compiled:
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda f, i: bool(left(f, i)) and bool(right(f, i))

    def visit_Or(self, node: n.Or) -> Compiled:
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda f, i: bool(left(f, i)) or bool(right(f, i))

    def visit_Not(self, node: n.Not) -> Compiled:
        operand = self.compile(node.operand)
        return lambda f, i: not operand(f, i)

    def visit_Neg(self, node: n.Neg) -> Compiled:
        operand = self.compile(node.operand)

        def neg(f: Any, i: Any) -> Any:
            value = operand(f, i)
            return MISSING if value is MISSING else -value

        return neg

    def visit_Arith(self, node: n.Arith) -> Compiled:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op == "/":
            def divide(f: Any, i: Any) -> Any:
                a, b = left(f, i), right(f, i)
                if a is MISSING or b is MISSING or not b:
                    return MISSING
                try:
                    return a / b
                except TypeError:
                    return MISSING

            return divide
        op = _ARITH_OPS[node.op]

        def arith(f: Any, i: Any) -> Any:
            a, b = left(f, i), right(f, i)
            if a is MISSING or b is MISSING:
                return MISSING
            try:
                return op(a, b)
            except TypeError:
                return MISSING

        return arith

    def visit_Compare(self, node: n.Compare) -> Compiled:
        left, right = self.compile(node.left), self.compile(node.right)
        left_type, _ = infer_type(node.left, item_context=True)
        right_type, _ = infer_type(node.right, item_context=True)
        if left_type.temporal and right_type.temporal and Type.ANY not in (left_type,
                                                                          right_type):
            left, right = self._temporal(left), self._temporal(right)
        test = self._test(node.op)
        if not _may_be_missing(node.left) and not _may_be_missing(node.right):
            # Declared fields and literals: the checker settled the types, so no
            # MISSING and no TypeError can occur here.
            return lambda f, i: test(left(f, i), right(f, i))

        def compare(f: Any, i: Any) -> bool:
            a, b = left(f, i), right(f, i)
            if a is MISSING or b is MISSING:
                return False
            try:
                return test(a, b)
            except TypeError:
                return False

        return compare

    def _temporal(self, fn: Compiled) -> Compiled:
        zone = self.zone
        return lambda f, i: _localize(fn(f, i), zone)

    @staticmethod
    def _test(op: str) -> Callable[[Any, Any], bool]:
        if op == "==":
            return operator.eq
        if op == "!=":
            return operator.ne
        if op in _ORDER_OPS:
            return _ORDER_OPS[op]
        if op == "in":
            return lambda a, b: a in b
        if op == "not in":
            return lambda a, b: a not in b
        return lambda a, b: b in a  # contains: list membership or substring

    def visit_Call(self, node: n.Call) -> Compiled:
        arg = self.compile(node.args[0]) if node.args else None
        where = self.compile(node.where) if node.where is not None else None
        name = node.name
        if name == "any":
            assert arg is not None
            return lambda f, i: any(arg(f, line) for line in f.lines)
        if name == "all":
            assert arg is not None
            return lambda f, i: all(arg(f, line) for line in f.lines)
        if name == "count":
            if arg is None:
                return lambda f, i: f.cart["quantity"]
            return lambda f, i: Decimal(sum(line["quantity"] for line in f.lines
                                            if arg(f, line)))
        if name == "lines":
            if arg is None:
                return lambda f, i: f.cart["lines"]
            return lambda f, i: Decimal(sum(1 for line in f.lines if arg(f, line)))
        assert arg is not None
        if where is None:
            def values(f: Any) -> list[Any]:
                return [v for v in (arg(f, line) for line in f.lines) if v is not MISSING]
        else:
            def values(f: Any) -> list[Any]:
                return [v for v in (arg(f, line) for line in f.lines if where(f, line))
                        if v is not MISSING]
        zero = Decimal(0)
        if name == "sum":
            return lambda f, i: sum(values(f), zero)
        pick = min if name == "min" else max
        return lambda f, i: pick(values(f), default=zero)


def _may_be_missing(node: n.Node) -> bool:
    """Could evaluating ``node`` give ``MISSING`` or a value of an unexpected type?"""
    for part in n.walk(node):
        if isinstance(part, n.Path) and ATTRIBUTES in part.parts:
            return True
        if isinstance(part, n.Arith) and part.op == "/":
            return True
    return False


def compile_condition(node: n.Node, zone: ZoneInfo) -> Compiled:
    """A closure computing ``node`` for a cart (and a line, for item conditions)."""
    return Compiler(zone).compile(node)
