"""Pricing over HTTP is the engine's pricing: evaluate answers what ``promo eval --format
json`` prints, byte for byte; coupons/validate says why a code does (not) apply and names
no other code; the active promotions are the program's."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from dsl.ruleset import load_ruleset_text
from dsl.values import normalise_code
from engine.cli import cli
from engine.program import compile_ruleset
from tests.service.conftest import FASHION, ROOT, RULESETS, Server, cart_json
from tests.service.helpers import (
    all_coupon_codes,
    assert_nothing_leaks,
    bundled,
    coupon_codes,
    version_of,
)

BUNDLED = bundled()
EVERY_CART = [(b.id, b.path, cart) for b in BUNDLED for cart in b.carts]
ALL_CODES = all_coupon_codes()
FASHION_CARTS = RULESETS / "fashion" / "carts"


def promo_eval(*args: str) -> bytes:
    """What ``promo eval ... --format json`` prints (the command, in this process)."""
    result = CliRunner().invoke(cli, ["eval", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def evaluate(client: httpx.Client, ruleset: str, cart: dict[str, Any],
             **params: str) -> httpx.Response:
    return client.post(f"/v1/rulesets/{ruleset}/evaluate", json=cart, params=params)


@pytest.fixture(scope="module")
def client(pricing_server: Server) -> Any:
    with pricing_server.client() as client:
        yield client


def test_every_sample_cart_is_priced_as_promo_eval_prints_it(client: httpx.Client) -> None:
    assert len(EVERY_CART) >= 20 and len(BUNDLED) == 5
    for ruleset, path, cart in EVERY_CART:
        answer = evaluate(client, ruleset, cart_json(cart))
        assert answer.status_code == 200, (cart, answer.text)
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == promo_eval(str(path), str(cart)), cart


def test_the_command_itself_prints_the_same_bytes(client: httpx.Client) -> None:
    """One cart through the real ``promo`` process too (the rest run it in-process)."""
    cart = FASHION_CARTS / "example.yaml"
    printed = subprocess.run([sys.executable, "-m", "engine.cli", "eval",
                              "rulesets/fashion/ruleset.yaml", str(cart), "--format", "json"],
                             cwd=ROOT, capture_output=True, check=True).stdout
    assert evaluate(client, FASHION, cart_json(cart)).content == printed


@pytest.mark.parametrize("at", ["2026-11-28T10:00:00+01:00", "2026-03-25T12:00:00Z",
                                "2026-08-01T09:30:00"])
def test_at_prices_as_of_then_like_the_at_option(client: httpx.Client, at: str) -> None:
    for bundle in BUNDLED:
        cart = bundle.carts[0]
        answer = evaluate(client, bundle.id, cart_json(cart), at=at)
        assert answer.status_code == 200, answer.text
        assert answer.content == promo_eval(str(bundle.path), str(cart), "--at", at), \
            (bundle.id, at)


def test_the_version_header_is_the_hash_of_the_file(client: httpx.Client) -> None:
    for bundle in BUNDLED:
        answer = evaluate(client, bundle.id, cart_json(bundle.carts[0]))
        assert answer.headers["promo-ruleset-version"] == bundle.version
        assert bundle.version == version_of(bundle.path.read_text(encoding="utf-8"))
        assert len(bundle.version) == 16 and int(bundle.version, 16) >= 0


# ------------------------------------------------------------------ coupons/validate


def validate(client: httpx.Client, ruleset: str, code: str, cart: dict[str, Any],
             **extra: Any) -> dict[str, Any]:
    answer = client.post(f"/v1/rulesets/{ruleset}/coupons/validate",
                         json={"code": code, "cart": cart, **extra})
    assert answer.status_code == 200, answer.text
    assert_names_no_other_code(answer.text, code, cart)
    verdict: dict[str, Any] = answer.json()
    assert set(verdict) == {"code", "valid", "promotion", "amount", "reason", "detail"}
    assert verdict["code"] == code
    return verdict


def assert_names_no_other_code(text: str, sent: str, cart: dict[str, Any]) -> None:
    """The response names no code but the one sent and those the cart entered itself."""
    own = {normalise_code(sent)} | {normalise_code(c) for c in cart.get("coupons", [])}
    for code in ALL_CODES:
        if normalise_code(code) not in own:
            assert code not in text, (code, text)
            assert code.lower() not in text.lower().replace(sent.lower(), ""), (code, text)


def fashion_cart(name: str, coupons: list[str] | None = None) -> dict[str, Any]:
    cart = cart_json(FASHION_CARTS / f"{name}.yaml")
    if coupons is not None:
        cart["coupons"] = coupons
    return cart


def test_a_valid_code_says_its_promotion_and_amount(client: httpx.Client) -> None:
    verdict = validate(client, FASHION, "WELCOME10", fashion_cart("welcome-new-customer", []))
    assert verdict == {"code": "WELCOME10", "valid": True, "promotion": "welcome-10",
                       "amount": "10.00", "reason": None, "detail": None}
    # entered as a shopper types it: trimmed and case-folded, echoed as sent
    typed = validate(client, FASHION, " welcome10 ", fashion_cart("welcome-new-customer", []))
    assert typed["valid"] is True and typed["amount"] == "10.00"
    assert typed["code"] == " welcome10 "


def test_a_code_outside_its_window(client: httpx.Client) -> None:
    expired = validate(client, FASHION, "SPRING20", fashion_cart("example", []))
    assert (expired["valid"], expired["reason"], expired["promotion"]) == \
        (False, "coupon_expired", "spring-20")
    assert expired["amount"] is None and expired["detail"]
    # the same code inside its window, the same cart at another time
    inside = validate(client, FASHION, "SPRING20", fashion_cart("example", []),
                      at="2026-04-01T12:00:00+02:00")
    assert inside["valid"] is True, inside
    grocery = cart_json(RULESETS / "grocery" / "carts" / "early-and-duplicate-codes.yaml")
    early = validate(client, "hartleys-grocery-2026", "BBQ5", grocery)
    assert (early["valid"], early["reason"]) == (False, "coupon_not_active_yet")


def test_an_unknown_code(client: httpx.Client) -> None:
    verdict = validate(client, FASHION, "SUMMER50", fashion_cart("example", []))
    assert (verdict["valid"], verdict["promotion"], verdict["amount"], verdict["reason"]) == \
        (False, None, None, "coupon_unknown")
    assert "no promotion has" in verdict["detail"], verdict


def test_an_ineligible_code_names_the_failing_condition(client: httpx.Client) -> None:
    verdict = validate(client, FASHION, "WELCOME10", fashion_cart("returning-customer", []))
    assert (verdict["valid"], verdict["reason"], verdict["promotion"]) == \
        (False, "coupon_ineligible", "welcome-10")
    assert "customer.orders == 0" in verdict["detail"], verdict
    assert "4" in verdict["detail"], verdict


def test_a_code_that_cannot_combine(client: httpx.Client) -> None:
    # one code per order: NEWS15 after WELCOME10 (welcome-new-customer.yaml)
    limit = validate(client, FASHION, "NEWS15", fashion_cart("welcome-new-customer"))
    assert (limit["valid"], limit["reason"]) == (False, "coupon_limit")
    # the exclusive socks deal applied first (socks-exclusive.yaml)
    blocked = validate(client, FASHION, "WELCOME10", fashion_cart("socks-exclusive"))
    assert (blocked["valid"], blocked["reason"]) == (False, "blocked_by_exclusive")
    marketplace = cart_json(RULESETS / "marketplace" / "carts" / "care-code-capped.yaml")
    second = validate(client, "bazaario-marketplace-2026", "APPFIRST10", marketplace)
    assert (second["valid"], second["reason"]) == (False, "coupon_limit")


def test_no_response_names_a_code_that_was_not_sent(client: httpx.Client) -> None:
    """Every code of every ruleset (and an unknown one) against every sample cart."""
    for bundle in BUNDLED:
        for cart_path in bundle.carts:
            cart = cart_json(cart_path)
            for code in sorted(coupon_codes(bundle.path)) + ["NO-SUCH-CODE"]:
                validate(client, bundle.id, code, cart)


# ------------------------------------------------------------------ promotions


def programs() -> dict[str, Any]:
    return {b.id: compile_ruleset(load_ruleset_text(b.path.read_text(encoding="utf-8"),
                                                    name=str(b.path))) for b in BUNDLED}


def test_the_active_promotions_are_the_programs(client: httpx.Client) -> None:
    compiled = programs()
    moments = sorted({str(yaml.safe_load(cart.read_text())["at"]) for b in BUNDLED
                      for cart in b.carts} | {"2026-11-27T00:00:00+01:00", "2025-01-01T00:00:00Z"})
    for bundle in BUNDLED:
        for at in moments:
            answer = client.get(f"/v1/rulesets/{bundle.id}/promotions",
                                params={"active_at": at})
            assert answer.status_code == 200, answer.text
            data = answer.json()
            moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
            assert [p["id"] for p in data["promotions"]] == \
                compiled[bundle.id].active_ids(moment), (bundle.id, at)
            assert data["ruleset"] == bundle.id and data["version"] == bundle.version
            assert answer.headers["promo-ruleset-version"] == bundle.version
            for code in ALL_CODES:
                assert code not in answer.text, (code, bundle.id)
            assert all(isinstance(p["coupon"], bool) for p in data["promotions"])


def test_a_coupon_promotion_says_that_it_takes_a_code_never_which(client: httpx.Client,
                                                                   ) -> None:
    listed = client.get(f"/v1/rulesets/{FASHION}/promotions",
                        params={"active_at": "2026-05-09T11:05:00+02:00"}).json()["promotions"]
    news = next(p for p in listed if p["id"] == "newsletter-15")
    assert news["coupon"] is True
    assert news["name"] == "\u2026, 15% off full-price items (max 25.00)"
    assert not any(p["coupon"] for p in listed if p["id"] == "vip-15")


def test_a_promotion_closed_by_its_schedule_is_not_active(client: httpx.Client) -> None:
    """The grocery's deli happy hour (weekdays 17:00-19:00, Europe/London) is listed on a
    Wednesday at 17:30 BST, with its days and hours, and not at 19:00 nor on Saturday."""
    def listed(at: str) -> dict[str, Any]:
        found = client.get("/v1/rulesets/hartleys-grocery-2026/promotions",
                           params={"active_at": at}).json()["promotions"]
        return {p["id"]: p for p in found}

    deli = listed("2026-06-17T17:30:00+01:00")["deli-happy-hour"]
    assert deli["active"] == {"from": "2026-01-01", "until": "2027-01-01",
                              "days": ["mon", "tue", "wed", "thu", "fri"],
                              "hours": ["17:00-19:00"]}
    assert "deli-happy-hour" not in listed("2026-06-17T19:00:00+01:00")
    assert "deli-happy-hour" not in listed("2026-06-20T17:30:00+01:00")


def test_the_active_promotions_default_to_now(client: httpx.Client) -> None:
    compiled = programs()[FASHION]
    before = compiled.active_ids(dt.datetime.now(dt.UTC))
    data = client.get(f"/v1/rulesets/{FASHION}/promotions").json()
    after = compiled.active_ids(dt.datetime.now(dt.UTC))
    assert [p["id"] for p in data["promotions"]] in (before, after)


def test_the_active_promotions_come_in_evaluation_order(serve: Any, tmp_path: Path) -> None:
    """A file that lists its promotions out of priority order: the list is the program's
    order (highest priority first), as ``Program.active_ids`` gives it."""
    text = (RULESETS / "fashion" / "ruleset.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["ruleset"] = "shuffled-fashion"
    data["promotions"] = list(reversed(data["promotions"]))
    path = tmp_path / "shuffled.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    program = compile_ruleset(load_ruleset_text(path.read_text(), name=str(path)))
    server = serve(str(path), "--no-watch")
    at = "2026-07-15T14:30:00+02:00"
    listed = httpx.get(server.url + "/v1/rulesets/shuffled-fashion/promotions",
                       params={"active_at": at}).json()["promotions"]
    expected = program.active_ids(dt.datetime.fromisoformat(at))
    assert [p["id"] for p in listed] == expected
    assert expected != [p["id"] for p in data["promotions"] if p["id"] in expected]


def test_nothing_leaks_in_pricing_answers(client: httpx.Client) -> None:
    answer = evaluate(client, FASHION, fashion_cart("example"))
    assert_nothing_leaks(answer.text)
