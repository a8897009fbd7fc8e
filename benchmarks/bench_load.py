"""How fast does ``dsl.load_ruleset`` load rulesets of growing size?

    python -m benchmarks.bench_load                        # sizes 10,100,1000, 5 repeats
    python -m benchmarks.bench_load --sizes 1000,10000 --repeat 3 --seed 7

For every size a ruleset is generated (``benchmarks/generate.py``), written to
a temporary file and loaded ``--repeat`` times from that path.  Printed:

* the load table: median and min of ``load_ruleset(path)``, promotions per
  second, and as a baseline measured in the same run, plain
  ``yaml.load(text, CSafeLoader)`` (``SafeLoader`` when PyYAML has no
  libyaml) of the same text, with the ratio load / baseline;
* the split of one load into its stages: composing the YAML with positions
  (``dsl.loader.compose_document``), parsing and type-checking the condition
  expressions (Lark + checker), and the pydantic model validation; "other"
  is what the full load took beyond the three.

This prints figures; it asserts nothing about time.  The target is a
1,000-promotion ruleset in under 1 s.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .generate import generate_ruleset
from .timing import times as _times

if TYPE_CHECKING:
    from dsl.expr.types import Context

TARGET_SIZE = 1000
TARGET_SECONDS = 1.0


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    def fmt(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))

    return "\n".join([fmt(headers), line, *(fmt(r) for r in rows)])


# ------------------------------------------------------------------ stages


def _condition_sites(data: Any) -> list[tuple[dict[str, Any], str, Context]]:
    """(parent mapping, key, context) of every condition, as the loader finds them."""
    from dsl.model import CONDITION_FIELDS  # (imported when measured: see main)

    sites = []
    for promo in data.get("promotions") or []:
        for path, context in CONDITION_FIELDS:
            parent = promo
            for name in path[:-1]:
                parent = parent.get(name) if isinstance(parent, dict) else None
            if isinstance(parent, dict) and isinstance(parent.get(path[-1]), str):
                sites.append((parent, path[-1], context))
    return sites


def _split(text: str, repeat: int) -> dict[str, float] | str:
    """Median seconds of each stage of the pipeline, or why it could not be measured.

    Uses the DSL's stage functions directly (not its private glue), so the
    split stays measurable while ``dsl.ruleset`` changes.
    """
    try:
        from dsl.currencies import MINOR_UNITS
        from dsl.expr.check import check_condition
        from dsl.expr.parser import parse_expression
        from dsl.loader import SourceFile, compose_document
        from dsl.model import Ruleset
        from dsl.values import Condition
    except ImportError as err:  # pragma: no cover - depends on the DSL's layout
        return f"stage functions not importable ({err})"

    compose_t, cond_t, valid_t = [], [], []
    count = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        doc, diagnostics = compose_document(SourceFile("bench.yaml", text))
        composed = time.perf_counter()
        if doc is None or diagnostics:
            return "compose_document reported diagnostics"
        sites = _condition_sites(doc.data)
        count = len(sites)
        for parent, key, context in sites:
            source = parent[key]
            node = parse_expression(source)
            if check_condition(node, context):
                return f"condition {source!r} has errors"
            parent[key] = Condition(source, node, doc.position(()).value)
        parsed = time.perf_counter()
        Ruleset.model_validate(doc.data, context={"minor_units": MINOR_UNITS[doc.data["currency"]]})
        done = time.perf_counter()
        compose_t.append(composed - start)
        cond_t.append(parsed - composed)
        valid_t.append(done - parsed)
    return {"compose": statistics.median(compose_t), "conditions": statistics.median(cond_t),
            "validate": statistics.median(valid_t), "expressions": count}


# ------------------------------------------------------------------ main


def _cold_load(path: Path) -> None:
    """Load as a fresh process would: without conditions memoised by an earlier load."""
    import dsl.ruleset

    dsl.ruleset._parse_and_check.cache_clear()
    dsl.ruleset.load_ruleset(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark dsl.load_ruleset on generated rulesets.")
    parser.add_argument("--sizes", default="10,100,1000",
                        help="comma-separated promotion counts (default: 10,100,1000)")
    parser.add_argument("--repeat", type=int, default=5, help="loads per size (default: 5)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default: 0)")
    parser.add_argument("--no-split", action="store_true", help="skip the per-stage split")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes comma-separated integers, e.g. 10,100,1000")
    if args.repeat < 1 or not sizes or min(sizes) < 0:
        parser.error("--repeat must be at least 1 and --sizes non-negative")

    start = time.perf_counter()
    import dsl
    import_time = time.perf_counter() - start
    import yaml

    try:
        from yaml import CSafeLoader as BaselineLoader
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        from yaml import SafeLoader as BaselineLoader  # type: ignore[assignment]

    print(f"python {sys.version.split()[0]}, PyYAML {yaml.__version__} "
          f"(baseline loader: {BaselineLoader.__name__}), seed {args.seed}, "
          f"{args.repeat} repeat{'s' if args.repeat != 1 else ''}")
    print(f"import dsl: {_ms(import_time)} ms (once per process, not in the figures below)")

    rows, split_rows, results = [], [], {}
    first_load: float | None = None
    with tempfile.TemporaryDirectory(prefix="promorules-bench-") as tmp:
        for n in sizes:
            text = generate_ruleset(n, seed=args.seed)
            path = Path(tmp, f"ruleset-{n}.yaml")
            path.write_text(text, encoding="utf-8")
            size_kb = os.path.getsize(path) / 1024

            if first_load is None:  # the first load in the process pays lazy set-up
                t0 = time.perf_counter()
                dsl.load_ruleset(path)
                first_load = time.perf_counter() - t0
            loaded = dsl.load_ruleset(path)  # warm, and check it loads at all
            assert len(loaded.promotions) == n

            load = _times(partial(_cold_load, path), args.repeat)
            base = _times(partial(yaml.load, text, Loader=BaselineLoader), args.repeat)
            med, low, base_med = statistics.median(load), min(load), statistics.median(base)
            results[n] = med
            rows.append([
                f"{n:,}", f"{size_kb:,.1f}", _ms(med), _ms(low),
                f"{n / med:,.0f}" if med and n else "-",
                _ms(base_med), f"{med / base_med:,.1f}x" if base_med else "-",
            ])

            if not args.no_split:
                split = _split(text, args.repeat)
                if isinstance(split, str):
                    split_rows.append([f"{n:,}", split, "", "", "", "", ""])
                    continue
                parts = split["compose"] + split["conditions"] + split["validate"]
                other = max(med - parts, 0.0)
                whole = parts + other
                def pct(x: float, whole: float = whole) -> str:
                    return f"{100 * x / whole:.0f}%" if whole else "-"

                split_rows.append([
                    f"{n:,}",
                    f"{_ms(split['compose'])} ({pct(split['compose'])})",
                    f"{split['expressions']:,}",
                    f"{_ms(split['conditions'])} ({pct(split['conditions'])})",
                    f"{_ms(split['validate'])} ({pct(split['validate'])})",
                    f"{_ms(other)} ({pct(other)})",
                    f"{split['conditions'] / split['expressions'] * 1e6:,.0f}"
                    if split["expressions"] else "-",
                ])

    print()
    print("load_ruleset(path) vs plain YAML parse of the same text (times in ms)")
    print(_table(["promotions", "file KB", "median", "min", "promos/s", "yaml.load",
                  "ratio"], rows))
    if first_load is not None:
        print(f"(first load in the process, size {sizes[0]:,}: {_ms(first_load)} ms)")
    if split_rows:
        print()
        print("Where one load's time goes (medians, ms; % of the load's median)")
        print(_table(["promotions", "compose (YAML+positions)", "expressions",
                      "parse+check exprs", "model validation", "other", "us/expr"],
                     split_rows))
    if TARGET_SIZE in results:
        verdict = "met" if results[TARGET_SIZE] < TARGET_SECONDS else "NOT met"
        print()
        print(f"target: {TARGET_SIZE:,} promotions in < {TARGET_SECONDS:.0f} s -> "
              f"{results[TARGET_SIZE]:.3f} s, {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
