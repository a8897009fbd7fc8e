"""Seeded generators of realistic rulesets (YAML text) and cart snapshots.

    from .generate import generate_ruleset, generate_cart
    text = generate_ruleset(1000, seed=3)      # YAML text, loads clean with dsl.load_ruleset
    cart = generate_cart(8, seed=3)            # a cart snapshot as plain data (JSON-able)

Both draw from one shop vocabulary (a fixed catalogue of categories, sellers,
brands, SKUs, tags, segments and a few well-known coupon codes), so generated
carts match some of the generated promotions.  The same ``(n, seed)`` always
gives the same output: every random choice comes from ``random.Random(seed)``
and the catalogue is built from a fixed seed at import.

Run as a script to write a sample::

    python -m benchmarks.generate --promotions 1000 --seed 3 > /tmp/big.yaml
    python -m benchmarks.generate --cart 8 --seed 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CURRENCY = "EUR"
TIMEZONE = "Europe/Berlin"

# ------------------------------------------------------------ vocabulary

# category -> (sku prefix, product families, brands, unit price range in EUR)
CATEGORIES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[int, int]]] = {
    "shoes": ("SH", ("runner", "trail", "court", "loafer", "boot"),
              ("swift", "trailhead", "urbanstep"), (39, 189)),
    "socks": ("SO", ("crew", "ankle", "merino", "compression"),
              ("cosyfeet", "swift", "basics"), (4, 19)),
    "shirts": ("SR", ("oxford", "polo", "linen", "flannel"),
               ("northline", "basics", "atelier"), (19, 79)),
    "t-shirts": ("TS", ("crewneck", "vneck", "graphic", "organic"),
                 ("basics", "northline", "swift"), (9, 39)),
    "trousers": ("TR", ("chino", "jeans", "cargo", "jogger"),
                 ("northline", "denimco", "atelier"), (29, 119)),
    "jackets": ("JK", ("parka", "rain", "denim", "puffer", "blazer"),
                ("trailhead", "northline", "atelier"), (59, 299)),
    "dresses": ("DR", ("midi", "maxi", "wrap", "shirt"),
                ("atelier", "lumen"), (29, 159)),
    "bags": ("BG", ("tote", "backpack", "crossbody", "duffel"),
             ("carryall", "trailhead", "lumen"), (19, 249)),
    "hats": ("HT", ("beanie", "cap", "bucket", "fedora"),
             ("basics", "northline"), (9, 49)),
    "accessories": ("AC", ("belt", "scarf", "gloves", "wallet", "sunglasses"),
                    ("atelier", "carryall", "lumen"), (9, 129)),
    "kids": ("KD", ("romper", "hoodie", "sneaker", "raincoat"),
             ("littleones", "swift"), (9, 69)),
    "beauty": ("BT", ("lipstick", "serum", "perfume", "cream"),
               ("glow", "lumen"), (7, 99)),
}
SELLERS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "outlet")
TAGS = ("sale", "new", "bestseller", "eco", "clearance", "limited", "summer", "winter",
        "gift", "online-only")
SEGMENTS = ("vip", "newsletter", "employee", "student", "b2b", "loyalty-gold",
            "loyalty-silver", "app-user")
COUNTRIES = ("DE", "AT", "FR", "NL", "IT", "ES", "BE")
SHIPPING_METHODS = {"standard": "4.90", "express": "9.90", "pickup": "0.00",
                    "same-day": "14.90"}
WEEKENDS = ('["sat", "sun"]', '["fri", "sat"]')
COLORS = ("black", "white", "navy", "red", "green", "beige", "grey")
GROUPS = ("welcome", "flash-sale", "newsletter", "clearance", "seasonal", "loyalty",
          "shipping", "brand-week", "marketplace")

WELL_KNOWN_COUPONS = ("WELCOME10", "SUMMER20", "FREESHIP", "VIP15", "SOCKS3", "STUDENT10",
                      "NEWSLETTER5", "BLACKFRIDAY", "APP10", "BRANDWEEK")
"""Given to the first coupon promotions of every ruleset, so carts can enter them."""

_CODE_WORDS = ("SAVE", "DEAL", "HELLO", "SPRING", "AUTUMN", "FLASH", "EXTRA", "LOYAL",
               "THANKS", "BONUS", "TREAT", "CLUB")
_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Product:
    sku: str
    product: str
    category: str
    seller: str
    brand: str
    tags: tuple[str, ...]
    unit_price: Decimal


def _build_catalogue() -> tuple[Product, ...]:
    rng = random.Random(20260715)  # fixed: the catalogue is shared vocabulary
    products: list[Product] = []
    for category, (prefix, families, brands, (low, high)) in CATEGORIES.items():
        for family in families:
            for variant in rng.sample(range(1, 60), 3):
                brand = rng.choice(brands)
                price = Decimal(rng.randint(low, high)) + rng.choice(
                    (Decimal("0.90"), Decimal("0.99"), Decimal("0.50"), Decimal("0.00")))
                tags = tuple(sorted(rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3)))))
                products.append(Product(
                    sku=f"{prefix}-{family[:3].upper()}-{variant:02d}",
                    product=f"{family}-{variant:02d}",
                    category=category,
                    seller=rng.choice(SELLERS),
                    brand=brand,
                    tags=tags,
                    unit_price=price,
                ))
    return tuple(products)


CATALOGUE: tuple[Product, ...] = _build_catalogue()
_BY_CATEGORY: dict[str, list[Product]] = {}
for _p in CATALOGUE:
    _BY_CATEGORY.setdefault(_p.category, []).append(_p)
_BRANDS = tuple(sorted({p.brand for p in CATALOGUE}))


def _floors(category: str, options: Sequence[int]) -> list[int]:
    """The price floors some product of ``category`` reaches (a condition that can be true)."""
    top = max(p.unit_price for p in _BY_CATEGORY[category])
    return [x for x in options if x <= top] or [int(top) // 2]


# ------------------------------------------------------------ YAML helpers


def _q(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text)


def _money(amount: Decimal | int | str) -> str:
    return _q(f"{Decimal(amount):.2f}")


_PLAIN_START_BAD = set("-?:,[]{}#&*!|>'\"%@` ")


def _expr(text: str, flow: bool = False) -> str:
    """An expression as a YAML scalar: plain when that is safe, else single-quoted."""
    unsafe = (not text or text[0] in _PLAIN_START_BAD or text[-1] == " "
              or ": " in text or " #" in text or text.endswith(":")
              or (flow and any(ch in text for ch in ",[]{}")))
    if not unsafe:
        return text
    return "'" + text.replace("'", "''") + "'"


def _flow(pairs: Sequence[tuple[str, str]]) -> str:
    return "{ " + ", ".join(f"{k}: {v}" for k, v in pairs) + " }"


def _list(items: Sequence[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


# ------------------------------------------------------------ conditions


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.codes: set[str] = set()
        self.well_known = list(WELL_KNOWN_COUPONS)
        self.window_dates: tuple[dt.date, dt.date] | None = None  # of the current promotion

    # -- targets: (expression, human label) --------------------------------

    def target(self) -> tuple[str, str]:
        rng = self.rng
        kind = rng.choices(
            ("category", "categories", "seller", "tag", "brand", "sku", "product",
             "category_seller", "category_not_outlet", "tag_category", "price",
             "brand_not_clearance"),
            weights=(24, 8, 10, 10, 8, 6, 3, 8, 8, 6, 4, 5))[0]
        cat = rng.choice(tuple(CATEGORIES))
        if kind == "category":
            return f'item.category == "{cat}"', cat
        if kind == "categories":
            cats = rng.sample(tuple(CATEGORIES), rng.randint(2, 4))
            return f"item.category in {_list(cats)}", " and ".join(cats)
        if kind == "seller":
            sellers = rng.sample(SELLERS[:-1], rng.randint(1, 3))
            if len(sellers) == 1:
                return f'item.seller == "{sellers[0]}"', f"everything from {sellers[0]}"
            return f"item.seller in {_list(sellers)}", "items from " + ", ".join(sellers)
        if kind == "tag":
            tag = rng.choice(TAGS)
            return f'item.tags contains "{tag}"', f"{tag} items"
        if kind == "brand":
            brand = rng.choice(_BRANDS)
            return f'item.brand == "{brand}"', brand.title()
        if kind == "sku":
            skus = [p.sku for p in rng.sample(CATALOGUE, rng.randint(1, 6))]
            if len(skus) == 1:
                return f'item.sku == "{skus[0]}"', skus[0]
            return f"item.sku in {_list(skus)}", f"{len(skus)} selected products"
        if kind == "product":
            p = rng.choice(CATALOGUE)
            return f'item.product == "{p.product}"', p.product
        if kind == "category_seller":  # a seller that has products in the category
            seller = rng.choice(sorted({p.seller for p in _BY_CATEGORY[cat]} - {"outlet"})
                                or SELLERS[:-1])
            return (f'item.category == "{cat}" and item.seller == "{seller}"',
                    f"{cat} from {seller}")
        if kind == "category_not_outlet":
            return f'item.category == "{cat}" and item.seller != "outlet"', cat
        if kind == "tag_category":
            pair = rng.sample(tuple(CATEGORIES), 2)
            tag = rng.choice(sorted({t for c in pair for p in _BY_CATEGORY[c] for t in p.tags}))
            return (f'item.tags contains "{tag}" and item.category in {_list(pair)}',
                    f"{tag} items")
        if kind == "price":
            floor = rng.choice(_floors(cat, (20, 30, 50, 100)))
            return f'item.category == "{cat}" and item.unit_price >= {floor}', f"premium {cat}"
        brand = rng.choice(_BRANDS)
        return (f'item.brand == "{brand}" and not (item.tags contains "clearance")',
                brand.title())

    # -- cart conditions ---------------------------------------------------

    def condition(self) -> tuple[str, str]:
        """``(family, expression)``: one cart condition the catalogue can satisfy.

        Conditions of one family constrain the same fact (``customer.orders``,
        ``cart.shipping_method``, one segment, ...); ``when`` never combines two
        of a family, so it never says ``customer.orders >= 5 and
        customer.orders == 0``.
        """
        rng = self.rng
        cat = rng.choice(tuple(CATEGORIES))
        seller = rng.choice(SELLERS)
        segment = rng.choice(SEGMENTS)
        brand = rng.choice(_BRANDS)
        tag = rng.choice(TAGS)
        options: list[tuple[int, Callable[[], tuple[str, str]]]] = [
            (20, lambda: ("subtotal", "cart.subtotal >= "
                          f"{rng.choice((30, 50, 75, 100, 150, 200, 300))}")),
            (8, lambda: (f"count:{cat}",
                         f'count(item.category == "{cat}") >= {rng.randint(2, 5)}')),
            (8, lambda: (f"seller:{seller}",
                         f'sum(item.total where item.seller == "{seller}") >= '
                         f"{rng.choice((50, 100, 150, 250))}")),
            (10, lambda: (f"segment:{segment}", f'customer.segments contains "{segment}"')),
            (6, lambda: ("orders", rng.choice(("customer.orders == 0", "customer.orders >= 5",
                                               "customer.orders >= 1")))),
            (4, lambda: ("weekday", f"cart.weekday in {rng.choice(WEEKENDS)}")),
            (3, lambda: ("hour", f"cart.hour >= {rng.choice((17, 18, 20))}")),
            (4, lambda: (f"brand:{brand}", f'lines(item.brand == "{brand}") >= 2')),
            (6, lambda: (f"tag:{tag}", f'any(item.tags contains "{tag}")')),
            (4, lambda: ("country", "customer.attributes.country in "
                                    f"{_list(rng.sample(COUNTRIES, rng.randint(1, 3)))}")),
            (3, lambda: ("shipping", "cart.shipping_method == "
                                     f'"{rng.choice(tuple(SHIPPING_METHODS))}"')),
            (5, lambda: ("quantity", f"cart.quantity >= {rng.randint(2, 6)}")),
            (3, lambda: ("segment:employee", 'not (customer.segments contains "employee")')),
            (2, lambda: ("date", f"cart.date >= {self.date_in_window().isoformat()}")),
            (3, lambda: (f"max:{cat}", f'max(item.unit_price where item.category == "{cat}") >= '
                                       f"{rng.choice(_floors(cat, (50, 80, 120)))}")),
            (2, lambda: ("seller:outlet", 'all(item.seller != "outlet")')),
        ]
        weights = [w for w, _ in options]
        return rng.choices([f for _, f in options], weights=weights)[0]()

    def date_in_window(self) -> dt.date:
        """The first of a month inside the promotion's window (June to September when it has
        none), so ``cart.date >= ...`` can be true while the promotion is active."""
        start, end = self.window_dates or (dt.date(2026, 6, 1), dt.date(2026, 10, 1))
        firsts = [dt.date(2026, m, 1) for m in range(1, 13)]
        inside = [d for d in firsts if start <= d < end] or [dt.date(start.year, start.month, 1)]
        return self.rng.choice(inside)

    def when(self) -> str:
        rng = self.rng
        families: set[str] = set()
        parts: list[str] = []

        def fresh() -> str | None:
            for _ in range(10):
                family, text = self.condition()
                if family not in families:
                    families.add(family)
                    return text
            return None

        for _ in range(rng.choices((1, 2, 3), (60, 32, 8))[0]):
            text = fresh()
            if text is not None:
                parts.append(text)
        if rng.random() < 0.06:
            a, b = fresh(), fresh()
            if a is not None and b is not None:
                parts.append(f"({a} or {b})")
        return " and ".join(parts)

    # -- values -----------------------------------------------------------

    def percent(self) -> str:
        if self.rng.random() < 0.05:
            return self.rng.choice(('"12.5"', '"7.5"', "33"))
        return str(self.rng.choice((5, 10, 10, 15, 20, 20, 25, 30, 40, 50)))

    def amount(self, low: int = 5, high: int = 50) -> str:
        return _money(self.rng.choice([v for v in (2, 3, 5, 10, 15, 20, 25, 30, 50, 75, 100)
                                       if low <= v <= high] or [low]))

    def coupon_code(self) -> str:
        if self.well_known:
            return self.well_known.pop(0)
        while True:
            code = (self.rng.choice(_CODE_WORDS) + str(self.rng.choice((5, 10, 15, 20, 25)))
                    + "-" + "".join(self.rng.choices(_CODE_CHARS, k=5)))
            if code.casefold() not in self.codes:
                self.codes.add(code.casefold())
                return code

    def window(self) -> str:
        rng = self.rng
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        end = start + dt.timedelta(days=rng.choice((1, 3, 7, 14, 30, 60, 90)))
        self.window_dates = (start, end)
        if rng.random() < 0.2:  # a timed flash sale
            hour = rng.choice((0, 8, 9, 18, 20))
            tz = "+02:00" if 4 <= start.month <= 10 else "+01:00"
            return _flow([("from", _q(f"{start.isoformat()}T{hour:02d}:00:00{tz}")),
                          ("until", _q(f"{end.isoformat()}T{hour:02d}:00:00{tz}"))])
        pairs = [("from", start.isoformat())]
        if rng.random() < 0.85:
            pairs.append(("until", end.isoformat()))
        else:
            self.window_dates = (start, dt.date(2099, 1, 1))
        return _flow(pairs)

    def limits(self, has_coupon: bool) -> str | None:
        rng = self.rng
        pairs: list[tuple[str, str]] = []
        if rng.random() < 0.5:
            pairs.append(("uses", str(rng.choice((100, 500, 1000, 5000, 10000)))))
        if rng.random() < 0.5:
            pairs.append(("per_customer", str(rng.choice((1, 1, 2, 3)))))
        if has_coupon and rng.random() < 0.3:
            pairs.append(("per_coupon", str(rng.choice((1, 50, 100)))))
        if rng.random() < 0.3:
            pairs.append(("budget", _money(rng.choice((500, 1000, 2500, 5000, 20000)))))
        return _flow(pairs) if pairs else None

    # -- effects: (YAML lines under "effect:", label, whether it needs a target) --

    def effect(self, kind: str, target_cat: str | None) -> tuple[list[str], str]:
        rng = self.rng
        cap = [("max_amount", self.amount(10, 100))] if rng.random() < 0.12 else []
        if kind == "percent_off":
            pct = self.percent()
            pairs = [("percent_off", pct)]
            if rng.random() < 0.2:
                pairs.append(("max_units", str(rng.choice((1, 2, 3)))))
                if rng.random() < 0.3:
                    pairs.append(("choose", "most_expensive"))
            return [_flow(pairs + cap)], f"{pct.strip(chr(34))}% off"
        if kind == "amount_off":
            amt = self.amount(5, 50)
            return [_flow([("amount_off", amt)] + cap)], f"{amt.strip(chr(34))} off"
        if kind == "amount_off_each":
            amt = self.amount(2, 20)
            pairs = [("amount_off_each", amt)]
            if rng.random() < 0.3:
                pairs.append(("max_units", str(rng.choice((2, 3, 5)))))
            return [_flow(pairs + cap)], f"{amt.strip(chr(34))} off each"
        if kind == "fixed_price":
            low = CATEGORIES[target_cat][3][0] if target_cat else 10
            price = _money(max(1, low + rng.choice((0, 5, 10, -2))))
            pairs = [("fixed_price", price)]
            if rng.random() < 0.3:
                pairs.append(("max_units", str(rng.choice((1, 2, 3)))))
            return [_flow(pairs + cap)], f"only {price.strip(chr(34))} each"
        if kind == "buy_get":
            buy, get = rng.choice(((2, 1), (1, 1), (3, 1), (4, 2), (2, 2)))
            pairs = [("buy", str(buy)), ("get", str(get))]
            label = f"buy {buy} get {get} free"
            if rng.random() < 0.35:
                pct = rng.choice(("50", "30", "25"))
                pairs.append(("percent_off", pct))
                label = f"buy {buy} get {get} at {pct}% off"
            if rng.random() < 0.3:
                pairs.append(("max_applications", str(rng.choice((1, 2, 3)))))
            if rng.random() < 0.15:
                pairs.append(("choose", "most_expensive"))
            if rng.random() < 0.3:  # buy shoes, get socks: block style with get_target
                get_cat = rng.choice(("socks", "hats", "accessories", "t-shirts"))
                lines = [f"{k}: {v}" for k, v in pairs + cap]
                lines.append(f"get_target: {_expr(f'item.category == {_q(get_cat)}')}")
                return lines, f"{label} ({get_cat})"
            return [_flow(pairs + cap)], label
        if kind == "bundle":
            units = rng.choice((2, 3, 3, 5))
            price = _money(units * rng.choice((5, 8, 10, 12, 20, 25)))
            pairs = [("bundle", _flow([("units", str(units)), ("price", price)]))]
            if rng.random() < 0.3:
                pairs.append(("max_applications", str(rng.choice((1, 2, 4)))))
            return [_flow(pairs + cap)], f"{units} for {price.strip(chr(34))}"
        if kind == "tiers_subtotal":
            base = rng.choice((25, 50, 75, 100))
            steps = []
            for i, percent in enumerate(sorted(rng.sample((5, 10, 15, 20, 25),
                                                          rng.randint(2, 4)))):
                step = _flow([("at", _money(base * (i + 1))), ("percent_off", str(percent))])
                steps.append(f"    - {step}")
            return (["tiers:", "  by: subtotal", "  steps:", *steps]
                    + [f"{k}: {v}" for k, v in cap], "spend more, save more")
        if kind == "tiers_quantity":
            steps = []
            start = rng.choice((2, 3))
            for i, whole in enumerate(sorted(rng.sample((1, 2, 3, 5, 8), rng.randint(2, 3)))):
                step_kind = rng.choice(("amount_off_each", "amount_off_each", "percent_off"))
                value = _money(whole) if step_kind == "amount_off_each" else str(whole * 5)
                steps.append(f"    - {_flow([('at', str(start + 2 * i)), (step_kind, value)])}")
            return (["tiers:", "  by: quantity", "  steps:", *steps]
                    + [f"{k}: {v}" for k, v in cap], "buy more, save more")
        # shipping
        which = rng.choices(("free", "amount_off", "percent_off", "fixed_price"),
                            (50, 20, 15, 15))[0]
        value = {"free": "true", "amount_off": _money(rng.choice((2, 3, 4))),
                 "percent_off": str(rng.choice((25, 50))),
                 "fixed_price": _money(rng.choice((0, 1, 2)))}[which]
        label = "free shipping" if which == "free" else "cheaper shipping"
        return [_flow([("shipping", _flow([(which, value)]))] + cap)], label


_EFFECT_KINDS = ("percent_off", "amount_off", "amount_off_each", "fixed_price", "buy_get",
                 "bundle", "tiers_subtotal", "tiers_quantity", "shipping")
_EFFECT_WEIGHTS = (26, 12, 8, 6, 14, 7, 7, 5, 10)


def _promotion(gen: _Gen, index: int) -> list[str]:
    rng = gen.rng
    gen.window_dates = None
    kind = rng.choices(_EFFECT_KINDS, _EFFECT_WEIGHTS)[0]
    target: str | None = None
    label = "everything"
    target_cat: str | None = None
    needs_target = kind in ("amount_off_each", "fixed_price", "buy_get", "bundle")
    if kind != "shipping" and (needs_target or rng.random() < 0.85):
        target, label = gen.target()
        target_cat = next((c for c in CATEGORIES if f'"{c}"' in target), None)
    elif kind == "shipping" and rng.random() < 0.15:
        target, label = gen.target()  # harmless on shipping; seen in real files
    effect_lines, effect_label = gen.effect(kind, target_cat)

    coupon_kind = rng.random()
    codes: list[str] = []
    if coupon_kind < 0.22:
        codes = [gen.coupon_code()]
    elif coupon_kind < 0.27:
        codes = [gen.coupon_code() for _ in range(rng.randint(2, 5))]

    words = re.findall(r"[a-z0-9]+", f"{label if target else ''} {effect_label}".lower())
    slug = "-".join(w for w in words if w not in ("on", "and", "items", "from"))[:48]
    slug = slug.strip("-")
    out = [f"  - id: {slug}-{index:05d}"]
    if rng.random() < 0.9:
        name = effect_label if kind == "shipping" else f"{effect_label} on {label}"
        out.append(f"    name: {_q(name)}")
    if rng.random() < 0.15:
        campaign = f"Campaign {rng.randint(100, 999)}: ask merchandising before changing it."
        out.append(f"    description: {_q(campaign)}")
    if rng.random() < 0.7:
        out.append(f"    priority: {rng.choice((0, 10, 50, 100, 100, 150, 200, 300))}")
    if rng.random() < 0.6:
        out.append(f"    active: {gen.window()}")
    if len(codes) == 1:
        out.append(f"    coupon: {codes[0]}")
    elif codes:
        out.append(f"    coupons: [{', '.join(codes)}]")
    if rng.random() < 0.65:
        out.append(f"    when: {_expr(gen.when())}")
    if target is not None:
        out.append(f"    target: {_expr(target)}")
    if len(effect_lines) == 1:
        out.append(f"    effect: {effect_lines[0]}")
    else:
        out.append("    effect:")
        out.extend(f"      {line}" for line in effect_lines)
    if rng.random() < 0.4:
        limits = gen.limits(bool(codes))
        if limits:
            out.append(f"    limits: {limits}")
    if rng.random() < 0.15:
        out.append(f"    group: {'shipping' if kind == 'shipping' else rng.choice(GROUPS)}")
    if rng.random() < 0.01:
        out.append("    exclusive: true")
    return out


def generate_ruleset(n_promotions: int, seed: int = 0) -> str:
    """A ruleset of ``n_promotions`` promotions of mixed realistic shapes, as YAML text."""
    rng = random.Random(seed)
    gen = _Gen(rng)
    lines = [
        f"# Generated by benchmarks/generate.py: {n_promotions} promotions, seed {seed}.",
        f"ruleset: generated-{n_promotions}-s{seed}",
        "dsl: 1",
        f"name: {_q(f'Synthetic marketplace ruleset ({n_promotions} promotions)')}",
        f"currency: {CURRENCY}",
        f"timezone: {TIMEZONE}",
        f"rounding: {rng.choice(('half_even', 'half_even', 'half_up'))}",
        "",
        "stacking:",
        f"  coupons_per_order: {rng.choice((1, 1, 2))}",
        f"  coupon_with_automatic: {rng.choice(('true', 'true', 'false'))}",
        f"  base: {rng.choice(('discounted', 'original'))}",
        f"  max_discount: {_flow([('percent_of_subtotal', '50'), ('amount', _money(500))])}",
        "",
    ]
    if n_promotions <= 0:
        lines.append("promotions: []")
    else:
        lines.append("promotions:")
        for index in range(1, n_promotions + 1):
            if index > 1:
                lines.append("")
            lines.extend(_promotion(gen, index))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ carts


def generate_cart(n_lines: int, seed: int = 0, *,
                  coupons: Sequence[str] | None = None) -> dict[str, Any]:
    """A cart snapshot (plain, JSON-able data) of ``n_lines`` lines from the catalogue.

    ``coupons`` overrides the entered codes (by default: sometimes one of
    ``WELL_KNOWN_COUPONS``, which every ruleset of 10+ coupon promotions has).
    """
    rng = random.Random(seed)
    focus = rng.sample(tuple(CATEGORIES), 3)  # carts cluster around a few categories
    chosen: list[Product] = []
    pool = list(CATALOGUE)
    for _ in range(n_lines):
        if rng.random() < 0.6:
            candidates = [p for p in _BY_CATEGORY[rng.choice(focus)] if p not in chosen]
        else:
            candidates = [p for p in pool if p not in chosen]
        if not candidates:
            candidates = pool  # more lines than products: repeat a product on a new line
        chosen.append(rng.choice(candidates))
    lines = []
    for i, p in enumerate(chosen, start=1):
        attributes: dict[str, Any] = {}
        if rng.random() < 0.3:
            attributes["color"] = rng.choice(COLORS)
        if p.category in ("shoes", "kids") and rng.random() < 0.5:
            attributes["size"] = str(rng.randint(28, 46))
        lines.append({
            "id": f"l{i}",
            "sku": p.sku,
            "product": p.product,
            "category": p.category,
            "seller": p.seller,
            "brand": p.brand,
            "tags": list(p.tags),
            "unit_price": f"{p.unit_price:.2f}",
            "quantity": rng.choices((1, 2, 3, 4, 6), (60, 22, 10, 5, 3))[0],
            "attributes": attributes,
        })
    month = rng.randint(6, 9)
    at = dt.datetime(2026, month, rng.randint(1, 28), rng.randint(7, 23),
                     rng.choice((0, 15, 30, 45)))
    segments = sorted(rng.sample(SEGMENTS, rng.choices((0, 1, 2), (45, 40, 15))[0]))
    if coupons is None:
        coupons = [rng.choice(WELL_KNOWN_COUPONS)] if rng.random() < 0.4 else []
    method = rng.choice(tuple(SHIPPING_METHODS))
    return {
        "id": f"cart-{1000 + seed}",
        "currency": CURRENCY,
        "at": at.isoformat() + "+02:00",
        "customer": {
            "id": f"c-{rng.randint(1, 99999)}",
            "segments": segments,
            "orders": rng.choices((0, 1, 3, 8, 25), (25, 25, 25, 15, 10))[0],
            "attributes": {"country": rng.choice(COUNTRIES)},
        },
        "coupons": list(coupons),
        "lines": lines,
        "shipping": {"method": method, "price": SHIPPING_METHODS[method]},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--promotions", type=int, help="write a ruleset of N promotions")
    what.add_argument("--cart", type=int, metavar="LINES", help="write a cart of N lines")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.promotions is not None:
        sys.stdout.write(generate_ruleset(args.promotions, seed=args.seed))
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(generate_cart(args.cart, seed=args.seed),
                                        sort_keys=False, allow_unicode=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
