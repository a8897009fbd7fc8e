"""How long does generating a coupon batch take: 1,000,000 single-use codes on SQLite?

    python -m benchmarks.bench_coupons                       # 1,000,000 codes, SQLite
    python -m benchmarks.bench_coupons --count 200000
    python -m benchmarks.bench_coupons --postgres postgresql://user@host/db   # also there

Printed, per backend: ``store.generate_codes`` (what ``promo coupons generate``
runs: codes drawn with ``secrets``, written 20,000 to a transaction, a code
already held drawn again, the batch counted) for ``--count`` codes of
``SPRING-####-####`` into a new store; then ``export_codes`` of them all (what
``promo coupons export`` reads) and one ``batch_status`` count.

Beside it, in the same run, the *floor*: the same number of numbers drawn with
``secrets.randbelow``, written as codes, and inserted with one ``executemany``
in one transaction into a bare table of the same shape on the same backend —
no uniqueness check after, no chunks.  Target: 1,000,000 codes in under 60 s
on SQLite.  This prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path

from dsl.couponbatch import CodePattern
from engine.usage import open_store

PATTERN = CodePattern("SPRING-####-####")
TARGET_S = 60.0


def store_run(location: str, count: int) -> dict[str, float]:
    with open_store(location) as store:
        started = time.perf_counter()
        store.generate_codes("SPRING-VIP", PATTERN, count,
                             now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
        generated = time.perf_counter() - started
        seen = 0

        def take(rows: list[tuple[str, str]]) -> None:
            nonlocal seen
            seen += len(rows)

        started = time.perf_counter()
        store.export_codes("SPRING-VIP", take)
        exported = time.perf_counter() - started
        started = time.perf_counter()
        counts = store.batch_status("SPRING-VIP")
        counted = time.perf_counter() - started
    assert seen == counts["unused"] == count
    return {"generate": generated, "export": exported, "status": counted}


def floor_sqlite(path: str, count: int) -> float:
    started = time.perf_counter()
    codes = PATTERN.fill([secrets.randbelow(PATTERN.space) for _ in range(count)])
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE codes (code TEXT PRIMARY KEY, batch TEXT NOT NULL, "
                 "state TEXT NOT NULL, order_ref TEXT, created_at TEXT NOT NULL)")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT OR IGNORE INTO codes VALUES (?, 'SPRING-VIP', 'unused', NULL, "
                     "'2026-03-01T00:00:00+00:00')", ((code,) for code in codes))
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def floor_postgres(url: str, count: int) -> float:
    import psycopg

    started = time.perf_counter()
    codes = PATTERN.fill([secrets.randbelow(PATTERN.space) for _ in range(count)])
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMPORARY TABLE codes (code text PRIMARY KEY, batch text NOT NULL, "
                     "state text NOT NULL, order_ref text, created_at timestamptz NOT NULL)")
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO codes VALUES (%s, 'SPRING-VIP', 'unused', NULL, "
                               "now()) ON CONFLICT DO NOTHING", [(code,) for code in codes])
        conn.commit()
    return time.perf_counter() - started


def row(backend: str, count: int, run: dict[str, float], floor: float) -> str:
    verdict = "met" if run["generate"] < TARGET_S else "NOT met"
    return (f"| {backend} | {count:,} | {run['generate']:.1f} | {count / run['generate']:,.0f} "
            f"| {floor:.1f} | {run['generate'] / floor:.2f}x | {run['export']:.1f} "
            f"| {run['status'] * 1000:.0f} | {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL",
                        help="also on this PostgreSQL database (a new schema is not made: "
                             "use an empty one)")
    options = parser.parse_args()
    print(f"coupon batch of {options.count:,} codes, pattern {PATTERN.text}; target: under "
          f"{TARGET_S:.0f} s on SQLite")
    print("| backend | codes | generate s | codes/s | floor s | generate / floor | "
          "export s | status ms | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        run = store_run(str(Path(directory) / "usage.sqlite"), options.count)
        floor = floor_sqlite(str(Path(directory) / "floor.sqlite"), options.count)
        print(row("SQLite", options.count, run, floor))
    if options.postgres:
        run = store_run(options.postgres, options.count)
        print(row("PostgreSQL", options.count, run, floor_postgres(options.postgres,
                                                                   options.count)))


if __name__ == "__main__":
    main()
