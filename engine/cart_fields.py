"""The values a cart snapshot is made of: prices, texts, counts, attributes, and
their bounds (README "Limits").  The cart's models are in ``cart.py``."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from dsl.codes import (
    CART_AMOUNT_TOO_LARGE,
    CART_ATTRIBUTES_TOO_LARGE,
    CART_BAD_TIME,
    CART_CURRENCY,
    CART_FLOAT_PRICE,
    CART_INVALID,
    CART_NUMBER_OUT_OF_BOUNDS,
    CART_TEXT_TOO_LONG,
    CART_TOO_MANY,
    CART_TOO_PRECISE,
)
from dsl.currencies import MINOR_UNITS
from dsl.loader import MAX_NUMBER
from dsl.values import YEARS, MoneyRules, money_validator

MAX_LINES = 1_000
MAX_COUPONS = 20
MAX_SHIPMENTS = 100
MAX_TAGS = 50  # tags of a line, segments of a customer
MAX_TEXT = 100  # characters of an id, a sku, a code, a tag …
MAX_QUANTITY = 10**9  # units of a line, and a customer's orders
MAX_ATTRIBUTE_VALUES = 100  # in one attributes mapping, counting what is nested
MAX_ATTRIBUTE_DEPTH = 4
MAX_ATTRIBUTE_TEXT = 4_000  # characters of the keys and texts of one attributes mapping


_price = money_validator(MoneyRules(
    what="a price",
    bare_message='price {value} is a bare number; send it as a decimal string such as "19.99"',
    bare_code=CART_FLOAT_PRICE, invalid_code=CART_INVALID, precision_code=CART_TOO_PRECISE,
    limit_code=CART_AMOUNT_TOO_LARGE))


Price = Annotated[
    Decimal,
    PlainValidator(_price),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": ["string", "integer"], "pattern": r"^[0-9]+(\.[0-9]+)?$",
                    "minimum": 0, "description": 'A decimal string such as "19.99".'}),
]


def _short(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise PydanticCustomError(CART_TEXT_TOO_LONG, "a text of {length} characters; the limit "
                                  "is {limit}", {"length": f"{len(value):,}", "limit": MAX_TEXT})
    return value


def _at_most(limit: int, what: str, code: str = CART_TOO_MANY) -> BeforeValidator:
    """At most ``limit`` items, refused before any of them is validated."""

    def check(value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) > limit:
            raise PydanticCustomError(code, "more than {limit} {what} (got {count})",
                                      {"limit": f"{limit:,}", "what": what,
                                       "count": f"{len(value):,}"})
        return value

    return BeforeValidator(check)


def _counted(value: int) -> int:
    if value > MAX_QUANTITY:
        raise PydanticCustomError(CART_NUMBER_OUT_OF_BOUNDS, "at most {limit} (got {value})",
                                  {"limit": f"{MAX_QUANTITY:,}", "value": _digits(value)})
    return value


def _digits(value: int) -> str:
    """``value`` for a message (Python writes no integer of more than 4,300 digits)."""
    return f"{value:,}" if value < 10**30 else \
        f"a number of about {int(value.bit_length() * 0.30103) + 1:,} digits"


def _evaluation_time(value: Any) -> Any:
    """ISO-8601 text only (a number is not read as an epoch), within ``YEARS``."""
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        with contextlib.suppress(ValueError):
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment is None:
        raise PydanticCustomError(CART_BAD_TIME, "expected an ISO-8601 date and time as text, "
                                  "such as \"2026-07-15T14:30:00+02:00\" (got {value})",
                                  {"value": repr(value)[:40]})
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise PydanticCustomError(CART_BAD_TIME, "{value} is outside the years {first} to "
                                  "{last}", {"value": moment.isoformat(), "first": YEARS[0],
                                             "last": YEARS[1]})
    return moment


def _attributes(value: Any) -> Any:
    """Shop data, bounded: ``MAX_ATTRIBUTE_VALUES`` values (nested ones too), nested
    ``MAX_ATTRIBUTE_DEPTH`` deep, ``MAX_ATTRIBUTE_TEXT`` characters of keys and texts,
    numbers finite and within ±10^15."""
    problem = _attributes_problem(value) if isinstance(value, dict) else None
    if problem:
        raise PydanticCustomError(CART_ATTRIBUTES_TOO_LARGE, "{problem}", {"problem": problem})
    return value


def _attributes_problem(value: dict[Any, Any]) -> str | None:
    """What makes an attributes mapping too large (see ``_attributes``), or ``None``."""
    values, text = 0, 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        problem = None
        if isinstance(item, dict):
            values, text = values + len(item), text + sum(len(str(k)) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            values += len(item)
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            text += len(item)
        elif isinstance(item, (float, Decimal)) and not (
                Decimal(item).is_finite() and Decimal(item).copy_abs() <= MAX_NUMBER) or \
                isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_NUMBER:
            problem = "numbers are finite and within ±10^15"
        if depth > MAX_ATTRIBUTE_DEPTH and isinstance(item, (dict, list, tuple)):
            problem = f"attributes are nested at most {MAX_ATTRIBUTE_DEPTH} levels deep"
        elif values > MAX_ATTRIBUTE_VALUES:
            problem = f"attributes hold at most {MAX_ATTRIBUTE_VALUES} values"
        elif text > MAX_ATTRIBUTE_TEXT:
            problem = f"attributes hold at most {MAX_ATTRIBUTE_TEXT:,} characters of text"
        if problem:
            return problem
    return None


Text = Annotated[str, Field(strict=True), AfterValidator(_short)]
Attributes = Annotated[dict[str, Any], BeforeValidator(_attributes)]
Count = Annotated[int, Field(ge=0, strict=True), AfterValidator(_counted)]


def _currency(value: Any) -> str:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        raise PydanticCustomError(CART_CURRENCY, "unknown currency {value}; use an ISO 4217 "
                                  "code", {"value": repr(value)})
    return value


CurrencyCode = Annotated[str, PlainValidator(_currency),
                         WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$"})]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
