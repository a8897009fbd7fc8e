"""How fast does the ``promo`` command start, and how fast are conditions compiled?

    python -m benchmarks.bench_cli                   # 30 rounds, 500 conditions
    python -m benchmarks.bench_cli --rounds 60 --conditions 1000

Printed, every figure against a baseline measured in the same run:

* **start-up**: the wall time of whole processes, ``python -c pass`` (the
  baseline: the interpreter with its site packages, nothing of ours) and
  ``promo --version``, ``promo --help``, ``promo eval`` of an example cart and
  ``promo lint`` of an example ruleset (``rulesets/fashion``), each of the last
  two warm (its files in the commands' disk cache: the target is judged on this,
  as for other tools with a cache) and cold (``--no-cache``). The commands
  run in rounds, one of each per round in a shuffled order, so a busy moment
  of a shared machine falls on all of them alike; after one warm-up round
  (which writes the bytecode caches, as an installation has them: the
  environment's ``PYTHONDONTWRITEBYTECODE`` is dropped) the medians of the rounds
  are printed, wall time and CPU time (user + system, from ``getrusage``: on a
  busy machine it moves less than the wall time), each with its ratio to the
  baseline's median, and the target of each command (judged on wall time);
* **compiling conditions**: ``--conditions`` ``when``, ``target`` and
  ``get_target`` conditions of generated rulesets, no two of the same shape
  (conditions that differ only in their literals share their compiled code, so
  this is the most a ruleset of that many conditions compiles), compiled the
  way a ruleset's program compiles them
  (``engine.compile.compile_all``, its memo cleared first: a cold start), against
  Python's own ``compile`` of the same conditions written as lambdas (their
  source text, ``Compiler(zone).source(node)``, one ``compile`` per condition);
* **repeated loads**: ``load_ruleset`` + ``compile_ruleset`` of the example
  ruleset again, unchanged (what a service's reload or a second evaluation in
  one process costs: both are cached), against reading the file's text.

With ``--instructions`` the start-up table is counted instead in instructions
(valgrind's callgrind, one run of each command after a warm-up run, hash seed
fixed): not the target's measure, which is wall time (instructions leave out what
a process waits for, its page faults and the loader's reads, so the ratios are
higher), but the same count from run to run for the same code and inputs, however
busy the machine: the figure to compare two versions of the code by.

This prints figures; it asserts nothing about time. The exit status is 1 only
when a command fails (an unexpected exit code) or the compiled conditions
disagree with the conditions compiled one by one (on generated carts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .timing import times

if TYPE_CHECKING:  # the engine is imported where it is measured, not with this script
    from engine.compile import Compiled, LineFilter
    from engine.facts import Facts

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "rulesets" / "fashion"
RULESET = EXAMPLE / "ruleset.yaml"
CART = EXAMPLE / "carts" / "example.yaml"

# (label, arguments after the command, expected exit code, target ratio to the baseline;
# None: the row is not judged)
COMMANDS: tuple[tuple[str, tuple[str, ...], int, float | None], ...] = (
    ("promo --version", ("--version",), 0, 3.0),
    ("promo --help", ("--help",), 0, 3.0),
    ("promo eval (fashion example cart), warm: cache hit", ("eval", str(RULESET), str(CART)),
     0, 6.0),
    ("promo eval (fashion example cart), cold: --no-cache",
     ("eval", "--no-cache", str(RULESET), str(CART)), 0, None),
    ("promo lint (fashion ruleset), warm: cache hit", ("lint", str(RULESET)), 0, 6.0),
    ("promo lint (fashion ruleset), cold: --no-cache", ("lint", "--no-cache", str(RULESET)),
     0, None),
)
COMPILE_TARGET = 3.0


def _promo() -> list[str]:
    """The installed ``promo`` script beside this interpreter (what a user runs), else
    ``python -m engine.cli``."""
    script = Path(sys.executable).parent / "promo"
    found = str(script) if script.is_file() else shutil.which("promo")
    return [found] if found else [sys.executable, "-m", "engine.cli"]


# As a user's installation runs: with bytecode caches and the commands' own cache (both
# written by the warm-up round; the cache in a directory of this run, removed after it).
ENV = {k: v for k, v in os.environ.items()
       if k not in ("PYTHONDONTWRITEBYTECODE", "PROMO_NO_CACHE", "PROMO_CACHE_DIR")}


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(argv: Sequence[str], expected: int) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``argv``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          cwd=ROOT, env=ENV, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != expected:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode} (expected {expected}):"
                           f"\n{done.stderr.decode(errors='replace')}")
    return elapsed, _children_cpu() - cpu


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (the README shows it as printed)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _verdict(ratio: float, target: float) -> str:
    return f"≤ {target:g}x: {'met' if ratio <= target else 'NOT met'}"


def startup(rounds: int, seed: int) -> str:
    """The start-up table: every command's median wall time and its ratio to
    ``python -c pass``."""
    promo = _promo()
    with tempfile.TemporaryDirectory(prefix="bench-cli-cache-") as cache:
        ENV["PROMO_CACHE_DIR"] = cache
        try:
            return _startup(promo, rounds, seed)
        finally:
            del ENV["PROMO_CACHE_DIR"]


def _runs(promo: list[str]) -> list[tuple[str, list[str], int]]:
    """The baseline, then each command: (label, argv, expected exit code)."""
    return [("python -c pass (baseline)", [sys.executable, "-c", "pass"], 0),
            *((label, [*promo, *args], expected) for label, args, expected, _ in COMMANDS)]


def _startup(promo: list[str], rounds: int, seed: int) -> str:
    runs = _runs(promo)
    targets = {label: target for label, _, _, target in COMMANDS}
    wall: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    cpu: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    shuffle = random.Random(seed).shuffle
    for round_ in range(rounds + 1):
        order = list(runs)
        shuffle(order)
        for label, argv, expected in order:
            elapsed, used = _run(argv, expected)
            if round_:  # round 0 writes the bytecode caches
                wall[label].append(elapsed)
                cpu[label].append(used)
    base = statistics.median(wall[runs[0][0]])
    base_cpu = statistics.median(cpu[runs[0][0]])
    rows = []
    for label, _, _ in runs:
        median, median_cpu = statistics.median(wall[label]), statistics.median(cpu[label])
        ratio = median / base
        target = targets.get(label)
        judged = _verdict(ratio, target) if target else \
            "- (judged warm)" if label.endswith("--no-cache") else "-"
        rows.append([label, _ms(median), f"**{ratio:.2f}x**", _ms(median_cpu),
                     f"{median_cpu / base_cpu:.2f}x", judged])
    print(f"start-up: {rounds} rounds (plus one warm-up, which also fills the commands' "
          f"cache), medians; the command run is {' '.join(Path(p).name for p in promo)}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    table = _table(["command", "wall time", "vs python -c pass", "CPU time",
                    "CPU vs python -c pass", "target (wall)"], rows)
    print(table)
    return table


COLLECTED = re.compile(r"Collected : (\d+)")


def instructions() -> str | None:
    """The start-up table in instructions (callgrind): each command run once to warm its
    caches, then once counted; ``None`` without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("instructions: valgrind is not installed (Debian: apt-get install valgrind)")
        return None
    runs = _runs(_promo())
    counts = {}
    with tempfile.TemporaryDirectory(prefix="bench-cli-cache-") as cache:
        env = {**ENV, "PROMO_CACHE_DIR": cache, "PYTHONHASHSEED": "0"}
        for label, argv, expected in runs:
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           cwd=ROOT, env=env, check=False)
            done = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                   *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  cwd=ROOT, env=env, check=False, text=True)
            found = COLLECTED.search(done.stderr)
            if done.returncode != expected or found is None:
                raise RuntimeError(f"{' '.join(argv)} under valgrind exited {done.returncode} "
                                   f"(expected {expected}):\n{done.stderr[-2000:]}")
            counts[label] = int(found.group(1))
    base = counts[runs[0][0]]
    rows = [[label, f"{count / 1e6:,.1f} M", f"**{count / base:.2f}x**"]
            for label, count in counts.items()]
    print("start-up in instructions (valgrind --tool=callgrind, after one warm-up run "
          "each; PYTHONHASHSEED=0): the same count at every run for the same code")
    table = _table(["command", "instructions", "vs python -c pass"], rows)
    print(table)
    return table


def _conditions(count: int, seed: int) -> tuple[Any, list[tuple[Any, str]]]:
    """``count`` conditions of generated rulesets (node, what it is compiled for: a
    condition or a line filter), no two of the same shape (the same source but for their
    literals), and their timezone."""
    from dsl import load_ruleset_text
    from engine.compile import CONDITION, LINES, Compiler

    from .generate import generate_ruleset

    size = max(count * 8, 10)  # about one condition in seven has a shape of its own
    while True:
        ruleset = load_ruleset_text(generate_ruleset(size, seed=seed), name="bench.yaml")
        source = Compiler(ruleset.zone).source
        seen: dict[tuple[str, str], Any] = {}
        for p in ruleset.promotions:
            for cond, use in ((p.when, CONDITION), (p.target, LINES), (p.get_target, LINES)):
                if cond is not None and cond.node is not None:
                    seen.setdefault((source(cond.node), use), cond.node)
        if len(seen) >= count:
            return ruleset.zone, [(node, use) for (_, use), node in list(seen.items())[:count]]
        size *= 2


def compilation(count: int, repeat: int, seed: int) -> tuple[str, bool]:
    """The compilation table, and whether every compiled condition agreed with the
    same condition compiled alone."""
    from engine import compile as engine_compile

    zone, conditions = _conditions(count, seed)
    if not _same_results(conditions, zone):
        return "", False
    compiler = engine_compile.Compiler(zone)
    lambdas = [compiler.source(node) if use == engine_compile.CONDITION else
               f"lambda f: [i for i in f.lines if {compiler.source(node)[len('lambda f, i: '):]}]"
               for node, use in conditions]

    def ours() -> list[Any]:
        engine_compile.clear_caches()
        return engine_compile.compile_all(conditions, zone)

    def python() -> list[Any]:
        return [compile(text, "<lambda>", "eval", dont_inherit=True) for text in lambdas]

    functions = ours()
    agree = len(functions) == len(conditions) and all(callable(f) for f in functions)
    engine_t: list[float] = []
    python_t: list[float] = []
    for _ in range(repeat):  # alternately, so neither gets the quieter moments
        engine_t += times(ours, 1)
        python_t += times(python, 1)
    ours_m, python_m = statistics.median(engine_t), statistics.median(python_t)
    ratio = ours_m / python_m
    rows = [["promorules (`compile_all`, cold)", _ms(ours_m),
             f"{ours_m / len(conditions) * 1e6:,.0f} µs", f"{ratio:.2f}x",
             _verdict(ratio, COMPILE_TARGET)],
            ["Python's `compile` of the same conditions as lambdas", _ms(python_m),
             f"{python_m / len(conditions) * 1e6:,.0f} µs", "1.00x", "-"]]
    print(f"\ncompiling {len(conditions)} conditions of generated rulesets (seed {seed}), "
          f"each of its own shape, median of {repeat}")
    table = _table(["compiler", "all conditions", "per condition", "vs Python", "target"],
                   rows)
    print(table)
    return table, agree


def _same_results(conditions: list[tuple[Any, str]], zone: Any) -> bool:
    """Every condition compiled in one module computes what it computes alone, on
    the carts of the generator."""
    from engine import compile as engine_compile
    from engine.cart import parse_cart
    from engine.facts import cart_facts
    from engine.money import quantum

    from .generate import generate_cart

    together = [_selected_ids(fn) if use == engine_compile.LINES else _cart_value(fn)
                for (_, use), fn in zip(conditions, engine_compile.compile_all(conditions, zone),
                                        strict=True)]
    alone = [_selected_ids(engine_compile.compile_line_filter(node, zone))
             if use == engine_compile.LINES
             else _cart_value(engine_compile.compile_condition(node, zone))
             for node, use in conditions]
    for n_lines in (1, 5, 20):
        cart = parse_cart(generate_cart(n_lines, seed=n_lines))
        facts = cart_facts(cart, cart.at or dt.datetime(2026, 7, 1, tzinfo=dt.UTC), zone,
                           quantum(2))
        for one, other in zip(together, alone, strict=True):
            if one(facts) != other(facts):
                return False
    return True


def _selected_ids(line_filter: LineFilter) -> Callable[[Facts], object]:
    """The ids of the lines an item condition selects from a cart."""
    return lambda facts: [line["id"] for line in line_filter(facts)]


def _cart_value(condition: Compiled) -> Callable[[Facts], object]:
    """What a cart condition gives for a cart (no line)."""
    return lambda facts: condition(facts, None)


def repeated_loads(repeat: int) -> str:
    """Loading the unchanged example again: the caches of ``load_ruleset`` and
    ``compile_ruleset``."""
    from dsl import load_ruleset
    from engine import compile_ruleset

    compile_ruleset(load_ruleset(RULESET))

    batch = 100  # calls per timed sample: one call is too short to time alone

    def again() -> None:
        for _ in range(batch):
            compile_ruleset(load_ruleset(RULESET))

    def read() -> None:
        for _ in range(batch):
            RULESET.read_text(encoding="utf-8")

    load_m = statistics.median(times(again, repeat)) / batch
    read_m = statistics.median(times(read, repeat)) / batch
    rows = [["`compile_ruleset(load_ruleset(path))`, unchanged file",
             f"{load_m * 1e6:,.1f} µs", f"{load_m / read_m:.2f}x"],
            ["reading the file's text (baseline)", f"{read_m * 1e6:,.1f} µs", "1.00x"]]
    print(f"\nrepeated loads of {RULESET.relative_to(ROOT)}, median of {repeat} times "
          f"{batch} calls")
    table = _table(["load", "median", "vs reading"], rows)
    print(table)
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start-up time of the promo command and "
                                     "condition compilation, against baselines.")
    parser.add_argument("--rounds", type=int, default=30,
                        help="timed runs of each command (default: 30)")
    parser.add_argument("--conditions", type=int, default=500,
                        help="distinct conditions to compile (default: 500)")
    parser.add_argument("--repeat", type=int, default=20,
                        help="timed compilations and repeated loads (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="shuffle and generator seed")
    parser.add_argument("--no-startup", action="store_true", help="skip the processes")
    parser.add_argument("--instructions", action="store_true",
                        help="count the start-up in instructions (valgrind) instead of "
                             "timing it: the same figures at every run, to compare code by")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.conditions < 1 or args.repeat < 1:
        parser.error("--rounds, --conditions and --repeat must be at least 1")

    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs")
    steps: list[Callable[[], Any]] = []
    if not args.no_startup:
        steps.append(instructions if args.instructions else
                     lambda: startup(args.rounds, args.seed))
    try:
        for step in steps:
            step()
    except RuntimeError as err:
        print(f"FAILED: {err}", file=sys.stderr)
        return 1
    _, agree = compilation(args.conditions, args.repeat, args.seed)
    repeated_loads(args.repeat)
    if not agree:
        print("FAILED: conditions compiled together disagree with the same conditions "
              "compiled alone", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
