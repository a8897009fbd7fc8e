"""Every number, time, text and list of a cart is bounded, and so is the work one
evaluation does: a value past a bound is refused with its code and its JSON path (and,
from a file, its line and column), never with a traceback (README "Limits")."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dsl import load_ruleset_text
from dsl.codes import (
    CART_AMOUNT_TOO_LARGE,
    CART_ATTRIBUTES_TOO_LARGE,
    CART_BAD_TIME,
    CART_NUMBER_OUT_OF_BOUNDS,
    CART_TEXT_TOO_LONG,
    CART_TOO_MANY,
    EVALUATION_TOO_LARGE,
)
from dsl.loader import MAX_SCALAR
from dsl.validation import json_path
from engine import evaluate, program
from engine.cart import (
    MAX_COUPONS,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_TAGS,
    MAX_TEXT,
    CartError,
    load_cart,
    parse_cart,
)
from engine.cart_fields import MAX_ATTRIBUTE_TEXT, MAX_ATTRIBUTE_VALUES
from engine.cli import cli

VALID: dict[str, Any] = {
    "id": "c-1",
    "currency": "USD",
    "at": "2026-06-15T12:00:00+00:00",
    "customer": {"id": "u-1", "segments": ["vip"], "orders": 2, "attributes": {}},
    "coupons": ["WELCOME10"],
    "lines": [
        {"id": "a", "sku": "A-1", "unit_price": "19.99", "quantity": 2, "tags": ["sale"],
         "attributes": {}},
        {"id": "b", "sku": "B-1", "unit_price": "5", "quantity": 1},
    ],
    "shipping": {"method": "standard", "price": "4.90"},
    "attributes": {},
}
RULESET = """\
ruleset: t
dsl: 1
currency: USD
timezone: UTC
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }
promotions:
  - { id: p, effect: { percent_off: 10 } }
"""


def changed(edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    edit(data)
    return data


def refused(data: Any) -> list[tuple[str, str]]:
    """``(code, message)`` of every diagnostic of the cart given as data."""
    with pytest.raises(CartError) as caught:
        parse_cart(data)
    return [(d.code, d.message) for d in caught.value.diagnostics]


def as_json(data: dict[str, Any], **replace: str) -> str:
    """The cart as JSON text, with ``"@name@"`` placeholders replaced by raw text."""
    text = json.dumps(data, indent=1)
    for name, raw in replace.items():
        text = text.replace(f'"@{name}@"', raw)
    return text


def where(text: str, token: str, occurrence: int = 1) -> tuple[int, int]:
    index = -1
    for _ in range(occurrence):
        index = text.index(token, index + 1)
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def refused_file(tmp_path: Path, text: str) -> list[tuple[str, int, int]]:
    """``(code, line, col)`` of every diagnostic of the cart file holding ``text``."""
    path = tmp_path / "cart.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CartError) as caught:
        load_cart(path)
    out = []
    for d in caught.value.diagnostics:
        assert d.span is not None and d.span.file == str(path)
        out.append((d.code, d.span.line, d.span.col))
    return out


# ------------------------------------------------------------ numbers


@pytest.mark.parametrize("raw", ["9" * 5_000, str(10**25), str(10**15 + 1), "1e26", "-" + "9" * 99])
def test_a_number_past_10_to_the_15_in_a_file(tmp_path: Path, raw: str) -> None:
    text = as_json(changed(lambda d: d["lines"][0].update(quantity="@n@")), n=raw)
    assert refused_file(tmp_path, text) == [(CART_NUMBER_OUT_OF_BOUNDS, *where(text, raw))]
    text = as_json(changed(lambda d: d["customer"].update(orders="@n@")), n=raw)
    assert refused_file(tmp_path, text) == [(CART_NUMBER_OUT_OF_BOUNDS, *where(text, raw))]


@pytest.mark.parametrize("quantity", [MAX_QUANTITY + 1, 10**25, 10**5_000],
                         ids=["10^9+1", "10^25", "10^5000"])
def test_a_quantity_is_at_most_10_to_the_9(tmp_path: Path, quantity: int) -> None:
    ((code, message),) = refused(changed(lambda d: d["lines"][1].update(quantity=quantity)))
    assert (code, message.split(":")[0]) == (CART_NUMBER_OUT_OF_BOUNDS, "lines[1].quantity")
    ((code, message),) = refused(changed(lambda d: d["customer"].update(orders=quantity)))
    assert (code, message.split(":")[0]) == (CART_NUMBER_OUT_OF_BOUNDS, "customer.orders")
    if quantity < 10**15:
        text = as_json(changed(lambda d: d["lines"][1].update(quantity=quantity)))
        assert refused_file(tmp_path, text) == [
            (CART_NUMBER_OUT_OF_BOUNDS, *where(text, str(quantity)))]


def test_the_largest_quantity_and_price(tmp_path: Path) -> None:
    cart = parse_cart(changed(lambda d: d.update(lines=[
        {"id": "a", "sku": "A", "unit_price": "1000000", "quantity": MAX_QUANTITY}])))
    assert cart.subtotal == Decimal(10**15)
    cart = parse_cart(changed(lambda d: d.update(lines=[
        {"id": "a", "sku": "A", "unit_price": "1000000000000000.00", "quantity": 1}])))
    assert cart.subtotal == Decimal(10**15)


# ------------------------------------------------------------ amounts


def test_a_price_past_10_to_the_15(tmp_path: Path) -> None:
    price = "100000000000000000000000000"
    assert refused(changed(lambda d: d["lines"][0].update(unit_price=price))) == [
        (CART_AMOUNT_TOO_LARGE, f"lines[0].unit_price: a price is at most 10^15 (got {price})")]
    text = as_json(changed(lambda d: d["lines"][0].update(unit_price=price)))
    assert refused_file(tmp_path, text) == [(CART_AMOUNT_TOO_LARGE, *where(text, f'"{price}"'))]
    text = as_json(changed(lambda d: d["shipping"].update(price=price)))
    assert refused_file(tmp_path, text) == [(CART_AMOUNT_TOO_LARGE, *where(text, f'"{price}"'))]


def test_a_line_total_past_10_to_the_15(tmp_path: Path) -> None:
    data = changed(lambda d: d["lines"][1].update(unit_price="1000000000", quantity=1_000_001))
    ((code, message),) = refused(data)
    assert code == CART_AMOUNT_TOO_LARGE
    assert message.startswith("lines[1].quantity: the line's total")
    text = as_json(data)
    assert refused_file(tmp_path, text) == [(CART_AMOUNT_TOO_LARGE, *where(text, "1000001"))]


def test_line_totals_that_add_up_past_10_to_the_15(tmp_path: Path) -> None:
    data = changed(lambda d: d.update(lines=[
        {"id": f"l{i}", "sku": "S", "unit_price": "999999999999999.99", "quantity": 1}
        for i in range(30)]))  # 30 × 10^15: 31 digits, past Decimal's 28
    ((code, message),) = refused(data)
    assert code == CART_AMOUNT_TOO_LARGE and message.startswith("lines: the subtotal")
    text = as_json(data)
    line, col = where(text, '"lines": [')
    assert refused_file(tmp_path, text) == [(CART_AMOUNT_TOO_LARGE, line, col + 9)]


# ---------------------------------------------------------------- time


@pytest.mark.parametrize("at", [1784000000, 1784000000.5, "1784000000", True, [],
                                "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00",
                                "1899-12-31T23:59:59", "next tuesday"])
def test_at_is_iso_8601_text_within_the_years(tmp_path: Path, at: Any) -> None:
    ((code, message),) = refused(changed(lambda d: d.update(at=at)))
    assert (code, message.split(":")[0]) == (CART_BAD_TIME, "at")
    text = as_json(changed(lambda d: d.update(at="@at@")), at=json.dumps(at))
    assert refused_file(tmp_path, text) == [(CART_BAD_TIME, *where(text, json.dumps(at)))]


def test_at_at_the_edges_of_the_years() -> None:
    for at in ("1900-01-01T00:00:00+14:00", "9000-12-31T23:59:59-23:59", "2026-07-15",
               "2026-07-15T14:30:00Z", "2026-07-15 14:30"):
        result = evaluate(load_ruleset_text(RULESET), parse_cart(changed(
            lambda d, at=at: d.update(at=at))))
        assert result.to_json()


def test_at_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULESET, encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps(VALID), encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "r.yaml"), str(tmp_path / "c.json"),
                                      "--at", "0001-01-01T00:00:00+14:00"])
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{CART_BAD_TIME} at: 0001-01-01T00:00:00+14:00 is outside" in result.stderr


# --------------------------------------------------------------- lists


@pytest.mark.parametrize(("path", "limit", "item"), [
    (("lines",), MAX_LINES, {"id": "x", "sku": "S", "unit_price": "1", "quantity": 1}),
    (("coupons",), MAX_COUPONS, "CODE"),
    (("lines", 0, "tags"), MAX_TAGS, "tag"),
    (("customer", "segments"), MAX_TAGS, "segment"),
])
def test_lists_are_bounded(tmp_path: Path, path: tuple[Any, ...], limit: int,
                           item: Any) -> None:
    def fill(data: dict[str, Any]) -> None:
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        items = []
        for i in range(limit + 1):
            items.append({**item, "id": f"x{i}"} if isinstance(item, dict) else f"{item}{i}")
        parent[path[-1]] = items

    data = changed(fill)
    ((code, message),) = refused(data)
    assert code == CART_TOO_MANY and message.startswith(f"{json_path(path)}: more than")
    text = as_json(data)
    token = f'"x{limit}"' if isinstance(item, dict) else f'"{item}{limit}"'
    line, col = where(text, token)
    if isinstance(item, dict):  # the line's mapping starts on the line before its id
        line, col = line - 1, 3
    assert refused_file(tmp_path, text) == [(CART_TOO_MANY, line, col)]


# --------------------------------------------------------------- texts


def test_texts_are_bounded(tmp_path: Path) -> None:
    sku = "S" * (MAX_TEXT + 1)
    assert refused(changed(lambda d: d["lines"][0].update(sku=sku)))[0][0] == CART_TEXT_TOO_LONG
    text = as_json(changed(lambda d: d["lines"][0].update(sku=sku)))
    assert refused_file(tmp_path, text) == [(CART_TEXT_TOO_LONG, *where(text, f'"{sku}"'))]
    huge = "S" * (MAX_SCALAR + 1)
    text = as_json(changed(lambda d: d["lines"][0].update(sku=huge)))
    assert refused_file(tmp_path, text) == [(CART_TEXT_TOO_LONG, *where(text, f'"{huge}"'))]
    assert refused(changed(lambda d: d["coupons"].append("C" * 101)))[0][0] == CART_TEXT_TOO_LONG


# ---------------------------------------------------------- attributes


@pytest.mark.parametrize("attributes", [
    {f"k{i}": i for i in range(MAX_ATTRIBUTE_VALUES + 1)},
    {"list": list(range(MAX_ATTRIBUTE_VALUES + 1))},
    {"a": {"b": {"c": {"d": {"e": 1}}}}}, {"a": [[[[1]]]]},
    {"note": "x" * (MAX_ATTRIBUTE_TEXT + 1)},
    {"n": 10**16}, {"n": -(10**5_000)}, {"n": float("nan")}, {"n": float("inf")},
    {"n": Decimal("1e999999999")}, {"n": Decimal("NaN")}, {"n": 1e300},
], ids=["values", "list", "deep", "deep-list", "text", "int", "huge-int", "nan", "inf", "decimal",
        "decimal-nan", "float"])
def test_attributes_are_bounded(attributes: dict[str, Any]) -> None:
    for path, edit in (("attributes", lambda d: d.update(attributes=attributes)),
                       ("customer.attributes", lambda d: d["customer"].update(
                           attributes=attributes)),
                       ("lines[0].attributes", lambda d: d["lines"][0].update(
                           attributes=attributes))):
        ((code, message),) = refused(changed(edit))
        assert (code, message.split(":")[0]) == (CART_ATTRIBUTES_TOO_LARGE, path)


def test_attributes_at_their_bounds() -> None:
    attributes = {"a": {"b": {"c": [1, 2]}}, "n": 10**15, "f": -1e15, "t": "x" * 3_000,
                  **{f"k{i}": True for i in range(MAX_ATTRIBUTE_VALUES - 10)}}
    assert parse_cart(changed(lambda d: d.update(attributes=attributes))).attributes


def test_attributes_in_a_file(tmp_path: Path) -> None:
    text = as_json(changed(lambda d: d.update(attributes={"n": "@n@"})), n="1e20")
    assert refused_file(tmp_path, text) == [(CART_NUMBER_OUT_OF_BOUNDS, *where(text, "1e20"))]
    deep = {"a": {"b": {"c": {"d": {"e": 1}}}}}
    text = as_json(changed(lambda d: d.update(attributes=deep)))
    token = '"attributes": {\n  "a"'  # the cart's own attributes (the last in the file)
    line, col = where(text, token)
    assert refused_file(tmp_path, text) == [(CART_ATTRIBUTES_TOO_LARGE, line,
                                             col + len('"attributes": '))]


# ------------------------------------------------------ the work of one cart


def ruleset_of(count: int) -> str:
    return RULESET.replace("  - { id: p, effect: { percent_off: 10 } }\n", "".join(
        f"  - {{ id: p{i:04d}, effect: {{ percent_off: 1 }} }}\n" for i in range(count)))


def cart_of(lines: int) -> dict[str, Any]:
    return changed(lambda d: d.update(lines=[
        {"id": f"l{i:04d}", "sku": "S", "unit_price": "1000000.00", "quantity": 1}
        for i in range(lines)]))


def test_lines_times_promotions_applied_are_bounded() -> None:
    ruleset = load_ruleset_text(ruleset_of(program.MAX_APPLIED // MAX_LINES + 1))
    with pytest.raises(CartError) as caught:
        evaluate(ruleset, parse_cart(cart_of(MAX_LINES)))
    assert caught.value.code == EVALUATION_TOO_LARGE
    assert caught.value.diagnostics[0].message.startswith(
        "lines: more than 200,000 line discounts in the result (1,000 lines × 201 promotions")
    ruleset = load_ruleset_text(ruleset_of(program.MAX_APPLIED // MAX_LINES))
    result = evaluate(ruleset, parse_cart(cart_of(MAX_LINES)))
    assert len(result.applied) == program.MAX_APPLIED // MAX_LINES


def test_the_line_discounts_computed_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(program, "MAX_WORK", 49)  # 5 promotions on 10 lines compute 50
    with pytest.raises(CartError) as caught:
        evaluate(load_ruleset_text(ruleset_of(5)), parse_cart(cart_of(10)))
    assert caught.value.code == EVALUATION_TOO_LARGE
    assert caught.value.diagnostics[0].message.startswith("lines: pricing this cart computes")
    monkeypatch.setattr(program, "MAX_WORK", 50)
    assert len(evaluate(load_ruleset_text(ruleset_of(5)), parse_cart(cart_of(10))).applied) == 5


def test_reasons_worked_out_later_count_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(program, "MAX_WORK", 20)
    text = RULESET.replace("  - { id: p, effect: { percent_off: 10 } }\n", "".join(
        f"  - {{ id: p{i}, priority: {10 - i}, effect: {{ fixed_price: \"0\" }} }}\n"
        for i in range(6)))
    ruleset, cart = load_ruleset_text(text), parse_cart(cart_of(5))
    result = program.Program(ruleset, check_index=False).evaluate(cart)
    # the first takes everything (5 line discounts); the reasons of the others take 25
    assert [a.promotion for a in result.applied] == ["p0"]
    with pytest.raises(CartError) as caught:
        list(result.rejected)
    assert caught.value.code == EVALUATION_TOO_LARGE


# ---------------------------------------------------------- through the CLI


HOSTILE = {
    "quantity": (lambda d: d["lines"][0].update(quantity="@n@"), {"n": "9" * 5_000},
                 CART_NUMBER_OUT_OF_BOUNDS, "9" * 5_000),
    "price": (lambda d: d["lines"][0].update(unit_price="100000000000000000000000000"), {},
              CART_AMOUNT_TOO_LARGE, '"100000000000000000000000000"'),
    "at": (lambda d: d.update(at="9999-12-31T23:59:59-23:59"), {}, CART_BAD_TIME,
           '"9999-12-31T23:59:59-23:59"'),
    "epoch": (lambda d: d.update(at=1784000000), {}, CART_BAD_TIME, "1784000000"),
    "lines": (lambda d: d.update(lines=[{"id": f"l{i}", "sku": "S", "unit_price": "1",
                                         "quantity": 1} for i in range(MAX_LINES + 1)]),
              {}, CART_TOO_MANY, '"l1000"'),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_promo_eval_refuses_a_hostile_cart(tmp_path: Path, case: str) -> None:
    edit, raw, code, token = HOSTILE[case]
    text = as_json(changed(edit), **raw)
    (tmp_path / "r.yaml").write_text(RULESET, encoding="utf-8")
    cart = tmp_path / "cart.json"
    cart.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "r.yaml"), str(cart)])
    line, col = where(text, token)
    if case == "lines":
        line, col = line - 1, 3
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{cart}:{line}:{col}: {code} ")
    assert "Traceback" not in result.output
