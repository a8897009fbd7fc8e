"""The store gate: the store opens when the service starts, before any request, and the
writes of the requests at hand commit as one group."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.service.app import create_app
from engine.service.catalog import Catalog
from engine.service.context import Service
from engine.service.gate import StoreGate
from engine.service.server import Settings, _uvicorn_server, build_service
from engine.usage import SQLiteStore, open_store
from tests.service.conftest import RULESETS
from tests.store.storekit import committed_keys, write_lock_held


async def _started(service: Service, until: float = 10.0) -> object:
    """The gate's store once the application has started (``None`` if it never opens)."""
    app = create_app(service, watch=False)
    async with app.router.lifespan_context(app):
        deadline = time.monotonic() + until
        while service.gate._store is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return service.gate._store


def test_the_store_is_open_before_the_first_request(tmp_path: Path) -> None:
    service = Service(Catalog([RULESETS / "fashion"]), StoreGate(str(tmp_path / "usage.db")))
    assert isinstance(asyncio.run(_started(service)), SQLiteStore)


def test_a_store_that_cannot_open_at_start_is_logged_and_left_to_the_requests(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "not-a-store.db").write_text("not a database", encoding="utf-8")
    service = Service(Catalog([RULESETS / "fashion"]),
                      StoreGate(str(tmp_path / "not-a-store.db")))
    with caplog.at_level(logging.WARNING, logger="promorules.service"):
        assert asyncio.run(_started(service, until=1.0)) is None
    assert "did not open at start" in caplog.text


def test_a_postgresql_store_opens_with_the_first_request(
        caplog: pytest.LogCaptureFixture) -> None:
    """Its work runs on the store's thread anyway, and a server that does not answer must
    not hold a shutdown: nothing is tried at start (port 1 would refuse at once)."""
    service = Service(Catalog([RULESETS / "fashion"]),
                      StoreGate("postgresql://127.0.0.1:1/promorules"))
    with caplog.at_level(logging.WARNING, logger="promorules.service"):
        assert asyncio.run(_started(service, until=1.0)) is None
    assert "did not open" not in caplog.text


# ------------------------------------------------------------------ groups


def _claim(key: str) -> Callable[[Any], str]:
    return lambda store: store.claim_idempotency(key, "h").state


def _gate(path: Path) -> tuple[StoreGate, list[str]]:
    """A gate with its SQLite store open, and the statements the store runs from now."""
    gate = StoreGate(str(path))
    store = gate._open()
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)  # type: ignore[attr-defined]
    return gate, seen


def _transactions(seen: list[str]) -> list[str]:
    return [s for s in seen if s in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")]


def test_the_writes_of_the_requests_at_hand_commit_as_one_group(tmp_path: Path) -> None:
    gate, seen = _gate(tmp_path / "usage.db")

    async def three() -> list[str]:
        return await asyncio.gather(*(gate.run(_claim(f"k{i}")) for i in range(3)))

    try:
        assert asyncio.run(three()) == ["claimed"] * 3
        assert _transactions(seen) == ["BEGIN IMMEDIATE", "COMMIT"]
        assert committed_keys(tmp_path / "usage.db") == ["k0", "k1", "k2"]
        assert asyncio.run(three()) == ["running"] * 3  # the claims, committed, are seen
    finally:
        gate.close()


def test_a_unit_that_raises_is_undone_alone_and_answered_after_the_commit(
        tmp_path: Path) -> None:
    gate, seen = _gate(tmp_path / "usage.db")

    def refused(store: Any) -> None:
        store.claim_idempotency("k1", "h")
        assert committed_keys(tmp_path / "usage.db") == []
        raise LookupError("refused after writing")

    async def refused_after_the_commit() -> None:
        try:
            await gate.run(refused)
        except LookupError:
            assert committed_keys(tmp_path / "usage.db") == ["k0", "k2"]  # the group's, before
            raise

    async def run() -> list[Any]:
        return await asyncio.gather(gate.run(_claim("k0")), refused_after_the_commit(),
                                    gate.run(_claim("k2")), return_exceptions=True)

    try:
        first, failure, last = asyncio.run(run())
        assert (first, last) == ("claimed", "claimed")
        assert isinstance(failure, LookupError)
        assert committed_keys(tmp_path / "usage.db") == ["k0", "k2"]
        assert _transactions(seen) == ["BEGIN IMMEDIATE", "COMMIT"]
    finally:
        gate.close()


def _read(store: Any) -> list[str]:
    return [row[0] for row in store.conn.execute("SELECT key FROM idempotency ORDER BY key")]


def test_a_read_sees_the_last_commit_not_the_open_group(tmp_path: Path) -> None:
    """Reads have a connection of their own: the group's changes are not committed yet."""
    gate, _ = _gate(tmp_path / "usage.db")

    async def run() -> tuple[list[str], list[str]]:
        first = asyncio.ensure_future(gate.run(_claim("k0")))
        await asyncio.sleep(0)  # k0's unit has run: its group is open
        assert gate._group is not None
        during = await gate.run(_read, write=False)
        assert gate._group is not None  # the read did not wait for it
        await first
        return during, await gate.run(_read, write=False)

    try:
        assert asyncio.run(run()) == ([], ["k0"])
    finally:
        gate.close()


def test_a_read_is_held_by_no_group_while_writes_follow_each_other(tmp_path: Path) -> None:
    gate, seen = _gate(tmp_path / "usage.db")

    async def run() -> tuple[int, list[str]]:
        done = asyncio.Event()

        async def writer(w: int) -> None:
            i = 0
            while not done.is_set():
                await gate.run(_claim(f"w{w}-{i}"))
                i += 1

        writers = [asyncio.ensure_future(writer(w)) for w in range(4)]
        for _ in range(20):  # groups follow each other
            await asyncio.sleep(0)
        commits = seen.count("COMMIT")
        keys = await gate.run(_read, write=False)
        waited = seen.count("COMMIT") - commits
        done.set()
        await asyncio.gather(*writers)
        return waited, keys

    try:
        waited, keys = asyncio.run(run())
        assert waited == 0
        assert len(keys) >= 4
    finally:
        gate.close()


def test_a_failed_commit_fails_every_request_of_the_group(tmp_path: Path) -> None:
    gate, _ = _gate(tmp_path / "usage.db")

    def breaks_the_commit(store: Any) -> str:
        store.conn.execute("PRAGMA defer_foreign_keys = ON")  # checked at the commit
        store.conn.execute("INSERT INTO uses (order_ref, promotion, customer, amount_minor) "
                           "VALUES ('no-such-order', 'p', 'c', 1)")
        return "written"

    async def run() -> list[Any]:
        return await asyncio.gather(gate.run(_claim("k0")), gate.run(breaks_the_commit),
                                    return_exceptions=True)

    try:
        outcomes = asyncio.run(run())
        assert [type(o).__name__ for o in outcomes] == ["StoreFileError"] * 2
        assert committed_keys(tmp_path / "usage.db") == []
        assert asyncio.run(gate.run(_claim("k1"))) == "claimed"  # the next group commits
        assert committed_keys(tmp_path / "usage.db") == ["k1"]
    finally:
        gate.close()


def test_a_request_gone_while_its_group_commits_leaves_the_others_theirs(
        tmp_path: Path) -> None:
    """Its unit has run: it commits with the group, as any unit whose request went away
    after its work."""
    gate, _ = _gate(tmp_path / "usage.db")

    async def run() -> Any:
        gone = asyncio.ensure_future(gate.run(_claim("k0")))
        stays = asyncio.ensure_future(gate.run(_claim("k1")))
        await asyncio.sleep(0)  # both units have run; the group is not committed yet
        assert gate._group is not None
        gone.cancel()
        return await asyncio.gather(gone, stays, return_exceptions=True)

    try:
        gone, stays = asyncio.run(run())
        assert isinstance(gone, asyncio.CancelledError)
        assert stays == "claimed"
        assert committed_keys(tmp_path / "usage.db") == ["k0", "k1"]
    finally:
        gate.close()


def test_with_another_connection_writing_the_unit_waits_on_the_stores_thread(
        tmp_path: Path) -> None:
    gate, _ = _gate(tmp_path / "usage.db")
    try:
        with open_store(tmp_path / "usage.db") as other, write_lock_held(other) as release:
            threading.Timer(0.2, release.set).start()
            assert asyncio.run(gate.run(_claim("k0"))) == "claimed"
        assert committed_keys(tmp_path / "usage.db") == ["k0"]
    finally:
        gate.close()


def test_closing_the_gate_commits_an_open_group_first(tmp_path: Path) -> None:
    gate, seen = _gate(tmp_path / "usage.db")

    errors: list[dict[str, Any]] = []

    async def run() -> Any:
        asyncio.get_running_loop().set_exception_handler(lambda _, error: errors.append(error))
        request = asyncio.ensure_future(gate.run(_claim("k0")))
        await asyncio.sleep(0)  # its unit has run; its group is open
        gate.close()
        answer = await request
        await asyncio.sleep(0)  # the group's own commit, called back now, does nothing
        return answer

    assert asyncio.run(run()) == "claimed"
    assert errors == []
    assert committed_keys(tmp_path / "usage.db") == ["k0"]
    assert _transactions(seen) == ["BEGIN IMMEDIATE", "COMMIT"]


def test_a_request_served_alone_commits_at_once(tmp_path: Path) -> None:
    """Nobody could join its group: its unit is not held for the loop's next turn."""
    gate, seen = _gate(tmp_path / "usage.db")
    gate.alone = lambda: True

    async def two() -> list[str]:
        return await asyncio.gather(gate.run(_claim("k0")), gate.run(_claim("k1")))

    try:
        assert asyncio.run(two()) == ["claimed", "claimed"]
        assert _transactions(seen) == ["BEGIN IMMEDIATE", "COMMIT"] * 2
    finally:
        gate.close()


def test_the_servers_requests_tell_the_gate_whether_one_is_alone(tmp_path: Path) -> None:
    """``promo serve``'s server: a request is alone when the server holds no other."""
    settings = Settings(sources=(str(RULESETS / "fashion"),), db=str(tmp_path / "usage.db"),
                        watch=False)
    service = build_service(settings)
    try:
        server = _uvicorn_server(settings, service)
        assert service.gate.alone()
        server.server_state.tasks.add("one request")
        assert service.gate.alone()
        server.server_state.tasks.add("another")
        assert not service.gate.alone()
    finally:
        service.gate.close()
