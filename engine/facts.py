"""What conditions read about one cart: its facts, computed once per evaluation.

The names are the fields ``dsl.expr.types`` declares for ``cart``,
``customer`` and ``item`` (a test holds the two together); amounts are
quantized to the currency's minor unit, counts are ``Decimal`` like every
number of the condition language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dsl.expr.types import WEEKDAYS

from .cart import Cart


@dataclass(frozen=True)
class Facts:
    """What conditions can read about one cart, computed once per evaluation."""

    cart: dict[str, Any]
    customer: dict[str, Any]
    cart_attributes: dict[str, Any]
    customer_attributes: dict[str, Any]
    lines: list[dict[str, Any]]


def cart_facts(cart: Cart, at: dt.datetime, zone: ZoneInfo, quantum: Decimal) -> Facts:
    """The facts of ``cart`` priced at ``at`` (aware), seen in the ruleset's ``zone``."""
    q = quantum
    local = at.astimezone(zone)
    lines = [
        {
            "id": ln.id, "sku": ln.sku, "product": ln.product or ln.sku,
            "category": ln.category, "seller": ln.seller, "brand": ln.brand,
            "tags": tuple(ln.tags), "unit_price": ln.unit_price.quantize(q),
            "quantity": Decimal(ln.quantity), "total": ln.total.quantize(q),
            "attributes": dict(ln.attributes),
        }
        for ln in cart.lines
    ]
    shipping = cart.shipping
    return Facts(
        cart={
            "id": cart.id, "currency": cart.currency,
            "subtotal": cart.subtotal.quantize(q),
            "quantity": Decimal(sum(ln.quantity for ln in cart.lines)),
            "lines": Decimal(len(cart.lines)),
            "coupons": tuple(cart.codes),
            "at": at, "date": local.date(), "weekday": WEEKDAYS[local.weekday()],
            "hour": Decimal(local.hour),
            "shipping_method": shipping.method if shipping else "",
            "shipping_price": (shipping.price if shipping else Decimal(0)).quantize(q),
        },
        customer={"id": cart.customer.id, "segments": tuple(cart.customer.segments),
                  "orders": Decimal(cart.customer.orders)},
        cart_attributes=dict(cart.attributes),  # copies: reasons may be read later
        customer_attributes=dict(cart.customer.attributes),
        lines=lines,
    )
