"""``POST /v1/rulesets/{id}/evaluate?explain=true``: the result and the trace, the same as
``promo eval`` and ``promo explain`` print them, against a real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from dsl.values import normalise_code
from engine.cli import cli
from engine.schemas import explain_schema
from tests.service.conftest import FASHION, RULESETS, Server, cart_json
from tests.service.helpers import (
    all_coupon_codes,
    assert_nothing_leaks,
    assert_problem,
    bundled,
)
from tests.service.test_checkouts import flash_checkout, flash_ruleset, post

EVERY_CART = [(b.id, b.path, cart) for b in bundled() for cart in b.carts]
VALIDATOR = Draft202012Validator(explain_schema())


def printed(command: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, [command, *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def with_base_names(node: Any) -> Any:
    """What the service shows of a span's file: its base name."""
    if isinstance(node, dict):
        return {k: ({**v, "file": v["file"].rsplit("/", 1)[-1]}
                    if k == "span" and isinstance(v, dict) else with_base_names(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [with_base_names(v) for v in node]
    return node


@pytest.fixture(scope="module")
def client(pricing_server: Server) -> Any:
    with pricing_server.client() as client:
        yield client


def test_every_sample_cart_is_explained_as_promo_explain_prints_it(
        client: httpx.Client) -> None:
    for ruleset, path, cart in EVERY_CART:
        answer = client.post(f"/v1/rulesets/{ruleset}/evaluate", json=cart_json(cart),
                             params={"explain": "true"})
        assert answer.status_code == 200, (cart, answer.text)
        body = answer.json()
        trace = body.pop("explain")
        assert body == printed("eval", str(path), str(cart))
        assert trace == with_base_names(printed("explain", str(path), str(cart)))
        VALIDATOR.validate(trace)
        assert_nothing_leaks(answer.text)
        # no code the cart did not enter (a promotion's id, which the result names too,
        # may be spelled like its code)
        entered = {normalise_code(c) for c in cart_json(cart).get("coupons", [])}
        text = answer.text.casefold()
        for promotion in trace["promotions"]:
            text = text.replace(json.dumps(promotion["id"]).casefold(), "")
        for code in all_coupon_codes():
            if normalise_code(code) not in entered:
                assert code.casefold() not in text, (cart, code)


def test_the_default_reply_has_no_trace(client: httpx.Client) -> None:
    cart = cart_json(RULESETS / "fashion" / "carts" / "example.yaml")
    for params in ({}, {"explain": "false"}):
        answer = client.post(f"/v1/rulesets/{FASHION}/evaluate", json=cart, params=params)
        assert answer.status_code == 200 and "explain" not in answer.json()


def test_explain_must_be_true_or_false(client: httpx.Client) -> None:
    cart = cart_json(RULESETS / "fashion" / "carts" / "example.yaml")
    answer = client.post(f"/v1/rulesets/{FASHION}/evaluate", json=cart,
                         params={"explain": "yes"})
    problem = assert_problem(answer, 400)
    assert "explain" in problem["detail"]


def test_at_applies_to_the_trace(client: httpx.Client) -> None:
    cart = cart_json(RULESETS / "fashion" / "carts" / "example.yaml")
    answer = client.post(f"/v1/rulesets/{FASHION}/evaluate", json=cart,
                         params={"explain": "true", "at": "2026-11-28T10:00:00+01:00"})
    assert answer.status_code == 200, answer.text
    friday = next(p for p in answer.json()["explain"]["promotions"]
                  if p["id"] == "black-friday-30")
    assert friday["outcome"] == "applied" and friday["window"]["passed"] is True


def test_with_a_store_the_trace_shows_the_limit_it_asked_about(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve(str(flash_ruleset(tmp_path, 1)), "--db", str(tmp_path / "u.sqlite"),
                   "--no-watch")
    with server.client() as client:
        held = post(client, "/v1/rulesets/flash-sale/checkouts", "k0", flash_checkout("o0"))
        assert held.status_code == 200, held.text
        cart = flash_checkout("o1")["cart"]
        answer = client.post("/v1/rulesets/flash-sale/evaluate", json=cart,
                             params={"explain": "true"})
    assert answer.status_code == 200, answer.text
    flash = next(p for p in answer.json()["explain"]["promotions"] if p["id"] == "flash-20")
    assert (flash["decided_by"], flash["code"]) == ("limits", "limit_reached")
    limits = flash["limits"]
    assert limits["store"] is True and limits["passed"] is False
    assert limits["queries"][0]["question"] == "refusal"
    assert limits["queries"][0]["answer"] == "limit_reached"
    rejected = {r["promotion"]: r["code"] for r in answer.json()["rejected"]}
    assert rejected["flash-20"] == "limit_reached"
