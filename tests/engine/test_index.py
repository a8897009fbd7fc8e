"""The promotion index changes which promotions run, never a result.

Random rulesets whose conditions lean on everything the index reads (coupons,
windows, weekly schedules, equality tests, segments, weekdays, hours, order counts, attributes,
aggregates and their lower bounds, ``or`` and ``not``) are evaluated with the
index and without it (every promotion run); the results must be identical,
reasons and sentences included, with and without a usage store.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import load_ruleset_text
from dsl.model import Promotion
from engine import Program
from engine.cart import parse_cart
from engine.index import needs

WHENS = [
    'any(item.category == "shoes")', 'any(item.category in ["socks", "hats"])',
    'any(item.tags contains "sale")', 'any("new" in item.tags)',
    'customer.segments contains "vip"', '"vip" in customer.segments',
    'not (customer.segments contains "staff")', '"staff" not in customer.segments',
    'cart.weekday in ["sat", "sun"]', 'cart.weekday == "mon"', 'cart.weekday != "mon"',
    'cart.weekday not in ["sat", "sun"]', 'not (cart.weekday in ["fri"])',
    "cart.hour >= 18", "cart.hour < 9", "12 <= cart.hour", "cart.hour == 10",
    "cart.hour != 10", "customer.orders == 0", "customer.orders >= 2",
    "customer.orders < 1", "customer.orders != 1", "customer.orders > 100",
    "customer.orders <= 70", 'cart.shipping_method == "express"',
    'cart.shipping_method in ["pickup", "express"]',
    'count(item.category == "shoes") >= 2', 'count(item.category == "shoes") >= 0',
    'count(item.category == "shoes") == 0', 'lines(item.brand == "acme") < 1',
    '1 <= lines(item.brand == "acme")', 'sum(item.total where item.seller == "s1") >= 10',
    'sum(item.total where item.seller == "s1") <= 10',
    'max(item.unit_price where item.sku == "A") > 5',
    'min(item.unit_price where item.sku == "A") < 5',
    'any(item.category != "shoes")', 'all(item.seller != "s2")',
    'any(not (item.category == "shoes"))',
    '(customer.segments contains "vip" or any(item.category == "hats"))',
    '(cart.subtotal >= 50 or customer.segments contains "vip")',
    "cart.subtotal >= 30", 'any(item.product == "P1")', 'any(item.sku in ["A", "B"])',
    'any(item.seller == "s1" and item.unit_price >= 5)',
    'customer.attributes.country == "FR"', 'customer.attributes.country in ["FR", "DE"]',
    'customer.attributes.country != "FR"', 'not (customer.attributes.country == "FR")',
    'attributes.channel == "app"', 'cart.attributes.channel in ["app"]',
    "cart.subtotal >= 20", "cart.subtotal > 40.5", "10 < cart.quantity", "cart.lines >= 3",
    "count() >= 4", "lines() > 2", 'count(item.category == "shoes") > 2',
    'count(item.category in ["socks", "hats"]) >= 3', 'lines(item.tags contains "sale") >= 2',
    'sum(item.total where item.seller == "s1") > 20',
    'sum(item.quantity where item.brand == "acme") >= 3',
    'max(item.unit_price where item.category == "shoes") >= 12.5',
    "max(item.unit_price) > 10", "sum(item.total) >= 30",
    'count(item.category == "shoes" and item.unit_price >= 5) >= 2',
    '3 <= count(item.tags contains "new")',
    'count((item.tags contains "sale" or item.tags contains "new")) >= 3',
    'not (customer.attributes.country != "FR")', 'not (cart.attributes.channel not in ["app"])',
    "customer.orders == 64", "not (customer.orders != 100)", "customer.orders >= 2.5",
    "customer.orders == 2.5", "65 != customer.orders",
]
TARGETS = [
    'item.category == "shoes"', 'item.category in ["socks", "hats"]',
    'item.tags contains "sale"', 'item.seller == "s1"',
    'item.brand == "acme" and item.unit_price >= 5', 'item.sku == "A"',
    'item.product == "P1"', '(item.category == "shoes" or item.seller == "s2")',
    'not (item.category == "shoes")', 'item.category != "shoes"', "item.unit_price >= 10",
    # line functions in an item condition look at the other lines
    'item.category == "socks" and any(item.category == "shoes")',
    'item.category == "socks" and count(item.seller == "s1") >= 1',
    '(item.sku == "A" or any(item.brand == "acme"))',
]
EFFECTS: list[dict[str, Any]] = [
    {"percent_off": 10}, {"percent_off": 50, "max_units": 1}, {"amount_off": "5.00"},
    {"amount_off_each": "1.00"}, {"fixed_price": "3.00"}, {"buy": 1, "get": 1},
    {"buy": 1, "get": 1, "get_target": 'item.category == "socks"'},
    {"buy": 1, "get": 1, "get_target": 'item.category == "hats" and any(item.brand == "acme")'},
    {"bundle": {"units": 2, "price": "9.00"}},
    {"tiers": {"by": "quantity", "steps": [{"at": 2, "percent_off": 10},
                                           {"at": 5, "percent_off": 20}]}},
    {"shipping": {"free": True}}, {"percent_off": 100, "max_amount": "4.00"},
]
WINDOWS: list[dict[str, str] | None] = [
    None, None, None, {"from": "2026-06-01", "until": "2026-07-01"},
    {"until": "2026-06-10"}, {"from": "2026-06-14T18:00:00"},
    {"from": "2026-06-13", "until": "2026-06-15T10:00:00+00:00"},
    {"from": "2026-03-29T02:30:00"}, {"from": "2026-03-29T03:00:00"},  # a DST gap in Berlin
    {"until": "2026-10-25T02:30:00"},  # an hour that happens twice in Berlin
    # weekly schedules: the index leaves out the promotions closed at the cart's minute
    {"days": ["sat", "sun"]}, {"from": "2026-06-01", "hours": ["09:00-12:00", "18:00-22:00"]},
    {"days": ["sun"], "hours": ["02:00-03:00"]},  # skipped, then repeated, in Berlin
    {"days": ["fri", "sat"], "hours": ["22:00-02:00"]},  # past midnight
]
MOMENTS = ["2026-06-13T08:30:00+00:00", "2026-06-14T19:00:00+00:00",
           "2026-06-15T09:59:59+00:00", "2026-06-15T10:00:00+00:00",
           "2026-06-19T12:00:00+00:00", "2026-07-02T23:00:00+00:00",
           "2026-03-29T01:15:00+00:00", "2026-03-29T06:00:00+00:00",
           "2026-10-25T00:45:00+00:00", "2026-10-25T01:15:00+00:00",
           "2026-06-20T00:30:00+00:00", "2026-06-13T09:00:00+00:00"]
CODES = ["SAVE", "vip10", "Again"]
STACKING = {"coupons_per_order": 1, "coupon_with_automatic": True, "base": "discounted"}
EXAMPLES = int(os.environ.get("PROMO_PROPERTY_EXAMPLES", "500"))


@st.composite
def rulesets(draw: st.DrawFn) -> dict[str, Any]:
    promotions = []
    for index in range(draw(st.integers(1, 12))):
        promo: dict[str, Any] = {"id": f"p{index}", "priority": draw(st.sampled_from([0, 5]))}
        atoms = draw(st.lists(st.sampled_from(WHENS), max_size=2))
        if atoms:
            promo["when"] = " and ".join(atoms)
        if draw(st.booleans()):
            promo["target"] = draw(st.sampled_from(TARGETS))
        promo["effect"] = dict(draw(st.sampled_from(EFFECTS)))
        if draw(st.integers(0, 3)) == 0:
            promo["coupon"] = draw(st.sampled_from(CODES))
        window = draw(st.sampled_from(WINDOWS))
        if window:
            promo["active"] = window
        if draw(st.integers(0, 6)) == 0:
            promo["exclusive"] = True
        if draw(st.integers(0, 3)) == 0:
            promo["group"] = draw(st.sampled_from(["g1", "g2"]))
        promotions.append(promo)
    stacking: dict[str, Any] = {"coupons_per_order": draw(st.integers(0, 2)),
                                "coupon_with_automatic": draw(st.booleans()),
                                "base": draw(st.sampled_from(["original", "discounted"]))}
    if draw(st.booleans()):
        stacking["max_discount"] = {"amount": draw(st.sampled_from(["3.00", "20.00"]))}
    return {"ruleset": "index", "dsl": 1, "currency": "USD",
            "timezone": draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"])),
            "stacking": stacking, "promotions": promotions}


@st.composite
def carts(draw: st.DrawFn) -> dict[str, Any]:
    lines = []
    for index in range(draw(st.integers(0, 5))):
        sku = draw(st.sampled_from(["A", "B", "C", "D"]))
        lines.append({
            "id": f"l{index}", "sku": sku, "product": draw(st.sampled_from(["P1", "P2", sku])),
            "category": draw(st.sampled_from(["shoes", "socks", "hats", "bags"])),
            "seller": draw(st.sampled_from(["s1", "s2", "s3"])),
            "brand": draw(st.sampled_from(["acme", "zeta", ""])),
            "tags": draw(st.lists(st.sampled_from(["sale", "new"]), unique=True)),
            "unit_price": draw(st.sampled_from(["0.99", "4.00", "5.00", "12.50", "40.00"])),
            "quantity": draw(st.integers(1, 4)),
        })
    cart: dict[str, Any] = {
        "id": "c", "currency": "USD", "at": draw(st.sampled_from(MOMENTS)), "lines": lines,
        "customer": {"id": draw(st.sampled_from(["", "u1"])),
                     "segments": draw(st.lists(st.sampled_from(["vip", "staff", "b2b"]),
                                               unique=True)),
                     "orders": draw(st.sampled_from([0, 1, 2, 3, 64, 100])),
                     "attributes": draw(st.sampled_from([{}, {"country": "FR"},
                                                         {"country": "DE"}, {"country": 5}]))},
        "attributes": draw(st.sampled_from([{}, {"channel": "app"}, {"channel": "web"}])),
        "coupons": draw(st.lists(st.sampled_from([*CODES, "save", "NOPE"]), max_size=3)),
    }
    if draw(st.booleans()):
        cart["shipping"] = {"method": draw(st.sampled_from(["standard", "express", "pickup"])),
                            "price": draw(st.sampled_from(["0.00", "4.95"]))}
    return cart


class Usage:
    """A usage store's view, for the test: fixed refusals and budgets."""

    def __init__(self, refused: set[str], budgets: dict[str, Decimal]) -> None:
        self.refused, self.budgets = refused, budgets

    def refusal(self, promotion: Promotion, customer: str,
                code: str | None) -> tuple[str, str] | None:
        if promotion.id in self.refused:
            return "limit_reached", f"{promotion.id} has been used up"
        return None

    def budget_left(self, promotion: Promotion) -> Decimal | None:
        return self.budgets.get(promotion.id)


SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.slow
@SETTINGS
@given(rulesets(), st.lists(carts(), min_size=1, max_size=3), st.data())
def test_indexed_and_unindexed_results_are_identical(ruleset_data: dict[str, Any],
                                                     cart_data: list[dict[str, Any]],
                                                     data: st.DataObject) -> None:
    ruleset = load_ruleset_text(yaml.safe_dump(ruleset_data, sort_keys=False))
    indexed, every = Program(ruleset), Program(ruleset, use_index=False)
    # unchecked, a small ruleset leaves out only what the moment and the codes rule out
    gated = Program(ruleset, check_index=False)
    ids = [p.id for p in ruleset.promotions]
    usage = None
    if data.draw(st.booleans()):
        usage = Usage(set(data.draw(st.lists(st.sampled_from(ids)))),
                      {i: Decimal(data.draw(st.sampled_from(["0.00", "2.50"])))
                       for i in data.draw(st.lists(st.sampled_from(ids)))})
    for one in cart_data:  # several carts: the index's segment cache is reused
        cart = parse_cart(one)
        fast, slow = indexed.evaluate(cart, usage=usage), every.evaluate(cart, usage=usage)
        assert fast.to_json() == slow.to_json()
        assert fast == slow
        assert gated.evaluate(cart, usage=usage).to_json() == slow.to_json()


def test_a_promotion_left_out_is_explained_like_one_that_ran() -> None:
    ruleset = load_ruleset_text(yaml.safe_dump({
        "ruleset": "r", "dsl": 1, "currency": "USD", "timezone": "UTC", "stacking": STACKING,
        "promotions": [
            {"id": "shoes", "when": 'any(item.category == "shoes") and cart.subtotal >= 10',
             "effect": {"percent_off": 10}},
            {"id": "vip", "when": 'customer.segments contains "vip"',
             "effect": {"amount_off": "1.00"}},
            {"id": "hats", "target": 'item.category == "hats"', "effect": {"percent_off": 5}},
            {"id": "code", "coupon": "SAVE", "effect": {"percent_off": 5}},
        ]}))
    cart = parse_cart({"id": "c", "currency": "USD", "at": "2026-06-15T12:00:00Z",
                      "lines": [{"id": "a", "sku": "A", "category": "socks",
                                 "unit_price": "5.00", "quantity": 1}]})
    program = Program(ruleset)
    assert program.index is not None
    facts = program.facts(cart, dt.datetime.fromisoformat("2026-06-15T12:00:00+00:00"))
    assert program.index.candidates(facts, facts.cart["at"], []) == []
    result = program.evaluate(cart)
    assert [(r.promotion, r.code, r.reason) for r in result.rejected] == [
        ("code", "coupon_not_entered", "needs a coupon code; none of its codes was entered"),
        ("hats", "nothing_to_discount", 'no line matches target: item.category == "hats"'),
        ("shoes", "conditions_not_met",
         'any(item.category == "shoes") was false: no line satisfies it'),
        ("vip", "conditions_not_met",
         'customer.segments contains "vip" was false: customer.segments is []'),
    ]


@pytest.mark.parametrize(("condition", "all_of", "none_of"), [
    ('item.category == "shoes"', [{("category", "shoes")}], set()),
    ('"vip" in customer.segments and cart.weekday in ["sat", "sun"]',
     [{("segment", "vip")}, {("weekday", "sat"), ("weekday", "sun")}], set()),
    ('not (customer.segments contains "staff")', [], {("segment", "staff")}),
    ('count(item.category == "shoes") >= 2', [{("category", "shoes")}], set()),
    ('count(item.category == "shoes") == 0', [], set()),
    ('any(item.category != "shoes")', [], set()),
    ('(item.sku == "A" or item.seller == "s1")', [{("sku", "A"), ("seller", "s1")}], set()),
    ('(item.sku == "A" or item.unit_price > 3)', [], set()),
    ("cart.hour >= 22", [{("hour", Decimal(22)), ("hour", Decimal(23))}], set()),
    ("customer.orders >= 2", [], {("orders", Decimal(0)), ("orders", Decimal(1))}),
])
def test_what_a_condition_needs(condition: str, all_of: list[set[Any]],
                                none_of: set[Any]) -> None:
    ruleset = load_ruleset_text(yaml.safe_dump({
        "ruleset": "r", "dsl": 1, "currency": "USD", "timezone": "UTC", "stacking": STACKING,
        "promotions": [{"id": "p", "target": condition, "effect": {"percent_off": 1}}
                       if condition.startswith(("item", "(item")) else
                       {"id": "p", "when": condition, "effect": {"percent_off": 1}}]}))
    promo = ruleset.promotions[0]
    node = (promo.target or promo.when).node  # type: ignore[union-attr]
    found = needs(node)
    assert [set(r) for r in found.in_cart] == all_of
    assert set(found.none_of) == none_of


@pytest.mark.parametrize(("condition", "bound"), [
    ('count(item.category == "shoes") >= 2', (("units", {("category", "shoes")}), False, "2")),
    ("cart.subtotal > 40.5", (("total", set()), True, "40.5")),
    ('50 < sum(item.total where item.seller == "s1")',
     (("total", {("seller", "s1")}), True, "50")),
    ('max(item.unit_price where item.sku == "A") >= 5',
     (("max_price", {("sku", "A")}), False, "5")),
])
def test_lower_bounds_a_condition_needs(condition: str, bound: tuple[Any, bool, str]) -> None:
    ruleset = load_ruleset_text(yaml.safe_dump({
        "ruleset": "r", "dsl": 1, "currency": "USD", "timezone": "UTC", "stacking": STACKING,
        "promotions": [{"id": "p", "when": condition, "effect": {"percent_off": 1}}]}))
    node = ruleset.promotions[0].when.node  # type: ignore[union-attr]
    ((kind, keys), strict, value), = needs(node).at_least
    assert ((kind, set(keys)), strict, value) == (bound[0], bound[1], Decimal(bound[2]))


def test_a_small_ruleset_leaves_out_what_the_moment_and_the_codes_rule_out() -> None:
    # 4 promotions and a 2-line cart: the index does not pay (INDEX_PAYS_FROM), yet the
    # pass runs only the promotions open at the cart's moment whose code was entered
    ruleset = load_ruleset_text(yaml.safe_dump({
        "ruleset": "r", "dsl": 1, "currency": "USD", "timezone": "UTC", "stacking": STACKING,
        "promotions": [
            {"id": "june", "active": {"from": "2026-06-01", "until": "2026-07-01"},
             "effect": {"percent_off": 10}},
            {"id": "july", "active": {"from": "2026-07-01"}, "effect": {"percent_off": 20}},
            {"id": "code", "coupon": "SAVE", "effect": {"amount_off": "1.00"}},
            {"id": "other-code", "coupon": "OTHER", "effect": {"amount_off": "2.00"}},
        ]}))
    data = {"id": "c", "currency": "USD", "at": "2026-06-15T12:00:00Z", "coupons": [" save"],
            "lines": [{"id": "a", "sku": "A", "unit_price": "5.00", "quantity": 1},
                      {"id": "b", "sku": "B", "unit_price": "3.00", "quantity": 2}]}
    cart = parse_cart(data)
    gated, every = Program(ruleset, check_index=False), Program(ruleset, use_index=False)
    assert gated.candidates(cart) == ["code", "june"]
    assert every.candidates(cart) == ["code", "july", "june", "other-code"]
    result = gated.evaluate(cart)
    assert [(r.promotion, r.code, r.reason) for r in result.rejected] == [
        ("july", "not_active_yet", "starts 2026-07-01T00:00:00+00:00 (UTC); evaluated at "
                                   "2026-06-15T12:00:00+00:00"),
        ("other-code", "coupon_not_entered",
         "needs a coupon code; none of its codes was entered")]
    assert [a.promotion for a in result.applied] == ["code", "june"]
    assert result.to_json() == every.evaluate(cart).to_json()
    # every promotion open and entered: the pass runs them all
    everything = parse_cart({**data, "coupons": ["SAVE", "OTHER"], "at": "2026-08-01T00:00:00Z",
                             "lines": data["lines"]})
    assert gated.candidates(everything) == ["code", "july", "other-code"]
