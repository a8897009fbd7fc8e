"""The playground's endpoints over HTTP, on a real ``promo serve --playground`` (and off by
default): texts in, diagnostics at line and column or the priced result out."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dsl.codes import AUTH_REQUIRED, BAD_REQUEST_FIELD, BODY_TOO_LARGE, NO_SUCH_ROUTE, NOT_JSON
from engine.cart import load_cart_text
from engine.program import evaluate
from tests.service.conftest import FASHION, ROOT, RULESETS, Server, start_server
from tests.service.helpers import assert_nothing_leaks, assert_problem, bearer, write_tokens

RULESET = RULESETS / "fashion" / "ruleset.yaml"
EXAMPLE = RULESETS / "fashion" / "carts" / "example.yaml"


def line_of(text: str, needle: str, start: int = 1) -> int:
    """The 1-based number of the first line at or after ``start`` holding ``needle``."""
    for number, line in enumerate(text.splitlines(), 1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("playground") / "serve.log"
    server = start_server([str(RULESETS), "--no-watch", "--playground", "--max-body",
                           "65536"], log)
    yield server
    server.stop()


@pytest.fixture
def client(playground: Server) -> Iterator[httpx.Client]:
    with playground.client() as client:
        yield client


def texts(**changes: Any) -> dict[str, Any]:
    return {"ruleset": RULESET.read_text(), "cart": EXAMPLE.read_text(), **changes}


def test_off_by_default_the_page_says_how_to_turn_it_on(pricing_server: Server) -> None:
    with pricing_server.client() as client:
        page = client.get("/")
        assert page.status_code == 200 and "--playground" in page.text
        assert "promo play RULESET" in page.text
        answer = client.post("/v1/playground/evaluate", json=texts())
        body = assert_problem(answer, 404, NO_SUCH_ROUTE)
        assert "--playground" in body["detail"]
        assert_problem(client.get("/playground/playground.js"), 404, NO_SUCH_ROUTE)
        assert_problem(client.get("/v1/playground/samples"), 404, NO_SUCH_ROUTE)


def test_the_page_and_its_files_load_nothing_from_elsewhere(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/playground/") or s == "data:," for s in sources)
    for name in ("playground.js", "editor.js", "texts.js", "playground.css"):
        asset = client.get(f"/playground/{name}")
        assert asset.status_code == 200, name
        assert "http://" not in asset.text and "https://" not in asset.text, name
    assert_problem(client.get("/playground/..%2Fapp.py"), 404, NO_SUCH_ROUTE)
    assert_problem(client.get("/playground/nothing.js"), 404, NO_SUCH_ROUTE)


def test_the_samples_are_the_carts_beside_each_ruleset(client: httpx.Client) -> None:
    rulesets = {r["id"]: r for r in client.get("/v1/playground/samples").json()["rulesets"]}
    fashion = rulesets[FASHION]
    assert fashion["text"] == RULESET.read_text()
    assert [c["name"] for c in fashion["carts"]] == sorted(
        p.name for p in (RULESETS / "fashion" / "carts").glob("*.yaml"))
    assert fashion["carts"][0]["text"] == (RULESETS / "fashion" / "carts" /
                                           fashion["carts"][0]["name"]).read_text()
    assert len(rulesets) == len(list(RULESETS.glob("*/ruleset.yaml")))


def test_evaluate_prices_the_texts_and_says_where_things_are(client: httpx.Client) -> None:
    ruleset, cart = RULESET.read_text(), EXAMPLE.read_text()
    answer = client.post("/v1/playground/evaluate", json=texts())
    assert answer.status_code == 200, answer.text
    data = answer.json()
    expected = evaluate(__import__("dsl").load_ruleset(RULESET), load_cart_text(cart))
    assert data["result"] == expected.to_dict()
    vip = data["promotions"]["vip-15"]
    assert vip["line"] == line_of(ruleset, "- id: vip-15")
    assert vip["end_line"] == line_of(ruleset, "group: member-discount")  # its last key
    l3 = data["cart_lines"]["l3"]
    assert l3["line"] == line_of(cart, "- id: l3")
    assert l3["end_line"] == line_of(cart, "- id: l4") - 1


def test_explain_adds_the_trace_of_every_promotion(client: httpx.Client) -> None:
    plain = client.post("/v1/playground/evaluate", json=texts()).json()
    answer = client.post("/v1/playground/evaluate?explain=true", json=texts())
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert "explain" not in plain and data["result"] == plain["result"]
    traced = {p["id"]: p for p in data["explain"]["promotions"]}
    assert set(traced) == {p["promotion"] for p in data["result"]["applied"]} | {
        p["promotion"] for p in data["result"]["rejected"] if p["promotion"]}
    when = traced["vip-15"]["conditions"][0]
    assert when["field"] == "when" and when["root"]["truth"] is True
    assert when["span"]["file"] == "ruleset.yaml"  # the text sent, not a server path
    assert when["span"]["line"] == line_of(RULESET.read_text(), 'when: customer.segments')
    assert_problem(client.post("/v1/playground/evaluate?explain=maybe", json=texts()), 400,
                   BAD_REQUEST_FIELD)


def test_a_changed_ruleset_is_priced_as_written(client: httpx.Client) -> None:
    ruleset = RULESET.read_text().replace("effect: { percent_off: 15 }",
                                          "effect: { percent_off: 25 }")
    answer = client.post("/v1/playground/evaluate", json=texts(ruleset=ruleset))
    assert answer.status_code == 200, answer.text
    before = client.post("/v1/playground/evaluate", json=texts()).json()["result"]
    after = answer.json()["result"]
    vip_before = next(a for a in before["applied"] if a["promotion"] == "vip-15")
    vip_after = next(a for a in after["applied"] if a["promotion"] == "vip-15")
    assert vip_after["amount"] != vip_before["amount"] and after["total"] != before["total"]


def test_a_mistake_is_a_problem_with_its_line_and_column(client: httpx.Client) -> None:
    ruleset = RULESET.read_text().replace("effect: { percent_off: 15 }",
                                          "effect: { percent_off: 15x }")
    cart = EXAMPLE.read_text().replace("quantity: 1", "quantity: -1", 1)
    answer = client.post("/v1/playground/evaluate", json=texts(ruleset=ruleset, cart=cart))
    body = assert_problem(answer, 422)
    found = {d["document"]: d for d in body["diagnostics"]}
    line = line_of(ruleset, "percent_off: 15x")
    assert found["ruleset"]["line"] == line
    assert found["ruleset"]["column"] == ruleset.splitlines()[line - 1].index("15x") + 1
    assert found["ruleset"]["path"] == "$.ruleset"
    assert found["cart"]["line"] == line_of(cart, "quantity: -1")
    assert_nothing_leaks(answer.text)


def test_lint_lists_errors_and_rule_findings_in_both_texts(client: httpx.Client) -> None:
    # without its suppression comments, the 2026 calendar's ended windows are findings
    ruleset = "\n".join(line for line in RULESET.read_text().splitlines()
                        if "promo: ignore[PR203]" not in line)
    answer = client.post("/v1/playground/lint", json={
        "ruleset": ruleset, "cart": "id: c\ncurrency: EUR\nlines: []\nsurprise: 1\n",
        "at": "2027-03-01T00:00:00+01:00"})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    ended = [d for d in data["diagnostics"] if d["code"] == "PR203"]
    assert ended and all(d["document"] == "ruleset" for d in ended)
    assert ended[0]["line"] == line_of(ruleset, "- id: black-friday-30") or \
        ended[0]["line"] >= line_of(ruleset, "promotions:")
    cart = [d for d in data["diagnostics"] if d["document"] == "cart"]
    assert cart and cart[0]["line"] == 4 and cart[0]["column"] == 1
    assert data["promotions"]["black-friday-30"]["line"] == line_of(ruleset,
                                                                     "- id: black-friday-30")


def test_a_ruleset_that_is_not_yaml_still_gets_diagnostics(client: httpx.Client) -> None:
    answer = client.post("/v1/playground/lint", json={"ruleset": "promotions: [\n  - {\n"})
    assert answer.status_code == 200
    diagnostics = answer.json()["diagnostics"]
    assert diagnostics and diagnostics[0]["severity"] == "error"
    assert diagnostics[0]["line"] >= 1 and answer.json()["promotions"] == {}


def test_the_rule_test_expects_what_the_result_is(client: httpx.Client,
                                                  tmp_path: Path) -> None:
    answer = client.post("/v1/playground/ruletest", json=texts(
        at="2026-07-20T10:00:00+02:00", name="summer VIP"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/yaml")
    folder = tmp_path / "fashion"
    (folder / "tests").mkdir(parents=True)
    (folder / "ruleset.yaml").write_text(RULESET.read_text())
    (folder / "tests" / "playground.yaml").write_text(answer.text)
    run = subprocess.run([sys.executable, "-m", "engine.cli", "test", str(folder)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS summer VIP" in run.stdout and "1 passed, 0 failed" in run.stdout


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"cart": "id: x"}, 400, BAD_REQUEST_FIELD),
    ({"ruleset": 1, "cart": "id: x"}, 400, BAD_REQUEST_FIELD),
    ({"ruleset": "x", "cart": "y", "extra": 1}, 400, BAD_REQUEST_FIELD),
    ({"ruleset": "x", "cart": "y", "at": "yesterday"}, 400, BAD_REQUEST_FIELD),
    ({"ruleset": "x" * 70_000, "cart": "y"}, 413, BODY_TOO_LARGE),
])
def test_a_bad_request_is_a_problem(client: httpx.Client, body: dict[str, Any], status: int,
                                    code: str) -> None:
    for route in ("lint", "evaluate", "ruletest"):
        if route == "lint" and "cart" in body and "ruleset" not in body:
            continue
        assert_problem(client.post(f"/v1/playground/{route}", json=body), status, code)


def test_a_body_that_is_not_json_is_refused(client: httpx.Client) -> None:
    answer = client.post("/v1/playground/lint", content=b"ruleset: x",
                         headers={"content-type": "application/yaml"})
    assert_problem(answer, 415, NOT_JSON)


def test_the_playground_is_refused_off_loopback_without_insecure() -> None:
    run = subprocess.run([sys.executable, "-m", "engine.cli", "serve", str(RULESETS),
                          "--playground", "--host", "0.0.0.0", "--port", "0",
                          "--token-file", str(ROOT / "pyproject.toml")],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 2, run.stderr
    assert "--playground on --host 0.0.0.0" in run.stderr and "Traceback" not in run.stderr


def test_promo_play_serves_the_files_given(tmp_path: Path) -> None:
    cart = tmp_path / "mine.yaml"
    cart.write_text(EXAMPLE.read_text().replace("SPRING20", "WELCOME10"))
    out = tmp_path / "play.out"
    with out.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-m", "engine.cli", "play", str(RULESET),
                                    str(cart), "--no-browser"], stdout=sink,
                                   stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        from tests.service.helpers import wait_for

        found = wait_for(lambda: re.search(r"promo play: (http://127\.0\.0\.1:\d+)/",
                                           out.read_text()), 30, "the page's address")
        rulesets = httpx.get(found.group(1) + "/v1/playground/samples").json()["rulesets"]
        assert [r["id"] for r in rulesets] == [FASHION]
        first = rulesets[0]["carts"][0]
        assert first == {"name": "mine.yaml", "text": cart.read_text(), "given": True}
        assert httpx.get(found.group(1) + "/").headers["content-security-policy"]
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_with_protect_reads_the_playground_needs_a_token(
        serve: Callable[..., Server], tmp_path: Path) -> None:
    tokens = write_tokens(tmp_path / "tokens")
    server = serve(str(RULESETS), "--no-watch", "--playground", "--token-file", str(tokens),
                   "--protect-reads")
    with server.client() as client:
        assert_problem(client.get("/"), 401, AUTH_REQUIRED)
        assert_problem(client.post("/v1/playground/lint", json={"ruleset": "x"}), 401,
                       AUTH_REQUIRED)
        answer = client.get("/v1/playground/samples", headers=bearer())
        assert answer.status_code == 200 and answer.json()["rulesets"]
