"""A replay's limits are the store's: the same as a loop of start_checkout and
payment_captured on a real SQLite store over the same orders, whatever the workers."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import load_ruleset
from engine import parse_cart
from engine.analysis.replay import replay
from engine.money import whole_minor
from engine.usage import SQLiteStore, payment_captured, start_checkout

from .orders import history, write_lines, write_ruleset

Uses = list[tuple[str, tuple[tuple[str, int], ...]]]


def store_loop(ruleset_path: Path, orders: list[dict], tmp_path: Path) -> Uses:
    """Each order checked out and paid on a real store, in time order."""
    ruleset = load_ruleset(ruleset_path)
    out = []
    with SQLiteStore(tmp_path / "usage.sqlite") as store:
        for number, data in enumerate(orders):
            cart = parse_cart(data)
            checkout = start_checkout(store, ruleset, cart, f"replay-{number}")
            payment_captured(store, f"replay-{number}", ruleset, now=cart.at)
            out.append((cart.id, tuple(sorted(
                (a.promotion, whole_minor(a.amount, ruleset.minor_units))
                for a in checkout.result.applied))))
    return out


def replayed(ruleset: Path, orders: Path, **options) -> tuple[Uses, object]:
    seen: Uses = []
    report = replay(ruleset, orders, each=lambda o: seen.append(
        (o.order, tuple(sorted((u.promotion, u.amount) for u in o.uses)))), **options)
    return seen, report


def _check(tmp_path: Path, count: int, chunk: int, workers: tuple[int, ...]) -> None:
    ruleset = write_ruleset(tmp_path / "shop.yaml")
    orders = history(count, seed=count)
    path = write_lines(tmp_path / "orders.jsonl", orders)
    expected = store_loop(ruleset, orders, tmp_path)
    reports = []
    for n in workers:
        seen, report = replayed(ruleset, path, workers=n, chunk_orders=chunk)
        assert seen == expected, f"{n} workers"
        reports.append(report)
    one = reports[0]
    # the limits did bite, and priced some orders again
    assert one.repriced > 0
    assert any(p.exhaustion.ran_out for p in one.promotions.values())
    uses = Counter(p for _, applied in expected for p, _ in applied)
    assert {p.id: p.uses for p in one.promotions.values() if p.uses} == dict(uses)
    assert one.discount == sum(a for _, applied in expected for _, a in applied)
    for other in reports[1:]:
        assert other.promotions == one.promotions and other.daily == one.daily
        assert (other.discount, other.gross, other.orders) == \
            (one.discount, one.gross, one.orders)


def test_replay_equals_the_store_loop_and_two_workers_equal_one(tmp_path: Path) -> None:
    _check(tmp_path, 400, chunk=40, workers=(1, 2))


@pytest.mark.slow
def test_replay_equals_the_store_loop_on_a_longer_history(tmp_path: Path) -> None:
    _check(tmp_path, 2500, chunk=100, workers=(1, 2, 3))


def test_revenue_and_share(tmp_path: Path) -> None:
    ruleset = write_ruleset(tmp_path / "shop.yaml")
    orders = history(60, seed=5)
    _, report = replayed(ruleset, write_lines(tmp_path / "o.jsonl", orders))
    gross = sum(Decimal(line["unit_price"]) * line["quantity"] for o in orders
                for line in o["lines"]) + sum(Decimal(o["shipping"]["price"]) for o in orders)
    assert report.gross == int(gross * 100)
    assert report.orders == 60 and 0 < report.share < 1
