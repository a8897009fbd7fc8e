"""The cart snapshot: what a shop sends to be priced (pydantic, JSON or YAML).

Prices are decimal strings (or integers) with at most the currency's minor
units; floats are refused at the door.  Errors carry the JSON path and, when
the cart came from a file, its line and column.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
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
    CART_CURRENCY,
    CART_DUPLICATE_LINE,
    CART_FLOAT_PRICE,
    CART_INVALID,
    CART_MISSING,
    CART_TOO_PRECISE,
    CART_UNKNOWN_FIELD,
    CART_UNREADABLE,
)
from dsl.currencies import MINOR_UNITS
from dsl.errors import Diagnostic, DiagnosticsError, InputError, Span, attach_source
from dsl.loader import SourceFile, compose_document, read_source
from dsl.ruleset import ValidationCodes, json_path, validation_diagnostics
from dsl.values import MoneyRules, money_validator, normalise_code

VALIDATION_CODES = ValidationCodes(missing=CART_MISSING, unknown=CART_UNKNOWN_FIELD,
                                   invalid=CART_INVALID, json_paths=True)


class CartError(DiagnosticsError, InputError):
    """A cart snapshot that cannot be priced; holds every diagnostic found."""

    code = CART_INVALID


_price = money_validator(MoneyRules(
    what="a price",
    bare_message='price {value} is a bare number; send it as a decimal string such as "19.99"',
    bare_code=CART_FLOAT_PRICE, invalid_code=CART_INVALID, precision_code=CART_TOO_PRECISE))


Price = Annotated[
    Decimal,
    PlainValidator(_price),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": ["string", "integer"], "pattern": r"^[0-9]+(\.[0-9]+)?$",
                    "minimum": 0, "description": 'A decimal string such as "19.99".'}),
]
Text = Annotated[str, Field(strict=True)]


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
    segments: list[Text] = Field(default_factory=list)
    orders: Annotated[int, Field(ge=0, strict=True)] = 0
    attributes: dict[str, Any] = Field(default_factory=dict)


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
    tags: list[Text] = Field(default_factory=list)
    unit_price: Price
    quantity: Annotated[int, Field(ge=1, strict=True)]
    attributes: dict[str, Any] = Field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class Shipping(_Model):
    """The one shipping method chosen for the cart and its price."""

    method: Text = Field(min_length=1)
    price: Price


class Cart(_Model):
    """A cart snapshot, priced as of ``at``."""

    id: Text = Field(min_length=1)
    currency: CurrencyCode
    at: dt.datetime | None = Field(default=None, description="Evaluation time (ISO-8601); "
                                   "without an offset it is read in the ruleset's timezone.")
    customer: Customer = Field(default_factory=Customer)
    coupons: list[Text] = Field(default_factory=list, description="Codes entered.")
    lines: list[Line] = Field(default_factory=list)
    shipping: Shipping | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_lines(self) -> Cart:
        seen: set[str] = set()
        for line in self.lines:
            if line.id in seen:
                raise PydanticCustomError(CART_DUPLICATE_LINE, "duplicate line id {id}",
                                          {"id": repr(line.id)})
            seen.add(line.id)
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
                       f"{json_path(tuple(e['loc']))}: {e['msg']}")
            for e in err.errors(include_url=False)
        ]) from None


_KIND_CODES = {"missing": CART_MISSING, "extra_forbidden": CART_UNKNOWN_FIELD}


def _with_paths(diagnostics: list[Diagnostic], err: ValidationError) -> list[Diagnostic]:
    """Our own PR300 errors ("a price cannot be negative") get their JSON path too."""
    return [
        dataclasses.replace(d, message=f"{json_path(tuple(e['loc']))}: {d.message}")
        if e["type"] == CART_INVALID else d
        for d, e in zip(diagnostics, err.errors(include_url=False), strict=True)
    ]


def _from_source(source: SourceFile) -> Cart:
    doc, diagnostics = compose_document(source)
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
