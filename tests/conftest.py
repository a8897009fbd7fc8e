"""Settings for the whole suite."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]

# Every evaluation in the tests checks that the promotion index left out no
# promotion that applies (engine.program.CHECK_INDEX), not only when reasons are read.
os.environ.setdefault("PROMORULES_CHECK_INDEX", "1")
# The commands' disk cache (engine/cli/diskcache.py) is on, as for a user, in a directory
# of the suite's own: the commands run twice on the same files read it.
if "PROMO_CACHE_DIR" not in os.environ:
    os.environ["PROMO_CACHE_DIR"] = tempfile.mkdtemp(prefix="promorules-cache-")
    atexit.register(shutil.rmtree, os.environ["PROMO_CACHE_DIR"], ignore_errors=True)


@pytest.fixture
def runner() -> CliRunner:
    """Runs ``promo`` commands in process."""
    return CliRunner()


@pytest.fixture
def root() -> Path:
    """The repository's root (the bundled rulesets are below it)."""
    return ROOT
