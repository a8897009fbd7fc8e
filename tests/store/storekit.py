"""Helpers of the usage-store tests: a small ruleset with limits, carts, event checks.

    from storekit import NOW, make_ruleset, price

    def test_x(store, rules):          # fixtures from conftest.py
        result = price(rules, customer="alice", coupons=["SAVE10"])
        store.reserve("o1", rules, result, now=NOW)

A module of its own (not ``conftest``) so test modules and worker processes
can import it.  ``assert_events_valid`` checks outbox events against the
checked-in ``schemas/events/*.v1.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema

from dsl import Ruleset, load_ruleset_text
from engine import Result, evaluate, parse_cart
from engine.cart import Cart

ROOT = Path(__file__).resolve().parents[2]
EVENT_SCHEMAS = ROOT / "schemas" / "events"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
CART_AT = "2026-03-01T12:00:00Z"

HEADER = """\
ruleset: store-test
dsl: 1
currency: {currency}
timezone: UTC
stacking: { coupons_per_order: 2, coupon_with_automatic: true, base: original }
promotions:
"""

# auto5: 5.00 off a 100.00 cart, budget 30.00;
# save10: a coupon with every kind of count limit, two codes.
STANDARD = """\
- id: auto5
  effect: { percent_off: 5 }
  limits: { uses: 100, budget: "30.00" }
- id: save10
  coupons: [SAVE10, SPRING10]
  effect: { amount_off: "10.00" }
  limits: { uses: 3, per_customer: 2, per_coupon: 2, budget: "1000.00" }
"""


def ruleset_yaml(promotions: str = STANDARD, currency: str = "USD") -> str:
    """A ruleset (coupons and automatic promotions stack) from the YAML of its promotions."""
    body = textwrap.indent(textwrap.dedent(promotions), "  ")
    return HEADER.replace("{currency}", currency) + body


def make_ruleset(promotions: str = STANDARD, currency: str = "USD") -> Ruleset:
    return load_ruleset_text(ruleset_yaml(promotions, currency))


def cart_data(customer: str = "alice", coupons: tuple[str, ...] | list[str] = (),
              price: str = "100.00", cart_id: str = "cart-1",
              currency: str = "USD") -> dict[str, Any]:
    """A one-line cart; ``customer=""`` is a guest."""
    data: dict[str, Any] = {
        "id": cart_id, "currency": currency, "at": CART_AT, "coupons": list(coupons),
        "lines": [{"id": "l1", "sku": "SKU-1", "unit_price": price, "quantity": 1}],
    }
    if customer:
        data["customer"] = {"id": customer}
    return data


def make_cart(**kwargs: Any) -> Cart:
    return parse_cart(cart_data(**kwargs))


def price(ruleset: Ruleset, **kwargs: Any) -> Result:
    """Evaluate a one-line cart (see ``cart_data``) without looking at the store."""
    return evaluate(ruleset, make_cart(**kwargs))


def _validators() -> dict[str, jsonschema.Draft202012Validator]:
    out = {}
    for path in sorted(EVENT_SCHEMAS.glob("*.v1.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        out[schema["title"]] = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return out


VALIDATORS = _validators()


def assert_events_valid(events: list[dict[str, Any]]) -> None:
    """Every event validates against its checked-in schema; times are aware ISO-8601."""
    for event in events:
        validator = VALIDATORS.get(event["event"])
        assert validator is not None, f"no schema for event type {event['event']}"
        validator.validate(event)
        # jsonschema checks "date-time" only with an optional package installed.
        for key in ("occurred_at", "expires_at"):
            if key in event:
                assert dt.datetime.fromisoformat(event[key]).tzinfo is not None
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def nonzero(counters: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    return {k: v for k, v in counters.items() if v}
