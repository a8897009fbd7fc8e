"""Carts with shipments: each shipping effect applies to each selected shipment on its own
(docs/semantics.md#shipments).  Every expected number is worked out by hand."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from dsl.errors import DiagnosticsError
from engine import compile_ruleset, evaluate
from engine.cart import CartError, load_cart_text, parse_cart
from engine.schemas import result_schema
from engine.trace import explain_cart
from tests.engine.conftest import Out, make_cart, make_ruleset, price_cart

RESULT = Draft202012Validator(result_schema())

MARKETPLACE = [{"id": "s-acme", "seller": "acme", "method": "standard", "price": "6.99"},
               {"id": "s-gh", "seller": "gadgethub", "method": "standard", "price": "4.99"},
               {"id": "s-bz", "seller": "bazaario", "method": "express", "price": "3.00"}]


def shipments_of(out: Out) -> dict[str, tuple[str, dict[str, str]]]:
    """``{shipment id: (final, {promotion: amount})}``."""
    return {s["id"]: (s["final"], {d["promotion"]: d["amount"] for d in s["discounts"]})
            for s in out["shipments"]}


def priced(promotions: str, shipments: list[dict[str, str]], *, currency: str = "USD",
           lines: list[Any] | None = None, **switches: Any) -> Out:
    rs = make_ruleset(promotions, currency=currency, **switches)
    c = make_cart(lines if lines is not None else [("a", "50.00" if currency == "USD"
                                                    else "5000")],
                  currency=currency, shipments=shipments)
    out = price_cart(rs, c)
    RESULT.validate(out)
    return out


def test_free_for_one_seller_then_amount_off_each_shipment_clamped() -> None:
    out = priced("""
        - id: acme-free
          priority: 10
          shipment_target: shipment.seller == "acme"
          effect: { shipping: { free: true } }
        - id: five-off
          effect: { shipping: { amount_off: "5.00" } }
    """, MARKETPLACE, base="original")
    # acme's 6.99 free; then 5.00 off each on original prices: acme's clamped to the 0.00
    # left, min(5.00, 4.99) = 4.99, min(5.00, 3.00) = 3.00
    assert shipments_of(out) == {"s-acme": ("0.00", {"acme-free": "6.99"}),
                                 "s-gh": ("0.00", {"five-off": "4.99"}),
                                 "s-bz": ("0.00", {"five-off": "3.00"})}
    assert out.applied() == {"acme-free": "6.99", "five-off": "7.99"}
    assert [a["shipping"] for a in out["applied"]] == ["6.99", "7.99"]
    assert out["shipping"] is None
    assert (out["subtotal"], out["total_discount"], out["total"]) == ("50.00", "14.98", "50.00")


def test_max_amount_splits_the_cut_over_the_shipments_by_largest_remainder() -> None:
    out = priced("""
        - id: acme-free
          priority: 10
          shipment_target: shipment.seller == "acme"
          effect: { shipping: { free: true } }
        - id: five-off
          effect: { shipping: { amount_off: "5.00" }, max_amount: "6.00" }
    """, MARKETPLACE, base="original")
    # 4.99 + 3.00 = 7.99 cut to 6.00: 600 x 499 / 799 = 374.72 and 600 x 300 / 799 = 225.28;
    # the cent left goes to the larger remainder (s-gh)
    assert shipments_of(out)["s-gh"] == ("1.24", {"five-off": "3.75"})
    assert shipments_of(out)["s-bz"] == ("0.75", {"five-off": "2.25"})
    assert out.capped() == [("five-off", "max_amount", "7.99", "6.00")]


def test_equal_shares_give_the_left_cent_to_the_shipment_whose_id_sorts_first() -> None:
    equal = [{"id": i, "method": "standard", "price": "5.00"} for i in ("s-c", "s-a", "s-b")]
    out = priced("""
        - id: five-off
          effect: { shipping: { amount_off: "5.00" }, max_amount: "10.00" }
    """, equal)
    # 1000 cents in thirds: 333 each, the cent left to s-a (in cart order s-c, s-a, s-b)
    assert [s["id"] for s in out["shipments"]] == ["s-c", "s-a", "s-b"]
    assert shipments_of(out) == {"s-c": ("1.67", {"five-off": "3.33"}),
                                 "s-a": ("1.66", {"five-off": "3.34"}),
                                 "s-b": ("1.67", {"five-off": "3.33"})}


def test_jpy_percent_off_is_rounded_once_per_shipment() -> None:
    shipments = [{"id": "s1", "method": "standard", "price": "500"},
                 {"id": "s2", "method": "standard", "price": "333"},
                 {"id": "s3", "method": "standard", "price": "0"}]
    out = priced("""
        - id: third-off
          effect: { shipping: { percent_off: 33 } }
    """, shipments, currency="JPY", rounding="half_even")
    # 33 % of 500 = 165; of 333 = 109.89 -> 110; nothing off the free one
    assert shipments_of(out) == {"s1": ("335", {"third-off": "165"}),
                                 "s2": ("223", {"third-off": "110"}),
                                 "s3": ("0", {})}
    assert (out["total_discount"], out["total"]) == ("275", "5558")


def test_jpy_fixed_price_and_base_discounted_per_shipment() -> None:
    shipments = [{"id": "s1", "method": "express", "price": "1200"},
                 {"id": "s2", "method": "standard", "price": "250"}]
    out = priced("""
        - id: half
          priority: 10
          shipment_target: shipment.method == "express"
          effect: { shipping: { percent_off: 50 } }
        - id: flat-300
          effect: { shipping: { fixed_price: 300 } }
    """, shipments, currency="JPY", base="discounted")
    # express 1200 -> 600 left; then each at most 300: 600 - 300 = 300 off s1, and s2
    # (250) already costs less
    assert shipments_of(out) == {"s1": ("300", {"half": "600", "flat-300": "300"}),
                                 "s2": ("250", {})}


def test_a_shipment_target_that_selects_none_gives_nothing_to_discount() -> None:
    out = priced("""
        - id: express-free
          shipment_target: shipment.method == "overnight"
          effect: { shipping: { free: true } }
    """, MARKETPLACE)
    assert out.rejected() == {"express-free": "nothing_to_discount"}
    assert out.reason("express-free") == \
        'no shipment matches shipment_target: shipment.method == "overnight"'


def test_a_shipment_target_can_sum_the_lines_of_its_seller() -> None:
    lines = [("a", "30.00", 1, {"seller": "acme"}), ("b", "25.00", 1, {"seller": "acme"}),
             ("c", "80.00", 1, {"seller": "gadgethub"}), ("d", "10.00", 1, {"seller": "bazaario"})]
    out = priced("""
        - id: seller-free-over-50
          shipment_target: sum(item.total where item.seller == shipment.seller) >= 50
          effect: { shipping: { free: true } }
    """, MARKETPLACE, lines=lines)
    # acme's lines 55.00, gadgethub's 80.00, bazaario's 10.00
    assert {k: v[0] for k, v in shipments_of(out).items()} == \
        {"s-acme": "0.00", "s-gh": "0.00", "s-bz": "3.00"}


def test_plain_shipping_is_one_shipment_to_a_shipment_target() -> None:
    rs = make_ruleset("""
        - id: express-half
          shipment_target: shipment.method == "express" and shipment.seller == ""
          effect: { shipping: { percent_off: 50 } }
    """)
    express = price_cart(rs, parse_cart({"id": "c", "currency": "USD", "lines": [],
                                         "shipping": {"method": "express", "price": "9.00"}}))
    assert express["shipping"]["final"] == "4.50" and "shipments" not in express
    standard = price_cart(rs, make_cart([("a", "10.00")], shipping="9.00"))
    assert standard.rejected() == {"express-half": "nothing_to_discount"}


def test_cart_shipping_facts_of_shipments() -> None:
    rs = make_ruleset("""
        - id: all-standard
          when: cart.shipping_method == "standard" and cart.shipping_price == 11.98
          effect: { shipping: { free: true } }
    """)
    same = [{"id": "s1", "method": "standard", "price": "6.99"},
            {"id": "s2", "method": "standard", "price": "4.99"}]
    assert price_cart(rs, make_cart([("a", "1.00")], shipments=same)).applied() == \
        {"all-standard": "11.98"}
    mixed = [same[0], {**same[1], "method": "express"}]
    assert price_cart(rs, make_cart([("a", "1.00")], shipments=mixed)).rejected() == \
        {"all-standard": "conditions_not_met"}  # the methods differ: shipping_method is ""


def test_json_without_shipments_has_no_shipments_key_and_with_them_matches_to_dict() -> None:
    rs = make_ruleset("""
        - id: free
          effect: { shipping: { free: true } }
    """)
    plain = evaluate(rs, make_cart([("a", "1.00")], shipping="2.00"))
    assert "shipments" not in json.loads(plain.to_json())
    shipped = evaluate(rs, make_cart([("a", "1.00")], shipments=MARKETPLACE))
    assert shipped.to_json() == json.dumps(shipped.to_dict(), indent=2, ensure_ascii=False) + "\n"
    assert list(shipped.to_dict())[8:10] == ["shipping", "shipments"]


def test_the_trace_shows_each_shipment_selected_or_not() -> None:
    rs = make_ruleset("""
        - id: acme-free
          shipment_target: shipment.seller == "acme"
          effect: { shipping: { free: true } }
    """)
    trace = explain_cart(compile_ruleset(rs),
                         make_cart([("a", "1.00")], shipments=MARKETPLACE))[0].to_dict()
    promotion = trace["promotions"][0]
    condition = promotion["conditions"][0]
    assert condition["field"] == "shipment_target" and condition["per_shipment"] is True
    assert [(v["line"], v["truth"]) for v in condition["root"]["lines"]] == \
        [("s-acme", True), ("s-gh", False), ("s-bz", False)]
    steps = promotion["effect"]["shipments"]
    assert [(s["shipment"], s["selected"], s["final"]) for s in steps] == \
        [("s-acme", True, "6.99"), ("s-gh", False, None), ("s-bz", False, None)]


@pytest.mark.parametrize(("change", "code", "where"), [
    ({"shipping": {"method": "standard", "price": "1.00"}}, "PR315", "shipments"),
    ({"shipments": [MARKETPLACE[0], {**MARKETPLACE[1], "id": "s-acme"}]}, "PR316",
     "shipments[1].id"),
    ({"shipments": [{**MARKETPLACE[0], "id": f"s{k}"} for k in range(101)]}, "PR317",
     "shipments"),
    ({"shipments": [{**MARKETPLACE[0], "price": "-1.00"}]}, "PR300", "shipments[0].price"),
    ({"shipments": [{**MARKETPLACE[0], "price": "1.001"}]}, "PR304", "shipments[0].price"),
    ({"shipments": [{**MARKETPLACE[0], "id": ""}]}, "PR300", "shipments[0].id"),
])
def test_invalid_shipments_are_errors_with_their_path(change: dict[str, Any], code: str,
                                                      where: str) -> None:
    data = {"id": "c", "currency": "USD", "lines": [], "shipments": MARKETPLACE, **change}
    with pytest.raises(CartError) as raised:
        parse_cart(data)
    assert [(d.code, d.message.split(":")[0]) for d in raised.value.diagnostics] == \
        [(code, where)]


def test_a_cart_file_with_both_points_at_the_shipments() -> None:
    text = ('id: c\ncurrency: USD\nshipping: { method: standard, price: "1.00" }\n'
            'shipments:\n  - { id: s1, method: standard, price: "2.00" }\n')
    with pytest.raises(CartError) as raised:
        load_cart_text(text, name="cart.yaml")
    (found,) = raised.value.diagnostics
    assert found.code == "PR315" and found.span is not None
    assert (found.span.file, found.span.line) == ("cart.yaml", 5)  # the list of shipments


def test_the_fast_reading_and_the_models_agree_on_shipments() -> None:
    data = {"id": "c", "currency": "USD", "lines": [], "shipments": MARKETPLACE}
    text = json.dumps(data)
    assert load_cart_text(text) == load_cart_text(text.replace("{", "{ ", 1) + "\n# yaml")
    assert parse_cart(data).shipping_price == parse_cart(data).model_validate(
        data, context={}).shipping_price


@pytest.mark.parametrize(("condition", "field", "code"), [
    ('shipment.seller == "acme"', "when", "PR141"),
    ('shipment.seller == "acme"', "target", "PR141"),
    ("item.total > 5", "shipment_target", "PR142"),
    ("shipment.attributes.x == 1", "shipment_target", "PR170"),
])
def test_shipment_names_outside_their_context_are_load_errors(condition: str, field: str,
                                                              code: str) -> None:
    with pytest.raises(DiagnosticsError) as raised:
        make_ruleset(f"""
            - id: p
              {field}: '{condition}'
              effect: {{ shipping: {{ free: true }} }}
        """)
    assert [d.code for d in raised.value.diagnostics] == [code]
