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
from .result_shipping import LineDiscount, PartKey, PricedShipment, PricedShipping, ShipmentKey
from .stacking import SHIPPING, PassState

if TYPE_CHECKING:
    from .program import Program


def _items_and_shipping(parts: dict[PartKey, Decimal], zero: Decimal) -> dict[str, Decimal]:
    """What a promotion took off the lines and off the shipping (or the shipments)."""
    if all(key.__class__ is str for key in parts):  # (most: lines alone)
        return {"items": sum(parts.values(), zero), "shipping": zero}
    return {"items": sum((v for k, v in parts.items() if isinstance(k, str)), zero),
            "shipping": sum((v for k, v in parts.items() if not isinstance(k, str)), zero)}


def priced_result(program: Program, cart: Cart, facts: Facts, at: str,
                  state: PassState, rejected: Rejections,
                  best_deal: BestDeal | None = None) -> Result:
    """The result of a pass: every line and the shipping priced, what applied.

    The lines' amounts are their facts' (already quantized); their discounts are
    the parts of the promotions that applied, in the order they applied, handed
    to the lines when the lines are read (``PricedLines``)."""
    zero = program.zero
    parts = [(entry.compiled.id, entry.parts) for entry in state.applied]
    applied = tuple(assembled(AppliedEntry, {
        "promotion": entry.compiled.id, "name": entry.compiled.promotion.name,
        "coupon": entry.coupon, "amount": entry.amount, **_items_and_shipping(entry.parts, zero),
        "note": entry.note, "metadata": entry.compiled.promotion.metadata or None})
        for entry in state.applied) if parts else ()
    shipping = None
    if cart.shipping is not None:
        shipping = assembled(PricedShipping, {
            "method": cart.shipping.method, "price": facts.cart["shipping_price"],
            "discounts": tuple(assembled(LineDiscount, {"promotion": promotion, "amount": amount})
                               for promotion, taken in parts
                               if (amount := taken.get(SHIPPING))) if parts else ()})
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
