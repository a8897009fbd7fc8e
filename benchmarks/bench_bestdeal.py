"""What does ``stacking.mode: best_deal`` cost per cart, against ``mode: priority``?

    python -m benchmarks.bench_bestdeal                 # every bundled ruleset + generated
    python -m benchmarks.bench_bestdeal --repeat 200

Each bundled ruleset (``rulesets/*/ruleset.yaml``) is priced twice on each of its
sample carts: as written with ``mode: priority`` and with ``mode: best_deal`` (the
outlet ruleset is written with best_deal; it is run both ways too).  Then generated
rulesets where every promotion is eligible for the cart: 20 promotions (the most the
exact search takes) and 30 (the fallback), with groups, exclusive promotions and
both bases.  For each, the median time of one cart's ``Program.evaluate`` with its
total read (what a checkout that prices reads), and of the same with its JSON
written (the reasons with it: each ``not_best_deal`` sentence takes a search of its
own), and best_deal's ratio to priority in the same run.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from dsl import load_ruleset, load_ruleset_text
from dsl.model import Ruleset
from engine import compile_ruleset, load_cart
from engine.cart import Cart, parse_cart

from .timing import times

ROOT = Path(__file__).resolve().parents[1]


def with_mode(ruleset: Ruleset, mode: str) -> Ruleset:
    return ruleset.model_copy(update={"stacking": ruleset.stacking.model_copy(
        update={"mode": mode})})


def generated(count: int, base: str) -> tuple[Ruleset, Cart]:
    """``count`` promotions all eligible for one 10-line cart: percentages on
    categories, amounts off, pairs in a group, every seventh exclusive."""
    promotions = []
    for i in range(count):
        effect = f"{{ percent_off: {5 + i % 4 * 5} }}" if i % 3 else \
            f'{{ amount_off: "{3 + i % 5}.00" }}'
        lines = [f"  - id: p{i:02}", f"    priority: {i % 5}", f"    effect: {effect}"]
        if i % 3:
            lines.append(f'    target: item.category == "c{i % 4}"')
        if i % 7 == 3:
            lines.append("    exclusive: true")
        elif i % 4 == 1:
            lines.append(f"    group: g{i % 6}")
        promotions.append("\n".join(lines))
    text = "\n".join([
        "ruleset: generated", "dsl: 1", "currency: EUR", "timezone: Europe/Berlin",
        "stacking:", "  coupons_per_order: 1", "  coupon_with_automatic: true",
        f"  base: {base}", "  max_discount: { percent_of_subtotal: 60 }",
        "promotions:", *promotions, ""])
    cart = parse_cart({"id": "bench", "currency": "EUR", "at": "2026-06-15T12:00:00+00:00",
                       "lines": [{"id": f"l{j}", "sku": f"S{j}", "category": f"c{j % 4}",
                                  "unit_price": f"{20 + 7 * j}.00", "quantity": 1 + j % 3}
                                 for j in range(10)]})
    return load_ruleset_text(text), cart


def per_cart(ruleset: Ruleset, carts: list[Cart], repeat: int,
             written: bool) -> float:
    """Median seconds of one cart priced (and its JSON written, reasons and all)."""
    program = compile_ruleset(ruleset)

    def run() -> None:
        for cart in carts:
            result = program.evaluate(cart)
            if written:
                result.to_json()
            else:
                result.total_discount  # noqa: B018

    return statistics.median(times(run, repeat)) / len(carts)


def row(name: str, ruleset: Ruleset, carts: list[Cart], repeat: int) -> str:
    priority, best = with_mode(ruleset, "priority"), with_mode(ruleset, "best_deal")
    cells = [name]
    for written in (False, True):
        slow = per_cart(best, carts, repeat, written)
        fast = per_cart(priority, carts, repeat, written)
        cells += [f"{fast * 1e6:,.0f} µs", f"{slow * 1e6:,.0f} µs", f"**{slow / fast:.2f}x**"]
    deals = [compile_ruleset(best).evaluate(c).best_deal for c in carts]
    methods = sorted({d.method for d in deals if d})
    cells.append(f"{max(d.candidates for d in deals if d)}; {'/'.join(methods)}; "
                 f"{max(d.sets for d in deals if d):,} sets")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print("| ruleset (carts) | priority | best_deal | ratio | priority, JSON | "
          "best_deal, JSON (reasons) | ratio | most candidates; method; most sets priced |")
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted(ROOT.glob("rulesets/*/ruleset.yaml")):
        carts = [load_cart(p) for p in sorted((path.parent / "carts").glob("*.yaml"))]
        print(row(f"{path.parent.name} ({len(carts)})", load_ruleset(path), carts,
                  args.repeat), flush=True)
    for count in (20, 30):
        for base in ("original", "discounted"):
            ruleset, cart = generated(count, base)
            print(row(f"{count} eligible, base {base} (1)", ruleset, [cart],
                      max(3, args.repeat // 5)), flush=True)


if __name__ == "__main__":
    main()
