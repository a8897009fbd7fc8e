"""A real ``promo serve`` on a loopback port, in its own process, driven over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULESETS = ROOT / "rulesets"
FASHION = "nordlicht-fashion-2026"
LISTENING = re.compile(r"listening on (http://\S+)")


def cart_json(path: Path) -> dict[str, Any]:
    """A sample cart (YAML) as the JSON a checkout would send."""
    data: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
    return data


@dataclass
class Server:
    """One running ``promo serve``: its process, base URL and log (stderr) lines."""

    process: subprocess.Popen[str]
    url: str
    log_path: Path
    args: list[str] = field(default_factory=list)
    log_file: IO[str] | None = None

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def log_lines(self) -> list[str]:
        # JSON lines end at "\n" only: a logged path may hold U+2028 or U+0085, which JSON
        # writes as they are and str.splitlines would take for line breaks
        return self.log_path.read_text(encoding="utf-8").split("\n")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)  # its workers too (they share its group)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.log_file is not None:
            self.log_file.close()


def start_server(args: list[str], log_path: Path, env: dict[str, str] | None = None,
                 timeout: float = 30.0) -> Server:
    """Start ``promo serve ARGS --port 0`` and wait until it answers ``/healthz``."""
    log = log_path.open("w", encoding="utf-8")
    command = [sys.executable, "-m", "engine.cli", "serve", *args, "--port", "0"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                               text=True, env={**os.environ, **(env or {})},
                               start_new_session=True)
    deadline = time.monotonic() + timeout
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise AssertionError(f"promo serve exited {process.returncode}:\n"
                                 f"{log_path.read_text()}")
        found = LISTENING.search(log_path.read_text(encoding="utf-8"))
        if found:
            url = found.group(1)
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    return Server(process, url, log_path, args, log)
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    process.kill()
    process.wait()
    log.close()
    raise AssertionError(f"promo serve did not answer in {timeout} s:\n{log_path.read_text()}")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``serve(*args, env=None)``: a server started for this test, stopped after it."""
    started: list[Server] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Server:
        server = start_server(list(args), tmp_path / f"serve-{len(started)}.log", env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def pricing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server over every bundled ruleset, no store: shared by a module's read tests."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    server = start_server([str(RULESETS), "--no-watch"], log)
    yield server
    server.stop()
