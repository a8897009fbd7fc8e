"""A replay does not depend on the caller's decimal context (docs/semantics.md#decimal-context):
the same history replayed under a host application's context gives the same orders,
uses and report as in Python's default one."""

from __future__ import annotations

import decimal
from pathlib import Path
from typing import Any

import pytest

from engine.analysis.replay import replay
from engine.analysis.replayreport import format_json, format_text
from tests.decimal_contexts import hostile

from .orders import history, write_lines, write_ruleset


def replayed(ruleset: Path, orders: Path) -> tuple[Any, ...]:
    seen: list[Any] = []
    report = replay(ruleset, orders, each=seen.append)
    return tuple(seen), format_json(report), format_text(report)


@pytest.mark.parametrize("context", ["prec 3", "ROUND_FLOOR", "everything at once"])
def test_a_history_replays_the_same_in_any_context(context: str, tmp_path: Path) -> None:
    ruleset = write_ruleset(tmp_path / "shop.yaml", promotions=60, seed=4)
    orders = write_lines(tmp_path / "orders.jsonl", history(60, seed=6))
    with decimal.localcontext(decimal.Context()):
        default = replayed(ruleset, orders)
    assert any(order.uses for order in default[0])
    with hostile(context):
        got = replayed(ruleset, orders)
    assert got == default
