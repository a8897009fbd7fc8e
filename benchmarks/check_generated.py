"""Check that generated rulesets load clean and generation is deterministic.

    python -m benchmarks.check_generated                   # sizes 10,100,1000,10000
    python -m benchmarks.check_generated --sizes 10,100 --seeds 0,1,2,3,4

Exit code 1 (with the diagnostics) if any generated ruleset does not load.
"""

from __future__ import annotations

import argparse
import time

from .generate import generate_cart, generate_ruleset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args(argv)
    import dsl

    failed = 0
    for n in (int(s) for s in args.sizes.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            text = generate_ruleset(n, seed=seed)
            if text != generate_ruleset(n, seed=seed):
                print(f"n={n} seed={seed}: not deterministic")
                failed += 1
                continue
            start = time.perf_counter()
            try:
                ruleset = dsl.load_ruleset_text(text, name=f"generated-{n}-s{seed}.yaml")
            except dsl.RulesetError as err:
                print(f"n={n} seed={seed}: {len(err.diagnostics)} diagnostics\n{err}")
                failed += 1
                continue
            codes = [c for p in ruleset.promotions for c in p.codes]
            ok = len(ruleset.promotions) == n and len(codes) == len(set(codes))
            failed += not ok
            print(f"n={n:>6,} seed={seed}: {'ok' if ok else 'WRONG'} "
                  f"({time.perf_counter() - start:.2f} s)")
        cart = generate_cart(8, seed=n)
        assert cart == generate_cart(8, seed=n) and len(cart["lines"]) == 8
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
