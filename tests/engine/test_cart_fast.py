"""The fast readings of a cart give what the slow ones give, to the last field.

``parse_cart`` first reads plain data with plain code (``engine.cart._fast_cart``)
and leaves anything it is not sure of to the pydantic models; ``load_cart_text``
and ``load_cart`` first read JSON text with ``json`` when YAML reads it the same
way (``engine.cart.json_cart``).  Here the fast readings are compared with the
slow ones: the same ``Cart`` (fields, fields set, types), or the same
diagnostics, on generated carts, hand-picked edge cases and random data.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from benchmarks.generate import generate_cart
from dsl.codes import CART_TOO_PRECISE
from dsl.loader import SourceFile
from engine.cart import (
    Cart,
    CartError,
    _context,
    _fast_cart,
    _from_source,
    _Slow,
    json_cart,
    load_cart,
    load_cart_text,
    parse_cart,
)
from engine.cart_fields import _KNOWN_PRICES, KNOWN_PRICES


def same_model(fast: Any, slow: Any) -> None:
    """Equal, with the same fields set and value types, all the way down."""
    assert type(fast) is type(slow)
    if isinstance(slow, BaseModel):
        assert fast == slow
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.__pydantic_extra__ == slow.__pydantic_extra__
        assert fast.__pydantic_private__ == slow.__pydantic_private__
        assert list(fast.__dict__) == list(slow.__dict__)
        for name in type(slow).model_fields:
            same_model(getattr(fast, name), getattr(slow, name))
    elif isinstance(slow, (list, tuple)):
        assert len(fast) == len(slow)
        for a, b in zip(fast, slow, strict=True):
            same_model(a, b)
    elif isinstance(slow, dict):
        assert list(fast) == list(slow)
        for key in slow:
            same_model(fast[key], slow[key])
    else:
        assert fast == slow
        if hasattr(slow, "tzinfo"):
            assert fast.tzinfo == slow.tzinfo and type(fast.tzinfo) is type(slow.tzinfo)


def slowly(data: Any) -> Cart:
    return Cart.model_validate(data, context=_context(data))


def outcome(read: Any, source: Any) -> Any:
    """The cart ``read(source)`` gives, or the diagnostics it raises."""
    try:
        return read(source)
    except CartError as err:
        return [(d.code, d.message, d.span) for d in err.diagnostics]


def from_yaml(text: str) -> Any:
    return _from_source(SourceFile("<cart>", text))


GENERATED = [generate_cart(lines, seed=seed) for lines in (0, 1, 3, 12) for seed in range(6)]


@pytest.mark.parametrize("data", GENERATED, ids=lambda d: f"{d['id']}-{len(d['lines'])}")
def test_generated_carts_read_fast_are_the_carts_the_models_make(data: dict[str, Any]) -> None:
    fast = _fast_cart(copy.deepcopy(data))
    same_model(fast, slowly(copy.deepcopy(data)))
    assert fast.model_dump_json() == slowly(data).model_dump_json()


@pytest.mark.parametrize("data", GENERATED[:12], ids=lambda d: f"{d['id']}-{len(d['lines'])}")
@pytest.mark.parametrize("style", [{"indent": 2}, {}, {"separators": (",", ":")},
                                   {"indent": 1, "ensure_ascii": False}])
def test_json_text_read_as_json_is_the_cart_yaml_reads(data: dict[str, Any],
                                                       style: dict[str, Any]) -> None:
    text = json.dumps(data, **style)
    fast = json_cart(text)
    assert fast is not None
    same_model(fast, from_yaml(text))


def test_a_cart_file_in_json_is_read_as_json(tmp_path: Path) -> None:
    path = tmp_path / "cart.json"
    path.write_text(json.dumps(GENERATED[3], indent=2), encoding="utf-8")
    same_model(load_cart(path), from_yaml(path.read_text(encoding="utf-8")))


def test_the_copies_are_the_carts_own() -> None:
    data = {"id": "c", "currency": "EUR", "coupons": ["A"], "attributes": {"k": "v"},
            "customer": {"segments": ["vip"], "attributes": {"x": 1}},
            "lines": [{"id": "a", "sku": "A", "unit_price": "1.00", "quantity": 1,
                       "tags": ["t"], "attributes": {"c": "red"}}]}
    cart = parse_cart(data)
    data["coupons"].append("B")
    data["attributes"]["k"] = "w"
    data["customer"]["segments"].clear()
    data["lines"][0]["tags"].append("u")
    data["lines"][0]["attributes"].clear()
    assert cart.coupons == ["A"] and cart.attributes == {"k": "v"}
    assert cart.customer.segments == ["vip"]
    assert cart.lines[0].tags == ["t"] and cart.lines[0].attributes == {"c": "red"}


BASE = {"id": "c-1", "currency": "EUR", "at": "2026-06-15T12:00:00Z",
        "lines": [{"id": "a", "sku": "A", "unit_price": "19.90", "quantity": 2}]}


def with_(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(BASE), **changes}


def with_line(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["lines"][0].update(changes)
    return data


VALID_EDGES = [
    with_line(unit_price=" 1.50 "), with_line(unit_price="007.5"), with_line(unit_price=5),
    with_line(unit_price="0"), with_line(quantity=10**9, unit_price="1"),
    with_line(unit_price="999999999999999.99", quantity=1), with_(currency="JPY", lines=[]),
    with_(currency="BHD", shipping={"method": "m", "price": "1.005"}), with_(at=None),
    with_(at=" 2026-06-15 "), with_(at="2026-06-15T12:00:00.123456-03:30"),
    with_(shipping=None), with_(customer={}), with_(customer={"id": "", "orders": 0}),
    with_(attributes={"a": [1, 2.5, None, True, {"b": "c"}], "n": 10**15}),
    {"id": "c", "currency": "EUR"},
    with_(shipments=[]), with_(shipments=[{"id": "s1", "method": "m", "price": "1.00",
                                           "seller": "acme"},
                                          {"id": "s2", "method": "m", "price": 3}]),
]


@pytest.mark.parametrize("data", VALID_EDGES, ids=repr)
def test_valid_edge_cases_read_fast_are_the_carts_the_models_make(data: Any) -> None:
    same_model(_fast_cart(copy.deepcopy(data)), slowly(copy.deepcopy(data)))


SHIPMENT = {"id": "s1", "method": "m", "price": "1.00"}

# Data the fast reading leaves to the models (each valid or not): the outcome is theirs.
LEFT_TO_THE_MODELS = [
    with_(currency="XXX"), with_(currency=None), with_(id=""), with_(id="x" * 101),
    with_(at="yesterday"), with_(at="0900-01-01T00:00:00Z"), with_(at=20260615),
    with_(extra=1), with_(coupons=["X"] * 21), with_(coupons=("A",)), with_(coupons=[1]),
    with_(customer=None), with_(customer={"orders": -1}), with_(customer={"orders": True}),
    with_(customer={"segments": ["s"] * 51}), with_(customer={"nickname": "x"}),
    with_(shipping={"method": "", "price": "1.00"}), with_(shipping={"method": "m"}),
    with_(shipping={"method": "m", "price": "1.001"}), with_(shipping=[]),
    with_(lines={"a": 1}), with_(lines=[1]), with_(attributes=[]),
    with_(shipments=[SHIPMENT, SHIPMENT]),
    with_(shipping={"method": "m", "price": "1.00"}, shipments=[SHIPMENT]),
    with_(shipments=[{"id": str(k), "method": "m", "price": "1"} for k in range(101)]),
    with_(shipments=[{"id": "s1", "method": "m", "price": "-1"}]), with_(shipments={}),
    with_(shipments=[{"id": "s1", "method": "m", "price": "1", "colour": "r"}]),
    with_(shipments=[{"id": str(k), "method": "m", "price": "600000000000000"}
                     for k in range(2)]),
    with_(attributes={"a": {"b": {"c": {"d": [1]}}}}), with_(attributes={"x": float("nan")}),
    with_(attributes={1: "int key"}), with_(attributes={"k" * 200: "long key"}),
    with_line(unit_price=19.9), with_line(unit_price="19.999"), with_line(unit_price="-1.00"),
    with_line(unit_price="1e3"), with_line(unit_price="٣.00"),
    with_line(unit_price="1."), with_line(unit_price=".5"), with_line(unit_price="+1.00"),
    with_line(unit_price=str(10**16)), with_line(unit_price=10**16), with_line(unit_price=True),
    with_line(unit_price=Decimal("1.50")), with_line(unit_price="0" * 50 + "1.00"),
    with_line(quantity=0), with_line(quantity=True), with_line(quantity="2"),
    with_line(quantity=10**9 + 1), with_line(quantity=2.0), with_line(sku=""),
    with_line(sku=None), with_line(tags=["t"] * 51), with_line(tags="t"), with_line(colour="r"),
    with_line(unit_price="999999999999999.00", quantity=2), with_line(attributes=None),
    {**BASE, "lines": BASE["lines"] * 2},
    {**BASE, "lines": [dict(BASE["lines"][0], id=str(k), unit_price="600000000000000")
                       for k in range(2)]},
    [], "cart", None,
]


@pytest.mark.parametrize("data", LEFT_TO_THE_MODELS, ids=repr)
def test_what_the_fast_reading_is_unsure_of_is_left_to_the_models(data: Any) -> None:
    with pytest.raises(_Slow):
        _fast_cart(copy.deepcopy(data))
    try:
        expected: Any = slowly(copy.deepcopy(data))
    except ValidationError:
        expected = outcome(parse_cart, copy.deepcopy(data))
        assert outcome(parse_cart, copy.deepcopy(data)) == expected
    else:
        same_model(parse_cart(copy.deepcopy(data)), expected)


def json_texts() -> dict[str, str]:
    cart = GENERATED[8]
    text = json.dumps(cart)
    floats = {**cart, "attributes": {"w": 1.5, "e": 1e-5, "n": -0.0, "l": [2.50, {"x": None}]}}
    escaped = copy.deepcopy(cart)
    escaped["lines"][0]["product"] = 'q"\\/\b\f\n\r\t\u0000é\u2028'
    return {
        "floats": json.dumps(floats), "floats unicode": json.dumps(floats, ensure_ascii=False),
        "big float": text[:-1] + ', "attributes": {"x": 1e20}}',
        "many decimals": text[:-1] + ', "attributes": {"x": 0.1234567890123}}',
        "big int": text[:-1] + ', "attributes": {"x": 10000000000000001}}',
        "huge int": text[:-1] + ', "attributes": {"x": ' + "9" * 5000 + "}}",
        "nan": text[:-1] + ', "attributes": {"x": NaN}}',
        "infinity": text[:-1] + ', "attributes": {"x": -Infinity}}',
        "duplicate key": text[:-1] + ', "id": "other"}',
        "duplicate nested": text[:-1] + ', "attributes": {"a": 1, "a": 2}}',
        "merge key": text[:-1] + ', "attributes": {"<<": 1}}',
        "long key": text[:-1] + ', "attributes": {"' + "k" * 1100 + '": 1}}',
        "escaped long key": text[:-1] + ', "attributes": {"' + "\\u00e9" * 170 + '": 1}}',
        "key on its line": json.dumps(cart, indent=2).replace('"id":', '"id"\n:', 1),
        "key far from its colon": text.replace('"id":', '"id"' + " " * 1100 + ":", 1),
        "escapes": json.dumps(escaped), "raw escapes": json.dumps(escaped, ensure_ascii=False),
        "escaped surrogates": text[:-1] + ', "attributes": {"e": "\\ud83d\\ude00"}}',
        "astral": json.dumps({**cart, "attributes": {"e": "😀"}}, ensure_ascii=False),
        "NEL": json.dumps({**cart, "attributes": {"e": "a\x85b"}}, ensure_ascii=False),
        "DEL": json.dumps({**cart, "attributes": {"e": "a\x7fb"}}, ensure_ascii=False),
        "C1": json.dumps({**cart, "attributes": {"e": "a\x9ab"}}, ensure_ascii=False),
        "tabs": json.dumps(cart, indent="\t"), "CRLF": json.dumps(cart, indent=2).replace(
            "\n", "\r\n"),
        "BOM": "\ufeff" + text, "leading space": "  \n" + text, "trailing": text + "\n\n",
        "two documents": text + "\n" + text, "a list": json.dumps([cart]),
        "not json": "{id: c-1, currency: EUR}", "empty": "", "null": "null",
        "bare price": text.replace('"unit_price": "', '"unit_price": 1', 1),
        "invalid": json.dumps({**cart, "currency": "XXX"}),
        "deep": '{"id": "c", "currency": "EUR", "attributes": ' + "[" * 3000 + "]" * 3000 + "}",
    }


def reads_as_yaml_reads(text: str) -> None:
    """``load_cart_text`` gives what the YAML reading gives: the same cart or error."""
    expected = outcome(from_yaml, text)
    got = outcome(load_cart_text, text)
    if isinstance(expected, Cart):
        same_model(got, expected)
    else:
        assert got == expected


@pytest.mark.parametrize(("name", "text"), list(json_texts().items()),
                         ids=list(json_texts()))
def test_json_text_gives_what_yaml_gives(name: str, text: str) -> None:
    reads_as_yaml_reads(text)


def test_the_json_reading_is_taken_where_it_is_safe() -> None:
    texts = json_texts()
    for name in ("floats", "floats unicode", "escapes", "astral"):
        assert json_cart(texts[name]) is not None, name
    for name in ("nan", "duplicate key", "merge key", "key on its line", "escaped surrogates",
                 "NEL", "tabs", "CRLF", "big float", "invalid"):
        assert json_cart(texts[name]) is None, name


# ------------------------------------------------------------------ random data

TEXT = st.text(max_size=4) | st.sampled_from(["a", "", " ", "x" * 101, "é"])
VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-10**16, 10**16) | TEXT
    | st.floats(allow_nan=True, allow_infinity=True) | st.decimals(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8)
PRICE = st.sampled_from(["19.99", "0", "5", "1.5", "1.999", "-1", "1e2", " 2.50", "", "x"]) \
    | st.integers(-2, 10**16) | st.floats(0, 100) | st.booleans()


@st.composite
def lines(draw: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"id": draw(st.sampled_from(["a", "b", "", "c"])),
                            "sku": draw(TEXT), "unit_price": draw(PRICE),
                            "quantity": draw(st.integers(-1, 3) | st.sampled_from([True, 10**10]))}
    for name in ("product", "category", "seller", "brand", "tags", "attributes", "colour"):
        if draw(st.integers(0, 5)) == 0:
            line[name] = draw(VALUE | st.lists(TEXT, max_size=2))
    for name in ("id", "sku", "unit_price", "quantity"):
        if draw(st.integers(0, 12)) == 0:
            del line[name]
    return line


@st.composite
def carts(draw: Any) -> Any:
    data: dict[str, Any] = {"id": draw(st.sampled_from(["c-1", ""]) | TEXT),
                            "currency": draw(st.sampled_from(["EUR", "JPY", "BHD", "XXX", 1]))}
    if draw(st.booleans()):
        data["lines"] = draw(st.lists(lines(), max_size=3))
    optional = {"at": st.sampled_from(["2026-06-15T12:00:00Z", "2026-06-15", "bad", None, 5]),
                "customer": st.fixed_dictionaries({}, optional={
                    "id": TEXT, "segments": st.lists(TEXT, max_size=2),
                    "orders": st.integers(-1, 3), "attributes": VALUE}) | VALUE,
                "coupons": st.lists(TEXT, max_size=3) | VALUE,
                "shipping": st.fixed_dictionaries({"method": TEXT, "price": PRICE}) | VALUE,
                "shipments": st.lists(st.fixed_dictionaries(
                    {"id": st.sampled_from(["s1", "s2", ""]), "method": TEXT, "price": PRICE},
                    optional={"seller": TEXT}), max_size=3) | VALUE,
                "attributes": st.dictionaries(TEXT, VALUE, max_size=3) | VALUE,
                "other": VALUE}
    for name, strategy in optional.items():
        if draw(st.integers(0, 3)) == 0:
            data[name] = draw(strategy)
    for name in ("id", "currency"):
        if draw(st.integers(0, 15)) == 0:
            del data[name]
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carts())
def test_random_data_reads_the_same_both_ways(data: Any) -> None:
    try:
        expected: Any = slowly(copy.deepcopy(data))
    except ValidationError:
        with pytest.raises(_Slow):
            _fast_cart(copy.deepcopy(data))
        return
    try:
        fast = _fast_cart(copy.deepcopy(data))
    except _Slow:
        return  # left to the models: it reads as they read it
    same_model(fast, expected)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carts(), st.sampled_from([{}, {"indent": 2}, {"ensure_ascii": False}]))
def test_random_json_text_reads_the_same_both_ways(data: Any, style: dict[str, Any]) -> None:
    try:
        text = json.dumps(data, default=str, **style)
    except ValueError:
        return
    reads_as_yaml_reads(text)


# ------------------------------------------------------------ JSON text without a backslash
# ``json`` keeps the last of duplicate keys; YAML refuses them.  Text without a
# backslash is decoded without a hook refusing them, and the reader counts the strings
# of the data to compare with the quotes of the text (``engine.cart_json``): the
# count must be exact for every valid cart (else it is read slowly), and a duplicate
# key anywhere must make the JSON reading give up.

KEY = st.text("abcé😀<", min_size=1, max_size=4).filter(lambda key: key != "<<")  # (YAML's merge)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15)
    | st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 4))
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=3),
    max_leaves=6)
ATTRIBUTES = st.dictionaries(KEY, JSON_VALUE, max_size=3)


@st.composite
def valid_carts(draw: Any) -> dict[str, Any]:
    """Valid carts of every shape the fast reading reads: fields left out or given as
    null, prices as integers, shipments, nested attributes with unicode."""
    data = copy.deepcopy(draw(st.sampled_from(GENERATED)))
    for line in data["lines"]:
        for name in ("product", "category", "seller", "brand", "tags", "attributes"):
            if draw(st.integers(0, 4)) == 0:
                del line[name]
        if draw(st.integers(0, 3)) == 0:
            line["attributes"] = draw(ATTRIBUTES)
        if draw(st.integers(0, 4)) == 0:
            line["unit_price"] = draw(st.integers(0, 1000))
    for name in ("at", "coupons", "customer", "shipping", "lines"):
        if draw(st.integers(0, 5)) == 0:
            del data[name]
    if draw(st.integers(0, 4)) == 0:
        data["at"] = None
    if draw(st.integers(0, 3)) == 0:
        data["attributes"] = draw(ATTRIBUTES)
    if "customer" in data and draw(st.integers(0, 3)) == 0:
        data["customer"]["attributes"] = draw(ATTRIBUTES)
    if draw(st.integers(0, 3)) == 0:
        data.pop("shipping", None)
        data["shipments"] = [{"id": f"s{k}", "method": "m", "price": price,
                              **({"seller": "acme"} if k % 2 else {})}
                             for k, price in enumerate(draw(st.lists(
                                 st.sampled_from(["4.90", "0", 3]), max_size=3)))]
    return data


def all_mappings(data: Any) -> list[dict[str, Any]]:
    """Every non-empty mapping in ``data``, outermost first."""
    found = [data] if isinstance(data, dict) and data else []
    for item in data.values() if isinstance(data, dict) else data \
            if isinstance(data, list) else []:
        found += all_mappings(item)
    return found


def with_duplicate(data: Any, target: dict[str, Any], key: str, value: Any,
                   style: dict[str, Any]) -> str:
    """``data`` as JSON text in which ``target`` names ``key`` a second time."""
    if isinstance(data, dict):
        items = [json.dumps(k, **style) + ": " + with_duplicate(v, target, key, value, style)
                 for k, v in data.items()]
        if data is target:
            items.append(json.dumps(key, **style) + ": " + json.dumps(value, **style))
        return "{" + ", ".join(items) + "}"
    if isinstance(data, list):
        return "[" + ", ".join(with_duplicate(v, target, key, value, style)
                               for v in data) + "]"
    return json.dumps(data, **style)


STYLES = st.sampled_from([{}, {"ensure_ascii": False}])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_carts(), STYLES, st.sampled_from([{}, {"indent": 2}, {"separators": (",", ":")}]))
def test_a_valid_cart_in_json_without_a_backslash_is_read_as_json(
        data: dict[str, Any], style: dict[str, Any], layout: dict[str, Any]) -> None:
    text = json.dumps(data, **style, **layout)
    if "\\" in text or not text.isascii():
        return  # (the other path, or characters YAML may not print: tested elsewhere)
    fast = json_cart(text)
    assert fast is not None  # the strings were counted right
    same_model(fast, from_yaml(text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_carts(), STYLES, st.data())
def test_a_duplicate_key_at_any_depth_is_never_read_as_json(
        data: dict[str, Any], style: dict[str, Any], draw: Any) -> None:
    target = draw.draw(st.sampled_from(all_mappings(data)))
    key = draw.draw(st.sampled_from(sorted(target)))
    value = draw.draw(st.sampled_from([target[key], "x", 1, None, [], {}, {"a": "b"}]))
    text = with_duplicate(data, target, key, value, style)
    if draw.draw(st.booleans()):  # a backslash: the other decoding, which refuses them
        text = text.replace('"id": ', '"\\u0069d": ', 1)
    assert json_cart(text) is None
    reads_as_yaml_reads(text)


def test_a_known_price_is_known_for_its_currency_only() -> None:
    bhd = with_(currency="BHD")
    bhd["lines"][0]["unit_price"] = "1.999"
    assert parse_cart(bhd).lines[0].unit_price == Decimal("1.999")
    eur = with_line(unit_price="1.999")  # three decimals: too many for the euro
    with pytest.raises(_Slow):
        _fast_cart(copy.deepcopy(eur))
    assert outcome(parse_cart, eur) == [(CART_TOO_PRECISE, "lines[0].unit_price: 1.999 has "
                                         "more decimals than the currency allows (2)", None)]


def test_the_known_prices_are_bounded() -> None:
    texts = [f"{k}.{k % 100:02d}" for k in range(KNOWN_PRICES + 10)]
    data = copy.deepcopy(BASE)
    for start in range(0, len(texts), 1000):
        data["lines"] = [{"id": f"l{k}", "sku": "A", "unit_price": text, "quantity": 1}
                         for k, text in enumerate(texts[start:start + 1000])]
        cart = _fast_cart(copy.deepcopy(data))
        assert [str(line.unit_price) for line in cart.lines] == texts[start:start + 1000]
    assert 0 < len(_KNOWN_PRICES[2]) <= KNOWN_PRICES
    padded = " " * 9_000 + "1.25"  # (read: YAML's scalars go to 10,000 characters; not kept)
    assert _fast_cart(with_line(unit_price=padded)).lines[0].unit_price == Decimal("1.25")
    assert padded not in _KNOWN_PRICES[2]


@pytest.mark.parametrize("text", [
    "\u3000" + json.dumps(BASE), json.dumps(BASE) + "\u3000", "\n " + json.dumps(BASE) + " \n",
    json.dumps(BASE) + " x", json.dumps(BASE)[:-1], json.dumps(BASE) + "}",
    json.dumps(BASE).replace('"c-1"', '"c-\\u0031"'), json.dumps(BASE).replace(",", ", ,", 1),
])
def test_the_text_around_the_json_reads_as_yaml_reads_it(text: str) -> None:
    reads_as_yaml_reads(text)


# JSON text YAML refuses for a bound the data does not show: refused as YAML refuses it.
def test_a_price_longer_than_a_yaml_scalar_is_refused_as_yaml_refuses_it() -> None:
    reads_as_yaml_reads(json.dumps(with_line(unit_price=" " * 10_000 + "1.25")))


def test_a_long_escaped_key_far_from_its_colon_is_read_as_yaml_reads_it() -> None:
    # YAML reads a key that ends within 1,024 characters: 160 escaped characters and 63
    # spaces before the ':' take 1,025 (YAML refuses the text); 150 take 965 (both read it)
    for length in (150, 151, 160):
        key = "\\u0061" * length  # each character written as an escape
        text = '{"id":"c","currency":"USD","attributes":{"' + key + '"' + " " * 63 + ':"v"}}'
        reads_as_yaml_reads(text)
