"""Condition AST → Python source → one function per condition, built once per ruleset.

A compiled condition is ``fn(facts, item) -> value``: ``facts`` are the
cart's precomputed fields (``Facts``), ``item`` the line being looked at (or
``None``; the shipment, for a ``shipment_target``).  Evaluating a cart never walks the AST.

Why code generation: a condition is written out as one Python expression
over ``f`` (the facts) and ``i`` (the item) and compiled with Python's own
compiler, so evaluating it costs one Python frame, as a hand-written lambda
does, instead of one call per AST node::

    count(item.category == "socks") >= 2 and customer.orders > 0

becomes::

    lambda f, i: _Decimal(sum([i['quantity'] for i in f.lines if i['category'] == _k0]))
                 >= _k1 and f.customer['orders'] > _k2

Nothing the merchandiser wrote is spliced into the source: every literal is a
constant (``_k0``, ``_k1`` ...; here "socks", 2 and 0), field names are
``repr()``'d dict keys, operators come from fixed tables.  Conditions that
differ only in their literals have the same source, compiled once into a
factory ``lambda _k0, _k1, _k2: lambda f, i: ...`` that each condition calls
with its own constants, so they reach the condition as closure cells, as a
hand-written lambda's values do.  (Per-condition globals would do too, but
functions sharing code with different globals defeat CPython's caches for
global names: 1.4x the time of the lambdas instead of 1.1x.)  The globals, the
same dict for every condition, hold the helpers below and no builtins.
``Compiler(zone).source(node)`` shows the source of a condition.

A ruleset's conditions are compiled together (``compile_all``): the factories
not compiled before are written into expressions, tuples of a few dozen, that
Python's compiler reads in one call each; the factories are kept by source, so
loading an edited ruleset again compiles only its new conditions.

Runtime rules the type checker cannot settle:

* a missing ``attributes.*`` value is ``MISSING``; every comparison with it is
  false (``!=`` and ``not in`` too), arithmetic with it stays ``MISSING``;
* an ``attributes.*`` value of an unexpected type makes its comparison false;
* division by zero gives ``MISSING``;
* a date compared with a datetime is midnight of that date in the ruleset's
  timezone; a datetime literal without an offset is read in that timezone.

Only parts that read ``attributes.*`` or divide can break the first three;
they go through the small ``_guard_*`` / ``_arith_*`` helpers below.  Every
other comparison and sum is plain inline Python.
"""

from __future__ import annotations

import datetime as dt
import operator
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from dsl.expr import nodes as n
from dsl.expr.check import infer_type
from dsl.expr.types import ATTRIBUTES, Context, Type


class _Missing:
    """An absent attribute: falsy, equal to nothing."""

    def __repr__(self) -> str:
        return "missing"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

Compiled = Callable[[Any, Any], Any]
LineFilter = Callable[[Any], list[dict[str, Any]]]


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


# ------------------------------------------------- helpers for attributes and division

# What a value of an unexpected type (or a non-finite number: JSON allows NaN) raises
# in a comparison or in arithmetic: it makes the comparison false, the result MISSING.
_WRONG_VALUE = (TypeError, ArithmeticError)
_ZERO = Decimal(0)


def kind_of(value: Any) -> str | None:
    """The language's kind of a value read from ``attributes``: a boolean is not a
    number, and a mapping (or anything else) is of no kind, so nothing compares
    with it (docs/semantics.md#missing-attributes)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (Decimal, int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.date):  # datetime too: the comparison itself tells them apart
        return "time"
    if isinstance(value, (list, tuple)):
        return "list"
    return None


def _guard(test: Callable[[Any, Any], Any]) -> Callable[[Any, Any], bool]:
    """``==``, ``!=``, ``<`` …: false for ``MISSING`` and for two values of different
    kinds (``true == 1``, ``"3" < 4``), as for a value its own comparison refuses."""

    def guarded(a: Any, b: Any) -> bool:
        kind = kind_of(a)
        if kind is None or kind != kind_of(b):
            return False
        try:
            return bool(test(a, b))
        except _WRONG_VALUE:
            return False

    return guarded


def _member(value: Any, items: Any) -> bool | None:
    """Whether ``items`` (a list) holds ``value`` (an item of the same kind, equal);
    ``None`` when ``items`` is not a list or ``value`` is of no kind."""
    kind = kind_of(value)
    if kind is None or kind_of(items) != "list":
        return None
    try:
        return any(kind_of(item) == kind and item == value for item in items)
    except _WRONG_VALUE:
        return None


def _guard_in(value: Any, items: Any) -> bool:
    return _member(value, items) is True


def _guard_not_in(value: Any, items: Any) -> bool:
    return _member(value, items) is False


def _guard_contains(items: Any, value: Any) -> bool:
    """``contains`` applies to lists: on text or a mapping it is false (no substring or
    key test)."""
    return _member(value, items) is True


def _numbers(*values: Any) -> bool:
    return all(kind_of(v) == "number" for v in values)


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Arithmetic on numbers only: ``MISSING`` for ``MISSING`` and every other kind
    (``true * 2`` is not 2)."""

    def guarded(a: Any, b: Any) -> Any:
        if not _numbers(a, b):
            return MISSING
        try:
            return op(a, b)
        except _WRONG_VALUE:
            return MISSING

    return guarded


def _divide(a: Any, b: Any) -> Any:
    """``a / b``; ``MISSING`` for a zero divisor too."""
    if not _numbers(a, b) or not b:
        return MISSING
    try:
        return a / b
    except _WRONG_VALUE:
        return MISSING


def _negate(value: Any) -> Any:
    if not _numbers(value):
        return MISSING
    try:
        return -value
    except _WRONG_VALUE:
        return MISSING


def _aggregate(pick: Callable[..., Any], values: list[Any]) -> Any:
    """``sum`` / ``min`` / ``max`` of attribute values: ``MISSING`` when one of them is
    not a number."""
    if not _numbers(*values):
        return MISSING
    try:
        return pick(values, _ZERO) if pick is sum else pick(values, default=_ZERO)
    except _WRONG_VALUE:
        return MISSING


def _not_in(a: Any, b: Any) -> bool:
    return a not in b


# Comparison operators: the inline form, and the helper for sides that may be MISSING.
_COMPARE = {
    "==": ("{a} == {b}", "_guard_eq", operator.eq),
    "!=": ("{a} != {b}", "_guard_ne", operator.ne),
    "<": ("{a} < {b}", "_guard_lt", operator.lt),
    "<=": ("{a} <= {b}", "_guard_le", operator.le),
    ">": ("{a} > {b}", "_guard_gt", operator.gt),
    ">=": ("{a} >= {b}", "_guard_ge", operator.ge),
    "in": ("{a} in {b}", "_guard_in", lambda a, b: a in b),
    "not in": ("{a} not in {b}", "_guard_not_in", _not_in),
    "contains": ("{b} in {a}", "_guard_contains", operator.contains),  # list or substring
}
_ARITH = {"+": ("_arith_add", operator.add), "-": ("_arith_sub", operator.sub),
          "*": ("_arith_mul", operator.mul)}

# The globals of every compiled condition: all a generated source may name.
_NAMESPACE: dict[str, Any] = {
    "__builtins__": {},
    "_MISSING": MISSING, "_number": _number, "_localize": _localize, "_Decimal": Decimal,
    "_ZERO": _ZERO, "_divide": _divide, "_negate": _negate, "_aggregate": _aggregate,
    **{name: _guard(test) for _, name, test in _COMPARE.values()},
    "_guard_in": _guard_in, "_guard_not_in": _guard_not_in,
    "_guard_contains": _guard_contains,
    **{name: _arith(op) for name, op in _ARITH.values()},
    **{f.__name__: f for f in (bool, sum, len, min, max, any, all)},
}

# ------------------------------------------------------------------ source text

# Python's precedence levels, loosest first: a part is parenthesised only when it
# sits in a tighter place than its own level.
_OR, _AND, _NOT, _COMPARISON, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 9)
_ARITH_LEVEL = {"+": _SUM, "-": _SUM, "*": _PRODUCT}


class _Py(NamedTuple):
    """A piece of Python source and its precedence level."""

    text: str
    level: int

    def at(self, level: int) -> str:
        """The text, parenthesised if it binds looser than ``level`` needs."""
        return self.text if self.level >= level else f"({self.text})"


class _Source(n.Visitor):
    """Writes one condition as a Python expression over ``f`` and ``i`` (or ``s``, the
    shipment: ``subject``); the literals it meets go to ``constants`` (name → value)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.subject = "i"  # what the condition's second argument is named
        self.constants: dict[str, Any] = {}
        self.count = 0
        self._missing: dict[int, bool] = {}

    def may_be_missing(self, node: n.Node) -> bool:
        """``logic.may_be_missing(node)``, worked out once per node (from its children's):
        the writer asks it of a part at every level above it."""
        found = self._missing.get(id(node))
        if found is None:
            if isinstance(node, n.Path):
                found = ATTRIBUTES in node.parts
            else:
                found = isinstance(node, n.Arith) and node.op == "/" or \
                    any([self.may_be_missing(child) for child in node.children()])
            self._missing[id(node)] = found
        return found

    def is_bool(self, node: n.Node) -> bool:
        """Is ``node``'s value always ``True`` or ``False`` (so ``bool()`` may be left out)?"""
        if isinstance(node, n.Compare):
            # Declared fields compare to bools; ``in`` always gives a bool.  A guarded
            # ``==`` or ``<`` returns what the attribute's own comparison returns.
            return node.op in ("in", "not in", "contains") or not (
                self.may_be_missing(node.left) or self.may_be_missing(node.right))
        if isinstance(node, n.Call):
            return node.name in ("any", "all")
        return isinstance(node, (n.And, n.Or, n.Not, n.Boolean))

    def constant(self, value: Any) -> str:
        name = f"_k{self.count}"
        self.count += 1
        self.constants[name] = value
        return name

    def key(self, name: str) -> str:
        """A dict key: a plain string's repr (always a closed literal), else a constant."""
        return repr(name) if type(name) is str else self.constant(name)

    # literals
    def visit_Number(self, node: n.Number) -> _Py:
        return _Py(self.constant(node.value), _ATOM)

    def visit_String(self, node: n.String) -> _Py:
        return _Py(self.constant(node.value), _ATOM)

    def visit_Boolean(self, node: n.Boolean) -> _Py:
        return _Py("True" if node.value else "False", _ATOM)

    def visit_Date(self, node: n.Date) -> _Py:
        value: Any = node.value
        if isinstance(value, dt.datetime):
            value = _localize(value, self.zone)
        return _Py(self.constant(value), _ATOM)

    def visit_ListLit(self, node: n.ListLit) -> _Py:
        if all(isinstance(x, (n.Number, n.String)) for x in node.items):
            return _Py(self.constant(tuple(x.value for x in node.items)),  # type: ignore[attr-defined]
                       _ATOM)
        items = [self.visit(x).text for x in node.items]
        return _Py("(" + ", ".join(items) + ",)" if items else "()", _ATOM)

    # names
    def visit_Path(self, node: n.Path) -> _Py:
        parts = node.parts
        if parts[0] == ATTRIBUTES:
            parts = ("cart", *parts)
        scope, name = parts[0], parts[1]
        if name == ATTRIBUTES:
            found = {"cart": "f.cart_attributes", "customer": "f.customer_attributes",
                     "item": "i['attributes']"}[scope]
            return _Py(f"_number({found}.get({self.key(parts[2])}, _MISSING))", _ATOM)
        if scope == "shipment":
            self.subject = "s"
        found = {"cart": "f.cart", "customer": "f.customer", "item": "i", "shipment": "s"}[scope]
        return _Py(f"{found}[{self.key(name)}]", _ATOM)

    # operators
    def visit_And(self, node: n.And) -> _Py:
        return self._chain(node, n.And, "and", _AND)

    def visit_Or(self, node: n.Or) -> _Py:
        return self._chain(node, n.Or, "or", _OR)

    def _chain(self, node: n.Node, kind: type[n.And | n.Or], word: str, level: int) -> _Py:
        """``a and b and c``, one flat Python expression however the tree nests (``and``
        and ``or`` of bools are associative), so 200 terms do not nest 200 deep."""
        terms: list[n.Node] = []
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, kind):
                stack += (current.right, current.left)
            else:
                terms.append(current)
        texts = [self.visit(t).at(level + 1) if self.is_bool(t)
                 else f"bool({self.visit(t).text})" for t in terms]
        return _Py(f" {word} ".join(texts), level)

    def visit_Not(self, node: n.Not) -> _Py:
        return _Py(f"not {self.visit(node.operand).at(_NOT)}", _NOT)

    def visit_Neg(self, node: n.Neg) -> _Py:
        operand = self.visit(node.operand)
        if self.may_be_missing(node.operand):
            return _Py(f"_negate({operand.text})", _ATOM)
        return _Py(f"-{operand.at(_UNARY)}", _UNARY)

    def visit_Arith(self, node: n.Arith) -> _Py:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op == "/":
            return _Py(f"_divide({left.text}, {right.text})", _ATOM)
        if self.may_be_missing(node.left) or self.may_be_missing(node.right):
            helper = _ARITH[node.op][0]
            return _Py(f"{helper}({left.text}, {right.text})", _ATOM)
        # Declared fields and literals: Decimals, never MISSING, no TypeError.
        level = _ARITH_LEVEL[node.op]
        return _Py(f"{left.at(level)} {node.op} {right.at(level + 1)}", level)

    def visit_Compare(self, node: n.Compare) -> _Py:
        template, guard, _ = _COMPARE[node.op]
        sides = (node.left, node.right)
        guarded = any(self.may_be_missing(side) for side in sides)
        if self._moments(sides):
            # Dates and datetimes compare as moments in the ruleset's zone.  (Two
            # dates need not: midnights in one zone order as their dates do.)
            left, right = self._moment(node.left), self._moment(node.right)
        elif not guarded and node.op in ("in", "not in", "contains"):
            # A literal list searched by `in` is a frozenset: its items are
            # hashable, and so are the declared values looked up in it.
            searched = 0 if node.op == "contains" else 1
            left, right = (self._searched(side) if k == searched else self.visit(side)
                           for k, side in enumerate(sides))
        else:
            left, right = self.visit(node.left), self.visit(node.right)
        if guarded:
            return _Py(f"{guard}({left.text}, {right.text})", _ATOM)
        # Declared fields and literals: the checker settled the types, so no
        # MISSING and no TypeError can occur here.
        return _Py(template.format(a=left.at(_SUM), b=right.at(_SUM)), _COMPARISON)

    @staticmethod
    def _moments(sides: tuple[n.Node, n.Node]) -> bool:
        """Whether both sides are dates or datetimes (known, not attributes), not both
        dates (the right side's type is worked out only when the left is one)."""
        kinds = []
        for side in sides:
            kind = infer_type(side, Context.ITEM)[0]
            if kind not in (Type.DATE, Type.DATETIME):
                return False
            kinds.append(kind)
        return kinds != [Type.DATE, Type.DATE]

    def _moment(self, side: n.Node) -> _Py:
        """A date or datetime as an aware datetime (literals localized right now)."""
        if isinstance(side, n.Date):
            return _Py(self.constant(_localize(side.value, self.zone)), _ATOM)
        self.constants["_zone"] = self.zone
        return _Py(f"_localize({self.visit(side).text}, _zone)", _ATOM)

    def _searched(self, side: n.Node) -> _Py:
        if isinstance(side, n.ListLit) and all(isinstance(x, (n.Number, n.String))
                                               for x in side.items):
            return _Py(self.constant(frozenset(x.value for x in side.items)),  # type: ignore[attr-defined]
                       _ATOM)
        visited: _Py = self.visit(side)
        return visited

    def visit_Call(self, node: n.Call) -> _Py:
        name = node.name
        if not node.args:  # count(), lines(): the cart's own totals
            return _Py(f"f.cart[{self.key({'count': 'quantity', 'lines': 'lines'}[name])}]",
                       _ATOM)
        arg = node.args[0]
        value = self.visit(arg).text
        if name in ("any", "all"):  # a generator: stops at the first line that decides
            return _Py(f"{name}({value} for i in f.lines)", _ATOM)
        if name == "count":
            return _Py(f"_Decimal(sum([i['quantity'] for i in f.lines if {value}]))", _ATOM)
        if name == "lines":
            return _Py(f"_Decimal(len([1 for i in f.lines if {value}]))", _ATOM)
        if name not in ("sum", "min", "max"):
            raise ValueError(f"unknown function {name!r}")
        where = f" if {self.visit(node.where).text}" if node.where is not None else ""
        if self.may_be_missing(arg):  # MISSING values are left out; a wrong type: MISSING
            values = f"[_v for i in f.lines{where} for _v in [{value}] if _v is not _MISSING]"
            return _Py(f"_aggregate({name}, {values})", _ATOM)
        values = f"[{value} for i in f.lines{where}]"
        if name == "sum":
            return _Py(f"sum({values}, _ZERO)", _ATOM)
        return _Py(f"{name}({values}, default=_ZERO)", _ATOM)


# ------------------------------------------------------------------ compiling


# Factories by source (``lambda <constants>: <function>``), most recently used last:
# a ruleset loaded again (a reload after an edit) compiles only its new conditions.
_FACTORIES: OrderedDict[str, Callable[..., Any]] = OrderedDict()
_FACTORIES_KEPT = 4096
_FACTORIES_LOCK = threading.Lock()

# What a condition is compiled into: a function of the facts and a line (or a shipment:
# ``s``, when it reads one), or of the facts giving the lines an item condition selects,
# or the shipments a shipment condition selects.
CONDITION, LINES, SHIPMENTS = "condition", "lines", "shipments"
_CONDITION = "lambda f, {}: {}"
_FILTERS = {LINES: "lambda f: [i for i in f.lines if {}]",
            SHIPMENTS: "lambda f: [s for s in f.shipments if {}]"}


def clear_caches() -> None:
    """Forget every compiled source (what a new process starts with)."""
    with _FACTORIES_LOCK:
        _FACTORIES.clear()


_BATCH = 32
"""Factories compiled per call of Python's compiler.  One call for a few dozen
costs less than a call each (about 10 %), but CPython 3.11 takes longer over one
expression of hundreds of lambdas than over the same lambdas in batches (500
factories: 35 ms in one call, 24 ms in batches of 20 to 100)."""


def _factories(sources: list[str]) -> list[Callable[..., Any]]:
    """The factory of each source; the ones not seen before are compiled together,
    ``_BATCH`` per call of Python's compiler."""
    with _FACTORIES_LOCK:
        found = {source: _FACTORIES.get(source) for source in sources}
    new = [source for source, factory in found.items() if factory is None]
    for start in range(0, len(new), _BATCH):
        batch = new[start:start + _BATCH]
        module = "(\n" + "".join(f"{source},\n" for source in batch) + ")"
        made = eval(compile(module, "<conditions>", "eval", dont_inherit=True), _NAMESPACE)
        found.update(zip(batch, made, strict=True))
    with _FACTORIES_LOCK:
        for source in found:
            if source in _FACTORIES:
                _FACTORIES.move_to_end(source)
            else:
                _FACTORIES[source] = found[source]  # type: ignore[assignment]
        while len(_FACTORIES) > _FACTORIES_KEPT:
            _FACTORIES.popitem(last=False)
    return [found[source] for source in sources]  # type: ignore[misc]


def _function(writer: _Source, node: n.Node, use: str) -> str:
    """The source of ``node`` compiled for ``use`` (``CONDITION``, ``LINES``, ``SHIPMENTS``)."""
    text = writer.visit(node).text
    return _FILTERS[use].format(text) if use in _FILTERS else \
        _CONDITION.format(writer.subject, text)


def compile_all(conditions: Sequence[tuple[n.Node, str]], zone: ZoneInfo) -> list[Any]:
    """Compile many conditions at once: for each ``(node, use)``, what
    ``compile_line_filter`` (``LINES``), ``compile_shipment_filter`` (``SHIPMENTS``) or
    ``compile_condition`` (``CONDITION``) gives.

    Conditions that differ only in their literals share one source; the sources not
    compiled before go through Python's compiler together (``_factories``)."""
    sources, constants = [], []
    for node, use in conditions:
        writer = _Source(zone)
        function = _function(writer, node, use)
        sources.append(f"lambda {', '.join(writer.constants)}: {function}")
        constants.append(writer.constants.values())
    return [factory(*values)
            for factory, values in zip(_factories(sources), constants, strict=True)]


class Compiler:
    """Compiles conditions (or parts of them) of a ruleset in timezone ``zone``."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def source(self, node: n.Node) -> str:
        """The Python source ``compile`` builds for ``node`` (for reading and debugging)."""
        return _function(_Source(self.zone), node, CONDITION)

    def compile(self, node: n.Node) -> Compiled:
        """``fn(facts, item)``: the value of ``node`` for a cart (and a line, or a
        shipment for a condition about one)."""
        compiled: Compiled = compile_all([(node, CONDITION)], self.zone)[0]
        return compiled

    def compile_line_filter(self, node: n.Node) -> LineFilter:
        """``fn(facts)``: the lines of ``facts.lines`` for which item condition ``node`` holds."""
        compiled: LineFilter = compile_all([(node, LINES)], self.zone)[0]
        return compiled

    def compile_shipment_filter(self, node: n.Node) -> LineFilter:
        """``fn(facts)``: the shipments of ``facts.shipments`` for which shipment condition
        ``node`` holds."""
        compiled: LineFilter = compile_all([(node, SHIPMENTS)], self.zone)[0]
        return compiled


def compile_condition(node: n.Node, zone: ZoneInfo) -> Compiled:
    """A function computing ``node`` for a cart (and a line, for item conditions)."""
    return Compiler(zone).compile(node)


def compile_line_filter(node: n.Node, zone: ZoneInfo) -> LineFilter:
    """A function giving the cart's lines an item (``target``) condition selects, in order."""
    return Compiler(zone).compile_line_filter(node)


def compile_shipment_filter(node: n.Node, zone: ZoneInfo) -> LineFilter:
    """A function giving the cart's shipments a ``shipment_target`` selects, in order."""
    return Compiler(zone).compile_shipment_filter(node)
