"""A hand-written reference for the benchmark: the same discounts, in plain Python.

    from .reference import generate_workload, Reference, compare
    workload = generate_workload(1000, seed=0)   # promotion specs + the same ruleset as YAML
    reference = Reference(workload.ruleset)      # one hand-written function per promotion
    expected = reference.evaluate(cart)          # cart: engine.Cart (parsed snapshot)
    problems = compare(expected, program.evaluate(cart))

The reference workload is generated as *specs* (small dataclasses, one class
per shape of condition, target and effect), not as text.  From a spec this
module writes the promotion's YAML for the engine, and builds, by hand-written
code per shape, a Python function for the reference: ``SubtotalAtLeast(100)``
becomes ``cart.subtotal >= 100`` in YAML and ``lambda c: c.subtotal >= X`` here.
Nothing here parses or walks the DSL.

Shapes covered (the same vocabulary and mix as ``generate.py``):

* ``when`` atoms: subtotal, quantity, count of a category's units, a seller's
  sum, lines of a brand, any tag, all not from a seller, max unit price of a
  category, segment contained / not contained, orders, weekday, hour, date,
  customer country attribute, shipping method, and ``(a or b)``; joined by
  ``and``;
* targets: category, categories, seller(s), tag, brand, sku(s), product,
  category and seller, category not from outlet, tag in categories, category
  and unit price, brand and not tag;
* every effect: percent off (``max_units``, ``choose``), amount off, amount
  off each (``max_units``), fixed price (``max_units``), buy X get Y (percent,
  ``max_applications``, ``choose``, ``get_target``), bundle, tiers by subtotal
  and by quantity (percent / amount off each steps), shipping free / amount
  off / percent off / fixed price; each optionally with ``max_amount``;
* windows (dates and date-times with offsets, open-ended), coupons (one or
  several codes), priorities, groups, exclusive promotions, and every
  stacking switch: ``coupons_per_order``, ``coupon_with_automatic``,
  ``base: original | discounted``, ``max_discount``, rounding mode.

Not covered: usage limits (the benchmark evaluates without a usage store;
limits are written to the YAML but neither side reads them), cart and item
``attributes`` other than the customer's country, currencies other than EUR.

The semantics are docs/semantics.md's (#effects, #stacking, #money); where they leave a detail open
the reference says so in a comment (``# detail:``).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from math import lcm
from typing import Any
from zoneinfo import ZoneInfo

from .generate import (
    _BRANDS,
    _BY_CATEGORY,
    CATALOGUE,
    CATEGORIES,
    COUNTRIES,
    CURRENCY,
    GROUPS,
    SEGMENTS,
    SELLERS,
    SHIPPING_METHODS,
    TAGS,
    TIMEZONE,
    WELL_KNOWN_COUPONS,
    _expr,
    _floors,
    _flow,
    _list,
    _money,
    _q,
    generate_cart,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MODES = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP, "down": ROUND_DOWN}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHIPPING = None  # key of the shipping part in a promotion's parts


# ====================================================================== the cart


class Line:
    """A cart line as the reference reads it (built from the engine's parsed cart)."""

    __slots__ = ("id", "sku", "product", "category", "seller", "brand", "tags",
                 "unit_price", "quantity", "total")

    def __init__(self, ln: Any) -> None:
        self.id: str = ln.id
        self.sku: str = ln.sku
        self.product: str = ln.product or ln.sku
        self.category: str = ln.category
        self.seller: str = ln.seller
        self.brand: str = ln.brand
        self.tags: tuple[str, ...] = tuple(ln.tags)
        self.unit_price: Decimal = ln.unit_price
        self.quantity: int = ln.quantity
        self.total: Decimal = ln.unit_price * ln.quantity


class CartView:
    """What conditions read: the original cart (conditions never see discounts)."""

    __slots__ = ("lines", "subtotal", "quantity", "segments", "orders", "country", "at",
                 "date", "weekday", "hour", "shipping_method", "shipping_price")

    def __init__(self, cart: Any, zone: ZoneInfo) -> None:
        self.lines = [Line(ln) for ln in cart.lines]
        self.subtotal = sum((ln.total for ln in self.lines), ZERO)
        self.quantity = sum(ln.quantity for ln in self.lines)
        self.segments: tuple[str, ...] = tuple(cart.customer.segments)
        self.orders: int = cart.customer.orders
        self.country: object = cart.customer.attributes.get("country")  # any JSON value
        self.at: dt.datetime = cart.at
        local = cart.at.astimezone(zone)
        self.date: dt.date = local.date()
        self.weekday: str = WEEKDAYS[local.weekday()]
        self.hour: int = local.hour
        self.shipping_method: str = cart.shipping.method if cart.shipping else ""
        self.shipping_price: Decimal | None = cart.shipping.price if cart.shipping else None


Pred = Callable[[CartView], bool]
ItemPred = Callable[[Line], bool]


# ============================================================ when: cart conditions
# Each class: dsl() is the expression for the YAML, ref() the reference's function.


@dataclass(frozen=True)
class SubtotalAtLeast:
    amount: int

    def dsl(self) -> str:
        return f"cart.subtotal >= {self.amount}"

    def ref(self) -> Pred:
        x = Decimal(self.amount)
        return lambda c: c.subtotal >= x


@dataclass(frozen=True)
class QuantityAtLeast:
    units: int

    def dsl(self) -> str:
        return f"cart.quantity >= {self.units}"

    def ref(self) -> Pred:
        n = self.units
        return lambda c: c.quantity >= n


@dataclass(frozen=True)
class CategoryUnitsAtLeast:
    category: str
    units: int

    def dsl(self) -> str:
        return f'count(item.category == "{self.category}") >= {self.units}'

    def ref(self) -> Pred:
        cat, n = self.category, self.units
        return lambda c: sum(ln.quantity for ln in c.lines if ln.category == cat) >= n


@dataclass(frozen=True)
class SellerTotalAtLeast:
    seller: str
    amount: int

    def dsl(self) -> str:
        return f'sum(item.total where item.seller == "{self.seller}") >= {self.amount}'

    def ref(self) -> Pred:
        seller, x = self.seller, Decimal(self.amount)
        return lambda c: sum((ln.total for ln in c.lines if ln.seller == seller), ZERO) >= x


@dataclass(frozen=True)
class BrandLinesAtLeast:
    brand: str
    lines: int

    def dsl(self) -> str:
        return f'lines(item.brand == "{self.brand}") >= {self.lines}'

    def ref(self) -> Pred:
        brand, n = self.brand, self.lines
        return lambda c: sum(1 for ln in c.lines if ln.brand == brand) >= n


@dataclass(frozen=True)
class AnyTag:
    tag: str

    def dsl(self) -> str:
        return f'any(item.tags contains "{self.tag}")'

    def ref(self) -> Pred:
        tag = self.tag
        return lambda c: any(tag in ln.tags for ln in c.lines)


@dataclass(frozen=True)
class NoneFromSeller:
    seller: str

    def dsl(self) -> str:
        return f'all(item.seller != "{self.seller}")'

    def ref(self) -> Pred:
        seller = self.seller
        return lambda c: all(ln.seller != seller for ln in c.lines)


@dataclass(frozen=True)
class MaxPriceAtLeast:
    category: str
    amount: int

    def dsl(self) -> str:
        return (f'max(item.unit_price where item.category == "{self.category}") >= '
                f"{self.amount}")

    def ref(self) -> Pred:
        cat, x = self.category, Decimal(self.amount)
        # max of no values is 0 (README: aggregates over no line)
        return lambda c: max((ln.unit_price for ln in c.lines if ln.category == cat),
                             default=ZERO) >= x


@dataclass(frozen=True)
class HasSegment:
    segment: str

    def dsl(self) -> str:
        return f'customer.segments contains "{self.segment}"'

    def ref(self) -> Pred:
        seg = self.segment
        return lambda c: seg in c.segments


@dataclass(frozen=True)
class LacksSegment:
    segment: str

    def dsl(self) -> str:
        return f'not (customer.segments contains "{self.segment}")'

    def ref(self) -> Pred:
        seg = self.segment
        return lambda c: seg not in c.segments


@dataclass(frozen=True)
class Orders:
    op: str  # "==" or ">="
    count: int

    def dsl(self) -> str:
        return f"customer.orders {self.op} {self.count}"

    def ref(self) -> Pred:
        n = self.count
        if self.op == "==":
            return lambda c: c.orders == n
        return lambda c: c.orders >= n


@dataclass(frozen=True)
class WeekdayIn:
    days: tuple[str, ...]

    def dsl(self) -> str:
        return f"cart.weekday in {_list(self.days)}"

    def ref(self) -> Pred:
        days = frozenset(self.days)
        return lambda c: c.weekday in days


@dataclass(frozen=True)
class HourAtLeast:
    hour: int

    def dsl(self) -> str:
        return f"cart.hour >= {self.hour}"

    def ref(self) -> Pred:
        h = self.hour
        return lambda c: c.hour >= h


@dataclass(frozen=True)
class DateFrom:
    date: dt.date

    def dsl(self) -> str:
        return f"cart.date >= {self.date.isoformat()}"

    def ref(self) -> Pred:
        d = self.date
        return lambda c: c.date >= d


@dataclass(frozen=True)
class CountryIn:
    countries: tuple[str, ...]

    def dsl(self) -> str:
        return f"customer.attributes.country in {_list(self.countries)}"

    def ref(self) -> Pred:
        countries = frozenset(self.countries)
        # a missing attribute makes every comparison false
        return lambda c: c.country is not None and c.country in countries


@dataclass(frozen=True)
class ShippingMethodIs:
    method: str

    def dsl(self) -> str:
        return f'cart.shipping_method == "{self.method}"'

    def ref(self) -> Pred:
        m = self.method
        return lambda c: c.shipping_method == m


@dataclass(frozen=True)
class AnyOf:
    left: Atom
    right: Atom

    def dsl(self) -> str:
        return f"({self.left.dsl()} or {self.right.dsl()})"

    def ref(self) -> Pred:
        a, b = self.left.ref(), self.right.ref()
        return lambda c: a(c) or b(c)


Atom = (SubtotalAtLeast | QuantityAtLeast | CategoryUnitsAtLeast | SellerTotalAtLeast
        | BrandLinesAtLeast | AnyTag | NoneFromSeller | MaxPriceAtLeast | HasSegment
        | LacksSegment | Orders | WeekdayIn | HourAtLeast | DateFrom | CountryIn
        | ShippingMethodIs | AnyOf)


def when_dsl(atoms: Sequence[Atom]) -> str:
    return " and ".join(a.dsl() for a in atoms)


def when_ref(atoms: Sequence[Atom]) -> Pred:
    """``a and b and c`` as a hand-built chain of the atoms' functions."""
    fns = [a.ref() for a in atoms]
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        a, b = fns
        return lambda c: a(c) and b(c)
    if len(fns) == 3:
        a, b, d = fns
        return lambda c: a(c) and b(c) and d(c)
    return lambda c: all(f(c) for f in fns)


# ============================================================ targets: item conditions


@dataclass(frozen=True)
class CategoryIs:
    category: str

    def dsl(self) -> str:
        return f'item.category == "{self.category}"'

    def ref(self) -> ItemPred:
        cat = self.category
        return lambda ln: ln.category == cat


@dataclass(frozen=True)
class CategoryIn:
    categories: tuple[str, ...]

    def dsl(self) -> str:
        return f"item.category in {_list(self.categories)}"

    def ref(self) -> ItemPred:
        cats = frozenset(self.categories)
        return lambda ln: ln.category in cats


@dataclass(frozen=True)
class SellerIs:
    seller: str

    def dsl(self) -> str:
        return f'item.seller == "{self.seller}"'

    def ref(self) -> ItemPred:
        s = self.seller
        return lambda ln: ln.seller == s


@dataclass(frozen=True)
class SellerIn:
    sellers: tuple[str, ...]

    def dsl(self) -> str:
        return f"item.seller in {_list(self.sellers)}"

    def ref(self) -> ItemPred:
        ss = frozenset(self.sellers)
        return lambda ln: ln.seller in ss


@dataclass(frozen=True)
class HasTag:
    tag: str

    def dsl(self) -> str:
        return f'item.tags contains "{self.tag}"'

    def ref(self) -> ItemPred:
        t = self.tag
        return lambda ln: t in ln.tags


@dataclass(frozen=True)
class BrandIs:
    brand: str

    def dsl(self) -> str:
        return f'item.brand == "{self.brand}"'

    def ref(self) -> ItemPred:
        b = self.brand
        return lambda ln: ln.brand == b


@dataclass(frozen=True)
class SkuIn:
    skus: tuple[str, ...]

    def dsl(self) -> str:
        if len(self.skus) == 1:
            return f'item.sku == "{self.skus[0]}"'
        return f"item.sku in {_list(self.skus)}"

    def ref(self) -> ItemPred:
        if len(self.skus) == 1:
            sku = self.skus[0]
            return lambda ln: ln.sku == sku
        skus = frozenset(self.skus)
        return lambda ln: ln.sku in skus


@dataclass(frozen=True)
class ProductIs:
    product: str

    def dsl(self) -> str:
        return f'item.product == "{self.product}"'

    def ref(self) -> ItemPred:
        p = self.product
        return lambda ln: ln.product == p


@dataclass(frozen=True)
class CategoryAndSeller:
    category: str
    seller: str

    def dsl(self) -> str:
        return f'item.category == "{self.category}" and item.seller == "{self.seller}"'

    def ref(self) -> ItemPred:
        cat, s = self.category, self.seller
        return lambda ln: ln.category == cat and ln.seller == s


@dataclass(frozen=True)
class CategoryNotSeller:
    category: str
    seller: str

    def dsl(self) -> str:
        return f'item.category == "{self.category}" and item.seller != "{self.seller}"'

    def ref(self) -> ItemPred:
        cat, s = self.category, self.seller
        return lambda ln: ln.category == cat and ln.seller != s


@dataclass(frozen=True)
class TagInCategories:
    tag: str
    categories: tuple[str, ...]

    def dsl(self) -> str:
        return f'item.tags contains "{self.tag}" and item.category in {_list(self.categories)}'

    def ref(self) -> ItemPred:
        t, cats = self.tag, frozenset(self.categories)
        return lambda ln: t in ln.tags and ln.category in cats


@dataclass(frozen=True)
class CategoryPriceAtLeast:
    category: str
    floor: int

    def dsl(self) -> str:
        return f'item.category == "{self.category}" and item.unit_price >= {self.floor}'

    def ref(self) -> ItemPred:
        cat, x = self.category, Decimal(self.floor)
        return lambda ln: ln.category == cat and ln.unit_price >= x


@dataclass(frozen=True)
class BrandNotTag:
    brand: str
    tag: str

    def dsl(self) -> str:
        return f'item.brand == "{self.brand}" and not (item.tags contains "{self.tag}")'

    def ref(self) -> ItemPred:
        b, t = self.brand, self.tag
        return lambda ln: ln.brand == b and t not in ln.tags


Target = (CategoryIs | CategoryIn | SellerIs | SellerIn | HasTag | BrandIs | SkuIn
          | ProductIs | CategoryAndSeller | CategoryNotSeller | TagInCategories
          | CategoryPriceAtLeast | BrandNotTag)


# ====================================================================== money


def rnd(value: Decimal, mode: str) -> Decimal:
    """Round to the cent with the ruleset's mode, once per line."""
    return value.quantize(CENT, rounding=mode)


def allocate(total: Decimal, weights: list[tuple[Any, int, Any]]) -> dict[Any, Decimal]:
    """Largest remainder: split ``total`` (whole cents) over ``(key, weight, tie)``.

    Weights are integers (cents, or cents scaled to a common denominator);
    equal remainders go to the smaller ``tie``; zero weights get nothing.
    """
    target = int(total * 100)
    whole = sum(w for _, w, _ in weights if w > 0)
    out: dict[Any, int] = {k: 0 for k, _, _ in weights}
    if target == 0 or whole == 0:
        return {k: ZERO for k in out}
    rest = []
    given = 0
    for key, w, tie in weights:
        if w <= 0:
            continue
        q, r = divmod(target * w, whole)
        out[key] = q
        given += q
        rest.append((-r, tie, key))
    rest.sort()
    for _, _, key in rest[: target - given]:
        out[key] += 1
    return {k: Decimal(v) / 100 for k, v in out.items()}


def reallocate(parts: dict[Any, Decimal], amount: Decimal) -> dict[Any, Decimal]:
    """Cut a promotion's parts to ``amount`` in proportion to themselves.

    detail: ties between a line and shipping go to the line (lines by id
    first, shipping last) — the engine's order (docs/semantics.md#allocation).
    """
    weights = [(k, int(v * 100), (k is None, k or "")) for k, v in parts.items()]
    return allocate(amount, weights)


# ====================================================================== effects
# Each effect: parts(targets, gets, shipping_base, mode) -> (line parts, shipping, unmet).
# ``targets`` are (line, base) pairs: base = original total or what is left of it.

Base = list[tuple[Line, Decimal]]
Out = tuple[dict[str, Decimal], Decimal, bool]
NOTHING: Out = ({}, ZERO, False)


def pick_units(lines: Base, count: int | None, choose: str,
               avoid: dict[str, int] | None = None) -> list[tuple[Line, Decimal, int]]:
    """Units pooled over lines, cheapest unit value first (ties: smaller line id)."""
    if choose == "cheapest":
        ordered = sorted(lines, key=lambda lb: (lb[1] / lb[0].quantity, lb[0].id))
    else:
        ordered = sorted(lines, key=lambda lb: (-(lb[1] / lb[0].quantity), lb[0].id))
    out = []
    left = count
    for ln, base in ordered:
        have = ln.quantity - (avoid.get(ln.id, 0) if avoid else 0)
        take = have if left is None else min(have, left)
        if take > 0:
            out.append((ln, base, take))
        if left is not None:
            left -= take
            if left <= 0:
                break
    return out


def pct_of_units(picked: list[tuple[Line, Decimal, int]], pct: Decimal, mode: str,
                 ) -> dict[str, Decimal]:
    """pct % of each picked line's units: base * units / quantity * pct / 100."""
    return {ln.id: rnd(base * k * pct / (ln.quantity * HUNDRED), mode)
            for ln, base, k in picked}


@dataclass(frozen=True)
class PercentOffFx:
    pct: Decimal
    max_units: int | None = None
    choose: str = "cheapest"
    max_amount: Decimal | None = None

    def yaml(self) -> list[str]:
        pairs = [("percent_off", _pct(self.pct))]
        if self.max_units is not None:
            pairs.append(("max_units", str(self.max_units)))
        if self.choose != "cheapest":
            pairs.append(("choose", self.choose))
        return [_flow(pairs + _cap(self))]

    def parts(self, targets: Base, gets: Base, ship: Decimal | None, mode: str) -> Out:
        pct = self.pct
        if self.max_units is None:
            return {ln.id: rnd(base * pct / HUNDRED, mode) for ln, base in targets}, ZERO, False
        return pct_of_units(pick_units(targets, self.max_units, self.choose), pct, mode), \
            ZERO, False


@dataclass(frozen=True)
class AmountOffFx:
    amount: Decimal
    max_amount: Decimal | None = None

    def yaml(self) -> list[str]:
        return [_flow([("amount_off", _money(self.amount))] + _cap(self))]

    def parts(self, targets: Base, gets: Base, ship: Decimal | None, mode: str) -> Out:
        worth = sum((base for _, base in targets), ZERO)
        total = min(self.amount, worth)  # never more than the lines are worth
        return allocate(total, [(ln.id, int(base * 100), ln.id) for ln, base in targets]), \
            ZERO, False


@dataclass(frozen=True)
class AmountOffEachFx:
    amount: Decimal
    max_units: int | None = None
    choose: str = "cheapest"
    max_amount: Decimal | None = None

    def yaml(self) -> list[str]:
        pairs = [("amount_off_each", _money(self.amount))]
        if self.max_units is not None:
            pairs.append(("max_units", str(self.max_units)))
        return [_flow(pairs + _cap(self))]

    def parts(self, targets: Base, gets: Base, ship: Decimal | None, mode: str) -> Out:
        a = self.amount
        out = {}
        for ln, base, k in pick_units(targets, self.max_units, self.choose):
            if a * ln.quantity <= base:  # a unit is worth at least the amount
                out[ln.id] = a * k
            else:  # at most the unit's value
                out[ln.id] = rnd(base * k / ln.quantity, mode)
        return out, ZERO, False


@dataclass(frozen=True)
class FixedPriceFx:
    price: Decimal
    max_units: int | None = None
    choose: str = "cheapest"
    max_amount: Decimal | None = None

    def yaml(self) -> list[str]:
        pairs = [("fixed_price", _money(self.price))]
        if self.max_units is not None:
            pairs.append(("max_units", str(self.max_units)))
        return [_flow(pairs + _cap(self))]

    def parts(self, targets: Base, gets: Base, ship: Decimal | None, mode: str) -> Out:
        p = self.price
        # units already at or below the price are untouched; max_units picks among the dearer
        dearer = [(ln, base) for ln, base in targets if base > p * ln.quantity]
        out = {ln.id: rnd((base - p * ln.quantity) * k / ln.quantity, mode)
               for ln, base, k in pick_units(dearer, self.max_units, self.choose)}
        return out, ZERO, False


@dataclass(frozen=True)
class BuyGetFx:
    buy: int
    get: int
    pct: Decimal = HUNDRED
    max_applications: int | None = None
    choose: str = "cheapest"
    get_target: Target | None = None
    max_amount: Decimal | None = None

    def yaml(self) -> list[str]:
        pairs = [("buy", str(self.buy)), ("get", str(self.get))]
        if self.pct != HUNDRED:
            pairs.append(("percent_off", _pct(self.pct)))
        if self.max_applications is not None:
            pairs.append(("max_applications", str(self.max_applications)))
        if self.choose != "cheapest":
            pairs.append(("choose", self.choose))
        pairs += _cap(self)
        if self.get_target is None:
            return [_flow(pairs)]
        return [f"{k}: {v}" for k, v in pairs] + [f"get_target: {_expr(self.get_target.dsl())}"]

    def parts(self, targets: Base, gets: Base, ship: Decimal | None, mode: str) -> Out:
        x, y, cap = self.buy, self.get, self.max_applications
        if self.get_target is None:
            apps = sum(ln.quantity for ln, _ in targets) // (x + y)
            if cap is not None:
                apps = min(apps, cap)
            if apps == 0:
                return NOTHING
            return pct_of_units(pick_units(targets, apps * y, self.choose), self.pct, mode), \
                ZERO, False
        # get_target: the Y units come from the get lines (chosen first), the X units
        # are counted among the target units left; the most applications that fit both
        apps = min(sum(ln.quantity for ln, _ in gets) // y,
                   sum(ln.quantity for ln, _ in targets) // x)
        if cap is not None:
            apps = min(apps, cap)
        for n in range(apps, 0, -1):
            picked = pick_units(gets, n * y, self.choose)
            used = {ln.id: k for ln, _, k in picked}
            left = sum(ln.quantity - used.get(ln.id, 0) for ln, _ in targets)
            if left >= n * x:
                return pct_of_units(picked, self.pct, mode), ZERO, False
        return NOTHING


@dataclass(frozen=True)
class BundleFx:
    units: int
    price: Decimal
    max_applications: int | None = None
    choose: str = "cheapest"
    max_amount: Decimal | None = None

    def yaml(self) -> list[str]:
        pairs = [("bundle", _flow([("units", str(self.units)), ("price", _money(self.price))]))]
        if self.max_applications is not None:
            pairs.append(("max_applications", str(self.max_applications)))
        return [_flow(pairs + _cap(self))]

    def parts(self, targets: Base, gets: Base, ship: Decimal | None, mode: str) -> Out:
        apps = sum(ln.quantity for ln, _ in targets) // self.units
        if self.max_applications is not None:
            apps = min(apps, self.max_applications)
        if apps == 0:
            return NOTHING
        picked = pick_units(targets, apps * self.units, self.choose)
        # the chosen units' value, exactly: base * k / quantity per line; over a common
        # denominator so the allocation weights are integers
        den = lcm(*(ln.quantity for ln, _, _ in picked))
        scaled = [(ln.id, int(base * 100) * k * (den // ln.quantity), ln.id)
                  for ln, base, k in picked]
        worth = Decimal(sum(w for _, w, _ in scaled)) / (den * 100)
        saving = worth - self.price * apps
        if saving <= 0:
            return NOTHING
        # detail: a saving that is not whole cents (a partly discounted line split
        # over units) is rounded once with the ruleset's mode before it is spread
        return allocate(rnd(saving, mode), scaled), ZERO, False


@dataclass(frozen=True)
class TiersFx:
    by: str  # "subtotal" | "quantity"
    steps: tuple[tuple[Decimal, str, Decimal], ...]  # (at, kind, value), increasing
    max_amount: Decimal | None = None

    def yaml(self) -> list[str]:
        steps = []
        for at, kind, value in self.steps:
            at_text = _money(at) if self.by == "subtotal" else str(at)
            value_text = _pct(value) if kind == "percent_off" else _money(value)
            steps.append(f"    - {_flow([('at', at_text), (kind, value_text)])}")
        return ["tiers:", f"  by: {self.by}", "  steps:", *steps] + \
            [f"{k}: {v}" for k, v in _cap(self)]

    def parts(self, targets: Base, gets: Base, ship: Decimal | None, mode: str) -> Out:
        if not targets:
            return NOTHING
        if self.by == "subtotal":  # the target lines' *original* subtotal
            measure = sum((ln.total for ln, _ in targets), ZERO)
        else:
            measure = Decimal(sum(ln.quantity for ln, _ in targets))
        reached = [s for s in self.steps if s[0] <= measure]
        if not reached:
            return {}, ZERO, True
        _, kind, value = max(reached, key=lambda s: s[0])
        if kind == "percent_off":
            return PercentOffFx(value).parts(targets, gets, ship, mode)
        if kind == "amount_off":
            return AmountOffFx(value).parts(targets, gets, ship, mode)
        if kind == "amount_off_each":
            return AmountOffEachFx(value).parts(targets, gets, ship, mode)
        return FixedPriceFx(value).parts(targets, gets, ship, mode)


@dataclass(frozen=True)
class ShippingFx:
    kind: str  # free | amount_off | percent_off | fixed_price
    value: Decimal | None = None
    max_amount: Decimal | None = None

    def given(self) -> Decimal:
        """The value of every kind but ``free`` (which has none)."""
        assert self.value is not None, self.kind
        return self.value

    def yaml(self) -> list[str]:
        if self.kind == "free":
            value = "true"
        elif self.kind == "percent_off":
            value = _pct(self.value)
        else:
            value = _money(self.given())
        return [_flow([("shipping", _flow([(self.kind, value)]))] + _cap(self))]

    def parts(self, targets: Base, gets: Base, ship: Decimal | None, mode: str) -> Out:
        if ship is None or ship <= 0:
            return NOTHING
        if self.kind == "free":
            off = ship
        elif self.kind == "amount_off":
            off = min(self.given(), ship)
        elif self.kind == "percent_off":
            off = rnd(ship * self.given() / HUNDRED, mode)
        else:
            off = max(ZERO, ship - self.given())
        return {}, off, False


Effect = (PercentOffFx | AmountOffFx | AmountOffEachFx | FixedPriceFx | BuyGetFx | BundleFx
          | TiersFx | ShippingFx)


def _pct(value: Decimal | None) -> str:
    assert value is not None
    return str(value) if value == value.to_integral_value() else _q(str(value))


def _cap(effect: Any) -> list[tuple[str, str]]:
    return [("max_amount", _money(effect.max_amount))] if effect.max_amount is not None else []


# ================================================================== the ruleset spec


@dataclass(frozen=True)
class PromotionSpec:
    id: str
    effect: Effect
    priority: int = 0
    window: tuple[dt.date | dt.datetime | None, dt.date | dt.datetime | None] | None = None
    codes: tuple[str, ...] = ()
    when: tuple[Atom, ...] = ()
    target: Target | None = None
    exclusive: bool = False
    group: str | None = None
    name: str | None = None
    limits: str | None = None

    def yaml(self) -> list[str]:
        out = [f"  - id: {self.id}"]
        if self.name:
            out.append(f"    name: {_q(self.name)}")
        if self.priority:
            out.append(f"    priority: {self.priority}")
        if self.window is not None:
            pairs = [(key, _moment(v)) for key, v in zip(("from", "until"), self.window,
                                                          strict=True) if v is not None]
            out.append(f"    active: {_flow(pairs)}")
        if len(self.codes) == 1:
            out.append(f"    coupon: {self.codes[0]}")
        elif self.codes:
            out.append(f"    coupons: [{', '.join(self.codes)}]")
        if self.when:
            out.append(f"    when: {_expr(when_dsl(self.when))}")
        if self.target is not None:
            out.append(f"    target: {_expr(self.target.dsl())}")
        effect = self.effect.yaml()
        if len(effect) == 1:
            out.append(f"    effect: {effect[0]}")
        else:
            out.append("    effect:")
            out.extend(f"      {line}" for line in effect)
        if self.limits:
            out.append(f"    limits: {self.limits}")
        if self.group:
            out.append(f"    group: {self.group}")
        if self.exclusive:
            out.append("    exclusive: true")
        return out


def _moment(value: dt.date | dt.datetime) -> str:
    return _q(value.isoformat()) if isinstance(value, dt.datetime) else value.isoformat()


@dataclass(frozen=True)
class RulesetSpec:
    id: str
    rounding: str
    coupons_per_order: int
    coupon_with_automatic: bool
    base: str
    max_discount_pct: Decimal | None
    max_discount_amount: Decimal | None
    promotions: tuple[PromotionSpec, ...]
    timezone: str = TIMEZONE

    def yaml(self) -> str:
        lines = [
            f"# Generated by benchmarks/reference.py: {len(self.promotions)} promotions.",
            f"ruleset: {self.id}",
            "dsl: 1",
            f"currency: {CURRENCY}",
            f"timezone: {self.timezone}",
            f"rounding: {self.rounding}",
            "",
            "stacking:",
            f"  coupons_per_order: {self.coupons_per_order}",
            f"  coupon_with_automatic: {'true' if self.coupon_with_automatic else 'false'}",
            f"  base: {self.base}",
        ]
        cap = []
        if self.max_discount_pct is not None:
            cap.append(("percent_of_subtotal", str(self.max_discount_pct)))
        if self.max_discount_amount is not None:
            cap.append(("amount", _money(self.max_discount_amount)))
        if cap:
            lines.append(f"  max_discount: {_flow(cap)}")
        lines.append("")
        if not self.promotions:
            lines.append("promotions: []")
        else:
            lines.append("promotions:")
            for i, p in enumerate(self.promotions):
                if i:
                    lines.append("")
                lines.extend(p.yaml())
        return "\n".join(lines) + "\n"

    @property
    def codes(self) -> list[str]:
        return [c for p in self.promotions for c in p.codes]

    def with_promotions(self, promotions: Sequence[PromotionSpec], suffix: str = "",
                        ) -> RulesetSpec:
        return RulesetSpec(self.id + suffix, self.rounding, self.coupons_per_order,
                           self.coupon_with_automatic, self.base, self.max_discount_pct,
                           self.max_discount_amount, tuple(promotions), self.timezone)


# ====================================================================== the reference


@dataclass
class RefPromotion:
    """One promotion as hand-written functions."""

    spec: PromotionSpec
    when: Pred | None
    target: ItemPred | None
    get_target: ItemPred | None
    starts: dt.datetime | None
    ends: dt.datetime | None
    is_coupon: bool
    is_shipping: bool

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass
class RefApplied:
    id: str
    coupon: str | None
    parts: dict[str | None, Decimal]

    @property
    def amount(self) -> Decimal:
        return sum(self.parts.values(), ZERO)


@dataclass
class RefResult:
    applied: list[RefApplied]
    rejected: dict[str, str]  # promotion id -> reason code
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (code entered, reason)


def _as_datetime(value: dt.date | dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    return dt.datetime(value.year, value.month, value.day, tzinfo=zone)  # midnight, local


class Reference:
    """The ruleset's promotions as plain functions; ``evaluate(cart)`` prices a cart."""

    def __init__(self, spec: RulesetSpec) -> None:
        self.spec = spec
        self.zone = ZoneInfo(spec.timezone)
        self.mode = MODES[spec.rounding]
        ordered = sorted(spec.promotions, key=lambda p: (-p.priority, p.id))
        self.promotions = [
            RefPromotion(
                spec=p,
                when=when_ref(p.when) if p.when else None,
                target=p.target.ref() if p.target is not None else None,
                get_target=p.effect.get_target.ref()
                if isinstance(p.effect, BuyGetFx) and p.effect.get_target else None,
                starts=_as_datetime(p.window[0], self.zone) if p.window else None,
                ends=_as_datetime(p.window[1], self.zone) if p.window else None,
                is_coupon=bool(p.codes),
                is_shipping=isinstance(p.effect, ShippingFx),
            )
            for p in ordered
        ]
        self.by_code: dict[str, str] = {}
        for p in ordered:
            for code in p.codes:
                self.by_code.setdefault(code.strip().casefold(), p.id)

    # ------------------------------------------------------------------ evaluate

    def evaluate(self, cart: Any) -> RefResult:
        c = CartView(cart, self.zone)
        chosen: dict[str, str] = {}
        unmatched: list[tuple[str, str]] = []
        seen: set[str] = set()
        for raw in cart.coupons:
            code = raw.strip().casefold()
            if not code or code in seen:
                continue
            seen.add(code)
            pid = self.by_code.get(code)
            if pid is None:
                unmatched.append((raw.strip(), "coupon_unknown"))
            elif pid in chosen:
                unmatched.append((raw.strip(), "coupon_redundant"))
            else:
                chosen[pid] = raw.strip()
        result = None
        if not self.spec.coupon_with_automatic and chosen:
            # the customer's explicit choice wins, when a coupon applies on its own
            first = self._run(c, chosen, coupons_only=True)
            if any(a.coupon is not None for a in first.applied):
                result = first
        if result is None:
            result = self._run(c, chosen, coupons_only=False)
        self._max_discount(c, result)
        result.unmatched = unmatched
        return result

    def _run(self, c: CartView, chosen: dict[str, str], coupons_only: bool) -> RefResult:
        original = self.spec.base == "original"
        mode = self.mode
        remaining = {ln.id: ln.total for ln in c.lines}
        ship_left = c.shipping_price
        applied: list[RefApplied] = []
        rejected: dict[str, str] = {}
        exclusive = False
        groups: set[str] = set()
        coupons = 0
        at = c.at
        for p in self.promotions:
            coupon = chosen.get(p.id)
            # eligibility: coupon entered, window, when
            if p.is_coupon and coupon is None:
                rejected[p.id] = "coupon_not_entered"
                continue
            if p.starts is not None and at < p.starts:
                rejected[p.id] = "coupon_not_active_yet" if coupon else "not_active_yet"
                continue
            if p.ends is not None and at >= p.ends:
                rejected[p.id] = "coupon_expired" if coupon else "expired"
                continue
            if p.when is not None and not p.when(c):
                rejected[p.id] = "coupon_ineligible" if coupon else "conditions_not_met"
                continue
            # stacking
            if exclusive:
                rejected[p.id] = "blocked_by_exclusive"
                continue
            spec = p.spec
            if spec.exclusive and applied:
                rejected[p.id] = "not_combinable"
                continue
            if spec.group is not None and spec.group in groups:
                rejected[p.id] = "group_taken"
                continue
            if p.is_coupon and coupons >= self.spec.coupons_per_order:
                rejected[p.id] = "coupon_limit"
                continue
            if coupons_only and not p.is_coupon:
                rejected[p.id] = "not_combinable_with_coupon"
                continue
            # the effect, on the base the stacking says
            if p.is_shipping:
                targets: Base = []
            else:
                t = p.target
                targets = [(ln, ln.total if original else remaining[ln.id])
                           for ln in c.lines if t is None or t(ln)]
            gets: Base = []
            if p.get_target is not None:
                g = p.get_target
                gets = [(ln, ln.total if original else remaining[ln.id])
                        for ln in c.lines if g(ln)]
            ship_base = (c.shipping_price if original else ship_left) \
                if c.shipping_price is not None else None
            lines, ship, unmet = spec.effect.parts(targets, gets, ship_base, mode)
            # no line and no shipping ever goes below zero
            parts: dict[str | None, Decimal] = {}
            for line_id, amount in lines.items():
                amount = min(amount, remaining[line_id])
                if amount > 0:
                    parts[line_id] = amount
            if ship > 0 and ship_left is not None:
                ship = min(ship, ship_left)
                if ship > 0:
                    parts[SHIPPING] = ship
            if not parts:  # applied means money moved
                rejected[p.id] = ("coupon_ineligible" if coupon else "conditions_not_met") \
                    if unmet else "nothing_to_discount"
                continue
            cap = spec.effect.max_amount
            if cap is not None:
                total = sum(parts.values(), ZERO)
                if total > cap:
                    parts = {k: v for k, v in reallocate(parts, cap).items() if v > 0}
                    if not parts:
                        rejected[p.id] = "cap_reached"
                        continue
            for key, amount in parts.items():
                if key is SHIPPING:
                    assert ship_left is not None
                    ship_left -= amount
                else:
                    remaining[key] -= amount
            applied.append(RefApplied(p.id, coupon, parts))
            if spec.exclusive:
                exclusive = True
            if spec.group is not None:
                groups.add(spec.group)
            if p.is_coupon:
                coupons += 1
        return RefResult(applied, rejected)

    def _max_discount(self, c: CartView, result: RefResult) -> None:
        """Applied last; give back from the last applied promotion first."""
        limits = []
        if self.spec.max_discount_amount is not None:
            limits.append(self.spec.max_discount_amount)
        if self.spec.max_discount_pct is not None:
            # rounded down to the cent, so the cap holds
            limits.append((c.subtotal * self.spec.max_discount_pct / HUNDRED)
                          .quantize(CENT, rounding=ROUND_DOWN))
        if not limits:
            return
        excess = sum((a.amount for a in result.applied), ZERO) - min(limits)
        for entry in reversed(result.applied):
            if excess <= 0:
                break
            before = entry.amount
            after = before - min(excess, before)
            excess -= before - after
            entry.parts = reallocate(entry.parts, after)
        for entry in [a for a in result.applied if a.amount == 0]:
            result.applied.remove(entry)
            result.rejected[entry.id] = "cap_reached"


# ====================================================================== agreement


def compare(expected: RefResult, actual: Any) -> list[str]:
    """Differences between the reference and an engine ``Result`` (empty: they agree)."""
    problems: list[str] = []
    got_ids = [a.promotion for a in actual.applied]
    want_ids = [a.id for a in expected.applied]
    if got_ids != want_ids:
        missing = [i for i in want_ids if i not in got_ids]
        extra = [i for i in got_ids if i not in want_ids]
        problems.append(f"applied promotions differ: reference {want_ids}, engine {got_ids} "
                        f"(only in reference: {missing}, only in engine: {extra})")
    engine_parts: dict[str, dict[str | None, Decimal]] = {a.promotion: {} for a in actual.applied}
    for line in actual.lines:
        for d in line.discounts:
            engine_parts.setdefault(d.promotion, {})[line.id] = d.amount
    if actual.shipping is not None:
        for d in actual.shipping.discounts:
            engine_parts.setdefault(d.promotion, {})[SHIPPING] = d.amount
    engine_applied = {a.promotion: a for a in actual.applied}
    for entry in expected.applied:
        got = engine_applied.get(entry.id)
        if got is None:
            continue
        want = {k: v for k, v in entry.parts.items() if v}
        have = {k: v for k, v in engine_parts.get(entry.id, {}).items() if v}
        if want != have:
            keys = sorted(set(want) | set(have), key=lambda k: (k is None, k or ""))
            diff = ", ".join(f"{k or 'shipping'}: reference {want.get(k, ZERO)} engine "
                             f"{have.get(k, ZERO)}" for k in keys
                             if want.get(k, ZERO) != have.get(k, ZERO))
            problems.append(f"{entry.id}: parts differ ({diff})")
        if got.amount != entry.amount:
            problems.append(f"{entry.id}: amount reference {entry.amount} engine {got.amount}")
        if got.coupon != entry.coupon:
            problems.append(f"{entry.id}: coupon reference {entry.coupon} engine {got.coupon}")
    engine_rejected = {r.promotion: r for r in actual.rejected if r.promotion is not None}
    for pid, code in expected.rejected.items():
        got_r = engine_rejected.get(pid)
        if got_r is None:
            if pid not in engine_applied:
                problems.append(f"{pid}: reference rejects ({code}), engine reports nothing")
        elif got_r.code != code:
            problems.append(f"{pid}: reason reference {code}, engine {got_r.code} "
                            f"({got_r.reason})")
    for pid, got_r in engine_rejected.items():
        if pid not in expected.rejected and pid not in want_ids:
            problems.append(f"{pid}: engine rejects ({got_r.code}), reference reports nothing")
    unmatched = sorted((r.coupon or "", r.code) for r in actual.rejected if r.promotion is None)
    if unmatched != sorted(expected.unmatched):
        problems.append(f"unmatched coupons: reference {sorted(expected.unmatched)}, "
                        f"engine {unmatched}")
    ref_total = sum((a.amount for a in expected.applied), ZERO)
    if ref_total != actual.total_discount:
        problems.append(f"total discount: reference {ref_total}, engine {actual.total_discount}")
    return problems


# ====================================================================== the workload


class _WorkloadGen:
    """Promotion specs with the mix and vocabulary of ``generate.py``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.well_known = list(WELL_KNOWN_COUPONS)
        self.codes: set[str] = set()

    # -- conditions -------------------------------------------------------

    def atom(self, window: tuple[Any, Any] | None) -> tuple[str, Atom]:
        rng = self.rng
        cat = rng.choice(tuple(CATEGORIES))
        seller = rng.choice(SELLERS)
        seg = rng.choice(SEGMENTS)
        brand = rng.choice(_BRANDS)
        tag = rng.choice(TAGS)
        kind = rng.choices(
            ("subtotal", "count", "seller_sum", "segment", "orders", "weekday", "hour",
             "brand_lines", "any_tag", "country", "shipping", "quantity", "not_employee",
             "date", "max_price", "no_outlet"),
            (20, 8, 8, 10, 6, 4, 3, 4, 6, 4, 3, 5, 3, 2, 3, 2))[0]
        if kind == "subtotal":
            return "subtotal", SubtotalAtLeast(rng.choice((30, 50, 75, 100, 150, 200, 300)))
        if kind == "count":
            return f"count:{cat}", CategoryUnitsAtLeast(cat, rng.randint(2, 5))
        if kind == "seller_sum":
            return f"seller:{seller}", SellerTotalAtLeast(seller, rng.choice((50, 100, 150,
                                                                              250)))
        if kind == "segment":
            return f"segment:{seg}", HasSegment(seg)
        if kind == "orders":
            op, n = rng.choice((("==", 0), (">=", 5), (">=", 1)))
            return "orders", Orders(op, n)
        if kind == "weekday":
            return "weekday", WeekdayIn(rng.choice((("sat", "sun"), ("fri", "sat"))))
        if kind == "hour":
            return "hour", HourAtLeast(rng.choice((17, 18, 20)))
        if kind == "brand_lines":
            return f"brand:{brand}", BrandLinesAtLeast(brand, 2)
        if kind == "any_tag":
            return f"tag:{tag}", AnyTag(tag)
        if kind == "country":
            return "country", CountryIn(tuple(rng.sample(COUNTRIES, rng.randint(1, 3))))
        if kind == "shipping":
            return "shipping", ShippingMethodIs(rng.choice(tuple(SHIPPING_METHODS)))
        if kind == "quantity":
            return "quantity", QuantityAtLeast(rng.randint(2, 6))
        if kind == "not_employee":
            return "segment:employee", LacksSegment("employee")
        if kind == "date":
            start = window[0] if window and window[0] else dt.date(2026, 6, 1)
            end = window[1] if window and window[1] else dt.date(2026, 10, 1)
            start = start.date() if isinstance(start, dt.datetime) else start
            end = end.date() if isinstance(end, dt.datetime) else end
            firsts = [dt.date(2026, m, 1) for m in range(1, 13) if
                      start <= dt.date(2026, m, 1) < end] or [start.replace(day=1)]
            return "date", DateFrom(rng.choice(firsts))
        if kind == "max_price":
            return f"max:{cat}", MaxPriceAtLeast(cat, rng.choice(_floors(cat, (50, 80, 120))))
        return "seller:outlet", NoneFromSeller("outlet")

    def when(self, window: tuple[Any, Any] | None) -> tuple[Atom, ...]:
        """1-3 atoms (sometimes an ``or``); never two of a family (no contradictions)."""
        rng = self.rng
        families: set[str] = set()
        atoms: list[Atom] = []

        def fresh() -> Atom | None:
            for _ in range(10):
                family, atom = self.atom(window)
                if family not in families:
                    families.add(family)
                    return atom
            return None

        for _ in range(rng.choices((1, 2, 3), (60, 32, 8))[0]):
            a = fresh()
            if a is not None:
                atoms.append(a)
        if rng.random() < 0.06:
            a, b = fresh(), fresh()
            if a is not None and b is not None:
                atoms.append(AnyOf(a, b))
        return tuple(atoms)

    def target(self) -> Target:
        rng = self.rng
        kind = rng.choices(
            ("category", "categories", "seller", "tag", "brand", "sku", "product",
             "category_seller", "category_not_outlet", "tag_category", "price",
             "brand_not_clearance"),
            weights=(24, 8, 10, 10, 8, 6, 3, 8, 8, 6, 4, 5))[0]
        cat = rng.choice(tuple(CATEGORIES))
        if kind == "category":
            return CategoryIs(cat)
        if kind == "categories":
            return CategoryIn(tuple(rng.sample(tuple(CATEGORIES), rng.randint(2, 4))))
        if kind == "seller":
            sellers = tuple(rng.sample(SELLERS[:-1], rng.randint(1, 3)))
            return SellerIs(sellers[0]) if len(sellers) == 1 else SellerIn(sellers)
        if kind == "tag":
            return HasTag(rng.choice(TAGS))
        if kind == "brand":
            return BrandIs(rng.choice(_BRANDS))
        if kind == "sku":
            return SkuIn(tuple(p.sku for p in rng.sample(CATALOGUE, rng.randint(1, 6))))
        if kind == "product":
            return ProductIs(rng.choice(CATALOGUE).product)
        if kind == "category_seller":
            in_category = sorted({p.seller for p in _BY_CATEGORY[cat]} - {"outlet"})
            return CategoryAndSeller(cat, rng.choice(in_category or list(SELLERS[:-1])))
        if kind == "category_not_outlet":
            return CategoryNotSeller(cat, "outlet")
        if kind == "tag_category":
            pair = tuple(rng.sample(tuple(CATEGORIES), 2))
            tags = sorted({t for c in pair for p in _BY_CATEGORY[c] for t in p.tags})
            return TagInCategories(rng.choice(tags), pair)
        if kind == "price":
            return CategoryPriceAtLeast(cat, rng.choice(_floors(cat, (20, 30, 50, 100))))
        return BrandNotTag(rng.choice(_BRANDS), "clearance")

    # -- values -------------------------------------------------------------

    def pct(self) -> Decimal:
        if self.rng.random() < 0.05:
            return Decimal(self.rng.choice(("12.5", "7.5", "33")))
        return Decimal(self.rng.choice((5, 10, 10, 15, 20, 20, 25, 30, 40, 50)))

    def amount(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.choice([v for v in (2, 3, 5, 10, 15, 20, 25, 30, 50, 75, 100)
                                        if low <= v <= high]))

    def code(self) -> str:
        if self.well_known:
            return self.well_known.pop(0)
        while True:
            code = (self.rng.choice(("SAVE", "DEAL", "HELLO", "FLASH", "EXTRA", "CLUB"))
                    + str(self.rng.choice((5, 10, 15, 20))) + "-"
                    + "".join(self.rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=5)))
            if code.casefold() not in self.codes:
                self.codes.add(code.casefold())
                return code

    def window(self) -> tuple[Any, Any]:
        rng = self.rng
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        end = start + dt.timedelta(days=rng.choice((1, 3, 7, 14, 30, 60, 90)))
        if rng.random() < 0.2:  # a timed flash sale, with an offset
            hour = rng.choice((0, 8, 9, 18, 20))
            tz = dt.timezone(dt.timedelta(hours=2 if 4 <= start.month <= 10 else 1))
            return (dt.datetime(start.year, start.month, start.day, hour, tzinfo=tz),
                    dt.datetime(end.year, end.month, end.day, hour, tzinfo=tz))
        return (start, end if rng.random() < 0.85 else None)

    def effect(self, kind: str, target: Target | None) -> Effect:
        rng = self.rng
        cap = self.amount(10, 100) if rng.random() < 0.12 else None
        cat = getattr(target, "category", None)
        if kind == "percent_off":
            pct = self.pct()
            if rng.random() < 0.2:
                return PercentOffFx(pct, rng.choice((1, 2, 3)),
                                    "most_expensive" if rng.random() < 0.3 else "cheapest", cap)
            return PercentOffFx(pct, max_amount=cap)
        if kind == "amount_off":
            return AmountOffFx(self.amount(5, 50), cap)
        if kind == "amount_off_each":
            return AmountOffEachFx(self.amount(2, 20),
                                   rng.choice((2, 3, 5)) if rng.random() < 0.3 else None,
                                   max_amount=cap)
        if kind == "fixed_price":
            low = CATEGORIES[cat][3][0] if cat else 10
            return FixedPriceFx(Decimal(max(1, low + rng.choice((0, 5, 10, -2)))),
                                rng.choice((1, 2, 3)) if rng.random() < 0.3 else None,
                                max_amount=cap)
        if kind == "buy_get":
            buy, get = rng.choice(((2, 1), (1, 1), (3, 1), (4, 2), (2, 2)))
            pct = Decimal(rng.choice(("50", "30", "25"))) if rng.random() < 0.35 else HUNDRED
            apps = rng.choice((1, 2, 3)) if rng.random() < 0.3 else None
            choose = "most_expensive" if rng.random() < 0.15 else "cheapest"
            get_target = None
            if rng.random() < 0.3:  # buy shoes, get socks
                get_target = CategoryIs(rng.choice(("socks", "hats", "accessories",
                                                    "t-shirts")))
            return BuyGetFx(buy, get, pct, apps, choose, get_target, cap)
        if kind == "bundle":
            units = rng.choice((2, 3, 3, 5))
            return BundleFx(units, Decimal(units * rng.choice((5, 8, 10, 12, 20, 25))),
                            rng.choice((1, 2, 4)) if rng.random() < 0.3 else None,
                            max_amount=cap)
        if kind == "tiers_subtotal":
            base = rng.choice((25, 50, 75, 100))
            pcts = sorted(rng.sample((5, 10, 15, 20, 25), rng.randint(2, 4)))
            return TiersFx("subtotal", tuple((Decimal(base * (i + 1)), "percent_off",
                                              Decimal(p)) for i, p in enumerate(pcts)), cap)
        if kind == "tiers_quantity":
            start = rng.choice((2, 3))
            steps = []
            for i, amt in enumerate(sorted(rng.sample((1, 2, 3, 5, 8), rng.randint(2, 3)))):
                if rng.random() < 0.67:
                    steps.append((Decimal(start + 2 * i), "amount_off_each", Decimal(amt)))
                else:
                    steps.append((Decimal(start + 2 * i), "percent_off", Decimal(amt * 5)))
            return TiersFx("quantity", tuple(steps), cap)
        which = rng.choices(("free", "amount_off", "percent_off", "fixed_price"),
                            (50, 20, 15, 15))[0]
        value = {"free": None, "amount_off": Decimal(rng.choice((2, 3, 4))),
                 "percent_off": Decimal(rng.choice((25, 50))),
                 "fixed_price": Decimal(rng.choice((0, 1, 2)))}[which]
        return ShippingFx(which, value, cap)

    def promotion(self, index: int) -> PromotionSpec:
        rng = self.rng
        kind = rng.choices(("percent_off", "amount_off", "amount_off_each", "fixed_price",
                            "buy_get", "bundle", "tiers_subtotal", "tiers_quantity",
                            "shipping"), (26, 12, 8, 6, 14, 7, 7, 5, 10))[0]
        needs_target = kind in ("amount_off_each", "fixed_price", "buy_get", "bundle")
        target = self.target() if kind != "shipping" and (needs_target or rng.random() < 0.85) \
            else None
        effect = self.effect(kind, target)
        r = rng.random()
        codes: tuple[str, ...] = ()
        if r < 0.22:
            codes = (self.code(),)
        elif r < 0.27:
            codes = tuple(self.code() for _ in range(rng.randint(2, 5)))
        window = self.window() if rng.random() < 0.6 else None
        when = self.when(window) if rng.random() < 0.65 else ()
        limits = None
        if rng.random() < 0.4:
            limits = _flow([("uses", str(rng.choice((100, 1000, 10000))))]
                           + ([("per_customer", "1")] if rng.random() < 0.5 else []))
        return PromotionSpec(
            id=f"{kind.replace('_', '-')}-{index:05d}",
            effect=effect,
            priority=rng.choice((0, 10, 50, 100, 100, 150, 200, 300)) if rng.random() < 0.7
            else 0,
            window=window,
            codes=codes,
            when=when,
            target=target,
            exclusive=rng.random() < 0.01,
            group=(("shipping" if kind == "shipping" else rng.choice(GROUPS))
                   if rng.random() < 0.15 else None),
            name=f"{kind.replace('_', ' ')} #{index}" if rng.random() < 0.9 else None,
            limits=limits,
        )


@dataclass
class Workload:
    ruleset: RulesetSpec
    seed: int

    @property
    def text(self) -> str:
        return self.ruleset.yaml()

    def cart(self, n_lines: int, seed: int) -> dict[str, Any]:
        """A cart of ``generate.py`` with codes of this ruleset entered (sometimes)."""
        rng = random.Random(f"{self.seed}/{n_lines}/{seed}")
        codes = self.ruleset.codes
        entered: list[str] = []
        if codes and rng.random() < 0.55:
            for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
                code = rng.choice(codes)
                if rng.random() < 0.2:  # as typed by a customer
                    code = f"  {code.lower()} "
                entered.append(code)
        if rng.random() < 0.05:
            entered.append("NOSUCHCODE")
        cart = generate_cart(n_lines, seed=seed, coupons=entered)
        lines = cart["lines"]
        if len(lines) >= 2 and rng.random() < 0.35:
            # the same product in another size, as the last line: equal unit prices and
            # often equal totals, so ties between lines (broken by line id) happen
            twin = dict(rng.choice(lines[:-1]), id=lines[-1]["id"])
            twin["attributes"] = {**twin["attributes"], "size": str(rng.randint(36, 46))}
            lines[-1] = twin
        return cart


def ruleset_header(rng: random.Random, n: int, seed: int,
                   promotions: Sequence[PromotionSpec], variety: bool = False) -> RulesetSpec:
    """The ruleset's header: a shop's usual stacking, or (``variety``) any stacking,
    including no ``max_discount`` and ``coupons_per_order: 0``, for agreement sweeps."""
    caps = [(Decimal(50), Decimal(500)), (Decimal(30), None), (None, Decimal(150)),
            (Decimal(50), Decimal(500))]
    pct, amount = rng.choice(caps + [(None, None)] if variety else caps)
    return RulesetSpec(
        id=f"reference-{n}-s{seed}{'-v' if variety else ''}",
        rounding=rng.choice(("half_even", "half_even", "half_up", "down")),
        coupons_per_order=rng.choice((0, 1, 1, 2, 3) if variety else (1, 1, 2)),
        coupon_with_automatic=rng.choice((True, True, False)),
        base=rng.choice(("discounted", "original")),
        max_discount_pct=pct,
        max_discount_amount=amount,
        promotions=tuple(promotions),
    )


def generate_workload(n: int, seed: int = 0, variety: bool = False) -> Workload:
    """A ruleset of ``n`` promotions the reference covers, from ``seed``."""
    rng = random.Random(f"reference/{n}/{seed}{'/variety' if variety else ''}")
    gen = _WorkloadGen(rng)
    header = ruleset_header(rng, n, seed, (), variety)
    promotions = [gen.promotion(i) for i in range(1, n + 1)]
    return Workload(header.with_promotions(promotions), seed)


def matches(reference: Reference, promotion: RefPromotion, cart: Any) -> bool:
    """Whether ``promotion`` concerns ``cart`` at all: entered, active, eligible and with
    something to work on (a target line, or shipping)."""
    c = CartView(cart, reference.zone)
    codes = {code.strip().casefold() for code in cart.coupons}
    p = promotion
    if p.is_coupon and not codes & {x.strip().casefold() for x in p.spec.codes}:
        return False
    if (p.starts is not None and c.at < p.starts) or (p.ends is not None and c.at >= p.ends):
        return False
    if p.when is not None and not p.when(c):
        return False
    if p.is_shipping:
        return bool(c.shipping_price)
    return any(p.target is None or p.target(ln) for ln in c.lines)


class _CartHas:
    """What a cart has, as sets (for ``about_something_else``; built once per cart)."""

    __slots__ = ("cart", "zone", "view", "codes", "categories", "sellers", "brands", "tags")

    def __init__(self, cart: Any, zone: ZoneInfo) -> None:
        self.cart = cart
        self.zone = zone
        self.view = CartView(cart, zone)
        self.codes = frozenset(code.strip().casefold() for code in cart.coupons)
        lines = self.view.lines
        self.categories = frozenset(ln.category for ln in lines)
        self.sellers = frozenset(ln.seller for ln in lines)
        self.brands = frozenset(ln.brand for ln in lines)
        self.tags = frozenset(t for ln in lines for t in ln.tags)


_LAST_CART: list[_CartHas] = []  # the last cart asked about: generation asks ~10^4 times


def _cart_has(cart: Any, zone: ZoneInfo) -> _CartHas:
    if _LAST_CART and _LAST_CART[0].cart is cart and _LAST_CART[0].zone == zone:
        return _LAST_CART[0]
    has = _CartHas(cart, zone)
    _LAST_CART[:] = [has]
    return has


def _atom_about_something_else(atom: Atom, c: CartView, has: _CartHas) -> bool:
    """A ``when`` atom about something ``c`` does not have (see ``about_something_else``)."""
    if isinstance(atom, HasSegment):
        return atom.segment not in c.segments
    if isinstance(atom, LacksSegment):
        return atom.segment in c.segments
    if isinstance(atom, WeekdayIn):
        return c.weekday not in atom.days
    if isinstance(atom, HourAtLeast):
        return c.hour < atom.hour
    if isinstance(atom, Orders):
        return c.orders != atom.count if atom.op == "==" else c.orders < atom.count
    if isinstance(atom, ShippingMethodIs):
        return c.shipping_method != atom.method
    if isinstance(atom, AnyTag):
        return atom.tag not in has.tags
    # aggregates over the lines of a category / brand / seller: only when the cart has
    # no such line at all (units, lines, a sum or a price under the threshold do not count)
    if isinstance(atom, CategoryUnitsAtLeast | MaxPriceAtLeast):
        return atom.category not in has.categories
    if isinstance(atom, BrandLinesAtLeast):
        return atom.brand not in has.brands
    if isinstance(atom, SellerTotalAtLeast):
        return atom.seller not in has.sellers
    # subtotal, quantity, the customer's country, none from a seller, date, ``or``:
    # thresholds and tests on what every cart has
    return False


def about_something_else(reference: Reference, promotion: RefPromotion, cart: Any) -> bool:
    """Whether ``promotion`` is about something ``cart`` does not have: a coupon whose
    code was not entered, a window that does not contain the cart's moment, a ``when``
    atom (of the top-level ``and``) about a segment, weekday, hour, order count or
    shipping method the cart fails, a tag no line has, or a category / brand / seller
    no line has (not merely under the threshold); or a target (and ``get_target``) no
    line matches (shipping effects have none) on the products it names: a target
    with a unit-price floor or an exclusion counts when no line has its category or
    brand (``_target_keys``).

    Thresholds the cart fails on what it has (subtotal, quantity, units of a
    category it has, a seller's sum, the customer's country, none from a seller,
    date, a unit price under a target's floor, every line of a brand tagged
    clearance) do not count: those can only be told by evaluating them.
    """
    has = _cart_has(cart, reference.zone)
    c = has.view
    p = promotion
    if p.is_coupon and has.codes.isdisjoint(x.strip().casefold() for x in p.spec.codes):
        return True
    if (p.starts is not None and c.at < p.starts) or (p.ends is not None and c.at >= p.ends):
        return True
    if any(_atom_about_something_else(a, c, has) for a in p.spec.when):
        return True
    if p.is_shipping:
        return False
    for target in (p.spec.target, getattr(p.spec.effect, "get_target", None)):
        if target is not None:
            wanted = _target_keys(target).ref()
            if not any(wanted(ln) for ln in c.lines):
                return True
    return not c.lines  # no target: every line is one


def _target_keys(target: Target) -> Target:
    """The part of a target about which products a line is: a unit-price floor or an
    exclusion (not from a seller, not with a tag) is a threshold on what the cart
    has, like ``max(...)`` of a category it has (a line of the category, too cheap)."""
    if isinstance(target, CategoryPriceAtLeast | CategoryNotSeller):
        return CategoryIs(target.category)
    if isinstance(target, BrandNotTag):
        return BrandIs(target.brand)
    return target


FILLERS = ("any", "other-things")


def handful_workload(n: int, cart: Any, matching: int = 5, seed: int = 0,
                     filler: str = "any") -> Workload:
    """``n`` promotions of which only ``matching`` concern ``cart`` (see ``matches``).

    Promotions are drawn from the usual mix; those that concern the cart are kept
    until ``matching`` are, the others fill the ruleset: with ``filler="any"``
    every one that does not concern the cart (including conditions it fails on a
    threshold of what it has: too few units of a category it has, a subtotal
    under 300, ...); with ``filler="other-things"`` only those that are about
    something the cart does not have (``about_something_else``).  Same ``seed``
    and cart: the ``matching`` ones are the same for every ``n`` and filler.
    """
    if filler not in FILLERS:
        raise ValueError(f"filler: one of {FILLERS}, not {filler!r}")
    rng = random.Random(f"handful/{seed}")
    gen = _WorkloadGen(rng)
    header = ruleset_header(rng, n, seed, ())
    kept: list[PromotionSpec] = []
    others: list[PromotionSpec] = []
    index = 0
    while len(kept) < matching or len(others) < n - matching:
        index += 1
        spec = gen.promotion(index)
        single = Reference(header.with_promotions([spec]))
        if matches(single, single.promotions[0], cart):
            if len(kept) < matching:
                kept.append(spec)
        elif len(others) < n - matching and (
                filler == "any" or about_something_else(single, single.promotions[0], cart)):
            others.append(spec)
    suffix = "" if filler == "any" else f"-{filler}"
    header = RulesetSpec(f"handful-{n}-s{seed}{suffix}", header.rounding,
                         header.coupons_per_order, header.coupon_with_automatic, header.base,
                         header.max_discount_pct, header.max_discount_amount, ())
    return Workload(header.with_promotions(kept + others), seed)


def describe_cart(cart: dict[str, Any]) -> str:
    return json.dumps(cart, indent=None, sort_keys=False)
