"""Seeded (ruleset, cart) pairs, and digests of what ``promo eval --format json`` makes of them.

``test_same_output.py`` compares these digests with ``data/same_output.json``:

* every bundled sample: ``rulesets/*/ruleset.yaml`` with each cart of its ``carts/``
  folder, run through the ``promo`` command (``eval RULESET CART --format json``);
* 1,000 generated pairs: 100 small rulesets (3 to 15 promotions) with 10 carts each,
  priced through the Python API (``load_ruleset``, ``parse_cart``, ``evaluate``,
  ``Result.to_json``).

A digest is the sha256 of the JSON bytes, so any change to a priced line, a reason
sentence or the order of the output shows up under its key:
``sample:<ruleset path>|<cart path>`` (relative to the repository root) or
``generated:<ruleset index>:<cart index>``.

Everything generated comes from ``random.Random(seed)``; every cart carries its own
``at``, and the promotion windows are placed around it, so nothing depends on the day
the test runs.  The rulesets cover every effect kind (with ``max_units``, ``choose``,
``get_target``, ``max_applications``, ``max_amount``), tiers by subtotal and by
quantity, shipping effects, exclusive promotions, groups, coupons (entered or not,
sloppily typed, unknown, redundant), ``coupons_per_order``, ``coupon_with_automatic``,
both bases, ``max_discount``, the three rounding modes, EUR / JPY / BHD, windows
(dates, date-times with and without an offset) and conditions with aggregates and
attributes.

Write the digests of the code that is imported (``engine`` as found on ``sys.path``)::

    python tests/engine/golden_pairs.py --write tests/engine/data/same_output.json

Print one generated pair (ruleset, cart) and its output, or see what the generated
pairs cover (applied effect kinds, reason codes)::

    python tests/engine/golden_pairs.py --show generated:25:2
    python tests/engine/golden_pairs.py --stats
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SEED = 20260715
RULESETS = 100
CARTS_PER_RULESET = 10
ROOT = Path(__file__).resolve().parents[2]
"""The repository root: ``rulesets/`` lives there."""

# ------------------------------------------------------------ vocabulary


@dataclass(frozen=True)
class Currency:
    code: str
    minor_units: int
    per_cent: Decimal  # minor units of this currency per euro cent of the catalogue
    timezones: tuple[str, ...]

    def minor(self, cents: int) -> int:
        return int(Decimal(cents) * self.per_cent)

    def text(self, minor: int) -> str:
        """``1990`` → ``19.90`` (EUR), ``19.960`` (BHD), ``1990`` (JPY)."""
        return str(Decimal(minor).scaleb(-self.minor_units))


CURRENCIES = (
    Currency("EUR", 2, Decimal(1), ("Europe/Berlin", "Europe/Lisbon", "America/New_York")),
    Currency("JPY", 0, Decimal("1.6"), ("Asia/Tokyo",)),
    Currency("BHD", 3, Decimal(4), ("Asia/Bahrain", "Europe/London")),
)

# category -> (sku prefix, brands, price range in euro cents)
CATEGORIES: dict[str, tuple[str, tuple[str, ...], tuple[int, int]]] = {
    "shoes": ("SH", ("swift", "trailhead"), (3990, 18990)),
    "socks": ("SO", ("cosyfeet", "basics"), (399, 1499)),
    "shirts": ("SR", ("northline", "atelier"), (1990, 7990)),
    "t-shirts": ("TS", ("basics", "swift"), (799, 3999)),
    "jackets": ("JK", ("trailhead", "atelier"), (5990, 29990)),
    "bags": ("BG", ("carryall", "lumen"), (1990, 24990)),
    "coffee": ("CF", ("roastworks", "lumen"), (499, 2499)),
    "wine": ("WN", ("vinhos", "castell"), (699, 4999)),
    "books": ("BK", ("penguin", "lumen"), (899, 3999)),
    "gift-cards": ("GC", ("shop",), (2500, 5000)),
}
SELLERS = ("acme", "globex", "initech", "outlet")
TAGS = ("sale", "new", "eco", "basics", "clearance", "bbq", "gift", "limited")
COLORS = ("black", "white", "navy", "red", "green")
SEGMENTS = ("vip", "student", "employee", "newsletter", "b2b")
TIERS = ("gold", "silver", "bronze")
COUNTRIES = ("DE", "PT", "US", "JP", "BH", "GB")
SHIPPING = {"standard": 495, "express": 990, "pickup": 0, "same-day": 1490}
GROUPS = ("member", "shipping", "seasonal", "welcome", "brand-week")
CODE_WORDS = ("SAVE", "HELLO", "WELCOME", "FLASH", "EXTRA", "LOYAL", "THANKS", "TREAT")
CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SPECIAL_DAYS = (dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2026, 3, 8),
                dt.date(2026, 11, 1), dt.date(2026, 12, 31), dt.date(2026, 2, 28))
"""Summer-time changes and year or month ends, where local times are easy to get wrong."""
NAMES = ("{what}", "Summer sale: {what}", "Été : {what}", "期間限定 {what}", "{what} ✦ members",
         "Week-end – {what}")


@dataclass(frozen=True)
class Product:
    sku: str
    product: str
    category: str
    seller: str
    brand: str
    tags: tuple[str, ...]
    cents: int
    attributes: tuple[tuple[str, Any], ...]


def _catalogue() -> tuple[Product, ...]:
    rng = random.Random(SEED)  # fixed: the catalogue is shared vocabulary
    products = []
    for category, (prefix, brands, (low, high)) in CATEGORIES.items():
        for n in range(1, 5):
            if category == "gift-cards":
                cents = (low, high, 1000, 10000)[n - 1]
            else:
                cents = rng.randint(low // 100, high // 100) * 100 + rng.choice((90, 99, 50, 0))
            attributes: dict[str, Any] = {}
            if rng.random() < 0.6:
                attributes["color"] = rng.choice(COLORS)
            if category in ("jackets", "bags") and rng.random() < 0.5:
                attributes["oversize"] = True
            if category == "shoes":
                attributes["size"] = str(rng.randint(36, 46))
            products.append(Product(
                sku=f"{prefix}-{n:03d}", product=f"{category}-{n}", category=category,
                seller=rng.choice(SELLERS), brand=rng.choice(brands),
                tags=tuple(sorted(rng.sample(TAGS, rng.choice((0, 1, 1, 2))))),
                cents=cents, attributes=tuple(sorted(attributes.items()))))
    return tuple(products)


CATALOGUE = _catalogue()
BY_CATEGORY: dict[str, list[Product]] = {}
for _product in CATALOGUE:
    BY_CATEGORY.setdefault(_product.category, []).append(_product)
BRANDS = tuple(sorted({p.brand for p in CATALOGUE}))

# ------------------------------------------------------------ rulesets


def _q(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _list(items: Sequence[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _flow(pairs: Sequence[tuple[str, str]]) -> str:
    return "{ " + ", ".join(f"{k}: {v}" for k, v in pairs) + " }"


def _expr(text: str) -> str:
    """An expression as a block-context YAML scalar: plain when that is safe."""
    if text[0] in "-?:,[]{}#&*!|>'\"%@`" or ": " in text or " #" in text:
        return "'" + text.replace("'", "''") + "'"
    return text


@dataclass
class GeneratedRuleset:
    """A ruleset's YAML text, and what its carts need to know about it."""

    index: int
    text: str
    currency: Currency
    timezone: str
    anchor: dt.datetime  # local time the windows are placed around
    codes: list[tuple[str, ...]]  # the codes of each coupon promotion
    categories: list[str]  # the categories its conditions name (carts favour them)
    labels: dict[str, str] = field(default_factory=dict)  # promotion id -> effect label


class _RulesetDraw:
    """Draws one ruleset from ``random.Random(SEED + index)``."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.rng = rng = random.Random(SEED + index)
        self.cur = rng.choice(CURRENCIES)
        self.timezone = rng.choice(self.cur.timezones)
        if rng.random() < 0.15:
            day = rng.choice(SPECIAL_DAYS)
        else:
            day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        self.anchor = dt.datetime.combine(day, dt.time(12, 0))
        self.codes: list[tuple[str, ...]] = []
        self.used_codes: set[str] = set()
        self.categories: list[str] = []
        self.labels: dict[str, str] = {}
        self.groups = rng.sample(GROUPS, 2)

    # -- values ------------------------------------------------------------

    def num(self, cents: int) -> str:
        """A money threshold as an expression literal, in the ruleset's currency."""
        return self.cur.text(self.cur.minor(cents))

    def money(self, cents: int) -> str:
        """A money amount as YAML: quoted, or a bare integer when it is whole."""
        minor = self.cur.minor(cents)
        if minor % 10 ** self.cur.minor_units == 0 and self.rng.random() < 0.4:
            return str(minor // 10 ** self.cur.minor_units)
        return _q(self.cur.text(minor))

    def amount(self, *choices: int) -> str:
        return self.money(self.rng.choice(choices))

    def percent(self) -> str:
        rng = self.rng
        if rng.random() < 0.08:
            return rng.choice(('"12.5"', "12.5", "33", '"7.25"'))
        return str(rng.choice((5, 10, 10, 15, 20, 20, 25, 30, 50, 100)))

    def category(self) -> str:
        cat = self.rng.choice(tuple(CATEGORIES))
        self.categories.append(cat)
        return cat

    def code(self) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.5:
                code = rng.choice(CODE_WORDS) + str(rng.choice((5, 10, 15, 20, 25)))
            else:
                code = rng.choice(CODE_WORDS) + "-" + "".join(rng.choices(CODE_CHARS, k=4))
            if code.casefold() not in self.used_codes:
                self.used_codes.add(code.casefold())
                return code

    # -- conditions --------------------------------------------------------

    def item_condition(self) -> str:
        """A condition on one line (``target``, ``get_target`` and inside functions)."""
        rng = self.rng
        cat = self.category()
        options: list[tuple[int, Callable[[], str]]] = [
            (30, lambda: f'item.category == "{cat}"'),
            (6, lambda: f"item.category in {_list(rng.sample(tuple(CATEGORIES), 3))}"),
            (4, lambda: 'item.category != "gift-cards"'),
            (6, lambda: f'item.seller == "{rng.choice(SELLERS)}"'),
            (6, lambda: f'item.tags contains "{rng.choice(TAGS)}"'),
            (5, lambda: f'item.brand == "{rng.choice(BRANDS)}"'),
            (4, lambda: "item.sku in "
                        + _list([p.sku for p in rng.sample(BY_CATEGORY[cat], 2)])),
            (3, lambda: f'item.product == "{rng.choice(BY_CATEGORY[cat]).product}"'),
            (5, lambda: f'item.category == "{cat}" and item.seller != "outlet"'),
            (4, lambda: f'item.category == "{cat}" and item.unit_price >= '
                        f"{self.num(rng.choice((1000, 2000, 5000)))}"),
            (3, lambda: f'item.category == "{cat}" and item.quantity >= 2'),
            (4, lambda: f'item.attributes.color == "{rng.choice(COLORS)}"'),
            (3, lambda: f'not (item.tags contains "sale" or item.tags contains "clearance") '
                        f'and item.category not in ["gift-cards", "{cat}"]'),
            (2, lambda: f'item.total >= {self.num(rng.choice((2000, 5000)))} '
                        f'or item.category == "{cat}"'),
        ]
        return rng.choices([f for _, f in options], [w for w, _ in options])[0]()

    def cart_condition(self) -> tuple[str, str]:
        """``(family, expression)``: one condition on the cart."""
        rng = self.rng
        cat = self.category()
        options: list[tuple[int, Callable[[], tuple[str, str]]]] = [
            (14, lambda: ("subtotal", "cart.subtotal >= "
                          f"{self.num(rng.choice((3000, 5000, 7500, 10000, 20000)))}")),
            (5, lambda: ("quantity", f"cart.quantity >= {rng.randint(2, 6)}")),
            (3, lambda: ("lines", f"cart.lines >= {rng.randint(2, 4)}")),
            (6, lambda: (f"count:{cat}", f'count(item.category == "{cat}") >= '
                                         f"{rng.randint(1, 3)}")),
            (3, lambda: ("brand", f'lines(item.brand == "{rng.choice(BRANDS)}") >= 2')),
            (5, lambda: ("seller", f'sum(item.total where item.seller == '
                                   f'"{rng.choice(SELLERS)}") >= '
                                   f"{self.num(rng.choice((2000, 5000, 10000)))}")),
            (3, lambda: (f"max:{cat}", f'max(item.unit_price where item.category == "{cat}")'
                                       f" >= {self.num(rng.choice((1000, 3000)))}")),
            (2, lambda: (f"min:{cat}", f'min(item.unit_price where item.category == "{cat}")'
                                       f" < {self.num(rng.choice((2000, 5000)))}")),
            (4, lambda: ("tag", f'any(item.tags contains "{rng.choice(TAGS)}")')),
            (2, lambda: ("outlet", 'all(item.seller != "outlet")')),
            (2, lambda: ("oversize", "not any(item.attributes.oversize == true)")),
            (6, lambda: ("segment", f'customer.segments contains "{rng.choice(SEGMENTS)}"')),
            (4, lambda: ("orders", rng.choice(("customer.orders == 0", "customer.orders >= 3",
                                               "customer.orders < 2")))),
            (3, lambda: ("tier", f'customer.attributes.tier == "{rng.choice(TIERS)}"')),
            (2, lambda: ("country", "customer.attributes.country in "
                                    + _list(rng.sample(COUNTRIES, 2)))),
            (3, lambda: ("channel", rng.choice(('attributes.channel == "app"',
                                                'cart.attributes.channel != "app"')))),
            (3, lambda: ("weekday", "cart.weekday in "
                                    + rng.choice(('["sat", "sun"]', '["mon", "tue", "wed"]')))),
            (3, lambda: ("hour", rng.choice(("cart.hour >= 18", "cart.hour < 12")))),
            (2, lambda: ("date", f"cart.date >= {self.anchor.date().isoformat()}")),
            (2, lambda: ("at", f"cart.at < {self.anchor.isoformat(timespec='minutes')}")),
            (3, lambda: ("shipping", f'cart.shipping_method == "{rng.choice(tuple(SHIPPING))}"')),
            (2, lambda: ("shipping_price", f"cart.shipping_price > {self.num(500)}")),
            (2, lambda: ("share", f'sum(item.total where item.category == "{cat}") * 2 >= '
                                  "cart.subtotal")),
            (2, lambda: ("average", f"cart.subtotal / cart.quantity >= {self.num(2000)}")),
            (1, lambda: ("customer", 'customer.id != ""')),
        ]
        return rng.choices([f for _, f in options], [w for w, _ in options])[0]()

    def when(self) -> str:
        rng = self.rng
        families: set[str] = set()
        parts: list[str] = []
        for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
            family, text = self.cart_condition()
            if family not in families:
                families.add(family)
                parts.append(text)
        if rng.random() < 0.1:
            parts.append(f"({self.cart_condition()[1]} or {self.cart_condition()[1]})")
        if rng.random() < 0.05:
            parts[0] = f"not ({parts[0]})"
        return " and ".join(parts)

    # -- windows -------------------------------------------------------------

    def window(self) -> str | None:
        """A window around the anchor: running, not started, ended, or edged at it."""
        rng = self.rng
        day = self.anchor.date()

        def date(days: int) -> str:
            text = (day + dt.timedelta(days=days)).isoformat()
            return _q(text) if rng.random() < 0.3 else text

        def aware(hours: int) -> str:
            moment = (self.anchor + dt.timedelta(hours=hours)).replace(
                tzinfo=ZoneInfo(self.timezone))
            return _q(moment.isoformat())

        def naive(hours: int) -> str:
            return _q((self.anchor + dt.timedelta(hours=hours)).isoformat())

        kind = rng.choices(("none", "running", "future", "past", "from", "until", "edge",
                            "naive"), (50, 20, 5, 5, 5, 5, 10, 5))[0]
        if kind == "none":
            return None
        if kind == "running":
            pairs = [("from", date(-rng.randint(0, 5))), ("until", date(rng.randint(1, 5)))]
        elif kind == "future":
            start = rng.randint(1, 6)
            pairs = [("from", date(start)), ("until", date(start + rng.randint(1, 30)))]
        elif kind == "past":
            end = rng.randint(0, 6)
            pairs = [("from", date(-end - rng.randint(1, 30))), ("until", date(-end))]
        elif kind == "from":
            pairs = [("from", date(rng.randint(-3, 3)))]
        elif kind == "until":
            pairs = [("until", date(rng.randint(-3, 3)))]
        elif kind == "edge":  # an end exactly at the anchor, where some carts are priced
            if rng.random() < 0.5:
                pairs = [("from", aware(0)), ("until", aware(rng.choice((1, 24, 72))))]
            else:
                pairs = [("from", aware(-rng.choice((1, 24, 72)))), ("until", aware(0))]
        else:
            start = rng.randint(-60, 12)
            pairs = [("from", naive(start)), ("until", naive(start + rng.randint(2, 72)))]
        return _flow(pairs)

    # -- effects ---------------------------------------------------------------

    def effect(self) -> tuple[list[str], bool, str, bool]:
        """The effect as YAML lines (one flow mapping, or a block), a label, and whether
        it needs a target."""
        rng = self.rng
        kind = rng.choices(
            ("percent_off", "amount_off", "amount_off_each", "fixed_price", "buy_get",
             "bundle", "tiers_subtotal", "tiers_quantity", "shipping"),
            (20, 11, 9, 8, 13, 8, 8, 7, 12))[0]
        pairs: list[tuple[str, str]] = []
        label = kind
        needs_target = kind in ("amount_off_each", "fixed_price", "buy_get", "bundle")
        extra: list[str] = []  # block-style lines
        if kind == "percent_off":
            pairs.append(("percent_off", self.percent()))
            if rng.random() < 0.3:
                pairs.append(("max_units", str(rng.choice((1, 2, 3)))))
                label += "+max_units"
        elif kind == "amount_off":
            pairs.append(("amount_off", self.amount(200, 500, 1000, 1500, 2500, 5000)))
        elif kind == "amount_off_each":
            pairs.append(("amount_off_each", self.amount(50, 100, 200, 500, 1000)))
            if rng.random() < 0.3:
                pairs.append(("max_units", str(rng.choice((1, 2, 4)))))
                label += "+max_units"
        elif kind == "fixed_price":
            pairs.append(("fixed_price", self.amount(0, 500, 999, 1200, 2500, 4000)))
            if rng.random() < 0.3:
                pairs.append(("max_units", str(rng.choice((1, 2, 3)))))
                label += "+max_units"
        elif kind == "buy_get":
            buy, get = rng.choice(((2, 1), (1, 1), (3, 1), (2, 2), (1, 2)))
            pairs += [("buy", str(buy)), ("get", str(get))]
            if rng.random() < 0.4:
                pairs.append(("percent_off", rng.choice(("50", "30", "25", "100"))))
            if rng.random() < 0.3:
                pairs.append(("max_applications", str(rng.choice((1, 2, 3)))))
            if rng.random() < 0.35:
                extra.append(f"get_target: {_expr(self.item_condition())}")
                label += "+get_target"
        elif kind == "bundle":
            units = rng.choice((2, 3, 3, 4))
            spec = _flow([("units", str(units)),
                          ("price", self.money(units * rng.choice((300, 500, 800, 1500))))])
            pairs.append(("bundle", spec))
            if rng.random() < 0.3:
                pairs.append(("max_applications", str(rng.choice((1, 2)))))
        elif kind in ("tiers_subtotal", "tiers_quantity"):
            by = kind.removeprefix("tiers_")
            label = f"tiers:{by}"
            extra += ["tiers:", f"  by: {by}", "  steps:"]
            count = rng.randint(1, 4)
            if by == "subtotal":
                start = rng.choice((2000, 5000, 7500))
                thresholds = [self.money(start * (i + 1)) for i in range(count)]
            else:
                start = rng.choice((2, 3))
                thresholds = [str(start + i * rng.choice((1, 2))) for i in range(count)]
                thresholds = sorted(set(thresholds), key=int)
            step_kind = rng.choice(("percent_off", "amount_off", "amount_off_each",
                                    "fixed_price", "mixed"))
            for i, at in enumerate(thresholds):
                this = step_kind if step_kind != "mixed" else rng.choice(
                    ("percent_off", "amount_off", "amount_off_each"))
                value = {
                    "percent_off": lambda i=i: str(5 * (i + 1) + rng.choice((0, 5))),
                    "amount_off": lambda i=i: self.money(500 * (i + 1)),
                    "amount_off_each": lambda i=i: self.money(100 * (i + 1)),
                    "fixed_price": lambda i=i: self.money(3000 - 500 * i),
                }[this]()
                extra.append(f"    - {_flow([('at', at), (this, value)])}")
        else:
            which = rng.choices(("free", "amount_off", "percent_off", "fixed_price"),
                                (40, 20, 20, 20))[0]
            value = {"free": lambda: "true", "amount_off": lambda: self.amount(200, 500, 1000),
                     "percent_off": lambda: str(rng.choice((25, 50, 100))),
                     "fixed_price": lambda: self.amount(0, 199, 299, 600)}[which]()
            pairs.append(("shipping", _flow([(which, value)])))
            label = f"shipping:{which}"
        if kind in ("percent_off", "amount_off_each", "fixed_price", "buy_get", "bundle") \
                and rng.random() < 0.15:
            pairs.append(("choose", "most_expensive"))
        if rng.random() < 0.15:
            pairs.append(("max_amount", self.amount(300, 1000, 2000)))
            label += "+max_amount"
        if extra or rng.random() < 0.2:
            return [f"{k}: {v}" for k, v in pairs] + extra, True, label, needs_target
        return [_flow(pairs)], False, label, needs_target

    # -- the ruleset -----------------------------------------------------------

    def promotion(self, number: int, coupons_allowed: bool) -> list[str]:
        rng = self.rng
        effect, block, label, needs_target = self.effect()
        pid = f"p{number:02d}-{label.split('+')[0].replace('_', '-').replace(':', '-')}"
        self.labels[pid] = label
        out = [f"  - id: {pid}"]
        if rng.random() < 0.7:
            name = rng.choice(NAMES).format(what=label.replace("_", " "))
            out.append(f"    name: {_q(name)}")
        if rng.random() < 0.8:
            out.append(f"    priority: {rng.choice((0, 10, 50, 100, 100, 200, 300))}")
        window = self.window()
        if window is not None:
            out.append(f"    active: {window}")
        if coupons_allowed and rng.random() < 0.3:
            codes = tuple(self.code() for _ in range(rng.choices((1, 2, 3), (75, 15, 10))[0]))
            self.codes.append(codes)
            if len(codes) == 1 and rng.random() < 0.8:
                out.append(f"    coupon: {codes[0]}")
            else:
                out.append(f"    coupons: [{', '.join(codes)}]")
        if rng.random() < 0.5:
            out.append(f"    when: {_expr(self.when())}")
        if not label.startswith("shipping") and (needs_target or rng.random() < 0.75):
            out.append(f"    target: {_expr(self.item_condition())}")
        if block:
            out.append("    effect:")
            out += [f"      {line}" for line in effect]
        else:
            out.append(f"    effect: {effect[0]}")
        if rng.random() < 0.2:
            out.append(f"    limits: {_flow([('uses', '1000'), ('budget', self.money(50000))])}")
        if rng.random() < 0.1:
            out.append("    exclusive: true")
        if rng.random() < 0.25:
            group = "shipping" if label.startswith("shipping") else rng.choice(self.groups)
            out.append(f"    group: {group}")
        return out

    def ruleset(self) -> GeneratedRuleset:
        rng = self.rng
        coupons_per_order = rng.choices((0, 1, 2, 3), (8, 50, 30, 12))[0]
        stacking = [
            "stacking:",
            f"  coupons_per_order: {coupons_per_order}",
            f"  coupon_with_automatic: {rng.choice(('true', 'false'))}",
            f"  base: {rng.choice(('original', 'discounted'))}",
        ]
        cap = rng.choices(("none", "percent", "amount", "both"), (40, 25, 20, 15))[0]
        if cap != "none":
            pairs = []
            if cap in ("percent", "both"):
                pairs.append(("percent_of_subtotal", str(rng.choice((10, 25, 30, 50)))))
            if cap in ("amount", "both"):
                pairs.append(("amount", self.amount(500, 2000, 5000)))
            stacking.append(f"  max_discount: {_flow(pairs)}")
        lines = [f"# Generated pair set, ruleset {self.index} (seed {SEED + self.index}).",
                 f"ruleset: generated-{self.index:03d}", "dsl: 1",
                 f"currency: {self.cur.code}", f"timezone: {self.timezone}"]
        rounding = rng.choice(("half_even", "half_up", "down", None))
        if rounding is not None:
            lines.append(f"rounding: {rounding}")
        lines += ["", *stacking, "", "promotions:"]
        for number in range(1, rng.randint(3, 15) + 1):
            lines += self.promotion(number, coupons_allowed=coupons_per_order > 0)
        return GeneratedRuleset(self.index, "\n".join(lines) + "\n", self.cur, self.timezone,
                                self.anchor, self.codes, sorted(set(self.categories)),
                                self.labels)


def generate_ruleset(index: int) -> GeneratedRuleset:
    return _RulesetDraw(index).ruleset()


# ------------------------------------------------------------------ carts


def _entered_codes(rules: GeneratedRuleset, rng: random.Random) -> list[str]:
    """Codes as shoppers type them: exact, sloppy, unknown, two of one promotion."""
    entered: list[str] = []
    for _ in range(rng.choices((0, 1, 2, 3), (30, 40, 20, 10))[0]):
        how = rng.random()
        if rules.codes and how < 0.7:
            codes = rng.choice(rules.codes)
            code = rng.choice(codes)
            style = rng.random()
            if style < 0.2:
                code = f"  {code.lower()} "
            elif style < 0.3:
                code = code.swapcase()
            entered.append(code)
            if len(codes) > 1 and rng.random() < 0.3:
                entered.append(rng.choice(codes))  # a second code of the same promotion
        elif how < 0.9:
            entered.append(rng.choice(("NOPE10", "SUMMER50", "FREESHIP", "welcome")))
        else:
            entered.append(rng.choice(("   ", "SAVE10 ")))
    return entered


def _line(number: int, product: Product, rules: GeneratedRuleset,
          rng: random.Random) -> dict[str, Any]:
    cur = rules.currency
    cents = product.cents if rng.random() < 0.97 else 0  # now and then a free gift
    attributes = dict(product.attributes)
    if rng.random() < 0.2:
        attributes["color"] = rng.choice(COLORS)
    line: dict[str, Any] = {
        "id": f"l{number}",
        "sku": product.sku,
        "product": product.product,
        "category": product.category,
        "seller": product.seller,
        "brand": product.brand,
        "tags": list(product.tags),
        "unit_price": cur.text(cur.minor(cents)),
        "quantity": rng.choices((1, 2, 3, 4, 6), (50, 24, 12, 8, 6))[0],
    }
    if attributes or rng.random() < 0.5:
        line["attributes"] = attributes
    if rng.random() < 0.1:
        del line["seller"], line["brand"]  # optional fields
    return line


def _at(rules: GeneratedRuleset, rng: random.Random, index: int) -> str:
    """The cart's time: the anchor itself for the first carts, else within four days."""
    if index < 2:
        local = rules.anchor
    else:
        local = rules.anchor + dt.timedelta(hours=rng.randint(-96, 96),
                                            minutes=rng.choice((0, 15, 30, 45)))
    style = rng.random()
    if style < 0.15:
        return local.isoformat()  # no offset: read in the ruleset's timezone
    moment = local.replace(tzinfo=ZoneInfo(rules.timezone))
    if style < 0.3:
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def generate_cart(rules: GeneratedRuleset, index: int) -> dict[str, Any]:
    """Cart ``index`` of a generated ruleset: plain, JSON-able data."""
    rng = random.Random(SEED * 1000 + rules.index * CARTS_PER_RULESET + index)
    cur = rules.currency
    count = rng.choices((0, 1, 2, 3, 4, 5, 6, 8), (2, 10, 15, 18, 18, 15, 12, 10))[0]
    products = []
    for _ in range(count):
        if rules.categories and rng.random() < 0.65:
            products.append(rng.choice(BY_CATEGORY[rng.choice(rules.categories)]))
        else:
            products.append(rng.choice(CATALOGUE))
    lines = [_line(n, p, rules, rng) for n, p in enumerate(products, start=1)]
    if lines and rng.random() < 0.3:  # ids that do not sort in cart order
        for line, number in zip(lines, rng.sample(range(1, 30), len(lines)), strict=True):
            line["id"] = f"l{number}"
    customer: dict[str, Any] = {
        "segments": sorted(rng.sample(SEGMENTS, rng.choices((0, 1, 2), (50, 35, 15))[0])),
        "orders": rng.choices((0, 1, 3, 10), (30, 25, 25, 20))[0],
    }
    if rng.random() < 0.85:
        customer["id"] = f"c-{rng.randint(1, 9999)}"
    if rng.random() < 0.7:
        customer["attributes"] = {"tier": rng.choice(TIERS), "country": rng.choice(COUNTRIES)}
    cart: dict[str, Any] = {
        "id": f"cart-{rules.index:03d}-{index}",
        "currency": cur.code,
        "at": _at(rules, rng, index),
        "customer": customer,
        "coupons": _entered_codes(rules, rng),
        "lines": lines,
    }
    if rng.random() < 0.85:
        method = rng.choice(tuple(SHIPPING))
        cart["shipping"] = {"method": method, "price": cur.text(cur.minor(SHIPPING[method]))}
    if rng.random() < 0.7:
        cart["attributes"] = {"channel": rng.choice(("web", "app"))}
    return cart


def generated_pairs() -> Iterator[tuple[GeneratedRuleset, list[dict[str, Any]]]]:
    """The 100 generated rulesets, each with its 10 carts."""
    for index in range(RULESETS):
        rules = generate_ruleset(index)
        yield rules, [generate_cart(rules, c) for c in range(CARTS_PER_RULESET)]


# ------------------------------------------------------------- digests


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def promo_command() -> Any:
    """The click command behind the ``promo`` console script."""
    from importlib.metadata import entry_points

    import click

    (entry,) = entry_points(group="console_scripts", name="promo")
    main = entry.load()
    if isinstance(main, click.Command):
        return main
    return sys.modules[main.__module__].cli


def sample_cases(root: Path = ROOT) -> list[tuple[str, Path, Path]]:
    """``(key, ruleset, cart)`` for every bundled ruleset and each of its sample carts."""
    cases = []
    for ruleset in sorted(root.glob("rulesets/*/ruleset.yaml")):
        for cart in sorted(ruleset.parent.glob("carts/*")):
            if cart.suffix in (".yaml", ".yml", ".json"):
                key = (f"sample:{ruleset.relative_to(root).as_posix()}"
                       f"|{cart.relative_to(root).as_posix()}")
                cases.append((key, ruleset, cart))
    return cases


def sample_outputs(root: Path = ROOT) -> dict[str, bytes]:
    """``promo eval RULESET CART --format json`` of every sample, run in-process."""
    from click.testing import CliRunner

    command = promo_command()
    runner = CliRunner()
    outputs = {}
    for key, ruleset, cart in sample_cases(root):
        result = runner.invoke(command, ["eval", str(ruleset), str(cart), "--format", "json"],
                               catch_exceptions=False)
        if result.exit_code != 0:
            raise AssertionError(f"{key}: promo eval exited {result.exit_code}\n"
                                 f"{result.output}")
        outputs[key] = result.stdout_bytes
    return outputs


def generated_outputs(workdir: Path) -> Iterator[tuple[str, bytes]]:
    """The JSON of every generated pair, priced through the Python API.

    Each ruleset is written to ``workdir`` and loaded from there, as a shop would."""
    from dsl import load_ruleset
    from engine import evaluate, parse_cart

    for rules, carts in generated_pairs():
        path = workdir / f"ruleset-{rules.index:03d}.yaml"
        path.write_text(rules.text, encoding="utf-8")
        ruleset = load_ruleset(path)
        for number, cart in enumerate(carts):
            result = evaluate(ruleset, parse_cart(cart))
            yield f"generated:{rules.index}:{number}", result.to_json().encode("utf-8")


def compute_digests(workdir: Path, root: Path = ROOT) -> dict[str, str]:
    """Every key and the sha256 of its JSON output: the samples, then the generated pairs."""
    digests = {key: digest(out) for key, out in sample_outputs(root).items()}
    digests.update((key, digest(out)) for key, out in generated_outputs(workdir))
    return digests


def first_differences(expected: dict[str, str], actual: dict[str, str],
                      limit: int = 10) -> list[str]:
    """Up to ``limit`` keys that are missing, new, or whose digest changed, in key order."""
    changed = []
    for key in sorted(expected.keys() | actual.keys(), key=_key_order):
        if key not in actual:
            changed.append(f"{key}: missing from this run")
        elif key not in expected:
            changed.append(f"{key}: not in the digest file")
        elif expected[key] != actual[key]:
            changed.append(f"{key}: output changed")
        if len(changed) == limit:
            break
    return changed


def _key_order(key: str) -> tuple[Any, ...]:
    kind, _, rest = key.partition(":")
    if kind == "generated":
        ruleset, _, cart = rest.partition(":")
        return (1, int(ruleset), int(cart), "")
    return (0, 0, 0, rest)


# ------------------------------------------------------------------ stats


def stats(workdir: Path) -> str:
    """What the generated pairs cover: applied effects, reason codes, caps."""
    from dsl import load_ruleset
    from engine import evaluate, parse_cart

    applied_pairs = 0
    effects: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    capped = promotions = 0
    for rules, carts in generated_pairs():
        path = workdir / f"ruleset-{rules.index:03d}.yaml"
        path.write_text(rules.text, encoding="utf-8")
        ruleset = load_ruleset(path)
        promotions += len(rules.labels)
        for cart in carts:
            data = json.loads(evaluate(ruleset, parse_cart(cart)).to_json())
            applied_pairs += bool(data["applied"])
            effects.update(rules.labels[a["promotion"]] for a in data["applied"])
            reasons.update(r["code"] for r in data["rejected"])
            capped += len(data["capped"])
    pairs = RULESETS * CARTS_PER_RULESET
    kinds = sorted({label.split("+")[0] for label in effects})
    out = [f"{RULESETS} rulesets, {promotions} promotions, {pairs} pairs",
           f"pairs with at least one promotion applied: {applied_pairs} of {pairs}",
           f"caps in results: {capped}",
           f"applied effect kinds ({len(kinds)}): {', '.join(kinds)}",
           "applied, by effect label:"]
    out += [f"  {label:32} {n}" for label, n in sorted(effects.items())]
    out.append(f"reason codes ({len(reasons)}):")
    out += [f"  {code:32} {n}" for code, n in sorted(reasons.items())]
    return "\n".join(out) + "\n"


def show(key: str, workdir: Path) -> str:
    """A generated pair's ruleset and cart, and the JSON they give."""
    from dsl import load_ruleset
    from engine import evaluate, parse_cart

    kind, _, rest = key.partition(":")
    ruleset_index, _, cart_index = rest.partition(":")
    if kind != "generated" or not ruleset_index.isdigit() or not cart_index.isdigit():
        raise SystemExit(f"--show: expected generated:<ruleset>:<cart>, got {key!r}")
    rules = generate_ruleset(int(ruleset_index))
    cart = generate_cart(rules, int(cart_index))
    path = workdir / f"ruleset-{rules.index:03d}.yaml"
    path.write_text(rules.text, encoding="utf-8")
    output = evaluate(load_ruleset(path), parse_cart(cart)).to_json()
    return (f"--- ruleset\n{rules.text}--- cart\n{json.dumps(cart, indent=2)}\n"
            f"--- output\n{output}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--write", metavar="PATH", type=Path,
                      help="write the digests of every pair (JSON) to PATH")
    what.add_argument("--show", metavar="KEY", help="print a generated pair and its output")
    what.add_argument("--stats", action="store_true", help="print what the pairs cover")
    args = parser.parse_args(argv)
    import engine

    print(f"engine: {Path(engine.__file__).parent}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as workdir:
        if args.stats:
            sys.stdout.write(stats(Path(workdir)))
            return 0
        if args.show is not None:
            sys.stdout.write(show(args.show, Path(workdir)))
            return 0
        digests = compute_digests(Path(workdir))
    args.write.parent.mkdir(parents=True, exist_ok=True)
    args.write.write_text(json.dumps(digests, indent=2) + "\n", encoding="utf-8")
    print(f"{len(digests)} digests written to {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
