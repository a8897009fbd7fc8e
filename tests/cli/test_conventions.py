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


def test_machine_formats_are_never_coloured(root: Path, monkeypatch, mistakes: str) -> None:
    monkeypatch.chdir(root)
    for argv in (["lint", mistakes, "--format", "json"], ["lint", mistakes, "--format", "sarif"],
                 ["lint", mistakes, "--format", "github"],
                 ["eval", RULESET, CART, "--format", "json"]):
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
