"""Every part of a condition with its value and truth for one cart: the condition
tree of ``promo explain`` (``engine/trace.py``), which rule-test coverage reads too.

The API (stable: coverage keys on ``(promotion, field, Part.id)``).  For a whole cart,
``explain_cart(program, cart, at)`` (engine/trace.py) gives each promotion's
``conditions`` with the rest of its decision; for the conditions alone::

    promotion_conditions(program, promotion, facts) -> tuple[ConditionTrace, ...]
        facts = program.facts(cart, at)     # at: an aware datetime
    ConditionTracer(zone, source, explainer)          (program.condition_tracer)
        .trace(condition, field, facts, about) -> ConditionTrace

    ConditionTrace                 one condition field of a promotion
      field     "when" | "target" | "effect.get_target" | "shipment_target"
                (CONDITION_FIELDS)
      source    the text as written (a code this cart did not enter masked: "…")
      per_line  whether it is about one line (a target): evaluated for every line
      per_shipment  whether it is about one shipment (a shipment_target): evaluated
                for every shipment, each LineValue naming a shipment (a plain shipping:
                "shipping"); a function over lines inside it is one value per
                shipment (its parts are not traced)
      span      where the text starts in the ruleset file
      root      Part

    Part                           one node of the condition's syntax tree
      id        "0" for the root, "0.2.1" for the second child of its third child:
                positions in the tree, so the same for every cart of a ruleset
      kind      "and" "or" "not" "compare" "arith" "neg" "call" "path" "literal"
      op        the operator ("and", ">=", "not in", "+"), the function ("count"),
                the dotted name ("cart.subtotal"); None for a literal
      text      canonical text (dsl/expr/format.py), codes not entered masked
      span      Span in the ruleset file: line, col, end_line, end_col (end exclusive)
      tested    whether the language reads the part as true or false: the whole
                condition, a side of and/or, the operand of not, a comparison, the
                condition of any/all/count/lines, the ``where`` of sum/min/max
      value     its value, as JSON (numbers and moments as strings, a missing
                attribute as null); None for a part evaluated per line
      type      "number" "string" "bool" "time" "list" "missing" (of the value)
      truth     bool(value) when tested, else None
      lines     for a part evaluated per line (a target, inside any/count/sum …):
                one LineValue(line, value, type, truth) per cart line, in cart
                order; else None (a literal has one value, even inside those)
      children  tuple[Part, ...]: ``a and b and c`` is one "and" with three children
                (a chain of one operator is one part, as the compiler reads it)
      truths    frozenset of the truths seen (both: the part was seen true and false)

Every part is evaluated, not only those a short-circuit reaches: a part that
Python would skip is still shown with its value.  The parts are compiled with
the compiler the rules are compiled with (through ``Explainer.value``), so the
root's value is the rule's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dsl.errors import Span
from dsl.expr import nodes as n
from dsl.expr.format import format_expression
from dsl.expr.types import Context
from dsl.loader import Document, NodePosition, SourceFile
from dsl.locate import expression_location
from dsl.model import Promotion
from dsl.records import record
from dsl.values import Condition

from .compile import MISSING, kind_of
from .explain import MASK, Explainer, masked
from .facts import Facts

if TYPE_CHECKING:
    from .program import Program

KINDS = ("and", "or", "not", "compare", "arith", "neg", "call", "path", "literal")
_LINE_TESTS = ("any", "all", "count", "lines")  # functions whose argument is a condition


@record
class LineValue:
    """A part's value on one cart line."""

    line: str
    value: Any
    type: str
    truth: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "value": self.value, "type": self.type,
                "truth": self.truth}


@record
class Part:
    """One part of a condition, its value (or values, per line) and its truth."""

    id: str
    kind: str
    op: str | None
    text: str
    span: Span
    tested: bool
    value: Any
    type: str | None
    truth: bool | None
    lines: tuple[LineValue, ...] | None
    children: tuple[Part, ...]

    @property
    def truths(self) -> frozenset[bool]:
        """The truths this part was seen with (empty when it is not tested)."""
        if not self.tested:
            return frozenset()
        if self.lines is None:
            return frozenset() if self.truth is None else frozenset((self.truth,))
        return frozenset(v.truth for v in self.lines if v.truth is not None)

    def walk(self) -> Iterator[Part]:
        """This part and every part inside it, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "op": self.op, "text": self.text,
                "span": _span_dict(self.span), "tested": self.tested, "value": self.value,
                "type": self.type, "truth": self.truth,
                "lines": None if self.lines is None else [v.to_dict() for v in self.lines],
                "children": [c.to_dict() for c in self.children]}


@record
class ConditionTrace:
    """One condition field of a promotion, evaluated part by part for one cart."""

    field: str
    source: str
    per_line: bool
    span: Span | None
    root: Part
    per_shipment: bool = False

    def parts(self) -> Iterator[Part]:
        return self.root.walk()

    def to_dict(self) -> dict[str, Any]:
        about = {"per_shipment": True} if self.per_shipment else {}
        return {"field": self.field, "source": self.source, "per_line": self.per_line, **about,
                "span": None if self.span is None else _span_dict(self.span),
                "root": self.root.to_dict()}


def _span_dict(span: Span) -> dict[str, Any]:
    return {"file": span.file, "line": span.line, "col": span.col,
            "end_line": span.end_line, "end_col": span.end_col}


def json_value(value: Any, zone: ZoneInfo) -> Any:
    """A condition's value as JSON: numbers as decimal strings, moments as ISO text
    in the ruleset's timezone, a missing attribute as null."""
    if value is MISSING or value is None:
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        local = value.astimezone(zone) if value.tzinfo is not None else value
        return local.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | frozenset | set):
        items = list(value)
        if isinstance(value, frozenset | set):
            items = sorted(items, key=str)
        return [json_value(v, zone) for v in items]
    if isinstance(value, dict):
        return {str(k): json_value(v, zone) for k, v in value.items()}
    return str(value)


def value_type(value: Any) -> str:
    """The kind of a value as the trace names it."""
    if value is MISSING or value is None:
        return "missing"
    return kind_of(value) or "other"


def _kind(node: n.Node) -> tuple[str, str | None]:
    if isinstance(node, n.And):
        return "and", "and"
    if isinstance(node, n.Or):
        return "or", "or"
    if isinstance(node, n.Not):
        return "not", "not"
    if isinstance(node, n.Compare):
        return "compare", node.op
    if isinstance(node, n.Arith):
        return "arith", node.op
    if isinstance(node, n.Neg):
        return "neg", "-"
    if isinstance(node, n.Call):
        return "call", node.name
    if isinstance(node, n.Path):
        return "path", node.dotted
    return "literal", None


def _terms(node: n.Node) -> list[n.Node]:
    """The terms of a chain of one operator (``a and b and c``), left to right."""
    kind = type(node)
    out: list[n.Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is kind:
            assert isinstance(current, n.And | n.Or)
            stack += (current.right, current.left)
        else:
            out.append(current)
    return out


def _children(node: n.Node) -> list[tuple[n.Node, bool, bool]]:
    """Each child with whether it is tested and whether it is read per line."""
    if isinstance(node, n.And | n.Or):
        return [(t, True, False) for t in _terms(node)]
    if isinstance(node, n.Not):
        return [(node.operand, True, False)]
    if isinstance(node, n.Call):
        tested = node.name in _LINE_TESTS
        out = [(a, tested, True) for a in node.args]
        if node.where is not None:
            out.append((node.where, True, True))
        return out
    return [(c, False, False) for c in node.children()]


class _Locator:
    """Maps spans inside one condition's text onto the ruleset file."""

    def __init__(self, condition: Condition, source: SourceFile | None) -> None:
        self.document: Document | None = None
        span = condition.span
        if source is None or span is None or not 0 < span.line <= len(source.lines):
            return
        line = source.lines[span.line - 1]
        first = line[span.col - 1:span.col]
        style = first if first in ('"', "'", "|", ">") else None
        self.document = Document({"c": condition.source},
                                 {("c",): NodePosition(span, None, style)}, source)

    def __call__(self, node: n.Node) -> Span:
        relative = node.span
        if self.document is None:
            return relative
        start = expression_location(self.document, ("c",), relative.line, relative.col)
        end_line, end_col = start.line, None
        if relative.end_line is not None and relative.end_col is not None and \
                relative.end_col > 1:
            # the last character of the part, then one past it: the end is exclusive
            last = expression_location(self.document, ("c",), relative.end_line,
                                       relative.end_col - 1)
            end_line, end_col = last.line, last.col + 1
        return Span(start.file, start.line, start.col, end_line, end_col)


class ConditionTracer:
    """Traces the conditions of one ruleset (its zone and source) for carts."""

    def __init__(self, zone: ZoneInfo, source: SourceFile | None,
                 explainer: Explainer | None = None) -> None:
        self.zone = zone
        self.source = source
        self.explainer = explainer or Explainer(zone)

    def trace(self, condition: Condition, field: str, facts: Facts,
              about: Context = Context.CART) -> ConditionTrace:
        """Every part of ``condition`` (the promotion's ``field``) for the cart of
        ``facts``, ``about`` what it is: the cart, each line or each shipment."""
        node = condition.node
        if node is None:
            raise ValueError(f"{field}: the condition was not parsed")
        hidden = self.explainer.hidden(node, facts)
        per_shipment = about is Context.SHIPMENT
        walker = _Walk(self, facts, hidden, _Locator(condition, self.source), per_shipment)
        root = walker.part(node, "0", tested=True, per_line=about is not Context.CART)
        source = self.explainer.written(condition, facts)
        return ConditionTrace(field, source, about is Context.ITEM, condition.span, root,
                              per_shipment)


class _Walk:
    def __init__(self, tracer: ConditionTracer, facts: Facts, hidden: frozenset[int],
                 locate: _Locator, per_shipment: bool = False) -> None:
        self.tracer = tracer
        self.facts = facts
        self.hidden = hidden
        self.locate = locate
        self.per_shipment = per_shipment  # "per line" reads each shipment

    def text(self, node: n.Node) -> str:
        if self.hidden and any(id(p) in self.hidden for p in n.walk(node)):
            return format_expression(masked(node, self.hidden))
        return self.tracer.explainer.text(node)

    def seen(self, node: n.Node, item: Any) -> Any:
        if isinstance(node, n.String) and id(node) in self.hidden:
            return MASK
        if isinstance(node, n.ListLit) and self.hidden:
            return [MASK if isinstance(i, n.String) and id(i) in self.hidden
                    else self.seen(i, item) for i in node.items]
        return self.tracer.explainer.value(node, self.facts, item)

    def part(self, node: n.Node, key: str, tested: bool, per_line: bool) -> Part:
        kind, op = _kind(node)
        tested = tested or kind == "compare"
        zone = self.tracer.zone
        value: Any = None
        type_: str | None = None
        truth: bool | None = None
        lines: tuple[LineValue, ...] | None = None
        if per_line and kind != "literal":  # (a literal is the same on every line)
            found = []
            for line in (self.facts.shipments if self.per_shipment else self.facts.lines):
                raw = self.seen(node, line)
                # (a cart's plain shipping is the shipment with id "": named "shipping")
                name = str(line["id"]) or "shipping"
                found.append(LineValue(name, json_value(raw, zone), value_type(raw),
                                       bool(raw) if tested else None))
            lines = tuple(found)
        else:
            raw = self.seen(node, None)
            value, type_ = json_value(raw, zone), value_type(raw)
            truth = bool(raw) if tested else None
        # (a function over lines in a shipment_target: one value per shipment, as its
        # parts read both a line and the shipment)
        inside = () if self.per_shipment and kind == "call" else _children(node)
        children = tuple(self.part(child, f"{key}.{k}", child_tested, per_line or inner)
                         for k, (child, child_tested, inner) in enumerate(inside))
        return Part(key, kind, op, self.text(node), self.locate(node), tested, value, type_,
                    truth, lines, children)


def promotion_conditions(program: Program, promotion: Promotion,
                         facts: Facts) -> tuple[ConditionTrace, ...]:
    """Every condition field of ``promotion`` (``CONDITION_FIELDS`` order) traced for the
    cart of ``facts`` (``program.facts(cart, at)``)."""
    tracer = program.condition_tracer
    out = []
    for path, value, context in promotion.conditions():
        if value.node is not None:
            out.append(tracer.trace(value, ".".join(map(str, path)), facts, context))
    return tuple(out)
