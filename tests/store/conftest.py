"""Fixtures of the usage-store tests: each test gets a fresh database under ``tmp_path``.

Helpers (rulesets, carts, event checks) live in ``storekit.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # storekit, for tests and worker processes

from storekit import STANDARD, make_ruleset  # noqa: E402

from dsl import Ruleset  # noqa: E402
from engine.usage import SQLiteStore, UsageStore  # noqa: E402


@pytest.fixture
def rules() -> Ruleset:
    """``auto5`` (budget 30.00) and the coupon ``save10`` (uses 3, per customer 2, per code 2)."""
    return make_ruleset(STANDARD)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "usage.sqlite"


@pytest.fixture
def store(db_path: Path) -> Iterator[UsageStore]:
    with SQLiteStore(db_path) as opened:
        yield opened
