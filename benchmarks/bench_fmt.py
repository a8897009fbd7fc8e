"""How long does ``promo fmt`` take, against loading the same ruleset?

    python -m benchmarks.bench_fmt                       # 10, 100, 1,000 promotions
    python -m benchmarks.bench_fmt --sizes 100,5000 --repeat 3 --seed 7

For every size a ruleset is generated (``benchmarks/generate.py``) and, each
``--repeat`` times, loaded (``analyze_source``: the baseline), read and written
back by ruamel.yaml's round-trip mode alone (the floor of any formatter that
keeps comments with it), and formatted (``format_ruleset``: two loads, the
round trip, the canonical rewrite and the checks).  Printed: the medians and
the ratios to the load.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import statistics

from ruamel.yaml import YAML

from dsl import analyze_source
from dsl.fmt import format_ruleset
from dsl.loader import SourceFile

from .generate import generate_ruleset
from .timing import times


def _round_trip(text: str) -> str:
    rt = YAML(typ="rt")
    out = io.StringIO()
    rt.dump(rt.load(text), out)
    return out.getvalue()


def bench(size: int, seed: int, repeat: int) -> None:
    text = generate_ruleset(size, seed)
    load = statistics.median(times(lambda: analyze_source(SourceFile("bench", text)), repeat))
    ruamel = statistics.median(times(lambda: _round_trip(text), repeat))
    fmt = statistics.median(times(lambda: format_ruleset(text), repeat))
    print(f"{size:>6,} promotions ({len(text):>9,} bytes): load {load * 1000:>8,.0f} ms · "
          f"ruamel round trip {ruamel * 1000:>8,.0f} ms ({ruamel / load:4.1f}x) · "
          f"fmt {fmt * 1000:>8,.0f} ms ({fmt / load:4.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000",
                        help="comma-separated promotion counts (default 10,100,1000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, args.seed, args.repeat)


if __name__ == "__main__":
    main()
