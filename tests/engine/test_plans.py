"""Plans (engine/plans.py): a promotion's application specialised when the program is
built gives what the general path (``Evaluation._apply``) gives, to the byte, reasons
included.

The general path is the one an ``Evaluation`` subclass takes (plans are for the
evaluation itself only: the tracer and the best-deal search see every step)."""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from dsl import load_ruleset_text
from engine import compile_ruleset, parse_cart
from engine.effects import BaseLine, _pick
from engine.evaluate import Evaluation
from engine.program import Program
from engine.result import Result

HERE = Path(__file__).parent


class General(Evaluation):
    """The evaluation without plans: every promotion through ``Evaluation._apply``."""


def _module(name: str) -> ModuleType:
    """A test module beside this file, loaded once under its own name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def both(program: Program, cart: Any) -> tuple[Result, Result]:
    """The result with plans, and the general path's."""
    return program.evaluate(cart), program.evaluate(cart, evaluation=General)


def assert_same(program: Program, cart: Any) -> Result:
    planned, general = both(program, cart)
    assert planned.to_json() == general.to_json()  # (lines, applied, capped, reasons)
    assert [(r.promotion, r.code, r.reason) for r in planned.rejected] == \
        [(r.promotion, r.code, r.reason) for r in general.rejected]
    return planned


def ruleset(currency: str, promotions: list[dict[str, Any]], base: str = "discounted",
            ) -> Program:
    data = {"ruleset": "plans", "dsl": 1, "currency": currency, "timezone": "UTC",
            "rounding": "half_up",
            "stacking": {"coupons_per_order": 1, "coupon_with_automatic": True, "base": base},
            "promotions": promotions}
    return compile_ruleset(load_ruleset_text(yaml.safe_dump(data, sort_keys=False)))


def cart(currency: str, lines: list[tuple[str, str, str, int]], **more: Any) -> Any:
    return parse_cart({"id": "c", "currency": currency, "at": "2026-06-15T12:00:00Z",
                       "lines": [{"id": i, "sku": i, "category": c, "unit_price": p,
                                  "quantity": q} for i, c, p, q in lines], **more})


def test_which_promotions_have_a_plan() -> None:
    program = ruleset("USD", [
        {"id": "pct", "target": 'item.category == "a"', "effect": {"percent_off": 10}},
        {"id": "each", "effect": {"amount_off_each": "1.00", "max_units": 2}},
        {"id": "bogo", "effect": {"buy": 1, "get": 1}},
        {"id": "capped", "effect": {"percent_off": 10, "max_amount": "5.00"}},
        {"id": "spread", "effect": {"amount_off": "5.00"}},
        {"id": "ship", "effect": {"shipping": {"free": True}}},
        {"id": "two", "effects": [{"percent_off": 10}, {"amount_off_each": "1.00"}]},
    ])
    planned = {cp.id for cp, plan in zip(program.promotions, program.plans, strict=True)
               if plan is not None}
    assert planned == {"pct", "each", "bogo"}


@pytest.mark.parametrize("base", ["discounted", "original"])
def test_hand_computed_usd(base: str) -> None:
    program = ruleset("USD", [
        # 15 % of the cheapest unit of a
        {"id": "pct", "priority": 3, "target": 'item.category == "a"',
         "effect": {"percent_off": 15, "max_units": 1}},
        # 1.25 off each of at most 3 units, the dearest first
        {"id": "each", "priority": 2,
         "effect": {"amount_off_each": "1.25", "max_units": 3, "choose": "most_expensive"}},
        # buy 1 get 1 half off among the a's
        {"id": "bogo", "priority": 1, "target": 'item.category == "a"',
         "effect": {"buy": 1, "get": 1, "percent_off": 50}},
    ], base=base)
    result = assert_same(program, cart("USD", [("x", "a", "3.33", 2), ("y", "b", "9.99", 2)]))
    parts = {(d.promotion, line.id): d.amount for line in result.lines for d in line.discounts}
    # bogo: one unit of x at 50 %, of what is left of x (6.66 - 0.50 - 1.25 = 4.91:
    # 2.455 → 2.46 a unit… as one ratio, 491 × 1/2 × 50 % = 122.75 → 1.23), or of its
    # original total (666 × 1/2 × 50 % = 166.5 → 1.67, at most the 4.91 left)
    assert parts == {
        ("pct", "x"): Decimal("0.50"),  # 15 % of one unit of 3.33: 0.4995 → 0.50
        ("each", "y"): Decimal("2.50"),  # 1.25 off 3 units, the dearest: both of y …
        ("each", "x"): Decimal("1.25"),  # … and one of x
        ("bogo", "x"): Decimal("1.23") if base == "discounted" else Decimal("1.67"),
    }


def test_hand_computed_jpy_and_clamping() -> None:
    program = ruleset("JPY", [
        {"id": "half", "priority": 2, "effect": {"percent_off": 50}},
        # 700 off each unit of a line worth 500 a unit after "half": at most its value
        {"id": "each", "priority": 1, "effect": {"amount_off_each": "700"}},
        {"id": "late", "effect": {"percent_off": 10}},  # nothing left: deferred reason
    ])
    result = assert_same(program, cart("JPY", [("x", "a", "1001", 3)]))
    parts = {d.promotion: d.amount for d in result.lines[0].discounts}
    # 3003 × 50 % = 1501.5 → 1502 (half up); what is left, 1501, is taken by "each"
    assert parts == {"half": Decimal("1502"), "each": Decimal("1501")}
    assert [(r.promotion, r.code) for r in result.rejected] == [("late", "nothing_to_discount")]
    assert result.lines[0].final_total == Decimal("0")


def test_nothing_taken_is_explained_as_the_general_path_does() -> None:
    program = ruleset("EUR", [
        {"id": "bogo", "effect": {"buy": 2, "get": 1}},
        {"id": "tiny", "effect": {"percent_off": "0.1"}},
    ])
    result = assert_same(program, cart("EUR", [("x", "a", "2.00", 2)]))
    reasons = {r.promotion: (r.code, r.reason) for r in result.rejected}
    assert reasons["bogo"] == ("nothing_to_discount",
                               "buy 2 get 1 needs 3 target units; there are 2")
    assert reasons["tiny"][0] == "nothing_to_discount"  # 0.1 % of 4.00 rounds to 0.00


def test_generated_pairs_agree_with_the_general_path(tmp_path: Path) -> None:
    """The golden pairs (every effect kind, both bases, caps, coupons, JPY)."""
    pairs = _module("golden_pairs")
    planned_promotions = 0
    for index in range(pairs.RULESETS):
        rules = pairs.generate_ruleset(index)
        program = compile_ruleset(load_ruleset_text(rules.text))
        planned_promotions += sum(plan is not None for plan in program.plans)
        for number in range(pairs.CARTS_PER_RULESET):
            assert_same(program, parse_cart(pairs.generate_cart(rules, number)))
    assert planned_promotions > 200  # (the pairs do exercise plans)


@pytest.mark.slow
@given(_module("test_properties").scenarios())
@_module("test_properties").SETTINGS
def test_any_scenario_agrees_with_the_general_path(s: Any) -> None:
    program = compile_ruleset(s.ruleset)
    assert_same(program, s.cart)


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 12)), min_size=2, max_size=8),
       st.sampled_from(["cheapest", "most_expensive"]))
def test_one_unit_is_the_first_unit_of_the_order(values: list[tuple[int, int]],
                                                 choose: str) -> None:
    """``_pick`` of one unit (compared crosswise) is the first unit of its sorted order."""
    lines = [BaseLine(f"l{i}", f"l{i}", quantity, Decimal(base), Decimal(base), base, base)
             for i, (base, quantity) in enumerate(values)]
    assert _pick(lines, 1, choose) == _pick(lines, 2, choose, per_line=1)[:1]
