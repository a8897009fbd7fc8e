"""The priced result of an evaluation, and its stable JSON form.

Amounts are ``Decimal`` here and decimal strings (with the currency's minor
units) in JSON.  ``schemas/result.schema.json`` documents the JSON.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, overload


def _money(value: Decimal) -> str:
    return format(value, "f")


@dataclass(frozen=True)
class LineDiscount:
    promotion: str
    amount: Decimal


@dataclass(frozen=True)
class PricedLine:
    id: str
    sku: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    discounts: tuple[LineDiscount, ...]

    @property
    def discount(self) -> Decimal:
        return sum((d.amount for d in self.discounts), self.total * 0)

    @property
    def final_total(self) -> Decimal:
        return self.total - self.discount

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sku": self.sku,
            "quantity": self.quantity,
            "unit_price": _money(self.unit_price),
            "total": _money(self.total),
            "discount": _money(self.discount),
            "final_total": _money(self.final_total),
            "discounts": [{"promotion": d.promotion, "amount": _money(d.amount)}
                          for d in self.discounts],
        }


@dataclass(frozen=True)
class PricedShipping:
    method: str
    price: Decimal
    discounts: tuple[LineDiscount, ...]

    @property
    def discount(self) -> Decimal:
        return sum((d.amount for d in self.discounts), self.price * 0)

    @property
    def final(self) -> Decimal:
        return self.price - self.discount

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "price": _money(self.price),
            "discount": _money(self.discount),
            "final": _money(self.final),
            "discounts": [{"promotion": d.promotion, "amount": _money(d.amount)}
                          for d in self.discounts],
        }


@dataclass(frozen=True)
class Applied:
    """A promotion that moved money, and how much."""

    promotion: str
    name: str | None
    coupon: str | None
    amount: Decimal
    items: Decimal
    shipping: Decimal
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "promotion": self.promotion,
            "name": self.name,
            "coupon": self.coupon,
            "amount": _money(self.amount),
            "items": _money(self.items),
            "shipping": _money(self.shipping),
        }
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class Rejected:
    """A promotion or an entered coupon that did not apply, and why."""

    promotion: str | None
    coupon: str | None
    code: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"promotion": self.promotion, "coupon": self.coupon, "code": self.code,
                "reason": self.reason}


class Rejections(Sequence[Rejected]):
    """The rejections of a result, worked out the first time they are read.

    Behaves as the tuple it computes (and compares equal to it)."""

    def __init__(self, compute: Callable[[], tuple[Rejected, ...]]) -> None:
        self._compute: Callable[[], tuple[Rejected, ...]] | None = compute
        self._items: tuple[Rejected, ...] = ()
        self._lock = threading.Lock()

    def _get(self) -> tuple[Rejected, ...]:
        if self._compute is not None:
            with self._lock:
                if self._compute is not None:
                    self._items = self._compute()
                    self._compute = None  # drops the evaluation it kept alive
        return self._items

    @overload
    def __getitem__(self, index: int) -> Rejected: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Rejected, ...]: ...

    def __getitem__(self, index: int | slice) -> Rejected | tuple[Rejected, ...]:
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[Rejected]:
        return iter(self._get())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rejections):
            other = other._get()
        return isinstance(other, tuple) and self._get() == other

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return repr(self._get())

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and deep-copied as the rejections themselves."""
        return _computed, (self._get(),)


def _computed(items: tuple[Rejected, ...]) -> Rejections:
    return Rejections(lambda: items)


@dataclass(frozen=True)
class Cap:
    """A cap that cut a promotion's discount: its own ``max_amount`` or the ruleset's."""

    promotion: str
    source: str  # "max_amount" | "max_discount" | "budget"
    before: Decimal
    after: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"promotion": self.promotion, "cap": self.source,
                "before": _money(self.before), "after": _money(self.after)}


@dataclass(frozen=True)
class Result:
    """Priced lines, totals, and every promotion's fate."""

    ruleset: str
    cart: str
    currency: str
    at: str
    lines: tuple[PricedLine, ...]
    shipping: PricedShipping | None
    applied: tuple[Applied, ...]
    rejected: Sequence[Rejected]  # a tuple, or ``Rejections`` worked out when read
    capped: tuple[Cap, ...] = field(default=())
    customer: str = ""
    zero: Decimal = Decimal(0)  # zero with the currency's minor units, e.g. 0.00

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), self.zero)

    @property
    def item_discount(self) -> Decimal:
        return sum((line.discount for line in self.lines), self.zero)

    @property
    def total_discount(self) -> Decimal:
        shipping = self.shipping.discount if self.shipping else self.zero
        return self.item_discount + shipping

    @property
    def total(self) -> Decimal:
        items = sum((line.final_total for line in self.lines), self.zero)
        return items + (self.shipping.final if self.shipping else self.zero)

    def applied_ids(self) -> list[str]:
        return [a.promotion for a in self.applied]

    def rejection(self, promotion: str) -> Rejected | None:
        return next((r for r in self.rejected if r.promotion == promotion), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "cart": self.cart,
            "currency": self.currency,
            "at": self.at,
            "subtotal": _money(self.subtotal),
            "total_discount": _money(self.total_discount),
            "total": _money(self.total),
            "lines": [line.to_dict() for line in self.lines],
            "shipping": self.shipping.to_dict() if self.shipping else None,
            "applied": [a.to_dict() for a in self.applied],
            "rejected": [r.to_dict() for r in self.rejected],
            "capped": [c.to_dict() for c in self.capped],
        }

    def to_json(self) -> str:
        """Stable JSON: same input, same bytes."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
