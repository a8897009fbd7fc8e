"""The fields of cart, customer and item are declared once (dsl.expr.types): the
evaluator's facts and the index's keys are checked against that declaration here,
so the two cannot drift apart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dsl.expr.parser import parse_expression
from dsl.expr.types import ATTRIBUTES, CART_FIELDS, CUSTOMER_FIELDS, ITEM_FIELDS, SCOPES, Type
from engine import index
from engine.cart import parse_cart
from engine.facts import READ_APART, cart_facts, fields_read

CART = parse_cart({
    "id": "c-1", "currency": "EUR", "at": "2026-07-15T14:30:00+02:00",
    "customer": {"id": "u-1", "segments": ["vip"], "orders": 3, "attributes": {"tier": "gold"}},
    "coupons": ["SUMMER"],
    "lines": [{"id": "l1", "sku": "S-1", "category": "shoes", "tags": ["sale"],
               "unit_price": "19.90", "quantity": 2, "attributes": {"colour": "red"}}],
    "shipping": {"method": "standard", "price": "4.95"},
    "attributes": {"channel": "app"},
})
FACTS = cart_facts(CART, dt.datetime(2026, 7, 15, 12, 30, tzinfo=dt.UTC),
                   ZoneInfo("Europe/Berlin"), Decimal("0.01"))

PYTHON_TYPES: dict[Type, type | tuple[type, ...]] = {
    Type.NUMBER: Decimal, Type.MONEY: Decimal, Type.STRING: str, Type.BOOL: bool,
    Type.DATE: dt.date, Type.DATETIME: dt.datetime, Type.STRING_LIST: tuple,
}


def check(values: dict[str, Any], fields: dict[str, Any]) -> None:
    assert set(values) == set(fields)
    for name, field in fields.items():
        assert isinstance(values[name], PYTHON_TYPES[field.type]), name
        if field.nonnegative:
            assert values[name] >= 0, name
        if field.whole:
            assert values[name] == int(values[name]), name


def test_the_facts_offer_exactly_the_declared_fields_with_their_types() -> None:
    check(FACTS.cart, CART_FIELDS)
    check(FACTS.customer, CUSTOMER_FIELDS)
    [line] = FACTS.lines
    check({k: v for k, v in line.items() if k != ATTRIBUTES}, ITEM_FIELDS)
    assert line[ATTRIBUTES] == {"colour": "red"}
    assert FACTS.cart_attributes == {"channel": "app"}
    assert FACTS.customer_attributes == {"tier": "gold"}


def test_the_index_keys_name_declared_fields_of_the_right_kind() -> None:
    for name, dimension in index.ITEM_KEYS.items():
        assert ITEM_FIELDS[name].type in (Type.STRING, Type.STRING_LIST)
        assert (dimension in index.LIST_FIELDS) == ITEM_FIELDS[name].type.is_list
    for (scope, name), dimension in index.CART_KEYS.items():
        field = SCOPES[scope][name]
        assert (dimension in index.LIST_FIELDS) == field.type.is_list
        assert (dimension in index.NUMBER_FIELDS) == (field.type is Type.NUMBER and field.whole)
    for (scope, name) in index.CART_MEASURES:
        assert SCOPES[scope][name].type in (Type.NUMBER, Type.MONEY)
        assert SCOPES[scope][name].nonnegative


def test_the_facts_made_apart_are_made_for_the_conditions_that_read_them() -> None:
    """A program makes the line's product, tags and attributes and the cart's and
    customer's attributes only when a condition reads them; the others stay the cart's."""
    read = fields_read([parse_expression("item.tags contains \"sale\" and attributes.x == 1"),
                        parse_expression("customer.orders > 1 or item.category == \"shoes\"")])
    assert read == {"item.tags", "cart.attributes"}
    assert fields_read([None]) == READ_APART
    facts = cart_facts(CART, dt.datetime(2026, 7, 15, 12, 30, tzinfo=dt.UTC),
                       ZoneInfo("Europe/Berlin"), Decimal("0.01"), read)
    [line], [whole] = facts.lines, FACTS.lines
    assert line["tags"] == ("sale",) and line["attributes"] is CART.lines[0].attributes
    assert facts.customer_attributes is CART.customer.attributes
    assert facts.cart_attributes == CART.attributes
    assert facts.cart_attributes is not CART.attributes
    assert line["product"] == CART.lines[0].product != whole["product"]  # (not defaulted)
    assert {k: v for k, v in line.items() if k not in (ATTRIBUTES, "product")} == \
        {k: v for k, v in whole.items() if k not in (ATTRIBUTES, "product")}
