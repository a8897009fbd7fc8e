"""The whole decision about each promotion (engine/trace.py): it agrees with what
``evaluate`` decides, and shows each step of it."""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from dsl import load_ruleset
from dsl.codes import EVALUATION_TOO_LARGE, UNKNOWN_PROMOTION
from dsl.errors import InputError
from dsl.values import normalise_code
from engine import evaluate
from engine.cart import CartError, load_cart, parse_cart
from engine.cli.trace_text import render_trace
from engine.program import Program, compile_ruleset
from engine.schemas import explain_schema
from engine.trace import Trace, explain_cart

from .conftest import make_cart, make_ruleset
from .test_secret_codes import Case as SecretCase
from .test_secret_codes import _cart as secret_cart
from .test_secret_codes import _read as read_as_codes
from .test_secret_codes import cases as secret_cases

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = Draft202012Validator(explain_schema())
CARTS = sorted(ROOT.glob("rulesets/*/carts/*.yaml"))

STEP_OF = {
    "coupon_not_entered": {"coupon"}, "not_active_yet": {"window"}, "expired": {"window"},
    "coupon_not_active_yet": {"window"}, "coupon_expired": {"window"},
    "outside_schedule": {"window"},
    "conditions_not_met": {"when", "effect"}, "coupon_ineligible": {"when", "effect"},
    "limit_reached": {"limits"}, "budget_exhausted": {"limits", "caps"},
    "blocked_by_exclusive": {"stacking"}, "not_combinable": {"stacking"},
    "group_taken": {"stacking"}, "coupon_limit": {"stacking"},
    "not_combinable_with_coupon": {"stacking"}, "nothing_to_discount": {"effect"},
    "cap_reached": {"caps", "max_discount"}, "not_best_deal": {"best_deal"},
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
        assert p.decided_by == "applied" and (p.effect is None) != (p.effects is None)
        if p.effect is not None:
            assert p.effect.final == p.amount
        effects = [p.effect] if p.effect is not None else list(p.effects or ())
        # each effect's final is what it took; uncut, they add up to the promotion's
        finals: dict[str | None, Decimal] = {}
        for effect in effects:
            for line in effect.lines:
                if line.final is not None:
                    assert line.roles
                    finals[line.line] = finals.get(line.line, Decimal(0)) + Decimal(line.final)
            if effect.shipping is not None and effect.shipping["final"] is not None:
                finals[None] = finals.get(None, Decimal(0)) + Decimal(effect.shipping["final"])
            for shipment in effect.shipments or ():  # (a cart with shipments)
                if shipment["final"] is not None:
                    assert shipment["selected"]
                    key = f"shipment {shipment['shipment']}"
                    finals[key] = finals.get(key, Decimal(0)) + Decimal(shipment["final"])
        assert p.amount is not None and sum(finals.values(), Decimal(0)) >= Decimal(p.amount)
        if sum(finals.values(), Decimal(0)) == Decimal(p.amount):
            for line_id, amounts in by_line.items():
                assert finals.get(line_id) == (Decimal(amounts[p.id]) if p.id in amounts
                                               else None), (p.id, line_id)
            if data["shipping"] is not None:
                shipping = {d["promotion"]: d["amount"] for d in data["shipping"]["discounts"]}
                assert finals.get(None) == (Decimal(shipping[p.id]) if p.id in shipping
                                            else None)
        # the steps before the decision passed
        assert p.coupon.passed and p.window.passed and p.limits.passed and p.stacking.passed
        assert all(c.root.truth is not False for c in p.conditions if c.field == "when")
    entered = [e for e in trace.entered if e.outcome != "chosen"]
    unmatched = [(r["coupon"], r["code"]) for r in data["rejected"] if r["promotion"] is None]
    assert [(e.entered, e.outcome) for e in entered] == unmatched


ROUNDING = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP, "down": ROUND_DOWN}


def assert_rounds_to_computed(trace: Trace, rounding: str) -> int:
    """Each amount shown before rounding rounds, with the ruleset's rounding, to the
    amount the effect computed; how many there were."""
    seen = 0
    for p in trace.promotions:
        effects = [p.effect] if p.effect is not None else list(p.effects or ())
        for line in (line for effect in effects for line in effect.lines):
            if line.exact is None:
                continue
            assert line.computed is not None
            exact = Fraction(line.exact) if "/" in line.exact else Fraction(Decimal(line.exact))
            places = -Decimal(line.computed).as_tuple().exponent  # type: ignore[operator]
            whole, rest = divmod(exact * 10 ** places, 1)
            rounded = Decimal(int(whole)) + (
                0 if rest == 0 or ROUNDING[rounding] == ROUND_DOWN else
                1 if rest > Fraction(1, 2) else 0 if rest < Fraction(1, 2) else
                1 if ROUNDING[rounding] == ROUND_HALF_UP or int(whole) % 2 else 0)
            assert rounded.scaleb(-places) == Decimal(line.computed), (p.id, line)
            seen += 1
    return seen


@pytest.mark.parametrize("cart_file", CARTS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_the_trace_agrees_with_evaluate_on_every_sample_cart(cart_file: Path) -> None:
    ruleset = load_ruleset(cart_file.parent.parent / "ruleset.yaml")
    cart = load_cart(cart_file)
    for program in (compile_ruleset(ruleset), Program(ruleset, use_index=False)):
        trace, _ = explain_cart(program, cart)
        assert [p.id for p in trace.promotions] == [cp.id for cp in program.promotions]
        assert_agrees(trace, ruleset, cart)
        assert_rounds_to_computed(trace, ruleset.rounding)
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


@settings(max_examples=60, deadline=None)
@given(secret_cases(), st.booleans())
def test_no_trace_shows_a_code_the_cart_did_not_enter(case: SecretCase, socks: bool) -> None:
    """The generated rulesets and carts of tests/engine/test_secret_codes.py: the trace,
    in JSON and in text, read as codes match, holds no code the cart did not enter."""
    trace, _ = explain_cart(compile_ruleset(case.ruleset),
                            parse_cart(secret_cart(case.entered, socks)))
    entered = {normalise_code(c) for c in case.entered}
    shown = read_as_codes(json.dumps(trace.to_dict(), ensure_ascii=False)) + \
        read_as_codes(render_trace(trace))
    for written in case.codes:
        if normalise_code(written) not in entered:
            assert normalise_code(written) not in shown, written


def test_buy_get_shows_the_lines_bought_and_the_units_given() -> None:
    ruleset = make_ruleset("""
        - id: phone-case
          target: item.category == "phones"
          effect:
            buy: 1
            get: 1
            get_target: item.category == "cases"
            percent_off: 50
    """)
    cart = make_cart([("p", "300.00", 1, {"category": "phones"}),
                      ("c", "20.00", 2, {"category": "cases"}),
                      ("s", "5.00", 1, {"category": "socks"})])
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    promotion = trace.promotion("phone-case")
    assert [c.field for c in promotion.conditions] == ["target", "effect.get_target"]
    effect = promotion.effect
    assert effect is not None and effect.spec["get_target"] == 'item.category == "cases"'
    rows = {line.line: (line.roles, line.units, line.final, line.why_not)
            for line in effect.lines}
    assert rows == {"p": (("target",), None, None, None),
                    "c": (("get_target",), 1, "10.00", None),
                    "s": ((), None, None, "target is false for this line")}
    assert_agrees(trace, ruleset, cart)


def test_a_bundle_shares_its_saving_by_largest_remainder() -> None:
    ruleset = make_ruleset("""
        - id: three-for-ten
          effect: { bundle: { units: 3, price: "10.00" } }
    """)
    cart = make_cart([("a", "4.00", 1), ("b", "4.00", 1), ("c", "4.00", 1)])
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    effect = trace.promotion("three-for-ten").effect
    assert effect is not None and effect.allocation is not None
    # 2.00 over three equal lines: 0.67, 0.67, 0.66 (ties to the smaller id)
    assert [(line.units, line.final) for line in effect.lines] == [
        (1, "0.67"), (1, "0.67"), (1, "0.66")]
    assert_agrees(trace, ruleset, cart)


def test_a_trace_too_large_is_refused_and_fewer_promotions_fit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.trace

    ruleset = make_ruleset("""
        - id: a
          target: item.category == "socks" or item.category == "shoes"
          effect: { percent_off: 10 }
        - id: b
          target: item.category == "hats"
          effect: { percent_off: 5 }
    """)
    cart = make_cart([(f"l{k}", "1.00", 1) for k in range(10)])
    monkeypatch.setattr(engine.trace, "MAX_TRACE_VALUES", 100)
    program = compile_ruleset(ruleset)
    with pytest.raises(CartError) as caught:
        explain_cart(program, cart)
    assert caught.value.code == EVALUATION_TOO_LARGE
    assert caught.value.hint == "name fewer promotions to explain"
    trace, _ = explain_cart(program, cart, promotions=["b"])
    assert [p.id for p in trace.promotions] == ["b"]


@pytest.mark.parametrize("rounding", ["half_even", "half_up", "down"])
@pytest.mark.parametrize("effect", [
    "{ percent_off: 12.5, max_units: 4 }", "{ amount_off_each: \"0.35\" }",
    "{ fixed_price: \"1.00\", max_units: 5 }", "{ buy: 2, get: 1, percent_off: 33 }",
    "{ tiers: { by: quantity, steps: [{ at: 2, amount_off_each: \"0.13\" }] } }",
])
def test_the_amount_before_rounding_rounds_to_the_amount_computed(effect: str,
                                                                  rounding: str) -> None:
    ruleset = make_ruleset(f"""
        - id: p
          effect: {effect}
    """, currency="EUR", rounding=rounding)
    cart = make_cart([("a", "3.33", 3), ("b", "1.99", 7), ("c", "0.05", 2)], currency="EUR")
    trace, _ = explain_cart(compile_ruleset(ruleset), cart)
    assert assert_rounds_to_computed(trace, rounding) >= 1
    assert_agrees(trace, ruleset, cart)
