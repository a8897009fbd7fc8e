"""Peak memory and time of ``promo eval`` on the largest inputs promorules accepts, and
on oversize ones it must refuse (README "Limits").

    python -m benchmarks.bench_memory                  # every case
    python -m benchmarks.bench_memory --no-trace       # skip the tracemalloc runs (faster)
    python -m benchmarks.bench_memory --cases flow-5m,cart-100k-lines

Every case runs ``promo eval RULESET CART`` (the command's own code, called in the
process, its output sent to /dev/null) in a fresh Python process, so no case pays for
another.  Printed per case: the input, its size, how ``promo eval`` ended (exit code
and error code), the seconds it took (the interpreter's start and the imports not
counted), the RSS after the imports, the peak RSS of the run (Linux: ``VmHWM`` reset
after the imports; elsewhere ``ru_maxrss``, which may count the parent's memory) and
that peak minus the RSS after the imports, and, from a second process, tracemalloc's
peak of the Python allocations of the run.  These are figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEADER = ("ruleset: bench-memory\ndsl: 1\ncurrency: EUR\ntimezone: Europe/Berlin\n"
          "stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }\n")
AT = "2026-07-15T14:30:00+02:00"


# --------------------------------------------------------------------- inputs


def small_promotions(count: int) -> str:
    """``count`` one-line promotions (75 bytes each): the issue's 200,000-promotion file."""
    return HEADER + "promotions:\n" + "".join(
        f"  - {{id: p{i}, effect: {{percent_off: 10}}, when: cart.subtotal >= {i}}}\n"
        for i in range(count))


def largest_ruleset(applying: int = 200) -> str:
    """10,000 promotions (the cap) holding close to 2,000,000 characters of conditions and
    300,000 YAML nodes (the caps): ``applying`` of them take a cent off every unit of every
    line (the most a 1,000-line cart may compute: 200), the others have a false ``when``
    and half of them coupon codes, so every reason is worked out when the result is read."""
    from dsl.loader import MAX_NODES
    from dsl.model import MAX_CONDITION_TEXT, MAX_PROMOTIONS

    per_condition = MAX_CONDITION_TEXT // MAX_PROMOTIONS // 2 - 2
    out = [HEADER, "promotions:\n"]
    for i in range(MAX_PROMOTIONS):
        if i < applying:
            when = (f'cart.quantity >= 1 and customer.orders >= 0 and cart.lines >= 1 or '
                    f'cart.id == "x{i:05d}"')
            target = f'item.quantity >= 1 or item.sku == "S{i:05d}"'
            effect = '{ amount_off_each: "0.01", max_units: 1000000000 }'
        else:
            when = (f'customer.attributes.tier == "t{i:05d}" and cart.subtotal >= {i} and '
                    f'cart.shipping_method != "m{i:05d}"')
            target = f'item.category == "c{i:05d}" or item.brand == "b{i:05d}"'
            effect = '{ percent_off: 12.345678, max_amount: "999999999999999.99" }'
        when = _padded(when, per_condition, i)
        target = _padded(target, per_condition, i)
        coupons = f"\n    coupons: [{', '.join(f'C{i:05d}X{k}' for k in range(12))}]" \
            if i >= applying and i % 2 else ""
        out.append(f"  - id: p{i:05d}\n    name: Promotion number {i:05d} of the largest "
                   f"ruleset\n    priority: {MAX_PROMOTIONS - i}\n    when: '{when}'\n"
                   f"    target: '{target}'\n    effect: {effect}\n"
                   f"    limits: {{ uses: 1000000000, per_customer: 1000 }}{coupons}\n")
    text = "".join(out)
    assert nodes(text) <= MAX_NODES, nodes(text)
    return text


def pending_ruleset(count: int) -> str:
    """A first promotion that takes every line to zero, then ``count`` with distinct targets
    on every line: their discounts are computed when their reasons are read (1,000 lines
    each), and kept per target (``base: original``)."""
    return HEADER.replace("base: discounted", "base: original") + "promotions:\n" + \
        '  - { id: a-zero, priority: 1, effect: { fixed_price: "0" } }\n' + "".join(
            f"  - {{ id: p{i:05d}, target: 'item.quantity >= 1 or item.sku == \"S{i:05d}\"', "
            f"effect: {{ percent_off: 10 }} }}\n" for i in range(count))


def _padded(condition: str, length: int, i: int) -> str:
    """``condition`` or-ed with distinct false parts to ``length`` characters."""
    k = 0
    while len(condition) + 60 <= length:
        condition += f' or cart.id == "z{i:05d}-{k:04d}"'
        k += 1
    rest = length - len(condition) - len(' or cart.id == ""')
    return condition + f' or cart.id == "{f"y{i:05d}".ljust(rest, "y")}"' if rest > 6 \
        else condition


def largest_cart(lines: int = 1_000) -> str:
    """1,000 lines (the cap), each with 50 tags and full attributes; 20 codes entered."""
    from engine.cart_fields import MAX_ATTRIBUTE_TEXT, MAX_ATTRIBUTE_VALUES, MAX_COUPONS, MAX_TAGS

    def attributes(seed: str) -> dict[str, Any]:
        values = MAX_ATTRIBUTE_VALUES - 2
        text = (MAX_ATTRIBUTE_TEXT - 20 * values) // values
        return {"nested": {"list": [1, 2]}} | {
            f"k{seed}{n:03d}": ("x" * text if n % 2 else n) for n in range(values - 2)}

    data = {
        "id": "largest", "currency": "EUR", "at": AT,
        "customer": {"id": "c-1", "orders": 3, "attributes": attributes("c"),
                     "segments": [f"segment-{n:02d}" for n in range(MAX_TAGS)]},
        "coupons": [f"ENTERED-{n:02d}" for n in range(MAX_COUPONS)],
        "lines": [{"id": f"l{i:04d}", "sku": f"SKU-{i:06d}", "category": f"cat-{i % 40}",
                   "brand": f"brand-{i % 7}", "seller": f"seller-{i % 13}",
                   "tags": [f"tag-{n:02d}" for n in range(MAX_TAGS)],
                   "unit_price": "1000000.00", "quantity": 1_000,
                   "attributes": attributes(str(i))} for i in range(lines)],
        "shipping": {"method": "standard", "price": "4.95"},
        "attributes": attributes("a"),
    }
    return json.dumps(data, indent=1)


def small_cart() -> str:
    return json.dumps({"id": "small", "currency": "EUR", "at": AT, "lines": [
        {"id": f"l{i}", "sku": f"S{i}", "unit_price": "19.99", "quantity": 2}
        for i in range(10)]})


def nodes(text: str) -> int:
    """The YAML nodes of ``text`` as the loader counts them (keys too; no aliases here)."""
    import yaml

    kinds = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)
    return sum(isinstance(event, kinds) for event in yaml.parse(text, Loader=yaml.CSafeLoader))


def _flow(count: int, key: str) -> str:
    return HEADER + f"promotions: []\n{key}: [" + ",".join(["1"] * count) + "]\n"


def _bomb() -> str:
    rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return HEADER + "promotions: []\n" + "\n".join(rows) + "\n"


def _conditions_over() -> str:
    condition = " or ".join(f'item.sku == "S{k:05d}"' for k in range(150))
    return HEADER + "promotions:\n" + "".join(
        f"  - id: p{i}\n    effect: {{ percent_off: 1 }}\n    target: '{condition}'\n"
        for i in range(700))


def _cart_lines(count: int) -> str:
    return json.dumps({"id": "c", "currency": "EUR", "at": AT, "lines": [
        {"id": f"l{i}", "sku": "S", "unit_price": "1.00", "quantity": 1} for i in range(count)]})


def _cart_attributes(count: int) -> str:
    return json.dumps({"id": "c", "currency": "EUR", "at": AT, "lines": [],
                       "attributes": {f"k{i}": i for i in range(count)}})


def _huge_integer() -> str:
    return small_promotions(1).replace("percent_off: 10", "percent_off: " + "9" * 5_000)


# name → (what, ruleset text, cart text, extra arguments); accepted cases first
CASES: dict[str, tuple[str, Callable[[], str], Callable[[], str], tuple[str, ...]]] = {
    "small-1000": ("1,000 small promotions, 10-line cart", lambda: small_promotions(1_000),
                   small_cart, ()),
    "small-10000": ("10,000 small promotions (the cap), 10-line cart",
                    lambda: small_promotions(10_000), small_cart, ()),
    "largest-text": ("largest ruleset x largest cart, text", largest_ruleset, largest_cart, ()),
    "largest-json": ("largest ruleset x largest cart, --format json", largest_ruleset,
                     largest_cart, ("--format", "json")),
    "small-10001": ("10,001 small promotions", lambda: small_promotions(10_001), small_cart, ()),
    "small-200k": ("200,000 small promotions (15 MB)", lambda: small_promotions(200_000),
                   small_cart, ()),
    "flow-5m": ("a flow list of 5,000,000 integers (10 MB)", lambda: _flow(5_000_000, "x"),
                small_cart, ()),
    "promotions-5m": ("promotions: a flow list of 5,000,000 integers",
                      lambda: _flow(5_000_000, "promotions").replace("promotions: []\n", "", 1),
                      small_cart, ()),
    "bomb": ("an alias bomb (9 levels of 9 aliases)", _bomb, small_cart, ()),
    "lines-2m": ("2,000,000 comment lines", lambda: small_promotions(1) + "#\n" * 2_000_000,
                 small_cart, ()),
    "short-lines": ("10,001 promotions after 489,000 lines of 32 characters (16 MB)",
                    lambda: ("#" * 31 + "\n") * 489_000 + small_promotions(10_001),
                    small_cart, ()),
    "size-17mib": ("a 17 MiB file", lambda: small_promotions(1) + "#" * (17 << 20) + "\n",
                   small_cart, ()),
    "conditions-2.2m": ("conditions of 2,200,000 characters in all", _conditions_over,
                        small_cart, ()),
    "integer-5000": ("a 5,000-digit integer", _huge_integer, small_cart, ()),
    "cart-1001-lines": ("a cart of 1,001 lines", lambda: small_promotions(10),
                        lambda: _cart_lines(1_001), ()),
    "cart-100k-lines": ("a cart of 100,000 lines (7 MB)", lambda: small_promotions(10),
                        lambda: _cart_lines(100_000), ()),
    "cart-700k-attributes": ("cart attributes of 700,000 values (13 MB)",
                             lambda: small_promotions(10), lambda: _cart_attributes(700_000), ()),
    "work-999": ("largest cart x 999 promotions computed for their reasons only",
                 lambda: pending_ruleset(999), largest_cart, ()),
    "work-201": ("largest cart x 201 promotions applying to every line", lambda:
                 largest_ruleset(201), largest_cart, ()),
    "work-1000": ("largest cart x 1,000 promotions computed for their reasons only",
                  lambda: pending_ruleset(1_000), largest_cart, ()),
}


# ---------------------------------------------------------------------- child


def _status_mb(field: str) -> float | None:
    """``VmRSS`` or ``VmHWM`` of this process in MB (Linux), else ``None``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_mb() -> float:
    """The RSS now (Linux), else the peak so far."""
    now = _status_mb("VmRSS")
    if now is not None:
        return now
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _reset_peak() -> bool:
    """Start the peak RSS (``VmHWM``) over from the RSS now (Linux 4.0 and later)."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return _status_mb("VmHWM") is not None


def _peak_mb(reset: bool) -> float:
    if reset and (peak := _status_mb("VmHWM")) is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child(directory: Path, case: str, trace: bool) -> dict[str, Any]:
    """Run ``promo eval`` on one case in this process; what it cost."""
    import tracemalloc

    import dsl  # noqa: F401 - the imports are not part of the figures
    import engine  # noqa: F401
    from engine.cli import cli

    args = ["eval", str(directory / f"{case}.yaml"), str(directory / f"{case}.cart.json"),
            *CASES[case][3]]
    baseline = _rss_mb()
    reset = _reset_peak()
    err_path = directory / f"{case}.stderr"
    saved = sys.stdout, sys.stderr
    code = 0
    with open(os.devnull, "w", encoding="utf-8") as out, \
            open(err_path, "w", encoding="utf-8") as err:
        sys.stdout, sys.stderr = out, err
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        try:
            cli.main(args=args, prog_name="promo", standalone_mode=False)
        except SystemExit as done:
            code = int(done.code or 0)
        seconds = time.perf_counter() - start
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        sys.stdout, sys.stderr = saved
    with open(err_path, encoding="utf-8") as err:
        first = err.readline(400).strip()
    return {"seconds": seconds, "rss": _peak_mb(reset), "baseline": baseline,
            "traced": traced, "exit": code, "first": first}


# --------------------------------------------------------------------- parent


def _run(directory: Path, case: str, trace: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_memory", "--child", case,
               "--dir", str(directory)] + (["--trace"] if trace else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _outcome(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"failed: {result['error'][:60]}"
    if result["exit"] == 0:
        return "0 priced"
    code = re.search(r"\bPR[0-9]{3}\b", result["first"])
    return f"{result['exit']} {code.group() if code else result['first'][:30]}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([fmt(headers), "  ".join("-" * w for w in widths), *map(fmt, rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", help=f"comma-separated, of: {', '.join(CASES)}")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(Path(args.dir), args.child, args.trace)))
        return 0
    names = [n.strip() for n in args.cases.split(",")] if args.cases else list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown cases: {', '.join(unknown)}")
    print(f"python {sys.version.split()[0]} on {sys.platform}; each case in a fresh process; "
          "time and memory of `promo eval` after the imports")
    rows = []
    with tempfile.TemporaryDirectory(prefix="promorules-bench-memory-") as tmp:
        directory = Path(tmp)
        for name in names:
            what, ruleset, cart, _ = CASES[name]
            ruleset_text, cart_text = ruleset(), cart()
            (directory / f"{name}.yaml").write_text(ruleset_text, encoding="utf-8")
            (directory / f"{name}.cart.json").write_text(cart_text, encoding="utf-8")
            size = (len(ruleset_text.encode()) + len(cart_text.encode())) / 2**20
            plain = _run(directory, name, trace=False)
            traced = _run(directory, name, trace=True) if not args.no_trace else {}
            ok = "error" not in plain
            rows.append([
                name, what, f"{size:,.1f}", _outcome(plain),
                f"{plain['seconds']:,.2f}" if ok else "-",
                f"{plain['baseline']:,.0f}" if ok else "-",
                f"{plain['rss']:,.0f}" if ok else "-",
                f"{plain['rss'] - plain['baseline']:,.0f}" if ok else "-",
                f"{traced['traced']:,.0f}" if traced.get("traced") is not None else "-",
            ])
            print(f"  {name}: {rows[-1][3]}", file=sys.stderr, flush=True)
    print()
    print(_table(["case", "input", "MB in", "exit, code", "seconds", "RSS imports MB",
                  "peak RSS MB", "peak - imports MB", "tracemalloc MB"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
