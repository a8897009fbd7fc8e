"""Static reasoning about condition expressions: never true, always true, implies.

A condition is expanded into its alternatives (disjunctive normal form, at
most ``MAX_BRANCHES`` of them; beyond that we do not guess).  Each
alternative is a conjunction of literals — comparisons, ``any(...)``
calls, ... with a polarity.  An alternative is *contradictory* when its
literals cannot hold together:

* comparisons of one value with constants: ``cart.subtotal > 100`` and
  ``cart.subtotal < 50``; ``item.category == "a"`` and ``item.category ==
  "b"``; ``x in [..]`` with nothing left; ``tags contains "x"`` and ``not
  (tags contains "x")``; whole numbers (``cart.quantity > 2 and < 3``);
* what a field can hold: money and counts are never negative,
  ``item.quantity`` is at least 1, ``cart.hour`` is 0-23, ``cart.weekday``
  is ``mon`` … ``sun``, codes in ``cart.coupons`` are trimmed and
  case-folded;
* the same literal with both polarities (``X and not X``).

A condition is never true when every alternative is contradictory, always
true when its negation is never true, and ``a`` implies ``b`` when ``a and
not b`` is never true.  The reasoning is sound, not complete: what it
reports is certain, what it misses stays unreported.

A missing ``attributes.*`` value makes every comparison with it false, so
``not (attributes.x == 1)`` is not ``attributes.x != 1``: such negations
are kept as opaque literals (the rule is ``dsl.expr.logic.may_be_missing``,
shared with the engine's index and compiler).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from ..expr import nodes as n
from ..expr.format import format_expression
from ..expr.logic import MIRROR, NEGATION, negation_is_flip
from ..expr.types import WEEKDAYS, Type, fields_where
from ..records import record
from ..values import normalise_code

MAX_BRANCHES = 64

Value = tuple[str, Any]  # (kind, value): kinds num, str, bool, date, dt, dtz


# what every cart guarantees of its fields, as dsl.expr.types declares them
_NONNEGATIVE = fields_where(lambda f: f.nonnegative)
_WHOLE = fields_where(lambda f: f.whole)
_LISTS = fields_where(lambda f: f.type.is_list and f.type is not Type.ANY)


@record
class Lit:
    """An atom of a condition (as written) and whether it must be true or false."""

    node: n.Node
    positive: bool

    def text(self) -> str:
        return format_expression(self.node if self.positive else n.Not(self.node))


@record
class Conflict:
    """Why an alternative cannot be true: the literals involved and what a field holds."""

    lits: tuple[Lit, ...]
    note: str | None = None
    alternatives: int = 1


# ------------------------------------------------------------- expansion


def branches(node: n.Node, positive: bool = True) -> list[tuple[Lit, ...]] | None:
    """The alternatives of ``node`` (or its negation): conjunctions of literals.

    ``[]`` means never true, ``[()]`` always true; ``None`` when there would be
    more than ``MAX_BRANCHES``.
    """
    if isinstance(node, n.Not):
        return branches(node.operand, not positive)
    if isinstance(node, n.Boolean):
        return [()] if node.value == positive else []
    if isinstance(node, (n.And, n.Or)):
        left, right = branches(node.left, positive), branches(node.right, positive)
        if left is None or right is None:
            return None
        conjunction = isinstance(node, n.And) == positive
        if not conjunction:
            out = left + right
        else:
            if len(left) * len(right) > MAX_BRANCHES:
                return None
            out = [a + b for a in left for b in right]
        return out if len(out) <= MAX_BRANCHES else None
    return [(Lit(node, positive),)]


# ------------------------------------------------------------- constants


def _value(node: n.Node) -> Value | None:
    if isinstance(node, n.Number):
        return ("num", node.value)
    if isinstance(node, n.Neg) and isinstance(node.operand, n.Number):
        return ("num", -node.operand.value)
    if isinstance(node, n.String):
        return ("str", node.value)
    if isinstance(node, n.Boolean):
        return ("bool", node.value)
    if isinstance(node, n.Date):
        value = node.value
        if isinstance(value, dt.datetime):
            return ("dtz" if value.tzinfo is not None else "dt", value)
        return ("date", value)
    return None


def _values(node: n.Node) -> frozenset[Value] | None:
    if not isinstance(node, n.ListLit):
        return None
    out = [_value(item) for item in node.items]
    if any(v is None for v in out):
        return None
    return frozenset(v for v in out if v is not None)


@record
class _Constraint:
    key: str
    key_node: n.Node
    op: str
    value: Value | None = None
    values: frozenset[Value] | None = None


def _constraint(lit: Lit) -> _Constraint | None:
    """A comparison of one value with constants, with the literal's polarity applied."""
    node = lit.node
    if not isinstance(node, n.Compare):
        return None
    if not lit.positive and not negation_is_flip(node):
        return None
    op, left, right = node.op, node.left, node.right
    found: _Constraint | None = None
    if op in ("in", "not in"):
        values = _values(right)
        if values is not None and _value(left) is None:
            found = _Constraint(format_expression(left), left, op, values=values)
    elif op == "contains":
        value = _value(right)
        if value is not None and isinstance(left, n.Path) and left.dotted in _LISTS:
            found = _Constraint(left.dotted, left, op, value=value)
    else:
        lv, rv = _value(left), _value(right)
        if rv is not None and lv is None:
            found = _Constraint(format_expression(left), left, op, value=rv)
        elif lv is not None and rv is None:
            found = _Constraint(format_expression(right), right, MIRROR[op], value=lv)
    if found is None or lit.positive:
        return found
    return _Constraint(found.key, found.key_node, NEGATION[found.op], found.value, found.values)


# ---------------------------------------------------------------- domains


def _domain(key_node: n.Node) -> tuple[list[_Constraint], str | None, bool]:
    """Constraints every value of ``key_node`` satisfies, a note saying so, whole numbers?"""
    key = format_expression(key_node)
    zero, one = ("num", Decimal(0)), ("num", Decimal(1))
    if isinstance(key_node, n.Path):
        name = key_node.dotted
        if name == "cart.hour":
            return ([_Constraint(key, key_node, ">=", zero),
                     _Constraint(key, key_node, "<=", ("num", Decimal(23)))],
                    "cart.hour is 0 to 23", True)
        if name == "cart.weekday":
            days = frozenset(("str", d) for d in WEEKDAYS)
            return ([_Constraint(key, key_node, "in", values=days)],
                    "cart.weekday is one of " + ", ".join(WEEKDAYS), False)
        if name == "item.quantity":
            return [_Constraint(key, key_node, ">=", one)], "item.quantity is at least 1", True
        if name in _NONNEGATIVE:
            return ([_Constraint(key, key_node, ">=", zero)], f"{name} is never negative",
                    name in _WHOLE)
        if name == "cart.coupons":
            return [], "codes in cart.coupons are trimmed and case-folded", False
    if isinstance(key_node, n.Call):
        if key_node.name in ("count", "lines"):
            return ([_Constraint(key, key_node, ">=", zero)],
                    f"{key_node.name}() is never negative", True)
        if key_node.name in ("sum", "min", "max") and key_node.args and \
                isinstance(key_node.args[0], n.Path) and key_node.args[0].dotted in _NONNEGATIVE:
            return ([_Constraint(key, key_node, ">=", zero)],
                    f"{key_node.name}() of {key_node.args[0].dotted} is never negative", False)
    return [], None, False


# ------------------------------------------------------------ consistency


_TIME = {"date", "dt", "dtz"}


def _cmp(a: Value, b: Value) -> int | None:
    """-1/0/1, or None when the two cannot be ordered here (we then assume nothing)."""
    if a[0] != b[0]:
        return None
    x, y = a[1], b[1]
    return -1 if x < y else (1 if x > y else 0)


def _mismatch(a: Value, b: Value) -> bool:
    """Values of kinds no comparison can relate (a string and a number)."""
    return a[0] != b[0] and not (a[0] in _TIME and b[0] in _TIME)


@dataclass
class _State:
    lo: tuple[Value, bool] | None = None  # (value, strict)
    hi: tuple[Value, bool] | None = None
    allowed: set[Value] | None = None
    excluded: set[Value] = field(default_factory=set)
    has: set[Value] = field(default_factory=set)
    has_not: set[Value] = field(default_factory=set)
    whole: bool = False
    coupons: bool = False

    def add(self, c: _Constraint) -> None:
        op = c.op
        if op in (">", ">="):
            assert c.value is not None
            self._bound("lo", c.value, op == ">")
        elif op in ("<", "<="):
            assert c.value is not None
            self._bound("hi", c.value, op == "<")
        elif op == "==":
            assert c.value is not None
            self._allow({c.value})
        elif op == "!=":
            assert c.value is not None
            self.excluded.add(c.value)
        elif op == "in":
            assert c.values is not None
            self._allow(set(c.values))
        elif op == "not in":
            assert c.values is not None
            self.excluded.update(c.values)
        elif op == "contains":
            assert c.value is not None
            self.has.add(c.value)
        elif op == "not contains":
            assert c.value is not None
            self.has_not.add(c.value)

    def _allow(self, values: set[Value]) -> None:
        self.allowed = values if self.allowed is None else self.allowed & values

    def _bound(self, side: str, value: Value, strict: bool) -> None:
        if value[0] not in ("num", "date", "dt", "dtz"):
            return  # strings and booleans are not ordered here
        current = getattr(self, side)
        if current is None:
            setattr(self, side, (value, strict))
            return
        order = _cmp(value, current[0])
        if order is None:
            if _mismatch(value, current[0]):
                setattr(self, side, (value, strict))
                self.allowed = set()  # a number and a date: nothing is both
            return
        tighter = order > 0 if side == "lo" else order < 0
        if tighter or (order == 0 and strict):
            setattr(self, side, (value, strict))

    def _fits(self, value: Value) -> bool:
        if self.lo is not None:
            if _mismatch(value, self.lo[0]):
                return False
            order = _cmp(value, self.lo[0])
            if order is not None and (order < 0 or (order == 0 and self.lo[1])):
                return False
        if self.hi is not None:
            if _mismatch(value, self.hi[0]):
                return False
            order = _cmp(value, self.hi[0])
            if order is not None and (order > 0 or (order == 0 and self.hi[1])):
                return False
        if self.whole and value[0] == "num" and value[1] != value[1].to_integral_value():
            return False
        return value not in self.excluded

    def empty(self) -> bool:
        if self.has & self.has_not:
            return True
        if self.coupons and any(v[0] == "str" and v[1] != normalise_code(v[1])
                                for v in self.has):
            return True
        if self.allowed is not None:
            return not any(self._fits(v) for v in self.allowed)
        if self.lo is None or self.hi is None:
            return False
        (lo, lo_strict), (hi, hi_strict) = self.lo, self.hi
        if _mismatch(lo, hi):
            return True
        order = _cmp(lo, hi)
        if order is None:
            return False
        if self.whole and lo[0] == "num":
            first = lo[1].to_integral_value(ROUND_CEILING)
            if lo_strict and first == lo[1]:
                first += 1
            last = hi[1].to_integral_value(ROUND_FLOOR)
            if hi_strict and last == hi[1]:
                last -= 1
            if first > last:
                return True
            if last - first < 64:
                count = int(last - first) + 1
                return all(("num", first + i) in self.excluded for i in range(count))
            return False
        if order > 0 or (order == 0 and (lo_strict or hi_strict)):
            return True
        return order == 0 and lo in self.excluded


def _state(key_node: n.Node, constraints: list[_Constraint]) -> _State:
    domain, _, whole = _domain(key_node)
    state = _State(whole=whole, coupons=isinstance(key_node, n.Path)
                   and key_node.dotted == "cart.coupons")
    for c in domain + constraints:
        state.add(c)
    return state


def conflict(branch: tuple[Lit, ...]) -> Conflict | None:
    """Why the literals of one alternative cannot all hold (``None`` if they can)."""
    seen: dict[str, list[tuple[Lit, _Constraint]]] = {}
    atoms: dict[str, Lit] = {}
    for lit in branch:
        text = format_expression(lit.node)
        other = atoms.get(text)
        if other is not None and other.positive != lit.positive:
            return Conflict((other, lit))
        atoms.setdefault(text, lit)
        constraint = _constraint(lit)
        if constraint is None:
            continue
        earlier = seen.setdefault(constraint.key, [])
        earlier.append((lit, constraint))
        if not _state(constraint.key_node, [c for _, c in earlier]).empty():
            continue
        _, note, _ = _domain(constraint.key_node)
        if _state(constraint.key_node, [constraint]).empty():
            return Conflict((lit,), note)
        for before, c in earlier[:-1]:
            if _state(constraint.key_node, [c, constraint]).empty():
                return Conflict((before, lit))
        return Conflict(tuple(x for x, _ in earlier))
    return None


def _all_conflicting(alternatives: list[tuple[Lit, ...]] | None) -> Conflict | None:
    if alternatives is None:
        return None
    if not alternatives:
        return Conflict(())
    found = []
    for branch in alternatives:
        why = conflict(branch)
        if why is None:
            return None
        found.append(why)
    first = found[0]
    return Conflict(first.lits, first.note, len(found))


def never_true(node: n.Node) -> Conflict | None:
    """Why ``node`` can never be true, or ``None`` if it can (or we cannot tell)."""
    return _all_conflicting(branches(node, True))


def always_true(node: n.Node) -> Conflict | None:
    """Why ``node`` is always true (its negation's conflict), or ``None``."""
    return _all_conflicting(branches(node, False))


def implies(a: n.Node | None, b: n.Node | None) -> bool:
    """Is ``b`` true whenever ``a`` is?  (A missing condition is ``true``.)"""
    if b is None:
        return True
    left: n.Node = a if a is not None else n.Boolean(True)
    return _all_conflicting(branches(n.And(left, n.Not(b)), True)) is not None


def show(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
