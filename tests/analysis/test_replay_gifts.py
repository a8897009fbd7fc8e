"""A gift promotion replayed: its uses run out as in the store, and the revenue counts
the gift line's price as the result's subtotal does (so the share stays below one)."""

from __future__ import annotations

from pathlib import Path

from .orders import write_lines
from .test_replay_exact import replayed, store_loop

RULESET = """\
ruleset: gift-shop
dsl: 1
currency: JPY
timezone: Asia/Tokyo
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }
promotions:
  - id: mug
    when: cart.subtotal >= 3000
    effect: { gift: { sku: MUG, unit_price: "800" } }
    limits: { uses: 2 }
"""


def test_a_gift_replays_as_the_store_and_counts_in_the_revenue(tmp_path: Path) -> None:
    ruleset = tmp_path / "shop.yaml"
    ruleset.write_text(RULESET)
    orders = [{"id": f"o{n}", "currency": "JPY", "at": f"2026-05-0{n + 1}T10:00:00+09:00",
               "customer": {"id": f"c{n}"},
               "lines": [{"id": "l1", "sku": "TEA", "unit_price": "3000", "quantity": 1}]}
              for n in range(3)]
    seen, report = replayed(ruleset, write_lines(tmp_path / "orders.jsonl", orders))
    assert seen == store_loop(ruleset, orders, tmp_path)
    # two free mugs (800 yen each), then the uses are spent
    assert [applied for _, applied in seen] == [(("mug", 800),), (("mug", 800),), ()]
    assert (report.gross, report.discount) == (3 * 3000 + 2 * 800, 1600)
