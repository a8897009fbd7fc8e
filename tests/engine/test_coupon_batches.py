"""Batch codes and metadata in evaluation (no store): how a code finds its promotion, why a
dry run does not take it, and the metadata an applied entry carries."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema

from dsl import load_ruleset_text
from engine.cart import parse_cart
from engine.program import compile_ruleset
from engine.trace import explain_cart

ROOT = Path(__file__).resolve().parents[2]
RULES = load_ruleset_text("""\
ruleset: yen-vouchers
dsl: 1
currency: JPY
timezone: Asia/Tokyo
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: original }
promotions:
  - id: spring-vip
    coupon_batch: SPRING-VIP
    coupon_pattern: "SPRING-####-####"
    effect: { percent_off: 15 }
    limits: { per_customer: 1 }
    metadata: { funded_by: "seller:acme", campaign: spring }
  - id: welcome
    coupon: SPRING-2222-2222
    effect: { amount_off: 100 }
  - id: tea-5
    target: item.category == "tea"
    effect: { percent_off: 5 }
    metadata: { funded_by: "seller:chaya" }
""")


def cart(*codes: str) -> Any:
    return parse_cart({
        "id": "c1", "currency": "JPY", "at": "2026-04-01T10:00:00+09:00",
        "customer": {"id": "k-1"}, "coupons": list(codes),
        "lines": [{"id": "l1", "sku": "SENCHA", "category": "tea", "quantity": 1,
                   "unit_price": "1250"}]})


def test_a_code_of_the_pattern_finds_the_batch_promotion_but_is_not_taken_unchecked() -> None:
    result = compile_ruleset(RULES).evaluate(cart(" spring-7k4m-q2wz "))
    # tea-5 alone: 5% of 1,250 = 62.5 -> 62 (half_even, JPY has no minor units)
    assert [a.promotion for a in result.applied] == ["tea-5"]
    assert result.total_discount == Decimal(62) and result.total == Decimal(1188)
    rejected = result.rejection("spring-vip")
    assert rejected is not None and rejected.code == "coupon_unverified"
    assert rejected.coupon == "spring-7k4m-q2wz"
    assert "usage store" in rejected.reason


def test_a_code_the_ruleset_writes_wins_over_a_pattern_it_fits() -> None:
    result = compile_ruleset(RULES).evaluate(cart("SPRING-2222-2222"))
    assert [a.promotion for a in result.applied] == ["tea-5", "welcome"]  # (priority, id)
    # welcome 100 + tea 62 (both on the original 1,250)
    assert result.total_discount == Decimal(162)
    assert result.rejection("spring-vip").code == "coupon_not_entered"  # type: ignore[union-attr]


def test_a_code_outside_every_pattern_is_unknown() -> None:
    for code in ("SPRING-0000-0000", "SPRING-22222-222", "AUTUMN-2222-2222"):
        result = compile_ruleset(RULES).evaluate(cart(code))
        unknown = [r for r in result.rejected if r.promotion is None]
        assert [(r.coupon, r.code) for r in unknown] == [(code, "coupon_unknown")]


def test_metadata_is_carried_into_the_applied_entries_and_the_json() -> None:
    result = compile_ruleset(RULES).evaluate(cart())
    data = json.loads(result.to_json())
    assert data == result.to_dict()
    assert data["applied"] == [{
        "promotion": "tea-5", "name": None, "coupon": None, "amount": "62", "items": "62",
        "shipping": "0", "metadata": {"funded_by": "seller:chaya"}}]
    schema = json.loads((ROOT / "schemas" / "result.schema.json").read_text())
    jsonschema.validate(data, schema)


def test_an_entry_without_metadata_has_no_metadata_key() -> None:
    plain = load_ruleset_text(RULES.source.text.replace(  # type: ignore[union-attr]
        '    metadata: { funded_by: "seller:chaya" }\n', ""))
    data = compile_ruleset(plain).evaluate(cart()).to_dict()
    assert "metadata" not in data["applied"][0]


def test_explain_shows_the_metadata_of_an_applied_promotion_only() -> None:
    trace, _ = explain_cart(compile_ruleset(RULES), cart("SPRING-7K4M-Q2WZ"))
    shown = {p["id"]: p for p in trace.to_dict()["promotions"]}
    assert shown["tea-5"]["metadata"] == {"funded_by": "seller:chaya"}
    assert "metadata" not in shown["spring-vip"]  # rejected: coupon_unverified
    assert shown["spring-vip"]["code"] == "coupon_unverified"
    assert shown["spring-vip"]["decided_by"] == "limits"
    schema = json.loads((ROOT / "schemas" / "explain.schema.json").read_text())
    jsonschema.validate(trace.to_dict(), schema)
