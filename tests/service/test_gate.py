"""The store gate opens the store when the service starts, before any request."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from engine.service.app import create_app
from engine.service.catalog import Catalog
from engine.service.context import Service
from engine.service.gate import StoreGate
from engine.usage import SQLiteStore
from tests.service.conftest import RULESETS


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
