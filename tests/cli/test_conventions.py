"""Conventions every command keeps: colour on a terminal only, times in the ruleset's
timezone to the second, coupon codes as the ruleset writes them."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli

RULESET = "rulesets/fashion/ruleset.yaml"
CART = "rulesets/fashion/carts/example.yaml"
ESC = "\x1b["


@pytest.fixture
def mistakes(tmp_path: Path) -> str:
    path = tmp_path / "ruleset.yaml"
    path.write_text((Path(__file__).resolve().parents[2] / "tests/dsl/data/five_mistakes.yaml")
                    .read_text(encoding="utf-8"), encoding="utf-8")
    return str(path)


def _run(argv: list[str], **env: str) -> tuple[str, str]:
    result = CliRunner(env={"NO_COLOR": "", "FORCE_COLOR": "", **env}).invoke(cli, argv)
    return result.stdout, result.stderr


def test_no_colour_when_the_output_is_not_a_terminal(root: Path, monkeypatch,
                                                     mistakes: str) -> None:
    monkeypatch.chdir(root)
    for argv in (["lint", mistakes], ["eval", RULESET, CART], ["eval", mistakes, CART]):
        out, err = _run(argv)
        assert ESC not in out + err and (out + err)


def test_force_colour_colours_codes_carets_hints_and_headings(root: Path, monkeypatch,
                                                              mistakes: str) -> None:
    monkeypatch.chdir(root)
    out, _ = _run(["lint", mistakes], FORCE_COLOR="1")
    assert f": {ESC}31m{ESC}1mPR126 [error]{ESC}0m the window ends" in out
    assert f"     = {ESC}36mhint:{ESC}0m " in out
    assert f"{ESC}31m^^^^^^^^^^{ESC}0m" in out
    out, _ = _run(["eval", RULESET, CART], FORCE_COLOR="1")
    assert f"{ESC}1mApplied:{ESC}0m" in out and f"{ESC}1mNot applied:{ESC}0m" in out
    _, err = _run(["eval", mistakes, CART], FORCE_COLOR="1")
    assert f"{ESC}31m{ESC}1mPR126{ESC}0m" in err  # errors on standard error too


def test_verdicts_of_test_and_explain_are_coloured(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    out, _ = _run(["test", "rulesets/fashion"], FORCE_COLOR="1")
    assert out.startswith(f"{ESC}32m{ESC}1mPASS{ESC}0m showcase")
    out, _ = _run(["explain", RULESET, CART, "vip-15", "black-friday-30"], FORCE_COLOR="1")
    assert f"{ESC}32m{ESC}1m✓{ESC}0m vip-15  applied" in out
    assert f"{ESC}31m{ESC}1m✗{ESC}0m black-friday-30  rejected" in out
    for argv in (["test", "rulesets/fashion"], ["explain", RULESET, CART]):
        assert ESC not in _run(argv)[0]


def test_machine_formats_are_never_coloured(root: Path, monkeypatch, mistakes: str) -> None:
    monkeypatch.chdir(root)
    for argv in (["lint", mistakes, "--format", "json"], ["lint", mistakes, "--format", "sarif"],
                 ["lint", mistakes, "--format", "github"],
                 ["eval", RULESET, CART, "--format", "json"],
                 ["test", "rulesets/fashion", "--format", "junit"],
                 ["test", "rulesets/fashion", "--format", "json"],
                 ["explain", RULESET, CART, "--format", "json"]):
        out, _ = _run(argv, FORCE_COLOR="1")
        assert ESC not in out


def test_no_colour_wins_over_force_colour(root: Path, monkeypatch, mistakes: str) -> None:
    monkeypatch.chdir(root)
    out, _ = _run(["lint", mistakes], FORCE_COLOR="1", NO_COLOR="1")
    assert ESC not in out


def _on_a_terminal(argv: list[str], **env: str) -> str:
    """``promo ARGV`` run with its standard output on a pseudo-terminal."""
    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environ.update(TERM="xterm", **env)
    try:
        subprocess.run([sys.executable, "-m", "engine.cli", *argv], stdout=follower,
                       stderr=subprocess.DEVNULL, env=environ, check=False, timeout=60)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(leader)


def test_a_terminal_gets_colour_unless_no_color(root: Path, monkeypatch, mistakes: str) -> None:
    monkeypatch.chdir(root)
    assert f"{ESC}31m{ESC}1mPR126 [error]" in _on_a_terminal(["lint", mistakes])
    plain = _on_a_terminal(["lint", mistakes], NO_COLOR="1")
    assert "PR126 [error]" in plain and ESC not in plain


def test_times_are_in_the_rulesets_timezone_to_the_second(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    at = "2026-07-15T12:30:00.123456Z"  # 14:30:00 in Berlin
    out, _ = _run(["eval", RULESET, CART, "--at", at])
    assert out.startswith("ruleset nordlicht-fashion-2026 · cart nl-cart-100231 · EUR · "
                          "at 2026-07-15T14:30:00+02:00\n")
    assert "evaluated at 2026-07-15T14:30:00+02:00" in out
    assert ".123456" not in out and "+00:00" not in out
    data = json.loads(_run(["eval", RULESET, CART, "--at", at, "--format", "json"])[0])
    assert data["at"] == "2026-07-15T14:30:00+02:00"


def test_coupon_codes_are_printed_as_the_ruleset_writes_them(root: Path, monkeypatch) -> None:
    """The cart entered " welcome10 "; the ruleset writes WELCOME10."""
    monkeypatch.chdir(root)
    out, _ = _run(["eval", RULESET, "rulesets/fashion/carts/welcome-new-customer.yaml"])
    applied = out[out.index("Applied:"):out.index("Not applied:")]
    assert "welcome-10        WELCOME10  -10.00" in applied
    assert "at most 1 coupon per order; WELCOME10 applied" in out
    assert "welcome10" not in out


def test_usage_commands_keep_the_conventions(root: Path, tmp_path: Path, monkeypatch) -> None:
    """Times in the ruleset's timezone to the second, codes as written; events in a table."""
    monkeypatch.chdir(root)
    db = str(tmp_path / "usage.sqlite")
    welcome = "rulesets/fashion/carts/welcome-new-customer.yaml"
    out, _ = _run(["usage", "reserve", RULESET, welcome, "--order", "o1", "--db", db,
                   "--at", "2026-05-09T09:05:00.250Z"])
    assert "o1: reserved (free-shipping-75, welcome-10); hold until " \
           "2026-05-09T11:20:00+02:00" in out
    out, _ = _run(["usage", "status", RULESET, "--db", db, "--at", "2026-05-09T11:05:00"])
    assert any(row.split()[:2] == ["welcome-10", "WELCOME10"] for row in out.splitlines())
    out, _ = _run(["usage", "release", "o1", "--db", db])  # no ruleset: as stored, UTC
    assert out == "o1: released (free-shipping-75, welcome-10); hold until " \
                  "2026-05-09T09:20:00+00:00\n"

    lines = _run(["usage", "events", "--db", db])[0].splitlines()  # JSON lines, as before
    events = [json.loads(line) for line in lines]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[2]["coupon"] == "welcome10" and "." in events[0]["occurred_at"]

    table, _ = _run(["usage", "events", "--db", db, "--format", "text", "--ruleset", RULESET])
    rows = table.splitlines()
    assert rows[0].split() == ["id", "occurred", "at", "event", "order", "promotion", "coupon",
                               "customer", "amount"]
    assert rows[4].split() == ["3", "2026-05-09T11:05:00+02:00", "coupon_reserved", "o1",
                               "welcome-10", "WELCOME10", "c-2201", "10.00", "EUR"]
    assert rows[-1] == f"{len(events)} events"
    bare, _ = _run(["usage", "events", "--db", db, "--format", "text", "--since", "2",
                    "--limit", "1"])
    assert bare.splitlines()[2].split()[:6] == ["3", "2026-05-09T09:05:00+00:00",
                                                "coupon_reserved", "o1", "welcome-10",
                                                "welcome10"]
    assert bare.endswith("\n1 event\n")


def test_shell_completion_as_the_readme_documents_it(root: Path) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_PROMO_COMPLETE=bash_source promo)"' in readme
    env = {**os.environ, "_PROMO_COMPLETE": "bash_source"}
    script = subprocess.run([sys.executable, "-m", "engine.cli"], env=env, check=True,
                            capture_output=True, text=True, timeout=60).stdout
    assert "complete -o nosort -F _promo_completion promo" in script
    env.update(_PROMO_COMPLETE="bash_complete", COMP_WORDS="promo usage ev", COMP_CWORD="2")
    words = subprocess.run([sys.executable, "-m", "engine.cli"], env=env, check=True,
                           capture_output=True, text=True, timeout=60).stdout
    assert words.split() == ["plain,events"]


def test_expire_prints_json_too(root: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    db = str(tmp_path / "usage.sqlite")
    _run(["usage", "reserve", RULESET, CART, "--order", "o1", "--db", db, "--ttl", "60",
          "--at", "2026-07-15T14:30:00+02:00"])
    out, _ = _run(["usage", "expire", "--db", db, "--now", "2026-07-15T14:31:00+02:00",
                   "--format", "json"])
    assert json.loads(out) == {"expired": ["o1"], "idempotency_pruned": 0}
    out, _ = _run(["usage", "expire", "--db", db, "--now", "2026-07-15T14:32:00+02:00"])
    assert out == "0 reservations expired\n0 idempotency records pruned\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [
    ["eval", "{fashion}/ruleset.yaml", "{fashion}/carts/example.yaml"],
    ["lint", "{fashion}/ruleset.yaml", "--format", "json"], ["--help"]])
def test_output_that_cannot_be_written_is_a_refusal_not_a_traceback(args: list[str]) -> None:
    fashion = Path(__file__).resolve().parents[2] / "rulesets" / "fashion"
    with open("/dev/full", "w") as full:  # (every write: no space left on device)
        done = subprocess.run([sys.executable, "-m", "engine.cli",
                               *[arg.format(fashion=fashion) for arg in args]],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2
    assert "PR509 cannot write the output: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr
