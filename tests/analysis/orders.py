"""Order histories for the replay tests: generated carts, in time order."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from benchmarks.generate import generate_cart, generate_ruleset


def history(count: int, seed: int = 0, customers: int = 30) -> list[dict[str, Any]]:
    """``count`` generated orders in time order; a few customers order again and again
    (so per-customer limits bite), and every 17th order is a guest's."""
    rng = random.Random(seed)
    orders = []
    for i in range(count):
        cart = generate_cart(rng.choice((3, 6, 10)), seed=seed * 100_000 + i)
        cart["id"] = f"o-{i:05d}"
        cart["customer"]["id"] = "" if i % 17 == 0 else f"c-{rng.randrange(customers)}"
        orders.append(cart)
    orders.sort(key=lambda c: (c["at"], c["id"]))
    return orders


def write_lines(path: Path, orders: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in orders), encoding="utf-8")
    return path


def write_ruleset(path: Path, promotions: int = 100, seed: int = 1) -> Path:
    path.write_text(generate_ruleset(promotions, seed=seed), encoding="utf-8")
    return path


def flat_rows(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The orders in the flat layout: one row per line item (README "Order history")."""
    rows = []
    for order in orders:
        customer = order["customer"]
        for line in order["lines"]:
            rows.append({
                "order_id": order["id"], "at": order["at"], "currency": order["currency"],
                "customer_id": customer["id"],
                "customer_segments": ";".join(customer["segments"]),
                "customer_orders": str(customer["orders"]),
                "customer_attributes": json.dumps(customer["attributes"]),
                "coupons": ";".join(order["coupons"]), "line_id": line["id"],
                "sku": line["sku"], "product": line["product"], "category": line["category"],
                "seller": line["seller"], "brand": line["brand"], "tags": ";".join(line["tags"]),
                "line_attributes": json.dumps(line["attributes"]),
                "unit_price": line["unit_price"], "quantity": str(line["quantity"]),
                "shipping_method": order["shipping"]["method"],
                "shipping_price": order["shipping"]["price"]})
    return rows
