"""Many processes on one store: no oversell, one winner per customer, idempotent
reserves under contention, and crash safety (SIGKILL mid-transaction).

Workers are forked (``fork`` start method: no re-import per process, so 50
processes start in well under a second).  The parent never holds a connection
to the database while it forks: SQLite connections must not cross a fork.
Every worker uses a 30 s busy timeout, so contention waits instead of failing;
anything a worker catches that is not ``LimitReached`` counts as a failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import multiprocessing as mp
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from storekit import NOW, make_ruleset, price

from engine.usage import IllegalTransition, LimitReached, SQLiteStore, UsageStore

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32" or "fork" not in
                                 mp.get_all_start_methods(), reason="needs fork")]

CTX = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
BUSY_MS = 30_000
JOIN_TIMEOUT = 90.0

LIMITED = make_ruleset("""\
    - id: launch
      coupon: LAUNCH
      effect: { amount_off: "5.00" }
      limits: { uses: 500, per_coupon: 500, budget: "2500.00" }
    - id: welcome
      coupon: WELCOME
      effect: { amount_off: "5.00" }
      limits: { per_customer: 1 }
    - id: auto
      effect: { percent_off: 1 }
    """)


def create(path: Path) -> None:
    """Create the store, then close it before any fork."""
    SQLiteStore(path).close()


def run_workers(target: Any, count: int, *args: Any) -> list[dict[str, Any]]:
    """Start ``count`` workers behind a barrier; collect one report from each."""
    assert CTX is not None
    barrier = CTX.Barrier(count)
    reports = CTX.Queue()
    workers = [CTX.Process(target=target, args=(n, barrier, reports, *args), daemon=True)
               for n in range(count)]
    for worker in workers:
        worker.start()
    out = []
    deadline = time.monotonic() + JOIN_TIMEOUT
    try:
        for _ in workers:
            out.append(reports.get(timeout=max(0.1, deadline - time.monotonic())))
    finally:
        for worker in workers:
            worker.join(timeout=max(0.1, deadline - time.monotonic()))
            if worker.is_alive():
                worker.kill()
                worker.join()
    assert [w.exitcode for w in workers] == [0] * count
    return out


def attempt(store: UsageStore, order_ref: str, result: Any, report: dict[str, Any]) -> None:
    try:
        store.reserve(order_ref, LIMITED, result, now=NOW)
        report["reserved"] += 1
    except LimitReached as err:
        report["limits"].append(err.limit)
    except Exception as err:  # noqa: BLE001 - a raw sqlite3 error would land here
        report["failures"].append(repr(err))


def new_report(worker: int) -> dict[str, Any]:
    return {"worker": worker, "reserved": 0, "limits": [], "failures": []}


# ------------------------------------------------------------------ workers


def oversell_worker(n: int, barrier: Any, reports: Any, path: str, attempts: int) -> None:
    report = new_report(n)
    template = price(LIMITED, customer="x", coupons=["LAUNCH"])
    with SQLiteStore(path, timeout_ms=BUSY_MS) as store:
        barrier.wait()
        for i in range(attempts):
            # the same priced cart for a new customer each time
            result = dataclasses.replace(template, customer=f"w{n}-c{i}")
            attempt(store, f"w{n}-o{i}", result, report)
    reports.put(report)


def one_customer_worker(n: int, barrier: Any, reports: Any, path: str) -> None:
    report = new_report(n)
    result = price(LIMITED, customer="solo", coupons=["WELCOME"])
    with SQLiteStore(path, timeout_ms=BUSY_MS) as store:
        barrier.wait()
        attempt(store, f"order-{n}", result, report)
    reports.put(report)


def same_order_worker(n: int, barrier: Any, reports: Any, path: str) -> None:
    report = new_report(n)
    result = price(LIMITED, customer="alice", coupons=["LAUNCH"])
    barrier.wait()  # open the store at once too: the first open creates it
    try:
        with SQLiteStore(path, timeout_ms=BUSY_MS) as store:
            attempt(store, "the-order", result, report)
            report["state"] = store.reservation("the-order").state
    except Exception as err:  # noqa: BLE001
        report["failures"].append(repr(err))
    reports.put(report)


def crash_worker(path: str, seed: int, ready: Any) -> None:
    """Reserve, confirm and release in a loop until killed."""
    rng = random.Random(seed)
    template = price(LIMITED, customer="x", coupons=["LAUNCH"])
    with SQLiteStore(path, timeout_ms=BUSY_MS) as store:
        ready.set()
        for i in range(1_000_000):
            ref = f"k{seed}-{i}"
            result = dataclasses.replace(template, customer=f"k{seed}-c{i}")
            try:
                store.reserve(ref, LIMITED, result, now=NOW)
            except LimitReached:
                store.expire(NOW + dt.timedelta(hours=1))  # make room, then go on
                continue
            roll = rng.random()
            if roll < 0.4:
                # the other worker's expire may get there first
                with contextlib.suppress(IllegalTransition):
                    store.confirm(ref, now=NOW)
            elif roll < 0.8:
                store.release(ref, now=NOW)


# -------------------------------------------------------------------- tests


def test_no_oversell_under_contention(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    create(path)
    started = time.monotonic()
    reports = run_workers(oversell_worker, 8, str(path), 250)
    elapsed = time.monotonic() - started

    assert [f for r in reports for f in r["failures"]] == []
    assert sum(r["reserved"] for r in reports) == 500
    limits = [limit for r in reports for limit in r["limits"]]
    assert len(limits) == 1500 and set(limits) == {"uses"}
    with SQLiteStore(path) as store:
        assert store.counter("uses", "launch") == 500
        assert store.counter("per_coupon", "launch\x1flaunch") == 500
        assert store.counter("budget", "launch") == 500 * 500
        assert store.conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0] == 500
        assert store.reconcile() == []
        assert store.integrity_ok()
    print(f"oversell: 2,000 reserve attempts by 8 processes in {elapsed:.2f} s")


def test_one_customer_many_processes(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    create(path)
    reports = run_workers(one_customer_worker, 16, str(path))

    assert [f for r in reports for f in r["failures"]] == []
    assert sum(r["reserved"] for r in reports) == 1
    assert sorted(limit for r in reports for limit in r["limits"]) == ["per_customer"] * 15
    with SQLiteStore(path) as store:
        assert store.counter("per_customer", "welcome\x1fsolo") == 1
        assert store.conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0] == 1
        assert store.reconcile() == []


def test_the_same_order_reserved_at_once_is_one_reservation(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"  # not created yet: 50 processes create it at once
    reports = run_workers(same_order_worker, 50, str(path))

    assert [f for r in reports for f in r["failures"]] == []
    assert sum(r["reserved"] for r in reports) == 50  # every caller gets the reservation
    assert {r["state"] for r in reports} == {"reserved"}
    with SQLiteStore(path) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0] == 1
        assert store.conn.execute("SELECT COUNT(*) FROM uses").fetchone()[0] == 2
        assert store.counter("uses", "launch") == 1
        assert store.counter("budget", "launch") == 500
        assert store.counter("uses", "auto") == 1
        assert [e["event"] for e in store.events()] == [
            "promotion_reserved", "promotion_reserved", "coupon_reserved", "coupon_applied"]
        assert store.reconcile() == []


def test_sigkill_at_random_points_leaves_a_consistent_store(tmp_path: Path) -> None:
    assert CTX is not None
    path = tmp_path / "usage.sqlite"
    create(path)
    rng = random.Random(20260301)
    kills = 0
    for round_ in range(15):  # two workers per round, both killed: 30 kills
        workers = []
        for w in range(2):
            ready = CTX.Event()
            worker = CTX.Process(target=crash_worker, args=(str(path), 2 * round_ + w, ready),
                                 daemon=True)
            worker.start()
            assert ready.wait(timeout=JOIN_TIMEOUT)
            workers.append(worker)
        time.sleep(rng.uniform(0.0, 0.03))
        for worker in workers:
            time.sleep(rng.uniform(0.0, 0.005))
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            worker.join(timeout=JOIN_TIMEOUT)
            assert worker.exitcode == -signal.SIGKILL
            kills += 1
    assert kills == 30

    with SQLiteStore(path) as store:
        assert store.integrity_ok()
        conn = store.conn
        reservations = conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0]
        assert reservations > 30  # the workers got somewhere before dying
        # every reservation has both its uses, and no use is without its reservation
        assert conn.execute(
            "SELECT COUNT(*) FROM reservations r WHERE (SELECT COUNT(*) FROM uses u "
            "WHERE u.order_ref = r.order_ref) != 2").fetchone()[0] == 0
        assert conn.execute(
            "SELECT COUNT(*) FROM uses u LEFT JOIN reservations r USING (order_ref) "
            "WHERE r.order_ref IS NULL").fetchone()[0] == 0
        # every reservation announced itself; every settled one announced that too
        per_order = dict(conn.execute(
            "SELECT order_ref, COUNT(*) FROM events WHERE type = 'promotion_reserved' "
            "GROUP BY order_ref"))
        assert set(per_order.values()) == {2} and len(per_order) == reservations
        settled = conn.execute(
            "SELECT COUNT(*) FROM reservations WHERE state != 'reserved'").fetchone()[0]
        settled_events = conn.execute(
            "SELECT COUNT(DISTINCT order_ref) FROM events WHERE type IN "
            "('promotion_consumed', 'promotion_released')").fetchone()[0]
        assert settled_events == settled
        assert store.reconcile() == []
        assert store.counter("uses", "launch") <= 500
