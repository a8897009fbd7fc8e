"""What do weekly schedules cost an evaluation, against plain windows?

    python -m benchmarks.bench_schedules                   # 100 and 1,000 promotions
    python -m benchmarks.bench_schedules --sizes 1000 --carts 400 --seed 5

For each size three rulesets are built with the same promotions (a category
target, a percentage off, a window over 2026): *plain*; *open*, where every
promotion also has a schedule open at all times (every day, "00:00-24:00":
the same results as plain, so the difference is the cost of the check
itself); and *shop*, where the schedules are drawn from a few shop patterns
(weekends, weekday evenings, a range past midnight), so that most promotions
are closed at a given instant.  The same carts (10 lines each, each priced at
its own instant of a week in June, so the index's per-minute cache is
exercised as a checkout would) are priced against each, with the index and
without it (every promotion run).  Printed: the median time per cart and the
ratio to plain; then the cost of one
``Schedule.is_open`` and of one ``next_opening`` (what an `outside_schedule`
reason costs when it is read), against one ``astimezone`` (the floor of any
wall-clock check).  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from zoneinfo import ZoneInfo

from dsl import load_ruleset_text
from dsl.schedule import Schedule
from engine import Program
from engine.cart import Cart, parse_cart

from .timing import times

CATEGORIES = [f"c{i}" for i in range(40)]
PATTERNS = [
    ("[sat, sun]", '["09:00-12:00", "18:00-22:00"]'),
    ("[mon, tue, wed, thu, fri]", '["17:00-19:00"]'),
    ("[fri, sat]", '["22:00-02:00"]'),
    ("[wed]", '["00:00-24:00"]'),
]


def ruleset_text(size: int, seed: int, variant: str) -> str:
    rng = random.Random(seed)
    out = ["ruleset: bench", "dsl: 1", "currency: EUR", "timezone: Europe/Paris",
           "stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }",
           "promotions:"]
    for index in range(size):
        days, hours = rng.choice(PATTERNS)
        window = "from: 2026-01-01, until: 2027-01-01"
        if variant == "open":
            window += ', days: [mon, tue, wed, thu, fri, sat, sun], hours: ["00:00-24:00"]'
        elif variant == "shop":
            window += f", days: {days}, hours: {hours}"
        out += [f"  - id: p{index}", f"    priority: {rng.randint(0, 50)}",
                f"    active: {{ {window} }}",
                f'    target: item.category == "{rng.choice(CATEGORIES)}"',
                f"    effect: {{ percent_off: {rng.choice([5, 10, 15])} }}"]
    return "\n".join(out) + "\n"


def carts(count: int, seed: int) -> list[Cart]:
    rng = random.Random(seed + 1)
    week = dt.datetime(2026, 6, 15, tzinfo=dt.UTC)
    out = []
    for index in range(count):
        at = week + dt.timedelta(minutes=rng.randrange(7 * 24 * 60))
        out.append(parse_cart({
            "id": f"cart{index}", "currency": "EUR", "at": at.isoformat(),
            "lines": [{"id": f"l{n}", "sku": f"s{n}", "category": rng.choice(CATEGORIES),
                       "unit_price": "12.50", "quantity": rng.randint(1, 3)}
                      for n in range(10)]}))
    return out


def per_cart(program: Program, sample: list[Cart], repeat: int) -> float:
    """Median seconds per cart over ``repeat`` passes over ``sample``."""
    def run() -> None:
        for cart in sample:
            program.evaluate(cart)
    return statistics.median(times(run, repeat)) / len(sample)


VARIANTS = ("plain", "open", "shop")


def bench(size: int, count: int, seed: int, repeat: int) -> None:
    sample = carts(count, seed)
    rows = {}
    for variant in VARIANTS:
        ruleset = load_ruleset_text(ruleset_text(size, seed, variant))
        for use_index in (True, False):
            program = Program(ruleset, use_index=use_index, check_index=False)
            rows[variant, use_index] = per_cart(program, sample, repeat)
    for use_index in (True, False):
        plain = rows["plain", use_index]
        shown = " · ".join(f"{v} {rows[v, use_index] * 1e3:7.3f} ms "
                           f"({rows[v, use_index] / plain:4.2f}x)" for v in VARIANTS[1:])
        print(f"{size:>6,} promotions, {'index   ' if use_index else 'no index'}: plain "
              f"{plain * 1e3:7.3f} ms/cart · {shown}")


def micro(loops: int) -> None:
    zone = ZoneInfo("Europe/Paris")
    schedule = Schedule.of(("sat", "sun"), ("09:00-12:00", "18:00-22:00"), zone)
    at = dt.datetime(2026, 6, 17, 8, tzinfo=dt.UTC)

    def clock(fn: object, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            fn()  # type: ignore[operator]
        return (time.perf_counter() - start) / n

    floor = clock(lambda: at.astimezone(zone), loops)
    is_open = clock(lambda: schedule.is_open(at), loops)
    opening = clock(lambda: schedule.next_opening(at), max(1, loops // 100))
    print(f"astimezone {floor * 1e6:6.2f} µs · is_open {is_open * 1e6:6.2f} µs "
          f"({is_open / floor:4.1f}x) · next_opening {opening * 1e6:8.1f} µs "
          f"({opening / floor:6.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000",
                        help="comma-separated promotion counts (default 100,1000)")
    parser.add_argument("--carts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, args.carts, args.seed, args.repeat)
    micro(20_000)


if __name__ == "__main__":
    main()
