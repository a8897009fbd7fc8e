"""Cart snapshot validation: every error code, its JSON path, and its position in YAML."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dsl import load_ruleset_text
from engine import evaluate
from engine.cart import CartError, load_cart, load_cart_text, parse_cart

Factory = Callable[..., Any]

VALID: dict[str, Any] = {
    "id": "c-1",
    "currency": "USD",
    "customer": {"id": "u-1", "segments": ["vip"], "orders": 2},
    "coupons": [" Welcome10 "],
    "lines": [
        {"id": "a", "sku": "A-1", "unit_price": "19.99", "quantity": 2},
        {"id": "b", "sku": "B-1", "unit_price": 5, "quantity": 1, "tags": ["sale"]},
    ],
    "shipping": {"method": "standard", "price": "4.90"},
}


def errors(source: Any) -> list[tuple[str, str]]:
    """``(code, message)`` of every diagnostic loading ``source`` (data, or text) raises."""
    with pytest.raises(CartError) as caught:
        if isinstance(source, str):
            load_cart_text(source)
        else:
            parse_cart(source)
    return [(d.code, d.message) for d in caught.value.diagnostics]


def positioned(text: str) -> list[tuple[str, str, int, int]]:
    """``(code, message, line, col)`` of every diagnostic loading YAML ``text`` raises."""
    with pytest.raises(CartError) as caught:
        load_cart_text(text, name="cart.yaml")
    out = []
    for d in caught.value.diagnostics:
        assert d.span is not None and d.span.file == "cart.yaml"
        out.append((d.code, d.message, d.span.line, d.span.col))
    return out


def changed(edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    edit(data)
    return data


def test_a_valid_cart() -> None:
    cart = parse_cart(copy.deepcopy(VALID))
    assert cart.lines[0].unit_price == Decimal("19.99")
    assert cart.lines[1].unit_price == Decimal(5)
    assert cart.subtotal == Decimal("44.98")
    assert cart.codes == ["welcome10"]
    assert cart.shipping is not None and cart.shipping.price == Decimal("4.90")


# ------------------------------------------------------------ PR303 floats


def test_float_price_refused() -> None:
    assert errors(changed(lambda d: d["lines"][0].update(unit_price=19.99))) == [
        ("PR303", 'lines[0].unit_price: price 19.99 is a bare number; send it as a decimal '
                  'string such as "19.99"')]
    assert errors(changed(lambda d: d["shipping"].update(price=4.9))) == [
        ("PR303", 'shipping.price: price 4.9 is a bare number; send it as a decimal string '
                  'such as "19.99"')]


def test_bare_decimal_in_yaml_or_json_text_refused() -> None:
    text = """\
id: c-1
currency: USD
lines:
  - id: a
    sku: A-1
    unit_price: 19.99
    quantity: 1
"""
    assert positioned(text) == [
        ("PR303", 'lines[0].unit_price: price 19.99 is a bare number; send it as a decimal '
                  'string such as "19.99"', 6, 17)]
    json_text = '{"id": "c-1", "currency": "USD",\n "lines": [{"id": "a", "sku": "A",\n' \
                '  "unit_price": 1.5, "quantity": 1}]}'
    assert [(c, line, col) for c, _, line, col in positioned(json_text)] == [("PR303", 3, 17)]


# ------------------------------------------------- PR300 / PR304 prices


def test_negative_price() -> None:
    assert errors(changed(lambda d: d["lines"][1].update(unit_price="-1.00"))) == [
        ("PR300", "lines[1].unit_price: a price cannot be negative (got -1.00)")]
    text = """\
id: c-1
currency: USD
lines:
  - { id: a, sku: A-1, unit_price: "-2", quantity: 1 }
shipping: { method: express, price: "-0.01" }
"""
    assert positioned(text) == [
        ("PR300", "lines[0].unit_price: a price cannot be negative (got -2)", 4, 36),
        ("PR300", "shipping.price: a price cannot be negative (got -0.01)", 5, 37)]


def test_minus_zero_is_zero() -> None:
    """"-0" is not below zero: accepted, and priced as 0 (never shown as "-0.00")."""
    cart = parse_cart({"id": "c-1", "currency": "USD", "coupons": [],
                       "lines": [{"id": "a", "sku": "A", "unit_price": "-0", "quantity": 2}],
                       "shipments": [{"id": "s1", "method": "standard", "price": "-0.00"}]})
    result = evaluate(load_ruleset_text(MINUS_ZERO_RULESET), cart).to_dict()
    [line] = result["lines"]
    assert (line["unit_price"], line["total"], line["discount"]) == ("0.00", "0.00", "0.00")
    [shipment] = result["shipments"]
    assert (shipment["price"], shipment["discount"], shipment["final"]) == \
        ("0.00", "0.00", "0.00")
    assert "-" not in result["subtotal"] + result["total"]
    # the ruleset's amounts too (the same money fields)
    assert not load_ruleset_text(MINUS_ZERO_RULESET).stacking.max_discount.amount.is_signed()


MINUS_ZERO_RULESET = """\
ruleset: zero
dsl: 1
currency: USD
timezone: UTC
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted,
            max_discount: { amount: "-0.00" } }
promotions:
  - id: ten
    effect: { percent_off: 10 }
"""


def test_price_that_is_not_a_number() -> None:
    [(code, message)] = errors(changed(lambda d: d["lines"][0].update(unit_price="9,99")))
    assert code == "PR300"
    assert message.startswith("lines[0].unit_price: ")
    [(code, message)] = errors(changed(lambda d: d["lines"][0].update(unit_price=True)))
    assert code == "PR300"
    assert message.startswith("lines[0].unit_price: ")


@pytest.mark.parametrize("currency, price, units", [
    ("USD", "1.999", 2), ("JPY", "100.5", 0), ("BHD", "1.2345", 3)])
def test_over_precise_price(currency: str, price: str, units: int) -> None:
    data = changed(lambda d: d.update(currency=currency, shipping=None))
    data["lines"][0]["unit_price"] = price
    assert errors(data) == [
        ("PR304", f"lines[0].unit_price: {price} has more decimals than the currency allows "
                  f"({units})")]


@pytest.mark.parametrize("currency, price", [("USD", "1.99"), ("USD", "2"), ("JPY", "100"),
                                             ("BHD", "1.234"), ("BHD", "1.2")])
def test_precise_enough_prices(currency: str, price: str) -> None:
    data = changed(lambda d: d.update(currency=currency, shipping=None))
    data["lines"][0]["unit_price"] = price
    assert parse_cart(data).lines[0].unit_price == Decimal(price)


def test_over_precise_shipping_in_yaml() -> None:
    text = """\
id: c-1
currency: JPY
lines: []
shipping:
  method: standard
  price: "500.0"
"""
    assert positioned(text) == [
        ("PR304", "shipping.price: 500.0 has more decimals than the currency allows (0)", 6, 10)]


# -------------------------------------------------------- PR300 quantity


@pytest.mark.parametrize("quantity", [0, -1])
def test_zero_or_negative_quantity(quantity: int) -> None:
    assert errors(changed(lambda d: d["lines"][1].update(quantity=quantity))) == [
        ("PR300", "lines[1].quantity: Input should be greater than or equal to 1")]


@pytest.mark.parametrize("quantity", ["2", 1.5, True])
def test_quantity_must_be_a_whole_number(quantity: Any) -> None:
    [(code, message)] = errors(changed(lambda d: d["lines"][0].update(quantity=quantity)))
    assert code == "PR300"
    assert message.startswith("lines[0].quantity: ")


def test_zero_quantity_in_yaml() -> None:
    text = """\
id: c-1
currency: USD
lines:
  - id: a
    sku: A-1
    unit_price: "1.00"
    quantity: 0
"""
    assert positioned(text) == [
        ("PR300", "lines[0].quantity: must be at least 1", 7, 15)]


# ------------------------------------------------------- PR306 duplicates


def test_duplicate_line_ids() -> None:
    assert errors(changed(lambda d: d["lines"][1].update(id="a"))) == [
        ("PR306", "lines[1].id: duplicate line id 'a'")]
    text = """\
id: c-1
currency: USD
lines:
  - { id: a, sku: A-1, unit_price: "1.00", quantity: 1 }
  - { id: b, sku: B-1, unit_price: "1.00", quantity: 1 }
  - { id: a, sku: A-2, unit_price: "2.00", quantity: 1 }
"""
    assert positioned(text) == [("PR306", "lines[2].id: duplicate line id 'a'", 6, 11)]


# ---------------------------------------------- PR302 / PR301 fields


def test_unknown_field() -> None:
    assert errors(changed(lambda d: d["lines"][0].update(colour="red"))) == [
        ("PR302", "lines[0].colour: Extra inputs are not permitted")]
    assert errors(changed(lambda d: d.update(coupon="X"))) == [
        ("PR302", "coupon: Extra inputs are not permitted")]
    text = """\
id: c-1
currency: USD
lines:
  - id: a
    sku: A-1
    unit_price: "1.00"
    quantity: 1
    colour: red
"""
    assert positioned(text) == [("PR302", "lines[0].colour: unknown field 'colour'", 8, 5)]


def test_missing_field() -> None:
    assert errors(changed(lambda d: d["lines"][0].pop("sku"))) == [
        ("PR301", "lines[0].sku: Field required")]
    text = """\
id: c-1
currency: USD
lines:
  - id: a
    unit_price: "1.00"
    quantity: 1
"""
    [(code, message, line, col)] = positioned(text)
    assert (code, line, col) == ("PR301", 4, 5)
    assert message.startswith("lines[0].sku: ")


# ----------------------------------------------------------- PR305 currency


def test_unknown_currency() -> None:
    assert errors(changed(lambda d: d.update(currency="XYZ"))) == [
        ("PR305", "currency: unknown currency 'XYZ'; use an ISO 4217 code")]
    [(code, _, line, col)] = positioned("id: c-1\ncurrency: usd\nlines: []\n")
    assert (code, line, col) == ("PR305", 2, 11)


def test_currency_other_than_the_rulesets_is_refused_at_evaluation(ruleset: Factory) -> None:
    rs = ruleset("- id: p\n  effect: { percent_off: 10 }\n", currency="USD")
    cart = parse_cart(changed(lambda d: d.update(currency="EUR")))
    with pytest.raises(CartError) as caught:
        evaluate(rs, cart)
    assert caught.value.code == "PR305"
    assert [d.code for d in caught.value.diagnostics] == ["PR305"]
    assert "EUR" in str(caught.value) and "USD" in str(caught.value)


def test_currency_mismatch_names_its_json_path(ruleset: Factory) -> None:
    rs = ruleset("- id: p\n  effect: { percent_off: 10 }\n", currency="USD")
    cart = parse_cart(changed(lambda d: d.update(currency="EUR")))
    with pytest.raises(CartError) as caught:
        evaluate(rs, cart)
    assert caught.value.diagnostics[0].message.startswith("currency: ")


# --------------------------------------------------------- other problems


def test_unreadable_cart(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(CartError) as caught:
        load_cart(missing)
    assert caught.value.code == "PR307"
    [d] = caught.value.diagnostics
    assert d.span is not None and (d.span.file, d.span.line, d.span.col) == (str(missing), 1, 1)


def test_cart_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cart.yaml"
    path.write_text('id: c-1\ncurrency: USD\nlines:\n  - { id: a, sku: A, unit_price: 2.50, '
                    'quantity: 1 }\n')
    with pytest.raises(CartError) as caught:
        load_cart(path)
    assert str(caught.value).startswith(f"{path}:4:34: PR303 lines[0].unit_price: ")


def test_a_cart_that_is_not_a_mapping() -> None:
    assert [c for c, *_ in positioned("- 1\n- 2\n")] == ["PR300"]


def test_every_problem_is_reported_at_once() -> None:
    text = """\
id: c-1
currency: USD
lines:
  - id: a
    sku: A-1
    unit_price: 19.99
    quantity: 1
  - id: a
    sku: B-1
    unit_price: "-2"
    quantity: 0
    colour: red
"""
    assert [(c, m.split(":")[0], line, col) for c, m, line, col in positioned(text)] == [
        ("PR303", "lines[0].unit_price", 6, 17),
        ("PR306", "lines[1].id", 8, 9),
        ("PR300", "lines[1].unit_price", 10, 17),
        ("PR300", "lines[1].quantity", 11, 15),
        ("PR302", "lines[1].colour", 12, 5),
    ]
