"""The best witness: a search for the cart that maximises an objective, priced by the
real engine (``Program.evaluate``).

Carts are drawn from the ruleset's vocabulary (``vocabulary.py``): first at random,
each aimed at one promotion (its code entered, a moment in its window), then
improved by hill climbing — one or two small changes at a time (a price, a
quantity, a line added or dropped, a tag, a segment, a code, the moment), kept
when the objective does not get worse.  Seeded: the same ruleset and seed give
the same witness.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from dsl.errors import PromoError
from dsl.model import Promotion, Ruleset

from .. import Cart, Program, Result, parse_cart
from .vocabulary import SHIPPING_PRICES, Vocabulary, first_code, local_moment

Objective = Callable[[Result], Fraction | None]
"""A cart's score from its result (higher is worse for the shop); ``None``: not a candidate."""

CartData = dict[str, Any]
MAX_SEARCH_LINES = 12  # lines of a searched cart: enough to stack, small enough to read
ITEM_TEXTS = ("category", "brand", "seller", "product", "sku")
ROUND_PRICES = ("1", "10", "100")  # what a witness's prices are brought down to, if it can


def discount_amount(result: Result) -> Fraction:
    """The whole discount, lines and shipping."""
    return Fraction(result.total_discount)


def discount_share(result: Result) -> Fraction | None:
    """The whole discount as a share of the subtotal (carts with a subtotal)."""
    subtotal = result.subtotal
    return Fraction(result.total_discount) / Fraction(subtotal) if subtotal > 0 else None


Roundings = Mapping[str, int]
"""Per promotion of several effects, how many they are: each effect rounds its part of
a line, so the line discount the result lists for the promotion was rounded that many
times (``roundings``; a promotion not in it: once)."""


def roundings(ruleset: Ruleset) -> dict[str, int]:
    """The ``Roundings`` of ``ruleset``'s promotions."""
    return {p.id: len(p.all_effects) for p in ruleset.promotions if len(p.all_effects) > 1}


def allowance(result: Result, minor_units: int, rounded: Roundings | None = None) -> Fraction:
    """Half a minor unit per line discount and shipping (or shipment) discount of
    ``result``, for each effect of the promotion that gave it: what rounding may add to
    the exact shares (docs/semantics.md#bound)."""
    times = rounded or {}
    count = sum(times.get(d.promotion, 1) for line in result.lines for d in line.discounts
                if d.amount)
    if result.shipping is not None:
        count += sum(times.get(d.promotion, 1) for d in result.shipping.discounts if d.amount)
    count += sum(times.get(d.promotion, 1) for shipment in result.shipments or ()
                 for d in shipment.discounts if d.amount)
    return Fraction(count, 2 * 10**minor_units)


def share_beyond_rounding(minor_units: int, rounded: Roundings | None = None) -> Objective:
    """The share of the subtotal the discount takes, its rounding allowance left out and
    to the nearest hundredth of a percent: a search for the largest share looks at
    what the promotions give, not at what rounding a cent gives, and of two carts
    with the same share keeps the smaller (shrinking)."""

    def share(result: Result) -> Fraction | None:
        subtotal = Fraction(result.subtotal)
        if subtotal <= 0:
            return None
        return _hundredths((Fraction(result.total_discount)
                            - allowance(result, minor_units, rounded))
                           / subtotal)

    return share


@dataclass
class Witness:
    """A concrete cart, its result and its score."""

    cart: CartData
    result: Result
    score: Fraction


@dataclass
class Found:
    """The best witness per objective, and the most each promotion gave on one cart."""

    witnesses: dict[str, Witness | None]
    per_promotion: dict[str, Decimal] = field(default_factory=dict)
    # of the subtotal: the share of the cart whose share beyond rounding was the largest
    share_per_promotion: dict[str, Fraction] = field(default_factory=dict)
    _ranked: dict[str, tuple[Fraction, Fraction]] = field(default_factory=dict)
    evaluated: int = 0


class Carts:
    """Random carts from a vocabulary, and small changes to them."""

    def __init__(self, ruleset: Ruleset, vocab: Vocabulary, rng: random.Random) -> None:
        self.ruleset, self.vocab, self.rng = ruleset, vocab, rng
        self.count = 0

    def _pick(self, values: list[Any], default: Any) -> Any:
        return self.rng.choice(values) if values else default

    def _some(self, values: list[str], chance: float) -> list[str]:
        return [v for v in values if self.rng.random() < chance]

    def line(self, number: int) -> dict[str, Any]:
        vocab, rng = self.vocab, self.rng
        line: dict[str, Any] = {"id": f"l{number}", "sku": f"SKU-{number}"}
        for name in ITEM_TEXTS:
            values = vocab.values(f"item.{name}")
            if values and rng.random() < 0.8:
                line[name] = rng.choice(values)
        tags = self._some(vocab.values("item.tags"), 0.3)
        if tags:
            line["tags"] = tags
        attributes = {key.split(".", 2)[2]: self._pick(vocab.values(key), "")
                      for key in vocab.strings if key.startswith("item.attributes.")}
        if attributes:
            line["attributes"] = attributes
        line["unit_price"] = str(self._pick(vocab.prices, Decimal(10)))
        line["quantity"] = self._pick(vocab.quantities, 1)
        return line

    def moment(self) -> str:
        return str(self._pick(self.vocab.moments, None).isoformat())

    def cart(self, aim: int | None = None) -> CartData:
        """A random cart; ``aim``: the index of a promotion it is meant to reach."""
        vocab, rng = self.vocab, self.rng
        moments = vocab.moments
        if aim is not None:
            promo = self.ruleset.promotions[aim]
            inside = [m for m in moments if promo.active is None or _inside(m, promo, self)]
            moments = inside or moments
        data: CartData = {
            "id": "bound-witness", "currency": self.ruleset.currency,
            "at": rng.choice(moments).isoformat(),
            "customer": {"id": "c-1", "segments": self._some(vocab.values("customer.segments"),
                                                             0.5),
                         "orders": int(self._pick(vocab.numbers.get("customer.orders", []),
                                                  rng.choice((0, 1, 5))))},
            "coupons": self._some(vocab.codes, 0.2)[:20],
            "lines": [self.line(k + 1) for k in range(rng.choice((1, 1, 2, 3, 4, 6)))],
        }
        if aim is not None and self.ruleset.promotions[aim].codes:
            code = first_code(self.ruleset.promotions[aim])
            data["coupons"] = [code] + [c for c in data["coupons"] if c != code][:19]
        if rng.random() < 0.8:
            if vocab.shipments and rng.random() < 0.5:
                data["shipments"] = self.shipments()
            else:
                data["shipping"] = self.shipping()
        attributes = {key.split(".", 2)[2]: self._pick(vocab.values(key), "")
                      for key in vocab.strings if key.startswith("cart.attributes.")}
        if attributes:
            data["attributes"] = attributes
        self.count += 1
        return data

    def shipping(self) -> dict[str, str]:
        prices = list(SHIPPING_PRICES) + list(self.vocab.numbers.get("cart.shipping_price", []))
        unit = Decimal(1).scaleb(-self.ruleset.minor_units)
        return {"method": self._pick(self.vocab.shipping_methods, "standard"),
                "price": str(Decimal(self.rng.choice(prices)).quantize(unit))}

    def shipments(self) -> list[dict[str, str]]:
        """One to four shipments, from the sellers and methods the conditions name."""
        sellers = self.vocab.values("shipment.seller") + self.vocab.values("item.seller")
        return [{"id": f"s{k}", "seller": self._pick(sellers, ""), **self.shipping()}
                for k in range(1, self.rng.choice((1, 2, 3, 4)) + 1)]

    def changed(self, data: CartData) -> CartData:
        """``data`` with one or two small changes."""
        out = _copied(data)
        for _ in range(self.rng.choice((1, 1, 2))):
            self.rng.choice(self._CHANGES)(self, out)
        return out

    def _price(self, data: CartData) -> None:
        line = self.rng.choice(data["lines"])
        line["unit_price"] = str(self._pick(self.vocab.prices, Decimal(10)))

    def _quantity(self, data: CartData) -> None:
        line = self.rng.choice(data["lines"])
        line["quantity"] = self.rng.choice(self.vocab.quantities)

    def _lines(self, data: CartData) -> None:
        lines = data["lines"]
        if len(lines) > 1 and self.rng.random() < 0.4:
            lines.pop(self.rng.randrange(len(lines)))
        elif len(lines) < MAX_SEARCH_LINES:
            self.count += 1
            number = 1 + max(int(line["id"][1:]) for line in lines)
            if self.rng.random() < 0.5:  # another line like one already there
                twin = copy.deepcopy(self.rng.choice(lines))
                twin.update(id=f"l{number}", sku=f"SKU-{number}")
                lines.append(twin)
            else:
                lines.append(self.line(number))

    def _item(self, data: CartData) -> None:
        line = self.rng.choice(data["lines"])
        fresh = self.line(0)
        for name in (*ITEM_TEXTS[:-1], "tags", "attributes"):  # (the sku stays the line's)
            if self.rng.random() < 0.5:
                if name in fresh:
                    line[name] = fresh[name]
                else:
                    line.pop(name, None)

    def _customer(self, data: CartData) -> None:
        segments = self.vocab.values("customer.segments")
        customer = data["customer"]
        if segments and self.rng.random() < 0.6:
            segment = self.rng.choice(segments)
            had = customer["segments"]
            customer["segments"] = [s for s in had if s != segment] if segment in had \
                else had + [segment]
        else:
            orders = self.vocab.numbers.get("customer.orders", [])
            customer["orders"] = int(self.rng.choice(list(orders) + [0, 1, 5]))

    def _code(self, data: CartData) -> None:
        if self.vocab.codes:
            code = self.rng.choice(self.vocab.codes)
            codes = data["coupons"]
            data["coupons"] = [c for c in codes if c != code] if code in codes \
                else (codes + [code])[:20]

    def _moment(self, data: CartData) -> None:
        data["at"] = self.moment()

    def _shipping(self, data: CartData) -> None:
        if self.vocab.shipments and self.rng.random() < 0.5:
            data.pop("shipping", None)
            data["shipments"] = self.shipments()
        elif "shipping" in data and self.rng.random() < 0.2:
            del data["shipping"]
        else:
            data.pop("shipments", None)
            data["shipping"] = self.shipping()

    _CHANGES = (_price, _price, _quantity, _quantity, _lines, _lines, _item, _customer,
                _code, _moment, _shipping)


def _copied(data: CartData) -> CartData:
    """A copy of cart data the changes can edit (``copy.deepcopy``, a third of the cost)."""
    out = {**data, "customer": {**data["customer"], "segments": list(
        data["customer"]["segments"])}, "coupons": list(data["coupons"]),
        "lines": [{**line, "tags": list(line["tags"])} if "tags" in line else dict(line)
                  for line in data["lines"]]}
    for key in ("shipping", "attributes"):
        if key in data:
            out[key] = dict(data[key])
    if "shipments" in data:
        out["shipments"] = [dict(shipment) for shipment in data["shipments"]]
    return out


def _inside(moment: dt.datetime, promo: Promotion, carts: Carts) -> bool:
    """Whether ``moment`` is in the promotion's window, and its schedule open then
    (as the engine reads them)."""
    window, zone = promo.active, carts.ruleset.zone
    assert window is not None
    schedule = window.schedule(zone)
    return (window.from_ is None or local_moment(window.from_, zone) <= moment) and \
        (window.until is None or moment < local_moment(window.until, zone)) and \
        (schedule is None or schedule.is_open(moment))


def evaluate_data(program: Program, data: CartData) -> Result | None:
    """The result of a cart written as data (``None`` when the engine refuses it)."""
    try:
        cart: Cart = parse_cart(data)
        return program.evaluate(cart)
    except PromoError:
        return None


def search(program: Program, vocab: Vocabulary, objectives: dict[str, Objective], *,
           tries: int = 1000, seed: int = 0, above: Fraction | None = None) -> Found:
    """Evaluate about ``tries`` carts; the best witness of each objective, made smaller
    while it scores as much (with ``above``: while it scores more than ``above``)."""
    rng = random.Random(seed)
    carts = Carts(program.ruleset, vocab, rng)
    found = Found({name: None for name in objectives})
    pools: dict[str, list[Witness]] = {name: [] for name in objectives}
    promotions = len(program.ruleset.promotions)

    def score(data: CartData) -> None:
        result = evaluate_data(program, data)
        found.evaluated += 1
        if result is None:
            return
        subtotal = Fraction(result.subtotal)
        parts = _parts_per_promotion(result) if subtotal > 0 else {}
        half = Fraction(1, 2 * 10**program.minor_units)
        for applied in result.applied:
            if applied.amount > found.per_promotion.get(applied.promotion, Decimal(-1)):
                found.per_promotion[applied.promotion] = applied.amount
            if subtotal > 0:
                amount = Fraction(applied.amount)
                # the share beyond rounding, to a hundredth of a percent; of two carts
                # with the same, the larger (where rounding weighs least)
                ranked = (_hundredths((amount - half * parts.get(applied.promotion, 0))
                                      / subtotal), subtotal)
                if ranked > found._ranked.get(applied.promotion, (Fraction(-1), Fraction(0))):
                    found._ranked[applied.promotion] = ranked
                    found.share_per_promotion[applied.promotion] = amount / subtotal
        for name, objective in objectives.items():
            value = objective(result)
            if value is None:
                continue
            pool = pools[name]
            pool.append(Witness(data, result, value))
            pool.sort(key=lambda w: w.score, reverse=True)
            del pool[4:]

    explore = max(1, tries * 2 // 5)
    for k in range(explore):  # each promotion aimed at in turn, then at random
        aim = (k if k < promotions else rng.randrange(promotions)) if promotions else None
        score(carts.cart(aim if k < promotions or rng.random() < 0.8 else None))
    for k in range((tries - explore) // max(1, len(objectives))):
        for name in objectives:
            pool = pools[name]
            if pool:
                start = pool[k % len(pool)] if k % 5 else pool[0]
                score(carts.changed(start.cart))
    for name, objective in objectives.items():
        best = pools[name][0] if pools[name] else None
        found.witnesses[name] = shrunk(program, best, objective, above, max(100, tries // 4)) \
            if best is not None else None
    return found


def _hundredths(share: Fraction) -> Fraction:
    """A share to the nearest hundredth of a percent."""
    return Fraction(round(share * 10_000), 10_000)


def _parts_per_promotion(result: Result) -> dict[str, int]:
    """How many line and shipping discounts each applied promotion has (each may carry
    half a minor unit of rounding)."""
    counts: dict[str, int] = {}
    discounts = [d for line in result.lines for d in line.discounts]
    if result.shipping is not None:
        discounts += result.shipping.discounts
    discounts += [d for shipment in result.shipments or () for d in shipment.discounts]
    for discount in discounts:
        if discount.amount:
            counts[discount.promotion] = counts.get(discount.promotion, 0) + 1
    return counts


def _smaller(data: CartData) -> list[CartData]:
    """``data`` with one thing less: a line, a unit, the shipping, a code, a segment, a tag."""
    out = []
    lines = data["lines"]
    if len(lines) > 1:
        out += [{**data, "lines": lines[:k] + lines[k + 1:]} for k in range(len(lines))]
    for k, line in enumerate(lines):
        if line["quantity"] > 1:
            out.append({**data, "lines": lines[:k] + [{**line, "quantity": 1}] + lines[k + 1:]})
        written = Decimal(line["unit_price"])
        for price in ROUND_PRICES:
            if Decimal(price) < written:  # (written with the same decimals)
                lower = str(Decimal(price).quantize(written))
                out.append({**data, "lines": lines[:k] + [{**line, "unit_price": lower}]
                            + lines[k + 1:]})
        for name in ("tags", "attributes", *ITEM_TEXTS[:-1]):
            if line.get(name):
                lean = {key: value for key, value in line.items() if key != name}
                out.append({**data, "lines": lines[:k] + [lean] + lines[k + 1:]})
    if "shipping" in data:
        out.append({key: value for key, value in data.items() if key != "shipping"})
    for code in data["coupons"]:
        out.append({**data, "coupons": [c for c in data["coupons"] if c != code]})
    customer = data["customer"]
    for segment in customer["segments"]:
        out.append({**data, "customer": {**customer, "segments": [
            s for s in customer["segments"] if s != segment]}})
    return out


def shrunk(program: Program, witness: Witness, objective: Objective,
           above: Fraction | None = None, budget: int = 500) -> Witness:
    """A smaller cart that scores at least as much, or more than ``above`` (easier to read
    as a rule test); at most ``budget`` carts priced."""
    while True:
        for smaller in _smaller(witness.cart):
            if budget <= 0:
                return witness
            budget -= 1
            result = evaluate_data(program, smaller)
            value = objective(result) if result is not None else None
            if value is not None and (value > above if above is not None
                                      else value >= witness.score):
                witness = Witness(smaller, result, value)  # type: ignore[arg-type]
                break
        else:
            return witness
