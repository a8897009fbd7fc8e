"""The types of condition expressions and the fields a cart snapshot offers.

This is the single declaration of what a ``when:``, ``target:`` or
``shipment_target:`` expression may name (``Context``).  The engine's cart
snapshot provides exactly these fields (a test holds the two together);
``attributes.*`` under ``cart``, ``customer`` and ``item`` is the open door for
shop-specific data and has type ``any``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

MAX_LENGTH = 4000
"""Longest expression accepted, in characters (the parser refuses longer ones, the
schemas give it as ``maxLength``)."""


class Type(str, Enum):
    NUMBER = "number"
    MONEY = "money"
    STRING = "string"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    STRING_LIST = "list of strings"
    NUMBER_LIST = "list of numbers"
    EMPTY_LIST = "empty list"
    ANY = "any"

    def __str__(self) -> str:
        return self.value

    @property
    def numeric(self) -> bool:
        return self in (Type.NUMBER, Type.MONEY, Type.ANY)

    @property
    def temporal(self) -> bool:
        return self in (Type.DATE, Type.DATETIME, Type.ANY)

    @property
    def is_list(self) -> bool:
        return self in (Type.STRING_LIST, Type.NUMBER_LIST, Type.EMPTY_LIST, Type.ANY)


def element_type(list_type: Type) -> Type:
    return {
        Type.STRING_LIST: Type.STRING,
        Type.NUMBER_LIST: Type.NUMBER,
        Type.EMPTY_LIST: Type.ANY,
        Type.ANY: Type.ANY,
    }[list_type]


def comparable(a: Type, b: Type) -> bool:
    """Can ``a == b`` be asked?  Money compares with money or numbers only."""
    if Type.ANY in (a, b):
        return True
    if a.numeric and b.numeric:
        return True
    if a.temporal and b.temporal:
        return True
    if a.is_list and b.is_list:
        return Type.EMPTY_LIST in (a, b) or a == b
    return a == b


def orderable(a: Type, b: Type) -> bool:
    """Can ``a < b`` be asked?  Numbers and money, or dates and datetimes."""
    if Type.ANY in (a, b):
        return a.numeric or a.temporal or b.numeric or b.temporal
    return (a.numeric and b.numeric) or (a.temporal and b.temporal)


class Field(NamedTuple):
    """One name an expression can use, with its type and a one-line meaning.

    ``nonnegative`` and ``whole`` are what every cart guarantees of a number: the
    lint reasons with them (``cart.quantity < 0`` can never be true)."""

    type: Type
    doc: str
    nonnegative: bool = False
    whole: bool = False


CART_FIELDS: dict[str, Field] = {
    "id": Field(Type.STRING, "the cart's id"),
    "currency": Field(Type.STRING, "ISO 4217 code of the cart"),
    "subtotal": Field(Type.MONEY, "sum of the original line totals (items only)",
                      nonnegative=True),
    "quantity": Field(Type.NUMBER, "units in the cart (sum of line quantities)",
                      nonnegative=True, whole=True),
    "lines": Field(Type.NUMBER, "number of lines (distinct products)", nonnegative=True,
                   whole=True),
    "coupons": Field(Type.STRING_LIST, "coupon codes entered, normalised"),
    "at": Field(Type.DATETIME, "evaluation time"),
    "date": Field(Type.DATE, "evaluation date in the ruleset's timezone"),
    "weekday": Field(Type.STRING, "evaluation weekday in the ruleset's timezone: mon .. sun"),
    "hour": Field(Type.NUMBER, "evaluation hour (0-23) in the ruleset's timezone",
                  nonnegative=True, whole=True),
    "shipping_method": Field(Type.STRING, "the chosen shipping method ('' if none)"),
    "shipping_price": Field(Type.MONEY, "the original shipping price (0 if none)",
                            nonnegative=True),
}

CUSTOMER_FIELDS: dict[str, Field] = {
    "id": Field(Type.STRING, "the customer's id ('' for a guest)"),
    "segments": Field(Type.STRING_LIST, "segments the customer belongs to"),
    "orders": Field(Type.NUMBER, "orders the customer placed before this one",
                    nonnegative=True, whole=True),
}

ITEM_FIELDS: dict[str, Field] = {
    "id": Field(Type.STRING, "the line's id"),
    "sku": Field(Type.STRING, "stock keeping unit"),
    "product": Field(Type.STRING, "product id"),
    "category": Field(Type.STRING, "category"),
    "seller": Field(Type.STRING, "seller (marketplaces)"),
    "brand": Field(Type.STRING, "brand ('' if none)"),
    "tags": Field(Type.STRING_LIST, "tags"),
    "unit_price": Field(Type.MONEY, "original price of one unit", nonnegative=True),
    "quantity": Field(Type.NUMBER, "units on the line", nonnegative=True, whole=True),
    "total": Field(Type.MONEY, "original line total: unit_price x quantity",
                   nonnegative=True),
}

SHIPMENT_FIELDS: dict[str, Field] = {
    "id": Field(Type.STRING, "the shipment's id"),
    "method": Field(Type.STRING, "its shipping method"),
    "price": Field(Type.MONEY, "its original price", nonnegative=True),
    "seller": Field(Type.STRING, "who ships it ('' if not given; marketplaces)"),
}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The values of ``cart.weekday``, Monday first (as ``date.weekday()`` numbers them)."""

SCOPES: dict[str, dict[str, Field]] = {
    "cart": CART_FIELDS,
    "customer": CUSTOMER_FIELDS,
    "item": ITEM_FIELDS,
    "shipment": SHIPMENT_FIELDS,
}


class Context(str, Enum):
    """What a condition is about: the cart, one line (``item.*``: ``target``) or one
    shipment (``shipment.*``: ``shipment_target``)."""

    CART = "cart"
    ITEM = "item"
    SHIPMENT = "shipment"

    def __str__(self) -> str:
        return self.value



def fields_where(test: Callable[[Field], bool]) -> frozenset[str]:
    """Dotted names (``cart.subtotal``) of the declared fields that pass ``test``."""
    return frozenset(f"{scope}.{name}" for scope, fields in SCOPES.items()
                     for name, field in fields.items() if test(field))


ATTRIBUTES = "attributes"
"""``<scope>.attributes.<name>`` reads shop-specific data; bare ``attributes.<name>``
is the cart's.  A shipment has no attributes."""
SCOPES_WITH_ATTRIBUTES = ("cart", "customer", "item")


class Function(NamedTuple):
    """A function over the cart's lines: its argument runs once per line."""

    name: str
    min_args: int
    max_args: int
    doc: str
    allows_where: bool = False


FUNCTIONS: dict[str, Function] = {
    "any": Function("any", 1, 1, "true if some line satisfies the condition"),
    "all": Function("all", 1, 1, "true if every line satisfies the condition"),
    "count": Function("count", 0, 1, "units (quantities) of the lines that satisfy the condition"),
    "lines": Function("lines", 0, 1, "number of lines that satisfy the condition"),
    "sum": Function("sum", 1, 1, "sum of a per-line number over lines (optionally `where`)",
                    allows_where=True),
    "min": Function("min", 1, 1, "smallest per-line value (optionally `where`); 0 if none",
                    allows_where=True),
    "max": Function("max", 1, 1, "largest per-line value (optionally `where`); 0 if none",
                    allows_where=True),
}
