"""A gift promotion in the usage store: its uses are counted, its budget spent by the
gift's discount, and a spent budget cuts the gift (then removes it)."""

from __future__ import annotations

from decimal import Decimal

from storekit import NOW, make_cart, make_ruleset, price

from engine import evaluate
from engine.usage import StoreView, UsageStore

# a 12.00 tote, free, from a budget of 20.00
TOTE = """\
- id: tote
  effect: { gift: { sku: TOTE-01, unit_price: "12.00" } }
  limits: { uses: 10, budget: "20.00" }
"""


def gift_discount(result: object) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.id, line.discount, line.final_total)
            for line in result.lines if line.gift is not None]  # type: ignore[attr-defined]


def test_a_gift_spends_its_budget_then_costs_the_rest_then_is_not_given(
        store: UsageStore) -> None:
    rules = make_ruleset(TOTE)
    first = price(rules, customer="a")
    assert gift_discount(first) == [("gift:tote:TOTE-01", Decimal("12.00"), Decimal("0.00"))]
    store.reserve("o1", rules, first, now=NOW)  # 12.00 of 20.00 held
    # 8.00 left: the tote's discount is cut to 8.00, the tote costs 4.00
    second = evaluate(rules, make_cart(customer="b"), usage=StoreView(store, rules))
    assert gift_discount(second) == [("gift:tote:TOTE-01", Decimal("8.00"), Decimal("4.00"))]
    assert [(c.source, c.before, c.after) for c in second.capped] == [
        ("budget", Decimal("12.00"), Decimal("8.00"))]
    assert (second.subtotal, second.total) == (Decimal("112.00"), Decimal("104.00"))
    store.reserve("o2", rules, second, now=NOW)  # all 20.00 held
    spent = evaluate(rules, make_cart(customer="c"), usage=StoreView(store, rules))
    assert gift_discount(spent) == []
    assert spent.rejection("tote").code == "budget_exhausted"  # type: ignore[union-attr]
    assert spent.subtotal == Decimal("100.00")


def test_a_budget_cuts_the_sum_of_an_effects_list_gift_included(store: UsageStore) -> None:
    rules = make_ruleset("""\
- id: tenth-and-tote
  effects:
    - { percent_off: 10 }
    - { gift: { sku: TOTE-01, unit_price: "12.00" } }
  limits: { budget: "30.00" }
""")
    first = price(rules, customer="a")
    # 10.00 off the 100.00 line and the 12.00 tote: 22.00 of the 30.00 budget
    assert first.total_discount == Decimal("22.00")
    store.reserve("o1", rules, first, now=NOW)
    second = evaluate(rules, make_cart(customer="b"), usage=StoreView(store, rules))
    # 8.00 left: the sum 22.00 is cut to 8.00, in proportion to the parts (10 : 12),
    # and the tote stays (its discount cut: 12 × 8 / 22 = 4.36)
    assert [(c.source, c.before, c.after) for c in second.capped] == [
        ("budget", Decimal("22.00"), Decimal("8.00"))]
    assert second.total_discount == Decimal("8.00")
    assert gift_discount(second) == [("gift:tenth-and-tote:TOTE-01", Decimal("4.36"),
                                      Decimal("7.64"))]


def test_a_gift_whose_part_the_budget_cuts_to_zero_adds_no_line(store: UsageStore) -> None:
    rules = make_ruleset("""\
- id: off-and-pin
  effects:
    - { amount_off: "10.00" }
    - { gift: { sku: PIN-01, unit_price: "0.01" } }
  limits: { budget: "0.01" }
""")
    result = evaluate(rules, make_cart(customer="a"), usage=StoreView(store, rules))
    # 10.01 cut to 0.01 by largest remainder: 0.00999… → 0.01 on the line, 0.00000999…
    # → 0 on the pin: the pin is not given (a customer never pays for a gift)
    assert gift_discount(result) == []
    assert [(line.id, line.discount) for line in result.lines] == [("l1", Decimal("0.01"))]
    assert result.subtotal == Decimal("100.00")
