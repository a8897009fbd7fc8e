"""What an operator sees: one JSON access line per request, request ids, Prometheus
metrics, the contract and its page, readiness with a store."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.service.conftest import FASHION, ROOT, RULESETS, Server, cart_json, start_server
from tests.service.helpers import access_record, bundled, log_records

CART = cart_json(RULESETS / "fashion" / "carts" / "example.yaml")
EVALUATE = f"/v1/rulesets/{FASHION}/evaluate"
VERSION = {b.id: b.version for b in bundled()}[FASHION]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """With a usage store at a path where there is none yet."""
    where = tmp_path_factory.mktemp("observe")
    server = start_server([str(RULESETS), "--no-watch", "--client-time",
                           "--db", str(where / "usage.db")], where / "serve.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


# ------------------------------------------------------------------ access log


def test_each_request_logs_one_json_line(server: Server, client: httpx.Client) -> None:
    answer = client.post(EVALUATE, json=CART, headers={"X-Request-Id": "obs-1.evaluate:A"})
    assert answer.headers["x-request-id"] == "obs-1.evaluate:A"
    record = access_record(server, "obs-1.evaluate:A")
    assert record["route"] == "/v1/rulesets/{id}/evaluate"
    assert (record["method"], record["status"]) == ("POST", 200)
    assert record["ruleset_version"] == VERSION == answer.headers["promo-ruleset-version"]
    assert isinstance(record["duration_ms"], int | float) and record["duration_ms"] >= 0
    moment = dt.datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(moment - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    time.sleep(0.2)
    assert [r.get("request_id") for r in log_records(server)].count("obs-1.evaluate:A") == 1


def test_lines_without_a_ruleset_and_refusals(server: Server, client: httpx.Client) -> None:
    client.get("/healthz", headers={"X-Request-Id": "obs-health"})
    health = access_record(server, "obs-health")
    assert (health["route"], health["status"]) == ("/healthz", 200)
    assert "ruleset_version" not in health
    client.get(f"/v1/rulesets/{FASHION}/promotions", params={"active_at": "nonsense"},
               headers={"X-Request-Id": "obs-refused"})
    refused = access_record(server, "obs-refused")
    assert (refused["route"], refused["status"]) == ("/v1/rulesets/{id}/promotions", 400)
    assert refused["ruleset_version"] == VERSION
    client.get("/no/such/thing", headers={"X-Request-Id": "obs-nowhere"})
    nowhere = access_record(server, "obs-nowhere")
    assert nowhere["status"] == 404 and "{" not in nowhere["route"]
    assert "Traceback" not in "\n".join(server.log_lines())


@pytest.mark.parametrize("hostile", ["has spaces in it", "x" * 1000, "semi;colon",
                                     "quote\"d", "ünïcödé"])
def test_a_hostile_request_id_is_replaced(server: Server, client: httpx.Client,
                                          hostile: str) -> None:
    answer = client.get("/healthz", headers={"X-Request-Id": hostile.encode()})
    given = answer.headers["x-request-id"]
    assert given != hostile and re.fullmatch(r"[0-9a-f]{12}-[0-9a-f]+", given), given
    record = access_record(server, given)
    assert record["route"] == "/healthz"
    assert hostile not in "\n".join(server.log_lines())


def test_a_request_id_is_made_when_none_is_given(server: Server, client: httpx.Client) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert first != second
    assert access_record(server, first)["status"] == 200


# ------------------------------------------------------------------ metrics


def scrape(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def sample(families: dict[str, Any], family: str, name: str, **labels: str) -> float:
    for found in families[family].samples:
        if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
            return float(found.value)
    return 0.0


def test_metrics_count_requests_by_route_method_and_status(client: httpx.Client) -> None:
    route = {"route": "/v1/rulesets/{id}/evaluate", "method": "POST"}
    before = scrape(client)
    for _ in range(3):
        assert client.post(EVALUATE, json=CART).status_code == 200
    client.post(EVALUATE, json={"id": "broken"})
    after = scrape(client)
    name = "promo_http_requests_total"
    assert sample(after, "promo_http_requests", name, status="200", **route) - \
        sample(before, "promo_http_requests", name, status="200", **route) == 3
    assert sample(after, "promo_http_requests", name, status="422", **route) - \
        sample(before, "promo_http_requests", name, status="422", **route) == 1
    latency = "promo_http_request_duration_seconds"
    count = sample(after, latency, latency + "_count", **route)
    assert count - sample(before, latency, latency + "_count", **route) == 4
    assert sample(after, latency, latency + "_bucket", le="+Inf", **route) == count
    assert sample(after, latency, latency + "_sum", **route) > 0
    buckets = [s for s in after[latency].samples if s.name == latency + "_bucket"
               and s.labels["route"] == route["route"]]
    assert len(buckets) >= 10


def test_metrics_say_which_versions_are_served(client: httpx.Client) -> None:
    families = scrape(client)
    info = {(s.labels["ruleset"], s.labels["version"]): s.value
            for s in families["promo_ruleset_version_info"].samples}
    assert info == {(b.id, b.version): 1.0 for b in bundled()}


def test_metrics_count_reservations_by_state(client: httpx.Client) -> None:
    states = {s.labels["state"]: s.value for s in scrape(client)["promo_reservations"].samples}
    assert {"reserved", "confirmed", "released", "expired"} <= set(states)
    started = client.post(f"/v1/rulesets/{FASHION}/checkouts",
                          json={"order_ref": "obs-order-1", "cart": CART},
                          headers={"Idempotency-Key": "obs-key-1"})
    assert started.status_code == 200, started.text
    after = {s.labels["state"]: s.value for s in scrape(client)["promo_reservations"].samples}
    assert after["reserved"] == states["reserved"] + 1
    assert client.post("/v1/checkouts/obs-order-1/confirm",
                       headers={"Idempotency-Key": "obs-key-2"}).status_code == 200
    settled = {s.labels["state"]: s.value for s in scrape(client)["promo_reservations"].samples}
    assert settled["reserved"] == states["reserved"]
    assert settled["confirmed"] == states["confirmed"] + 1


# ------------------------------------------------------------------ contract, docs, health


def test_the_contract_served_is_the_file(client: httpx.Client) -> None:
    served = client.get("/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    text = (ROOT / "schemas" / "promotions.v1.yaml").read_text(encoding="utf-8")
    assert served.json() == yaml.safe_load(text)


def test_the_docs_page_needs_nothing_from_elsewhere(server: Server,
                                                    client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<table" in page.text and "/v1/rulesets/{id}/evaluate" in page.text
    own = server.url.split("://", 1)[1]
    for url in re.findall(r"(?i)(?:https?:)?//[^\s\"'<>)]+", page.text):
        assert url.split("//", 1)[1].startswith(own), url
    assert "<script" not in page.text.lower()


def test_ready_with_a_fresh_store(client: httpx.Client) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    report = ready.json()
    assert (report["status"], report["store"], report["failed"]) == ("ready", "ok", [])
    assert sorted(r["id"] for r in report["rulesets"]) == sorted(VERSION_BY_ID)
    assert {r["id"]: r["version"] for r in report["rulesets"]} == VERSION_BY_ID
    assert client.get("/healthz").json() == {"status": "ok"}


VERSION_BY_ID = {b.id: b.version for b in bundled()}


def test_keep_alive_requests_do_not_stall(client: httpx.Client) -> None:
    """Answers on one connection come at once (no ~40 ms Nagle / delayed-ACK stall)."""
    client.get("/healthz")
    took = []
    for _ in range(21):
        started = time.perf_counter()
        client.get("/healthz")
        took.append(time.perf_counter() - started)
    assert statistics.median(took) < 0.035, took  # a stall is 40 ms at least (Linux)
