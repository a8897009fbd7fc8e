"""How long does ``promo lint`` take on a generated 1,000-promotion ruleset?

    python -m benchmarks.bench_lint                      # 1,000 promotions, 5 repeats
    python -m benchmarks.bench_lint --sizes 1000,5000 --repeat 3 --seed 7

For every size a ruleset is generated (``benchmarks/generate.py``), written to
a temporary file and linted ``--repeat`` times with every rule (as
``promo lint`` does: load, semantic rules, suppressions).  Printed: the median
and best whole-lint time, the loading part (``analyze_file``), and the time of
each rule on the loaded ruleset, slowest first.  The target is a
1,000-promotion ruleset in under 2 s; the script prints whether it was met and
asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
from functools import partial
from pathlib import Path

from dsl.errors import Diagnostic
from dsl.lint import LintRuleset, lint_paths
from dsl.lint.rules import REGISTRY, RuleModule
from dsl.ruleset import analyze_file

from .generate import generate_ruleset
from .timing import times as _times

TARGET_SIZE = 1000
TARGET_SECONDS = 2.0
NOW = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _findings(rule: RuleModule, subject: LintRuleset) -> list[Diagnostic]:
    return list(rule.check(subject))


def bench(size: int, seed: int, repeat: int) -> float:
    text = generate_ruleset(size, seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ruleset.yaml"
        path.write_text(text, encoding="utf-8")
        report = lint_paths([path], now=NOW)
        lint = _times(lambda: lint_paths([path], now=NOW), repeat)
        load = _times(lambda: analyze_file(path), repeat)
        analysis = analyze_file(path)
        assert analysis.ruleset is not None and analysis.document is not None
        subject = LintRuleset(analysis.ruleset, analysis.document, NOW)
        per_rule = sorted(((statistics.median(_times(partial(_findings, rule, subject),
                                                      repeat)), rule.code, rule.name)
                           for rule in REGISTRY), reverse=True)
    median = statistics.median(lint)
    counts: dict[str, int] = {}
    for d in report.diagnostics:
        counts[d.code] = counts.get(d.code, 0) + 1
    print(f"{size:,} promotions ({len(text):,} bytes, seed {seed}): lint median "
          f"{_ms(median)}, best {_ms(min(lint))}; loading {_ms(statistics.median(load))}; "
          f"{len(report.diagnostics):,} findings "
          f"({', '.join(f'{c} {n}' for c, n in sorted(counts.items())) or 'none'})")
    for seconds, code, name in per_rule[:6]:
        print(f"    {code} {name:<36} {_ms(seconds)}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=str(TARGET_SIZE),
                        help="comma-separated promotion counts (default 1000)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        results[size] = bench(size, args.seed, args.repeat)
    if TARGET_SIZE in results:
        met = "met" if results[TARGET_SIZE] < TARGET_SECONDS else "NOT met"
        print(f"target: lint {TARGET_SIZE:,} promotions in under {TARGET_SECONDS:.0f} s: {met} "
              f"({results[TARGET_SIZE]:.2f} s)")


if __name__ == "__main__":
    main()
