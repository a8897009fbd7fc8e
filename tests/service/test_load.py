"""Many clients, several workers, one limit: exactly the limit over HTTP, and nothing
acknowledged is lost when the server is killed in the middle."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dsl.errors import PromoError
from engine.usage import open_store

from .conftest import ROOT, Server
from .test_checkouts import flash_ruleset

pytestmark = pytest.mark.slow
LOAD = Path(__file__).with_name("load.py")


def clients(server: Server, tmp_path: Path, count: int, each: int,
            ) -> list[tuple[subprocess.Popen[bytes], Path]]:
    started = []
    for n in range(count):
        out = tmp_path / f"client-{n}.json"
        process = subprocess.Popen([sys.executable, str(LOAD), server.url, "flash-sale",
                                    f"c{n}", str(each), str(out)], cwd=ROOT)
        started.append((process, out))
    return started


def acknowledged(started: list[tuple[subprocess.Popen[bytes], Path]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for process, out in started:
        assert process.wait(timeout=600) == 0
        found.update(json.loads(out.read_text()))
    return found


def test_eight_clients_two_workers_take_exactly_the_limit(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite"
    server = serve(str(flash_ruleset(tmp_path, 100)), "--db", str(db), "--workers", "2",
                   "--no-watch", "--quiet")
    done = acknowledged(clients(server, tmp_path, 8, 50))
    assert len(done) == 400
    holders = [ref for ref, ack in done.items() if "flash-20" in ack["uses"]]
    assert len(holders) == 100
    assert all(ack["state"] == "confirmed" for ack in done.values())
    with open_store(db) as store:
        assert store.counter("uses", "flash-20") == 100
        assert store.reconcile() == []
        assert store.reservation_counts()["confirmed"] == 400


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A schema in a throwaway PostgreSQL cluster (the store tests' ``pgcluster``)."""
    sys.path.insert(0, str(ROOT / "tests" / "store"))
    from pgcluster import server_for_tests

    server = server_for_tests()
    yield server.new_schema()
    server.stop()


def test_four_workers_on_one_postgresql_take_exactly_the_limit(
        serve: Callable[..., Server], tmp_path: Path, postgres_url: str) -> None:
    server = serve(str(flash_ruleset(tmp_path, 100)), "--db", postgres_url, "--workers", "4",
                   "--no-watch", "--quiet")
    done = acknowledged(clients(server, tmp_path, 8, 25))
    assert len(done) == 200
    assert sum("flash-20" in ack["uses"] for ack in done.values()) == 100
    with open_store(postgres_url) as store:
        assert store.counter("uses", "flash-20") == 100
        assert store.reconcile() == []
        assert store.reservation_counts()["confirmed"] == 200


def _wait_for_confirmed(db: Path, count: int, seconds: float = 120.0) -> None:
    """Until the store holds ``count`` confirmed checkouts (each one's start was
    answered before its confirm was sent): on a busy machine the clients may take
    seconds to get going."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open_store(db, readonly=True) as store:
                if store.reservation_counts().get("confirmed", 0) >= count:
                    return
        except PromoError:  # (not created yet, or being created by the server)
            pass
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} checkouts confirmed in {seconds:.0f} s")


def test_a_server_killed_mid_load_loses_nothing_it_acknowledged(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite"
    ruleset = flash_ruleset(tmp_path, 150)
    server = serve(str(ruleset), "--db", str(db), "--workers", "2", "--no-watch", "--quiet")
    started = clients(server, tmp_path, 4, 100)
    _wait_for_confirmed(db, 10)  # (mid-load: 400 checkouts in all)
    server.stop(signal.SIGKILL)  # the whole process group: parent and workers
    done = acknowledged(started)
    assert done, "no checkout was acknowledged before the kill"
    again = serve(str(ruleset), "--db", str(db), "--no-watch", "--quiet")
    with open_store(db) as store:
        assert store.integrity_ok() and store.reconcile() == []
        for ref, ack in done.items():
            if ack["state"] in ("reserved", "confirmed"):
                held = store.reservation(ref)
                assert held.state in ("reserved", "confirmed")
                assert ack["state"] != "confirmed" or held.state == "confirmed"
                assert sorted(u.promotion for u in held.uses) == ack["uses"]
        assert store.counter("uses", "flash-20") <= 150
    with again.client() as client:  # and the restarted server goes on from there
        answer = client.post("/v1/rulesets/flash-sale/checkouts",
                             json={"order_ref": "after", "cart": json.loads(json.dumps(
                                 {"id": "x", "currency": "EUR", "lines": [
                                     {"id": "l1", "sku": "S", "unit_price": "9.00",
                                      "quantity": 1}]}))},
                             headers={"Idempotency-Key": "after-restart"})
        assert answer.status_code == 200
