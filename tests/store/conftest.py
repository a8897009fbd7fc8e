"""Fixtures of the usage-store tests: each test gets a fresh store on each backend.

``store`` (and ``location``, ``store_factory``) are parametrised over the
backends: a SQLite file under ``tmp_path``, and a new schema of a throwaway
PostgreSQL cluster (``pgcluster.py``) started once per session and stopped
at its end.  Where PostgreSQL's binaries cannot be found its tests skip,
saying why — unless ``PROMORULES_REQUIRE_POSTGRES=1`` (CI sets it), which
makes that a failure.  Tests of SQLite files as such use ``db_path``.

Helpers (rulesets, carts, event checks) live in ``storekit.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # storekit, for tests and worker processes

from pgcluster import Server, server_for_tests  # noqa: E402
from storekit import STANDARD, make_ruleset  # noqa: E402

from dsl import Ruleset  # noqa: E402
from engine.usage import UsageStore, open_store  # noqa: E402

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """The tests' PostgreSQL (one cluster for the session), or a skip that says why."""
    server = server_for_tests()
    yield server
    server.stop()


@pytest.fixture
def rules() -> Ruleset:
    """``auto5`` (budget 30.00) and the coupon ``save10`` (uses 3, per customer 2, per code 2)."""
    return make_ruleset(STANDARD)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "usage.sqlite"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def location(backend: str, db_path: Path, request: pytest.FixtureRequest) -> str:
    """Where the test's store lives, as ``--db`` takes it: a path, or a URL (a new schema)."""
    if backend == "sqlite":
        return str(db_path)
    server: Server = request.getfixturevalue("pg_server")
    return server.new_schema()


@pytest.fixture
def store(location: str) -> Iterator[UsageStore]:
    with open_store(location) as opened:
        yield opened


@pytest.fixture
def store_factory(store: UsageStore, location: str) -> Callable[[], UsageStore]:
    """Another connection to the test's store (made by ``store``), as another client opens it."""
    return lambda: open_store(location)
