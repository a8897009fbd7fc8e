"""``promo eval --format json`` gives the same bytes as when ``data/same_output.json`` was
written: on every bundled sample cart and on 1,000 generated (ruleset, cart) pairs.

The digest file holds one sha256 per pair (see ``golden_pairs.py``).  A change that
moves money, rewords a reason or reorders the output fails here with the first keys
that differ.  When a change of output is intended, write the file again::

    python tests/engine/golden_pairs.py --write tests/engine/data/same_output.json
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent
DIGESTS = HERE / "data" / "same_output.json"


def _golden_pairs() -> ModuleType:
    """``golden_pairs.py`` beside this file, loaded once under its own name."""
    if "golden_pairs" in sys.modules:
        return sys.modules["golden_pairs"]
    spec = importlib.util.spec_from_file_location("golden_pairs", HERE / "golden_pairs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gp = _golden_pairs()


def _expected(prefix: str) -> dict[str, str]:
    recorded = json.loads(DIGESTS.read_text(encoding="utf-8"))
    return {key: value for key, value in recorded.items() if key.startswith(prefix)}


def _check(expected: dict[str, str], actual: dict[str, str]) -> None:
    differences = gp.first_differences(expected, actual)
    changed = sum(expected.get(key) != value for key, value in actual.items())
    assert not differences, (
        f"{changed} of {len(actual)} outputs differ from {DIGESTS.name} "
        f"(and {len(expected.keys() - actual.keys())} missing); first ones:\n  "
        + "\n  ".join(differences)
        + "\n(python tests/engine/golden_pairs.py --show KEY prints a generated pair)")


def test_sample_carts_give_the_same_json_through_promo_eval() -> None:
    actual = {key: gp.digest(out) for key, out in gp.sample_outputs().items()}
    assert len(actual) >= 20  # every bundled ruleset has its carts
    _check(_expected("sample:"), actual)


@pytest.mark.slow
def test_generated_pairs_give_the_same_json(tmp_path: Path) -> None:
    actual = {key: gp.digest(out) for key, out in gp.generated_outputs(tmp_path)}
    assert len(actual) == gp.RULESETS * gp.CARTS_PER_RULESET
    _check(_expected("generated:"), actual)


def test_the_generator_is_deterministic() -> None:
    first = [(rules.text, carts) for rules, carts in gp.generated_pairs()]
    again = [(rules.text, carts) for rules, carts in gp.generated_pairs()]
    assert first == again
    assert all("at" in cart for _, carts in first for cart in carts)


@pytest.mark.slow
def test_the_same_json_without_the_index_check(tmp_path: Path) -> None:
    """The suite checks the index on every evaluation, which forces the index on; a shop
    runs without the check, where a small ruleset runs the promotions open at the cart's
    moment whose code was entered instead (``Program._positions``).  That path gives the
    same bytes on every pair."""
    written = tmp_path / "digests.json"
    done = subprocess.run(
        [sys.executable, str(HERE / "golden_pairs.py"), "--write", str(written)],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "PROMORULES_CHECK_INDEX": "0", "PROMO_NO_CACHE": "1"})
    assert done.returncode == 0, done.stderr
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    actual = json.loads(written.read_text(encoding="utf-8"))
    assert actual.keys() == expected.keys()
    _check(expected, actual)
