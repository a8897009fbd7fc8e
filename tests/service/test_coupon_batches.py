"""Batch codes over HTTP: validated and reserved against the store, a used code named as
used, an unknown one as unknown, never another code; unverified without a store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from dsl import load_ruleset
from engine.usage import open_store

from .conftest import RULESETS, Server

MARKETPLACE = "bazaario-marketplace-2026"
RULES = RULESETS / "marketplace" / "ruleset.yaml"


def cart(customer: str, code: str) -> dict[str, Any]:
    return {"id": f"cart-{customer}", "currency": "USD", "at": "2026-05-12T19:30:00-04:00",
            "customer": {"id": customer, "orders": 1, "attributes": {"plan": "basic"}},
            "coupons": [code], "attributes": {"channel": "web"},
            "lines": [{"id": "l1", "sku": "AC-KETTLE", "category": "home", "seller": "acme",
                       "unit_price": "64.90", "quantity": 1,
                       "attributes": {"oversize": False}}],
            "shipping": {"method": "standard", "price": "6.99"}}


def validate(client: httpx.Client, code: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(f"/v1/rulesets/{MARKETPLACE}/coupons/validate",
                         json={"code": code, "cart": body})
    assert answer.status_code == 200, answer.text
    verdict: dict[str, Any] = answer.json()
    return verdict


def generated(db: Path, count: int) -> list[str]:
    promotion = next(p for p in load_ruleset(RULES).promotions if p.id == "spring-vip-15")
    assert promotion.batch_pattern is not None
    found: list[tuple[str, str]] = []
    with open_store(db) as store:
        store.generate_codes("SPRING-VIP", promotion.batch_pattern, count)
        store.export_codes("SPRING-VIP", found.extend)
    return [code.upper() for code, _ in found]


def test_a_batch_code_is_valid_once(serve: Callable[..., Server], tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite"
    codes = generated(db, 3)
    code, others = codes[0], codes[1:]
    server = serve(str(RULES), "--db", str(db), "--no-watch")
    with server.client() as client:
        # 15% of 64.90 = 9.735 -> 9.74 (half_even); the code replaces the automatic offers
        assert validate(client, code, cart("c-1", code)) == {
            "code": code, "valid": True, "promotion": "spring-vip-15", "amount": "9.74",
            "reason": None, "detail": None}
        started = client.post(f"/v1/rulesets/{MARKETPLACE}/checkouts",
                              json={"order_ref": "o-1", "cart": cart("c-1", code)},
                              headers={"Idempotency-Key": "start-o-1"})
        assert started.status_code == 200, started.text
        result = started.json()["result"]
        assert result["total"] == "62.15"  # 64.90 - 9.74 + 6.99
        assert result["applied"][0]["metadata"] == {
            "funded_by": "bazaario", "campaign": "spring-newsletter-2026"}

        used = validate(client, code, cart("c-2", code))
        assert (used["valid"], used["reason"], used["promotion"]) == \
            (False, "coupon_used", "spring-vip-15")
        guess = next(c for c in ("SPRING-2222-2222", "SPRING-3333-3333") if c not in codes)
        unknown = validate(client, guess, cart("c-3", guess))
        assert (unknown["valid"], unknown["reason"]) == (False, "coupon_unknown")
        for answer in (used, unknown):
            assert not any(other in str(answer) for other in others)

        events = client.get("/v1/events").json()["events"]
        spring = [e for e in events if e["promotion"] == "spring-vip-15"]
        assert spring and all(e["metadata"]["funded_by"] == "bazaario" for e in spring)


def test_without_a_store_a_batch_code_is_unverified(serve: Callable[..., Server]) -> None:
    server = serve(str(RULES), "--no-watch")
    with server.client() as client:
        verdict = validate(client, "SPRING-7K4M-Q2WZ", cart("c-1", "SPRING-7K4M-Q2WZ"))
        assert (verdict["valid"], verdict["reason"], verdict["promotion"]) == \
            (False, "coupon_unverified", "spring-vip-15")
