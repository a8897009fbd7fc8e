"""How many checkouts per second does the usage store take, on SQLite and on PostgreSQL?

    python -m benchmarks.bench_store                    # both backends, 200 cycles per client
    python -m benchmarks.bench_store --cycles 500 --backends postgresql
    python -m benchmarks.bench_store --postgres postgresql://user@host/db   # a server of yours

One *cycle* is what a checkout costs the store: ``reserve`` a new order
reference for a new customer with one coupon (one transaction: the
reservation row, its use, four counters — ``uses``, ``per_customer``,
``per_coupon``, ``budget`` — and three outbox events), then ``confirm`` it (a
second transaction).  The cart is priced once, outside the timing.

Printed, per backend, for 1, 4 and 16 client processes each on a coupon of
its own (distinct promotions: no counter shared), and for 32 clients on one
hot coupon with its counters in one row, then split in 16 slots:

* cycles per second over the wall time of the run (the clients forked, each
  with its own connection, started together behind a barrier); a last row,
  32 clients on coupons of their own, is what 32 clients reach here with no
  row to wait for — the most a split can give the hot coupon;
* beside it, the *raw loop*: the very statements the store sent for one
  cycle (recorded from it, with their transactions), replayed through the same
  driver with new order references, customers and drawn slots — no Python of
  the store.  It is what the store's SQL costs here: the floor.  Target: the
  store within 3x of it on every row, and the hot coupon split at least 3x
  the single-row figure at 32 clients (PostgreSQL; SQLite takes one writer at a
  time, so its hot rows only show the cost of the split).

PostgreSQL: without ``--postgres``, a throwaway cluster is started (and
removed) as the tests do (``tests/store/pgcluster.py``): Unix socket,
``synchronous_commit`` off — as SQLite's ``synchronous = NORMAL`` in WAL, no
disk flush per commit.  This prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOW_ISO = "2026-03-01T12:00:00+00:00"
PROMOTIONS = 33  # c0 the hot coupon, c1..c32 one per client
LIMITS = 'limits: { uses: 100000000, per_coupon: 100000000, budget: "1000000000.00" }'
HOT = "c0"


def ruleset_text() -> str:
    promotions = "".join(f"""
  - id: {f"c{n}"}
    coupon: {f"C{n}"}
    effect: {{ amount_off: "5.00" }}
    {LIMITS}""" for n in range(PROMOTIONS))
    return f"""\
ruleset: bench-store
dsl: 1
currency: USD
timezone: UTC
stacking: {{ coupons_per_order: 1, coupon_with_automatic: true, base: original }}
promotions:{promotions}
"""


def _context() -> Any:
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def _prepare(promotion: str) -> tuple[Any, Any]:
    """The ruleset and a priced result with ``promotion``'s coupon (evaluated once)."""
    from dsl import load_ruleset_text
    from engine import evaluate, parse_cart

    rules = load_ruleset_text(ruleset_text())
    cart = {"id": "bench", "currency": "USD", "at": NOW_ISO, "customer": {"id": "x"},
            "coupons": [promotion.upper()],
            "lines": [{"id": "l1", "sku": "SKU-1", "unit_price": "80.00", "quantity": 1}]}
    result = evaluate(rules, parse_cart(cart))
    assert result.applied_ids() == [promotion], result.applied_ids()
    return rules, result


def _policy(split: bool) -> Any:
    from engine.usage.tally import SplitPolicy

    return SplitPolicy(promotions=frozenset({HOT})) if split else SplitPolicy(from_limit=None)


def _open(location: str, split: bool) -> Any:
    from engine.usage import open_store

    if "://" in location:
        return open_store(location, split=_policy(split), pool_size=1,
                          statement_timeout_ms=600_000, pool_timeout=600)
    return open_store(location, split=_policy(split), timeout_ms=600_000)


# ------------------------------------------------------------------ the store


def store_cycles(store: Any, rules: Any, result: Any, prefix: str, cycles: int) -> None:
    import datetime as dt

    now = dt.datetime.fromisoformat(NOW_ISO)
    for i in range(cycles):
        ref = f"{prefix}-{i}"
        store.reserve(ref, rules, dataclasses.replace(result, customer=f"{ref}-c"), now=now)
        store.confirm(ref, now=now)


# -------------------------------------------------------------- the raw loop


class Recording:
    """A store transaction that writes down what it sends."""

    def __init__(self, tx: Any, log: list[tuple[str, str, Any]]) -> None:
        self.tx, self.log = tx, log

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.log.append(("execute", sql, tuple(params)))
        return self.tx.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> Any:
        rows = [tuple(p) for p in params]
        self.log.append(("executemany", sql, rows))
        return self.tx.executemany(sql, rows)


def record(store: Any, rules: Any, result: Any, ref: str) -> list[list[tuple[str, str, Any]]]:
    """The transactions (their statements and parameters) of one steady-state cycle."""
    units: list[list[tuple[str, str, Any]]] = []
    atomic = store._atomic

    def recording(work: Callable[[Any], Any], **kwargs: Any) -> Any:
        log: list[tuple[str, str, Any]] = []
        units.append(log)
        return atomic(lambda tx: work(Recording(tx, log)), **kwargs)

    store._atomic = recording
    try:
        store_cycles(store, rules, result, ref, 1)
    finally:
        store._atomic = atomic
    return units


def _rewrite(value: Any, old: str, new: str) -> Any:
    return value.replace(old, new) if isinstance(value, str) else value


def _fresh(sql: str, params: tuple[Any, ...], old: str, new: str) -> tuple[Any, ...]:
    """The parameters for another cycle: its order reference and customer, a new slot."""
    out = tuple(_rewrite(v, old, new) for v in params)
    if sql.startswith("UPDATE counters SET used = used + ? WHERE") and "slots = ?" in sql:
        out = out[:3] + (random.randrange(out[4]),) + out[4:]  # a slot drawn anew
    return out


def raw_cycles(location: str, units: list[list[tuple[str, str, Any]]], old: str, prefix: str,
               cycles: int) -> None:
    """Replay the recorded transactions through the same driver, ``cycles`` times."""
    begin: str | None  # SQLite's explicit transaction; psycopg opens its own
    convert: Callable[[str], str]  # the recorded SQL in the driver's placeholder style
    if "://" in location:
        import psycopg

        from engine.usage.postgres import _conninfo, _pg

        conn: Any = psycopg.connect(_conninfo(location, readonly=False,
                                              statement_timeout_ms=600_000,
                                              connect_timeout=10), prepare_threshold=1)
        begin, convert = None, _pg
    else:
        conn = sqlite3.connect(location, isolation_level=None, timeout=600)
        conn.execute("PRAGMA synchronous = NORMAL")
        begin, convert = "BEGIN IMMEDIATE", (lambda sql: sql)
    for i in range(cycles):
        new = f"{prefix}-{i}"
        for unit in units:
            if begin:
                conn.execute(begin)
            for method, sql, params in unit:
                if method == "execute":
                    cursor = conn.execute(convert(sql), _fresh(sql, params, old, new))
                    if sql.lstrip().upper().startswith("SELECT"):
                        cursor.fetchall()
                else:
                    rows = [_fresh(sql, p, old, new) for p in params]
                    if begin:
                        conn.executemany(convert(sql), rows)
                    else:
                        with conn.cursor() as cursor:
                            cursor.executemany(convert(sql), rows)
            conn.commit() if not begin else conn.execute("COMMIT")
    conn.close()


# ------------------------------------------------------------------ running


def _worker(kind: str, location: str, n: int, promotion: str, split: bool, cycles: int,
            barrier: Any, out: Any) -> None:
    rules, result = _prepare(promotion)
    with _open(location, split) as store:
        store_cycles(store, rules, result, f"warm{n}", 3)  # the first cycles split, prepare
        units = record(store, rules, result, f"rec{n}")
        if kind == "store":
            barrier.wait()
            start = time.perf_counter()
            store_cycles(store, rules, result, f"p{n}", cycles)
            out.put((start, time.perf_counter()))
            return
    raw_cycles(location, units, f"rec{n}-0", f"warm-raw{n}", 3)
    barrier.wait()
    start = time.perf_counter()
    raw_cycles(location, units, f"rec{n}-0", f"raw{n}", cycles)
    out.put((start, time.perf_counter()))


def run(kind: str, location: str, clients: int, hot: bool, split: bool, cycles: int) -> float:
    """Cycles per second of ``clients`` processes at once."""
    ctx = _context()
    barrier, out = ctx.Barrier(clients), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(
        kind, location, n, HOT if hot else f"c{n + 1}", split, cycles, barrier, out))
        for n in range(clients)]
    for worker in workers:
        worker.start()
    spans: list[tuple[float, float]] = [out.get(timeout=1800) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"a {kind} client failed (exit code {worker.exitcode})")
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return clients * cycles / wall


def fresh_location(backend: str, directory: str, server: Any, serial: list[int]) -> str:
    serial[0] += 1
    if backend == "sqlite":
        path = os.path.join(directory, f"bench-{serial[0]}.sqlite")
    else:
        path = server.new_schema()
    _open(path, False).close()  # created before the fork; no connection crosses it
    return path


def postgres_server(url: str | None) -> Any:
    sys.path.insert(0, str(ROOT / "tests" / "store"))
    from pgcluster import URL_ENV, Server

    if url:
        os.environ[URL_ENV] = url
    return Server()


ROWS = [("1 client, own coupon", 1, False, False), ("4 clients, own coupons", 4, False, False),
        ("16 clients, own coupons", 16, False, False),
        ("32 clients, one hot coupon, one row", 32, True, False),
        ("32 clients, one hot coupon, 16 slots", 32, True, True),
        ("32 clients, own coupons (no row shared)", 32, False, False)]
"""The last row is the ceiling of the hot ones: 32 clients with nothing to wait for."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the usage store's reserve → "
                                     "confirm cycle on SQLite and PostgreSQL against raw loops "
                                     "of the same SQL.")
    parser.add_argument("--cycles", type=int, default=200,
                        help="timed cycles per client (default: 200)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default: both)")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL database to fill with schemas (default: a "
                             "throwaway cluster)")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if args.cycles < 1 or not set(backends) <= {"sqlite", "postgresql"} or not backends:
        parser.error("--cycles must be at least 1; --backends sqlite and/or postgresql")
    print(f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} CPUs, {args.cycles:,} cycles per client")
    server = postgres_server(args.postgres) if "postgresql" in backends else None
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="promorules-bench-store-") as tmp:
            serial = [0]
            for backend in backends:
                for label, clients, hot, split in ROWS:
                    rates = {kind: run(kind, fresh_location(backend, tmp, server, serial),
                                       clients, hot, split, args.cycles)
                             for kind in ("store", "raw")}
                    results.append((backend, label, rates["store"], rates["raw"]))
                    print(f"  {backend:<10} {label:<38} store {rates['store']:>7,.0f}/s  "
                          f"raw {rates['raw']:>7,.0f}/s", flush=True)
    finally:
        if server is not None:
            server.stop()
    print()
    print("| backend | clients | store cycles/s | raw loop cycles/s | raw / store |")
    print("|---|---|---|---|---|")
    for backend, label, store, raw in results:
        print(f"| {backend} | {label} | {store:,.0f} | {raw:,.0f} | {raw / store:.2f}x |")
    print()
    for backend in backends:
        mine = {label: (store, raw) for b, label, store, raw in results if b == backend}
        worst = max(raw / store for store, raw in mine.values())
        single, in_slots, ceiling = (mine[ROWS[n][0]][0] for n in (3, 4, 5))
        print(f"{backend}: store within {worst:.2f}x of the raw loop on every row "
              f"(target 3x: {'met' if worst <= 3 else 'MISSED'}); hot coupon split / one row "
              f"at 32 clients: {in_slots / single:.2f}x"
              + (f" (target 3x: {'met' if in_slots / single >= 3 else 'MISSED'})"
                 if backend == "postgresql" else "")
              + f"; 32 clients sharing no row at all: {ceiling / single:.2f}x the one row")
    return 0


if __name__ == "__main__":
    sys.exit(main())
