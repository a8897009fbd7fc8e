"""The result of a pass: every line and the shipping priced, what applied.

``Program.evaluate`` makes it once the pass (and ``max_discount``) is done; the
priced lines and the reasons are made when first read (``PricedLines``,
``Rejections``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from .cart import Cart
from .facts import Facts
from .result import Applied as AppliedEntry
from .result import BestDeal, PricedLines, Rejections, Result
from .result_json import assembled
from .result_shipping import LineDiscount, PricedShipment, PricedShipping, ShipmentKey
from .stacking import SHIPPING, Applied, PassState

ZERO = Decimal(0)

if TYPE_CHECKING:
    from .program import Program


def _applied(entry: Applied, zero: Decimal, lines_or_shipping: bool) -> AppliedEntry:
    """What the result says of a promotion that applied; ``lines_or_shipping``: the cart
    has no shipments (its parts are lines, and the shipping under ``SHIPPING``)."""
    parts = entry.parts
    amount = sum(parts.values(), ZERO)  # (as ``Applied.amount``)
    if lines_or_shipping and parts and SHIPPING not in parts:  # (most: lines alone)
        items, shipping = amount, zero
    else:
        items = sum((v for k, v in parts.items() if isinstance(k, str)), zero)
        shipping = sum((v for k, v in parts.items() if not isinstance(k, str)), zero)
    promotion = entry.compiled.promotion
    return assembled(AppliedEntry, {
        "promotion": entry.compiled.id, "name": promotion.name, "coupon": entry.coupon,
        "amount": amount, "items": items, "shipping": shipping, "note": entry.note,
        "metadata": promotion.metadata or None})


def priced_result(program: Program, cart: Cart, facts: Facts, at: str,
                  state: PassState, rejected: Rejections,
                  best_deal: BestDeal | None = None) -> Result:
    """The result of a pass: every line and the shipping priced, what applied.

    The lines' amounts are their facts' (already quantized); their discounts are
    the parts of the promotions that applied, in the order they applied, handed
    to the lines when the lines are read (``PricedLines``)."""
    zero = program.zero
    parts = [(entry.compiled.id, entry.parts) for entry in state.applied] \
        if state.applied else []  # (no list made by a comprehension when none applied)
    plain = cart.shipments is None
    applied = tuple([_applied(entry, zero, plain) for entry in state.applied]) if parts else ()
    shipping = None
    if cart.shipping is not None:
        shipping = assembled(PricedShipping, {
            "method": cart.shipping.method, "price": facts.cart["shipping_price"],
            # (a list made, not a generator run: most carts have no shipping discount)
            "discounts": tuple([assembled(LineDiscount, {"promotion": promotion,
                                                         "amount": amount})
                                for promotion, taken in parts
                                if (amount := taken.get(SHIPPING))]) if parts else ()})
    shipments = None
    if cart.shipments is not None:
        shipments = tuple(assembled(PricedShipment, {
            "id": shipment["id"], "method": shipment["method"], "seller": shipment["seller"],
            "price": shipment["price"],
            "discounts": tuple(assembled(LineDiscount, {"promotion": promotion, "amount": amount})
                               for promotion, taken in parts
                               if (amount := taken.get(ShipmentKey(shipment["id"]))))})
            for shipment in facts.shipments)
    return assembled(Result, {
        "ruleset": program.ruleset.ruleset, "cart": cart.id,
        "currency": program.ruleset.currency, "at": at,
        # a gift whose part max_discount cut to zero is not given: its line would be
        # sold (``entry.gifts`` stays whole: a replay of the pass takes what it took)
        "lines": PricedLines(facts.lines, parts, [gift for entry in state.applied
                                                  for gift in entry.gifts
                                                  if entry.parts.get(gift.id)] if parts else ()),
        "shipping": shipping, "applied": applied,
        "rejected": rejected, "capped": tuple(state.capped), "customer": cart.customer.id,
        "zero": zero, "shipments": shipments, "best_deal": best_deal})
