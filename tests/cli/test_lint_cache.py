"""The disk cache of ``promo lint``: a hit prints what a miss prints, and findings about
the time lint runs at are kept only while they hold."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from dsl.errors import Diagnostic
from dsl.lint import FileLint, lint_file
from engine.cli.app import cli

ROOT = Path(__file__).resolve().parents[2]
RULESET = """\
ruleset: cached
dsl: 1
currency: EUR
timezone: Europe/Berlin
stacking:
  coupons_per_order: 1
  coupon_with_automatic: true
  base: discounted
  max_discount: { percent_of_subtotal: 50 }
promotions:
  - id: summer-20
    active: { from: 2026-06-01, until: 2026-09-01 }
    effect: { percent_off: 20 }
"""
SUPPRESSED = RULESET.replace("  - id: summer-20",
                             "  # promo: ignore[PR203] kept for the dated carts\n"
                             "  - id: summer-20")
ENDED = "the window ended 2026-09-01T00:00:00+02:00 (Europe/Berlin); linted at"


def _ruleset(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ruleset.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _lint(path: Path, *options: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["lint", str(path), *options])
    return done.exit_code, done.output


def _kept(cache: Path) -> int:
    return len(list(cache.iterdir())) if cache.exists() else 0


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_a_hit_prints_what_a_miss_prints(tmp_path: Path, cache: Path, fmt: str) -> None:
    path = ROOT / "rulesets" / "fashion" / "ruleset.yaml"
    options = ("--format", fmt, "--now", "2026-07-01T12:00:00+02:00")
    uncached = _lint(path, *options, "--no-cache")
    assert _kept(cache) == 0
    miss, hit = _lint(path, *options), _lint(path, *options)
    assert _kept(cache) == 1
    assert uncached == miss == hit and hit[0] == 0


def test_a_hit_in_a_new_process_imports_neither_the_rules_nor_pydantic(tmp_path: Path,
                                                                      cache: Path) -> None:
    path = _ruleset(tmp_path, RULESET)
    probe = ("import contextlib, io, sys\nfrom engine.cli import main\n"
             "sys.argv = ['promo', 'lint', *sys.argv[1:]]\nout = io.StringIO()\n"
             "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
             "    main()\n"
             "print(sorted(m for m in ('pydantic', 'yaml', 'dsl.lint.rules', 'dsl.model')"
             " if m in sys.modules), out.getvalue().count('All clean'))")
    args = [sys.executable, "-c", probe, str(path), "--now", "2026-07-01"]
    env = {**os.environ, "PROMO_CACHE_DIR": str(cache)}
    first = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split()[-1] == second.stdout.split()[-1] == "1"
    assert second.stdout.split() == ["[]", "1"]


def test_findings_are_kept_while_the_time_is_on_the_same_side_of_each_moment(
        tmp_path: Path, cache: Path) -> None:
    path = _ruleset(tmp_path, RULESET)
    assert _lint(path, "--now", "2026-07-01") == (0, "All clean: 1 file checked.\n")
    assert _kept(cache) == 1
    (entry,) = cache.iterdir()
    kept = entry.stat().st_mtime_ns
    assert _lint(path, "--now", "2026-08-31T23:59:59") == (0, "All clean: 1 file checked.\n")
    assert entry.stat().st_mtime_ns == kept  # a hit: read, not written
    code, output = _lint(path, "--now", "2026-09-01")  # the window has ended: a miss
    assert ENDED in output and "linted at 2026-09-01T00:00:00+02:00" in output
    assert (code, output) == _lint(path, "--now", "2026-09-01", "--no-cache")
    later = _lint(path, "--now", "2026-10-02")  # prints the time: never kept
    assert "linted at 2026-10-02T00:00:00+02:00" in later[1]


def test_a_suppressed_finding_that_prints_the_time_is_kept(tmp_path: Path,
                                                           cache: Path) -> None:
    path = _ruleset(tmp_path, SUPPRESSED)
    first = _lint(path, "--now", "2026-10-01")
    assert first == (0, "All clean: 1 file checked. (1 suppressed)\n")
    assert _kept(cache) == 1
    assert _lint(path, "--now", "2027-03-01") == first  # still ended: the same
    assert _lint(path, "--now", "2026-07-01") == (0, "All clean: 1 file checked.\n")


def test_what_findings_depend_on_of_the_time(tmp_path: Path) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before = dt.datetime(2026, 7, 1, tzinfo=berlin)
    found = lint_file(_ruleset(tmp_path, RULESET), now=before)
    end = dt.datetime(2026, 9, 1, tzinfo=berlin)
    assert found.diagnostics == [] and found.moments == ((end, False),)
    assert not found.exact and found.zone == "Europe/Berlin"
    assert found.holds_at(end - dt.timedelta(seconds=1))
    assert found.holds_at(dt.datetime(2026, 8, 31, 23, 59))  # read in the ruleset's zone
    assert not found.holds_at(end)
    assert not found.holds_at(dt.datetime(2026, 8, 31, 23, 0, tzinfo=dt.UTC))  # 01:00 Berlin
    after = lint_file(_ruleset(tmp_path, RULESET), now=end)
    assert after.exact and not after.holds_at(end)  # its finding prints the time
    assert FileLint([Diagnostic("PR100", "x")]).holds_at(end)  # did not load: any time
