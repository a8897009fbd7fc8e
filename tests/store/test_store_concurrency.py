"""Many processes on one store, on each backend: no oversell, one winner per customer,
one reservation per order reference, one run per idempotency key, confirm or release
but never both, a hot coupon exact at its limit, and crash safety (SIGKILL).

Workers are forked (``fork`` start method: no re-import per process, so 50
processes start in well under a second).  The parent never holds a connection
to the store while it forks: neither SQLite connections nor a pool's may cross a
fork.  Every worker waits up to 60 s for a lock (SQLite's busy timeout, or
PostgreSQL's statement timeout), so contention waits instead of failing;
anything a worker catches that is not the refusal it expects counts as a
failure.  Process counts are as the tests say; the work per process is small.
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
from typing import Any

import pytest
from storekit import NOW, client, make_ruleset, price, sql

from engine.usage import (
    IdempotentResponse,
    IllegalTransition,
    LimitReached,
    Reservation,
    open_store,
)
from engine.usage.tally import SplitPolicy

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32" or "fork" not in
                                 mp.get_all_start_methods(), reason="needs fork")]

CTX = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
JOIN_TIMEOUT = 120.0

LIMITED = make_ruleset("""\
    - id: launch
      coupons: [LAUNCH, LAUNCH2]
      effect: { amount_off: "5.00" }
      limits: { uses: 500, budget: "2500.00" }
    - id: welcome
      coupon: WELCOME
      effect: { amount_off: "5.00" }
      limits: { per_customer: 1 }
    - id: auto
      effect: { percent_off: 1 }
    """)
FLASH = make_ruleset("""\
    - id: flash
      coupon: FLASH
      effect: { amount_off: "5.00" }
      limits: { uses: 400, per_coupon: 400, budget: "1000000.00" }
    """)
HOT = SplitPolicy(slots=16, promotions=frozenset({"flash"}))


def create(location: str) -> None:
    """Create the store, then close it before any fork."""
    open_store(location).close()


def count(location: str, table: str) -> int:
    with open_store(location) as store:
        return int(sql(store, f"SELECT COUNT(*) FROM {table}")[0][0])


def run_workers(target: Any, n: int, *args: Any) -> list[dict[str, Any]]:
    """Start ``n`` workers behind a barrier; collect one report from each."""
    assert CTX is not None
    barrier = CTX.Barrier(n)
    reports = CTX.Queue()
    workers = [CTX.Process(target=target, args=(i, barrier, reports, *args), daemon=True)
               for i in range(n)]
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
    assert [w.exitcode for w in workers] == [0] * n
    return out


def attempt(store: Any, order_ref: str, rules: Any, result: Any,
            report: dict[str, Any]) -> None:
    try:
        store.reserve(order_ref, rules, result, now=NOW)
        report["reserved"] += 1
    except LimitReached as err:
        report["limits"].append(err.limit)
    except Exception as err:  # noqa: BLE001 - a raw driver error would land here
        report["failures"].append(repr(err))


def new_report(worker: int) -> dict[str, Any]:
    return {"worker": worker, "reserved": 0, "limits": [], "failures": []}


def failures(reports: list[dict[str, Any]]) -> list[str]:
    return [f for r in reports for f in r["failures"]]


# ------------------------------------------------------------------ workers


def oversell_worker(n: int, barrier: Any, reports: Any, location: str, attempts: int,
                    seed: int) -> None:
    report = new_report(n)
    rng = random.Random(seed * 100 + n)
    templates = [price(LIMITED, customer="x", coupons=[code]) for code in ("LAUNCH", "LAUNCH2")]
    with client(location) as store:
        barrier.wait()
        for i in range(attempts):
            # the same priced cart for a new customer each time, either code
            result = dataclasses.replace(rng.choice(templates), customer=f"w{n}-c{i}")
            attempt(store, f"w{n}-o{i}", LIMITED, result, report)
    reports.put(report)


def one_customer_worker(n: int, barrier: Any, reports: Any, location: str) -> None:
    report = new_report(n)
    result = price(LIMITED, customer="solo", coupons=["WELCOME"])
    with client(location) as store:
        barrier.wait()
        attempt(store, f"order-{n}", LIMITED, result, report)
    reports.put(report)


def same_order_worker(n: int, barrier: Any, reports: Any, location: str) -> None:
    report = new_report(n)
    result = price(LIMITED, customer="alice", coupons=["LAUNCH"])
    barrier.wait()  # open the store at once too: the first open creates it
    try:
        with client(location) as store:
            attempt(store, "the-order", LIMITED, result, report)
            report["state"] = store.reservation("the-order").state
    except Exception as err:  # noqa: BLE001
        report["failures"].append(repr(err))
    reports.put(report)


def hot_worker(n: int, barrier: Any, reports: Any, location: str, attempts: int) -> None:
    report = new_report(n)
    template = price(FLASH, customer="x", coupons=["FLASH"])
    with client(location, split=HOT) as store:
        barrier.wait()
        for i in range(attempts):
            result = dataclasses.replace(template, customer=f"h{n}-c{i}")
            attempt(store, f"h{n}-o{i}", FLASH, result, report)
    reports.put(report)


def claim_worker(n: int, barrier: Any, reports: Any, location: str) -> None:
    report = new_report(n)
    with client(location) as store:
        barrier.wait()
        report["claim"] = store.claim_idempotency("the-key", "the-hash", now=NOW).state
    reports.put(report)


def answer(reservation: Reservation) -> tuple[int, bytes, str]:
    return 201, f"{reservation.order_ref} {reservation.state}".encode(), "text/plain"


def request_worker(n: int, barrier: Any, reports: Any, location: str) -> None:
    """One HTTP request retried by 16 clients at once: claim, and run it if claimed."""
    report = new_report(n)
    result = price(LIMITED, customer="alice", coupons=["LAUNCH"])
    with client(location) as store:
        barrier.wait()
        claim = store.claim_idempotency("retry-key", "h", now=NOW)
        report["claim"] = claim.state
        if claim.state == "claimed":
            store.reserve("the-order", LIMITED, result, now=NOW,
                          idempotency=IdempotentResponse("retry-key", answer))
            report["reserved"] += 1
    reports.put(report)


def settle_worker(n: int, barrier: Any, reports: Any, location: str, refs: list[str]) -> None:
    """Confirm (even workers) or release (odd) every order, in an order of its own."""
    report = new_report(n)
    report["outcomes"] = {}
    verb = "confirm" if n % 2 == 0 else "release"
    order = refs[:]
    random.Random(n).shuffle(order)
    with client(location) as store:
        barrier.wait()
        for ref in order:
            try:
                state = (store.confirm(ref, now=NOW) if verb == "confirm" else
                         store.release(ref, now=NOW)).state
                report["outcomes"][ref] = (verb, state)
            except IllegalTransition:
                report["outcomes"][ref] = (verb, "refused")
            except Exception as err:  # noqa: BLE001
                report["failures"].append(repr(err))
    reports.put(report)


def crash_worker(location: str, seed: int, ready: Any) -> None:
    """Reserve, confirm and release in a loop until killed."""
    rng = random.Random(seed)
    template = price(LIMITED, customer="x", coupons=["LAUNCH"])
    with client(location) as store:
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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_oversell_under_contention(location: str, seed: int) -> None:
    create(location)
    started = time.monotonic()
    reports = run_workers(oversell_worker, 8, location, 250, seed)
    elapsed = time.monotonic() - started

    assert failures(reports) == []
    assert sum(r["reserved"] for r in reports) == 500
    limits = [limit for r in reports for limit in r["limits"]]
    assert len(limits) == 1500 and set(limits) == {"uses"}
    with open_store(location) as store:
        assert store.counter("uses", "launch") == 500
        assert store.counter("per_coupon", "launch\x1flaunch") + \
            store.counter("per_coupon", "launch\x1flaunch2") == 500
        assert store.counter("budget", "launch") == 500 * 500
        assert sql(store, "SELECT COUNT(*) FROM reservations") == [(500,)]
        assert store.reconcile() == []
        assert store.integrity_ok()
    print(f"oversell: 2,000 reserve attempts by 8 processes in {elapsed:.2f} s")


def test_one_customer_many_processes(location: str) -> None:
    create(location)
    reports = run_workers(one_customer_worker, 16, location)

    assert failures(reports) == []
    assert sum(r["reserved"] for r in reports) == 1
    assert sorted(limit for r in reports for limit in r["limits"]) == ["per_customer"] * 15
    with open_store(location) as store:
        assert store.counter("per_customer", "welcome\x1fsolo") == 1
        assert sql(store, "SELECT COUNT(*) FROM reservations") == [(1,)]
        assert store.reconcile() == []


def test_the_same_order_reserved_at_once_is_one_reservation(location: str) -> None:
    reports = run_workers(same_order_worker, 50, location)  # 50 processes create the store

    assert failures(reports) == []
    assert sum(r["reserved"] for r in reports) == 50  # every caller gets the reservation
    assert {r["state"] for r in reports} == {"reserved"}
    with open_store(location) as store:
        assert sql(store, "SELECT COUNT(*) FROM reservations") == [(1,)]
        assert sql(store, "SELECT COUNT(*) FROM uses") == [(2,)]
        assert store.counter("uses", "launch") == 1
        assert store.counter("budget", "launch") == 500
        assert store.counter("uses", "auto") == 1
        assert [e["event"] for e in store.events()] == [
            "promotion_reserved", "promotion_reserved", "coupon_reserved", "coupon_applied"]
        assert store.reconcile() == []


def test_a_hot_coupon_in_slots_stops_exactly_at_its_limit(location: str) -> None:
    """32 clients on one coupon, its counters split in 16 slots: exactly 400 uses."""
    create(location)
    reports = run_workers(hot_worker, 32, location, 20)  # 640 attempts

    assert failures(reports) == []
    assert sum(r["reserved"] for r in reports) == 400
    assert {limit for r in reports for limit in r["limits"]} == {"uses"}
    with open_store(location) as store:
        assert store.counter("uses", "flash") == 400
        assert store.counter("per_coupon", "flash\x1fflash") == 400
        rows = sql(store, "SELECT slot, used, share, lim FROM counters WHERE scope = 'uses' "
                          "AND key = 'flash' ORDER BY slot")
        assert len(rows) == 16 and all(used <= share for _, used, share, _ in rows)
        assert sum(share for _, _, share, _ in rows) == 400
        assert store.reconcile() == []


def test_twenty_processes_claim_one_key_and_one_wins(location: str) -> None:
    create(location)
    reports = run_workers(claim_worker, 20, location)
    assert sorted(r["claim"] for r in reports) == ["claimed"] + ["running"] * 19


def test_a_request_retried_by_many_clients_at_once_runs_once(location: str) -> None:
    create(location)
    reports = run_workers(request_worker, 16, location)

    assert failures(reports) == []
    claims = sorted(r["claim"] for r in reports)  # a late one finds the answer stored
    assert claims[0] == "claimed" and set(claims[1:]) <= {"running", "done"}
    with open_store(location) as store:
        claim = store.claim_idempotency("retry-key", "h", now=NOW)
        assert (claim.state, claim.status, claim.body) == ("done", 201, b"the-order reserved")
        assert sql(store, "SELECT COUNT(*) FROM reservations") == [(1,)]
        assert len(store.events()) == 4
        assert store.reconcile() == []


def test_confirm_and_release_racing_never_both_win(location: str) -> None:
    create(location)
    refs = [f"o{n}" for n in range(40)]
    with open_store(location) as store:
        for n, ref in enumerate(refs):
            store.reserve(ref, LIMITED, price(LIMITED, customer=f"c{n}", coupons=["LAUNCH"]),
                          now=NOW)
    reports = run_workers(settle_worker, 8, location, refs)

    assert failures(reports) == []
    with open_store(location) as store:
        for ref in refs:
            final = store.reservation(ref).state
            outcomes = {r["outcomes"][ref] for r in reports}
            if final == "confirmed":
                assert outcomes == {("confirm", "confirmed"), ("release", "refused")}
            else:
                assert final == "released"
                assert outcomes == {("release", "released"), ("confirm", "refused")}
        kinds = {(e["order_ref"], e["event"]) for e in store.events()
                 if e["event"] in ("promotion_consumed", "promotion_released")}
        per_order = {ref: [kind for r, kind in kinds if r == ref] for ref in refs}
        assert all(len(k) == 1 for k in per_order.values())  # each settled exactly once
        confirmed = sum(1 for ref in refs if store.reservation(ref).state == "confirmed")
        assert store.counter("uses", "launch") == confirmed
        assert store.reconcile() == []


def test_sigkill_at_random_points_leaves_a_consistent_store(location: str) -> None:
    assert CTX is not None
    create(location)
    rng = random.Random(20260301)
    kills = 0
    for round_ in range(15):  # two workers per round, both killed: 30 kills
        workers = []
        for w in range(2):
            ready = CTX.Event()
            worker = CTX.Process(target=crash_worker, args=(location, 2 * round_ + w, ready),
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

    with open_store(location) as store:
        assert store.integrity_ok()
        [(reservations,)] = sql(store, "SELECT COUNT(*) FROM reservations")
        assert reservations > 30  # the workers got somewhere before dying
        # every reservation has both its uses, and no use is without its reservation
        assert sql(store, "SELECT COUNT(*) FROM reservations r WHERE (SELECT COUNT(*) FROM "
                          "uses u WHERE u.order_ref = r.order_ref) != 2") == [(0,)]
        assert sql(store, "SELECT COUNT(*) FROM uses u LEFT JOIN reservations r "
                          "ON r.order_ref = u.order_ref WHERE r.order_ref IS NULL") == [(0,)]
        # every reservation announced itself; every settled one announced that too
        per_order = dict(sql(store, "SELECT order_ref, COUNT(*) FROM events WHERE type = "
                                    "'promotion_reserved' GROUP BY order_ref"))
        assert set(per_order.values()) == {2} and len(per_order) == reservations
        [(settled,)] = sql(store, "SELECT COUNT(*) FROM reservations WHERE state != "
                                  "'reserved'")
        [(settled_events,)] = sql(store, "SELECT COUNT(DISTINCT order_ref) FROM events WHERE "
                                         "type IN ('promotion_consumed', 'promotion_released')")
        assert settled_events == settled
        assert store.reconcile() == []
        assert store.counter("uses", "launch") <= 500
