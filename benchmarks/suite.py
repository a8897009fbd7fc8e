"""The benchmark suite: engine speed and memory, a hand-written reference, peers.

    python -m benchmarks.suite --quick          # < 60 s: 10-1,000 promotions, 1-50 lines
    python -m benchmarks.suite                  # full: 10-10,000 promotions, 1-200 lines
    python -m benchmarks.suite --sizes 1000 --lines 50 --seed 7 --json out.json

Everything is generated from ``--seed``; the same seed gives the same rulesets
and carts.  Each ruleset size runs in its own process (so peak memory is that
size's), one after another (so timings do not compete).  Printed:

1. engine on ``generate.py`` rulesets (every expression feature): load +
   compile time, median / p95 evaluation time per cart, carts per second,
   promotions applied per cart, peak RSS;
2. engine vs the hand-written reference (``reference.py``) on the reference
   workload: both must agree to the cent on every cart (loud report and exit
   status 1 otherwise); the ratio engine / reference per size;
3. "a handful": the same 10-line cart against 1,000 and 10,000 promotions of
   which only 5 concern it, the others about things the cart does not have
   ("other-things") or drawn from the whole mix ("any"); with the promotions the
   engine runs for the cart (``Program.candidates``);
4. conditions alone: ours vs hand-written lambdas vs zen-engine, cel-python and
   rule-engine on the same ``when`` conditions and facts;
5. the targets of issue #5 next to the measured figures (printed, not asserted).

See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the workers import these; the parent process stays light
    from engine import Cart

    from .reference import PromotionSpec, Target

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Mode:
    """What a run measures: ``QUICK`` or ``FULL``, then whatever the command line sets."""

    sizes: tuple[int, ...]  # promotion counts
    lines: tuple[int, ...]  # cart line counts
    budget: float  # seconds of timing per cell
    min_samples: int  # at least this many carts per cell
    carts: int  # distinct carts per cell
    peer_budget: float  # seconds of timing per implementation in section 4
    handful: bool  # section 3
    sweep: int  # rulesets in the agreement sweep (2b)


QUICK = Mode(sizes=(10, 50, 100, 1000), lines=(1, 10, 50), budget=0.25, min_samples=3,
             carts=6, peer_budget=0.3, handful=True, sweep=6)
FULL = Mode(sizes=(10, 50, 100, 1000, 10000), lines=(1, 10, 50, 200), budget=1.5,
            min_samples=5, carts=12, peer_budget=1.0, handful=True, sweep=24)
HANDFUL_SIZES = (1000, 10000)
HANDFUL_FILLERS = ("other-things", "any")  # see reference.handful_workload
HANDFUL_LINES = 10
HANDFUL_MATCHING = 5
CONDITION_SIZE = 1000
CONDITION_LINES = 50
NOT_ELIGIBLE = {"coupon_not_entered", "not_active_yet", "expired", "coupon_not_active_yet",
                "coupon_expired", "conditions_not_met", "coupon_ineligible"}

# ================================================================ measuring


def maxrss_mb() -> float:
    """Peak resident memory of this process so far (Linux: KiB; macOS: bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def clear_caches() -> None:
    """Forget what an earlier load memoised, so each load is measured cold."""
    import dsl.ruleset

    for name in dir(dsl.ruleset):
        clear = getattr(getattr(dsl.ruleset, name), "cache_clear", None)
        if callable(clear):
            clear()


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(samples) * 1e3,
            "p95_ms": percentile(samples, 0.95) * 1e3,
            "mean_ms": statistics.fmean(samples) * 1e3,
            "carts_per_s": len(samples) / sum(samples),
            "samples": len(samples)}


def sample(fns: Sequence[Callable[[Any], Any]], items: Sequence[Any], budget: float,
           min_samples: int, blocks: int = 1) -> list[list[float]]:
    """Per-call times of each of ``fns`` over whole passes through ``items``.

    Each fn is timed in ``blocks`` blocks (A B A B ... for two fns and two
    blocks), each after a ``gc.collect()``, so one fn's garbage is not collected
    on another's time.  A block runs whole passes (every item once, so every fn
    weighs every item alike) until its share of ``budget`` is spent and the fn
    has ``min_samples`` samples over its blocks.
    """
    for fn in fns:
        fn(items[0])  # warm
    out: list[list[float]] = [[] for _ in fns]
    share = budget / (blocks * len(fns))
    clock = time.perf_counter
    for block in range(blocks):
        for k, fn in enumerate(fns):
            gc.collect()
            spent = 0.0
            wanted = math.ceil(min_samples * (block + 1) / blocks)
            while spent < share or len(out[k]) < wanted:
                for item in items:
                    start = clock()
                    fn(item)
                    took = clock() - start
                    out[k].append(took)
                    spent += took
    return out


def load(text: str, name: str, repeat: int) -> tuple[Any, Any, list[float], list[float]]:
    """Load and compile ``text`` ``repeat`` times, cold; the last ruleset and program."""
    import dsl
    from engine import compile_ruleset

    loads, compiles = [], []
    ruleset = program = None
    for _ in range(repeat):
        ruleset = program = None
        clear_caches()
        gc.collect()
        start = time.perf_counter()
        ruleset = dsl.load_ruleset_text(text, name=name)
        mid = time.perf_counter()
        program = compile_ruleset(ruleset)
        loads.append(mid - start)
        compiles.append(time.perf_counter() - mid)
    return ruleset, program, loads, compiles


def warm_up() -> None:
    """Pay the one-off costs (grammar, schemas, imports) before anything is timed."""
    from .generate import generate_cart, generate_ruleset

    _, program, _, _ = load(generate_ruleset(20, seed=99), "warm-up.yaml", 1)
    from engine import parse_cart

    program.evaluate(parse_cart(generate_cart(5, seed=99)))


# ================================================================ workers


def worker_general(args: argparse.Namespace) -> dict[str, Any]:
    """Engine alone on a ``generate.py`` ruleset: load, compile, evaluate, memory."""
    from engine import parse_cart

    from .generate import generate_cart, generate_ruleset

    n = args.size
    rss_start = maxrss_mb()
    warm_up()
    text = generate_ruleset(n, seed=args.seed)
    repeat = 1 if n >= 10000 else args.repeat
    ruleset, program, loads, compiles = load(text, f"generated-{n}.yaml", repeat)
    rss_loaded = maxrss_mb()
    rows = []
    count = args.carts if n < 10000 else max(4, args.carts // 2)
    for lines in args.lines:
        carts = [parse_cart(generate_cart(lines, seed=args.seed * 1000 + i))
                 for i in range(count)]
        applied = statistics.fmean(len(program.evaluate(c).applied) for c in carts)
        (times,) = sample([program.evaluate], carts, args.budget, args.min_samples)
        rows.append({"lines": lines, "applied": applied, **summary(times)})
    return {"size": n, "promotions": len(ruleset.promotions), "text_kb": len(text) / 1024,
            "load_s": statistics.median(loads), "compile_s": statistics.median(compiles),
            "loads": repeat, "rss_start_mb": rss_start, "rss_loaded_mb": rss_loaded,
            "rss_peak_mb": maxrss_mb(), "rows": rows}


_REPORTED = [0]  # disagreements reported in full by this worker
FULL_REPORTS = 3
MINIMIZE_SECONDS = 60.0
MINIMIZE_MAX_PROMOTIONS = 2000


def minimize(workload: Any, cart_data: dict[str, Any], seconds: float,
             ) -> tuple[Any, dict[str, Any]] | None:
    """A smaller ruleset and cart on which the engine and the reference still disagree:
    promotions, then lines, then entered codes dropped while the disagreement stays
    (chunks halving; gives up after ``seconds``).  ``None`` if it does not reproduce."""
    import copy

    import dsl
    from engine import compile_ruleset, parse_cart

    from .reference import Reference, compare

    spec = workload.ruleset
    deadline = time.perf_counter() + seconds

    def disagrees(promotions: list[Any], data: dict[str, Any]) -> bool:
        sub = spec.with_promotions(promotions, "-min")
        try:
            program = compile_ruleset(dsl.load_ruleset_text(sub.yaml(), name=f"{sub.id}.yaml"))
            cart = parse_cart(data)
            return bool(compare(Reference(sub).evaluate(cart), program.evaluate(cart)))
        except Exception:  # a reduction that no longer loads is not the same problem
            return False

    def shrink(items: list[Any], keep: Callable[[list[Any]], bool], least: int) -> list[Any]:
        chunk = max(1, len(items) // 2)
        while chunk >= 1 and time.perf_counter() < deadline:
            i = 0
            while i < len(items) and time.perf_counter() < deadline:
                trial = items[:i] + items[i + chunk:]
                if len(trial) >= least and keep(trial):
                    items = trial
                else:
                    i += chunk
            chunk //= 2
        return items

    data = copy.deepcopy(cart_data)
    promotions = list(spec.promotions)
    if not disagrees(promotions, data):
        return None
    promotions = shrink(promotions, lambda ps: disagrees(ps, data), 1)
    data["lines"] = shrink(data["lines"], lambda ls: disagrees(promotions, {**data, "lines": ls}),
                           0)
    data["coupons"] = shrink(data["coupons"],
                             lambda cs: disagrees(promotions, {**data, "coupons": cs}), 0)
    return spec.with_promotions(promotions, "-min"), data


def report_disagreement(kind: str, workload: Any, cart_data: dict[str, Any],
                        problems: list[str], out_dir: Path) -> dict[str, Any]:
    """Say loudly that the engine and the reference disagree; keep the inputs; for the
    first few, look for a minimal example."""
    from .reference import describe_cart

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{workload.ruleset.id}-{cart_data['id']}-{len(cart_data['lines'])}l"
    ruleset_path = out_dir / f"{stem}.yaml"
    cart_path = out_dir / f"{stem}.cart.json"
    ruleset_path.write_text(workload.text, encoding="utf-8")
    cart_path.write_text(json.dumps(cart_data, indent=2), encoding="utf-8")
    spec = workload.ruleset
    record = {"ruleset": spec.id, "cart": cart_data["id"], "lines": len(cart_data["lines"]),
              "problems": problems, "ruleset_path": str(ruleset_path),
              "cart_path": str(cart_path)}
    bar = "!" * 78
    headline = (f"DISAGREEMENT ({kind}): engine and reference differ on ruleset {spec.id} "
                f"(base {spec.base}, rounding {spec.rounding}, coupons_per_order "
                f"{spec.coupons_per_order}, coupon_with_automatic "
                f"{str(spec.coupon_with_automatic).lower()}, max_discount "
                f"{spec.max_discount_pct}% / {spec.max_discount_amount}), cart "
                f"{cart_data['id']} with {len(cart_data['lines'])} lines")
    _REPORTED[0] += 1
    if _REPORTED[0] > FULL_REPORTS:
        print(f"{bar}\n{headline}\n  - {problems[0]}\n  reproduce: promo eval {ruleset_path} "
              f"{cart_path}\n{bar}", file=sys.stderr, flush=True)
        return record
    say = [bar, headline]
    say += [f"  - {p}" for p in problems[:12]]
    ids = {p.id: p for p in spec.promotions}
    shown = 0
    for pid in ids:
        if shown < 3 and any(pid in p for p in problems):
            say.append("  promotion:")
            say += ["  " + line for line in ids[pid].yaml()]
            shown += 1
    if len(cart_data["lines"]) <= 10:
        say.append(f"  cart: {describe_cart(cart_data)}")
    say.append(f"  reproduce: promo eval {ruleset_path} {cart_path}")
    if len(spec.promotions) <= MINIMIZE_MAX_PROMOTIONS:
        small = minimize(workload, cart_data, MINIMIZE_SECONDS)
        if small is not None:
            sub, data = small
            min_rules = out_dir / f"{stem}-min.yaml"
            min_cart = out_dir / f"{stem}-min.cart.json"
            min_rules.write_text(sub.yaml(), encoding="utf-8")
            min_cart.write_text(json.dumps(data, indent=2), encoding="utf-8")
            say.append(f"  minimal example ({len(sub.promotions)} promotion(s), "
                       f"{len(data['lines'])} line(s)): promo eval {min_rules} {min_cart}")
            say += ["    " + line for line in sub.yaml().splitlines() if line.strip()]
            say.append(f"    cart: {describe_cart(data)}")
            record.update(min_ruleset_path=str(min_rules), min_cart_path=str(min_cart))
    say.append(bar)
    print("\n".join(say), file=sys.stderr, flush=True)
    return record


def check_and_time(workload: Any, program: Any, carts: list[tuple[dict[str, Any], Any]],
                   args: argparse.Namespace, kind: str) -> dict[str, Any]:
    """Check engine == reference on every cart, then time both, interleaved."""
    from .reference import Reference, compare

    reference = Reference(workload.ruleset)
    disagreements = []
    for data, cart in carts:
        problems = compare(reference.evaluate(cart), program.evaluate(cart))
        if problems:
            disagreements.append(report_disagreement(kind, workload, data, problems,
                                                     Path(args.out_dir)))
    parsed = [cart for _, cart in carts]

    def written(cart: Any) -> str:  # what a service answers: the result as JSON, reasons too
        text: str = program.evaluate(cart).to_json()
        return text

    engine_t, reference_t, json_t = sample([program.evaluate, reference.evaluate, written],
                                           parsed, args.budget, args.min_samples, blocks=2)
    engine, ref, json_ = summary(engine_t), summary(reference_t), summary(json_t)
    return {"checked": len(carts), "disagreements": disagreements, "engine": engine,
            "reference": ref, "ratio": engine["median_ms"] / ref["median_ms"],
            "ratio_mean": engine["mean_ms"] / ref["mean_ms"], "json": json_,
            "json_ratio": json_["median_ms"] / ref["median_ms"]}


def worker_reference(args: argparse.Namespace) -> dict[str, Any]:
    """Engine vs the hand-written reference on the reference workload."""
    from engine import parse_cart

    from .reference import generate_workload

    n = args.size
    warm_up()
    workload = generate_workload(n, seed=args.seed)
    repeat = 1 if n >= 10000 else args.repeat
    _, program, loads, compiles = load(workload.text, f"reference-{n}.yaml", repeat)
    rows = []
    count = args.carts if n < 10000 else max(4, args.carts // 2)
    for lines in args.lines:
        carts = []
        for i in range(count):
            data = workload.cart(lines, seed=args.seed * 1000 + i)
            carts.append((data, parse_cart(data)))
        applied = statistics.fmean(len(program.evaluate(c).applied) for _, c in carts)
        rows.append({"lines": lines, "applied": applied,
                     **check_and_time(workload, program, carts, args, "reference")})
    spec = workload.ruleset
    return {"size": n, "load_s": statistics.median(loads),
            "compile_s": statistics.median(compiles), "rows": rows,
            "stacking": {"base": spec.base, "rounding": spec.rounding,
                         "coupons_per_order": spec.coupons_per_order,
                         "coupon_with_automatic": spec.coupon_with_automatic}}


def worker_sweep(args: argparse.Namespace) -> dict[str, Any]:
    """Agreement only (untimed): many small rulesets with every stacking configuration."""
    import dsl
    from engine import compile_ruleset, parse_cart

    from .reference import Reference, compare, generate_workload

    checked, disagreements, configs = 0, [], set()
    for i in range(args.sweep):
        workload = generate_workload((20, 60, 150)[i % 3], seed=args.seed * 1000 + i,
                                     variety=True)
        spec = workload.ruleset
        configs.add((spec.base, spec.rounding, spec.coupons_per_order,
                     spec.coupon_with_automatic,
                     spec.max_discount_pct is not None or spec.max_discount_amount is not None))
        program = compile_ruleset(dsl.load_ruleset_text(workload.text, name=f"{spec.id}.yaml"))
        reference = Reference(spec)
        for lines in (1, 2, 3, 5, 10, 30):
            for k in range(4):
                data = workload.cart(lines, seed=k)
                cart = parse_cart(data)
                checked += 1
                problems = compare(reference.evaluate(cart), program.evaluate(cart))
                if problems:
                    disagreements.append(report_disagreement(
                        "sweep", workload, data, problems, Path(args.out_dir)))
    return {"rulesets": args.sweep, "checked": checked, "configs": len(configs),
            "disagreements": disagreements}


def worker_handful(args: argparse.Namespace) -> dict[str, Any]:
    """One 10-line cart against rulesets where only a handful of promotions concern it,
    per filler (what the other promotions are) and size."""
    from engine import parse_cart

    from .generate import generate_cart
    from .reference import handful_workload

    warm_up()
    data = generate_cart(HANDFUL_LINES, seed=args.seed * 1000 + 777, coupons=[])
    cart = parse_cart(data)
    out = []
    for filler in HANDFUL_FILLERS:
        for n in HANDFUL_SIZES:
            start = time.perf_counter()
            workload = handful_workload(n, cart, HANDFUL_MATCHING, seed=args.seed,
                                        filler=filler)
            generated = time.perf_counter() - start
            text = workload.text
            _, program, loads, compiles = load(text, f"{workload.ruleset.id}.yaml", 1)
            ran = len(program.candidates(cart))
            result = program.evaluate(cart)
            eligible = len(result.applied) + sum(1 for r in result.rejected
                                                 if r.promotion and r.code not in NOT_ELIGIBLE)
            row = check_and_time(workload, program, [(data, cart)], args, "handful")
            out.append({"filler": filler, "size": n, "generate_s": generated,
                        "text_kb": len(text) / 1024, "load_s": loads[0],
                        "compile_s": compiles[0], "ran": ran, "applied": len(result.applied),
                        "eligible": eligible, **row})
            del workload, program, result, text
    return {"lines": HANDFUL_LINES, "matching": HANDFUL_MATCHING, "fillers": HANDFUL_FILLERS,
            "sizes": HANDFUL_SIZES, "rows": out}


def spec_target(spec: PromotionSpec) -> Target:
    """The target of a promotion the loaded ruleset says has one."""
    if spec.target is None:
        raise ValueError(f"{spec.id}: the ruleset has a target its spec does not")
    return spec.target


def priced_at(cart: Cart) -> dt.datetime:
    """The moment a generated cart is priced at (every one carries it)."""
    if cart.at is None:
        raise ValueError("a generated cart without `at`")
    return cart.at


def worker_conditions(args: argparse.Namespace) -> dict[str, Any]:
    """Conditions alone: ours, hand-written lambdas and the peers, on the same facts."""
    import dsl
    from engine import compile_ruleset, parse_cart
    from engine.compile import compile_condition

    from . import peers
    from .reference import generate_workload

    workload = generate_workload(args.size, seed=args.seed)
    ruleset = dsl.load_ruleset_text(workload.text, name="conditions.yaml")
    program = compile_ruleset(ruleset)
    specs = {p.id: p for p in workload.ruleset.promotions}
    zone = ruleset.zone
    when = [(specs[p.id].when, compile_condition(p.when.node, zone))
            for p in ruleset.promotions if p.when is not None and p.when.node is not None]
    targets = [(spec_target(specs[p.id]), compile_condition(p.target.node, zone))
               for p in ruleset.promotions if p.target is not None and p.target.node is not None]
    carts = [parse_cart(workload.cart(args.lines[0], seed=args.seed * 1000 + i))
             for i in range(args.carts)]
    moments = [priced_at(c) for c in carts]
    start = time.perf_counter()
    facts = [program.facts(c, at) for c, at in zip(carts, moments, strict=True)]
    facts_us = (time.perf_counter() - start) / len(carts) * 1e6
    messages: list[str] = []
    result = peers.run_conditions([a for a, _ in when], [f for _, f in when], facts,
                                  args.budget, args.min_samples, messages.append, facts_us)
    result["targets"] = peers.run_targets([t for t, _ in targets], [f for _, f in targets],
                                          facts, args.budget, args.min_samples)
    result.update(size=args.size, lines=args.lines[0], messages=messages, carts=len(carts))
    for row in result["rows"]:
        if row.get("mismatches"):
            print("!" * 78 + f"\nCONDITIONS DISAGREE: {row['name']} differs from ours on "
                  f"{row['mismatches']} (cart, condition) pairs; first: "
                  + "; ".join(f"cart {c} `{' and '.join(a.dsl() for a in when[k][0])}`: "
                              f"ours {w}, {row['name']} {g}"
                              for c, k, w, g in row["mismatch_examples"][:3])
                  + "\n" + "!" * 78, file=sys.stderr, flush=True)
        row.pop("mismatch_examples", None)
    return result


CROSSOVER_SIZES = (10, 20, 50, 100, 300, 1000)
CROSSOVER_LINES = (1, 2, 5, 10, 20, 50, 100)


def worker_crossover(args: argparse.Namespace) -> dict[str, Any]:
    """Where the promotion index pays: the median time of an evaluation that uses the
    index over one that runs, without it, the promotions open at the cart's moment
    whose code was entered, per ruleset size and cart size (reference workload).
    ``engine.program.INDEX_PAYS_FROM`` is set from this."""
    import dsl
    import engine.program as program_module
    from engine import parse_cart
    from engine.program import Program

    from .reference import generate_workload

    warm_up()
    chosen = program_module.INDEX_PAYS_FROM
    rows = []
    for n in CROSSOVER_SIZES:
        workload = generate_workload(n, seed=args.seed)
        program = Program(dsl.load_ruleset_text(workload.text, name=f"crossover-{n}.yaml"),
                          check_index=False)
        ratios = []
        for lines in CROSSOVER_LINES:
            carts = [parse_cart(workload.cart(lines, seed=args.seed * 1000 + i))
                     for i in range(args.carts)]

            def indexed(cart: Any, program: Any = program) -> Any:
                program_module.INDEX_PAYS_FROM = 0
                return program.evaluate(cart)

            def every(cart: Any, program: Any = program) -> Any:
                program_module.INDEX_PAYS_FROM = sys.maxsize
                return program.evaluate(cart)

            with_index, without = sample([indexed, every], carts, args.budget,
                                         args.min_samples, blocks=2)
            ratios.append(statistics.median(with_index) / statistics.median(without))
        rows.append({"size": n, "ratios": ratios})
    program_module.INDEX_PAYS_FROM = chosen
    return {"lines": CROSSOVER_LINES, "rows": rows, "pays_from": chosen}


def print_crossover(res: dict[str, Any]) -> None:
    print("Index crossover (reference workload): evaluation time with the index / without it "
          "(the promotions open at the cart's moment whose code was entered); below 1.00 the "
          "index pays")
    rows = []
    for row in res["rows"]:
        paying = [lines for lines, r in zip(res["lines"], row["ratios"], strict=True) if r < 1]
        rows.append([f"{row['size']:,}", *(f"{r:.2f}" for r in row["ratios"]),
                     f"{row['size'] / max(paying):.1f}" if paying else "-"])
    print(table(["promotions", *(f"{lines} l" for lines in res["lines"]),
                 "promotions/line where it pays"], rows))
    print(f"(engine.program.INDEX_PAYS_FROM = {res['pays_from']}: the index is used from that "
          "many promotions per line of the cart)")


WORKERS = {"general": worker_general, "reference": worker_reference, "sweep": worker_sweep,
           "handful": worker_handful, "conditions": worker_conditions,
           "crossover": worker_crossover}


# ================================================================ the parent


def spawn(kind: str, args: argparse.Namespace, size: int, lines: Sequence[int],
          budget: float, carts: int, min_samples: int) -> dict[str, Any] | None:
    command = [sys.executable, "-m", "benchmarks.suite", "--worker", kind,
               "--size", str(size), "--lines", ",".join(map(str, lines)),
               "--seed", str(args.seed), "--budget", str(budget), "--carts", str(carts),
               "--min-samples", str(min_samples), "--repeat", str(args.repeat),
               "--out-dir", args.out_dir, "--sweep", str(args.sweep or 0)]
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False,
                          cwd=HERE.parent)
    took = time.perf_counter() - start
    label = f"{kind} {size:,}" if kind in ("general", "reference") else kind
    if done.returncode != 0:
        print(f"  {label}: worker FAILED (exit {done.returncode}); see the error above",
              flush=True)
        return None
    print(f"  {label}: {took:.1f} s", flush=True)
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 0) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([fmt(headers), "  ".join("-" * w for w in widths),
                      *(fmt(r) for r in rows)])


def ms(value: float) -> str:
    return f"{value:,.3f}" if value < 1 else f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "engine", "dsl"],
                               cwd=HERE, text=True, capture_output=True,
                               check=True).stdout.strip()
        return head + (" + uncommitted changes in engine/ or dsl/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict[str, str | None]:
    import importlib.metadata

    out: dict[str, str | None] = {}
    for name in ("pydantic", "lark", "PyYAML", "zen-engine", "cel-python", "rule-engine"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def header(args: argparse.Namespace, mode: Mode) -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    info = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(), "machine": platform.machine(),
        "processor": platform.processor() or "?", "cpus": os.cpu_count(), "usable_cpus": usable,
        "seed": args.seed, "mode": "quick" if args.quick else "full", "git": git_state(),
        "versions": versions(),
    }
    print(f"promorules benchmark suite · {info['date']}")
    print(f"python {info['python']} · {info['platform']} · {info['machine']} · "
          f"{info['cpus']} cpus ({usable} usable)")
    print(f"seed {args.seed} · {info['mode']} · sizes {','.join(map(str, mode.sizes))} · "
          f"lines {','.join(map(str, mode.lines))} · {mode.budget} s per cell, "
          f">= {mode.min_samples} samples, {mode.carts} carts · commit {info['git']}")
    v = info["versions"]
    print("libraries: " + ", ".join(f"{k} {v[k] or 'not installed'}" for k in v))
    print()
    return info


def print_general(results: list[dict[str, Any]]) -> None:
    print("1. Engine on generate.py rulesets (times per cart; load + compile cold, median of "
          "repeats)")
    rows = []
    for res in results:
        for i, row in enumerate(res["rows"]):
            first = i == 0
            rows.append([
                f"{res['size']:,}" if first else "",
                f"{res['load_s'] + res['compile_s']:.3f}" if first else "",
                f"{res['load_s']:.3f} + {res['compile_s']:.3f}" if first else "",
                str(row["lines"]), ms(row["median_ms"]), ms(row["p95_ms"]),
                f"{row['carts_per_s']:,.1f}", f"{row['applied']:.1f}", str(row["samples"]),
                f"{res['rss_peak_mb']:,.0f}" if first else "",
            ])
    print(table(["promotions", "load+compile s", "(load + compile)", "lines", "median ms",
                 "p95 ms", "carts/s", "applied", "samples", "peak RSS MB"], rows))
    if results:
        print(f"(peak RSS is the worker process's, load, compile and evaluation included; the "
              f"interpreter with its imports alone is ~{results[0]['rss_start_mb']:.0f} MB)")
    print()


def print_reference(results: list[dict[str, Any]]) -> int:
    print("2. Engine vs hand-written reference (reference workload; every cart checked to the "
          "cent)")
    rows, bad = [], 0
    for res in results:
        for i, row in enumerate(res["rows"]):
            bad += len(row["disagreements"])
            rows.append([
                f"{res['size']:,}" if i == 0 else "", str(row["lines"]),
                ms(row["engine"]["median_ms"]), ms(row["engine"]["p95_ms"]),
                ms(row["reference"]["median_ms"]), ms(row["reference"]["p95_ms"]),
                f"{row['ratio']:.2f}x", ms(row["json"]["median_ms"]),
                ms(row["json"]["median_ms"] - row["engine"]["median_ms"]),
                f"{row['applied']:.1f}",
                f"{row['checked'] - len(row['disagreements'])}/{row['checked']}",
            ])
    print(table(["promotions", "lines", "engine ms", "p95", "reference ms", "p95",
                 "engine/ref", "+to_json ms", "to_json", "applied", "agree"], rows))
    print("(+to_json: evaluate(cart).to_json(), what a service answers, the reasons of every "
          "promotion that did not apply included; to_json: the difference of the medians)")
    stack = [f"{r['size']:,}: base {r['stacking']['base']}, {r['stacking']['rounding']}, "
             f"coupons_per_order {r['stacking']['coupons_per_order']}, "
             f"coupon_with_automatic {str(r['stacking']['coupon_with_automatic']).lower()}"
             for r in results]
    print("(stacking of each ruleset: " + "; ".join(stack) + ")")
    print("AGREEMENT: " + ("every cart agrees to the cent" if not bad else
                           f"{bad} cart(s) DISAGREE - see the reports above"))
    print()
    return bad


def print_handful(res: dict[str, Any]) -> int:
    print(f"3. A handful: one {res['lines']}-line cart, rulesets where only "
          f"{res['matching']} promotions concern it; the others about things the cart does "
          "not have (other-things: other coupons, windows, segments, days, hours, products, "
          "sellers) or drawn from the whole mix (any: also thresholds the cart fails on what "
          "it has)")
    rows, bad = [], 0
    previous = None
    for row in res["rows"]:
        bad += len(row["disagreements"])
        rows.append([row["filler"] if row["filler"] != previous else "", f"{row['size']:,}",
                     f"{row['load_s'] + row['compile_s']:.2f}", str(row["ran"]),
                     str(row["eligible"]), str(row["applied"]),
                     ms(row["engine"]["median_ms"]), ms(row["engine"]["p95_ms"]),
                     ms(row["reference"]["median_ms"]), f"{row['ratio']:.2f}x",
                     "yes" if not row["disagreements"] else "NO"])
        previous = row["filler"]
    print(table(["filler", "promotions", "load+compile s", "ran", "eligible", "applied",
                 "engine ms", "p95", "reference ms", "engine/ref", "agree"], rows, left=1))
    print("  (ran: the promotions the engine runs for the cart, Program.candidates; eligible: "
          "coupon, window and `when` pass)")
    print()
    return bad


def print_conditions(res: dict[str, Any]) -> int:
    print(f"4. Conditions alone: the {res['rows'][0].get('conditions', '?')} `when` conditions "
          f"of the {res['size']:,}-promotion reference ruleset on {res['carts']} carts of "
          f"{res['lines']} lines")
    rows, bad = [], 0
    for row in res["rows"]:
        if "skipped" in row:
            rows.append([row["name"], "-", row["skipped"], "", "", "", "", ""])
            continue
        bad += row["mismatches"]
        rows.append([row["name"], row["version"], f"{row['conditions_per_s']:,.0f}",
                     f"{row['per_condition_us']:,.2f}", f"{row['vs_ours']:,.2f}x",
                     f"{row['context_us']:,.0f}", str(row["carts"]),
                     "yes" if not row["mismatches"] else f"NO ({row['mismatches']})"])
    print(table(["implementation", "version", "conditions/s", "us/condition", "time vs ours",
                 "input us/cart", "carts", "agree"], rows, left=1))
    print("  (input: building each one's input from the cart; Program.facts for ours and the "
          "lambdas, the peer's own data from the facts for the peers; not in conditions/s)")
    for row in res["rows"]:
        if "mode" in row:
            print(f"  {row['name']}: {row['mode']}")
    t = res["targets"]
    target_mismatches: int = t["mismatches"]
    print(f"  target conditions (item.*): {t['targets']} targets x {t['lines']:.0f} lines: "
          f"ours {t['ours_us']:.3f} us, lambdas {t['lambda_us']:.3f} us per (target, line): "
          f"ours/lambdas {t['ratio']:.2f}x; agree: "
          f"{'yes' if not target_mismatches else f'NO ({target_mismatches})'}")
    print()
    return bad + target_mismatches


def handful_pair(handful: dict[str, Any] | None, filler: str,
                 ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The 1,000 and 10,000 rows of ``filler`` in section 3, if both ran."""
    if not handful:
        return None
    rows = {r["size"]: r for r in handful["rows"] if r.get("filler", "any") == filler}
    small, big = rows.get(1000), rows.get(10000)
    return (small, big) if small and big else None


def print_targets(general: list[dict[str, Any]], ref: list[dict[str, Any]],
                  handful: dict[str, Any] | None, cond: dict[str, Any] | None,
                  ) -> list[dict[str, str]]:
    """Print section 5; its rows, for the JSON output."""
    print("5. Targets (issue #5) next to the measured figures")
    rows = []

    def verdict(ok: bool | None) -> str:
        return "-" if ok is None else "met" if ok else "NOT met"

    if cond is not None:
        ours = next((r for r in cond["rows"] if r["name"].startswith("ours")), None)
        lam = next((r for r in cond["rows"] if r["name"].startswith("hand")), None)
        if ours and lam and "skipped" not in ours and "skipped" not in lam:
            ratio = ours["per_condition_us"] / lam["per_condition_us"]
            rows.append(["conditions alone (`when`) vs hand-written lambdas", "<= 1.2x",
                         f"{ratio:.2f}x", verdict(ratio <= 1.2)])
        t = cond["targets"]
        rows.append(["target conditions vs hand-written lambdas", "<= 1.2x",
                     f"{t['ratio']:.2f}x", verdict(t["ratio"] <= 1.2)])
    small_cells = [(r["size"], row["lines"], row["ratio"]) for r in ref if r["size"] in (10, 50)
                   for row in r["rows"] if 1 <= row["lines"] <= 50]
    if small_cells:
        size, lines, worst = max(small_cells, key=lambda cell: cell[2])
        rows.append(["10 and 50 promotions x 1-50 lines vs the reference (the worst cell)",
                     "<= 1.5x", f"{worst:.2f}x ({size} x {lines})", verdict(worst <= 1.5)])
    ref_1000 = next((r for r in ref if r["size"] == 1000), None)
    row_50 = next((r for r in ref_1000["rows"] if r["lines"] == 50), None) if ref_1000 else None
    if row_50:
        rows.append(["1,000 promotions x 50 lines vs the reference", "<= 2x",
                     f"{row_50['ratio']:.2f}x", verdict(row_50["ratio"] <= 2)])
        rows.append(["1,000 promotions x 50 lines, per cart (reference workload)", "<= 3 ms",
                     f"{row_50['engine']['median_ms']:.2f} ms",
                     verdict(row_50["engine"]["median_ms"] <= 3)])
    gen_1000 = next((r for r in general if r["size"] == 1000), None)
    g50 = next((r for r in gen_1000["rows"] if r["lines"] == 50), None) if gen_1000 else None
    if g50:
        rows.append(["1,000 promotions x 50 lines, per cart (generate.py workload)", "<= 3 ms",
                     f"{g50['median_ms']:.2f} ms", verdict(g50["median_ms"] <= 3)])
    matching = handful["matching"] if handful else HANDFUL_MATCHING
    for filler, label in (
            ("other-things", f"10,000 promotions, cart matching {matching} (the others about "
                             "other codes, times, products, sellers, segments) vs 1,000"),
            ("any", "  same, the others drawn from the whole mix (incl. thresholds the cart "
                    "fails on what it has)")):
        pair = handful_pair(handful, filler)
        if pair is None:
            continue
        small, big = pair
        r = big["engine"]["median_ms"] / small["engine"]["median_ms"]
        rows.append([label, "<= 3x", f"{r:.2f}x ({big['engine']['median_ms']:.2f} ms, ran "
                                     f"{small['ran']} -> {big['ran']})", verdict(r <= 3)])
        if filler == "other-things" and row_50:
            r2 = big["engine"]["median_ms"] / row_50["engine"]["median_ms"]
            rows.append(["  same, vs the 1,000 x 50 case", "<= 3x", f"{r2:.2f}x",
                         verdict(r2 <= 3)])
    gen_10k = next((r for r in general if r["size"] == 10000), None)
    if gen_10k:
        lc = gen_10k["load_s"] + gen_10k["compile_s"]
        rows.append(["load + compile 10,000 promotions", "<= 3 s", f"{lc:.2f} s",
                     verdict(lc <= 3)])
        rows.append(["peak memory, 10,000 promotions (RSS, whole process)", "<= 300 MB",
                     f"{gen_10k['rss_peak_mb']:.0f} MB", verdict(gen_10k["rss_peak_mb"] <= 300)])
    elif handful and handful["rows"]:
        # the largest ruleset built in section 3 (most promotions, then most text)
        largest = max(handful["rows"], key=lambda r: (r["size"], r.get("text_kb", 0)))
        lc = largest["load_s"] + largest["compile_s"]
        rows.append([f"load + compile {largest['size']:,} promotions (handful ruleset, "
                     f"{largest.get('filler', 'any')} filler)", "<= 3 s", f"{lc:.2f} s",
                     verdict(lc <= 3)])
    if not rows:
        print("(none of the targets' sizes were run)")
    else:
        print(table(["target", "goal", "measured", ""], rows, left=1))
    print()
    return [{"target": r[0].strip(), "goal": r[1], "measured": r[2], "verdict": r[3]}
            for r in rows]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="promorules benchmark suite: engine, hand-written reference, peers.",
        epilog="Run from the repository root: python -m benchmarks.suite --quick")
    ints = lambda s: tuple(int(x) for x in s.split(",") if x)  # noqa: E731
    parser.add_argument("--quick", action="store_true",
                        help="10-1,000 promotions, 1-50 lines, short budgets (< 60 s)")
    parser.add_argument("--sizes", type=ints, help="promotion counts, e.g. 100,1000")
    parser.add_argument("--lines", type=ints, help="cart line counts, e.g. 1,50")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, help="seconds of timing per cell")
    parser.add_argument("--min-samples", type=int, help="at least this many carts per cell")
    parser.add_argument("--carts", type=int, help="distinct carts per cell")
    parser.add_argument("--repeat", type=int, default=3,
                        help="cold loads per ruleset (1 for 10,000+), default 3")
    parser.add_argument("--sweep", type=int, metavar="N",
                        help="agreement sweep over N small rulesets with every stacking "
                             "configuration (default: 6 quick, 24 full; 0 skips it)")
    parser.add_argument("--no-reference", action="store_true", help="skip sections 2 and 2b")
    parser.add_argument("--no-handful", action="store_true", help="skip section 3")
    parser.add_argument("--no-peers", action="store_true", help="skip section 4")
    parser.add_argument("--index-crossover", action="store_true",
                        help="only measure where the promotion index pays, per ruleset and "
                             "cart size (sets engine.program.INDEX_PAYS_FROM)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    parser.add_argument("--out-dir", default=str(Path(tempfile.gettempdir(),
                                                      "promorules-bench")),
                        help="where disagreeing rulesets and carts are written")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        result = WORKERS[args.worker](args)
        print(json.dumps(result, default=str))
        return 0
    given = {key: getattr(args, key) for key in ("sizes", "lines", "budget", "min_samples",
                                                 "carts") if getattr(args, key) is not None}
    mode = replace(QUICK if args.quick else FULL, **given)
    if args.quick:
        args.repeat = min(args.repeat, 2)
    started = time.perf_counter()
    info = header(args, mode)
    if args.index_crossover:
        crossover = spawn("crossover", args, 0, (), min(mode.budget, 0.5), mode.carts,
                          mode.min_samples)
        if crossover:
            print()
            print_crossover(crossover)
        return 0 if crossover else 1
    print("running (each part in its own process):", flush=True)
    general, ref = [], []
    for n in mode.sizes:
        res = spawn("general", args, n, mode.lines, mode.budget, mode.carts,
                    mode.min_samples)
        if res:
            general.append(res)
    if not args.no_reference:
        for n in mode.sizes:
            res = spawn("reference", args, n, mode.lines, mode.budget, mode.carts,
                        mode.min_samples)
            if res:
                ref.append(res)
    sweep = None
    if args.sweep is None:
        args.sweep = mode.sweep
    if not args.no_reference and args.sweep:
        sweep = spawn("sweep", args, 0, (), 0, 0, 0)
    handful = None
    if not args.no_handful and mode.handful:
        handful = spawn("handful", args, 0, (HANDFUL_LINES,), mode.budget, 1,
                        mode.min_samples * 4)
    cond = None
    if not args.no_peers:
        lines = min(mode.lines, key=lambda x: abs(x - CONDITION_LINES))
        cond = spawn("conditions", args, CONDITION_SIZE, (lines,), mode.peer_budget,
                     4 if args.quick else 8, 1)
    print()
    failures = 0
    if general:
        print_general(general)
    if ref:
        failures += print_reference(ref)
    if sweep:
        bad = len(sweep["disagreements"])
        failures += bad
        print(f"2b. Agreement sweep: {sweep['rulesets']} rulesets of 20-150 promotions with "
              f"random stacking ({sweep['configs']} distinct base / rounding / "
              f"coupons_per_order / coupon_with_automatic / max_discount combinations), "
              f"{sweep['checked']} carts: "
              + ("every cart agrees to the cent" if not bad else f"{bad} DISAGREE - see above"))
        print()
    if handful:
        failures += print_handful(handful)
    if cond:
        failures += print_conditions(cond)
    targets = print_targets(general, ref, handful, cond)
    print(f"suite finished in {time.perf_counter() - started:.0f} s"
          + ("" if not failures else f" - {failures} DISAGREEMENT(S), exit status 1"))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"info": info, "mode": asdict(mode), "general": general, "reference": ref,
             "sweep": sweep, "handful": handful, "conditions": cond, "targets": targets},
            indent=2, default=str) + "\n",
            encoding="utf-8")
    expected = len(mode.sizes) * (1 if args.no_reference else 2) \
        + (0 if args.no_handful or not mode.handful else 1) + (0 if args.no_peers else 1) \
        + (1 if not args.no_reference and args.sweep else 0)
    workers_ok = len(general) + len(ref) + (handful is not None) + (cond is not None) \
        + (sweep is not None)
    return 1 if failures or workers_ok < expected else 0


if __name__ == "__main__":
    raise SystemExit(main())
