"""The cart snapshot: what a shop sends to be priced (pydantic, JSON or YAML).

Prices are decimal strings (or integers) with at most the currency's minor
units; floats are refused at the door.  Errors carry the JSON path and, when
the cart came from a file, its line and column.

Everything is bounded (README "Limits"): amounts (a price, a line's total, the
subtotal) at most 10^15, quantities 10^9, lines, codes, tags and texts, and
attributes; a file is refused over a cap before it is composed (``CART_CAPS``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dsl.codes import (
    CART_AMOUNT_TOO_LARGE,
    CART_ATTRIBUTES_TOO_LARGE,
    CART_BAD_TIME,
    CART_CURRENCY,
    CART_DUPLICATE_LINE,
    CART_FLOAT_PRICE,
    CART_INVALID,
    CART_MISSING,
    CART_NUMBER_OUT_OF_BOUNDS,
    CART_TEXT_TOO_LONG,
    CART_TOO_MANY,
    CART_TOO_PRECISE,
    CART_UNKNOWN_FIELD,
    CART_UNREADABLE,
)
from dsl.currencies import MINOR_UNITS
from dsl.errors import Diagnostic, DiagnosticsError, InputError, Span, attach_source
from dsl.loader import MAX_NUMBER, Cap, Caps, SourceFile, compose_document, read_source
from dsl.ruleset import ValidationCodes, json_path, validation_diagnostics
from dsl.values import MAX_AMOUNT, YEARS, MoneyRules, money_validator, normalise_code

VALIDATION_CODES = ValidationCodes(missing=CART_MISSING, unknown=CART_UNKNOWN_FIELD,
                                   invalid=CART_INVALID, json_paths=True)


class CartError(DiagnosticsError, InputError):
    """A cart snapshot that cannot be priced; holds every diagnostic found."""

    code = CART_INVALID


MAX_LINES = 1_000
MAX_COUPONS = 20
MAX_TAGS = 50  # tags of a line, segments of a customer
MAX_TEXT = 100  # characters of an id, a sku, a code, a tag …
MAX_QUANTITY = 10**9  # units of a line, and a customer's orders
MAX_ATTRIBUTE_VALUES = 100  # in one attributes mapping, counting what is nested
MAX_ATTRIBUTE_DEPTH = 4
MAX_ATTRIBUTE_TEXT = 4_000  # characters of the keys and texts of one attributes mapping

CART_CAPS = Caps(
    lists={("lines",): Cap(MAX_LINES, CART_TOO_MANY, "lines in a cart"),
           ("coupons",): Cap(MAX_COUPONS, CART_TOO_MANY, "coupon codes in a cart"),
           ("lines", "*", "tags"): Cap(MAX_TAGS, CART_TOO_MANY, "tags on a line"),
           ("customer", "segments"): Cap(MAX_TAGS, CART_TOO_MANY, "segments of a customer")},
    number_code=CART_NUMBER_OUT_OF_BOUNDS, text_code=CART_TEXT_TOO_LONG)
"""What the loader refuses in a cart file before composing it."""

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


def _at_most(limit: int, what: str) -> BeforeValidator:
    """At most ``limit`` items, refused before any of them is validated."""

    def check(value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) > limit:
            raise PydanticCustomError(CART_TOO_MANY, "more than {limit} {what} (got {count})",
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
    if not isinstance(value, dict):
        return value
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
            raise PydanticCustomError(CART_ATTRIBUTES_TOO_LARGE, "{problem}",
                                      {"problem": problem})
    return value


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
    model_config = ConfigDict(extra="forbid", frozen=True)


class Customer(_Model):
    """Who is buying; a guest has no id."""

    id: Text = ""
    segments: Annotated[list[Text], _at_most(MAX_TAGS, "segments")] = Field(
        default_factory=list)
    orders: Count = 0
    attributes: Attributes = Field(default_factory=dict)


def _line_id(value: Any, info: ValidationInfo) -> str:
    """A line id, unique in its cart: the ids seen so far live in the validation context."""
    if info.context is not None and isinstance(value, str):
        seen = info.context.setdefault("line_ids", set())
        if value in seen:
            raise PydanticCustomError(CART_DUPLICATE_LINE, "duplicate line id {id}",
                                      {"id": repr(value)})
        seen.add(value)
    return str(value)


class Line(_Model):
    """One cart line: a product, its unit price and quantity."""

    id: Annotated[Text, Field(min_length=1), AfterValidator(_line_id)]
    sku: Text = Field(min_length=1)
    product: Text = ""
    category: Text = ""
    seller: Text = ""
    brand: Text = ""
    tags: Annotated[list[Text], _at_most(MAX_TAGS, "tags")] = Field(default_factory=list)
    unit_price: Price
    quantity: Annotated[int, Field(ge=1, strict=True), AfterValidator(_counted)]
    attributes: Attributes = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounded_total(self) -> Line:
        with localcontext(prec=60):  # exact: at most 10^15 × 10^9 with 4 decimals
            total = self.unit_price * self.quantity
        if total > MAX_AMOUNT:
            raise PydanticCustomError(CART_AMOUNT_TOO_LARGE, "the line's total (unit_price × "
                                      "quantity) is at most 10^15 (got {total})",
                                      {"total": f"{total:,f}", "field": "quantity"})
        return self

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity  # exact: at most 10^15 (see _bounded_total)


class Shipping(_Model):
    """The one shipping method chosen for the cart and its price."""

    method: Text = Field(min_length=1)
    price: Price


class Cart(_Model):
    """A cart snapshot, priced as of ``at``."""

    id: Text = Field(min_length=1)
    currency: CurrencyCode
    at: Annotated[dt.datetime | None, BeforeValidator(_evaluation_time)] = Field(
        default=None, description="Evaluation time (ISO-8601); without an offset it is read "
                                  "in the ruleset's timezone.")
    customer: Customer = Field(default_factory=Customer)
    coupons: Annotated[list[Text], _at_most(MAX_COUPONS, "coupon codes")] = Field(
        default_factory=list, description="Codes entered.")
    lines: Annotated[list[Line], _at_most(MAX_LINES, "lines")] = Field(default_factory=list)
    shipping: Shipping | None = None
    attributes: Attributes = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_lines(self) -> Cart:
        seen: set[str] = set()
        for line in self.lines:
            if line.id in seen:
                raise PydanticCustomError(CART_DUPLICATE_LINE, "duplicate line id {id}",
                                          {"id": repr(line.id)})
            seen.add(line.id)
        if self.subtotal > MAX_AMOUNT:  # exact: at most 1,000 lines of at most 10^15
            raise PydanticCustomError(CART_AMOUNT_TOO_LARGE, "the subtotal is at most 10^15 "
                                      "(got {total})", {"total": f"{self.subtotal:,f}",
                                                        "field": "lines"})
        return self

    @property
    def codes(self) -> list[str]:
        """Entered coupon codes, normalised, first entry of each kept."""
        return list(dict.fromkeys(normalise_code(c) for c in self.coupons if c.strip()))

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))


def _context(data: Any) -> dict[str, Any]:
    currency = data.get("currency") if isinstance(data, dict) else None
    return {"minor_units": MINOR_UNITS.get(currency) if isinstance(currency, str) else None}


def parse_cart(data: Any) -> Cart:
    """Validate cart data (a dict from JSON or YAML); raises ``CartError``."""
    try:
        return Cart.model_validate(data, context=_context(data))
    except ValidationError as err:
        raise CartError([
            Diagnostic(_KIND_CODES.get(e["type"], e["type"] if e["type"].startswith("PR")
                                       else CART_INVALID),
                       f"{json_path(_pointed(e))}: {e['msg']}")
            for e in err.errors(include_url=False)
        ]) from None


_KIND_CODES = {"missing": CART_MISSING, "extra_forbidden": CART_UNKNOWN_FIELD}


def _pointed(error: Any) -> tuple[Any, ...]:
    """Where an error is: its location, and the field a check of a whole mapping names."""
    field = (error.get("ctx") or {}).get("field")
    return tuple(error["loc"]) + ((field,) if field else ())


def _with_paths(diagnostics: list[Diagnostic], err: ValidationError) -> list[Diagnostic]:
    """Our own PR300 errors ("a price cannot be negative") get their JSON path too."""
    return [
        dataclasses.replace(d, message=f"{json_path(tuple(e['loc']))}: {d.message}")
        if e["type"] == CART_INVALID else d
        for d, e in zip(diagnostics, err.errors(include_url=False), strict=True)
    ]


def _from_source(source: SourceFile) -> Cart:
    doc, diagnostics = compose_document(source, CART_CAPS)
    if doc is not None and not diagnostics:
        if not isinstance(doc.data, dict):
            diagnostics = [Diagnostic(CART_INVALID, "a cart is a mapping with id, currency, "
                                      "lines ...", Span(source.name, 1, 1))]
        else:
            try:
                return Cart.model_validate(doc.data, context=_context(doc.data))
            except ValidationError as err:
                diagnostics = _with_paths(validation_diagnostics(doc, err, VALIDATION_CODES), err)
    raise CartError(attach_source(diagnostics, source.lines))


def load_cart(path: str | Path) -> Cart:
    """The cart in the file at ``path`` (JSON or YAML); raises ``CartError``."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_cart takes a path; for data use parse_cart, for text "
                        f"load_cart_text (got {type(path).__name__})")
    try:
        text_source = read_source(path)
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise CartError([Diagnostic(CART_UNREADABLE, f"cannot read cart: {reason}",
                                    Span(str(path), 1, 1))]) from None
    return _from_source(text_source)


def load_cart_text(text: str, *, name: str = "<cart>") -> Cart:
    """The cart written in ``text`` (JSON or YAML); ``name`` is where errors say it is."""
    return _from_source(SourceFile(name, text))


def dump_cart(cart: Cart) -> str:
    """The cart as canonical JSON (prices as strings)."""
    return json.dumps(cart.model_dump(mode="json"), indent=2, sort_keys=True)
