"""The gift effect against hand-computed numbers: the line it adds, the cart line it
discounts instead (``when_in_cart: discount``), caps, stacking, rounding, JPY."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from dsl import load_ruleset_text
from dsl.errors import RulesetError
from engine import evaluate
from engine.cli.render import render_text

Factory = Callable[..., Any]

TOTE = """
  - id: free-tote
    when: cart.subtotal >= 50
    effect: { gift: { sku: TOTE-01, unit_price: "12.00", name: Canvas tote } }
"""


def gift_lines(out: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for line in out["lines"] if line.get("gift")]


def test_a_free_gift_is_a_line_priced_and_discounted(ruleset: Factory, cart: Factory,
                                                     price: Factory) -> None:
    out = price(ruleset(TOTE), cart([("shirt", "40.00", 2)]))
    # 80.00 of shirts + the 12.00 tote in the subtotal, its 12.00 in the discount
    assert (out["subtotal"], out["total_discount"], out["total"]) == ("92.00", "12.00", "80.00")
    assert gift_lines(out) == [{
        "id": "gift:free-tote:TOTE-01", "sku": "TOTE-01", "quantity": 1, "unit_price": "12.00",
        "total": "12.00", "discount": "12.00", "final_total": "0.00",
        "discounts": [{"promotion": "free-tote", "amount": "12.00"}],
        "gift": True, "name": "Canvas tote"}]
    assert out["lines"][0] == {**out["lines"][0], "id": "shirt", "discount": "0.00"}
    assert "gift" not in out["lines"][0]
    assert out.applied() == {"free-tote": "12.00"}


def test_a_rejected_gift_adds_no_line(ruleset: Factory, cart: Factory, price: Factory) -> None:
    out = price(ruleset(TOTE), cart([("shirt", "40.00", 1)]))  # 40.00 < 50
    assert gift_lines(out) == []
    assert out["subtotal"] == "40.00"
    assert out.rejected() == {"free-tote": "conditions_not_met"}


def test_jpy_part_off_rounds_once_with_the_ruleset_rounding(ruleset: Factory, cart: Factory,
                                                             price: Factory) -> None:
    promotions = """
      - id: mug
        effect: { gift: { sku: MUG, unit_price: "333", quantity: 3, percent_off: 15 } }
        limits: { uses: 10 }
    """
    # 3 × 333 = 999 yen; 15 % = 149.85 → 150 (half even), 149 (down)
    for rounding, off in (("half_even", "150"), ("down", "149")):
        out = price(ruleset(promotions, currency="JPY", rounding=rounding),
                    cart([("tea", "1200")], currency="JPY"))
        (line,) = gift_lines(out)
        assert (line["unit_price"], line["total"], line["discount"], line["final_total"]) == \
            ("333", "999", off, str(999 - int(off)))
        assert (out["subtotal"], out["total_discount"]) == ("2199", off)


def test_conditions_never_see_gift_lines(ruleset: Factory, cart: Factory,
                                         price: Factory) -> None:
    rs = ruleset(TOTE + """
  - id: over-90
    priority: -1
    when: cart.subtotal >= 90 or count(item.sku == "TOTE-01") >= 1
    effect: { amount_off: "5.00" }
""")
    out = price(rs, cart([("shirt", "40.00", 2)]))  # 92.00 with the tote, 80.00 without
    assert out.rejected() == {"over-90": "conditions_not_met"}
    assert out["subtotal"] == "92.00"


def test_other_promotions_never_discount_a_gift_line(ruleset: Factory, cart: Factory,
                                                     price: Factory) -> None:
    rs = ruleset("""
      - id: gift-half
        priority: 10
        effect: { gift: { sku: TOTE-01, unit_price: "12.00", percent_off: 50 } }
      - id: all-10
        effect: { percent_off: 10 }
    """)
    out = price(rs, cart([("shirt", "40.00", 2)]))
    # the tote costs 6.00 after its own 50 %; 10 % only of the shirts (8.00)
    assert out.discounts() == {"shirt": {"all-10": "8.00"},
                               "gift:gift-half:TOTE-01":
                               {"gift-half": "6.00"}}
    assert (out["subtotal"], out["total_discount"], out["total"]) == ("92.00", "14.00", "78.00")


def test_max_amount_cuts_the_gift_then_the_gift_line_costs_the_rest(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
      - id: tote
        effect: { gift: { sku: TOTE-01, unit_price: "12.00" }, max_amount: "5.00" }
    """)
    out = price(rs, cart([("shirt", "40.00")]))
    (line,) = gift_lines(out)
    assert (line["discount"], line["final_total"]) == ("5.00", "7.00")
    assert out.capped() == [("tote", "max_amount", "12.00", "5.00")]
    assert (out["subtotal"], out["total"]) == ("52.00", "47.00")


def test_max_discount_cuts_the_gift_or_removes_it(ruleset: Factory, cart: Factory,
                                                  price: Factory) -> None:
    promotions = """
      - id: half
        priority: 10
        effect: { percent_off: 50 }
      - id: tote
        effect: { gift: { sku: TOTE-01, unit_price: "12.00" } }
    """
    # 20.00 off the shirt, then 12.00 of gift: 32.00 cut to 25.00 from the last applied
    out = price(ruleset(promotions, max_discount="{ amount: \"25.00\" }"),
                cart([("shirt", "40.00")]))
    (line,) = gift_lines(out)
    assert (line["discount"], line["final_total"]) == ("5.00", "7.00")
    assert out.capped() == [("tote", "max_discount", "12.00", "5.00")]
    # a cap the shirt alone uses up: the gift is cut to zero, rejected, and not given
    out = price(ruleset(promotions, max_discount="{ amount: \"20.00\" }"),
                cart([("shirt", "40.00")]))
    assert gift_lines(out) == []
    assert out.rejected() == {"tote": "cap_reached"}
    assert (out["subtotal"], out["total_discount"], out["total"]) == ("40.00", "20.00", "20.00")


def test_percent_of_subtotal_is_of_the_cart_subtotal(ruleset: Factory, cart: Factory,
                                                     price: Factory) -> None:
    rs = ruleset("""
      - id: tote
        effect: { gift: { sku: TOTE-01, unit_price: "12.00" } }
    """, max_discount="{ percent_of_subtotal: 10 }")
    out = price(rs, cart([("shirt", "40.00")]))  # 10 % of 40.00 (not of 52.00)
    assert gift_lines(out)[0]["discount"] == "4.00"


DISCOUNT_IN_CART = """
  - id: socks
    effect:
      gift: { sku: SOCKS, unit_price: "5.00", quantity: 2, percent_off: 50,
              when_in_cart: discount }
"""


def test_when_in_cart_discount_discounts_the_cart_line(ruleset: Factory, cart: Factory,
                                                       price: Factory) -> None:
    # the cart's own price counts (6.00): 50 % of 2 of its 3 units = 6.00; no gift line
    out = price(ruleset(DISCOUNT_IN_CART), cart([("shirt", "40.00"), ("socks", "6.00", 3)]))
    assert gift_lines(out) == []
    assert out.discounts() == {"shirt": {}, "socks": {"socks": "6.00"}}
    assert out["subtotal"] == "58.00"
    note = out["applied"][0]["note"]
    assert note == "SOCKS is in the cart: up to 2 of its units discounted instead of adding " \
        "the gift"


def test_when_in_cart_discount_with_fewer_units_than_the_gift(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    # one unit in the cart, a gift of two: that unit only (50 % of 6.00), nothing added
    out = price(ruleset(DISCOUNT_IN_CART), cart([("socks", "6.00", 1)]))
    assert out.discounts() == {"socks": {"socks": "3.00"}}
    assert gift_lines(out) == []


def test_when_in_cart_discount_adds_the_gift_when_the_sku_is_absent(
        ruleset: Factory, cart: Factory, price: Factory) -> None:
    out = price(ruleset(DISCOUNT_IN_CART), cart([("shirt", "40.00")]))
    (line,) = gift_lines(out)
    # 2 × 5.00 = 10.00, 50 % = 5.00
    assert (line["id"], line["total"], line["discount"]) == ("gift:socks:SOCKS", "10.00", "5.00")


def test_add_never_looks_at_the_cart_line(ruleset: Factory, cart: Factory,
                                          price: Factory) -> None:
    rs = ruleset(DISCOUNT_IN_CART.replace("when_in_cart: discount", "when_in_cart: add"))
    out = price(rs, cart([("socks", "6.00", 3)]))
    assert out.discounts() == {"socks": {}, "gift:socks:SOCKS": {"socks": "5.00"}}


def test_a_cart_line_with_the_gift_line_id_keeps_its_id(ruleset: Factory, cart: Factory,
                                                        price: Factory) -> None:
    taken = {"id": "gift:free-tote:TOTE-01", "sku": "X", "unit_price": "60.00", "quantity": 1}
    out = price(ruleset(TOTE), cart([taken]))
    assert [line["id"] for line in out["lines"]] == ["gift:free-tote:TOTE-01",
                                                      "gift:free-tote:TOTE-01#2"]
    assert gift_lines(out)[0]["id"] == "gift:free-tote:TOTE-01#2"


def test_json_text_and_objects_agree(ruleset: Factory, cart: Factory) -> None:
    result = evaluate(ruleset(TOTE), cart([("shirt", "40.00", 2)]))
    assert json.loads(result.to_json()) == result.to_dict()
    assert result.to_json() == json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    assert result.lines[1].gift is not None and result.lines[0].gift is None
    assert len(result.lines) == 2
    assert (result.subtotal, result.total_discount, result.total) == \
        (Decimal("92.00"), Decimal("12.00"), Decimal("80.00"))
    text = render_text(result)
    assert "gift: free-tote -12.00" in text


HEAD = """ruleset: t
dsl: 1
currency: {currency}
timezone: UTC
stacking: {{ coupons_per_order: 1, coupon_with_automatic: true, base: original }}
promotions:
  - id: g
{body}
"""


@pytest.mark.parametrize("currency, body, code", [
    ("USD", "    target: item.sku == \"A\"\n    effect: { gift: { sku: A, unit_price: \"1\" } }",
     "PR139"),
    ("USD", "    effect: { gift: { sku: A, unit_price: \"1000000000\", quantity: 1000001 } }",
     "PR140"),
    ("JPY", "    effect: { gift: { sku: A, unit_price: \"12.5\" } }", "PR123"),
    ("USD", "    effect: { gift: { sku: A, unit_price: \"1\", when_in_cart: swap } }", "PR122"),
])
def test_gift_load_errors(currency: str, body: str, code: str) -> None:
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(HEAD.format(currency=currency, body=body))
    assert [d.code for d in caught.value.diagnostics] == [code]
