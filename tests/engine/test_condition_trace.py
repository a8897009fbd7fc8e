"""The condition trace: every part of a condition with its value, truth and place in
the ruleset file (engine/condition_trace.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dsl import load_ruleset
from engine.cart import load_cart
from engine.condition_trace import ConditionTrace, Part, promotion_conditions
from engine.explain import MASK
from engine.program import compile_ruleset

from .conftest import make_cart, make_ruleset

ROOT = Path(__file__).resolve().parents[2]


def traced(promotions: str, cart_lines: list, **cart: object) -> dict[str, ConditionTrace]:
    ruleset = make_ruleset(promotions)
    program = compile_ruleset(ruleset)
    basket = make_cart(cart_lines, **cart)  # type: ignore[arg-type]
    facts = program.facts(basket, program._moment(basket, None))
    return {t.field: t for t in promotion_conditions(program, ruleset.promotions[0], facts)}


def by_text(trace: ConditionTrace) -> dict[str, Part]:
    return {p.text: p for p in trace.parts()}


LINES = [("a", "10.00", 2, {"category": "socks", "tags": ["sale"]}),
         ("b", "30.00", 1, {"category": "shoes"}),
         ("c", "5.00", 3, {"category": "socks", "attributes": {"color": "red"}})]


def test_every_part_of_a_not_or_tree_with_its_value_and_truth() -> None:
    when = traced("""
        - id: p
          when: cart.subtotal >= 100 and not (customer.orders > 0 or cart.subtotal < 20)
          effect: { percent_off: 10 }
    """, LINES)["when"]
    parts = by_text(when)
    root = when.root
    assert (root.id, root.kind, root.truth) == ("0", "and", False)
    assert [c.text for c in root.children] == [
        "cart.subtotal >= 100", "not (customer.orders > 0 or cart.subtotal < 20)"]
    assert parts["cart.subtotal >= 100"].truth is False
    assert parts["cart.subtotal"].value == "65.00"
    assert parts["cart.subtotal"].truth is None and not parts["cart.subtotal"].tested
    # the parts under not are all there, though ``and`` stopped at its false left side
    assert parts["not (customer.orders > 0 or cart.subtotal < 20)"].truth is True
    assert parts["customer.orders > 0 or cart.subtotal < 20"].truth is False
    assert parts["customer.orders > 0"].truth is False
    assert parts["cart.subtotal < 20"].truth is False
    assert parts["100"].kind == "literal" and parts["100"].value == "100"
    assert [p.id for p in root.walk()][:5] == ["0", "0.0", "0.0.0", "0.0.1", "0.1"]


def test_a_chain_of_one_operator_is_one_part() -> None:
    when = traced("""
        - id: p
          when: cart.subtotal > 1 and cart.subtotal > 2 and cart.subtotal > 3
          effect: { percent_off: 10 }
    """, LINES)["when"]
    assert [c.text for c in when.root.children] == [
        "cart.subtotal > 1", "cart.subtotal > 2", "cart.subtotal > 3"]
    assert [c.id for c in when.root.children] == ["0.0", "0.1", "0.2"]


def test_any_count_and_sum_show_their_condition_on_every_line() -> None:
    ruleset_text = """
        - id: p
          when: >-
            any(item.category == "shoes") and count(item.category == "socks") >= 5
            and sum(item.total where item.tags contains "sale") > 15
          effect: { percent_off: 10 }
    """
    when = traced(ruleset_text, LINES)["when"]
    parts = by_text(when)
    any_ = parts['any(item.category == "shoes")']
    assert (any_.kind, any_.op, any_.value, any_.truth) == ("call", "any", True, True)
    inside = parts['item.category == "shoes"']
    assert inside.value is None and inside.lines is not None
    assert [(v.line, v.truth) for v in inside.lines] == [("a", False), ("b", True),
                                                           ("c", False)]
    assert inside.truths == {True, False}
    count = parts['count(item.category == "socks")']
    assert (count.value, count.type, count.truth) == ("5", "number", None)
    assert parts['count(item.category == "socks") >= 5'].truth is True
    total = parts['sum(item.total where item.tags contains "sale")']
    assert total.value == "20.00"
    summed, where = total.children
    assert summed.text == "item.total" and not summed.tested
    assert [v.value for v in summed.lines or ()] == ["20.00", "30.00", "15.00"]
    assert where.tested and [v.truth for v in where.lines or ()] == [True, False, False]
    # a literal has one value, even inside a function over lines
    assert parts['"sale"'].lines is None and parts['"sale"'].value == "sale"
    assert when.root.truth is True


def test_a_target_is_traced_on_every_line() -> None:
    target = traced("""
        - id: p
          target: item.category == "socks" and item.attributes.color == "red"
          effect: { percent_off: 10 }
    """, LINES)["target"]
    assert target.per_line and target.root.value is None
    assert [(v.line, v.truth) for v in target.root.lines or ()] == [
        ("a", False), ("b", False), ("c", True)]
    color = by_text(target)["item.attributes.color"]
    assert [(v.value, v.type) for v in color.lines or ()] == [
        (None, "missing"), (None, "missing"), ("red", "string")]


def test_codes_not_entered_never_appear() -> None:
    promotions = """
        - id: p
          when: >-
            cart.coupons contains "PARTNER-77" or
            cart.coupons == ["OTHER-1", "ENTERED-5"]
          effect: { percent_off: 10 }
    """
    when = traced(promotions, LINES, coupons=["entered-5"])["when"]
    dumped = json.dumps(when.to_dict())
    assert "PARTNER-77" not in dumped and "OTHER-1" not in dumped
    assert MASK in when.source and "PARTNER" not in when.source
    parts = by_text(when)
    assert parts[f'cart.coupons contains "{MASK}"'].truth is False
    assert parts[f'["{MASK}", "ENTERED-5"]'].value == [MASK, "ENTERED-5"]
    assert parts[f'"{MASK}"'].value == MASK
    entered = traced(promotions, LINES, coupons=["partner-77"])["when"]
    assert 'cart.coupons contains "PARTNER-77"' in by_text(entered)


def bare(text: str) -> str:
    return re.sub(r"[()\s]", "", text)


@pytest.mark.parametrize("name", ["fashion", "grocery", "japan", "marketplace"])
def test_spans_point_into_the_ruleset_file(name: str) -> None:
    ruleset = load_ruleset(ROOT / f"rulesets/{name}/ruleset.yaml")
    program = compile_ruleset(ruleset)
    cart = load_cart(ROOT / f"rulesets/{name}/carts/example.yaml")
    facts = program.facts(cart, program._moment(cart, None))
    lines = ruleset.source.lines  # type: ignore[union-attr]
    checked = 0
    for promotion in ruleset.promotions:
        for trace in promotion_conditions(program, promotion, facts):
            for part in trace.parts():
                span = part.span
                assert span.file.endswith("ruleset.yaml")
                if span.line == span.end_line:
                    # the text as written there is the canonical text, but for parentheses
                    written = lines[span.line - 1][span.col - 1:span.end_col - 1]
                    assert bare(written) == bare(part.text)
                    checked += 1
    assert checked >= 9


@pytest.mark.parametrize("cart_file", sorted(ROOT.glob("rulesets/*/carts/*.yaml")),
                         ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_the_root_is_what_the_compiled_rule_decides(cart_file: Path) -> None:
    ruleset = load_ruleset(cart_file.parent.parent / "ruleset.yaml")
    program = compile_ruleset(ruleset)
    cart = load_cart(cart_file)
    facts = program.facts(cart, program._moment(cart, None))
    for compiled in program.promotions:
        traces = {t.field: t for t in promotion_conditions(program, compiled.promotion, facts)}
        if compiled.when is not None:
            assert traces["when"].root.truth is bool(compiled.when(facts, None))
        if compiled.target is not None:
            chosen = {line["id"] for line in compiled.target(facts)}
            assert {v.line for v in traces["target"].root.lines or () if v.truth} == chosen
