"""Every refusal is an RFC 9457 problem (``application/problem+json``) with its code's
type URI, and says which member of the request is wrong; no refusal shows a traceback
or a path of the machine.  Random bodies never get anything but a documented status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import FASHION, RULESETS, Server, cart_json, start_server
from tests.service.helpers import (
    assert_nothing_leaks,
    assert_problem,
    assert_problem_body,
    bundled,
    raw_exchange,
)

EVALUATE = f"/v1/rulesets/{FASHION}/evaluate"
VALIDATE = f"/v1/rulesets/{FASHION}/coupons/validate"
CHECKOUTS = f"/v1/rulesets/{FASHION}/checkouts"
SMALL = 2048
CART = cart_json(RULESETS / "fashion" / "carts" / "example.yaml")
JSON_TYPE = {"content-type": "application/json"}


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """A problem, with nothing of the machine in it."""
    assert_nothing_leaks(response.text)
    found = assert_problem(response, status, code)
    assert found["instance"] == response.request.url.path
    return found


@pytest.fixture(scope="module")
def client(pricing_server: Server) -> Iterator[httpx.Client]:
    with pricing_server.client() as client:
        yield client


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose bodies may have 2048 bytes at most."""
    log = tmp_path_factory.mktemp("small") / "serve.log"
    server = start_server([str(RULESETS), "--no-watch", "--max-body", str(SMALL)], log)
    yield server
    server.stop()


def body_of(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes (a cart that is not valid)."""
    head, tail = b'{"id": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


# ------------------------------------------------------------------ sizes


def test_a_declared_length_over_the_limit_is_refused_before_the_body(small: Server) -> None:
    head = (f"POST {EVALUATE} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n").encode()
    status, headers, body = raw_exchange(small.url, head)  # the body is never sent
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    found = json.loads(body)
    assert_problem_body(found, 413)
    assert found["code"] == "PR601" and "10,485,760" in found["detail"]


def test_a_body_one_byte_over_the_limit_is_refused(small: Server) -> None:
    with small.client() as client:
        over = client.post(EVALUATE, content=body_of(SMALL + 1), headers=JSON_TYPE)
        problem(over, 413, "PR601")
        at_limit = client.post(EVALUATE, content=body_of(SMALL), headers=JSON_TYPE)
        problem(at_limit, 422)  # read and parsed: the cart is what is wrong
        wrapped = client.post(VALIDATE, content=body_of(SMALL + 1), headers=JSON_TYPE)
        problem(wrapped, 413, "PR601")


def test_a_chunked_body_over_the_limit_is_refused(small: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"id": "'
        for _ in range(40):
            yield b"x" * 100
        yield b'"}'

    with small.client() as client:
        answer = client.post(EVALUATE, content=chunks(), headers=JSON_TYPE)
    assert answer.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in answer.request.headers
    found = problem(answer, 413, "PR601")
    assert "2,048" in found["detail"]


# ------------------------------------------------------------------ bodies


def test_a_body_that_is_not_json_typed(client: httpx.Client) -> None:
    plain = client.post(EVALUATE, content=json.dumps(CART), headers={"content-type":
                                                                      "text/plain"})
    assert "text/plain" in problem(plain, 415, "PR602")["detail"]
    problem(client.post(EVALUATE, content=json.dumps(CART)), 415, "PR602")  # untyped
    # a JSON media type with a suffix or a charset is JSON
    suffixed = client.post(EVALUATE, content=json.dumps(CART),
                           headers={"content-type": "application/merge-patch+json"})
    assert suffixed.status_code == 200
    charset = client.post(EVALUATE, content=json.dumps(CART),
                          headers={"content-type": "application/json; charset=utf-8"})
    assert charset.status_code == 200


@pytest.mark.parametrize("raw", [b"{bad", b"", b'{"id": 1} trailing', b"\xff\xfe{}",
                                 b"NaN", b"[Infinity]", b'{"x": -Infinity}'])
def test_a_body_that_is_not_one_json_document(client: httpx.Client, raw: bytes) -> None:
    found = problem(client.post(EVALUATE, content=raw, headers=JSON_TYPE), 400, "PR600")
    assert "not JSON" in found["detail"]


@pytest.mark.parametrize("route", [EVALUATE, VALIDATE])
def test_a_body_nested_100000_deep(client: httpx.Client, route: str) -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    found = problem(client.post(route, content=raw, headers=JSON_TYPE), 400, "PR600")
    assert "nested too deep" in found["detail"]
    deep_in_a_cart = (b'{"id": "c", "currency": "EUR", "lines": [], "attributes": {"a": '
                      + b"[" * 50_000 + b"]" * 50_000 + b"}}")
    problem(client.post(EVALUATE, content=deep_in_a_cart, headers=JSON_TYPE), 400, "PR600")


def test_nesting_that_parses_is_still_refused_as_the_cart(client: httpx.Client) -> None:
    cart = {**CART, "attributes": {"a": json.loads("[" * 900 + "]" * 900)}}
    found = problem(client.post(EVALUATE, json=cart), 422)
    assert any(d["path"].startswith("$.attributes") for d in found["diagnostics"])


BROKEN = {"id": "c1", "currency": "EUR", "customer": {"orders": -1},
          "lines": [{"id": "l1", "sku": "A", "unit_price": "abc", "quantity": 1},
                    {"id": "l2", "sku": "B", "unit_price": "1.00", "quantity": 0}],
          "shipping": {"method": "standard", "price": "-1"}}
BROKEN_AT = ["lines[0].unit_price", "lines[1].quantity", "customer.orders", "shipping.price"]


@pytest.mark.parametrize(("route", "body", "root"), [
    (EVALUATE, BROKEN, "$"),
    (VALIDATE, {"code": "WELCOME10", "cart": BROKEN}, "$.cart"),
    (CHECKOUTS, {"order_ref": "o-1", "cart": BROKEN}, "$.cart"),
])
def test_an_invalid_cart_names_each_member(client: httpx.Client, route: str,
                                           body: dict[str, Any], root: str) -> None:
    answer = client.post(route, json=body, headers={"Idempotency-Key": "k-invalid-cart"})
    found = problem(answer, 422)
    paths = [d["path"] for d in found["diagnostics"]]
    assert sorted(paths) == sorted(f"{root}.{where}" for where in BROKEN_AT), paths
    for diagnostic in found["diagnostics"]:
        assert diagnostic["code"].startswith("PR3") and diagnostic["message"]
    assert found["detail"].startswith(paths[0] + ": ")
    assert "(and 3 more)" in found["detail"]


def _twice(body: dict[str, Any], member: str, again: str) -> bytes:
    """``body`` as JSON text with ``member``'s first occurrence written twice, the second
    time with the value ``again`` (JSON text)."""
    text = json.dumps(body)
    at = text.index(f'"{member}": ')
    return (text[:at] + f'"{member}": {again}, ' + text[at:]).encode()


@pytest.mark.parametrize(("route", "raw", "path"), [
    # the cart reader's own path (no backslash in the text), and json's (one in a text)
    (EVALUATE, _twice(CART, "unit_price", '"0.01"'), "$.lines[0].unit_price"),
    (EVALUATE, _twice({**CART, "id": "a\\b"}, "unit_price", '"0.01"'),
     "$.lines[0].unit_price"),
    (EVALUATE, _twice(CART, "currency", '"USD"'), "$.currency"),
    (VALIDATE, _twice({"code": "WELCOME10", "cart": CART}, "code", '"OTHER"'), "$.code"),
    (CHECKOUTS, _twice({"order_ref": "o-twice", "cart": CART}, "quantity", "50"),
     "$.cart.lines[0].quantity"),
])
def test_a_member_given_twice_is_refused_where_it_is(client: httpx.Client, route: str,
                                                     raw: bytes, path: str) -> None:
    # JSON leaves which of the two counts to the reader; a proxy in front of the
    # service may read the other one: neither is taken
    answer = client.post(route, content=raw, headers={**JSON_TYPE,
                                                      "Idempotency-Key": "k-twice"})
    found = problem(answer, 422, "PR103")
    assert found["path"] == path
    assert found["detail"].startswith(f"{path}: the member ")


def test_missing_and_unknown_members(client: httpx.Client) -> None:
    missing = problem(client.post(EVALUATE, json={"currency": "EUR"}), 422)
    assert "$.id" in [d["path"] for d in missing["diagnostics"]]
    no_code = problem(client.post(VALIDATE, json={"cart": CART}), 400, "PR612")
    assert no_code["path"] == "$.code"
    typo = problem(client.post(VALIDATE, json={"code": "X", "cart": CART, "cupon": 1}), 400,
                   "PR612")
    assert typo["path"] == "$.cupon"
    not_object = problem(client.post(VALIDATE, json=["code"]), 400, "PR612")
    assert not_object["path"] == "$"
    wrong_kind = problem(client.post(VALIDATE, json={"code": 10, "cart": CART}), 400)
    assert wrong_kind["path"] == "$.code"
    problem(client.post(EVALUATE, json=[CART]), 422)


# ------------------------------------------------------------------ routes and values


def test_an_unknown_ruleset_lists_those_served(client: httpx.Client) -> None:
    found = problem(client.post("/v1/rulesets/no-such-shop/evaluate", json=CART), 404, "PR603")
    assert found["rulesets"] == sorted(b.id for b in bundled())
    assert "no-such-shop" in found["detail"]
    problem(client.get("/v1/rulesets/no-such-shop/promotions"), 404, "PR603")


def test_an_unknown_route_and_a_wrong_method(client: httpx.Client) -> None:
    found = problem(client.get("/v1/no/such/route"), 404, "PR609")
    assert found["title"] == "Not Found"
    wrong = client.get(EVALUATE)
    found = problem(wrong, 405, "PR609")
    assert found["title"] == "Method Not Allowed"
    assert wrong.headers["allow"] == "POST"
    problem(client.delete(f"/v1/rulesets/{FASHION}/promotions"), 405, "PR609")


@pytest.mark.parametrize("at", ["garbage", "2026-13-01T00:00:00Z", "0200-01-01T00:00:00Z",
                                "9999-12-31T00:00:00Z", "x" * 500])
def test_a_time_that_is_not_one_names_its_parameter(client: httpx.Client, at: str) -> None:
    found = problem(client.post(EVALUATE, json=CART, params={"at": at}), 400, "PR612")
    assert found["path"] == "at"
    assert len(found["detail"]) < 200  # the value is quoted, cut
    active = problem(client.get(f"/v1/rulesets/{FASHION}/promotions",
                                params={"active_at": at}), 400, "PR612")
    assert active["path"] == "active_at"
    member = problem(client.post(VALIDATE, json={"code": "X", "cart": CART, "at": at}), 400)
    assert member["path"] == "$.at"


@pytest.mark.parametrize(("method", "route", "name", "values"), [
    ("POST", EVALUATE, "at", ["2026-07-01T12:00:00Z", "2026-12-01T12:00:00Z"]),
    ("POST", EVALUATE, "explain", ["true", "false"]),
    ("GET", f"/v1/rulesets/{FASHION}/promotions", "active_at",
     ["2026-07-01T12:00:00Z", "2026-07-01T12:00:00Z"]),
    ("GET", "/v1/events", "limit", ["1", "2", "3"]),
])
def test_a_query_parameter_given_twice_is_refused(client: httpx.Client, method: str,
                                                  route: str, name: str,
                                                  values: list[str]) -> None:
    answer = client.request(method, route, params=[(name, value) for value in values],
                            json=CART if method == "POST" else None)
    found = problem(answer, 400, "PR612")
    assert found["path"] == name
    assert f"given {len(values)} times" in found["detail"]


def test_the_years_the_engine_prices_are_accepted(client: httpx.Client) -> None:
    for at in ("1900-01-01T00:00:00+00:00", "9000-06-01T00:00:00+00:00"):
        assert client.post(EVALUATE, json=CART, params={"at": at}).status_code == 200


# ------------------------------------------------------------------ anything at all


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                        children, max_size=4),
    max_leaves=20)
CART_KEYS = ["id", "currency", "at", "customer", "coupons", "lines", "shipping", "attributes"]
CART_LIKE = st.fixed_dictionaries({}, optional={key: JSON_VALUES for key in CART_KEYS}) | \
    st.builds(lambda changes: {**CART, **changes},
              st.dictionaries(st.sampled_from(CART_KEYS), JSON_VALUES, max_size=2))
BODIES = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    CART_LIKE.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
)
DOCUMENTED = {200, 400, 413, 415, 422}


def check_answer(answer: httpx.Response) -> None:
    assert answer.status_code in DOCUMENTED, (answer.status_code, answer.text)
    assert_nothing_leaks(answer.text)
    data = answer.json()
    if answer.status_code != 200:
        assert answer.headers["content-type"] == "application/problem+json"
        assert_problem_body(data, answer.status_code)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=BODIES, as_validate=st.booleans(), code=st.text(max_size=12))
def test_any_body_gets_a_documented_answer(client: httpx.Client, body: bytes,
                                           as_validate: bool, code: str) -> None:
    if as_validate:
        try:
            cart = json.loads(body)
        except ValueError:
            raw = body
        else:
            raw = json.dumps({"code": code, "cart": cart}).encode()
        answer = client.post(VALIDATE, content=raw, headers=JSON_TYPE)
    else:
        answer = client.post(EVALUATE, content=body, headers=JSON_TYPE)
    check_answer(answer)


@pytest.mark.parametrize(("shipments", "code", "path"), [
    ([{"id": "s1", "method": "standard", "price": "1.00"}], "PR315", "$.shipments"),
    ([{"id": "s1", "method": "standard", "price": "1.00"},
      {"id": "s1", "method": "express", "price": "2.00"}], "PR316", "$.shipments[1].id"),
    ([{"id": f"s{k}", "method": "standard", "price": "1.00"} for k in range(101)], "PR317",
     "$.shipments"),
    ([{"id": "s1", "method": "standard", "price": "-1.00"}], "PR300", "$.shipments[0].price"),
])
def test_an_invalid_shipment_is_a_problem_at_its_path(client: httpx.Client,
                                                      shipments: list[dict[str, str]],
                                                      code: str, path: str) -> None:
    cart = {**CART, "shipments": shipments}
    if code != "PR315":
        cart.pop("shipping", None)
    else:
        cart["shipping"] = {"method": "standard", "price": "4.95"}
    found = problem(client.post(EVALUATE, json=cart), 422)
    assert [(d["code"], d["path"]) for d in found["diagnostics"]] == [(code, path)]


@settings(max_examples=500, deadline=None)
@given(path=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
       prefix=st.sampled_from(["/v1/checkouts/", "/", "", "*"]))
def test_the_instance_is_the_path_starlette_shows(path: str, prefix: str) -> None:
    """``instance_of`` reads the scope without building a URL, and says what Starlette's
    ``request.url.path`` says (the order reference may hold ``?``, ``#`` or ``\\``; a
    client may send ``OPTIONS *``)."""
    from starlette.requests import Request

    from engine.service.problems import instance_of

    scope = {"type": "http", "method": "POST", "path": prefix + path,
             "query_string": b"", "headers": [(b"host", b"127.0.0.1:8080")],
             "scheme": "http", "server": ("127.0.0.1", 8080)}
    assert instance_of(scope) == Request(scope).url.path
