"""The cart snapshot: what a shop sends to be priced (pydantic, JSON or YAML).

Prices are decimal strings (or integers) with at most the currency's minor
units; floats are refused at the door.  Errors carry the JSON path and, when
the cart came from a file, its line and column.

Everything is bounded (README "Limits"): amounts (a price, a line's total, the
subtotal) at most 10^15, quantities 10^9, lines, codes, tags and texts, and
attributes; a file is refused over a cap before it is composed (``CART_CAPS``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from collections.abc import Callable
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dsl.codes import (
    CART_AMOUNT_TOO_LARGE,
    CART_DUPLICATE_LINE,
    CART_DUPLICATE_SHIPMENT,
    CART_INVALID,
    CART_MISSING,
    CART_NUMBER_OUT_OF_BOUNDS,
    CART_SHIPPING_AND_SHIPMENTS,
    CART_TEXT_TOO_LONG,
    CART_TOO_MANY,
    CART_TOO_MANY_SHIPMENTS,
    CART_UNKNOWN_FIELD,
    CART_UNREADABLE,
)
from dsl.currencies import MINOR_UNITS
from dsl.errors import Diagnostic, DiagnosticsError, InputError, Span, attach_source
from dsl.loader import (
    MAX_NUMBER,
    MAX_NUMBER_DECIMALS,
    BareDecimal,
    Cap,
    Caps,
    SourceFile,
    compose_document,
    read_source,
)
from dsl.validation import ValidationCodes, json_path, validation_diagnostics
from dsl.values import MAX_AMOUNT, normalise_code

from .cart_fields import (
    MAX_COUPONS,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_SHIPMENTS,
    MAX_TAGS,
    MAX_TEXT,
    Attributes,
    Count,
    CurrencyCode,
    Price,
    Text,
    _at_most,
    _attributes_problem,
    _counted,
    _evaluation_time,
    _Model,
)

VALIDATION_CODES = ValidationCodes(missing=CART_MISSING, unknown=CART_UNKNOWN_FIELD,
                                   invalid=CART_INVALID, json_paths=True, model=lambda: Cart)


class CartError(DiagnosticsError, InputError):
    """A cart snapshot that cannot be priced; holds every diagnostic found."""

    code = CART_INVALID


CART_CAPS = Caps(
    lists={("lines",): Cap(MAX_LINES, CART_TOO_MANY, "lines in a cart"),
           ("coupons",): Cap(MAX_COUPONS, CART_TOO_MANY, "coupon codes in a cart"),
           ("lines", "*", "tags"): Cap(MAX_TAGS, CART_TOO_MANY, "tags on a line"),
           ("shipments",): Cap(MAX_SHIPMENTS, CART_TOO_MANY_SHIPMENTS, "shipments in a cart"),
           ("customer", "segments"): Cap(MAX_TAGS, CART_TOO_MANY, "segments of a customer")},
    number_code=CART_NUMBER_OUT_OF_BOUNDS, text_code=CART_TEXT_TOO_LONG)
"""What the loader refuses in a cart file before composing it."""

class Customer(_Model):
    """Who is buying; a guest has no id."""

    id: Text = ""
    segments: Annotated[list[Text], _at_most(MAX_TAGS, "segments")] = Field(
        default_factory=list)
    orders: Count = 0
    attributes: Attributes = Field(default_factory=dict)


def _unique_id(kind: str, code: str) -> Callable[[Any, ValidationInfo], str]:
    """A validator of ids unique in their cart (of lines, or of shipments): the ids seen
    so far live in the validation context."""
    def check(value: Any, info: ValidationInfo) -> str:
        if info.context is not None and isinstance(value, str):
            seen = info.context.setdefault(f"{kind}_ids", set())
            if value in seen:
                raise PydanticCustomError(code, f"duplicate {kind} id {{id}}",
                                          {"id": repr(value)})
            seen.add(value)
        return str(value)
    return check


_line_id = _unique_id("line", CART_DUPLICATE_LINE)
_shipment_id = _unique_id("shipment", CART_DUPLICATE_SHIPMENT)


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


class Shipment(_Model):
    """One of the parcels a cart ships in (marketplaces ship per seller), and its price."""

    id: Annotated[Text, Field(min_length=1), AfterValidator(_shipment_id)]
    method: Text = Field(min_length=1)
    price: Price
    seller: Text = ""


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
    shipments: Annotated[list[Shipment], _at_most(MAX_SHIPMENTS, "shipments",
                                                  CART_TOO_MANY_SHIPMENTS)] | None = Field(
        default=None, description="The parcels the cart ships in, each priced on its own "
                                  "(instead of shipping).")
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

    @model_validator(mode="after")
    def _one_shipping(self) -> Cart:
        if self.shipments is None:
            return self
        if self.shipping is not None:
            raise PydanticCustomError(CART_SHIPPING_AND_SHIPMENTS, "a cart has shipping or "
                                      "shipments, not both", {"field": "shipments"})
        seen: set[str] = set()
        for shipment in self.shipments:
            if shipment.id in seen:
                raise PydanticCustomError(CART_DUPLICATE_SHIPMENT, "duplicate shipment id "
                                          "{id}", {"id": repr(shipment.id), "field": "shipments"})
            seen.add(shipment.id)
        if self.shipping_price > MAX_AMOUNT:  # exact: at most 100 shipments of at most 10^15
            raise PydanticCustomError(CART_AMOUNT_TOO_LARGE, "the shipments' prices add up to "
                                      "at most 10^15 (got {total})",
                                      {"total": f"{self.shipping_price:,f}",
                                       "field": "shipments"})
        return self

    @property
    def shipping_price(self) -> Decimal:
        """The original price of the shipping, or the sum of the shipments' (0 if none)."""
        if self.shipments is not None:
            return sum((shipment.price for shipment in self.shipments), Decimal(0))
        return self.shipping.price if self.shipping is not None else Decimal(0)

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


# ------------------------------------------------------------ valid carts, read fast
# The models validate a line with a dozen Python validators called from pydantic
# (about 7 µs a line).  Plain JSON data is first read here by plain code making the
# same checks, which builds the same models without validating again (``_built``).
# Whatever it is not sure of (an invalid value, a type JSON does not give ...) raises
# ``_Slow``, and the models validate the data as before: every diagnostic comes from
# them (tests/engine/test_cart_fast.py holds the two readings equal).


class _Slow(Exception):
    """Leave this cart to the models."""


_ABSENT: Any = object()
_M = TypeVar("_M", bound=BaseModel)
_new, _set = object.__new__, object.__setattr__


def _built(model: type[_M], values: dict[str, Any], given: set[str]) -> _M:
    """The ``model`` validation makes of data naming ``given``, holding ``values`` (all)."""
    instance = _new(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", given)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def _text(value: Any, shortest: int = 0) -> str:
    if type(value) is not str or not shortest <= len(value) <= MAX_TEXT:
        raise _Slow
    return value


def _texts(value: Any, most: int) -> list[str]:
    if value is _ABSENT:
        return []
    if type(value) is not list or len(value) > most or \
            any(type(item) is not str or len(item) > MAX_TEXT for item in value):
        raise _Slow
    return value.copy()


def _count(value: Any, least: int) -> int:
    if type(value) is not int or not least <= value <= MAX_QUANTITY:
        raise _Slow
    return value


def _amount(value: Any, minor_units: int) -> Decimal:
    """``_price``'s checks: digits (at most the currency's decimals) or an int, ≤ 10^15."""
    if type(value) is str:
        text = value.strip()
        whole, dot, fraction = text.partition(".")
        if len(text) > 40 or not (whole.isdigit() and whole.isascii()) or len(fraction) > \
                minor_units or dot and not (fraction.isdigit() and fraction.isascii()):
            raise _Slow
        amount = Decimal(text)
    elif type(value) is int and value >= 0:
        amount = Decimal(value)
    else:
        raise _Slow
    if amount > MAX_AMOUNT:
        raise _Slow
    return amount


def _mapping(value: Any, fields: frozenset[str]) -> dict[str, Any]:
    if type(value) is not dict or not value.keys() <= fields:
        raise _Slow
    return value


def _attributes_of(value: Any) -> dict[str, Any]:
    if value is _ABSENT:
        return {}
    if type(value) is not dict or value and (
            any(type(key) is not str for key in value) or _attributes_problem(value) or
            _odd_keys(value)):
        raise _Slow
    return value.copy()


def _odd_keys(value: Any) -> bool:
    """Keys YAML would read otherwise from JSON: long (160 × "\\uXXXX" < 1,024), ``<<``."""
    if isinstance(value, list):
        return any(_odd_keys(item) for item in value)  # (nested at most 4 deep)
    return isinstance(value, dict) and any(
        not isinstance(key, str) or len(key) > 160 or key == "<<" or _odd_keys(item)
        for key, item in value.items())


def _line(data: Any, minor_units: int, seen: set[str]) -> Line:
    get = _mapping(data, _LINE_FIELDS).get
    line_id = _text(get("id"), 1)
    price = _amount(get("unit_price"), minor_units)
    quantity = _count(get("quantity"), 1)
    if line_id in seen or price * quantity > MAX_AMOUNT:  # exact: at most 29 digits
        raise _Slow
    seen.add(line_id)
    return _built(Line, {
        "id": line_id, "sku": _text(get("sku"), 1), "product": _text(get("product", "")),
        "category": _text(get("category", "")), "seller": _text(get("seller", "")),
        "brand": _text(get("brand", "")), "tags": _texts(get("tags", _ABSENT), MAX_TAGS),
        "unit_price": price, "quantity": quantity,
        "attributes": _attributes_of(get("attributes", _ABSENT))}, set(data))


def _fast_cart(data: Any) -> Cart:
    """The cart ``data`` holds, if it is valid plain data (else ``_Slow``)."""
    get = _mapping(data, _CART_FIELDS).get
    currency, at = get("currency"), get("at")
    if type(currency) is not str or currency not in MINOR_UNITS or \
            at is not None and type(at) is not str:
        raise _Slow
    minor_units = MINOR_UNITS[currency]
    try:
        at = _evaluation_time(at)
    except PydanticCustomError:
        raise _Slow from None
    listed = get("lines", [])
    if type(listed) is not list or len(listed) > MAX_LINES:
        raise _Slow
    seen: set[str] = set()
    lines = [_line(line, minor_units, seen) for line in listed]
    if sum(line.unit_price * line.quantity for line in lines) > MAX_AMOUNT:
        raise _Slow
    customer: Any = get("customer", {})
    shipping: Any = get("shipping")
    if shipping is not None:
        ship = _mapping(shipping, _SHIPPING_FIELDS).get
        shipping = _built(Shipping, {"method": _text(ship("method"), 1),
                                     "price": _amount(ship("price"), minor_units)}, set(shipping))
    shipments = _shipments(get("shipments"), minor_units)
    if shipments is not None and shipping is not None:
        raise _Slow
    return _built(Cart, {
        "id": _text(get("id"), 1), "currency": currency, "at": at,
        "customer": _built(Customer, {
            "id": _text(_mapping(customer, _CUSTOMER_FIELDS).get("id", "")),
            "segments": _texts(customer.get("segments", _ABSENT), MAX_TAGS),
            "orders": _count(customer.get("orders", 0), 0),
            "attributes": _attributes_of(customer.get("attributes", _ABSENT))}, set(customer)),
        "coupons": _texts(get("coupons", _ABSENT), MAX_COUPONS), "lines": lines,
        "shipping": shipping, "shipments": shipments,
        "attributes": _attributes_of(get("attributes", _ABSENT))},
        set(data))


def _shipments(listed: Any, minor_units: int) -> list[Shipment] | None:
    """The shipments of plain data (``None`` if not given), else ``_Slow``."""
    if listed is None:
        return None
    if type(listed) is not list or len(listed) > MAX_SHIPMENTS:
        raise _Slow
    shipments, seen = [], set()
    for data in listed:
        get = _mapping(data, _SHIPMENT_FIELDS).get
        shipment_id = _text(get("id"), 1)
        if shipment_id in seen:
            raise _Slow
        seen.add(shipment_id)
        shipments.append(_built(Shipment, {
            "id": shipment_id, "method": _text(get("method"), 1),
            "price": _amount(get("price"), minor_units), "seller": _text(get("seller", ""))},
            set(data)))
    if sum(shipment.price for shipment in shipments) > MAX_AMOUNT:
        raise _Slow
    return shipments


_CART_FIELDS, _LINE_FIELDS, _CUSTOMER_FIELDS, _SHIPPING_FIELDS, _SHIPMENT_FIELDS = (
    frozenset(model.model_fields) for model in (Cart, Line, Customer, Shipping, Shipment))


def _validated(data: Any) -> Cart:
    """``data`` as a ``Cart``, read fast when it is valid plain data; raises
    pydantic's ``ValidationError`` otherwise."""
    try:
        return _fast_cart(data)
    except _Slow:
        return Cart.model_validate(data, context=_context(data))


def parse_cart(data: Any) -> Cart:
    """Validate cart data (a dict from JSON or YAML); raises ``CartError``."""
    try:
        return _validated(data)
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
                return _validated(doc.data)
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
    cart = _json_cart(text_source.text)
    return cart if cart is not None else _from_source(text_source)


def load_cart_text(text: str, *, name: str = "<cart>") -> Cart:
    """The cart written in ``text`` (JSON or YAML); ``name`` is where errors say it is."""
    cart = _json_cart(text)
    return cart if cart is not None else _from_source(SourceFile(name, text))


# ------------------------------------------------- JSON text, read as JSON when YAML agrees
# A cart file is YAML (JSON is YAML), composed with the position of every node for
# the diagnostics: about 100 µs a line.  A valid cart in JSON that YAML reads the same
# way is read with ``json`` (about 1 µs a line); anything else, invalid carts included,
# is composed as YAML as before.  YAML (libyaml) reads JSON otherwise with a key and
# its ':' on two lines or far apart, escaped surrogates, characters it does not print
# (NEL breaks a quoted line), tabs and CRs (by parser), numbers beyond its bounds,
# duplicate keys, and keys long or ``<<`` (``_odd_keys``).
_KEY_ON_ITS_LINE = re.compile(r"\n *:")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_NOT_PRINTED = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


def _yaml_number(text: str) -> Decimal:
    """A JSON fraction (or NaN, Infinity) as YAML reads it (``dsl.loader``): exact, and
    bounded (else ``ValueError``)."""
    number = BareDecimal(text)
    exponent = number.as_tuple().exponent
    if not (number.is_finite() and number.copy_abs() <= MAX_NUMBER and
            isinstance(exponent, int) and exponent >= -MAX_NUMBER_DECIMALS):
        raise ValueError(text)
    return number


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(mapping := dict(pairs)) != len(pairs):
        raise ValueError("a duplicate key")
    return mapping


_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_float=_yaml_number,
                         parse_constant=_yaml_number)


def _json_cart(text: str) -> Cart | None:
    """The cart in ``text`` when it is a valid cart in JSON that YAML reads the same
    way; ``None`` when the YAML loader must read it."""
    if not text.lstrip().startswith("{") or len(text) > 500_000 or "\t" in text or \
            "\r" in text or "\x7f" in text or not text.isascii() and _NOT_PRINTED.search(text) \
            or "\n" in text and _KEY_ON_ITS_LINE.search(text) or " " * 64 + ":" in text or \
            "\\u" in text and _ESCAPED_SURROGATE.search(text):
        return None  # (500,000 characters: under YAML's caps on a file's lines)
    try:
        return _fast_cart(_JSON.decode(text))
    except (ValueError, RecursionError, _Slow):
        return None


def dump_cart(cart: Cart) -> str:
    """The cart as canonical JSON (prices as strings)."""
    return json.dumps(cart.model_dump(mode="json"), indent=2, sort_keys=True)
