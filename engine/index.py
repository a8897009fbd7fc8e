"""Which promotions could apply to a cart, found without looking at the others.

A promotion can only apply when each of its *requirements* holds: a set of
keys of which the cart must have at least one.  Requirements are read off the
rules once, when the ruleset is compiled:

* a coupon promotion needs one of its codes entered: ``("coupon", id)``;
* ``when`` needs what its top-level ``and`` needs; a term needs a key when it
  is an equality test on a field with a key (``item.category == "shoes"``,
  ``item.seller in ["a", "b"]``, ``customer.segments contains "vip"``,
  ``cart.weekday in ["sat", "sun"]`` ...), when it is ``any(...)`` of such a
  test, or when it compares an aggregate over such lines with a number that
  an aggregate over no line (0) would fail (``count(item.category ==
  "shoes") >= 2``, ``sum(item.total where item.seller == "s") > 50``);
  ``a or b`` needs the union of one requirement of each side;
* ``target`` (and ``get_target``) needs a line with what the item condition
  needs: an effect discounts target lines only, so with none it takes
  nothing off (shipping effects ignore ``target`` and need nothing from it).

Text attributes of the cart and the customer are keys too (``customer.
attributes.country in ["FR", "BE"]``).  Tests a cart must fail are exclusions
(``not (customer.segments contains "staff")``, ``customer.orders >= 3``), and
lower bounds on a measure of the cart are kept in order (``cart.subtotal >=
100``, ``count(item.category == "socks") >= 5``: the units of the lines with
the key ``("category", "socks")``).

A cart's candidates are the active promotions whose every requirement meets
one of the cart's keys, that have none of the keys they exclude, whose line
requirements one line meets together, and whose lower bounds the cart's
measures reach.  Windows are settled by time
segment: between two consecutive window boundaries of the ruleset the set
of active promotions does not change, so it is computed once per segment;
schedules (``active.days`` / ``active.hours``) then leave out the promotions
closed at the cart's local weekday and minute (computed once per minute of the week).

The index only narrows the promotions the evaluator runs; the promotions it
leaves out are rejected, and explained with the evaluator's own code, when
their reasons are read (see ``evaluate.py``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dsl.effects import Shipping
from dsl.expr import nodes as n
from dsl.expr.logic import MIRROR, ORDER_TESTS, against_number, negation_is_flip
from dsl.expr.types import ATTRIBUTES, Context
from dsl.records import record
from dsl.schedule import ClosedSchedules

from .facts import Facts

if TYPE_CHECKING:
    from .program import CompiledPromotion

Key = tuple[str, Any]  # (dimension, value), e.g. ("category", "shoes")
Requirement = frozenset[Key]  # the cart must have at least one of these keys
#: a measure of the cart: ("units" | "lines" | "total" | "max_price", line keys), the
#: lines counted being those with one of the keys (all lines when there are none)
Measure = tuple[str, frozenset[Key]]
Bound = tuple[Measure, bool, Decimal]  # measure > bound (True) or >= bound (False)

#: item fields whose values are keys, and the dimension each is filed under
ITEM_KEYS = {"sku": "sku", "product": "product", "category": "category", "seller": "seller",
             "brand": "brand", "tags": "tag"}
#: cart and customer fields whose values are keys (one value per cart, or a list)
CART_KEYS = {("customer", "segments"): "segment", ("cart", "weekday"): "weekday",
             ("cart", "shipping_method"): "shipping_method", ("cart", "hour"): "hour",
             ("customer", "orders"): "orders"}
LINE_DIMENSIONS = frozenset(ITEM_KEYS.values())
#: ``cart.attributes.x`` / ``customer.attributes.x``: a text value is a key (a missing
#: or non-text value makes every equality test with a text false, so it has none)
ATTRIBUTE_DIMENSIONS = (f"cart.{ATTRIBUTES}.", f"customer.{ATTRIBUTES}.")
LIST_FIELDS = {"tag", "segment"}  # list-valued: tested with ``contains`` / ``in``
NUMBER_FIELDS = {"hour", "orders"}  # small whole numbers: a test names the values it admits
_HOURS = range(24)
_SMALL = 64  # an ``orders`` test names its values when all of them are below this

#: rough selectivity, to choose one requirement of each side of an ``or``
_WEIGHT = {"coupon": 1, "sku": 2, "product": 2, "brand": 4, "seller": 4, "segment": 6,
           "category": 6, "tag": 8, "shipping_method": 10, "orders": 10, "weekday": 12,
           "hour": 12}

_AGGREGATES = {"count", "lines", "sum", "min", "max"}
_ZERO = Decimal(0)


@record
class Needs:
    """What a condition needs from the cart to be true."""

    all_of: tuple[Requirement, ...] = ()  # each: met by the condition's own line (or cart)
    none_of: frozenset[Key] = frozenset()  # cart-level keys the cart must not have
    # groups of line requirements one line must meet together: a target
    # ``item.category == "bags" and item.seller == "s1"`` needs a bag from s1,
    # not a bag and something from s1
    one_line: tuple[tuple[Requirement, ...], ...] = ()
    at_least: tuple[Bound, ...] = ()  # lower bounds on the cart's measures
    # requirements met by some line of the cart, not necessarily the condition's own
    # (``any(...)``, ``count(...)`` inside a target look at the other lines)
    elsewhere: tuple[Requirement, ...] = ()

    def __and__(self, other: Needs) -> Needs:
        return Needs(self.all_of + other.all_of, self.none_of | other.none_of,
                     self.one_line + other.one_line, self.at_least + other.at_least,
                     self.elsewhere + other.elsewhere)

    @property
    def in_cart(self) -> tuple[Requirement, ...]:
        """Every requirement, as one on the cart (its keys: its lines' keys and its own)."""
        return self.all_of + self.elsewhere

    def of_one_line(self) -> Needs:
        """What an item condition needs, for one line to meet it: its own line
        requirements together on one line, all of them somewhere in the cart
        (``none_of`` is dropped: the caller says whether it holds for the cart)."""
        group = tuple(r for r in self.all_of if all(dim in LINE_DIMENSIONS for dim, _ in r))
        return Needs(elsewhere=self.in_cart, at_least=self.at_least,
                     one_line=self.one_line + ((group,) if len(group) > 1 else ()))


NOTHING = Needs()


# ----------------------------------------------------------- requirements

def needs(node: n.Node | None) -> Needs:
    """What ``node`` needs to be true (a necessary condition, never a sufficient one)."""
    if node is None:
        return NOTHING
    if isinstance(node, n.And):
        return needs(node.left) & needs(node.right)
    if isinstance(node, n.Or):
        left, right = needs(node.left), needs(node.right)
        if left.all_of and right.all_of:
            return Needs((_smallest(left.all_of) | _smallest(right.all_of),))
        if left.in_cart and right.in_cart:
            return Needs(elsewhere=(_smallest(left.in_cart) | _smallest(right.in_cart),))
        return NOTHING
    if isinstance(node, n.Not) and isinstance(node.operand, n.Compare):
        keys = _key_test(node.operand)
        if keys is None or not all(_cart_level(dim) for dim, _ in keys[0]):
            return NOTHING
        if keys[1]:
            return Needs(none_of=keys[0])  # not (x == "a"): the cart must not have "a"
        if not negation_is_flip(node.operand):
            return NOTHING  # not (attr != "a") also holds when attr is missing
        return Needs((keys[0],))
    if isinstance(node, n.Call) and node.name == "any":
        inner = needs(node.args[0])
        return Needs(none_of=inner.none_of) & inner.of_one_line()
    if isinstance(node, n.Compare):
        keys = _key_test(node)
        if keys is None:
            return _measured(node)
        if keys[1]:
            return Needs((keys[0],))
        if all(_cart_level(dim) for dim, _ in keys[0]):
            return Needs(none_of=keys[0])  # a line's "!=" says nothing about the cart
        return NOTHING
    return NOTHING


def _cart_level(dim: str) -> bool:
    return dim in CART_KEYS.values() or dim.startswith(ATTRIBUTE_DIMENSIONS)


def _smallest(options: Sequence[Requirement]) -> Requirement:
    return min(options, key=_cost)


def _cost(requirement: Requirement) -> tuple[int, list[Key]]:
    return (sum(_WEIGHT.get(dim, 20) for dim, _ in requirement),
            sorted(requirement, key=repr))


def _dimension(node: n.Node) -> str | None:
    if not isinstance(node, n.Path):
        return None
    parts = ("cart", *node.parts) if node.parts[0] == ATTRIBUTES else node.parts
    if len(parts) == 3 and parts[1] == ATTRIBUTES and parts[0] in ("cart", "customer"):
        return f"{parts[0]}.{ATTRIBUTES}.{parts[2]}"  # a text value is a key
    if len(parts) != 2:
        return None
    scope, name = parts
    if scope == "item":
        return ITEM_KEYS.get(name)
    return CART_KEYS.get((scope, name))


def _key_test(node: n.Compare) -> tuple[Requirement, bool] | None:
    """The keys a key test names, and whether it needs one of them (``True``) or
    none of them (``False``): ``field == "x"``, ``field in ["x", "y"]``,
    ``"x" in list_field``, ``list_field contains "x"``, their negations
    (``!=``, ``not in``), and ``cart.hour >= 18``-style tests of small numbers."""
    left, right, op = node.left, node.right, node.op
    if op == "contains":
        left, right, op = right, left, "in"
    if op in ("==", "!="):
        for field, literal in ((left, right), (right, left)):
            dim = _dimension(field)
            if dim is not None and dim not in LIST_FIELDS | NUMBER_FIELDS \
                    and isinstance(literal, n.String):
                return frozenset({(dim, literal.value)}), op == "=="
    if op in ("in", "not in"):
        dim = _dimension(right)
        if dim in LIST_FIELDS and isinstance(left, n.String):
            return frozenset({(dim, left.value)}), op == "in"
        dim = _dimension(left)
        if dim is not None and dim not in LIST_FIELDS | NUMBER_FIELDS \
                and isinstance(right, n.ListLit) \
                and all(isinstance(item, n.String) for item in right.items):
            keys = frozenset((dim, item.value) for item in right.items)  # type: ignore
            return keys, op == "in"
    return _number_test(left, right, op)


def _number_test(left: n.Node, right: n.Node, op: str) -> tuple[Requirement, bool] | None:
    """``cart.hour >= 18`` needs an hour in 18..23; ``customer.orders >= 3`` needs
    ``orders`` not to be 0, 1 or 2."""
    if op not in ORDER_TESTS:
        return None
    if not isinstance(left, n.Path):
        left, right, op = right, left, MIRROR[op]
    dim = _dimension(left)
    if dim not in NUMBER_FIELDS or not isinstance(right, n.Number):
        return None
    test, bound = ORDER_TESTS[op], right.value
    if dim == "hour":  # 0 .. 23: every test names exactly the hours it admits
        return frozenset((dim, Decimal(h)) for h in _HOURS if test(Decimal(h), bound)), True
    # orders: a whole number >= 0; a test names values only when they are exactly
    # the ones it admits (or refuses) and all are below _SMALL
    small = [Decimal(k) for k in range(_SMALL)]
    if op in ("==", "!="):
        if bound < 0 or bound != bound.to_integral_value():
            return (frozenset(), True) if op == "==" else None  # never equal
        if bound >= _SMALL:
            return None
        return frozenset({(dim, bound.to_integral_value())}), op == "=="
    if op in ("<", "<="):  # admits small values: all of them if it admits the largest
        if test(small[-1], bound):
            return None
        return frozenset((dim, k) for k in small if test(k, bound)), True
    if not test(small[-1], bound):  # ">", ">=": refuses small values
        return None
    return frozenset((dim, k) for k in small if not test(k, bound)), False


#: aggregates (and cart fields) whose value over a cart is one of the measures
CART_MEASURES = {("cart", "subtotal"): "total", ("cart", "quantity"): "units",
                  ("cart", "lines"): "lines"}
_AGGREGATE_MEASURES = {("count", None): "units", ("lines", None): "lines",
                       ("sum", "total"): "total", ("sum", "quantity"): "units",
                       ("max", "unit_price"): "max_price"}


def _measured(node: n.Compare) -> Needs:
    """An aggregate (or a cart total) compared with a number.

    ``count(P) >= 2`` needs a line with P: over no line it is 0, and 0 >= 2
    fails.  A lower bound (``>``, ``>=``) is also kept on a measure of the cart:
    the lines an aggregate counts are those P selects; the measure counts the
    lines with one of the keys P needs, a superset, so it is never below the
    aggregate (``count(item.category == "socks") >= 5``, ``cart.subtotal > 100``)."""
    found = against_number(node)
    if found is None:
        return NOTHING
    side, op, bound = found.subject, found.op, found.bound
    lower = op in (">", ">=")
    if isinstance(side, n.Path):
        kind = CART_MEASURES.get((side.parts[0], side.parts[-1])) \
            if len(side.parts) == 2 else None
        if kind is None or not lower:
            return NOTHING
        return Needs(at_least=(((kind, frozenset()), op == ">", bound),))
    if not isinstance(side, n.Call) or side.name not in _AGGREGATES:
        return NOTHING
    predicate = side.where if side.name in ("sum", "min", "max") else \
        (side.args[0] if side.args else None)
    inner = needs(predicate)
    out = NOTHING if ORDER_TESTS[op](_ZERO, bound) else inner.of_one_line()
    measured = side.args[0] if side.name in ("sum", "max") and side.args else None
    field = measured.parts[1] if isinstance(measured, n.Path) and \
        measured.parts[0] == "item" and len(measured.parts) == 2 else None
    kind = _AGGREGATE_MEASURES.get((side.name, field))
    if kind is None or not lower:
        return out
    line_needs = [r for r in inner.all_of if all(dim in LINE_DIMENSIONS for dim, _ in r)]
    if predicate is None:
        return out & Needs(at_least=(((kind, frozenset()), op == ">", bound),))
    if line_needs:
        return out & Needs(at_least=(((kind, _smallest(line_needs)), op == ">", bound),))
    return out


def promotion_needs(cp: CompiledPromotion) -> Needs:
    """Everything a promotion needs from a cart to be able to apply."""
    promo = cp.promotion
    found = NOTHING
    if promo.is_coupon:
        found = Needs((frozenset({("coupon", cp.id)}),))
    for _, condition, context in promo.conditions():
        if context is Context.CART:
            found = found & needs(condition.node)
        elif context is Context.ITEM and promo.effect is not None and \
                not isinstance(promo.effect, Shipping):
            # an effect takes off target (and get_target) lines only.  (Of several
            # effects any one may move money, each on its own lines: their line
            # conditions are not needed together, and are left out.)
            found = found & needs(condition.node).of_one_line()
    return found


# ------------------------------------------------------------------ index

class _Slots:
    """Bitsets answering "whose requirements do these keys meet?" for many promotions.

    Sets of promotions are bitsets (Python ints, bit ``i`` for the promotion at
    position ``i`` in evaluation order).  Requirement ``k`` of every promotion is
    kept in slot ``k``: per key, the promotions whose ``k``-th requirement it
    meets.  Keys meet slot ``k`` for the promotions one of them hits and for the
    promotions with fewer requirements; they meet all for the AND of the slots.
    """

    def __init__(self, size: int, requirements: Iterable[tuple[int, Sequence[Requirement]]],
                 ) -> None:
        everyone = (1 << size) - 1
        postings: list[dict[Key, int]] = []
        lacking: list[int] = []  # per slot: promotions without a k-th requirement
        for position, needed in requirements:
            bit = 1 << position
            for k, requirement in enumerate(needed):
                if k == len(postings):
                    postings.append({})
                    lacking.append(everyone)
                lacking[k] ^= bit
                for key in requirement:
                    postings[k][key] = postings[k].get(key, 0) | bit
        self.slots = [(by_key, frozenset(by_key), rest)
                      for by_key, rest in zip(postings, lacking, strict=True)]
        self.dimensions = {dim for by_key in postings for dim, _ in by_key}

    def met(self, keys: AbstractSet[Key], mask: int) -> int:
        """The promotions of ``mask`` whose every requirement one of ``keys`` meets."""
        for by_key, posted, rest in self.slots:
            met = rest
            for key in keys & posted:
                met |= by_key[key]
            mask &= met
            if not mask:  # (most promotions of most carts: the other slots change nothing)
                break
        return mask


class _Measures:
    """A cart's measures (``Measure``), from per-key sums over its lines, worked out
    when a bound first asks for them (a bound names a key or two, a cart's lines
    have many): a sum is taken over the lines with the key, of the one column the
    bound reads."""

    def __init__(self, facts: Facts, lines: list[set[Key]]) -> None:
        self.facts = facts
        self.lines = lines
        self.sums: dict[tuple[Key, str], Decimal | None] = {}

    def _sum(self, key: Key, kind: str) -> Decimal | None:
        """The ``kind`` of the lines with ``key`` (``None`` when no line has it)."""
        if (key, kind) in self.sums:
            return self.sums[key, kind]
        found = None
        having = [line for line, keys in zip(self.facts.lines, self.lines, strict=True)
                  if key in keys]
        if having:
            if kind == "units":
                found = sum((line["quantity"] for line in having), _ZERO)
            elif kind == "lines":
                found = Decimal(len(having))
            elif kind == "total":
                found = sum((line["total"] for line in having), _ZERO)
            else:
                found = max(_ZERO, *(line["unit_price"] for line in having))
        self.sums[key, kind] = found
        return found

    def value(self, measure: Measure) -> Decimal:
        kind, keys = measure
        if not keys:
            cart = self.facts.cart
            if kind == "max_price":
                return max((line["unit_price"] for line in self.facts.lines), default=_ZERO)
            value: Decimal = cart[{"units": "quantity", "lines": "lines",
                              "total": "subtotal"}[kind]]
            return value
        values = [found for key in keys if (found := self._sum(key, kind)) is not None]
        # a line with two of the keys (two tags) counts twice: never an underestimate
        return max(values, default=_ZERO) if kind == "max_price" else sum(values, _ZERO)


class _Bounds:
    """Lower bounds on measures, as bitsets: for each measure, the bounds in order
    and the promotions whose bound is at most each of them."""

    def __init__(self, size: int, needs: Sequence[Needs]) -> None:
        entries: dict[Measure, tuple[list[tuple[Decimal, int]], list[tuple[Decimal, int]]]] = {}
        for position, need in enumerate(needs):
            for measure, strict, bound in need.at_least:
                entries.setdefault(measure, ([], []))[strict].append((bound, 1 << position))
        self.having = 0
        self.measured = frozenset(key for measure in entries for key in measure[1])
        self.measures: list[tuple[Measure, int, tuple[list[Decimal], list[int]],
                                  tuple[list[Decimal], list[int]]]] = []
        for measure, (at_least, above) in entries.items():
            having = 0
            for _, bit in at_least + above:
                having |= bit
            self.having |= having
            self.measures.append((measure, having, _cumulative(at_least), _cumulative(above)))

    def met(self, measures: _Measures, mask: int) -> int:
        """The promotions of ``mask`` whose every bound the cart's measures meet."""
        for measure, having, (at_least, met_at_least), (above, met_above) in self.measures:
            if not mask & having:
                continue
            value = measures.value(measure)
            met = 0
            count = bisect.bisect_right(at_least, value)  # bounds <= value
            if count:
                met |= met_at_least[count - 1]
            count = bisect.bisect_left(above, value)  # bounds < value
            if count:
                met |= met_above[count - 1]
            mask &= met | ~having
        return mask


def _cumulative(entries: list[tuple[Decimal, int]]) -> tuple[list[Decimal], list[int]]:
    """Bounds in order, and for each the promotions with that bound or a lower one."""
    entries.sort(key=lambda entry: entry[0])
    bounds, met, running = [], [], 0
    for bound, bit in entries:
        running |= bit
        bounds.append(bound)
        met.append(running)
    return bounds, met


class PromotionIndex:
    """Finds the promotions that could apply to a cart (a superset, never fewer).

    Every set of promotions is a bitset (see ``_Slots``), so a cart costs a few
    big-int operations per key it has (and per line, for requirements one line
    must meet together), whatever the size of the ruleset.

    Immutable once built, apart from the cache of active sets per time segment
    (filled as carts arrive; a race computes one twice, with the same result).
    """

    MAX_SEGMENTS = 64  # segments kept; a checkout's carts mostly share one

    def __init__(self, promotions: Sequence[CompiledPromotion]) -> None:
        self.promotions = promotions
        size = len(promotions)
        self.needs = [promotion_needs(cp) for cp in promotions]
        self.cart = _Slots(size, ((p, need.in_cart) for p, need in enumerate(self.needs)))
        self.forbidden: dict[Key, int] = {}
        for position, need in enumerate(self.needs):
            for key in need.none_of:
                self.forbidden[key] = self.forbidden.get(key, 0) | 1 << position
        self.forbidden_keys = frozenset(self.forbidden)
        # group j of the promotions with more than j groups one line must meet, and
        # every key its slots name
        self.groups: list[tuple[_Slots, int, frozenset[Key]]] = []
        for j in range(max((len(need.one_line) for need in self.needs), default=0)):
            having = [(p, need.one_line[j]) for p, need in enumerate(self.needs)
                      if len(need.one_line) > j]
            slots = _Slots(size, having)
            self.groups.append((slots, sum(1 << p for p, _ in having),
                                frozenset().union(*(posted for _, posted, _ in slots.slots))))
        self.bounds = _Bounds(size, self.needs)
        self.dimensions = sorted(self.cart.dimensions | {dim for dim, _ in self.forbidden})
        # each dimension of the cart itself read as decided once (a dispatch per cart cost more)
        self.cart_readers = [(dim, _cart_reader(dim)) for dim in self.dimensions
                             if dim not in LINE_DIMENSIONS]
        # The keys of a line: the values of the item fields some requirement, exclusion
        # or bound names, read off each line in one go (``_keys_of``).
        used = set(self.dimensions) | {dim for dim, _ in self.bounds.measured}
        fields = [name for name, dim in ITEM_KEYS.items()
                  if dim in used and dim not in LIST_FIELDS]
        self.line_dimensions = tuple(ITEM_KEYS[name] for name in fields)
        self.line_values: Any = operator.itemgetter(*fields) if len(fields) > 1 else \
            (lambda line, name=fields[0]: (line[name],)) if fields else (lambda line: ())
        self.uses_tags = "tag" in used
        moments = {m for cp in promotions for m in (cp.opens, cp.closes) if m is not None}
        self.boundaries: list[dt.datetime] = sorted(moments)
        self._active: dict[int, int] = {}
        self.schedules = ClosedSchedules([(position, cp.schedule) for position, cp
                                          in enumerate(promotions) if cp.schedule is not None])

    def active(self, at: dt.datetime) -> int:
        """The promotions whose window contains ``at``: the same for every instant
        between two consecutive window boundaries, so computed once per segment."""
        instant = at if at.tzinfo is dt.UTC else at.astimezone(dt.UTC)
        segment = bisect.bisect_right(self.boundaries, instant)
        found = self._active.get(segment)
        if found is None:
            found = 0
            for position, cp in enumerate(self.promotions):
                if cp.active(instant):
                    found |= 1 << position
            if len(self._active) >= self.MAX_SEGMENTS:
                self._active.clear()
            self._active[segment] = found
        if found & self.schedules.having:
            found &= ~self.schedules.closed(instant)
        return found

    def _keys_of(self, line: dict[str, Any]) -> set[Key]:
        keys = set(zip(self.line_dimensions, self.line_values(line), strict=True))
        if self.uses_tags:
            keys.update([("tag", tag) for tag in line["tags"]])
        return keys

    def candidates(self, facts: Facts, at: dt.datetime, chosen: Iterable[str]) -> list[int]:
        """Positions, in evaluation order, of the promotions that could apply."""
        dimensions, values = self.line_dimensions, self.line_values
        keys = {key for line in facts.lines
                for key in zip(dimensions, values(line), strict=True)}
        if self.uses_tags:
            keys.update([("tag", tag) for line in facts.lines for tag in line["tags"]])
        keys.update([(dim, value) for dim, read in self.cart_readers
                     for value in read(facts, chosen)])
        mask = self.cart.met(keys, self.active(at))
        if not mask:  # (nothing else to narrow)
            return []
        for key in keys & self.forbidden_keys:
            mask &= ~self.forbidden[key]
        lines: list[set[Key]] | None = None  # the keys of each line, when a check needs them
        for slots, having, named in self.groups:
            wanted = mask & having
            if not wanted:
                continue
            if lines is None:
                lines = [self._keys_of(line) for line in facts.lines]
            # lines with the same keys among those the group names meet the same
            # promotions: each such set of keys is asked once
            some_line, answers = 0, dict[frozenset[Key], int]()
            for have in lines:
                relevant = frozenset(have & named)
                found = answers.get(relevant)
                if found is None:
                    found = answers[relevant] = slots.met(relevant, wanted)
                some_line |= found
            mask &= some_line | ~having
        if mask & self.bounds.having:
            if lines is None:
                lines = [self._keys_of(line) for line in facts.lines]
            mask = self.bounds.met(_Measures(facts, lines), mask)
        return set_positions(mask)


def set_positions(mask: int) -> list[int]:
    """The set bits of ``mask``, lowest first."""
    bits = format(mask, "b")[::-1]
    out = []
    at = bits.find("1")
    while at >= 0:
        out.append(at)
        at = bits.find("1", at + 1)
    return out


CartReader = Callable[[Facts, Iterable[str]], Iterable[Any]]
"""A dimension's values in a cart itself, from its facts and the promotions chosen by code."""


def _cart_reader(dim: str) -> CartReader:
    """How the values of the cart's own dimension ``dim`` are read."""
    if dim == "coupon":
        return lambda facts, chosen: chosen
    if dim == "segment":
        return lambda facts, chosen: facts.customer["segments"]
    if dim == "orders":
        return lambda facts, chosen: (facts.customer["orders"],)
    if dim in ("weekday", "shipping_method", "hour"):
        return lambda facts, chosen: (facts.cart[dim],)
    if dim.startswith(ATTRIBUTE_DIMENSIONS):  # (a text attribute's value, if it has one)
        scope, _, name = dim.split(".", 2)
        attributes = operator.attrgetter(f"{scope}_attributes")  # cart_ or customer_
        return lambda facts, chosen: [found for found in (attributes(facts).get(name),)
                                      if isinstance(found, str)]
    raise ValueError(f"{dim} is not a dimension of the cart itself")
