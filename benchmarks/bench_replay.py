"""How fast does ``promo replay`` price an order history, and does its memory stay flat?

    python -m benchmarks.bench_replay                          # 20,000 orders; memory 5k vs 50k
    python -m benchmarks.bench_replay --orders 1000000 --memory 100000,1000000

The history: generated carts of about 10 lines (``generate.generate_cart``: 3,
6, 10 or 14 lines, 10 on average), a pool of 4,000 distinct carts cycled with
new order ids, customers drawn from 20,000 (so per-customer limits bite), one
order a minute in time order; the ruleset: ``generate_ruleset(100, seed=1)``
(its budgets and limits run out during the history, so the limit pass prices
orders again).  Printed:

* the baseline, measured in the same run: an in-process ``Program.evaluate``
  loop over the first orders' carts, already parsed (and, beside it, the same
  loop parsing each JSON line first), the median of three passes;
* ``replay`` orders per second (wall) with 1 worker (priced in this process)
  and 2 worker processes, and 2 workers over 1 (target ≥ 1.7×, on a machine
  with 2 free cores); and orders per CPU-second of the replay and its workers
  as a share of the loop's (the per-worker throughput, target ≥ 80 %; CPU
  time, unlike the wall clock, does not count the other programs of a
  shared machine);
* peak memory (max RSS of the replay and its workers) for two history sizes,
  each replayed in a fresh process: flat when the history grows.

The machine may be shared: figures vary with its load.  This prints figures;
it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .generate import generate_cart, generate_ruleset

POOL = 4000
CUSTOMERS = 20_000


def write_history(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    pool = [generate_cart(rng.choice((3, 6, 10, 14)), seed=i) for i in range(POOL)]
    start = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            cart = dict(pool[i % POOL])
            cart["id"] = f"o-{i}"
            cart["at"] = (start + dt.timedelta(minutes=i)).isoformat()
            cart["customer"] = dict(cart["customer"], id=f"c-{rng.randrange(CUSTOMERS)}")
            out.write(json.dumps(cart) + "\n")


def baseline(ruleset: Path, orders: Path, count: int, passes: int = 3) -> tuple[float, float]:
    """Orders per CPU-second of an in-process evaluate loop: carts parsed, and parsing
    too; each the median of ``passes`` passes over the carts (one pass lasts about a
    second: a busy moment of the machine moves a single one by several percent)."""
    from dsl import load_ruleset
    from engine import compile_ruleset
    from engine.cart import load_cart_text

    program = compile_ruleset(load_ruleset(ruleset))
    with open(orders, encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(count)]
    carts = [load_cart_text(line) for line in lines]
    for cart in carts[:200]:
        program.evaluate(cart)  # warm
    parsed, parsing = [], []
    for _ in range(passes):
        started = time.process_time()
        for cart in carts:
            program.evaluate(cart)
        parsed.append(count / (time.process_time() - started))
        started = time.process_time()
        for line in lines:
            program.evaluate(load_cart_text(line))
        parsing.append(count / (time.process_time() - started))
    return statistics.median(parsed), statistics.median(parsing)


def run_replay(ruleset: Path, orders: Path, workers: int) -> dict[str, float]:
    """One replay in a fresh process: orders per second, and peak RSS in MiB."""
    code = ("import json, resource, sys, time\n"
            "from engine.analysis.replay import replay\n"
            "t = time.perf_counter()\n"
            f"r = replay({str(ruleset)!r}, {str(orders)!r}, workers={workers})\n"
            "wall = time.perf_counter() - t\n"
            "own, workers = (sum(getattr(resource.getrusage(w), f)\n"
            "                    for f in ('ru_utime', 'ru_stime'))\n"
            "                for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
            "cpu = own + workers\n"
            # this process's high-water mark (VmHWM: ru_maxrss would count the
            # launcher's memory at the fork before exec), and its workers' (forked)
            "hwm = next(int(line.split()[1]) for line in open('/proc/self/status')\n"
            "           if line.startswith('VmHWM:'))\n"
            "peak = max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "print(json.dumps({'orders': r.orders, 'rate': r.orders / wall,\n"
            "                  'cpu_rate': r.orders / cpu, 'main_cpu': own,\n"
            "                  'workers_cpu': workers,\n"
            "                  'repriced': r.repriced, 'peak_mib': peak / 1024}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PROMORULES_CHECK_INDEX": "0"})
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000, help="orders for the throughput")
    parser.add_argument("--memory", default="5000,50000",
                        help="two history sizes for peak memory, e.g. 100000,1000000")
    parser.add_argument("--baseline", type=int, default=3000, help="carts in the loop")
    args = parser.parse_args(argv)
    os.environ["PROMORULES_CHECK_INDEX"] = "0"
    sizes = [int(x) for x in args.memory.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        ruleset = Path(tmp) / "ruleset.yaml"
        ruleset.write_text(generate_ruleset(100, seed=1), encoding="utf-8")
        biggest = max([args.orders, *sizes])
        history = Path(tmp) / "orders.jsonl"
        started = time.perf_counter()
        write_history(history, biggest)
        print(f"history: {biggest:,} orders written in {time.perf_counter() - started:.0f} s; "
              f"ruleset of 100 promotions; {os.cpu_count()} cores here, load "
              f"{os.getloadavg()[0]:.1f}")
        parsed, parsing = baseline(ruleset, history, args.baseline)
        print(f"baseline, Program.evaluate loop in process (median of 3 passes over "
              f"{args.baseline:,} carts): {parsed:,.0f} orders per "
              f"CPU-second (parsing each line too: {parsing:,.0f})")
        head = Path(tmp) / "head.jsonl"
        with open(history, encoding="utf-8") as src, open(head, "w", encoding="utf-8") as dst:
            for _ in range(args.orders):
                dst.write(next(src))
        rates = {}
        for workers in (1, 2):
            found = run_replay(ruleset, head, workers)
            rates[workers] = found["rate"]
            print(f"replay {args.orders:,} orders, {workers} worker(s): {found['rate']:,.0f} "
                  f"orders/s wall; {found['cpu_rate']:,.0f} orders per CPU-second, "
                  f"{found['cpu_rate'] / parsed:.0%} of the loop's, "
                  f"{found['cpu_rate'] / parsing:.0%} of the parsing loop's "
                  f"({found['repriced']:,} priced again at a limit; CPU: main process "
                  f"{found['main_cpu']:.0f} s, workers {found['workers_cpu']:.0f} s)")
        print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x")
        peaks = []
        for size in sizes:
            part = Path(tmp) / f"orders-{size}.jsonl"
            with open(history, encoding="utf-8") as src, open(part, "w",
                                                               encoding="utf-8") as dst:
                for _ in range(size):
                    dst.write(next(src))
            found = run_replay(ruleset, part, 2)
            peaks.append(found["peak_mib"])
            print(f"peak memory (the largest process), {size:,} orders, 2 workers: "
                  f"{found['peak_mib']:.0f} MiB")
        print(f"peak memory ratio {sizes[-1]:,} / {sizes[0]:,} orders: "
              f"{peaks[-1] / peaks[0]:.2f}")
    _ = resource  # (the child processes measure themselves)
    return 0


if __name__ == "__main__":
    sys.exit(main())
