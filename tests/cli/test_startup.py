"""What ``promo`` imports before it does anything: each command loads its own module
when it runs, and a command loads nothing it does not use (the store, the linter,
the models).  Time is measured by ``benchmarks/bench_cli.py``, not here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from engine.cli import app

ROOT = Path(__file__).resolve().parents[2]
RULESET = "rulesets/fashion/ruleset.yaml"
CART = "rulesets/fashion/carts/example.yaml"

# Run in a fresh interpreter: which modules a command imported, and its exit code.
_PROBE = """
import contextlib, io, json, sys
from engine.cli import main
sys.argv = ["promo", *sys.argv[1:]]
code = 0
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit as done:
        code = done.code or 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

STORE = ("sqlite_utils", "sqlite3", "psycopg", "engine.usage")
LINTER = ("dsl.lint",)
SERVICE = ("starlette", "uvicorn", "engine.service")
MODELS = ("pydantic", "lark", "yaml", "dsl.model", "engine.cart", "engine.program")


def _imported(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    probe = json.loads(done.stdout.splitlines()[-1])
    assert probe["code"] == 0, done.stderr
    return set(probe["modules"])


def _any_of(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_import_no_command(args: tuple[str, ...]) -> None:
    modules = _imported(*args)
    assert _any_of(modules, STORE + LINTER + SERVICE + MODELS) == []
    commands = {f"engine.cli.{where.split(':')[0]}" for where, _ in app.COMMANDS.values()}
    assert modules & commands == set()


def test_eval_imports_neither_the_store_nor_the_linter() -> None:
    modules = _imported("eval", RULESET, CART)
    assert "engine.cli.evaluation" in modules
    assert _any_of(modules, STORE + LINTER + SERVICE) == []
    assert "difflib" not in modules  # (the hints of mistakes only: a valid input needs none)
    # an invalid cart's diagnostics, and coupon batches, which the example has none of,
    # once the ruleset is in the cache (loading it reads both)
    warm = _imported("eval", RULESET, CART)
    assert {"dsl.validation", "dsl.couponbatch"} & warm == set()


def test_lint_imports_neither_the_store_nor_the_service() -> None:
    modules = _imported("lint", RULESET)
    assert _any_of(modules, STORE + SERVICE) == []


# Run in a fresh interpreter: the garbage collector's state while the command's module
# is imported, and when its function starts.
_GC_PROBE = """
import contextlib, gc, io, json, sys
from engine.cli import app, main
default = gc.get_threshold()
seen = {}
load = app._load
def probed(where):
    seen.setdefault("importing", gc.isenabled())
    command = load(where)
    work = command.callback
    def callback(*args, **kwargs):
        seen.setdefault("working", [gc.isenabled(), gc.get_threshold() == default,
                                    gc.get_freeze_count() > 0])
        return work(*args, **kwargs)
    command.callback = callback
    return command
app._load = probed
sys.argv = ["promo", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main()
print(json.dumps(seen))
"""


@pytest.mark.parametrize("args", [
    ("eval", RULESET, CART),
    ("lint", RULESET),
    ("test", "rulesets/fashion"),
    ("replay", RULESET, "--orders", "rulesets/fashion/orders.jsonl"),
    ("usage", "status", RULESET, "--db", "absent.sqlite"),  # a group: its callback first
])
def test_the_collector_is_paused_while_a_command_starts_and_runs_while_it_works(
        args: tuple[str, ...]) -> None:
    # Paused (start_up_begins) while click and the command's module are imported; on
    # again, with the interpreter's thresholds and start-up's objects frozen, before the
    # command's function runs (a server or a replay must not run without it).
    done = subprocess.run([sys.executable, "-c", _GC_PROBE, *args], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen == {"importing": False, "working": [True, True, True]}, done.stderr


def test_help_lists_every_command_with_its_own_short_help() -> None:
    # `promo --help` writes the short help of COMMANDS; each command's own (its
    # docstring) must give the same text at every width click may use.
    for name, (where, written) in app.COMMANDS.items():
        command = app._load(where)
        assert command.name == name
        stand_in = click.Command(name, help=written)
        for limit in range(1, 100):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), \
                f"COMMANDS[{name!r}]: write the start of the command's docstring"


def test_help_is_the_same_before_and_after_the_commands_are_loaded() -> None:
    fresh = app._Commands()
    group = app._Group(name="promo", commands=None, help=app.cli.help,
                       params=app.cli.params, context_settings=app.cli.context_settings)
    group.commands = fresh
    before = CliRunner().invoke(group, ["--help"]).output
    assert fresh.loaded == {}
    for name in app.COMMANDS:
        fresh[name]
    after = CliRunner().invoke(group, ["--help"]).output
    assert before == after
    assert all(f"  {name} " in before for name in app.COMMANDS)


def test_a_subcommand_living_in_another_module_is_attached() -> None:
    usage = app.cli.commands["usage"]
    assert isinstance(usage, click.Group)
    for group, wheres in app.SUBCOMMANDS.items():
        assert group in app.COMMANDS
        for where in wheres:
            assert app._load(where).name in app.cli.commands[group].commands  # type: ignore[attr-defined]


def test_the_package_exports_the_evaluate_function_after_its_submodule_loads() -> None:
    probe = ("import engine.evaluate, engine.program, engine\n"
             "from engine import evaluate\n"
             "print(evaluate is engine.program.evaluate, callable(engine.evaluate),"
             " type(sys.modules['engine.evaluate']).__name__)")
    done = subprocess.run([sys.executable, "-c", "import sys\n" + probe], cwd=ROOT,
                          check=True, capture_output=True, text=True)
    assert done.stdout.split() == ["True", "True", "module"]


def test_the_version_printed_is_the_installed_distribution_s() -> None:
    # promo --version prints engine.__version__ without reading the metadata; the
    # metadata is generated from it (pyproject.toml: dynamic version).
    import importlib.metadata

    import engine

    output = CliRunner().invoke(app.cli, ["--version"], prog_name="promo").output
    assert output == f"promo, version {importlib.metadata.version('promorules')}\n"
    assert engine.__version__ == importlib.metadata.version("promorules")


def test_the_command_looks_up_no_pydantic_plugins_unless_told_to() -> None:
    # Looking them up scans every installed distribution's entry points (app.PLUGINS_OFF).
    probe = ("import contextlib, io, os, sys\nfrom engine.cli import main\n"
             "sys.argv = ['promo', 'eval', '--no-cache', *sys.argv[1:]]\n"
             "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
             "    main()\n"
             "import pydantic.plugin._loader as loader\n"
             "print(os.environ.get('PYDANTIC_DISABLE_PLUGINS'), loader._plugins is None)")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    done = subprocess.run([sys.executable, "-c", probe, RULESET, CART], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    assert done.stdout.split() == ["__all__", "True"]
    env["PYDANTIC_DISABLE_PLUGINS"] = ""  # set (empty: every plugin) by whoever runs it
    done = subprocess.run([sys.executable, "-c", probe, RULESET, CART], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    assert done.stdout.split() == ["False"]  # (the value printed is empty)


# The promo command ends its process without the interpreter's teardown (exit_now).
_EXIT_PROBE = """
import atexit, sys, threading, time
atexit.register(lambda: print("atexit ran", file=sys.stderr))
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.5), print("thread done"))).start()
sys.argv = ["promo", *sys.argv[2:]]
from engine.cli import run
run()
"""


def _exit_probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _EXIT_PROBE, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_command_ends_with_its_output_written_and_the_atexit_functions_run() -> None:
    done = _exit_probe("-", "eval", RULESET, CART)
    assert done.returncode == 0, done.stderr
    assert done.stdout == subprocess.run(
        [sys.executable, "-c", "import sys\nfrom engine.cli import main\n"
         "sys.argv = ['promo', *sys.argv[1:]]\nmain()", "eval", RULESET, CART],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "Total" in done.stdout or "total" in done.stdout
    assert done.stderr == "atexit ran\n"
    invalid = _exit_probe("-", "eval", RULESET, "rulesets/fashion/ruleset.yaml")
    assert invalid.returncode == 2 and "atexit ran" in invalid.stderr, invalid.stderr


def test_a_thread_still_running_is_waited_for_as_the_interpreter_does() -> None:
    done = _exit_probe("thread", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "thread done"
    assert done.stderr == "atexit ran\n"


def test_a_profiler_still_writes_its_report(tmp_path: Path) -> None:
    # cProfile writes after the command returns: under a profiler the process exits as
    # Python does
    report = tmp_path / "promo.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(report), "-m",
                           "engine.cli", "eval", RULESET, CART], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert report.stat().st_size > 0


def test_under_pdb_the_process_exits_as_python_does() -> None:
    # pdb takes its hook off on `continue` without breakpoints, then reports the exit
    done = subprocess.run([sys.executable, "-m", "pdb", "-m", "engine.cli", "--version"],
                          cwd=ROOT, input="c\nq\n", capture_output=True, text=True,
                          timeout=120)
    assert "The program exited via sys.exit()" in done.stdout, done.stdout + done.stderr
