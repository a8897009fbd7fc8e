"""Weekly schedules in evaluation: the reason, the index, the read model and money.

The index must leave out exactly the promotions a schedule closes: results are
compared with the unindexed path (every promotion run) at every quarter hour of
a week with a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dsl import load_ruleset_text
from engine import Program
from engine.cart import Cart, parse_cart

RULESET = """\
ruleset: schedules
dsl: 1
currency: {currency}
timezone: Europe/Paris
stacking: {{ coupons_per_order: 1, coupon_with_automatic: true, base: discounted }}
promotions:
  - id: weekend-mornings
    priority: 30
    active: {{ from: 2026-01-01, until: 2027-01-01, days: [sat, sun],
              hours: ["09:00-12:00", "18:00-22:00"] }}
    target: item.category == "deli"
    effect: {{ percent_off: 15 }}
  - id: friday-night
    priority: 20
    active: {{ days: [fri, sat], hours: ["22:00-02:00"] }}
    effect: {{ percent_off: 10 }}
  - id: sunday-small-hours
    priority: 10
    coupon: NIGHT
    active: {{ days: [sun], hours: ["01:30-02:30"] }}
    effect: {{ percent_off: 5 }}
  - id: always
    effect: {{ percent_off: 1 }}
"""


def ruleset(currency: str = "EUR") -> Program:
    return Program(load_ruleset_text(RULESET.format(currency=currency)))


def cart(at: str, currency: str = "EUR", price: str = "20.00") -> Cart:
    return parse_cart({"id": "c", "currency": currency, "at": at, "coupons": ["NIGHT"],
                       "lines": [{"id": "l1", "sku": "A", "category": "deli",
                                  "unit_price": price, "quantity": 1}]})


def applied(program: Program, at: str) -> list[str]:
    return [a.promotion for a in program.evaluate(cart(at)).applied]


def test_each_schedule_opens_at_its_hand_computed_instants() -> None:
    program = ruleset()
    assert applied(program, "2026-06-06T09:00:00+02:00") == ["weekend-mornings", "always"]
    assert applied(program, "2026-06-06T12:00:00+02:00") == ["always"]
    assert applied(program, "2026-06-05T23:30:00+02:00") == ["friday-night", "always"]
    assert applied(program, "2026-06-06T01:59:00+02:00") == ["friday-night", "always"]
    # Saturday 22:00 to Sunday 02:00 too (sat is a start day); Sunday 01:30 the coupon
    assert applied(program, "2026-06-07T01:45:00+02:00") == \
        ["friday-night", "sunday-small-hours", "always"]
    # 2026-03-29: Paris skips 02:00-03:00; 01:30-02:30 is open 00:30Z to 01:00Z only
    assert "sunday-small-hours" in applied(program, "2026-03-29T00:59:00Z")
    assert "sunday-small-hours" not in applied(program, "2026-03-29T01:00:00Z")


def test_the_reason_and_its_next_opening() -> None:
    result = ruleset().evaluate(cart("2026-06-03T10:00:00+02:00"))
    reasons = {r.promotion: (r.code, r.reason) for r in result.rejected}
    assert reasons["weekend-mornings"] == (
        "outside_schedule", "open sat, sun 09:00-12:00, 18:00-22:00 (Europe/Paris); evaluated "
        "at 2026-06-03T10:00:00+02:00; next opening 2026-06-06T09:00:00+02:00 (Europe/Paris)")
    assert reasons["friday-night"][1].endswith("next opening 2026-06-05T22:00:00+02:00 "
                                               "(Europe/Paris)")
    # a coupon entered does not open it: the same reason
    assert reasons["sunday-small-hours"][0] == "outside_schedule"


def test_jpy_amounts_on_a_schedule() -> None:
    # 15% of ¥1,999 is ¥299.85 -> ¥300 (half_even to whole yen); then 1% of the
    # ¥1,699 left is ¥16.99 -> ¥17: ¥1,682 to pay on Saturday morning
    program = ruleset("JPY")
    result = program.evaluate(cart("2026-06-06T10:00:00+02:00", "JPY", "1999"))
    assert [(a.promotion, str(a.amount)) for a in result.applied] == \
        [("weekend-mornings", "300"), ("always", "17")]
    assert str(result.total) == "1682"


def test_the_read_model_lists_only_open_promotions() -> None:
    program = ruleset()
    assert program.active_ids(dt.datetime.fromisoformat("2026-06-03T10:00:00+02:00")) == \
        ["always"]
    assert program.active_ids(dt.datetime.fromisoformat("2026-06-06T10:00:00+02:00")) == \
        ["weekend-mornings", "always"]


@pytest.mark.parametrize("week", ["2026-03-23T00:00:00Z", "2026-10-19T00:00:00Z"])
def test_indexed_and_unindexed_agree_every_quarter_hour(week: str) -> None:
    text = RULESET.format(currency="EUR")
    rules = load_ruleset_text(text)
    indexed = Program(rules, check_index=True)
    every = Program(rules, use_index=False)
    start = dt.datetime.fromisoformat(week)
    for step in range(7 * 24 * 4):
        at = (start + dt.timedelta(minutes=15 * step)).isoformat()
        one = cart(at)
        # the index runs even for a one-line cart when checked (check_index)
        assert indexed.evaluate(one).to_json() == every.evaluate(one).to_json(), at
