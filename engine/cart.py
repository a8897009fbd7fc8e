"""The cart snapshot: what a shop sends to be priced (pydantic, JSON or YAML).

Prices are decimal strings (or integers) with at most the currency's minor
units; floats are refused at the door.  Errors carry the JSON path and, when
the cart came from a file, its line and column.

Everything is bounded (README "Limits"): amounts (a price, a line's total, the
subtotal) at most 10^15, quantities 10^9, lines, codes, tags and texts, and
attributes; a file is refused over a cap before it is composed (``CART_CAPS``).
"""

import dataclasses
import datetime as dt
import functools
import json
import os
from collections.abc import Callable
from decimal import Decimal, localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self, TypeVar

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
from dsl.decimal_context import DECIMAL_CONTEXT, in_decimal_context
from dsl.errors import Diagnostic, DiagnosticsError, InputError, Span, attach_source
from dsl.loader import (
    Cap,
    Caps,
    SourceFile,
    compose_document,
    read_source,
)
from dsl.values import MAX_AMOUNT, normalise_code

from .cart_fields import (
    _ABSENT,
    _FRESH,
    _KNOWN_PRICES,
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
    _amount,
    _at_most,
    _attributes_of,
    _counted,
    _evaluation_time,
    _Model,
    _Slow,
    _text,
    _texts,
)
from .cart_json import json_data

if TYPE_CHECKING:
    from dsl.validation import ValidationCodes


@functools.cache
def validation_codes() -> "ValidationCodes":
    """How the cart's validation errors become diagnostics (``dsl.validation``: imported
    when a cart is invalid, not by every command that reads a valid one)."""
    from dsl.validation import ValidationCodes

    return ValidationCodes(missing=CART_MISSING, unknown=CART_UNKNOWN_FIELD,
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
    def _bounded_total(self) -> Self:
        with localcontext(DECIMAL_CONTEXT, prec=60):  # exact: at most 10^15 × 10^9, 4 decimals
            total = self.unit_price * self.quantity
        if total > MAX_AMOUNT:
            raise PydanticCustomError(CART_AMOUNT_TOO_LARGE, "the line's total (unit_price × "
                                      "quantity) is at most 10^15 (got {total})",
                                      {"total": f"{total:,f}", "field": "quantity"})
        return self

    @property
    @in_decimal_context
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
    def _unique_lines(self) -> Self:
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
    def _one_shipping(self) -> Self:
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
    @in_decimal_context
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
    @in_decimal_context
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
# them (tests/engine/test_cart_fast.py holds the two readings equal).  The common case
# is read with few Python calls: a mapping merged into its fields' defaults (one dict,
# in the models' order, of as many keys unless one is unknown), unpacked at once.
# The readers also count the strings the data holds (keys and texts), for
# ``cart_json.json_data`` to see that no key was duplicated.


_M = TypeVar("_M", bound=BaseModel)
_new = object.__new__
_set_dict, _set_fields, _set_extra, _set_private = (
    BaseModel.__dict__[name].__set__ for name in (
        "__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"))


def _built(model: type[_M], values: dict[str, Any], given: set[str]) -> _M:
    """The ``model`` validation makes of data naming ``given``, holding ``values`` (all)."""
    instance = _new(model)
    _set_dict(instance, values)
    _set_fields(instance, given)
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Each field of ``model`` in order, with what plain data leaving it out gives."""
    return {name: _FRESH if field.default_factory else _ABSENT if field.is_required()
            else field.default for name, field in model.model_fields.items()}


def _values(data: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a mapping naming fields only) over ``defaults``, in the fields' order."""
    if type(data) is not dict or len(values := defaults | data) != len(defaults):
        raise _Slow
    return values


def _lines(listed: Any, minor_units: int) -> tuple[list[Line], Decimal, int]:
    """The lines of plain data, their subtotal and the strings they hold (else ``_Slow``).
    A line is read inline (each call costs as much as a check): under 2 µs."""
    if type(listed) is not list or len(listed) > MAX_LINES:
        raise _Slow
    lines, ids, subtotal, strings = [], set(), Decimal(0), 0
    known_prices, fields = _KNOWN_PRICES[minor_units], len(_LINE_DEFAULTS)
    for data in listed:
        if type(data) is not dict or len(values := _LINE_DEFAULTS | data) != fields:
            raise _Slow
        line_id, sku, product, category, seller, brand, tags, price, quantity, attributes = \
            values.values()
        if not (type(line_id) is type(sku) is type(product) is type(category) is type(seller)
                is type(brand) is str and line_id and sku and len(line_id) <= MAX_TEXT and
                len(sku) <= MAX_TEXT and len(product) <= MAX_TEXT and
                len(category) <= MAX_TEXT and len(seller) <= MAX_TEXT and
                len(brand) <= MAX_TEXT and line_id not in ids and type(quantity) is int and
                0 < quantity <= MAX_QUANTITY):
            raise _Slow
        ids.add(line_id)
        if type(price) is not str or (amount := known_prices.get(price)) is None:
            amount = _amount(price, minor_units)
        values["unit_price"] = amount
        subtotal += amount * quantity  # exact: at most 29 digits; ≤ 10^15 (each total too)
        values["tags"] = _texts(tags, MAX_TAGS)
        if tags is not _FRESH:
            strings += len(tags) - 1  # (the key counted below is not a text)
        if attributes is _FRESH:
            values["attributes"] = {}
        elif type(attributes) is dict and not attributes:
            values["attributes"] = {}
            strings -= 1  # (the key counted below is not a text)
        else:
            values["attributes"], held = _attributes_of(attributes)
            strings += held - 1
        line = _new(Line)
        _set_dict(line, values)
        _set_fields(line, set(data))
        _set_extra(line, None)
        _set_private(line, None)
        lines.append(line)
        # each key, and for each a text but for quantity, tags, attributes (above), a price
        strings += 2 * len(data) - 2 + (type(price) is str)
    return lines, subtotal, strings


def _read(data: Any) -> tuple[Cart, int]:
    """The cart plain ``data`` holds, if it is valid (else ``_Slow``), and the number of
    strings in ``data`` (keys and texts)."""
    values = _values(data, _CART_DEFAULTS)
    cart_id, currency, at, customer, coupons, listed, shipping, shipments, attributes = \
        values.values()
    if type(cart_id) is not str or not 0 < len(cart_id) <= MAX_TEXT or \
            type(currency) is not str or currency not in MINOR_UNITS or \
            at is not None and type(at) is not str:
        raise _Slow
    minor_units = MINOR_UNITS[currency]
    try:
        values["at"] = _evaluation_time(at)
    except PydanticCustomError:
        raise _Slow from None
    values["lines"], subtotal, strings = _lines([] if listed is _FRESH else listed, minor_units)
    if subtotal > MAX_AMOUNT:
        raise _Slow
    values["customer"], held = _customer({} if customer is _FRESH else customer)
    strings += held + len(data) + 2 + (type(at) is str)  # keys, id, currency, at
    if shipping is not None:
        ship = _values(shipping, _SHIPPING_DEFAULTS)
        method, price = ship.values()
        if type(method) is not str or not 0 < len(method) <= MAX_TEXT:
            raise _Slow
        ship["price"] = _amount(price, minor_units)
        values["shipping"] = _built(Shipping, ship, set(shipping))
        strings += 3 + (type(price) is str)  # keys (both required), method
    if shipments is not None:
        values["shipments"], held = _shipments(shipments, minor_units)
        strings += held
        if shipping is not None:
            raise _Slow
    values["coupons"] = coupons = _texts(coupons, MAX_COUPONS)
    values["attributes"], held = _attributes_of(attributes)
    return _built(Cart, values, set(data)), strings + len(coupons) + held


def _customer(data: Any) -> tuple[Customer, int]:
    values = _values(data, _CUSTOMER_DEFAULTS)
    customer_id, segments, orders, attributes = values.values()
    if type(customer_id) is not str or len(customer_id) > MAX_TEXT or \
            type(orders) is not int or not 0 <= orders <= MAX_QUANTITY:
        raise _Slow
    values["segments"] = segments = _texts(segments, MAX_TAGS)
    values["attributes"], held = _attributes_of(attributes)
    return _built(Customer, values, set(data)), \
        len(data) + ("id" in data) + len(segments) + held  # keys, texts


def _shipments(listed: Any, minor_units: int) -> tuple[list[Shipment], int]:
    """The shipments of plain data and the strings they hold, else ``_Slow``."""
    if type(listed) is not list or len(listed) > MAX_SHIPMENTS:
        raise _Slow
    shipments, seen, total, strings = [], set(), Decimal(0), 0
    for data in listed:
        values = _values(data, _SHIPMENT_DEFAULTS)
        values["id"] = shipment_id = _text(values["id"], 1)
        if shipment_id in seen:
            raise _Slow
        seen.add(shipment_id)
        values["method"] = _text(values["method"], 1)
        values["price"] = price = _amount(values["price"], minor_units)
        values["seller"] = _text(values["seller"])
        total += price
        shipments.append(_built(Shipment, values, set(data)))
        strings += len(data) + 2 + (type(data["price"]) is str) + ("seller" in data)
    if total > MAX_AMOUNT:
        raise _Slow
    return shipments, strings


_CART_DEFAULTS, _LINE_DEFAULTS, _CUSTOMER_DEFAULTS, _SHIPPING_DEFAULTS, _SHIPMENT_DEFAULTS = (
    _defaults(model) for model in (Cart, Line, Customer, Shipping, Shipment))


def _fast_cart(data: Any) -> Cart:
    """The cart ``data`` holds, if it is valid plain data (else ``_Slow``)."""
    return _read(data)[0]


def _validated(data: Any) -> Cart:
    """``data`` as a ``Cart``, read fast when it is valid plain data; raises
    pydantic's ``ValidationError`` otherwise."""
    try:
        return _fast_cart(data)
    except _Slow:
        return Cart.model_validate(data, context=_context(data))


@in_decimal_context
def parse_cart(data: Any) -> Cart:
    """Validate cart data (a dict from JSON or YAML); raises ``CartError``."""
    try:
        return _validated(data)
    except ValidationError as err:
        from dsl.validation import json_path

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
    from dsl.validation import json_path

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
                from dsl.validation import validation_diagnostics

                diagnostics = _with_paths(validation_diagnostics(doc, err, validation_codes()),
                                          err)
    raise CartError(attach_source(diagnostics, source.lines))


@in_decimal_context
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
    cart = json_cart(text_source.text)
    return cart if cart is not None else _from_source(text_source)


@in_decimal_context
def load_cart_text(text: str, *, name: str = "<cart>") -> Cart:
    """The cart written in ``text`` (JSON or YAML); ``name`` is where errors say it is."""
    cart = json_cart(text)
    return cart if cart is not None else _from_source(SourceFile(name, text))


def json_cart(text: str) -> Cart | None:
    """The cart in ``text`` when it is a valid cart in JSON that YAML reads the same
    way, no key given twice; ``None`` when it must be read another way (a file by the
    YAML loader, a request body by ``json`` and the models, for their diagnostics)."""
    if (read := json_data(text)) is None:
        return None
    data, strings = read
    try:
        cart, held = _read(data)
    except (_Slow, RecursionError):
        return None
    return cart if strings is None or strings == held else None  # else a duplicate key


def dump_cart(cart: Cart) -> str:
    """The cart as canonical JSON (prices as strings)."""
    return json.dumps(cart.model_dump(mode="json"), indent=2, sort_keys=True)
