"""What a ruleset's conditions and effects talk about, to build carts that reach them.

The literals compared with each field (``item.category == "swimwear"`` gives
``item.category`` the value ``swimwear``), the thresholds of numbers, the
coupon codes and the moments inside each promotion's window.  The witness
search (``search.py``) and the generated carts of ``promo test --examples``
(``examples.py``) draw their carts from here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from dsl.effects import Bundle, BuyGet, Gift, Tiers
from dsl.expr import nodes as n
from dsl.model import Promotion, Ruleset
from dsl.values import YEARS

PRICES = tuple(Decimal(p) for p in ("0.01", "0.02", "0.05", "0.99", "1", "4.99", "9.99", "10",
                                    "19.99", "25", "49.90", "99", "100", "250", "999.99",
                                    "5000", "100000"))
"""Unit prices every search tries, from a cent (rounding) to large (uncapped amounts)."""
QUANTITIES = (1, 1, 1, 2, 3, 4, 5, 10, 100)
SHIPPING_PRICES = tuple(Decimal(p) for p in ("0", "4.95", "9.99", "49", "500"))


@dataclass
class Vocabulary:
    """Values worth trying for each field a condition reads."""

    strings: dict[str, list[str]] = field(default_factory=dict)  # "item.category" → literals
    numbers: dict[str, list[Decimal]] = field(default_factory=dict)  # "cart.subtotal" → ...
    codes: list[str] = field(default_factory=list)  # one code per coupon promotion
    moments: list[dt.datetime] = field(default_factory=list)
    prices: list[Decimal] = field(default_factory=list)
    quantities: list[int] = field(default_factory=list)
    shipping_methods: list[str] = field(default_factory=list)
    shipments: bool = False  # some promotion has a shipment_target: try carts with shipments

    def values(self, path: str) -> list[str]:
        return self.strings.get(path, [])


def _path(node: n.Node) -> str | None:
    if isinstance(node, n.Path):
        return node.dotted if node.parts[0] in ("cart", "customer", "item", "shipment") \
            else "cart." + node.dotted  # bare attributes.* is the cart's
    return None


def _literals(node: n.Node) -> list[object]:
    if isinstance(node, (n.String, n.Number, n.Date)):
        return [node.value]
    if isinstance(node, n.ListLit):
        return [value for item in node.items for value in _literals(item)]
    return []


def _collect(node: n.Node, strings: dict[str, set[str]], numbers: dict[str, set[Decimal]],
             dates: set[dt.date]) -> None:
    for current in n.walk(node):
        if not isinstance(current, n.Compare):
            continue
        for side, other in ((current.left, current.right), (current.right, current.left)):
            path = _path(side)
            if path is None and isinstance(side, n.Call):
                path = "count"  # count(...) >= 3, sum(...) > 100: sizes worth trying
            if path is None:
                continue
            for value in _literals(other):
                if isinstance(value, str):
                    strings[path].add(value)
                elif isinstance(value, Decimal):
                    numbers[path].add(value)
                elif isinstance(value, dt.date):
                    dates.add(value if not isinstance(value, dt.datetime) else value.date())


def _near(values: set[Decimal], step: Decimal) -> set[Decimal]:
    """A threshold and its neighbours (``>= 50`` and ``> 50`` both reached)."""
    out: set[Decimal] = set()
    for value in values:
        out.update(v for v in (value, value + step) if v > 0)
    return out


def vocabulary(ruleset: Ruleset, now: dt.datetime | None = None) -> Vocabulary:
    """The vocabulary of ``ruleset``: literals, thresholds, codes and moments."""
    strings: dict[str, set[str]] = defaultdict(set)
    numbers: dict[str, set[Decimal]] = defaultdict(set)
    dates: set[dt.date] = set()
    codes: list[str] = []
    zone = ruleset.zone
    moments: list[dt.datetime] = []
    quantities: set[int] = set(QUANTITIES)
    for promo in ruleset.promotions:
        for _, condition, _ in promo.conditions():
            if condition.node is not None:
                _collect(condition.node, strings, numbers, dates)
        if promo.codes:
            codes.append(first_code(promo))
        if promo.active is not None:
            for bound, shift in ((promo.active.from_, dt.timedelta(0)),
                                 (promo.active.until, -dt.timedelta(minutes=1))):
                if bound is not None:
                    moments.append(local_moment(bound, zone) + shift)
        for effect in promo.all_effects:
            if isinstance(effect, BuyGet):
                quantities.update((effect.buy + effect.get, 2 * (effect.buy + effect.get)))
            elif isinstance(effect, Bundle):
                quantities.add(effect.bundle.units)
            elif isinstance(effect, Gift) and effect.gift.when_in_cart == "discount":
                strings["item.sku"].add(effect.gift.sku)  # carts with the gift in them
                quantities.update((effect.gift.quantity, effect.gift.quantity + 1))
            elif isinstance(effect, Tiers):
                target = "cart.subtotal" if effect.tiers.by == "subtotal" else "count"
                numbers[target].update(step.at for step in effect.tiers.steps)
            per_line = getattr(effect, "max_units_per_line", None)
            if per_line is not None and per_line < 10_000:  # a line just over the cap
                quantities.add(per_line + 1)
    for day in sorted(dates):
        moments.append(dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone))
    if now is not None or not moments:  # (a fixed moment keeps the search reproducible)
        start = now or dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
        moments.append(start.astimezone(zone).replace(microsecond=0))
    moments.extend(_openings(ruleset, moments[-1]))
    hours = sorted(int(h) for h in numbers.get("cart.hour", ()) if 0 <= h <= 23)
    base = moments[0]
    for offset in range(7 if "cart.weekday" in strings else 0):
        moments.append(base + dt.timedelta(days=offset))
    moments.extend(base.replace(hour=h) for h in hours)
    moments = [m for m in dict.fromkeys(moments) if YEARS[0] <= m.year <= YEARS[1]]
    unit = Decimal(1).scaleb(-ruleset.minor_units)
    money = _near(numbers.get("item.unit_price", set()) | numbers.get("item.total", set()),
                  unit)
    prices = sorted(set(PRICES) | money | {
        v / q for v in _near(numbers.get("cart.subtotal", set()), unit) for q in (1, 2)
        if (v / q).quantize(unit) == v / q})
    for key in ("item.quantity", "cart.quantity", "count", "cart.lines"):
        quantities.update(int(v) + d for v in numbers.get(key, ()) for d in (0, 1)
                          if 0 < v + d <= 10_000 and v == int(v))
    methods = sorted(strings.get("cart.shipping_method", set()) |
                     strings.get("shipment.method", set()) | {"standard"})
    return Vocabulary(
        strings={k: sorted(v) for k, v in strings.items()},
        numbers={k: sorted(v) for k, v in numbers.items()},
        codes=codes, moments=moments,
        prices=sorted({p.quantize(unit) for p in prices if p.quantize(unit) > 0}) or [Decimal(1)],
        quantities=sorted(quantities), shipping_methods=methods,
        shipments=any(promo.shipment_target is not None for promo in ruleset.promotions))


def first_code(promo: Promotion) -> str:
    """A coupon promotion's first code as written."""
    return promo.coupon if promo.coupon is not None else (promo.coupons or ("",))[0]


def _openings(ruleset: Ruleset, fallback: dt.datetime) -> list[dt.datetime]:
    """For each weekly schedule, its first opening in its window (from ``from``, or
    from ``fallback`` without one), so the search prices carts when it is open."""
    out = []
    zone = ruleset.zone
    for promo in ruleset.promotions:
        window = promo.active
        schedule = window.schedule(zone) if window is not None else None
        if window is None or schedule is None:
            continue
        start = local_moment(window.from_, zone) if window.from_ is not None else fallback
        until = local_moment(window.until, zone) if window.until is not None else None
        opening = schedule.next_opening(start, until)
        if opening is not None:
            out.append(opening.astimezone(zone))
    return out


def local_moment(moment: dt.date | dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A window bound as the engine reads it: a date is midnight, a time without an offset
    is in the ruleset's timezone."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)

