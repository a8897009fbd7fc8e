"""Shipments with gifts, best deal, schedules and metadata (docs/semantics.md#shipments):
a gift line is a line, never a shipment; best deal values a shipping promotion at its
total over the shipments.  Every expected number is worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from jsonschema import Draft202012Validator

from engine import compile_ruleset, evaluate
from engine.schemas import result_schema
from engine.trace import explain_cart
from tests.engine.conftest import Out, make_cart, make_ruleset, price_cart

RESULT = Draft202012Validator(result_schema())

PARCELS = [{"id": "s-acme", "seller": "acme", "method": "standard", "price": "6.99"},
           {"id": "s-gh", "seller": "gadgethub", "method": "standard", "price": "4.99"}]

GIFT_AND_PARCEL = """
- id: tote
  priority: 10
  when: cart.subtotal >= 50
  effect: { gift: { sku: TOTE-01, unit_price: "12.00", name: Canvas tote } }
- id: seller-ships-free
  shipment_target: sum(item.total where item.seller == shipment.seller) >= 50
  effect: { shipping: { free: true } }
  metadata: { funded_by: "seller:acme" }
"""


def finals(out: Out) -> dict[str, str]:
    return {s["id"]: s["final"] for s in out["shipments"]}


def test_a_gift_line_is_a_line_and_no_shipment_sees_it() -> None:
    rs = make_ruleset(GIFT_AND_PARCEL)
    # acme's own lines: 50.00 >= 50; gadgethub's 45.00, and the 12.00 tote (no seller,
    # unseen by conditions) would not lift it
    c = make_cart([("a", "50.00", 1, {"seller": "acme"}),
                   ("b", "45.00", 1, {"seller": "gadgethub"})], shipments=PARCELS)
    out = price_cart(rs, c)
    RESULT.validate(out)
    assert out.finals() == {"a": "50.00", "b": "45.00", "gift:tote:TOTE-01": "0.00"}
    assert finals(out) == {"s-acme": "0.00", "s-gh": "4.99"}
    assert [(a["promotion"], a["items"], a["shipping"]) for a in out["applied"]] == [
        ("tote", "12.00", "0.00"), ("seller-ships-free", "0.00", "6.99")]
    assert out["applied"][1]["metadata"] == {"funded_by": "seller:acme"}
    # 95.00 + the 12.00 tote; 12.00 + 6.99 off; 107.00 - 18.99 + 11.98 of shipments
    assert (out["subtotal"], out["total_discount"], out["total"]) == \
        ("107.00", "18.99", "99.99")
    assert out["shipping"] is None


def test_max_discount_gives_back_from_the_last_promotion_off_its_shipment() -> None:
    rs = make_ruleset(GIFT_AND_PARCEL, max_discount='{ amount: "15.00" }')
    c = make_cart([("a", "50.00", 1, {"seller": "acme"})], shipments=PARCELS)
    out = price_cart(rs, c)
    # tote 12.00 then acme's parcel 6.99: 18.99 over 15.00, the 3.99 given back from
    # the parcel (applied last): 3.00 off, 3.99 to pay
    assert out.applied() == {"tote": "12.00", "seller-ships-free": "3.00"}
    assert out.capped() == [("seller-ships-free", "max_discount", "6.99", "3.00")]
    assert finals(out) == {"s-acme": "3.99", "s-gh": "4.99"}
    # 62.00 - 15.00 + 11.98
    assert (out["subtotal"], out["total_discount"], out["total"]) == ("62.00", "15.00", "58.98")


def test_the_json_and_the_trace_hold_a_gift_line_and_shipments() -> None:
    rs = make_ruleset(GIFT_AND_PARCEL)
    c = make_cart([("a", "50.00", 1, {"seller": "acme"})], shipments=PARCELS)
    result = evaluate(rs, c)
    assert result.to_json() == json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    trace, traced = explain_cart(compile_ruleset(rs), c)
    assert traced.to_dict() == result.to_dict()  # the trace prices as promo eval does
    tote, parcel = trace.to_dict()["promotions"]
    assert (tote["outcome"], tote["amount"]) == ("applied", "12.00")
    assert (parcel["outcome"], parcel["amount"]) == ("applied", "6.99")
    assert parcel["metadata"] == {"funded_by": "seller:acme"}
    assert [(s["shipment"], s["selected"]) for s in parcel["effect"]["shipments"]] == [
        ("s-acme", True), ("s-gh", False)]


EXCLUSIVE_OR_PARCELS = """
- id: a-lines
  priority: 10
  exclusive: true
  effect: { percent_off: 25 }
- id: b-parcels
  effect: { shipping: { amount_off: "{off}" } }
"""


def best_deal(off: str, shipments: list[dict[str, Any]], *, currency: str = "USD",
              line: str = "40.00", target: str | None = None) -> Out:
    promotions = EXCLUSIVE_OR_PARCELS.replace("{off}", off)
    if target is not None:
        promotions += f"  shipment_target: {target}\n"
    rs = make_ruleset(promotions, currency=currency, base="original", mode="best_deal")
    out = price_cart(rs, make_cart([("x", line)], currency=currency, shipments=shipments))
    RESULT.validate(out)
    return out


THREE = [{"id": f"s{i}", "method": "standard", "price": "6.00"} for i in (1, 2, 3)]


def test_best_deal_values_a_shipping_promotion_at_its_total_over_the_shipments() -> None:
    # alone: a-lines 25 % of 40.00 = 10.00; b-parcels 4.00 off each of three = 12.00
    out = best_deal("4.00", THREE)
    assert out.applied() == {"b-parcels": "12.00"}
    assert out.rejected() == {"a-lines": "not_best_deal"}
    assert out.reason("a-lines") == (
        "the best deal is {b-parcels}, giving 12.00; the best allowed set with this "
        "promotion is {a-lines}, giving 10.00")
    assert out["best_deal"]["amount"] == "12.00"
    assert finals(out) == {"s1": "2.00", "s2": "2.00", "s3": "2.00"}
    assert out["total"] == "46.00"  # 40.00 + 18.00 - 12.00


def test_best_deal_counts_only_the_shipments_the_target_selects() -> None:
    # two of three selected: 8.00 < 10.00, the lines' promotion is the best deal
    out = best_deal("4.00", THREE, target='shipment.id != "s3"')
    assert out.applied() == {"a-lines": "10.00"}
    assert out.rejected() == {"b-parcels": "not_best_deal"}
    assert out.reason("b-parcels") == (
        "the best deal is {a-lines}, giving 10.00; the best allowed set with this "
        "promotion is {b-parcels}, giving 8.00")
    assert finals(out) == {"s1": "6.00", "s2": "6.00", "s3": "6.00"}


def test_best_deal_in_jpy_with_a_clamped_shipment() -> None:
    yen = [{"id": "s1", "method": "standard", "price": "600"},
           {"id": "s2", "method": "standard", "price": "600"},
           {"id": "s3", "method": "standard", "price": "150"}]
    # 25 % of 4000 = 1000 against 400 + 400 + min(400, 150) = 950: the lines win
    out = best_deal("400", yen, currency="JPY", line="4000")
    assert out.applied() == {"a-lines": "1000"}
    assert out["total"] == "4350"  # 4000 - 1000 + 1350
    # with a fourth parcel of 600: 1350 > 1000
    out = best_deal("400", [*yen, {"id": "s4", "method": "express", "price": "600"}],
                    currency="JPY", line="4000")
    assert out.applied() == {"b-parcels": "1350"}
    assert finals(out) == {"s1": "200", "s2": "200", "s3": "0", "s4": "200"}
    assert out["total"] == "4600"  # 4000 + 1950 - 1350


def test_a_schedule_closes_a_shipping_promotion_whatever_its_shipments() -> None:
    rs = make_ruleset("""
        - id: weekend-parcels
          active: { days: [sat, sun] }
          shipment_target: shipment.seller == "acme"
          effect: { shipping: { free: true } }
    """)
    c = make_cart([("a", "50.00")], shipments=PARCELS)
    saturday = dt.datetime(2026, 6, 13, 12, 0, tzinfo=dt.UTC)
    monday = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
    assert finals(price_cart(rs, c, saturday)) == {"s-acme": "0.00", "s-gh": "4.99"}
    out = price_cart(rs, c, monday)
    assert out.rejected() == {"weekend-parcels": "outside_schedule"}
    assert finals(out) == {"s-acme": "6.99", "s-gh": "4.99"}


# ------------------------------------------------------------- effects lists

MARKETPLACE = [{"id": "s-acme", "seller": "acme", "method": "standard", "price": "6.99"},
               {"id": "s-gh", "seller": "gadgethub", "method": "standard", "price": "4.99"},
               {"id": "s-bz", "seller": "bazaario", "method": "express", "price": "3.00"}]


def test_the_promotions_shipment_target_selects_for_each_shipping_effect_of_a_list() -> None:
    rs = make_ruleset("""
        - id: acme-week
          shipment_target: shipment.seller == "acme"
          effects:
            - { percent_off: 10 }
            - { shipping: { amount_off: "4.00" } }
    """)
    out = price_cart(rs, make_cart([("a", "50.00")], shipments=MARKETPLACE))
    RESULT.validate(out)
    # 10 % of 50.00 = 5.00 off the line; 4.00 off acme's parcel only
    assert finals(out) == {"s-acme": "2.99", "s-gh": "4.99", "s-bz": "3.00"}
    assert [(a["promotion"], a["amount"], a["items"], a["shipping"])
            for a in out["applied"]] == [("acme-week", "9.00", "5.00", "4.00")]
    assert out["total"] == "55.98"  # 50.00 + 14.98 - 9.00


def test_a_shipping_effects_max_amount_in_a_list_splits_over_its_shipments() -> None:
    rs = make_ruleset("""
        - id: ten-and-parcels
          effects:
            - { percent_off: 10 }
            - { shipping: { amount_off: "5.00" }, max_amount: "6.00" }
    """)
    out = price_cart(rs, make_cart([("a", "50.00")], shipments=MARKETPLACE))
    # 5.00 + 4.99 + 3.00 = 12.99 cut to 6.00: 600 x 500 / 1299 = 230.95, x 499 / 1299 =
    # 230.49, x 300 / 1299 = 138.57; 598 cents, the two left to the larger remainders
    # (s-acme, s-bz)
    assert {s["id"]: s["discount"] for s in out["shipments"]} == \
        {"s-acme": "2.31", "s-gh": "2.30", "s-bz": "1.39"}
    assert out.applied() == {"ten-and-parcels": "11.00"}  # 5.00 + 6.00
    assert out.capped() == [("ten-and-parcels", "max_amount", "12.99", "6.00")]


def yen_parcels(base: str) -> Out:
    rs = make_ruleset("""
        - id: half-then-200
          effects:
            - { shipping: { percent_off: 50 } }
            - { shipping: { fixed_price: 200 } }
    """, currency="JPY", base=base)
    parcels = [{"id": "s1", "method": "standard", "price": "600"},
               {"id": "s2", "method": "standard", "price": "300"}]
    out = price_cart(rs, make_cart([("a", "5000")], currency="JPY", shipments=parcels))
    RESULT.validate(out)
    return out


def test_jpy_each_shipping_effect_of_a_list_sees_what_the_one_before_left() -> None:
    # half: 300 and 150 off; then at most 200 each on what is left (300, 150): 100 off s1
    out = yen_parcels("discounted")
    assert finals(out) == {"s1": "200", "s2": "150"}
    assert out.applied() == {"half-then-200": "550"}
    # base original: 200 on 600 and 300 is 400 and 100 off, clamped to the 300 and 150
    # the half left: 300 and 100
    out = yen_parcels("original")
    assert finals(out) == {"s1": "0", "s2": "50"}
    assert out.applied() == {"half-then-200": "850"}
    assert out["total"] == "5050"  # 5000 + 900 - 850


def test_the_trace_of_an_effects_list_shows_each_shipping_effect_per_shipment() -> None:
    rs = make_ruleset("""
        - id: acme-week
          shipment_target: shipment.seller == "acme"
          effects:
            - { percent_off: 10 }
            - { shipping: { amount_off: "4.00" } }
    """)
    c = make_cart([("a", "50.00")], shipments=MARKETPLACE)
    trace, result = explain_cart(compile_ruleset(rs), c)
    assert result.to_dict() == evaluate(rs, c).to_dict()
    (promotion,) = trace.to_dict()["promotions"]
    lines, parcels = promotion["effects"]
    assert "shipments" not in lines
    assert [(s["shipment"], s["selected"], s["final"]) for s in parcels["shipments"]] == [
        ("s-acme", True, "4.00"), ("s-gh", False, None), ("s-bz", False, None)]
    assert [c["field"] for c in promotion["conditions"]] == ["shipment_target"]
