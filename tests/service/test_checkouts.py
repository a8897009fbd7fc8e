"""The checkout saga over HTTP: start, confirm, release, look up, and Idempotency-Key."""

from __future__ import annotations

import concurrent.futures
import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.usage import open_store

from .conftest import ROOT, Server

FLASH = """\
ruleset: flash-sale
dsl: 1
currency: EUR
timezone: Europe/Berlin
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: original }
promotions:
  - id: flash-20
    name: FLASH20, 20.00 off
    priority: 10
    coupon: FLASH20
    effect: { amount_off: "20.00" }
    limits: { uses: LIMIT }
  - id: ship-free
    name: Free shipping
    priority: 5
    effect: { shipping: { free: true } }
"""
EXAMPLE = json.loads((ROOT / "docs/examples/checkout.json").read_text())
FASHION_PATH = "/v1/rulesets/nordlicht-fashion-2026"


def flash_ruleset(directory: Path, limit: int) -> Path:
    path = directory / "flash.yaml"
    path.write_text(FLASH.replace("LIMIT", str(limit)), encoding="utf-8")
    return path


def flash_checkout(order_ref: str, customer: str = "") -> dict[str, Any]:
    cart: dict[str, Any] = {
        "id": f"cart-{order_ref}", "currency": "EUR", "coupons": ["flash20"],
        "lines": [{"id": "l1", "sku": "SKU-1", "unit_price": "50.00", "quantity": 1}],
        "shipping": {"method": "standard", "price": "4.95"}}
    if customer:
        cart["customer"] = {"id": customer}
    return {"order_ref": order_ref, "cart": cart}


def post(client: httpx.Client, path: str, key: str | None, body: Any = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, json=body, headers=headers) if body is not None else \
        client.post(path, headers=headers)


@pytest.fixture
def store_server(serve: Callable[..., Server], tmp_path: Path) -> Server:
    return serve(str(ROOT / "rulesets"), "--db", str(tmp_path / "usage.sqlite"), "--no-watch")


def test_the_saga_start_confirm_and_look_up(store_server: Server) -> None:
    with store_server.client() as client:
        started = post(client, f"{FASHION_PATH}/checkouts", "start-1", EXAMPLE)
        assert started.status_code == 200, started.text
        body = started.json()
        assert body["state"] == "reserved" and body["order_ref"] == "order-2001"
        assert body["result"]["total"] == "79.85"
        assert {u["promotion"] for u in body["uses"]} == {"welcome-10", "free-shipping-75"}
        assert body["ruleset_version"] == started.headers["promo-ruleset-version"]
        confirmed = post(client, "/v1/checkouts/order-2001/confirm", "confirm-1")
        assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
        shown = client.get("/v1/checkouts/order-2001")
        assert shown.json()["state"] == "confirmed" and shown.json()["uses"] == body["uses"]
        refused = post(client, "/v1/checkouts/order-2001/release", "release-1")
        assert refused.status_code == 409 and refused.json()["code"] == "PR412"
        assert refused.headers["content-type"] == "application/problem+json"


def test_release_gives_the_uses_back_and_the_reference_is_dead(store_server: Server) -> None:
    with store_server.client() as client:
        assert post(client, f"{FASHION_PATH}/checkouts", "a", EXAMPLE).status_code == 200
        released = post(client, "/v1/checkouts/order-2001/release", "b")
        assert released.json()["state"] == "released"
        usage = {(row["promotion"], row["coupon"]): row
                 for row in client.get(f"{FASHION_PATH}/usage").json()["usage"]}
        assert usage[("welcome-10", None)]["reserved"] == 0
        again = post(client, f"{FASHION_PATH}/checkouts", "c", EXAMPLE)
        assert again.status_code == 409 and again.json()["code"] == "PR412"


def test_a_key_is_required_and_bound_to_its_request(store_server: Server) -> None:
    with store_server.client() as client:
        missing = post(client, f"{FASHION_PATH}/checkouts", None, EXAMPLE)
        assert missing.status_code == 400 and missing.json()["code"] == "PR604"
        for path in ("/v1/checkouts/order-2001/confirm", "/v1/checkouts/order-2001/release"):
            assert post(client, path, None).json()["code"] == "PR604"
        twice = client.post(f"{FASHION_PATH}/checkouts", json=EXAMPLE,
                            headers=[("Idempotency-Key", "k1"), ("Idempotency-Key", "k2")])
        assert twice.status_code == 400 and twice.json()["code"] == "PR604"
        assert "2 Idempotency-Key headers" in twice.json()["detail"]
        first = post(client, f"{FASHION_PATH}/checkouts", "k", EXAMPLE)
        repeat = post(client, f"{FASHION_PATH}/checkouts", "k", EXAMPLE)
        assert (repeat.status_code, repeat.content) == (first.status_code, first.content)
        assert repeat.headers["idempotent-replayed"] == "true"
        other = post(client, f"{FASHION_PATH}/checkouts", "k", {**EXAMPLE, "ttl": 60})
        assert other.status_code == 422 and other.json()["code"] == "PR605"
        elsewhere = post(client, "/v1/checkouts/order-2001/confirm", "k")
        assert elsewhere.status_code == 422


def test_a_refusal_is_kept_under_its_key(store_server: Server) -> None:
    with store_server.client() as client:
        first = post(client, "/v1/checkouts/order-unknown/confirm", "x")
        assert first.status_code == 404 and first.json()["code"] == "PR413"
        # the order now exists, but the key answers what it answered
        post(client, f"{FASHION_PATH}/checkouts", "y", {**EXAMPLE, "order_ref": "order-unknown"})
        repeat = post(client, "/v1/checkouts/order-unknown/confirm", "x")
        assert (repeat.status_code, repeat.content) == (404, first.content)


def test_twenty_concurrent_requests_with_one_key_make_one_transition(
        store_server: Server, tmp_path: Path) -> None:
    body = {**EXAMPLE, "order_ref": "order-race"}

    def attempt(_: int) -> tuple[int, bytes]:
        with store_server.client() as client:
            answer = post(client, f"{FASHION_PATH}/checkouts", "one-key", body)
            return answer.status_code, answer.content

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(attempt, range(20)))
    assert {status for status, _ in answers} == {200}
    assert len({content for _, content in answers}) == 1
    with store_server.client() as client:
        events = client.get("/v1/events", params={"limit": 1000}).json()["events"]
    emitted = sorted((e["event"], e["promotion"]) for e in events
                     if e["order_ref"] == "order-race")
    assert emitted == [("coupon_applied", "welcome-10"),  # one reservation's events, once
                       ("coupon_reserved", "welcome-10"),
                       ("promotion_reserved", "free-shipping-75"),
                       ("promotion_reserved", "welcome-10")]


def test_a_used_up_limit_is_a_price_without_it_and_the_hold_matches(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve(str(flash_ruleset(tmp_path, 2)), "--db", str(tmp_path / "u.sqlite"),
                   "--no-watch")
    with server.client() as client:
        totals = []
        for n in range(3):
            answer = post(client, "/v1/rulesets/flash-sale/checkouts", f"k{n}",
                          flash_checkout(f"o{n}"))
            assert answer.status_code == 200, answer.text
            totals.append(answer.json()["result"]["total"])
            uses = {u["promotion"] for u in answer.json()["uses"]}
            assert ("flash-20" in uses) == (n < 2)
        assert totals == ["30.00", "30.00", "50.00"]
        rejected = answer.json()["result"]["rejected"]
        assert [r["code"] for r in rejected if r["promotion"] == "flash-20"] == \
            ["limit_reached"]


def test_confirm_after_a_reload_confirms_what_was_reserved(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    path = flash_ruleset(tmp_path, 5)
    server = serve(str(path), "--db", str(tmp_path / "u.sqlite"), "--no-watch")
    with server.client() as client:
        started = post(client, "/v1/rulesets/flash-sale/checkouts", "s", flash_checkout("o1"))
        path.write_text(FLASH.replace("LIMIT", "5").replace('"20.00"', '"25.00"'))
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while client.get("/v1/rulesets/flash-sale/promotions").headers[
                "promo-ruleset-version"] == started.headers["promo-ruleset-version"]:
            assert time.monotonic() < deadline, "no reload"
        confirmed = post(client, "/v1/checkouts/o1/confirm", "c")
        assert confirmed.json()["uses"] == started.json()["uses"]
        assert [u["amount"] for u in confirmed.json()["uses"] if u["promotion"] == "flash-20"] \
            == ["20.00"]
    with open_store(tmp_path / "u.sqlite") as store:
        assert store.reconcile() == []
