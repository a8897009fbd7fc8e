"""The disk cache of ``promo eval``: a hit prints what a miss prints, an edited file
misses, a bad entry or directory is no error, and nothing is half written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import diskcache
from engine.cli.app import cli

ROOT = Path(__file__).resolve().parents[2]
FASHION = ROOT / "rulesets" / "fashion"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of the fashion ruleset and its example cart."""
    shutil.copy(FASHION / "ruleset.yaml", tmp_path / "ruleset.yaml")
    shutil.copy(FASHION / "carts" / "example.yaml", tmp_path / "cart.yaml")
    return tmp_path


def _eval(shop: Path, *options: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["eval", str(shop / "ruleset.yaml"), str(shop / "cart.yaml"),
                                    *options])
    return done.exit_code, done.output


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.iterdir()) if cache.exists() else []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_hit_prints_what_a_miss_prints(shop: Path, cache: Path, fmt: str) -> None:
    uncached = _eval(shop, "--format", fmt, "--no-cache")
    assert _entries(cache) == []
    miss = _eval(shop, "--format", fmt)
    assert len(_entries(cache)) == 2  # the ruleset and the cart
    hit = _eval(shop, "--format", fmt)
    assert uncached == miss == hit
    assert hit[0] == 0 and "total 179.29" in hit[1] if fmt == "text" else \
        json.loads(hit[1])["total"] == "179.29"


def test_a_hit_in_a_new_process_reads_neither_yaml_nor_conditions(shop: Path,
                                                                  cache: Path) -> None:
    probe = ("import contextlib, io, sys\nfrom engine.cli import main\n"
             "sys.argv = ['promo', 'eval', *sys.argv[1:]]\nout = io.StringIO()\n"
             "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
             "    main()\n"
             "print(sorted(m for m in ('yaml', 'lark', 'dsl.ruleset', 'dsl.expr.parser')"
             " if m in sys.modules), out.getvalue().count('total 179.29'))")
    args = [sys.executable, "-c", probe, str(shop / "ruleset.yaml"), str(shop / "cart.yaml")]
    env = {**os.environ, "PROMO_CACHE_DIR": str(cache)}
    first = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split("]")[0] != "["  # the miss parsed the files
    assert second.stdout.split() == ["[]", "1"]


@pytest.mark.parametrize("piped", ["cart", "ruleset"])
def test_a_file_read_from_a_pipe_is_priced_and_not_kept(shop: Path, cache: Path,
                                                         piped: str) -> None:
    """``promo eval ruleset.yaml <(cat cart.yaml)``: a pipe can be read once, so the
    cache must not read it for its key (the command then saw an empty file)."""
    files = {"ruleset": shop / "ruleset.yaml", "cart": shop / "cart.yaml"}
    read, write = os.pipe()
    files[piped] = Path(f"/dev/fd/{read}")
    command = [sys.executable, "-m", "engine.cli", "eval", str(files["ruleset"]),
               str(files["cart"])]
    with subprocess.Popen(command, pass_fds=(read,), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=ROOT,
                          env={**os.environ, "PROMO_CACHE_DIR": str(cache)}) as process:
        os.close(read)
        with open(write, "wb") as feed:
            feed.write((shop / f"{piped}.yaml").read_bytes())
        out, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (0, ""), err
    assert "total 179.29" in out
    assert len(_entries(cache)) == 1  # the file named on disk only


def test_an_edited_file_misses(shop: Path, cache: Path) -> None:
    before = _eval(shop)[1]
    ruleset = shop / "ruleset.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace("percent_off: 30",
                                                                   "percent_off: 20"),
                       encoding="utf-8")
    after = _eval(shop)
    assert after == _eval(shop, "--no-cache")
    assert after[1] != before and "summer-swim-30 -9.98" in after[1]  # 20 % of 49.90
    assert len(_entries(cache)) == 3


def test_an_invalid_ruleset_is_not_kept_and_reported_every_time(shop: Path,
                                                                cache: Path) -> None:
    (shop / "ruleset.yaml").write_text("ruleset: x\ndsl: 1\n", encoding="utf-8")
    first, second = _eval(shop), _eval(shop)
    assert first == second and first[0] == 2 and "missing required field" in first[1]
    assert [p.suffix for p in _entries(cache)] == []  # nothing kept (the cart is not read)


def test_a_corrupt_entry_is_ignored_and_written_again(shop: Path, cache: Path) -> None:
    expected = _eval(shop)
    for entry in _entries(cache):
        entry.write_bytes(b"not a pickle")
    assert _eval(shop) == expected
    for entry in _entries(cache):
        entry.write_bytes(entry.read_bytes()[:40])  # cut short
    assert _eval(shop) == expected
    assert all(entry.read_bytes() != b"not a pickle" for entry in _entries(cache))
    assert _eval(shop) == expected


def test_an_entry_of_another_kind_is_a_miss(shop: Path, cache: Path) -> None:
    expected = _eval(shop)
    for entry in _entries(cache):
        diskcache.write(cache, entry.name.removesuffix(diskcache.ENTRY_SUFFIX), {"a": 1})
    assert _eval(shop) == expected


def test_an_unwritable_cache_directory_is_no_error(shop: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("PROMO_CACHE_DIR", str(blocked / "cache"))  # under a file
    expected = _eval(shop, "--no-cache")
    assert _eval(shop) == expected == _eval(shop)


def test_no_cache_from_the_environment(shop: Path, cache: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMO_NO_CACHE", "1")
    _eval(shop)
    assert _entries(cache) == []


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    diskcache.write(tmp_path, "k", lambda: None)  # a lambda cannot be pickled
    assert list(tmp_path.iterdir()) == []
    diskcache.write(tmp_path, "k", [1, 2])
    assert [p.name for p in tmp_path.iterdir()] == ["k" + diskcache.ENTRY_SUFFIX]
    assert diskcache.read(tmp_path, "k", list) == [1, 2]
    assert diskcache.read(tmp_path, "k", dict) is None


def test_the_key_names_everything_the_result_depends_on() -> None:
    base = diskcache.key("Ruleset", "a.yaml", b"x")
    assert base == diskcache.key("Ruleset", "a.yaml", b"x")
    assert len({base, diskcache.key("Cart", "a.yaml", b"x"),
                diskcache.key("Ruleset", "./a.yaml", b"x"),
                diskcache.key("Ruleset", "a.yaml", b"y"),
                diskcache.key("Ruleset", "a.yaml", b"x", ["--now 2026"])}) == 5


def test_the_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROMO_NO_CACHE", raising=False)
    monkeypatch.delenv("PROMO_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert diskcache.directory() == tmp_path / "promorules"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert diskcache.directory() == tmp_path / ".cache" / "promorules"
    monkeypatch.setenv("PROMO_CACHE_DIR", str(tmp_path / "c"))
    assert diskcache.directory() == tmp_path / "c"
    assert diskcache.directory(enabled=False) is None
    monkeypatch.setenv("PROMO_NO_CACHE", "1")
    assert diskcache.directory() is None


# ------------------------------------------------------------------ the size limit

def _aged(path: Path, seconds_ago: float) -> None:
    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))


def _fill(where: Path, count: int, size: int) -> list[Path]:
    """``count`` entries of ``size`` bytes, the first the least recently used."""
    where.mkdir(parents=True, exist_ok=True)
    made = []
    for number in range(count):
        path = where / f"{number:04d}{diskcache.ENTRY_SUFFIX}"
        path.write_bytes(b"x" * size)
        _aged(path, 10_000 - number)
        made.append(path)
    return made


def test_past_its_limit_the_least_recently_used_entries_go_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMO_CACHE_MAX_MB", str(100 * 1024 / 2**20))  # 100 KiB
    diskcache._TOTALS.clear()
    where = tmp_path / "cache"
    old = _fill(where, 10, 10 * 1024)  # 100 KiB: at the limit, nothing goes
    diskcache.write(where, "new", "a value")
    kept = {p.name for p in _entries(where)}
    assert "new" + diskcache.ENTRY_SUFFIX in kept
    # down to three quarters of the limit: the oldest removed, the newest kept
    assert sum(p.stat().st_size for p in _entries(where)) <= 75 * 1024
    assert {p.name for p in old[:3]}.isdisjoint(kept)
    assert {p.name for p in old[-7:]} <= kept
    assert diskcache.read(where, "new", str) == "a value"


def test_a_hit_marks_its_entry_used_at_most_once_a_day(tmp_path: Path) -> None:
    where = tmp_path / "cache"
    diskcache.write(where, "entry", [1, 2])
    path = where / ("entry" + diskcache.ENTRY_SUFFIX)
    _aged(path, 3600)  # used an hour ago: a hit leaves it (no write at every run)
    before = path.stat().st_mtime
    assert diskcache.read(where, "entry", list) == [1, 2]
    assert path.stat().st_mtime == before
    _aged(path, 2 * 86400)  # two days ago: a hit makes it the most recently used
    assert diskcache.read(where, "entry", list) == [1, 2]
    assert time.time() - path.stat().st_mtime < 600


def test_temporary_files_of_writers_that_died_are_removed(tmp_path: Path) -> None:
    where = tmp_path / "cache"
    where.mkdir()
    stale, fresh = where / ".abandoned.tmp", where / ".being-written.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    _aged(stale, 2 * 3600)
    diskcache.prune(where, diskcache.limit_bytes())
    assert not stale.exists() and fresh.exists()


@pytest.mark.parametrize(("written", "expected"), [
    ("0.5", 512 * 1024), ("2", 2 * 2**20), ("0", 0), ("", int(diskcache.LIMIT_MB * 2**20)),
    ("lots", int(diskcache.LIMIT_MB * 2**20)), ("-1", int(diskcache.LIMIT_MB * 2**20)),
    ("nan", int(diskcache.LIMIT_MB * 2**20)), ("inf", int(diskcache.LIMIT_MB * 2**20))])
def test_the_limit_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                written: str, expected: int) -> None:
    monkeypatch.setenv("PROMO_CACHE_MAX_MB", written)
    assert diskcache.limit_bytes() == expected


def test_a_process_writing_many_entries_counts_the_directory_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counted = []
    real = diskcache.prune
    monkeypatch.setattr(diskcache, "prune", lambda where, limit: counted.append(where)
                        or real(where, limit))
    diskcache._TOTALS.clear()
    where = tmp_path / "cache"
    for number in range(20):
        diskcache.write(where, f"entry-{number}", number)
    assert counted == [where]
    assert len(_entries(where)) == 20


def test_a_cache_too_small_to_hold_an_entry_is_no_error(
        shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMO_CACHE_MAX_MB", "0")
    diskcache._TOTALS.clear()
    first, second = _eval(shop), _eval(shop)
    assert first == second == _eval(shop, "--no-cache")
    assert first[0] == 0 and "total 179.29" in first[1]
    assert [p for p in _entries(cache) if p.suffix == diskcache.ENTRY_SUFFIX] == []
