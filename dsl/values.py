"""The values a ruleset is made of: money, percentages, identifiers, coupon codes,
condition expressions, moments, currencies and timezones.

Each is an annotated type with its validator, so the documents in ``model.py``
read as declarations.  Custom errors use our stable codes as their pydantic
error type, so ``dsl.ruleset`` turns them into diagnostics unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from .codes import (
    AMOUNT_TOO_LARGE,
    EXPRESSION_SYNTAX,
    FLOAT_MONEY,
    INVALID_VALUE,
    MOMENT_OUT_OF_RANGE,
    NAME_TOO_LONG,
    TOO_MANY_DECIMALS,
    TOO_PRECISE,
    UNKNOWN_CURRENCY,
    UNKNOWN_TIMEZONE,
)
from .currencies import MINOR_UNITS
from .errors import ExpressionError, Span
from .expr import nodes
from .expr.types import MAX_LENGTH as MAX_CONDITION_LENGTH
from .expr.types import Context
from .loader import BareDecimal
from .records import record
from .schema import decimal_text, moment_text, timezone_schema, trimmed_text

_DECIMAL_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def custom_error(code: str, template: str, **ctx: Any) -> PydanticCustomError:
    """A pydantic error with our code; ``field=`` in ``ctx`` names the sub-field to point at."""
    return PydanticCustomError(code, template, ctx or None)


# ------------------------------------------------------------------ money


MAX_AMOUNT = Decimal(10) ** 15
"""The largest amount, in the currency's unit: every sum and product the engine forms
from accepted amounts stays exact in 28 digits (docs/semantics.md#money)."""
MAX_DECIMALS = 6
"""The most decimals of a percentage or a tier threshold."""
MAX_PERCENT = Decimal(100)
YEARS = (1900, 9000)
"""The first and last year of a date or date-time: any offset or timezone keeps its
instant inside what Python's datetime holds."""
MAX_CODE_LENGTH = 100


def parse_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise custom_error(INVALID_VALUE, f"{what} must be a number, not true/false")
    if isinstance(value, float):
        raise custom_error(FLOAT_MONEY, f"{what} must not be a float")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
        return Decimal(value.strip())
    raise custom_error(INVALID_VALUE, f"{what} must be a decimal number such as \"9.99\", "
                 f"got '{value}'")


@record
class MoneyRules:
    """How a money field reports its errors (the ruleset's and the cart's codes differ)."""

    what: str = "an amount"
    bare_message: str = "amount {value} is written as a bare number; money must be quoted"
    bare_code: str = FLOAT_MONEY
    invalid_code: str = INVALID_VALUE
    precision_code: str = TOO_PRECISE
    limit_code: str = AMOUNT_TOO_LARGE


def money_validator(rules: MoneyRules) -> Callable[[Any, ValidationInfo], Decimal]:
    """A validator for a non-negative amount with at most the context's minor units.

    Bare YAML numbers (``BareDecimal``) and floats are refused: money is
    written deliberately, as ``"9.99"`` or an integer.
    """

    def validate(value: Any, info: ValidationInfo) -> Decimal:
        if isinstance(value, (BareDecimal, float)):
            raise custom_error(rules.bare_code, rules.bare_message, value=str(value))
        try:
            amount = parse_decimal(value, rules.what)
        except PydanticCustomError as err:
            raise custom_error(rules.invalid_code, err.message()) from None
        if amount < 0:
            raise custom_error(rules.invalid_code, f"{rules.what} cannot be negative "
                         "(got {value})", value=str(amount))
        if amount.is_signed():  # "-0", "-0.00": zero, never written back as "-0.00"
            amount = amount.copy_abs()
        if amount > MAX_AMOUNT:
            raise custom_error(rules.limit_code, f"{rules.what} is at most 10^15 (got "
                               "{value})", value=_shown(amount))
        units = (info.context or {}).get("minor_units")
        exponent = amount.as_tuple().exponent
        if units is not None and isinstance(exponent, int) and -exponent > units:
            raise custom_error(rules.precision_code, "{value} has more decimals than the currency "
                         "allows ({units})", value=str(amount), units=units)
        return amount

    return validate


_money = money_validator(MoneyRules())


def _shown(number: Decimal) -> str:
    """A number as written, or its start and its size when it is long."""
    text = str(number)
    return text if len(text) <= 30 else f"{text[:24]}… ({len(text):,} characters)"


def _percent(value: Any) -> Decimal:
    if isinstance(value, str) and value.strip().endswith("%"):
        number = value.strip().rstrip("%").strip()
        raise custom_error(INVALID_VALUE, "a percentage is a plain number: write {number}, "
                           "not \"{value}\"", number=number or "50", value=value)
    if isinstance(value, str) and not _DECIMAL_TEXT.match(value.strip()):
        raise custom_error(INVALID_VALUE, "a percentage is a plain number such as 15 or 12.5, "
                           "got '{value}'", value=value)
    pct = parse_decimal(value, "a percentage")
    if not Decimal(0) < pct <= MAX_PERCENT:
        raise custom_error(INVALID_VALUE, "a percentage must be more than 0 and at most 100 "
                     "(got {value})", value=_shown(pct))
    exponent = pct.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise custom_error(TOO_MANY_DECIMALS, f"a percentage has at most {MAX_DECIMALS} "
                           "decimals (got {value})", value=_shown(pct))
    return pct


MONEY_SCHEMA: dict[str, Any] = {
    "type": ["string", "integer"], "pattern": decimal_text(MAX_AMOUNT),
    "minimum": 0, "maximum": int(MAX_AMOUNT),
    "description": 'A money amount: a quoted decimal ("9.99") or an integer.'}
"""Amounts are found in the schema by this pattern (``schema`` adds the currency's decimals)."""
Money = Annotated[
    Decimal,
    PlainValidator(_money),
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema(MONEY_SCHEMA),
]
Percent = Annotated[
    Decimal,
    PlainValidator(_percent),
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema({"type": ["number", "string"], "exclusiveMinimum": 0,
                    "maximum": int(MAX_PERCENT),
                    "pattern": decimal_text(MAX_PERCENT, MAX_DECIMALS, above_zero=True),
                    "description": "A percentage, more than 0 and at most 100 (12.5)."}),
]
PositiveInt = Annotated[int, Field(ge=1, strict=True)]
StrictBool = Annotated[bool, Field(strict=True)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]


# ------------------------------------------------------------ expressions


@record
class Condition:
    """A condition expression: its source text, its AST and where it was written."""

    source: str
    node: nodes.Node | None
    span: Span | None = None

    def __str__(self) -> str:
        return self.source


def make_condition(text: str, context: Context) -> Condition:
    """Parse and check ``text``; raises the first ``ExpressionError``."""
    from .expr.check import check_condition  # (here: a loaded ruleset needs no parser)
    from .expr.parser import parse_expression

    node = parse_expression(text)
    errors = check_condition(node, context)
    if errors:
        raise errors[0]
    return Condition(text, node)


def _condition_validator(context: Context) -> Any:
    def validate(value: Any) -> Condition:
        if isinstance(value, Condition):
            return value
        if not isinstance(value, str):
            raise custom_error(EXPRESSION_SYNTAX, "expected a condition expression (text), got "
                         f"{type(value).__name__}")
        try:
            return make_condition(value, context)
        except ExpressionError as err:
            raise custom_error(err.code, "{message}", message=err.message) from None

    return PlainValidator(validate)


_EXPR_SCHEMA = WithJsonSchema({"type": "string", "pattern": r"\S",
                               "maxLength": MAX_CONDITION_LENGTH,
                               "description": "A condition expression."})
_SERIALIZE_CONDITION = PlainSerializer(lambda c: c.source, return_type=str)
CartCondition = Annotated[Condition, _condition_validator(Context.CART), _SERIALIZE_CONDITION,
                          _EXPR_SCHEMA]
ItemCondition = Annotated[Condition, _condition_validator(Context.ITEM), _SERIALIZE_CONDITION,
                          _EXPR_SCHEMA]
ShipmentCondition = Annotated[Condition, _condition_validator(Context.SHIPMENT),
                              _SERIALIZE_CONDITION, _EXPR_SCHEMA]


# ---------------------------------------------------------------- moments


def _moment(value: Any) -> dt.date | dt.datetime:
    moment = value if isinstance(value, (dt.datetime, dt.date)) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            if "T" in text or " " in text:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            else:
                moment = dt.date.fromisoformat(text)
        except ValueError:
            pass
    if moment is None:
        raise custom_error(INVALID_VALUE, "expected a date (2026-06-01) or a date and time "
                     "(2026-06-01T09:00), got '{value}'", value=str(value))
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise custom_error(MOMENT_OUT_OF_RANGE, f"{{value}} is outside the years {YEARS[0]} "
                           f"to {YEARS[1]}", value=moment.isoformat())
    return moment


Moment = Annotated[
    dt.datetime | dt.date,
    PlainValidator(_moment),
    PlainSerializer(lambda m: m.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "pattern": moment_text(YEARS),
                    "description": "A date (2026-06-01), or a date and time (2026-06-01T09:00, "
                                   "seconds optional) with an offset (Z, +01:00) or without: "
                                   "then it is read in the ruleset's timezone."}),
]



def normalise_code(code: str) -> str:
    """The form in which coupon codes match: Unicode NFKC (full-width ``ＳＵＭＭＥＲ`` is
    ``SUMMER``), then case-folding and trimming.

    NFKC is applied again after case-folding, so a normalised code normalises to
    itself (Unicode's NFKC_Casefold closure)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", code).casefold())
    return folded.strip()


def _coupon_code(value: Any) -> str:
    if not isinstance(value, str):
        raise custom_error(INVALID_VALUE, "a coupon code is text; quote it (got '{value}')",
                     value=str(value))
    if not value.strip():
        raise custom_error(INVALID_VALUE, "a coupon code cannot be empty")
    if len(value.strip()) > MAX_CODE_LENGTH:
        raise custom_error(NAME_TOO_LONG, f"a coupon code has at most {MAX_CODE_LENGTH} "
                           f"characters (got {len(value.strip()):,})")
    return value.strip()


CouponCode = Annotated[str, PlainValidator(_coupon_code),
                       WithJsonSchema({"type": "string",
                                       "pattern": trimmed_text(MAX_CODE_LENGTH)})]


def _currency(value: Any) -> str:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        raise custom_error(UNKNOWN_CURRENCY, "unknown currency '{value}'; use an ISO 4217 code "
                     "such as EUR, USD or JPY", value=str(value))
    return value


def _timezone(value: Any) -> str:
    try:
        if not isinstance(value, str) or not value:
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise custom_error(UNKNOWN_TIMEZONE, "unknown timezone '{value}'; use an IANA name such "
                     "as Europe/Berlin or America/New_York", value=str(value)) from None
    return value


Currency = Annotated[str, PlainValidator(_currency),
                     WithJsonSchema({"type": "string", "enum": sorted(MINOR_UNITS)})]
Timezone = Annotated[str, PlainValidator(_timezone), WithJsonSchema(timezone_schema())]
