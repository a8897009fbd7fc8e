"""The values a cart snapshot is made of: prices, texts, counts, attributes, and
their bounds (README "Limits").  The cart's models are in ``cart.py``."""

import datetime as dt
import re
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
from dsl.loader import MAX_NUMBER, MAX_SCALAR
from dsl.values import MAX_AMOUNT, YEARS, MoneyRules, money_validator

MAX_LINES = 1_000
MAX_COUPONS = 20
MAX_SHIPMENTS = 100
MAX_TAGS = 50  # tags of a line, segments of a customer
MAX_TEXT = 100  # characters of an id, a sku, a code, a tag …
MAX_QUANTITY = 10**9  # units of a line, and a customer's orders
MAX_ATTRIBUTE_VALUES = 100  # in one attributes mapping, counting what is nested
MAX_ATTRIBUTE_DEPTH = 4
MAX_ATTRIBUTE_TEXT = 4_000  # characters of the keys and texts of one attributes mapping
MAX_JSON_KEY = 150
"""The longest key of an attributes mapping read as JSON; a longer one is read as YAML.
YAML reads a key only if it ends within 1,024 characters of where it starts: written
with escapes ("\\uXXXX", six characters each), its quotes and up to 63 spaces before
its ':' (64 send the text to YAML), 150 characters take at most 965."""


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
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:  # (not contextlib.suppress: it took twice as long as the parsing)
            moment = None
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


# ------------------------------------------------------------ plain values, read fast
# What ``cart._fast_cart`` reads plain data with: the checks of the validators above
# written as plain code, for values of the types JSON gives.  Whatever they are not
# sure of raises ``_Slow``, and the models validate the cart.


class _Slow(Exception):
    """Leave this cart to the models."""


_ABSENT: Any = object()  # a required field not given: of no type a check accepts
_FRESH: Any = object()  # a list or mapping not given: a new empty one


def _text(value: Any, shortest: int = 0) -> str:
    if type(value) is not str or not shortest <= len(value) <= MAX_TEXT:
        raise _Slow
    return value


def _texts(value: Any, most: int) -> list[str]:
    if value is _FRESH:
        return []
    if type(value) is not list or len(value) > most:
        raise _Slow
    for item in value:
        if type(item) is not str or len(item) > MAX_TEXT:
            raise _Slow
    return value.copy()


def _count(value: Any, least: int) -> int:
    if type(value) is not int or not least <= value <= MAX_QUANTITY:
        raise _Slow
    return value


# Digits, at most 15 before the point (under 10^15) and the currency's after it, by
# the currency's minor units: what most prices are.  ``_price_text`` reads the others.
_PRICE_TEXT = [re.compile(r"[0-9]{1,15}" + (rf"(?:\.[0-9]{{1,{units}}})?" if units else ""))
               .fullmatch for units in range(max(MINOR_UNITS.values()) + 1)]
KNOWN_PRICES = 4_096
_KNOWN_PRICES: list[dict[str, Decimal]] = [{} for _ in _PRICE_TEXT]
"""Prices written as text read before, by the currency's minor units (the checks depend
on them): a catalog's prices come back cart after cart.  Reading one is a quarter of
reading a line; looking it up, a few percent.  At most ``KNOWN_PRICES`` of each (then
emptied), short ones only, never a refused one."""


def _amount(value: Any, minor_units: int) -> Decimal:
    """``_price``'s checks: digits (at most the currency's decimals) or an int, ≤ 10^15."""
    if type(value) is str:
        known = _KNOWN_PRICES[minor_units]
        amount = known.get(value)
        if amount is None:
            amount = _price_text(value, minor_units)
            if len(value) <= 40:  # (a price padded with spaces is read, not kept)
                if len(known) >= KNOWN_PRICES:
                    known.clear()
                known[value] = amount
        return amount
    if type(value) is not int or not 0 <= value <= MAX_AMOUNT:
        raise _Slow
    return Decimal(value)


def _price_text(value: str, minor_units: int) -> Decimal:
    if _PRICE_TEXT[minor_units](value):
        return Decimal(value)
    text = value.strip()
    whole, dot, fraction = text.partition(".")
    # (the padded text is the scalar YAML bounds: a longer one is refused as YAML refuses it)
    if len(value) > MAX_SCALAR or len(text) > 40 or not (whole.isdigit() and whole.isascii()) \
            or len(fraction) > minor_units or dot and not (fraction.isdigit() and
                                                            fraction.isascii()):
        raise _Slow
    amount = Decimal(text)
    if amount > MAX_AMOUNT:
        raise _Slow
    return amount


def _attributes_of(value: Any) -> tuple[dict[str, Any], int]:
    """A copy of ``value`` if it is valid attributes, and the strings it holds."""
    if value is _FRESH:
        return {}, 0
    if type(value) is not dict:
        raise _Slow
    text = 0
    for key, item in value.items():  # texts named by short keys: read here
        if type(key) is not str or type(item) is not str or len(key) > MAX_JSON_KEY or \
                key == "<<":
            break
        text += len(key) + len(item)
    else:
        if len(value) > MAX_ATTRIBUTE_VALUES or text > MAX_ATTRIBUTE_TEXT:
            raise _Slow
        return value.copy(), 2 * len(value)
    if any(type(key) is not str for key in value) or _attributes_problem(value) or \
            _odd_keys(value):
        raise _Slow
    return value.copy(), _strings(value)


def _odd_keys(value: Any) -> bool:
    """Keys YAML would read otherwise from JSON: long (``MAX_JSON_KEY``), ``<<``."""
    if isinstance(value, list):
        return any(_odd_keys(item) for item in value)  # (nested at most 4 deep)
    return isinstance(value, dict) and any(
        not isinstance(key, str) or len(key) > MAX_JSON_KEY or key == "<<" or _odd_keys(item)
        for key, item in value.items())


def _strings(value: Any) -> int:
    """The strings JSON data holds: keys and texts, nested too (at most 4 deep)."""
    if type(value) is str:
        return 1
    if type(value) is dict:
        return len(value) + sum(map(_strings, value.values()))
    return sum(map(_strings, value)) if type(value) is list else 0
