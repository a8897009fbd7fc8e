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


def test_the_replay_report_carries_each_promotions_metadata(tmp_path: Path) -> None:
    from engine.analysis.replay import replay
    from engine.analysis.replayreport import format_text, to_dict

    data = yaml.safe_load((ROOT / "rulesets/marketplace/carts/example.yaml").read_text())
    data["at"] = str(data["at"])
    report = replay(ROOT / "rulesets/marketplace/ruleset.yaml",
                    write_lines(tmp_path / "orders.jsonl", [data]))
    shown = {p["promotion"]: p for p in to_dict(report)["promotions"]}
    assert shown["acme-10-over-50"]["metadata"] == {"funded_by": "seller:acme",
                                                    "campaign": "acme-spend-50"}
    assert shown["acme-10-over-50"]["discount"] == "6.00"  # 3.50 + 2.50 (example.yaml)
    assert "metadata" not in shown["home-mix-3"]
    text = format_text(report)
    assert "  acme-10-over-50: funded_by=seller:acme, campaign=acme-spend-50" in text
    assert "care-25: " not in text  # it never applied: its metadata is not listed
