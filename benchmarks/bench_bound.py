"""How long does ``promo bound`` take, and how close is the witness to the proven bound?

    python -m benchmarks.bench_bound                    # examples + 1,000 promotions
    python -m benchmarks.bench_bound --sizes 1000,5000 --tries 2000 --repeat 3

For each example ruleset (``rulesets/*/ruleset.yaml``) and each generated ruleset
(``benchmarks/generate.py``; every generated ruleset has a ``max_discount``, so
each size is run twice: as generated, and with its ``max_discount`` removed, the
case where the reasoning must bound the stacking itself) it prints the time of
``promo bound`` in process (load, compile, proof, search of ``--tries`` carts),
the proof's own time, and the search's carts per second against a baseline
measured in the same run: a plain ``Program.evaluate`` loop over as many carts
(``generate_cart``, 1 to 8 lines).  Then the proven bound next to the best
witness, as an amount and as a share of the subtotal.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from decimal import Decimal
from pathlib import Path

from dsl import load_ruleset, load_ruleset_text
from dsl.model import Ruleset
from engine import compile_ruleset, parse_cart
from engine.analysis.bound import BoundReport, bound_ruleset, money, percent
from engine.analysis.search import discount_share
from engine.analysis.static import ruleset_bound

from .generate import generate_cart, generate_ruleset
from .timing import times

ROOT = Path(__file__).resolve().parents[1]


def _baseline(ruleset: Ruleset, count: int) -> float:
    """Carts per second of a plain loop doing what pricing one cart of the search costs
    anyway: read the cart data, evaluate, read the discount."""
    program = compile_ruleset(ruleset)
    carts = []
    for seed in range(count):
        data = generate_cart(1 + seed % 12, seed=seed)
        data["currency"] = ruleset.currency
        if ruleset.minor_units == 0:  # the generator writes cents
            for line in data["lines"]:
                line["unit_price"] = str(Decimal(line["unit_price"]).to_integral_value())
            if data.get("shipping"):
                data["shipping"]["price"] = str(
                    Decimal(data["shipping"]["price"]).to_integral_value())
        carts.append(data)
    start = time.perf_counter()
    for data in carts:
        program.evaluate(parse_cart(data)).total_discount  # noqa: B018
    return count / (time.perf_counter() - start)


def _row(name: str, ruleset: Ruleset, tries: int, repeat: int) -> None:
    reports: list[BoundReport] = []
    whole = times(lambda: reports.append(bound_ruleset(ruleset, name, tries=tries)), repeat)
    proof = times(lambda: ruleset_bound(ruleset), repeat)
    report = reports[-1]
    seconds = statistics.median(whole)
    searched = report.found.evaluated / seconds
    baseline = _baseline(ruleset, min(tries, 2000))
    units = ruleset.minor_units
    proven, witness = report.proven, report.share_witness
    amount_w = report.amount_witness
    share_w = discount_share(witness.result) if witness else None
    print(f"{name:<34} {len(ruleset.promotions):>6,}  {seconds:7.2f} s  "
          f"{statistics.median(proof) * 1000:8.1f} ms  {searched:8,.0f}/s "
          f"({searched / baseline:4.2f}x of {baseline:,.0f}/s)  "
          f"amount {money(proven.amount, units):>10} vs "
          f"{money(amount_w.result.total_discount, units) if amount_w else '-':>14}  "
          f"share {percent(proven.of_subtotal, up=True):>9} vs "
          f"{percent(share_w, up=False) if share_w is not None else '-':>9}")


def _uncapped(text: str) -> str:
    return re.sub(r"^  max_discount: .*\n", "", text, flags=re.M)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000", help="generated promotion counts")
    parser.add_argument("--tries", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    print(f"promo bound, {args.tries:,} carts searched, median of {args.repeat}; search speed "
          "against a plain Program.evaluate loop (baseline, same run)")
    print(f"{'ruleset':<34} {'promos':>6}  {'bound':>9}  {'proof':>11}  search\n")
    for path in sorted((ROOT / "rulesets").glob("*/ruleset.yaml")):
        _row(str(path.relative_to(ROOT)), load_ruleset(path), args.tries, args.repeat)
    for size in (int(s) for s in args.sizes.split(",")):
        text = generate_ruleset(size, args.seed)
        _row(f"generated {size} (max_discount)", load_ruleset_text(text), args.tries,
             args.repeat)
        _row(f"generated {size} (no max_discount)", load_ruleset_text(_uncapped(text)),
             args.tries, args.repeat)
    print("\nproven: no cart gets more (shares before rounding); witness: the worst cart found")


if __name__ == "__main__":
    main()
