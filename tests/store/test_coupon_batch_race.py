"""Sixteen processes race to check out with one single-use batch code, on each backend:
exactly one order holds it; every other is priced without it (``coupon_used``)."""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from typing import Any

import pytest
from storekit import NOW, client, make_cart, make_ruleset, sql

from engine.usage import open_store
from engine.usage.checkout import start_checkout

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32" or "fork" not in
                                 mp.get_all_start_methods(), reason="needs fork")]

CTX = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
WORKERS = 16
VIP = make_ruleset("""\
- id: vip
  coupon_batch: SPRING-VIP
  coupon_pattern: "SPRING-####-####"
  effect: { percent_off: 15 }
  limits: { per_customer: 1 }
""")


def racer(n: int, barrier: Any, reports: Any, location: str, code: str) -> None:
    report: dict[str, Any] = {"worker": n, "failures": []}
    try:
        with client(location) as store:
            barrier.wait()
            done = start_checkout(store, VIP, make_cart(customer=f"c{n}", coupons=[code]),
                                  f"order-{n}", at=NOW)
            report["applied"] = [a.promotion for a in done.result.applied]
            rejected = done.result.rejection("vip")
            report["rejected"] = rejected.code if rejected else None
            report["total"] = str(done.result.total)
    except Exception as err:  # noqa: BLE001 - anything but a price is a failure
        report["failures"].append(repr(err))
    reports.put(report)


def test_one_code_sixteen_checkouts_exactly_one_holds_it(location: str) -> None:
    assert CTX is not None
    pattern = VIP.promotions[0].batch_pattern
    assert pattern is not None
    with open_store(location) as store:  # closed before the fork
        store.generate_codes("SPRING-VIP", pattern, 3, now=NOW)
        found: list[tuple[str, str]] = []
        store.export_codes("SPRING-VIP", found.extend)
    code = found[0][0].upper()

    barrier, reports = CTX.Barrier(WORKERS), CTX.Queue()
    workers = [CTX.Process(target=racer, args=(n, barrier, reports, location, code),
                           daemon=True) for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 120
    out = [reports.get(timeout=max(0.1, deadline - time.monotonic())) for _ in workers]
    for worker in workers:
        worker.join(timeout=max(0.1, deadline - time.monotonic()))
    assert [w.exitcode for w in workers] == [0] * WORKERS
    assert [f for r in out for f in r["failures"]] == []

    winners = [r for r in out if r["applied"] == ["vip"]]
    assert len(winners) == 1 and winners[0]["total"] == "85.00"  # 100.00 - 15%
    losers = [r for r in out if r["applied"] == []]
    assert len(losers) == WORKERS - 1
    assert {r["rejected"] for r in losers} == {"coupon_used"}
    assert {r["total"] for r in losers} == {"100.00"}

    with open_store(location) as store:
        assert store.batch_status("SPRING-VIP") == {"unused": 2, "reserved": 1, "used": 0}
        holder = sql(store, "SELECT order_ref FROM batch_codes WHERE state = 'reserved'")
        assert holder == [(f"order-{winners[0]['worker']}",)]
        assert sql(store, "SELECT COUNT(*) FROM uses WHERE promotion = 'vip'") == [(1,)]
        assert sql(store, "SELECT COUNT(*) FROM reservations") == [(WORKERS,)]
        assert store.reconcile() == []
