"""The whole decision about each promotion (engine/trace.py): it agrees with what
``evaluate`` decides, and shows each step of it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dsl import load_ruleset
from dsl.codes import UNKNOWN_PROMOTION
from dsl.errors import InputError
from engine import evaluate
from engine.cart import load_cart
from engine.program import Program, compile_ruleset
from engine.schemas import explain_schema
from engine.trace import Trace, explain_cart

from .conftest import make_cart, make_ruleset

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = Draft202012Validator(explain_schema())
CARTS = sorted(ROOT.glob("rulesets/*/carts/*.yaml"))

STEP_OF = {
    "coupon_not_entered": {"coupon"}, "not_active_yet": {"window"}, "expired": {"window"},
    "coupon_not_active_yet": {"window"}, "coupon_expired": {"window"},
    "conditions_not_met": {"when", "effect"}, "coupon_ineligible": {"when", "effect"},
    "limit_reached": {"limits"}, "budget_exhausted": {"limits", "caps"},
    "blocked_by_exclusive": {"stacking"}, "not_combinable": {"stacking"},
    "group_taken": {"stacking"}, "coupon_limit": {"stacking"},
    "not_combinable_with_coupon": {"stacking"}, "nothing_to_discount": {"effect"},
    "cap_reached": {"caps", "max_discount"},
}


def assert_agrees(trace: Trace, ruleset: object, cart: object) -> None:
    """The trace says what a plain ``evaluate`` of the same cart says, step by step."""
    result = evaluate(ruleset, cart)  # type: ignore[arg-type]
    data = result.to_dict()
    assert {p.id: p.amount for p in trace.promotions if p.outcome == "applied"} == \
        {a["promotion"]: a["amount"] for a in data["applied"]}
    rejected = {r["promotion"]: (r["code"], r["reason"]) for r in data["rejected"]
                if r["promotion"] is not None}
    assert {p.id: (p.code, p.reason) for p in trace.promotions
            if p.outcome == "rejected"} == rejected
    assert (trace.subtotal, trace.total_discount, trace.total) == (
        data["subtotal"], data["total_discount"], data["total"])
    by_line = {line["id"]: {d["promotion"]: d["amount"] for d in line["discounts"]}
               for line in data["lines"]}
    for p in trace.promotions:
        if p.outcome == "rejected":
            assert p.code is not None and p.decided_by in STEP_OF[p.code], p.id
            continue
        assert p.decided_by == "applied" and p.effect is not None
        assert p.effect.final == p.amount
        for line in p.effect.lines:
            assert line.final == by_line[line.line].get(p.id), (p.id, line.line)
            if line.final is not None:
                assert line.roles
        if p.effect.shipping is not None:
            shipping = {d["promotion"]: d["amount"] for d in data["shipping"]["discounts"]}
            assert p.effect.shipping["final"] == shipping.get(p.id)
        # the steps before the decision passed
        assert p.coupon.passed and p.window.passed and p.limits.passed and p.stacking.passed
        assert all(c.root.truth is not False for c in p.conditions if c.field == "when")
    entered = [e for e in trace.entered if e.outcome != "chosen"]
    unmatched = [(r["coupon"], r["code"]) for r in data["rejected"] if r["promotion"] is None]
    assert [(e.entered, e.outcome) for e in entered] == unmatched


@pytest.mark.parametrize("cart_file", CARTS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_the_trace_agrees_with_evaluate_on_every_sample_cart(cart_file: Path) -> None:
    ruleset = load_ruleset(cart_file.parent.parent / "ruleset.yaml")
    cart = load_cart(cart_file)
    for program in (compile_ruleset(ruleset), Program(ruleset, use_index=False)):
        trace, _ = explain_cart(program, cart)
        assert [p.id for p in trace.promotions] == [cp.id for cp in program.promotions]
        assert_agrees(trace, ruleset, cart)
        VALIDATOR.validate(json.loads(json.dumps(trace.to_dict())))


def test_the_window_shows_the_instants_compared() -> None:
    ruleset = load_ruleset(ROOT / "rulesets/fashion/ruleset.yaml")
    cart = load_cart(ROOT / "rulesets/fashion/carts/example.yaml")
    trace, _ = explain_cart(compile_ruleset(ruleset), cart, promotions=["black-friday-30"])
    (friday,) = trace.promotions
    assert friday.decided_by == "window" and friday.code == "not_active_yet"
    window = friday.window
    assert (window.starts, window.failed, window.passed) == (
        "2026-11-27T00:00:00+01:00", "starts", False)
    assert window.starts_utc == "2026-11-26T23:00:00+00:00"
    assert window.at_utc == "2026-07-15T12:30:00+00:00"
    assert friday.effect is None  # never computed


def test_stacking_names_who_caused_it() -> None:
    ruleset = load_ruleset(ROOT / "rulesets/fashion/ruleset.yaml")
    cart = load_cart(ROOT / "rulesets/fashion/carts/example.yaml")
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    student = trace.promotion("student-10")
    assert (student.decided_by, student.stacking.code, student.stacking.caused_by) == (
        "stacking", "group_taken", ("vip-15",))
    assert student.stacking.passed is False and student.limits.passed is True


def test_units_chosen_and_rounding_per_line() -> None:
    ruleset = make_ruleset("""
        - id: cheapest-two
          effect: { percent_off: 15, max_units: 2 }
    """, rounding="half_up")
    cart = make_cart([("a", "3.33", 3), ("b", "1.99", 1), ("c", "9.00", 1)])
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    effect = trace.promotion("cheapest-two").effect
    assert effect is not None and effect.rounding == "half_up"
    rows = {line.line: (line.units, line.exact, line.computed) for line in effect.lines}
    # 1.99 × 15% = 0.2985 → 0.30; one of a's 3 units: 9.99 × 1/3 × 15% = 0.4995 → 0.50
    assert rows == {"b": (1, "0.2985", "0.30"), "a": (1, "0.4995", "0.50"),
                    "c": (None, None, None)}
    assert_agrees(trace, ruleset, cart)


def test_a_spread_amount_is_allocated_and_capped() -> None:
    ruleset = make_ruleset("""
        - id: ten-off
          effect: { amount_off: "10.00", max_amount: "7.00" }
    """)
    cart = make_cart([("a", "10.00", 1), ("b", "20.00", 1), ("c", "0.01", 1)])
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    effect = trace.promotion("ten-off").effect
    assert effect is not None and effect.allocation is not None
    computed = {line.line: line.computed for line in effect.lines}
    assert sum(Decimal(v) for v in computed.values() if v) == Decimal("10.00")
    assert [(c.source, c.before, c.after) for c in effect.caps] == [
        ("max_amount", "10.00", "7.00")]
    assert sum(Decimal(line.final) for line in effect.lines if line.final) == Decimal("7.00")
    assert_agrees(trace, ruleset, cart)


def test_the_tier_reached() -> None:
    ruleset = make_ruleset("""
        - id: tiers
          effect:
            tiers:
              by: subtotal
              steps:
                - { at: 50, percent_off: 5 }
                - { at: 100, percent_off: 10 }
                - { at: 200, percent_off: 15 }
    """)
    cart = make_cart([("a", "60.00", 2)])
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    effect = trace.promotion("tiers").effect
    assert effect is not None and effect.tier == {
        "by": "subtotal", "measure": "120.00", "reached": "100", "steps": ["50", "100", "200"]}
    assert effect.lines[0].exact == "12" and effect.lines[0].computed == "12.00"
    small, _ = explain_cart(compile_ruleset(ruleset), make_cart([("a", "10.00", 1)]))
    none = small.promotion("tiers")
    assert (none.decided_by, none.code) == ("effect", "conditions_not_met")
    assert none.effect is not None and none.effect.tier is not None
    assert none.effect.tier["reached"] is None


def test_max_discount_cuts_the_last_applied() -> None:
    ruleset = make_ruleset("""
        - id: first
          priority: 2
          effect: { percent_off: 40 }
        - id: second
          priority: 1
          effect: { percent_off: 50 }
    """, max_discount="{ percent_of_subtotal: 50 }")
    cart = make_cart([("a", "100.00", 1)])
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    second = trace.promotion("second")
    assert second.effect is not None
    assert [(c.source, c.before, c.after) for c in second.effect.caps] == [
        ("max_discount", "30.00", "10.00")]
    assert second.amount == "10.00"
    assert_agrees(trace, ruleset, cart)


def test_codes_not_entered_never_appear_in_the_trace() -> None:
    ruleset = make_ruleset("""
        - id: partner
          coupons: ["PARTNER-SECRET", "OTHER-SECRET"]
          when: cart.coupons contains "HIDDEN-CODE" or cart.subtotal > 1
          effect: { percent_off: 10 }
        - id: open
          when: not (cart.coupons contains "ALSO-HIDDEN")
          effect: { percent_off: 5 }
    """, coupons_per_order=2)
    cart = make_cart([("a", "10.00", 1)], coupons=[" other-secret ", "NOPE"])
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    VALIDATOR.validate(trace.to_dict())
    dumped = json.dumps(trace.to_dict())
    for secret in ("PARTNER-SECRET", "HIDDEN-CODE", "ALSO-HIDDEN"):
        assert secret.casefold() not in dumped.casefold()
    partner = trace.promotion("partner")
    assert (partner.coupon.entered, partner.coupon.normalised) == ("other-secret", "other-secret")
    assert [(e.entered, e.outcome) for e in trace.entered] == [
        ("other-secret", "chosen"), ("NOPE", "coupon_unknown")]


def test_an_unknown_promotion_is_an_error_naming_the_ruleset() -> None:
    ruleset = load_ruleset(ROOT / "rulesets/fashion/ruleset.yaml")
    cart = load_cart(ROOT / "rulesets/fashion/carts/example.yaml")
    with pytest.raises(InputError) as caught:
        explain_cart(compile_ruleset(ruleset), cart, promotions=["vip-16"])
    assert caught.value.code == UNKNOWN_PROMOTION
    assert "ruleset.yaml" in caught.value.message and "'vip-16'" in caught.value.message
    assert caught.value.hint == "did you mean 'vip-15'?"
