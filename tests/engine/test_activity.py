"""Active windows: the ruleset's timezone, DST, inclusive from / exclusive until, and
where the evaluation time comes from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

Factory = Callable[..., Any]
UTC = dt.UTC


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def status(ruleset: Factory, cart: Factory, price: Factory) -> Callable[..., str]:
    """``"applied"`` or the reason code of promotion ``p`` with ``active`` at a moment."""

    def run(active: str, at: dt.datetime | None = None, *, cart_at: str | None = None,
            timezone: str = "Europe/Berlin", coupon: bool = False) -> str:
        promo = f"- id: p\n  active: {active}\n  effect: {{ percent_off: 10 }}\n"
        if coupon:
            promo += "  coupon: CODE\n"
        rs = ruleset(promo, timezone=timezone)
        out = price(rs, cart([("a", "10.00")], at=cart_at, coupons=["CODE"] if coupon else []),
                    at)
        return "applied" if "p" in out.applied() else out.rejected()["p"]

    return run


# --------------------------------------------------------------------- DST


def test_window_starting_after_the_spring_dst_change(status: Callable[..., str]) -> None:
    # Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST. 03:00 local is 01:00 UTC
    # (a fixed +01:00 offset would wrongly make it 02:00 UTC).
    active = '{ from: "2026-03-29T03:00" }'
    assert status(active, utc("2026-03-29T00:59:59")) == "not_active_yet"
    assert status(active, utc("2026-03-29T01:00:00")) == "applied"
    assert status(active, utc("2026-03-29T01:30:00")) == "applied"


def test_window_starting_on_the_dst_day(status: Callable[..., str]) -> None:
    # a date is midnight local time: 2026-03-29 00:00 CET = 2026-03-28 23:00 UTC
    active = "{ from: 2026-03-29 }"
    assert status(active, utc("2026-03-28T22:59:59")) == "not_active_yet"
    assert status(active, utc("2026-03-28T23:00:00")) == "applied"


def test_window_ending_the_day_after_the_dst_change(status: Callable[..., str]) -> None:
    # 2026-03-30 00:00 is already summer time (CEST): 2026-03-29 22:00 UTC
    active = "{ from: 2026-03-29, until: 2026-03-30 }"
    assert status(active, utc("2026-03-29T21:59:59")) == "applied"
    assert status(active, utc("2026-03-29T22:00:00")) == "expired"


def test_window_around_the_autumn_dst_change(status: Callable[..., str]) -> None:
    # 2026-10-25: 03:00 CEST becomes 02:00 CET; 12:00 local is then 11:00 UTC
    active = '{ until: "2026-10-25T12:00" }'
    assert status(active, utc("2026-10-25T10:59:59")) == "applied"
    assert status(active, utc("2026-10-25T11:00:00")) == "expired"
    # the day before (still CEST), 12:00 local is 10:00 UTC
    active = '{ until: "2026-10-24T12:00" }'
    assert status(active, utc("2026-10-24T09:59:59")) == "applied"
    assert status(active, utc("2026-10-24T10:00:00")) == "expired"


def test_window_in_another_timezone(status: Callable[..., str]) -> None:
    # New York, 2026-03-08: 02:00 EST becomes 03:00 EDT; 2026-03-09 00:00 EDT = 04:00 UTC
    active = "{ from: 2026-03-08, until: 2026-03-09 }"
    # 2026-03-08 00:00 EST = 05:00 UTC
    assert status(active, utc("2026-03-08T04:59:59"), timezone="America/New_York") == \
        "not_active_yet"
    assert status(active, utc("2026-03-08T05:00:00"), timezone="America/New_York") == "applied"
    assert status(active, utc("2026-03-09T03:59:59"), timezone="America/New_York") == "applied"
    assert status(active, utc("2026-03-09T04:00:00"), timezone="America/New_York") == "expired"
    # the same window in Tokyo (no DST, +09:00): 2026-03-07 15:00 UTC
    assert status(active, utc("2026-03-07T14:59:59"), timezone="Asia/Tokyo") == \
        "not_active_yet"
    assert status(active, utc("2026-03-07T15:00:00"), timezone="Asia/Tokyo") == "applied"


def test_window_with_an_explicit_offset(status: Callable[..., str]) -> None:
    # an offset in the ruleset is taken as written, whatever the ruleset's timezone
    active = '{ from: "2026-03-29T03:00:00+00:00" }'
    assert status(active, utc("2026-03-29T02:59:59")) == "not_active_yet"
    assert status(active, utc("2026-03-29T03:00:00")) == "applied"
    active = '{ from: "2026-06-01T09:00:00Z" }'
    assert status(active, utc("2026-06-01T08:59:59")) == "not_active_yet"
    assert status(active, utc("2026-06-01T09:00:00")) == "applied"


# ------------------------------------------------------ inclusive/exclusive


def test_from_inclusive_until_exclusive(status: Callable[..., str]) -> None:
    # 2026-06-01 and 2026-07-01 midnight in Berlin (CEST) = 22:00 UTC the day before
    active = "{ from: 2026-06-01, until: 2026-07-01 }"
    assert status(active, utc("2026-05-31T21:59:59.999999")) == "not_active_yet"
    assert status(active, utc("2026-05-31T22:00:00")) == "applied"
    assert status(active, utc("2026-06-30T21:59:59.999999")) == "applied"
    assert status(active, utc("2026-06-30T22:00:00")) == "expired"


def test_coupon_window_codes(status: Callable[..., str]) -> None:
    active = "{ from: 2026-06-01, until: 2026-07-01 }"
    assert status(active, utc("2026-05-31T21:59:59"), coupon=True) == "coupon_not_active_yet"
    assert status(active, utc("2026-06-15T12:00:00"), coupon=True) == "applied"
    assert status(active, utc("2026-06-30T22:00:00"), coupon=True) == "coupon_expired"


# ------------------------------------------------------ the evaluation time


def test_at_comes_from_the_cart(status: Callable[..., str], ruleset: Factory, cart: Factory,
                                price: Factory) -> None:
    active = "{ from: 2026-06-01, until: 2026-07-01 }"
    assert status(active, cart_at="2026-06-30T21:59:59Z") == "applied"
    assert status(active, cart_at="2026-06-30T22:00:00+00:00") == "expired"
    assert status(active, cart_at="2026-07-01T00:00:00+02:00") == "expired"
    assert status(active, cart_at="2026-06-30T23:59:59+02:00") == "applied"
    rs = ruleset("- id: p\n  effect: { percent_off: 10 }\n")
    out = price(rs, cart([("a", "10.00")], at="2026-06-30T21:59:59Z"))
    assert out["at"] == "2026-06-30T23:59:59+02:00"  # the same instant, in Berlin


def test_evaluate_at_overrides_the_carts(status: Callable[..., str], ruleset: Factory,
                                         cart: Factory, price: Factory) -> None:
    active = "{ from: 2026-06-01, until: 2026-07-01 }"
    # the cart says mid-June, the caller says July: July wins
    assert status(active, utc("2026-07-02T00:00:00"), cart_at="2026-06-15T12:00:00Z") == \
        "expired"
    # the cart says July, the caller says mid-June
    assert status(active, utc("2026-06-15T12:00:00"), cart_at="2026-07-02T00:00:00Z") == \
        "applied"
    rs = ruleset("- id: p\n  effect: { percent_off: 10 }\n")
    out = price(rs, cart([("a", "10.00")], at="2026-07-02T00:00:00Z"),
                utc("2026-06-15T12:00:00"))
    assert out["at"] == "2026-06-15T14:00:00+02:00"


def test_naive_cart_time_is_read_in_the_rulesets_timezone(status: Callable[..., str]) -> None:
    active = "{ until: 2026-07-01 }"
    # 23:30 in Berlin on June 30 is 21:30 UTC: still in the window (read as UTC it
    # would be 23:30 UTC, past the end at 22:00 UTC)
    assert status(active, cart_at="2026-06-30T23:30:00") == "applied"
    assert status(active, cart_at="2026-07-01T00:00:00") == "expired"
    # a New York ruleset reads both in New York time: the window ends at 04:00 UTC on
    # July 1 and 23:30 on June 30 is 03:30 UTC, inside it
    assert status(active, cart_at="2026-06-30T23:30:00", timezone="America/New_York") == \
        "applied"


def test_naive_evaluate_at_is_read_in_the_rulesets_timezone(status: Callable[..., str]) -> None:
    active = '{ from: "2026-03-29T03:00" }'
    assert status(active, dt.datetime(2026, 3, 29, 1, 59)) == "not_active_yet"
    assert status(active, dt.datetime(2026, 3, 29, 3, 0)) == "applied"


def test_without_a_time_the_cart_is_priced_now(ruleset: Factory, cart: Factory,
                                               price: Factory) -> None:
    rs = ruleset("""
      - id: past
        active: { until: 2001-01-01 }
        effect: { percent_off: 10 }
      - id: future
        active: { from: 2999-01-01 }
        effect: { percent_off: 10 }
      - id: always
        active: { from: 2001-01-01, until: 2999-01-01 }
        effect: { percent_off: 10 }
    """)
    before = dt.datetime.now(UTC).replace(microsecond=0)  # the result shows the second
    out = price(rs, cart([("a", "10.00")], at=None))
    after = dt.datetime.now(UTC)
    assert out.applied() == {"always": "1.00"}
    assert out.rejected() == {"future": "not_active_yet", "past": "expired"}
    assert before <= dt.datetime.fromisoformat(out["at"]) <= after


# ----------------------------------------------- time in conditions is local


def test_conditions_see_local_time(ruleset: Factory, cart: Factory, price: Factory) -> None:
    rs = ruleset("""
      - id: happy-hour
        when: cart.hour >= 9 and cart.hour < 10
        effect: { percent_off: 10 }
      - id: dst-day
        when: cart.date == 2026-03-29 and cart.weekday == "sun"
        effect: { amount_off: "1.00" }
    """)
    # 2026-03-29T07:30Z is 09:30 CEST on Sunday, March 29
    out = price(rs, cart([("a", "10.00")], at="2026-03-29T07:30:00Z"))
    assert list(out.applied()) == ["dst-day", "happy-hour"]
    # 2026-03-28T23:30Z is already March 29 (00:30 CET) in Berlin, but not 9 o'clock
    out = price(rs, cart([("a", "10.00")], at="2026-03-28T23:30:00Z"))
    assert list(out.applied()) == ["dst-day"]
    assert out.reason("happy-hour") == "cart.hour >= 9 was false: cart.hour is 0"
