"""Rulesets reload while the service serves: a changed file is swapped in whole (each
answer is priced by the old or the new version, never a mix, never an error); a broken
file keeps the last good version serving and makes the service not ready, with the
errors (their messages in the log); SIGHUP reloads when the files are not watched."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from dsl.errors import PromoError
from dsl.ruleset import load_ruleset_text
from engine import parse_cart
from engine.program import compile_ruleset
from tests.service.conftest import FASHION, RULESETS, Server, cart_json
from tests.service.helpers import replace_file, version_of, wait_for

ORIGINAL = (RULESETS / "fashion" / "ruleset.yaml").read_text(encoding="utf-8")
SWIM = "effect: { percent_off: 30, max_units: 3 }"
CHANGED = ORIGINAL.replace(SWIM, "effect: { percent_off: 40, max_units: 3 }")
BROKEN = CHANGED.replace('target: item.category == "swimwear"',
                         'target: item.category == == "swimwear"')
CART = cart_json(RULESETS / "fashion" / "carts" / "example.yaml")  # swimwear in July
EVALUATE = f"/v1/rulesets/{FASHION}/evaluate"


def total_of(text: str) -> str:
    """The example cart's total as the ruleset ``text`` prices it, in this process."""
    program = compile_ruleset(load_ruleset_text(text, name="ruleset.yaml"))
    return str(program.evaluate(parse_cart(CART)).total)


def served_version(server: Server) -> str | None:
    answer = httpx.post(server.url + EVALUATE, json=CART, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.headers["promo-ruleset-version"]


@pytest.fixture
def ruleset_file(tmp_path: Path) -> Path:
    where = tmp_path / "rules"
    where.mkdir()
    path = where / "ruleset.yaml"
    path.write_text(ORIGINAL, encoding="utf-8")
    return path


def test_the_changed_bits_matter() -> None:
    assert ORIGINAL.count(SWIM) == 1 and CHANGED != ORIGINAL and BROKEN != CHANGED
    assert total_of(ORIGINAL) != total_of(CHANGED)
    with pytest.raises(PromoError):
        load_ruleset_text(BROKEN, name="ruleset.yaml")


def test_a_reload_under_load_is_atomic_and_keeps_the_last_good_version(
        serve: Any, ruleset_file: Path) -> None:
    server = serve(str(ruleset_file))  # watching the file
    old, new = version_of(ORIGINAL), version_of(CHANGED)
    priced = {old: total_of(ORIGINAL), new: total_of(CHANGED)}
    assert served_version(server) == old

    stop = threading.Event()
    seen: list[list[tuple[int, str | None, str | None]]] = [[] for _ in range(8)]

    def client(mine: list[tuple[int, str | None, str | None]]) -> None:
        with server.client() as http:
            while not stop.is_set():
                answer = http.post(EVALUATE, json=CART)
                total = answer.json().get("total") if answer.status_code == 200 else None
                mine.append((answer.status_code, answer.headers.get("promo-ruleset-version"),
                             total))

    threads = [threading.Thread(target=client, args=(mine,)) for mine in seen]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: all(len(mine) >= 3 for mine in seen), what="every client answered")
        replace_file(ruleset_file, CHANGED)
        wait_for(lambda: all(mine and mine[-1][1] == new for mine in seen), 20,
                 "every client to be served the new version")
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)

    for mine in seen:
        assert all(status == 200 for status, _, _ in mine), mine
        assert all(version in priced and priced[version] == total
                   for _, version, total in mine), [a for a in mine if a[1] not in priced]
        versions = [version for _, version, _ in mine]
        first_new = versions.index(new)
        assert versions[first_new:] == [new] * (len(versions) - first_new)  # never back
        assert old in versions[:first_new]
    assert served_version(server) == new

    # a broken file: the last good version keeps serving, the service is not ready
    replace_file(ruleset_file, BROKEN)
    with server.client() as http:
        ready = wait_for(lambda: (lambda r: r if r.status_code == 503 else None)(
            http.get("/readyz")), 20, "/readyz to say not ready")
        report = ready.json()
        assert report["status"] == "not ready"
        assert [f["path"] for f in report["failed"]] == [str(ruleset_file)]
        with pytest.raises(PromoError) as rendered:
            load_ruleset_text(BROKEN, name=str(ruleset_file))
        expected = [{"code": d.code, "line": d.span.line if d.span else None,
                     "column": d.span.col if d.span else None}
                    for d in rendered.value.diagnostics]
        assert report["failed"][0]["errors"] == expected  # where, not what: messages may
        assert "message" not in ready.text  # quote a code; they go to the log
        assert rendered.value.diagnostics[0].message in "\n".join(server.log_lines())
        assert [(r["id"], r["version"]) for r in report["rulesets"]] == [(FASHION, new)]
        for _ in range(5):
            answer = http.post(EVALUATE, json=CART)
            assert answer.status_code == 200
            assert answer.headers["promo-ruleset-version"] == new
            assert answer.json()["total"] == priced[new]

        # fixed: ready again, serving the fixed text
        replace_file(ruleset_file, ORIGINAL)
        wait_for(lambda: http.get("/readyz").status_code == 200, 20, "ready again")
        assert http.get("/readyz").json()["failed"] == []
        assert served_version(server) == old
    log = "\n".join(server.log_lines())
    assert "failed to load" in log and "the previous version keeps serving" in log


def test_sighup_reloads_without_watching(serve: Any, ruleset_file: Path) -> None:
    server = serve(str(ruleset_file), "--no-watch")
    assert served_version(server) == version_of(ORIGINAL)
    replace_file(ruleset_file, CHANGED)
    time.sleep(0.6)  # more than the watcher's debounce: nothing is watching
    assert served_version(server) == version_of(ORIGINAL)
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: served_version(server) == version_of(CHANGED), 15, "the SIGHUP reload")
    assert server.process.poll() is None
    # and a second one, with nothing changed, changes nothing
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: sum("reload (SIGHUP)" in line for line in server.log_lines()) >= 2, 15,
             "the second reload")
    assert served_version(server) == version_of(CHANGED)
    assert server.process.poll() is None
