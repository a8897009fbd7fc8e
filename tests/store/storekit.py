"""Helpers of the usage-store tests: a small ruleset with limits, carts, event checks.

    from storekit import NOW, make_ruleset, price

    def test_x(store, rules):          # fixtures from conftest.py
        result = price(rules, customer="alice", coupons=["SAVE10"])
        store.reserve("o1", rules, result, now=NOW)

A module of its own (not ``conftest``) so test modules and worker processes
can import it.  ``assert_events_valid`` checks outbox events against the
checked-in ``schemas/events/*.v1.json``; ``rows`` is what a refused call must
leave as it was; ``promo``, ``ok`` and ``usage_error`` run the command line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click.testing
import jsonschema

from dsl import Ruleset, load_ruleset_text
from engine import Result, evaluate, parse_cart
from engine.cart import Cart
from engine.usage import open_store

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


def priced_elsewhere(promotions: str = STANDARD, **kwargs: Any) -> Result:
    """A cart priced with the per-customer limits left out (an older ruleset, another
    service): such a result may apply a per-customer-limited promotion to a guest."""
    return price(make_ruleset(promotions.replace("per_customer: 2, ", "")), **kwargs)


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


def client(location: str, **options: Any) -> Any:
    """A store as a worker process opens it: waiting long for locks, one connection."""
    from engine.usage import open_store

    if "://" in location:
        options = {"statement_timeout_ms": 60_000, "pool_size": 1, "pool_timeout": 60,
                   **options}
    else:
        options = {"timeout_ms": 60_000, **options}
    return open_store(location, **options)


def sql(store: Any, query: str, *params: Any) -> Any:
    """Run one statement on either backend, in its own transaction (``?`` placeholders):
    a ``SELECT``'s rows as tuples, or the row count of anything else."""
    reading = query.lstrip().upper().startswith("SELECT")

    def work(tx: Any) -> Any:
        cursor = tx.execute(query, params)
        return [tuple(row) for row in cursor.fetchall()] if reading else cursor.rowcount

    return store._atomic(work, write=not reading)


def rows(store: Any) -> tuple[object, ...]:
    """Everything a refused call must leave as it was: counters, reservations, uses, events."""
    return (nonzero(store.counters()),
            sql(store, "SELECT * FROM reservations ORDER BY order_ref"),
            sql(store, "SELECT * FROM uses ORDER BY order_ref, promotion"),
            sql(store, "SELECT * FROM events ORDER BY id"))


# ------------------------------------------------------------- command line


def promo(*args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    """``promo ARGS…`` in this process, as the shell would run it."""
    from engine.cli import cli

    return click.testing.CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)


def ok(result: click.testing.Result) -> click.testing.Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def usage_error(result: click.testing.Result, code: str) -> str:
    """Exit 2, the error rendered on stderr with its code, no traceback; the stderr."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert code in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def write_json(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def listing(directory: Path) -> dict[str, bytes | str]:
    """Every entry of a directory: a file's bytes, or what else it is."""
    out: dict[str, bytes | str] = {}
    for entry in sorted(directory.iterdir()):
        if entry.is_symlink():
            out[entry.name] = f"symlink to {os.readlink(entry)}"
        elif entry.is_file():
            out[entry.name] = entry.read_bytes()
        else:
            out[entry.name] = "directory" if entry.is_dir() else "special file"
    return out


def keys(store: Any) -> list[tuple[Any, ...]]:
    return sql(store, "SELECT key, state, status FROM idempotency ORDER BY key")


def committed_keys(db_path: Path) -> list[str]:
    """The idempotency keys another connection sees: what was committed."""
    with open_store(db_path) as other:
        return [key for key, _, _ in keys(other)]


@contextlib.contextmanager
def write_lock_held(other: Any) -> Iterator[threading.Event]:
    """``other``'s write lock held by a thread in a transaction of its own, until the
    event given is set (or the block ends)."""
    holding, release = threading.Event(), threading.Event()

    def hold(tx: Any) -> None:
        holding.set()
        release.wait(30)

    holder = threading.Thread(target=lambda: other._atomic(hold))
    holder.start()
    try:
        assert holding.wait(30)
        yield release
    finally:
        release.set()
        holder.join()
