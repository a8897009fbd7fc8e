"""The priced shipping of a result: the one shipping, or each shipment, and the key a
promotion's part on either is kept under."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dsl.decimal_context import in_decimal_context
from dsl.records import record

from .result_json import _json_discounts, _money, _text


@record(order=True)
class ShipmentKey:
    """Where a promotion keeps its part on one shipment among its parts: a line's part
    is keyed by the line's id, the plain shipping's by ``None``."""

    id: str


PartKey = str | ShipmentKey | None
"""The key of one part of a promotion's discount: a line id, a shipment, the shipping."""


@record
class LineDiscount:
    """What one promotion took from a line, the shipping or a shipment."""

    promotion: str
    amount: Decimal


class _Priced:
    """A price and the promotions' discounts on it (the shipping, or one shipment): the
    money fields of its JSON, after the fields that say which it is."""

    price: Decimal
    discounts: tuple[LineDiscount, ...]

    @property
    @in_decimal_context
    def discount(self) -> Decimal:
        return sum((d.amount for d in self.discounts), self.price * 0)

    @property
    @in_decimal_context
    def final(self) -> Decimal:
        return self.price - self.discount

    def _money_dict(self) -> dict[str, Any]:
        return {"price": _money(self.price), "discount": _money(self.discount),
                "final": _money(self.final),
                "discounts": [{"promotion": d.promotion, "amount": _money(d.amount)}
                              for d in self.discounts]}

    def _money_json(self, inner: str, pad: str, discount: Decimal) -> str:
        """``_money_dict`` as ``to_json`` writes it; ``discount`` is ``self.discount``."""
        return (f'{inner}"price": "{_money(self.price)}",\n'
                f'{inner}"discount": "{_money(discount)}",\n'
                f'{inner}"final": "{_money(self.price - discount)}",\n'
                f'{inner}"discounts": '
                f'{_json_discounts([(d.promotion, d.amount) for d in self.discounts], inner)}'
                f'\n{pad}}}')


@record
class PricedShipping(_Priced):
    """The cart's shipping priced: its method, its price and what each promotion took."""

    method: str
    price: Decimal
    discounts: tuple[LineDiscount, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, **self._money_dict()}

    def _json(self, pad: str, discount: Decimal) -> str:
        """``to_dict`` as ``to_json`` writes it; ``discount`` is ``self.discount``."""
        inner = pad + "  "
        return (f'{{\n{inner}"method": {_text(self.method)},\n'
                + self._money_json(inner, pad, discount))


@record
class PricedShipment(_Priced):
    """One shipment of a cart that has ``shipments``: its price and what came off it."""

    id: str
    method: str
    seller: str
    price: Decimal
    discounts: tuple[LineDiscount, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "method": self.method, "seller": self.seller,
                **self._money_dict()}

    def _json(self, pad: str) -> str:
        """``to_dict`` as ``to_json`` writes it."""
        inner = pad + "  "
        return (f'{{\n{inner}"id": {_text(self.id)},\n'
                f'{inner}"method": {_text(self.method)},\n'
                f'{inner}"seller": {_text(self.seller)},\n'
                + self._money_json(inner, pad, self.discount))
