"""Reading a request body (``engine/service/requests.py``): a cart sent to the service is
the cart the same text in a file is, whichever way the body is read, and nothing in a
body is left for the reader to guess."""

from __future__ import annotations

import decimal
import json
from decimal import Decimal
from typing import Any

import pytest

from engine.cart import load_cart_text
from engine.service.problems import Problem
from engine.service.requests import cart_body, cart_from, member, parse_json

CART: dict[str, Any] = {
    "id": "c1", "currency": "EUR", "customer": {"id": "u1", "attributes": {"score": 1.5}},
    "attributes": {"weight": 123456.123456789012, "count": 2},
    "lines": [{"id": "l1", "sku": "A", "unit_price": "10.00", "quantity": 1,
               "attributes": {"size": 1e2}}]}


def _text(cart: dict[str, Any]) -> str:
    # (floats written as their digits: json.dumps would round 123456.123456789012)
    return json.dumps(cart).replace("123456.123456789", "123456.123456789012")


@pytest.mark.parametrize("escaped", [False, True])
def test_a_cart_body_is_the_cart_its_text_in_a_file_is(escaped: bool) -> None:
    # with a backslash in the text, the cart's JSON reader leaves the body to json
    cart = {**CART, "id": "c\\1"} if escaped else CART
    text = _text(cart)
    assert "123456.123456789012" in text
    from_file = load_cart_text(text)
    assert cart_body(text.encode()) == from_file
    assert cart_from(parse_json(text.encode())) == from_file  # (a cart inside a body)
    # fractions exact: a float would have kept 123456.12345678901
    assert from_file.attributes["weight"] == Decimal("123456.123456789012")
    assert from_file.lines[0].attributes["size"] == 100


def test_a_bare_number_price_is_refused_as_a_file_refuses_it() -> None:
    text = _text(CART).replace('"10.00"', "1e1").encode()
    for read in (cart_body, lambda raw: cart_from(parse_json(raw))):
        with pytest.raises(Problem) as refused:
            read(text)
        assert "price 1E+1 is a bare number" in refused.value.detail


@pytest.mark.parametrize(("raw", "expected"), [(b'{"ttl": 900}', 900), (b'{"ttl": 900.0}', 900),
                                               (b'{"ttl": 9e2}', 900),
                                               (b'{"ttl": 123456.0}', 123456)])
def test_a_whole_number_written_as_a_fraction_is_a_whole_number(raw: bytes,
                                                                 expected: int) -> None:
    assert member(parse_json(raw), "ttl", int) == expected
    with decimal.localcontext(prec=3):  # (a handler thread's own context)
        assert member(parse_json(raw), "ttl", int) == expected


@pytest.mark.parametrize("raw", [b'{"ttl": 900.5}', b'{"ttl": 9.005e2}'])
def test_a_fraction_is_not_a_whole_number(raw: bytes) -> None:
    # (a handler thread's context changes nothing: prec 3 cannot hold 900.5)
    with decimal.localcontext(prec=3), pytest.raises(Problem) as refused:
        member(parse_json(raw), "ttl", int)
    assert refused.value.detail == "$.ttl must be an integer"


def test_a_member_given_twice_is_found_at_any_depth() -> None:
    with pytest.raises(Problem) as refused:
        parse_json(b'{"a": [{"b": 1}, {"c": {"d": 1, "e": 2, "d": 3}}]}')
    assert refused.value.code == "PR103"
    assert refused.value.extra == {"path": "$.a[1].c.d"}
    assert parse_json(b'{"a": {"d": 1}, "b": {"d": 2}}') == {"a": {"d": 1}, "b": {"d": 2}}


@pytest.mark.parametrize(("written", "path"), [
    ("12345678901234567.5", "$.lines[0].unit_price"),  # beyond 10^15 (a float kept ...68e+16)
    ("0.1234567890123", "$.attributes.weight"),  # 13 decimals
    ("1e400", "$.customer.attributes.score"),  # beyond what a float holds (it was inf)
])
def test_a_number_out_of_bounds_is_refused_as_a_file_refuses_it(written: str,
                                                                path: str) -> None:
    where = {"$.lines[0].unit_price": '"10.00"', "$.attributes.weight": "123456.123456789012",
             "$.customer.attributes.score": "1.5"}[path]
    text = _text(CART).replace(where, written, 1)
    assert written in text
    expected = f"the number {written} is out of bounds: at most 10^15 in size, with at most " \
        "12 decimals"
    with pytest.raises(Exception, match="PR309") as in_a_file:
        load_cart_text(text)
    assert expected in str(in_a_file.value)
    for read in (cart_body, parse_json):
        with pytest.raises(Problem) as refused:
            read(text.encode())
        assert (refused.value.code, refused.value.status) == ("PR309", 422)
        assert refused.value.detail == f"{path}: {expected}"
        assert refused.value.extra == {"path": path}
    # beyond the bounds anywhere in a body (a ttl), the same refusal
    with pytest.raises(Problem) as refused:
        parse_json(b'{"order_ref": "o-1", "ttl": 1e400}')
    assert refused.value.detail.startswith("$.ttl: the number 1e400 is out of bounds")


@pytest.mark.parametrize(("raw", "code"), [
    (b'{"a": 1e400, "b": NaN}', "PR600"),  # not JSON after the number: 400, as before
    (b'{"a": 1e400} x', "PR600"),
    (b'{"id": "c1", "attributes": {"r": 1e400}, "lines": [', "PR600"),  # cut short
    (b'{"a": 1e400, "b": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "PR600"),  # too deep
    (b'{"x": 0, "y": 1e400, "x": 1e400}', "PR103"),  # a member given twice comes first
    # a member given twice, then the body no JSON: its path was looked for in it (500)
    (b'{"a": 1, "a": 2} x', "PR600"),
    (b'{"x": {"a": 1, "a": 2}, "b": NaN}', "PR600"),
    (b'[{"a": 1, "a": 2}, ' + b"[" * 50_000, "PR600"),
    (b'[{"a": 1, "a": 2}, 1' + b"0" * 5_000 + b"]", "PR103"),  # (a number left unread)
])
def test_a_body_is_read_whole_before_a_number_in_it_is_refused(raw: bytes, code: str) -> None:
    # the refusal of the number looked for its path in a body json had not read to the
    # end: what was wrong after it escaped as a 500
    with pytest.raises(Problem) as refused:
        parse_json(raw)
    assert refused.value.code == code and refused.value.status in (400, 422)


def test_the_path_of_a_number_out_of_bounds_is_the_first_in_the_document() -> None:
    raw = b'{"a": [1.5, {"b": 2e20}], "c": 3e20}'
    with pytest.raises(Problem) as refused:
        parse_json(raw)
    assert refused.value.extra == {"path": "$.a[1].b"}
    assert "the number 2e20 is out of bounds" in refused.value.detail


@pytest.mark.parametrize(("written", "path"), [
    ("10000000000000000", "$.attributes.r"),  # over 10^15 (was PR313 at $.attributes)
    ("-1" + "0" * 5_000, "$.attributes.r"),  # (was "not JSON", quoting Python's digit limit)
])
def test_an_integer_out_of_bounds_is_refused_as_a_file_refuses_it(written: str,
                                                                  path: str) -> None:
    text = _text(CART).replace('"count": 2', f'"r": {written}')
    with pytest.raises(Exception, match="PR309"):
        load_cart_text(text)
    with pytest.raises(Problem) as refused:
        parse_json(text.encode())
    assert (refused.value.code, refused.value.extra) == ("PR309", {"path": path})
    assert "is out of bounds: at most 10^15 in size" in refused.value.detail
    assert parse_json(b'{"q": 1000000000000000, "n": -1000000000000000}') == \
        {"q": 10**15, "n": -(10**15)}
