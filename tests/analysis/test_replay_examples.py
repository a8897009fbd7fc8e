"""The bundled rulesets, their limits made tight, replayed over their own sample carts:
each order as a loop of start_checkout and payment_captured on a real store prices it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from engine import load_cart

from .orders import write_lines
from .test_replay_exact import replayed, store_loop

ROOT = Path(__file__).resolve().parents[2]


def tight(text: str) -> str:
    """Limits small enough to run out within a short history."""
    text = re.sub(r"uses: \d+", "uses: 4", text)
    return re.sub(r'budget: "[0-9.]+"', 'budget: "45.00"', text)


@pytest.mark.parametrize("shop", ["fashion", "grocery", "marketplace", "japan"])
def test_example_rulesets_replay_as_the_store(shop: str, tmp_path: Path) -> None:
    ruleset = tmp_path / "ruleset.yaml"
    ruleset.write_text(tight((ROOT / "rulesets" / shop / "ruleset.yaml").read_text()))
    carts = sorted((ROOT / "rulesets" / shop / "carts").glob("*.yaml"))
    orders = []
    for round_ in range(6):
        for number, path in enumerate(carts):
            data = yaml.safe_load(path.read_text())
            cart = load_cart(path)
            assert cart.at is not None
            data["at"] = (cart.at + dt.timedelta(minutes=round_)).isoformat()
            data["id"] = f"{path.stem}-{round_}"
            customer = data.setdefault("customer", {})
            customer["id"] = "" if (round_ + number) % 7 == 3 else f"c-{(round_ * 3 + number) % 4}"
            orders.append(data)
    orders.sort(key=lambda o: (dt.datetime.fromisoformat(o["at"]), o["id"]))
    path = write_lines(tmp_path / "orders.jsonl", orders)
    expected = store_loop(ruleset, orders, tmp_path)
    for workers in (1, 2):
        seen, _ = replayed(ruleset, path, workers=workers, chunk_orders=5)
        assert seen == expected
