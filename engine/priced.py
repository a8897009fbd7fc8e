"""The result of a pass: every line and the shipping priced, what applied.

``Program.evaluate`` makes it once the pass (and ``max_discount``) is done; the
priced lines and the reasons are made when first read (``PricedLines``,
``Rejections``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from .cart import Cart
from .facts import Facts
from .result import MOMENT, BestDeal, GiftLine, Moment, PricedLines, Rejections, Result
from .result import Applied as AppliedEntry
from .result_json import assembled
from .result_shipping import LineDiscount, PartKey, PricedShipment, PricedShipping, ShipmentKey
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


def _gathered(entries: list[Applied], zero: Decimal, lines_or_shipping: bool,
              ) -> tuple[list[tuple[str, dict[PartKey, Decimal]]], tuple[AppliedEntry, ...],
                         tuple[LineDiscount, ...], Sequence[GiftLine]]:
    """What the promotions that applied give the result, in one loop over them (a
    comprehension each cost more, for the few promotions of most carts): their parts
    (handed to the lines when read), what the result says of each, their discounts of
    the shipping, and their gift lines -- a gift whose part max_discount cut to zero is
    not given: its line would be sold (``entry.gifts`` stays whole: a replay of the
    pass takes what it took)."""
    parts: list[tuple[str, dict[PartKey, Decimal]]] = []
    applied: list[AppliedEntry] = []
    shipping: list[LineDiscount] = []
    gifts: list[GiftLine] = []
    for entry in entries:
        taken = entry.parts
        parts.append((entry.compiled.id, taken))
        applied.append(_applied(entry, zero, lines_or_shipping))
        if amount := taken.get(SHIPPING):
            shipping.append(assembled(LineDiscount, {"promotion": entry.compiled.id,
                                                     "amount": amount}))
        if entry.gifts:
            gifts += [gift for gift in entry.gifts if taken.get(gift.id)]
    return parts, tuple(applied), tuple(shipping), gifts


def priced_result(program: Program, cart: Cart, facts: Facts, at: Moment,
                  state: PassState, rejected: Rejections,
                  best_deal: BestDeal | None = None) -> Result:
    """The result of a pass: every line and the shipping priced, what applied.

    The lines' amounts are their facts' (already quantized); their discounts are
    the parts of the promotions that applied, in the order they applied, handed
    to the lines when the lines are read (``PricedLines``); ``at``, the evaluation's
    moment, is written when the result's ``at`` is first read."""
    zero = program.zero
    if state.applied:
        parts, applied, shipping_discounts, gifts = _gathered(state.applied, zero,
                                                              cart.shipments is None)
    else:  # (nothing applied, as for most carts: nothing to gather)
        parts, applied, shipping_discounts, gifts = [], (), (), ()
    shipping = None
    if cart.shipping is not None:
        shipping = assembled(PricedShipping, {
            "method": cart.shipping.method, "price": facts.cart["shipping_price"],
            "discounts": shipping_discounts})
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
        "currency": program.ruleset.currency,
        "lines": PricedLines(facts.lines, parts, gifts), "shipping": shipping,
        "applied": applied,
        "rejected": rejected, "capped": tuple(state.capped), "customer": cart.customer.id,
        "zero": zero, "shipments": shipments, "best_deal": best_deal, MOMENT: at})
