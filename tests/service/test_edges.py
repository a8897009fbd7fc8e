"""Edges found by an adversarial review: workers that die, early reload signals, order
references that print alike, lone surrogates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, Server
from .test_checkouts import flash_checkout, flash_ruleset, post

NOT_TEXT = b'{"order_ref": "o-1", "cart": {"id": "c", "currency": "EUR", "lines": [], ' \
    b'"customer": {"id": "\\ud800"}}}'


def hangup_ignored(pid: int) -> bool:
    """Whether the process ignores SIGHUP (bit 1 of ``SigIgn`` in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGHUP - 1)))
    return False


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


@pytest.mark.slow
def test_a_worker_killed_later_is_replaced_and_the_service_goes_on(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve(str(flash_ruleset(tmp_path, 10)), "--workers", "2", "--no-watch",
                   "--quiet")
    time.sleep(11)  # past the start-up window, in which an exit 2 stops the service
    workers = [pid for pid in children(server.process.pid)
               if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(workers) >= 2
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.process.poll() is None and len(children(server.process.pid)) >= 3:
            break
        time.sleep(0.2)
    assert server.process.poll() is None
    with server.client() as client:
        for _ in range(10):
            assert client.get("/healthz").status_code == 200


def test_reload_signals_while_starting_do_not_stop_the_server(tmp_path: Path) -> None:
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve",
                                str(ROOT / "rulesets"), "--port", "0", "--no-watch"],
                               cwd=ROOT, stderr=log, stdout=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        # from the moment promo serve ignores SIGHUP (before it loads anything; the
        # interpreter's own start-up cannot), signal it while it loads and binds
        deadline = time.monotonic() + 30
        while not hangup_ignored(process.pid):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        for _ in range(10):
            process.send_signal(signal.SIGHUP)
            time.sleep(0.05)
        deadline = time.monotonic() + 30
        while "listening on" not in (tmp_path / "serve.log").read_text():
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        url = (tmp_path / "serve.log").read_text().split("listening on ")[1].split()[0]
        for _ in range(50):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert process.poll() is None and httpx.get(url + "/healthz").status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def test_a_key_does_not_carry_over_to_an_order_that_prints_alike(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve(str(flash_ruleset(tmp_path, 10)), "--db", str(tmp_path / "u.sqlite"),
                   "--no-watch")
    with server.client() as client:
        for ref in ("o?1", "o%3F1"):
            started = post(client, "/v1/rulesets/flash-sale/checkouts", f"s-{ref}",
                           flash_checkout(ref))
            assert started.status_code == 200
        first = post(client, "/v1/checkouts/o%3F1/confirm", "K")  # the path of "o?1"
        assert first.json()["order_ref"] == "o?1"
        other = post(client, "/v1/checkouts/o%253F1/confirm", "K")  # of "o%3F1"
        assert other.status_code == 422 and other.json()["code"] == "PR605"
        assert client.get("/v1/checkouts/o%253F1").json()["state"] == "reserved"


def test_a_lone_surrogate_is_a_bad_request_not_an_error(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve(str(flash_ruleset(tmp_path, 10)), "--db", str(tmp_path / "u.sqlite"),
                   "--no-watch")
    json_type = {"content-type": "application/json"}
    with server.client() as client:
        for path, body, headers in [
                ("/v1/rulesets/flash-sale/checkouts", NOT_TEXT, {"Idempotency-Key": "k"}),
                ("/v1/rulesets/flash-sale/checkouts", b'{"\\ud800": 1}',
                 {"Idempotency-Key": "k2"}),
                ("/v1/rulesets/flash-sale/evaluate", b'{"id": "\\udfff"}', {})]:
            answer = client.post(path, content=body, headers={**json_type, **headers})
            assert answer.status_code == 400, answer.text
            assert answer.json()["code"] == "PR600"
        paired = client.post("/v1/rulesets/flash-sale/evaluate", headers=json_type,
                             content=b'{"id": "cart-\\ud83d\\ude00", "currency": "EUR", '
                                     b'"lines": [{"id": "l1", "sku": "S", '
                                     b'"unit_price": "5.00", "quantity": 1}]}')
        assert paired.status_code == 200 and paired.json()["cart"] == "cart-\U0001F600"
