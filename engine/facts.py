"""What conditions read about one cart: its facts, computed once per evaluation.

The names are the fields ``dsl.expr.types`` declares for ``cart``,
``customer`` and ``item`` (a test holds the two together); amounts are
quantized to the currency's minor unit, counts are ``Decimal`` like every
number of the condition language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dsl.expr import nodes as n
from dsl.expr.types import ATTRIBUTES, WEEKDAYS
from dsl.records import record

from .cart import Cart
from .result_json import assembled

ZERO = Decimal(0)
# Quantities as the condition language's numbers: most are small, and a lookup
# costs less than building the Decimal for every line of every cart.
_COUNTS = tuple(Decimal(k) for k in range(1024))
# And back: a line's quantity as an ``int`` (effects and the result's rows count in
# ints), ``COUNT_INTS.get(number) or int(number)``: the shared counts keep their hash,
# and a lookup costs a fifth of converting the ``Decimal``.
COUNT_INTS = {number: k for k, number in enumerate(_COUNTS)}
_NO_ATTRIBUTES: dict[str, Any] = {}  # the facts of every line without attributes

READ_APART = frozenset({"item.product", "item.tags", "item.attributes", "cart.attributes",
                        "customer.attributes"})
"""The facts made differently from the cart's own value (a default, a tuple, a copy):
made only when a condition reads them (``fields_read``); the others keep the cart's."""


def fields_read(conditions: Iterable[n.Node | None]) -> frozenset[str]:
    """Which of ``READ_APART`` the conditions read (every one, should one be unknown).

    What else reads a line's facts (the effects, the result) reads its id, sku,
    quantity, unit price and total, which are always made."""
    found: set[str] = set()
    stack: list[n.Node] = []
    for node in conditions:
        if node is None:
            return READ_APART
        stack.append(node)
    while stack:
        node = stack.pop()
        if isinstance(node, n.Path):
            parts = ("cart", *node.parts) if node.parts[0] == ATTRIBUTES else node.parts
            found.add(".".join(parts[:2]))
        else:
            stack.extend(node.children())
    return READ_APART & found


def count(value: int) -> Decimal:
    """A whole count as a ``Decimal`` (shared for small counts: decimals are immutable)."""
    return _COUNTS[value] if 0 <= value < 1024 else Decimal(value)


@record
class Facts:
    """What conditions can read about one cart, computed once per evaluation."""

    cart: dict[str, Any]
    customer: dict[str, Any]
    cart_attributes: dict[str, Any]
    customer_attributes: dict[str, Any]
    lines: list[dict[str, Any]]
    # the cart's shipments (id, method, price, seller); plain shipping is one, with id ""
    shipments: list[dict[str, Any]] = field(default_factory=list)
    # line id → its total as in its facts: what a pass starts from (made with the facts,
    # in the same loop; empty: read from ``lines``)
    totals: dict[str, Decimal] = field(default_factory=dict)
    # the cart's moment on the ruleset's clock (the date, weekday and hour above are its;
    # an evaluation shows it): worked out once per cart
    local: dt.datetime | None = field(default=None, compare=False, repr=False)


def line_facts(cart: Cart, quantum: Decimal, reads: frozenset[str] = READ_APART,
               ) -> tuple[list[dict[str, Any]], dict[str, Decimal], Decimal, int]:
    """The facts of each line, each line's total by id, the cart's subtotal (exact, not
    quantized) and its units.

    A line's facts start as a copy of the line's own fields (a pydantic model keeps
    exactly its fields in ``__dict__``; copying that dict costs less than writing
    the eleven keys out), then the values conditions read differently are replaced:
    the amounts are quantized, the quantity is a ``Decimal``, the total is added;
    and, when ``reads`` names them (``fields_read``), the product defaults to the sku,
    tags are a tuple and the attributes a copy (reasons may be read later).  No
    condition reads the others: they stay the line's own.
    """
    lines: list[dict[str, Any]] = []
    append = lines.append
    totals: dict[str, Decimal] = {}
    subtotal = ZERO
    units = 0
    counts = _COUNTS
    product, tags, attributes = ("item.product" in reads, "item.tags" in reads,
                                 "item.attributes" in reads)
    for line in cart.lines:
        facts = line.__dict__.copy()
        price, quantity = facts["unit_price"], facts["quantity"]
        units += quantity
        if product and not facts["product"]:
            facts["product"] = facts["sku"]
        if tags:
            facts["tags"] = tuple(facts["tags"])
        number = facts["quantity"] = counts[quantity] if 0 <= quantity < 1024 \
            else Decimal(quantity)
        # exact: at most 10^15 (the cart's own bound)
        if price.same_quantum(quantum):
            # (most prices: written with the currency's decimals, quantizing them would
            # give the same number, and their total is whole minor units already; one
            # unit's total is its price, the number the product would make)
            total = facts["total"] = totals[facts["id"]] = price if quantity == 1 \
                else price * number
            subtotal += total
        else:
            shown = facts["unit_price"] = price.quantize(quantum)
            if shown == price:  # (fewer decimals: the total is whole minor units too)
                total = facts["total"] = totals[facts["id"]] = shown if quantity == 1 \
                    else shown * number
                subtotal += total
            else:
                total = price * number
                subtotal += total
                facts["total"] = totals[facts["id"]] = total.quantize(quantum)
        if attributes:
            # a copy (reasons may be read later), or the one empty mapping no condition
            # changes
            facts["attributes"] = facts["attributes"].copy() if facts["attributes"] \
                else _NO_ATTRIBUTES
        append(facts)
    return lines, totals, subtotal, units


def cart_facts(cart: Cart, at: dt.datetime, zone: ZoneInfo, quantum: Decimal,
               reads: frozenset[str] = READ_APART) -> Facts:
    """The facts of ``cart`` priced at ``at`` (aware), seen in the ruleset's ``zone``;
    of ``READ_APART``, those ``reads`` names (the others keep the cart's own values)."""
    q = quantum
    local = at.astimezone(zone)
    lines, totals, subtotal, units = line_facts(cart, q, reads)
    shipments = shipment_facts(cart, q)
    customer = cart.customer
    return assembled(Facts, {
        "cart": {
            "id": cart.id, "currency": cart.currency,
            "subtotal": subtotal.quantize(q),
            "quantity": count(units),
            "lines": count(len(lines)),
            "coupons": tuple(cart.codes) if cart.coupons else (),
            "at": at, "date": local.date(), "weekday": WEEKDAYS[local.weekday()],
            "hour": _COUNTS[local.hour],  # (0 to 23)
            "shipping_method": shipments[0]["method"] if len(shipments) == 1
            else shipping_method(shipments),
            # (plain shipping: the one shipment's price, already quantized)
            "shipping_price": shipments[0]["price"] if cart.shipping is not None
            else cart.shipping_price.quantize(q),
        },
        "customer": {"id": customer.id, "segments": tuple(customer.segments),
                     "orders": count(customer.orders)},
        # copies: reasons may be read later
        "cart_attributes": cart.attributes.copy() if "cart.attributes" in reads
        else cart.attributes,
        "customer_attributes": customer.attributes.copy() if "customer.attributes" in reads
        else customer.attributes,
        "lines": lines,
        "shipments": shipments,
        "totals": totals,
        "local": local,
    })


def shipment_facts(cart: Cart, quantum: Decimal) -> list[dict[str, Any]]:
    """What a ``shipment_target`` reads of each shipment: the cart's shipments, or its
    one ``shipping`` as a shipment with id "" and seller "" (none without shipping)."""
    if cart.shipments is not None:
        return [{"id": s.id, "method": s.method, "price": s.price.quantize(quantum),
                 "seller": s.seller} for s in cart.shipments]
    if cart.shipping is not None:
        return [{"id": "", "method": cart.shipping.method,
                 "price": cart.shipping.price.quantize(quantum), "seller": ""}]
    return []


def shipping_method(shipments: list[dict[str, Any]]) -> str:
    """``cart.shipping_method``: the method every shipment shares ('' if none, or if
    they differ)."""
    if len(shipments) == 1:  # (plain shipping)
        method: str = shipments[0]["method"]
        return method
    methods = {shipment["method"] for shipment in shipments}
    return methods.pop() if len(methods) == 1 else ""
