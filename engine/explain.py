"""Why a condition was false: the first failing part and the values it saw.

    cart.subtotal >= 100 was false: cart.subtotal is 84.50

Only rejected promotions are explained, so this module may walk the AST; the
parts it evaluates are compiled with the same compiler as the rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dsl.expr import nodes as n
from dsl.expr.format import format_expression

from .compile import MISSING, Compiled, Compiler
from .facts import Facts

_LITERALS = (n.Number, n.String, n.Boolean, n.Date, n.ListLit)


def show(value: Any) -> str:
    """A value as a merchandiser reads it."""
    if value is MISSING:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


class Explainer:
    """Finds the first part of a false condition that made it false."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.compiler = Compiler(zone)
        self._compiled: dict[int, tuple[n.Node, Compiled]] = {}
        self._texts: dict[int, tuple[n.Node, str]] = {}

    def value(self, node: n.Node, facts: Facts, item: Any) -> Any:
        # Compiled once per node (keyed by identity; the node is kept alive with it).
        entry = self._compiled.get(id(node))
        if entry is None:
            entry = self._compiled[id(node)] = (node, self.compiler.compile(node))
        return entry[1](facts, item)

    def text(self, node: n.Node) -> str:
        """The node's canonical text, formatted once."""
        entry = self._texts.get(id(node))
        if entry is None:
            entry = self._texts[id(node)] = (node, format_expression(node))
        return entry[1]

    def why_false(self, node: n.Node, facts: Facts, item: Any = None) -> str:
        """A sentence naming the first failing condition and the actual values."""
        if isinstance(node, n.And):
            if not self.value(node.left, facts, item):
                return self.why_false(node.left, facts, item)
            return self.why_false(node.right, facts, item)
        if isinstance(node, n.Not):
            return f"{self.text(node)} was false: " \
                   f"{self.text(node.operand)} was true"
        text = self.text(node)
        if isinstance(node, n.Or):
            parts = [self.why_false(side, facts, item) for side in (node.left, node.right)]
            return f"{text} was false: " + "; ".join(p.split(" was false: ", 1)[-1]
                                                      for p in parts)
        if isinstance(node, n.Call) and node.name in ("any", "all"):
            if node.name == "any":
                return f"{text} was false: no line satisfies it"
            failing = [line["id"] for line in facts.lines
                       if not self.value(node.args[0], facts, line)]
            return f"{text} was false: line {failing[0]} does not satisfy it" if failing \
                else f"{text} was false"
        seen = [f"{self.text(o)} is {show(self._local(self.value(o, facts, item)))}"
                for o in self._operands(node)]
        return f"{text} was false" + (": " + ", ".join(seen) if seen else "")

    def _local(self, value: Any) -> Any:
        """A moment as the merchandiser wrote the rule: in the ruleset's timezone."""
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(self.compiler.zone)
        return value

    @staticmethod
    def _operands(node: n.Node) -> list[n.Node]:
        if isinstance(node, n.Compare):
            sides = [node.left, node.right]
        else:
            sides = [node]
        return [s for s in sides if not isinstance(s, _LITERALS)]
