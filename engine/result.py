"""The priced result of an evaluation, and its stable JSON form.

Amounts are ``Decimal`` here and decimal strings (with the currency's minor
units) in JSON.  ``schemas/result.schema.json`` documents the JSON.
"""

from __future__ import annotations

import abc
import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import field
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar, overload

from dsl.decimal_context import in_decimal_context
from dsl.records import record

from .facts import COUNT_INTS
from .result_json import (
    _json_discounts,
    _json_items,
    _json_list,
    _money,
    _or_null,
    _text,
    assembled,
)
from .result_shipping import LineDiscount, PartKey, PricedShipment, PricedShipping


class GiftLine(NamedTuple):
    """A line a gift promotion adds to the result (docs/semantics.md#gifts): not in the
    cart, so no condition sees it and no other promotion discounts it."""

    id: str  # gift:<promotion>:<sku>
    sku: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    name: str | None
    product: str | None
    category: str | None

    def described(self) -> dict[str, Any]:
        """What the result says of the gift beyond a line's fields."""
        return {"gift": True, **{key: value for key, value in (
            ("name", self.name), ("product", self.product), ("category", self.category))
            if value is not None}}


@record
class PricedLine:
    """One line of the result: the cart's line, its total, what each promotion took."""

    id: str
    sku: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    discounts: tuple[LineDiscount, ...]
    gift: GiftLine | None = None  # set on the line a gift promotion added

    @property
    @in_decimal_context
    def discount(self) -> Decimal:
        return sum((d.amount for d in self.discounts), self.total * 0)

    @property
    @in_decimal_context
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
            **(self.gift.described() if self.gift is not None else {}),
        }

    @property
    def row(self) -> LineRow:
        return self.id, self.sku, self.quantity, self.unit_price, self.total, \
            [(d.promotion, d.amount) for d in self.discounts], self.gift


LineRow = tuple[str, str, int, Decimal, Decimal, Sequence[tuple[str, Decimal]],
                GiftLine | None]
"""A priced line's fields: id, sku, quantity, unit price, total, its discounts as
``(promotion, amount)``, and the gift it is (``None`` for a cart line)."""


def _gift_json(gift: GiftLine, pad: str) -> str:
    """What ``GiftLine.described`` adds to a line, as ``to_json`` writes it."""
    return "".join(f',\n{pad}{_text(key)}: ' + ("true" if value is True else _text(value))
                   for key, value in gift.described().items())


def _line_json(row: LineRow, pad: str) -> tuple[str, Decimal]:
    """A line's ``to_dict`` as ``to_json`` writes it, and the line's discount."""
    line_id, sku, quantity, unit_price, total, discounts, gift = row
    discount = sum((amount for _, amount in discounts), total * 0)  # as PricedLine.discount
    inner = pad + "  "
    return (f'{{\n{inner}"id": {_text(line_id)},\n{inner}"sku": {_text(sku)},\n'
            f'{inner}"quantity": {int.__repr__(quantity)},\n'
            f'{inner}"unit_price": "{_money(unit_price)}",\n'
            f'{inner}"total": "{_money(total)}",\n'
            f'{inner}"discount": "{_money(discount)}",\n'
            f'{inner}"final_total": "{_money(total - discount)}",\n'
            f'{inner}"discounts": {_json_discounts(discounts, inner)}'
            f'{_gift_json(gift, inner) if gift is not None else ""}\n{pad}}}'), discount


T_co = TypeVar("T_co", covariant=True)


class LazyTuple(Sequence[T_co], abc.ABC):
    """A tuple made the first time it is read (``_get``); behaves as that tuple and
    compares equal to it.  A result's lines and rejections are such tuples: most
    callers of a checkout never read them whole."""

    @abc.abstractmethod
    def _get(self) -> tuple[T_co, ...]:
        """The tuple, made on the first call."""

    @overload
    def __getitem__(self, index: int) -> T_co: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T_co, ...]: ...

    def __getitem__(self, index: int | slice) -> T_co | tuple[T_co, ...]:
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[T_co]:
        return iter(self._get())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyTuple):
            other = other._get()
        return isinstance(other, tuple) and self._get() == other

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return repr(self._get())


class PricedLines(LazyTuple[PricedLine]):
    """The priced lines of a result, made when first read: the cart's lines, then the
    gift lines of the promotions that applied, in the order they applied.

    An evaluation keeps each line's facts (id, sku, quantized unit price and total)
    and the parts of the promotions that applied; a service that writes the result as JSON
    never needs the ``PricedLine`` objects (``Result.to_json`` writes the rows), and
    making one per line was a fifth of pricing a 50-line cart against a small ruleset.
    Behaves as the tuple it makes (and compares equal to it)."""

    def __init__(self, facts: Sequence[dict[str, Any]],
                 parts: Sequence[tuple[str, dict[PartKey, Decimal]]],
                 gifts: Sequence[GiftLine] = ()) -> None:
        self._facts = facts  # the evaluation's own copies: nothing changes them
        self._parts = parts  # (promotion, its parts by line id), in the order they applied
        self._gifts = gifts
        self._lines: tuple[PricedLine, ...] | None = None

    def rows(self) -> Iterator[LineRow]:
        parts, count_ints = self._parts, COUNT_INTS
        for line in self._facts:
            line_id, number = line["id"], line["quantity"]
            yield (line_id, line["sku"], count_ints.get(number) or int(number), line["unit_price"],
                   line["total"], [(promotion, amount) for promotion, taken in parts
                                   if (amount := taken.get(line_id))], None)
        for gift in self._gifts:
            yield (gift.id, gift.sku, gift.quantity, gift.unit_price, gift.total,
                   [(promotion, amount) for promotion, taken in parts
                    if (amount := taken.get(gift.id))], gift)

    def _get(self) -> tuple[PricedLine, ...]:
        if self._lines is None:  # (two threads may both make them: equal tuples)
            self._lines = tuple(
                assembled(PricedLine, {"id": id_, "sku": sku, "quantity": quantity,
                                       "unit_price": price, "total": total,
                                       "discounts": tuple(
                                           assembled(LineDiscount, {"promotion": promotion,
                                                                    "amount": amount})
                                           for promotion, amount in discounts),
                                       "gift": gift})
                for id_, sku, quantity, price, total, discounts, gift in self.rows())
        return self._lines

    def __len__(self) -> int:
        return len(self._facts) + len(self._gifts)  # without making the lines

    @property
    def gifts(self) -> Sequence[GiftLine]:
        """The gift lines (the last lines), without making the lines."""
        return self._gifts

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and deep-copied as the lines themselves."""
        return tuple, (self._get(),)


@record
class Applied:
    """A promotion that moved money, and how much."""

    promotion: str
    name: str | None
    coupon: str | None
    amount: Decimal
    items: Decimal
    shipping: Decimal
    note: str | None = None
    metadata: dict[str, str] | None = None  # the promotion's, when it has any

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
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        return data

    def _json(self, pad: str) -> str:
        """``to_dict`` as ``to_json`` writes it."""
        inner = pad + "  "
        note = f',\n{inner}"note": {_text(self.note)}' if self.note else ""
        if self.metadata:
            entries = ",\n".join(f'{inner}  {_text(key)}: {_text(value)}'
                                  for key, value in self.metadata.items())
            note += f',\n{inner}"metadata": {{\n{entries}\n{inner}}}'
        return (f'{{\n{inner}"promotion": {_text(self.promotion)},\n'
                f'{inner}"name": {_or_null(self.name)},\n'
                f'{inner}"coupon": {_or_null(self.coupon)},\n'
                f'{inner}"amount": "{_money(self.amount)}",\n'
                f'{inner}"items": "{_money(self.items)}",\n'
                f'{inner}"shipping": "{_money(self.shipping)}"{note}\n{pad}}}')


@record
class Rejected:
    """A promotion or an entered coupon that did not apply, and why."""

    promotion: str | None
    coupon: str | None
    code: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"promotion": self.promotion, "coupon": self.coupon, "code": self.code,
                "reason": self.reason}

    def _json(self, pad: str) -> str:
        """``to_dict`` as ``to_json`` writes it."""
        inner = pad + "  "
        return (f'{{\n{inner}"promotion": {_or_null(self.promotion)},\n'
                f'{inner}"coupon": {_or_null(self.coupon)},\n'
                f'{inner}"code": {_text(self.code)},\n'
                f'{inner}"reason": {_text(self.reason)}\n{pad}}}')


class Rejections(LazyTuple[Rejected]):
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
                    self._items = _worked_out(self._compute)
                    self._compute = None  # drops the evaluation it kept alive
        return self._items

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and deep-copied as the rejections themselves."""
        return _computed, (self._get(),)


@in_decimal_context
def _worked_out(compute: Callable[[], tuple[Rejected, ...]]) -> tuple[Rejected, ...]:
    """``compute()`` in the engine's decimal context: rejections are worked out when
    first read, in whatever context the reader is in."""
    return compute()


def _computed(items: tuple[Rejected, ...]) -> Rejections:
    return Rejections(lambda: items)


@record
class Cap:
    """A cap that cut a promotion's discount: its own ``max_amount`` or the ruleset's."""

    promotion: str
    source: str  # "max_amount" | "max_discount" | "budget"
    before: Decimal
    after: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"promotion": self.promotion, "cap": self.source,
                "before": _money(self.before), "after": _money(self.after)}

    def _json(self, pad: str) -> str:
        """``to_dict`` as ``to_json`` writes it."""
        inner = pad + "  "
        return (f'{{\n{inner}"promotion": {_text(self.promotion)},\n'
                f'{inner}"cap": {_text(self.source)},\n'
                f'{inner}"before": "{_money(self.before)}",\n'
                f'{inner}"after": "{_money(self.after)}"\n{pad}}}')


@record
class BestDeal:
    """How ``stacking.mode: best_deal`` chose the promotions that applied
    (docs/semantics.md#best-deal)."""

    method: str  # "exact" (branch and bound) | "fallback" (local improvement)
    candidates: int  # eligible promotions that move money on their own
    sets: int  # sets of promotions priced
    chosen: tuple[str, ...]  # in evaluation order
    amount: Decimal  # the chosen set's total discount, after max_discount
    fallback: str | None = None  # why the search was not exact

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "candidates": self.candidates, "sets": self.sets,
                "chosen": list(self.chosen), "amount": _money(self.amount),
                "fallback": self.fallback}

    def _json(self, pad: str) -> str:
        """``to_dict`` as ``to_json`` writes it."""
        inner = pad + "  "
        chosen = _json_list([f"{inner}  {_text(c)}" for c in self.chosen], inner)
        return (f'{{\n{inner}"method": {_text(self.method)},\n'
                f'{inner}"candidates": {self.candidates},\n{inner}"sets": {self.sets},\n'
                f'{inner}"chosen": {chosen},\n{inner}"amount": "{_money(self.amount)}",\n'
                f'{inner}"fallback": {_or_null(self.fallback)}\n{pad}}}')


def moment_text(local: dt.datetime) -> str:
    """A moment as a result and its reasons show it: ISO 8601, to the second (a moment
    without microseconds, most, is written as it is, which costs less than asking for
    the seconds)."""
    return local.isoformat(timespec="seconds") if local.microsecond else local.isoformat()


class Moment:
    """The moment an evaluation prices at, on the ruleset's clock, and its text
    (``moment_text``) written once, when first read: the result's ``at`` and the
    reasons about windows read the same text."""

    __slots__ = ("_text", "local")

    def __init__(self, local: dt.datetime) -> None:
        self.local = local
        self._text: str | None = None

    @property
    def text(self) -> str:
        text = self._text
        if text is None:  # (two threads: equal texts)
            text = self._text = moment_text(self.local)
        return text


MOMENT = "_moment"
"""Where a result made by ``priced_result`` keeps the ``Moment`` its ``at`` reads."""


@record
class Result:
    """Priced lines, totals, and every promotion's fate."""

    ruleset: str
    cart: str
    currency: str
    at: str
    lines: Sequence[PricedLine]  # a tuple, or ``PricedLines`` made when read
    shipping: PricedShipping | None
    applied: tuple[Applied, ...]
    rejected: Sequence[Rejected]  # a tuple, or ``Rejections`` worked out when read
    capped: tuple[Cap, ...] = field(default=())
    customer: str = ""
    zero: Decimal = Decimal(0)  # zero with the currency's minor units, e.g. 0.00
    shipments: tuple[PricedShipment, ...] | None = None  # a cart with shipments only
    best_deal: BestDeal | None = None  # with stacking.mode: best_deal only

    @property
    @in_decimal_context
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), self.zero)

    @property
    @in_decimal_context
    def item_discount(self) -> Decimal:
        return sum((line.discount for line in self.lines), self.zero)

    @property
    @in_decimal_context
    def shipping_discount(self) -> Decimal:
        """What came off the shipping, or off all the shipments together."""
        if self.shipments is not None:
            return sum((shipment.discount for shipment in self.shipments), self.zero)
        return self.shipping.discount if self.shipping else self.zero

    @property
    @in_decimal_context
    def shipping_final(self) -> Decimal:
        """What the shipping costs, or all the shipments together, after the discounts."""
        if self.shipments is not None:
            return sum((shipment.final for shipment in self.shipments), self.zero)
        return self.shipping.final if self.shipping else self.zero

    @property
    @in_decimal_context
    def total_discount(self) -> Decimal:
        return self.item_discount + self.shipping_discount

    @property
    @in_decimal_context
    def total(self) -> Decimal:
        items = sum((line.final_total for line in self.lines), self.zero)
        return items + self.shipping_final

    @property
    def gifts(self) -> Sequence[GiftLine]:
        """The lines gift promotions added (docs/semantics.md#gifts)."""
        if isinstance(self.lines, PricedLines):
            return self.lines.gifts
        return [line.gift for line in self.lines if line.gift is not None]

    def applied_ids(self) -> list[str]:
        return [a.promotion for a in self.applied]

    def rejection(self, promotion: str) -> Rejected | None:
        return next((r for r in self.rejected if r.promotion == promotion), None)

    @in_decimal_context
    def to_dict(self) -> dict[str, Any]:
        data = {
            "ruleset": self.ruleset,
            "cart": self.cart,
            "currency": self.currency,
            "at": self.at,
            "subtotal": _money(self.subtotal),
            "total_discount": _money(self.total_discount),
            "total": _money(self.total),
            "lines": [line.to_dict() for line in self.lines],
            "shipping": self.shipping.to_dict() if self.shipping else None,
        }
        if self.shipments is not None:  # (a cart without shipments: the JSON it always had)
            data["shipments"] = [shipment.to_dict() for shipment in self.shipments]
        data = {**data,
                "applied": [a.to_dict() for a in self.applied],
                "rejected": [r.to_dict() for r in self.rejected],
                "capped": [c.to_dict() for c in self.capped]}
        if self.best_deal is not None:
            data["best_deal"] = self.best_deal.to_dict()
        return data

    @in_decimal_context
    def to_json(self) -> str:
        """Stable JSON: same input, same bytes (those of ``json.dumps(self.to_dict(),
        indent=2, ensure_ascii=False)`` and a line break, written without the dicts)."""
        zero = self.zero
        subtotal = item_discount = items_final = zero  # as the properties add them up
        lines = []
        rows = self.lines.rows() if isinstance(self.lines, PricedLines) else \
            (line.row for line in self.lines)
        for row in rows:
            written, discount = _line_json(row, "    ")
            total = row[4]
            subtotal += total
            item_discount += discount
            items_final += total - discount
            lines.append("    " + written)
        shipping, shipping_discount, shipping_final = "null", zero, zero
        if self.shipping is not None:
            shipping_discount = self.shipping.discount
            shipping_final = self.shipping.price - shipping_discount
            shipping = self.shipping._json("  ", shipping_discount)
        shipments = ""
        if self.shipments is not None:
            shipping_discount, shipping_final = self.shipping_discount, self.shipping_final
            shipments = f'  "shipments": {_json_items(self.shipments)},\n'
        best_deal = "" if self.best_deal is None else \
            f',\n  "best_deal": {self.best_deal._json("  ")}'
        return (f'{{\n  "ruleset": {_text(self.ruleset)},\n  "cart": {_text(self.cart)},\n'
                f'  "currency": {_text(self.currency)},\n  "at": {_text(self.at)},\n'
                f'  "subtotal": "{_money(subtotal)}",\n'
                f'  "total_discount": "{_money(item_discount + shipping_discount)}",\n'
                f'  "total": "{_money(items_final + shipping_final)}",\n'
                f'  "lines": {_json_list(lines, "  ")},\n'
                f'  "shipping": {shipping},\n{shipments}'
                f'  "applied": {_json_items(self.applied)},\n'
                f'  "rejected": {_json_items(self.rejected)},\n'
                f'  "capped": {_json_items(self.capped)}{best_deal}\n'
                "}\n")


class _WrittenWhenRead:
    """``Result.at``: a result ``priced_result`` made keeps its ``Moment`` and writes
    ``at`` when first read (writing a moment with its offset costs as much as the facts
    of a line or two, and most callers of a checkout never read it); a result made
    by its constructor holds ``at`` as given.  A data descriptor for this one field:
    ``__getattr__`` would make every other attribute of a result slower to read."""

    def __get__(self, result: Result | None, owner: type | None = None) -> Any:
        if result is None:  # (the class's own attribute: what ``dataclasses`` reads)
            return self
        found = result.__dict__
        if "at" not in found:
            found["at"] = found[MOMENT].text  # (two threads: equal texts)
        return found["at"]

    def __set__(self, result: Result, value: str) -> None:
        result.__dict__["at"] = value  # (the constructor's ``object.__setattr__``)


setattr(Result, "at", _WrittenWhenRead())  # noqa: B010  (after the record is made)
