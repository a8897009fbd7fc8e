"""Why a condition was false: the first failing part and the values it saw.

    cart.subtotal >= 100 was false: cart.subtotal is 84.50

Only rejected promotions are explained, so this module may walk the AST; the
parts it evaluates are compiled with the same compiler as the rules.

A reason never shows a coupon code that the cart did not enter: a string
compared with ``cart.coupons`` (``cart.coupons contains "…"``, ``"…" in
cart.coupons``, ``cart.coupons == ["…"]``, inside ``and``, ``or``, ``not`` and
the functions over lines) is shown as ``"…"`` unless this cart entered that
very code (normalised), so an automatic promotion keyed to a partner's code
does not print the code to every cart (docs/semantics.md#reasons).

    cart.coupons contains "…" was false: that code was not entered
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dsl.expr import nodes as n
from dsl.expr.format import format_expression
from dsl.expr.logic import COUPONS, coupon_literals
from dsl.values import Condition, normalise_code

from .compile import MISSING, Compiled, Compiler
from .facts import Facts

_LITERALS = (n.Number, n.String, n.Boolean, n.Date, n.ListLit)

MASK = "…"
"""What a reason shows in place of a code the cart did not enter."""
NOT_ENTERED = "that code was not entered"
NONE_ENTERED = "none of those codes was entered"


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


def _is_coupons(node: n.Node) -> bool:
    return isinstance(node, n.Path) and node.parts == COUPONS


def masked(node: n.Node, hidden: frozenset[int]) -> n.Node:
    """A copy of ``node`` with the string literals whose ``id`` is in ``hidden`` shown
    as ``MASK``."""
    if isinstance(node, n.String):
        return n.String(MASK, span=node.span) if id(node) in hidden else node
    changes: dict[str, Any] = {}
    for spec in dataclasses.fields(node):
        value = getattr(node, spec.name)
        if isinstance(value, n.Node):
            changes[spec.name] = masked(value, hidden)
        elif isinstance(value, tuple):
            changes[spec.name] = tuple(masked(v, hidden) if isinstance(v, n.Node) else v
                                       for v in value)
    return dataclasses.replace(node, **changes)


def _joined(details: list[str]) -> str:
    """The details of both sides of an ``or``; codes not entered are said once."""
    out: list[str] = []
    for detail in details:
        if detail in (NOT_ENTERED, NONE_ENTERED) and \
                any(o in (NOT_ENTERED, NONE_ENTERED) for o in out):
            out = [NONE_ENTERED if o in (NOT_ENTERED, NONE_ENTERED) else o for o in out]
            continue
        out.append(detail)
    return "; ".join(out)


class Explainer:
    """Finds the first part of a false condition that made it false."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.compiler = Compiler(zone)
        self._compiled: dict[int, tuple[n.Node, Compiled]] = {}
        self._texts: dict[int, tuple[n.Node, str]] = {}
        self._codes: dict[int, tuple[n.Node, tuple[n.String, ...]]] = {}

    def value(self, node: n.Node, facts: Facts, item: Any) -> Any:
        # Compiled once per node (keyed by identity; the node is kept alive with it).
        entry = self._compiled.get(id(node))
        if entry is None:
            entry = self._compiled[id(node)] = (node, self.compiler.compile(node))
        return entry[1](facts, item)

    def text(self, node: n.Node) -> str:
        """The node's canonical text, formatted once (codes unmasked: see ``shown``)."""
        entry = self._texts.get(id(node))
        if entry is None:
            entry = self._texts[id(node)] = (node, format_expression(node))
        return entry[1]

    def hidden(self, node: n.Node, facts: Facts) -> frozenset[int]:
        """The ``id`` of each string inside ``node`` compared with ``cart.coupons``
        whose code this cart did not enter."""
        entry = self._codes.get(id(node))
        if entry is None:
            entry = self._codes[id(node)] = (node, coupon_literals(node))
        if not entry[1]:
            return frozenset()
        entered = frozenset(facts.cart["coupons"])  # normalised when the cart was read
        return frozenset(id(s) for s in entry[1] if normalise_code(s.value) not in entered)

    def shown(self, node: n.Node, facts: Facts) -> str:
        """The node's canonical text as this cart may read it: the codes compared with
        ``cart.coupons`` that it did not enter are masked."""
        hidden = self.hidden(node, facts)
        return format_expression(masked(node, hidden)) if hidden else self.text(node)

    def written(self, condition: Condition, facts: Facts) -> str:
        """A condition as it was written; when it holds a code this cart did not
        enter, its canonical text with those codes masked."""
        if condition.node is None or not self.hidden(condition.node, facts):
            return condition.source
        return self.shown(condition.node, facts)

    def why_false(self, node: n.Node, facts: Facts, item: Any = None) -> str:
        """A sentence naming the first failing condition and the actual values."""
        if isinstance(node, n.And):
            if not self.value(node.left, facts, item):
                return self.why_false(node.left, facts, item)
            return self.why_false(node.right, facts, item)
        if isinstance(node, n.Not):
            return f"{self.shown(node, facts)} was false: " \
                   f"{self.shown(node.operand, facts)} was true"
        text = self.shown(node, facts)
        if isinstance(node, n.Or):
            parts = [self.why_false(side, facts, item) for side in (node.left, node.right)]
            return f"{text} was false: " + _joined([p.split(" was false: ", 1)[-1]
                                                     for p in parts])
        if isinstance(node, n.Call) and node.name in ("any", "all"):
            if node.name == "any":
                return f"{text} was false: no line satisfies it"
            failing = [line["id"] for line in facts.lines
                       if not self.value(node.args[0], facts, line)]
            return f"{text} was false: line {failing[0]} does not satisfy it" if failing \
                else f"{text} was false"
        if self._not_entered(node, facts):
            return f"{text} was false: {NOT_ENTERED}"
        seen = [f"{self.shown(o, facts)} is {show(self._local(self.value(o, facts, item)))}"
                for o in self._operands(node)]
        return f"{text} was false" + (": " + ", ".join(seen) if seen else "")

    def _not_entered(self, node: n.Node, facts: Facts) -> bool:
        """Whether ``node`` asks for one code (``cart.coupons contains "X"``, ``"X" in
        cart.coupons``) that this cart did not enter."""
        if not isinstance(node, n.Compare) or node.op not in ("contains", "in"):
            return False
        coupons, code = (node.left, node.right) if node.op == "contains" else \
            (node.right, node.left)
        return _is_coupons(coupons) and isinstance(code, n.String) and \
            id(code) in self.hidden(node, facts)

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
