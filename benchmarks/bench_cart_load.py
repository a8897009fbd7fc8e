"""How fast is a cart read: JSON text → ``Cart``, against ``json.loads`` and hand-written checks?

    python -m benchmarks.bench_cart_load                  # 1, 10 and 50 lines, indented JSON
    python -m benchmarks.bench_cart_load --compact --rounds 40 --seed 3

A service reads a cart on every request.  For carts of 1, 10 and 50 lines
(``benchmarks/generate.py``, written as JSON text), printed per size:

* ``baseline``: ``json.loads(text)`` then ``hand_checked(data)``, below: the
  checks ``parse_cart`` makes, written by hand as a service without promorules
  would (object and key checks, required keys, texts and their lengths, lists
  and their caps, decimal strings with at most the currency's decimals and at
  most 10^15, quantities, unique line ids, line totals and the subtotal, the
  currency, ``at`` parsed as ISO-8601 within the years, bounded attributes),
  converting as it goes (``Decimal`` prices, a ``datetime``);
* ``parse_cart``: ``json.loads(text)`` then ``engine.parse_cart(data)``, what
  the HTTP service does;
* ``load_cart_text``: ``engine.load_cart_text(text)``, text in, ``Cart`` out;

each with its ratio to the baseline (the target: within 2x).  The timings are
medians over ``--rounds`` rounds in which the three alternate (each round runs
every cart of the size ``--carts`` times per contender), so load on a shared
machine falls on all three alike.

Before timing, the hand-written checks are checked against ``parse_cart`` on
the valid carts and on invalid variants of them (each refused by both), so the
baseline does not win by checking less.  Printed figures, no assertion on time.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import re
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from dsl.currencies import MINOR_UNITS
from engine import CartError, load_cart_text, parse_cart

from .generate import generate_cart

SIZES = (("small", 1), ("medium", 10), ("large", 50))
TARGET = 2.0

# ------------------------------------------------------------------ the hand-written checks

MAX_TEXT, MAX_LINES, MAX_COUPONS, MAX_TAGS = 100, 1000, 20, 50
MAX_COUNT, MAX_AMOUNT, MAX_NUMBER = 10**9, Decimal(10) ** 15, 10**15
ATTRIBUTE_VALUES, ATTRIBUTE_DEPTH, ATTRIBUTE_TEXT = 100, 4, 4000
CART_KEYS = {"id", "currency", "at", "customer", "coupons", "lines", "shipping", "attributes"}
LINE_KEYS = {"id", "sku", "product", "category", "seller", "brand", "tags", "unit_price",
             "quantity", "attributes"}
CUSTOMER_KEYS = {"id", "segments", "orders", "attributes"}
SHIPPING_KEYS = {"method", "price"}
DECIMAL = re.compile(r"[0-9]+(?:\.([0-9]+))?")


class Invalid(ValueError):
    """The cart is refused."""


def _object(value: Any, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{where}: expected an object")
    if not value.keys() <= keys:
        raise Invalid(f"{where}: unknown keys {sorted(value.keys() - keys)}")
    return value


def _string(value: Any, where: str, required: bool = False) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or required and not value:
        raise Invalid(f"{where}: expected a text of 1 to {MAX_TEXT} characters")
    return value


def _strings(value: Any, most: int, where: str) -> list[str]:
    if not isinstance(value, list) or len(value) > most:
        raise Invalid(f"{where}: expected a list of at most {most}")
    return [_string(item, f"{where}[{k}]") for k, item in enumerate(value)]


def _whole(value: Any, least: int, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or \
            not least <= value <= MAX_COUNT:
        raise Invalid(f"{where}: expected a whole number from {least} to {MAX_COUNT}")
    return value


def _money(value: Any, decimals: int, where: str) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, str) and (found := DECIMAL.fullmatch(value.strip())):
        if len(found.group(1) or "") > decimals:
            raise Invalid(f"{where}: more decimals than the currency has")
        amount = Decimal(value.strip())
    else:
        raise Invalid(f'{where}: expected a decimal string such as "19.99"')
    if not 0 <= amount <= MAX_AMOUNT:
        raise Invalid(f"{where}: out of bounds")
    return amount


def _bounded(value: Any, where: str) -> dict[str, Any]:
    """Attributes: a mapping of at most 100 values, 4 levels, 4,000 characters of text."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise Invalid(f"{where}: expected an object")
    count = text = 0
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (dict, list)):
            if depth > ATTRIBUTE_DEPTH:
                raise Invalid(f"{where}: nested too deep")
            count += len(item)
            if isinstance(item, dict):
                text += sum(len(str(k)) for k in item)
                todo.extend((v, depth + 1) for v in item.values())
            else:
                todo.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            text += len(item)
        elif isinstance(item, float) and not abs(item) <= MAX_NUMBER or \
                isinstance(item, int) and abs(item) > MAX_NUMBER:
            raise Invalid(f"{where}: a number out of bounds")
        if count > ATTRIBUTE_VALUES or text > ATTRIBUTE_TEXT:
            raise Invalid(f"{where}: too large")
    return dict(value)


def hand_checked(data: Any) -> dict[str, Any]:
    """The cart in ``data`` (parsed JSON), checked and converted by hand."""
    cart = _object(data, CART_KEYS, "cart")
    if "id" not in cart or "currency" not in cart:
        raise Invalid("cart: id and currency are required")
    currency = cart["currency"]
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        raise Invalid("currency: unknown")
    decimals = MINOR_UNITS[currency]
    at = cart.get("at")
    if at is not None:
        if not isinstance(at, str) or len(at) > MAX_TEXT:
            raise Invalid("at: expected an ISO-8601 text")
        try:
            at = dt.datetime.fromisoformat(at.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Invalid("at: expected an ISO-8601 text") from None
        if not 1900 <= at.year <= 9000:
            raise Invalid("at: out of range")
    customer = _object(cart.get("customer", {}), CUSTOMER_KEYS, "customer")
    lines, ids, subtotal = [], set(), Decimal(0)
    listed = cart.get("lines", [])
    if not isinstance(listed, list) or len(listed) > MAX_LINES:
        raise Invalid(f"lines: expected a list of at most {MAX_LINES}")
    for k, raw in enumerate(listed):
        where = f"lines[{k}]"
        line = _object(raw, LINE_KEYS, where)
        if "id" not in line or "sku" not in line or "unit_price" not in line or \
                "quantity" not in line:
            raise Invalid(f"{where}: id, sku, unit_price and quantity are required")
        line_id = _string(line["id"], f"{where}.id", required=True)
        if line_id in ids:
            raise Invalid(f"{where}.id: duplicate")
        ids.add(line_id)
        price = _money(line["unit_price"], decimals, f"{where}.unit_price")
        quantity = _whole(line["quantity"], 1, f"{where}.quantity")
        total = price * quantity
        if total > MAX_AMOUNT:
            raise Invalid(f"{where}: total out of bounds")
        subtotal += total
        lines.append({
            "id": line_id, "sku": _string(line["sku"], f"{where}.sku", required=True),
            **{name: _string(line.get(name, ""), f"{where}.{name}")
               for name in ("product", "category", "seller", "brand")},
            "tags": _strings(line.get("tags", []), MAX_TAGS, f"{where}.tags"),
            "unit_price": price, "quantity": quantity,
            "attributes": _bounded(line.get("attributes", {}), f"{where}.attributes")})
    if subtotal > MAX_AMOUNT:
        raise Invalid("lines: subtotal out of bounds")
    shipping = cart.get("shipping")
    if shipping is not None:
        _object(shipping, SHIPPING_KEYS, "shipping")
        if "method" not in shipping or "price" not in shipping:
            raise Invalid("shipping: method and price are required")
        shipping = {"method": _string(shipping["method"], "shipping.method", required=True),
                    "price": _money(shipping["price"], decimals, "shipping.price")}
    return {
        "id": _string(cart["id"], "id", required=True), "currency": currency, "at": at,
        "customer": {"id": _string(customer.get("id", ""), "customer.id"),
                     "segments": _strings(customer.get("segments", []), MAX_TAGS,
                                          "customer.segments"),
                     "orders": _whole(customer.get("orders", 0), 0, "customer.orders"),
                     "attributes": _bounded(customer.get("attributes", {}),
                                            "customer.attributes")},
        "coupons": _strings(cart.get("coupons", []), MAX_COUPONS, "coupons"),
        "lines": lines, "shipping": shipping,
        "attributes": _bounded(cart.get("attributes", {}), "attributes"),
    }


# ------------------------------------------------------------------ honesty check

def _invalid_variants(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Carts refused by ``parse_cart``, one change each."""
    def changed(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        out = copy.deepcopy(data)
        edit(out)
        return out

    line = "lines"
    return [
        changed(lambda d: d.pop("currency")),
        changed(lambda d: d.update(currency="XXX")),
        changed(lambda d: d.update(id="")),
        changed(lambda d: d.update(at="yesterday")),
        changed(lambda d: d.update(at="1200-01-01T00:00:00Z")),
        changed(lambda d: d.update(extra=1)),
        changed(lambda d: d.update(coupons=["X"] * 21)),
        changed(lambda d: d[line][0].update(unit_price=19.99)),
        changed(lambda d: d[line][0].update(unit_price="19.999")),
        changed(lambda d: d[line][0].update(unit_price="-1.00")),
        changed(lambda d: d[line][0].update(unit_price="1e3")),
        changed(lambda d: d[line][0].update(unit_price=str(10**16))),
        changed(lambda d: d[line][0].update(quantity=0)),
        changed(lambda d: d[line][0].update(quantity=True)),
        changed(lambda d: d[line][0].update(quantity="2")),
        changed(lambda d: d[line][0].update(quantity=10**9 + 1)),
        changed(lambda d: d[line][0].update(sku="x" * 101)),
        changed(lambda d: d[line][0].update(tags=["t"] * 51)),
        changed(lambda d: d[line][0].update(colour="red")),
        changed(lambda d: d[line][0].pop("sku")),
        changed(lambda d: d[line][0].update(attributes={"a": {"b": {"c": {"d": [1]}}}})),
        changed(lambda d: d[line][0].update(attributes={"k": "x" * 4001})),
        changed(lambda d: d[line].append(dict(d[line][0]))),
        changed(lambda d: d.update(customer={"orders": -1})),
        changed(lambda d: d.update(shipping={"method": "", "price": "1.00"})),
    ]


def check_the_baseline(carts: list[dict[str, Any]]) -> tuple[int, int]:
    """Valid carts pass both; every invalid variant is refused by both."""
    valid = invalid = 0
    for data in carts:
        parse_cart(data)
        hand_checked(data)
        valid += 1
        for bad in _invalid_variants(data):
            try:
                parse_cart(bad)
            except CartError:
                pass
            else:  # pragma: no cover - a variant the engine accepts is no variant
                raise AssertionError(f"parse_cart accepts a variant: {bad}")
            try:
                hand_checked(bad)
            except Invalid:
                invalid += 1
            else:
                raise AssertionError(f"the hand-written checks accept what parse_cart refuses: "
                                     f"{bad}")
    return valid, invalid


# ------------------------------------------------------------------ timing

def measure(texts: list[str], rounds: int, repeat: int) -> dict[str, float]:
    """Median µs per cart of each contender, over rounds in which they alternate."""
    loads = json.loads
    contenders: dict[str, Callable[[str], Any]] = {
        "baseline": lambda text: hand_checked(loads(text)),
        "parse_cart": lambda text: parse_cart(loads(text)),
        "load_cart_text": load_cart_text,
    }
    for fn in contenders.values():  # warm
        for text in texts:
            fn(text)
    per_round: dict[str, list[float]] = {name: [] for name in contenders}
    clock = time.perf_counter
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = clock()
            for _ in range(repeat):
                for text in texts:
                    fn(text)
            per_round[name].append((clock() - start) / (repeat * len(texts)) * 1e6)
    return {name: statistics.median(values) for name, values in per_round.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--carts", type=int, default=8, help="distinct carts per size")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--compact", action="store_true",
                        help="compact JSON text (as an HTTP client sends) instead of indented")
    args = parser.parse_args(argv)
    rows = []
    checked = [0, 0]
    for label, lines in SIZES:
        carts = [generate_cart(lines, seed=args.seed * 1000 + k) for k in range(args.carts)]
        valid, invalid = check_the_baseline(carts[:2])
        checked[0] += valid
        checked[1] += invalid
        texts = [json.dumps(c) if args.compact else json.dumps(c, indent=2) for c in carts]
        repeat = max(1, 200 // lines)
        got = measure(texts, args.rounds, repeat)
        rows.append((label, lines, sum(map(len, texts)) / len(texts), got))
    print(f"cart loading: JSON text ({'compact' if args.compact else 'indented'}) → Cart, "
          f"µs per cart (median of {args.rounds} alternating rounds)")
    print(f"(hand-written checks agree with parse_cart on {checked[0]} valid carts and refuse "
          f"all {checked[1]} invalid variants it refuses)")
    head = f"{'cart':>14}  {'bytes':>6}  {'baseline':>9}  {'parse_cart':>10}  {'ratio':>6}  " \
           f"{'load_cart_text':>14}  {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for label, lines, size, got in rows:
        base = got["baseline"]
        print(f"{label + f' ({lines} l)':>14}  {size:6,.0f}  {base:9.1f}  "
              f"{got['parse_cart']:10.1f}  {got['parse_cart'] / base:5.2f}x  "
              f"{got['load_cart_text']:14.1f}  {got['load_cart_text'] / base:5.2f}x")
    print(f"(baseline: json.loads + hand_checked; parse_cart: json.loads + engine.parse_cart; "
          f"target: within {TARGET:g}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
