"""Every benchmark script runs to the end on a small workload (exit 0, a table printed).

The figures are not looked at — time is never asserted in tests — but a script that
no longer runs against the code it measures (a renamed function, a changed signature)
fails here rather than on the day someone wants its figures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# (script, arguments for a small run): every script in benchmarks/ that prints figures
SMALL_RUNS: dict[str, tuple[str, ...]] = {
    "bench_bestdeal": ("--repeat", "1"),
    "bench_bound": ("--sizes", "20", "--tries", "50", "--repeat", "1"),
    "bench_cart_load": ("--carts", "2", "--rounds", "1"),
    "bench_cli": ("--rounds", "1", "--conditions", "40", "--repeat", "1"),
    "bench_coupons": ("--count", "2000"),
    "bench_fmt": ("--sizes", "10", "--repeat", "1"),
    "bench_lint": ("--sizes", "10", "--repeat", "1"),
    "bench_load": ("--sizes", "10", "--repeat", "1"),
    "bench_memory": ("--cases", "small-1000", "--no-trace"),
    "bench_playground": ("--quick",),
    "bench_replay": ("--orders", "300", "--memory", "200,400", "--baseline", "100"),
    "bench_schedules": ("--sizes", "10", "--carts", "5", "--repeat", "1"),
    "bench_serve": ("--quick", "--seconds", "0.2"),
    "bench_store": ("--cycles", "20", "--backends", "sqlite"),
    "suite": ("--sizes", "10", "--lines", "1,10", "--budget", "0.05", "--no-peers",
              "--repeat", "1"),
}
HELPERS = {"__init__", "check_generated", "generate", "httpload", "peers", "reference",
           "timing"}


def test_every_script_has_a_small_run(root: Path) -> None:
    scripts = {path.stem for path in (root / "benchmarks").glob("*.py")} - HELPERS
    assert scripts == set(SMALL_RUNS)


@pytest.mark.parametrize("script", sorted(SMALL_RUNS))
def test_the_script_runs_on_a_small_workload(root: Path, script: str) -> None:
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{script}", *SMALL_RUNS[script]],
                          cwd=root, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert done.stdout.strip()


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_the_start_up_is_counted_in_instructions(root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_cli", "--instructions",
                           "--conditions", "10", "--repeat", "1"], cwd=root,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    counted = [line for line in done.stdout.splitlines() if line.startswith("| promo eval")]
    assert len(counted) == 2 and all(" M | **" in line for line in counted), done.stdout
