"""Fuzz for as long as asked: the properties of tests/fuzz/test_fuzz.py, round after
round with a fresh seed and many examples each, until the time is up.

    python tests/fuzz/longrun.py --minutes 30            # from the repository root
    python tests/fuzz/longrun.py --minutes 5 --examples 500

Each round is one pytest run (a hang fails an example's 20 s deadline); a round
that fails prints hypothesis's smallest failing example and the seed that
replays it: ``PROMORULES_FUZZ_EXAMPLES=N python -m pytest tests/fuzz
--hypothesis-seed=SEED``.  Exit status 1 when any round failed.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--examples", type=int, default=2000,
                        help="examples per property and round")
    args = parser.parse_args()
    deadline = time.monotonic() + args.minutes * 60
    env = {**os.environ, "PROMORULES_FUZZ_EXAMPLES": str(args.examples)}
    rounds, failed, examples = 0, [], 0
    while time.monotonic() < deadline:
        seed = random.randrange(2**32)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/fuzz", "-q", "-p", "no:cacheprovider",
             f"--hypothesis-seed={seed}"], cwd=ROOT, env=env, capture_output=True, text=True,
            check=False)
        rounds += 1
        examples += 3 * args.examples
        status = "ok" if done.returncode == 0 else "FAILED"
        print(f"round {rounds}: seed {seed}: {status}", flush=True)
        if done.returncode != 0:
            failed.append(seed)
            print(done.stdout[-6000:], flush=True)
    print(f"{rounds} rounds, about {examples:,} examples, {len(failed)} failed"
          + (f" (seeds {', '.join(map(str, failed))})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
