from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fashion_shop(tmp_path: Path, tests: str) -> Path:
    """A copy of the fashion ruleset and its carts, with ``tests`` as its one rule test file."""
    shop = tmp_path / "fashion"
    shutil.copytree(ROOT / "rulesets" / "fashion" / "carts", shop / "carts")
    shutil.copy(ROOT / "rulesets" / "fashion" / "ruleset.yaml", shop / "ruleset.yaml")
    (shop / "tests").mkdir()
    (shop / "tests" / "carts.yaml").write_text(tests, encoding="utf-8")
    return shop


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The commands' disk cache in a directory of the test's own, switched on."""
    where = tmp_path / "cache"
    monkeypatch.setenv("PROMO_CACHE_DIR", str(where))
    monkeypatch.delenv("PROMO_NO_CACHE", raising=False)
    return where
