"""Bearer tokens (``--token-file``): the checkout saga, the event feed and the usage read
model need one; reads need one with ``--protect-reads`` (health and readiness never);
the service refuses to listen beyond loopback without tokens unless told it is fine."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import FASHION, ROOT, RULESETS, Server, cart_json, start_server
from tests.service.helpers import TOKENS, assert_problem, bearer, write_tokens

CART = cart_json(RULESETS / "fashion" / "carts" / "example.yaml")
WRONG = "svc-token-wrong-000000000000"

# (method, path, JSON body or None): every call that needs a token
PROTECTED = [
    ("POST", f"/v1/rulesets/{FASHION}/checkouts", {"order_ref": "auth-1", "cart": CART}),
    ("POST", "/v1/checkouts/auth-1/confirm", None),
    ("POST", "/v1/checkouts/auth-1/release", None),
    ("GET", "/v1/checkouts/auth-1", None),
    ("GET", "/v1/events", None),
    ("GET", f"/v1/rulesets/{FASHION}/usage", None),
]
READS = [
    ("POST", f"/v1/rulesets/{FASHION}/evaluate", CART),
    ("POST", f"/v1/rulesets/{FASHION}/coupons/validate", {"code": "WELCOME10", "cart": CART}),
    ("GET", f"/v1/rulesets/{FASHION}/promotions", None),
    ("GET", "/metrics", None),
    ("GET", "/openapi.json", None),
    ("GET", "/docs", None),
]


def call(client: httpx.Client, method: str, path: str, body: Any,
         headers: dict[str, str] | None = None, key: str = "auth-key") -> httpx.Response:
    all_headers = {"Idempotency-Key": key, **(headers or {})}
    if body is None:
        return client.request(method, path, headers=all_headers)
    return client.request(method, path, json=body, headers=all_headers)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    where = tmp_path_factory.mktemp("auth")
    server = start_server([str(RULESETS), "--no-watch", "--db", str(where / "usage.db"),
                           "--client-time", "--token-file", str(write_tokens(where / "tokens"))],
                          where / "serve.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    where = tmp_path_factory.mktemp("closed")
    server = start_server([str(RULESETS), "--no-watch", "--protect-reads",
                           "--token-file", str(write_tokens(where / "tokens"))],
                          where / "serve.log")
    yield server
    server.stop()


def assert_needs_token(answer: httpx.Response) -> None:
    found = assert_problem(answer, 401, "PR607")
    assert answer.headers["www-authenticate"].startswith("Bearer"), answer.headers
    assert "Authorization" in found["detail"]


def assert_refused(answer: httpx.Response) -> None:
    assert_problem(answer, 403, "PR608")
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_state_changes_and_operator_reads_need_a_token(guarded: Server, method: str, path: str,
                                                       body: Any) -> None:
    with guarded.client() as client:
        assert_needs_token(call(client, method, path, body))
        assert_needs_token(call(client, method, path, body, {"Authorization": "Basic eDp5"}))
        assert_needs_token(call(client, method, path, body, {"Authorization": "Bearer"}))
        assert_refused(call(client, method, path, body, bearer(WRONG)))
        assert_refused(call(client, method, path, body, bearer(TOKENS[0] + "x")))
        assert_refused(call(client, method, path, body, bearer(TOKENS[0][:-1])))


def test_either_token_is_accepted(guarded: Server) -> None:
    with guarded.client() as client:
        for token in TOKENS:
            for method, path, body in PROTECTED:
                answer = call(client, method, path, body, bearer(token), key=f"{token}{path}")
                assert answer.status_code not in (401, 403), (path, answer.text)
        # and they did what was asked: the checkout started, confirmed, shows
        shown = client.get("/v1/checkouts/auth-1", headers=bearer(TOKENS[1]))
        assert shown.status_code == 200 and shown.json()["state"] == "confirmed", shown.text


def test_a_token_is_checked_before_the_body_is_read(guarded: Server) -> None:
    with guarded.client() as client:
        assert_needs_token(client.post(f"/v1/rulesets/{FASHION}/checkouts", content=b"{bad",
                                       headers={"content-type": "application/json"}))
        assert_needs_token(client.post("/v1/checkouts/x/confirm", content=b"x" * 100,
                                       headers={"content-type": "text/plain"}))


def test_reads_are_open_without_protect_reads(guarded: Server) -> None:
    with guarded.client() as client:
        for method, path, body in READS:
            answer = call(client, method, path, body)
            assert answer.status_code == 200, (path, answer.text)


def test_protect_reads_closes_every_read(closed: Server) -> None:
    with closed.client() as client:
        for method, path, body in READS:
            assert_needs_token(call(client, method, path, body))
            assert_refused(call(client, method, path, body, bearer(WRONG)))
            answer = call(client, method, path, body, bearer(TOKENS[1]))
            assert answer.status_code == 200, (path, answer.text)
        # an unknown ruleset is not named to a caller without a token
        assert_needs_token(client.post("/v1/rulesets/nope/evaluate", json=CART))
        assert_needs_token(client.get("/v1/rulesets/nope/usage"))


def test_health_and_readiness_stay_open(closed: Server) -> None:
    with closed.client() as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"


# ------------------------------------------------------------------ starting


def promo_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", "serve", str(RULESETS), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_beyond_loopback_without_tokens_is_refused() -> None:
    done = promo_serve("--host", "0.0.0.0", "--port", "0", "--no-watch")
    assert done.returncode == 2, done
    assert "PR614" in done.stderr and "--token-file" in done.stderr, done.stderr
    assert "--insecure" in done.stderr and "0.0.0.0" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_insecure_allows_it(serve: Any) -> None:
    server = serve("--host", "0.0.0.0", "--insecure", "--no-watch", str(RULESETS))
    assert server.url.startswith("http://0.0.0.0:")
    port = server.url.rsplit(":", 1)[1]
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    server.stop()
    assert server.process.returncode is not None


@pytest.mark.parametrize("tokens", [("a-good-token-of-24-chars", "short"), ("# only a comment",)])
def test_a_token_file_without_usable_tokens_is_refused(tmp_path: Path,
                                                       tokens: tuple[str, ...]) -> None:
    path = write_tokens(tmp_path / "tokens", tokens)
    done = promo_serve("--token-file", str(path), "--port", "0", "--no-watch")
    assert done.returncode == 2, done
    assert "PR614" in done.stderr and "--token-file" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
