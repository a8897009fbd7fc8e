"""How many checkouts per second does the usage store take?

    python -m benchmarks.bench_store                       # 3,000 cycles per process, 1 and 4
    python -m benchmarks.bench_store --cycles 5000 --processes 1,2,4,8 --profile

One *cycle* is what a checkout costs the store: ``reserve`` a new order
reference (one ``BEGIN IMMEDIATE`` transaction: the reservation row, its uses,
the conditional counter updates and the outbox events), then ``confirm`` it
(a second transaction).  The cart is evaluated once, outside the timing; its
result applies two promotions (a coupon with ``uses``, ``per_coupon`` and
``budget`` limits, and an automatic promotion with a ``uses`` limit), so each
reserve checks and moves seven counters.

Printed, for 1 and for N processes (forked, started together behind a
barrier, each on its own connection to one WAL file in a temporary
directory):

* cycles per second over the wall time of the whole run, and per process;
* the ratio N-process / 1-process throughput (SQLite takes one writer at a
  time, so more processes add contention, not write capacity);
* as a baseline measured in the same run on the same disk: a plain
  ``BEGIN IMMEDIATE; INSERT …; UPDATE …; COMMIT`` transaction with the
  store's settings (WAL, ``synchronous = NORMAL``) — the floor one SQLite
  write transaction costs here.  A cycle is two transactions.

With ``--profile``, the one-process run is also profiled (cProfile, in the
main process) and the functions where the time goes are printed.  This prints
figures; it asserts nothing.  The target is 1,000 cycles per second on one
process.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import multiprocessing as mp
import os
import pstats
import sqlite3
import sys
import tempfile
import time
from typing import Any

TARGET = 1_000
RULESET = """\
ruleset: bench-store
dsl: 1
currency: USD
timezone: UTC
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: original }
promotions:
  - id: launch
    coupon: LAUNCH
    effect: { amount_off: "5.00" }
    limits: { uses: 100000000, per_coupon: 100000000, budget: "1000000000.00" }
  - id: auto
    effect: { percent_off: 2 }
    limits: { uses: 100000000 }
"""
CART = {
    "id": "bench-cart", "currency": "USD", "at": "2026-03-01T12:00:00Z",
    "customer": {"id": "c-1"}, "coupons": ["LAUNCH"],
    "lines": [{"id": "l1", "sku": "SKU-1", "unit_price": "80.00", "quantity": 1},
              {"id": "l2", "sku": "SKU-2", "unit_price": "19.99", "quantity": 2}],
}
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
BUSY_MS = 60_000


def _context() -> mp.context.BaseContext:
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


# ------------------------------------------------------------------ workloads


def _prepare() -> tuple[Any, Any]:
    """The ruleset and the priced result every cycle reserves (evaluated once)."""
    from dsl import load_ruleset_text
    from engine import evaluate, parse_cart

    rules = load_ruleset_text(RULESET)
    result = evaluate(rules, parse_cart(CART))
    assert len(result.applied) == 2, result.applied_ids()
    return rules, result


def store_cycles(path: str, prefix: str, cycles: int, rules: Any, result: Any,
                 split: list[float] | None = None) -> None:
    from engine.usage import SQLiteStore

    with SQLiteStore(path, timeout_ms=BUSY_MS) as store:
        clock = time.perf_counter
        for i in range(cycles):
            ref = f"{prefix}-{i}"
            if split is None:
                store.reserve(ref, rules, result, now=NOW)
                store.confirm(ref, now=NOW)
            else:
                t0 = clock()
                store.reserve(ref, rules, result, now=NOW)
                t1 = clock()
                store.confirm(ref, now=NOW)
                split[0] += t1 - t0
                split[1] += clock() - t1


def _baseline_setup(path: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS orders (ref TEXT PRIMARY KEY, customer TEXT, "
                 "amount INTEGER, created_at TEXT)")
    conn.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, used INTEGER)")
    conn.execute("INSERT OR IGNORE INTO counters VALUES ('launch', 0)")
    conn.close()


def baseline_cycles(path: str, prefix: str, cycles: int, *_: Any) -> None:
    """One plain write transaction per cycle: INSERT a row, UPDATE a counter."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    conn.execute("PRAGMA synchronous = NORMAL")
    now = NOW.isoformat()
    for i in range(cycles):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO orders VALUES (?, ?, ?, ?)", (f"{prefix}-{i}", "c-1", 500, now))
        conn.execute("UPDATE counters SET used = used + 1 WHERE key = 'launch'")
        conn.execute("COMMIT")
    conn.close()


def _worker(kind: str, path: str, n: int, cycles: int, barrier: Any, out: Any) -> None:
    if kind == "store":
        rules, result = _prepare()
        body = lambda prefix: store_cycles(path, prefix, cycles, rules, result)  # noqa: E731
    else:
        body = lambda prefix: baseline_cycles(path, prefix, cycles)  # noqa: E731
    body(f"warm{n}")  # first cycles pay imports, page cache and prepared statements
    barrier.wait()
    start = time.perf_counter()
    body(f"p{n}")
    out.put((start, time.perf_counter()))


def run(kind: str, directory: str, processes: int, cycles: int) -> float:
    """Cycles per second of ``processes`` concurrent workers on one fresh database."""
    path = os.path.join(directory, f"{kind}-{processes}.sqlite")
    if kind == "store":
        from engine.usage import SQLiteStore

        SQLiteStore(path).close()  # created before the fork; no connection crosses it
    else:
        _baseline_setup(path)
    ctx = _context()
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(kind, path, n, cycles, barrier, out))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    spans = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"a {kind} worker failed (exit code {worker.exitcode})")
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    if kind == "store":
        from engine.usage import SQLiteStore

        with SQLiteStore(path) as store:  # the run left the store consistent
            assert store.counter("uses", "launch") == 2 * processes * cycles
            assert store.reconcile() == []
    return processes * cycles / wall


# ------------------------------------------------------------------ report


def _profile(directory: str, cycles: int, top: int) -> str:
    rules, result = _prepare()
    path = os.path.join(directory, "profile.sqlite")
    store_cycles(path, "warm", 200, rules, result)
    profiler = cProfile.Profile()
    profiler.enable()
    store_cycles(path, "p", cycles, rules, result)
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(top)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the usage store's reserve → "
                                     "confirm cycle against plain SQLite.")
    parser.add_argument("--cycles", type=int, default=3000,
                        help="timed cycles per process (default: 3000)")
    parser.add_argument("--processes", default="1,4",
                        help="comma-separated process counts (default: 1,4)")
    parser.add_argument("--profile", action="store_true",
                        help="profile a one-process run and print where the time goes")
    args = parser.parse_args(argv)
    try:
        counts = sorted({int(p) for p in args.processes.split(",") if p.strip()})
    except ValueError:
        parser.error("--processes takes comma-separated integers, e.g. 1,4")
    if args.cycles < 1 or not counts or min(counts) < 1:
        parser.error("--cycles and --processes must be at least 1")
    if 1 not in counts:
        counts.insert(0, 1)

    print(f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} CPUs, start method {_context().get_start_method()}, "
          f"{args.cycles:,} cycles per process")
    rules, result = _prepare()
    with tempfile.TemporaryDirectory(prefix="promorules-bench-store-") as tmp:
        split = [0.0, 0.0]
        store_cycles(os.path.join(tmp, "split.sqlite"), "s", args.cycles, rules, result, split)
        rows = []
        store_one = base_one = 0.0
        for n in counts:
            store_rate = run("store", tmp, n, args.cycles)
            base_rate = run("baseline", tmp, n, args.cycles)
            if n == 1:
                store_one, base_one = store_rate, base_rate
            rows.append((n, store_rate, base_rate))

        print()
        print(f"{'processes':>9}  {'cycles/s':>9}  {'per process':>11}  {'vs 1 process':>12}  "
              f"{'plain tx/s':>10}  {'cycle / plain tx':>16}")
        for n, store_rate, base_rate in rows:
            print(f"{n:>9}  {store_rate:>9,.0f}  {store_rate / n:>11,.0f}  "
                  f"{store_rate / store_one:>11.2f}x  {base_rate:>10,.0f}  "
                  f"{base_rate / store_rate:>15.1f}x")
        print()
        cycle_us = 1e6 / store_one
        print(f"one process: {store_one:,.0f} cycles/s = {cycle_us:,.0f} us per cycle "
              f"(reserve {1e6 * split[0] / args.cycles:,.0f} us + confirm "
              f"{1e6 * split[1] / args.cycles:,.0f} us, measured apart); a plain "
              f"INSERT + UPDATE transaction: {1e6 / base_one:,.0f} us")
        for n, store_rate, _ in rows:
            if n != 1:
                print(f"{n} processes / 1 process: {store_rate / store_one:.2f}x throughput")
        verdict = "meets" if store_one >= TARGET else "MISSES"
        print(f"target {TARGET:,} cycles/s on one process: {verdict}")
        if args.profile or store_one < TARGET:
            print()
            print("where one process's time goes (cProfile, by own time):")
            print(_profile(tmp, args.cycles, 15))
    return 0


if __name__ == "__main__":
    sys.exit(main())
