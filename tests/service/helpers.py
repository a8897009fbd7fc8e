"""Helpers of the service tests: the bundled rulesets and their carts, problem checks,
log lines, waiting.  (The server itself: ``conftest.py``.)"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from tests.service.conftest import RULESETS, Server

ERRORS = "https://promorules.dev/errors/"
PROBLEM_JSON = "application/problem+json"
TOKENS = ("svc-token-alpha-0123456789", "svc-token-bravo-9876543210")
T = TypeVar("T")


@dataclass(frozen=True)
class Bundled:
    """One bundled ruleset: its id, file, text version and sample carts."""

    id: str
    path: Path
    version: str
    carts: tuple[Path, ...]


def bundled() -> list[Bundled]:
    found = []
    for path in sorted(RULESETS.glob("*/ruleset.yaml")):
        text = path.read_text(encoding="utf-8")
        found.append(Bundled(yaml.safe_load(text)["ruleset"], path, version_of(text),
                             tuple(sorted((path.parent / "carts").glob("*.yaml")))))
    return found


def version_of(text: str) -> str:
    """The version a served ruleset is known by: 16 hex digits of its text's SHA-256."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _codes_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "coupon" and isinstance(value, str):
                yield value
            elif key == "coupons" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _codes_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _codes_in(item)


def coupon_codes(path: Path) -> set[str]:
    """Every coupon code of a ruleset file (its ``coupon:`` and ``coupons:`` keys)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return set(_codes_in(data.get("promotions", [])))


def all_coupon_codes() -> set[str]:
    return set().union(*(coupon_codes(b.path) for b in bundled()))


def assert_problem(response: httpx.Response, status: int, code: str | None = None,
                   ) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status`` (and ``code``); returns it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON, response.headers
    body: dict[str, Any] = response.json()
    assert_problem_body(body, status)
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_problem_body(body: Any, status: int) -> None:
    assert isinstance(body, dict), body
    for member, kind in (("type", str), ("title", str), ("status", int), ("detail", str),
                         ("instance", str), ("code", str)):
        assert isinstance(body.get(member), kind), (member, body)
    assert body["status"] == status, body
    assert body["type"] == ERRORS + body["code"], body
    assert body["title"] and body["detail"], body


def assert_nothing_leaks(text: str) -> None:
    """No traceback and no file path of this machine in what a client reads."""
    import sys
    import tempfile

    assert "Traceback" not in text, text
    for leak in (str(RULESETS.parent), tempfile.gettempdir(), str(Path.home()), sys.prefix,
                 sys.base_prefix, "site-packages", '.py"', ".py:"):
        assert leak not in text, (leak, text)


def wait_for(probe: Callable[[], T | None], timeout: float = 15.0, what: str = "it",
             every: float = 0.05) -> T:
    """``probe()`` until it returns something truthy; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(every)


def log_records(server: Server) -> list[dict[str, Any]]:
    """The server's stderr lines that are JSON objects (access and service logs)."""
    records = []
    for line in server.log_lines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def access_record(server: Server, request_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """The access log line of one request (it is written just after the response)."""
    def find() -> dict[str, Any] | None:
        for record in log_records(server):
            if record.get("request_id") == request_id and "route" in record:
                return record
        return None
    return wait_for(find, timeout, f"the log line of request {request_id}")


def write_tokens(path: Path, tokens: tuple[str, ...] = TOKENS) -> Path:
    path.write_text("# service tokens\n" + "\n".join(tokens) + "\n", encoding="utf-8")
    return path


def bearer(token: str = TOKENS[0]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then rename)."""
    import os

    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def raw_exchange(url: str, head: bytes, body: bytes = b"", timeout: float = 10.0,
                 ) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (a request head, maybe part of a body) and read one response:
    its status, headers (lower-case names) and body."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=timeout) as sock:
        sock.sendall(head + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        top, _, rest = received.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return status, headers, rest[:length]
