"""The checkout service over loopback HTTP, against the same work in process and the
framework's floor.

    python -m benchmarks.bench_serve                 # 3 rounds of 3 s per measurement
    python -m benchmarks.bench_serve --quick         # 1 round of 0.5 s
    python -m benchmarks.bench_serve --seconds 5 --rounds 5 --profile

Measured, in rounds (each figure is the median of the rounds; the order of
HTTP and floor alternates from round to round):

1. **in process**: a cart as JSON text → ``load_cart_text(text)`` (the cart's JSON
   reader, as the service reads an evaluate body) →
   ``Program.evaluate`` → ``result.to_json()``, per cart, for the bundled
   fashion ruleset with its sample carts and for a generated ruleset of 10
   promotions with generated 10-line carts (``generate.py``); and the same calls
   each after the process slept 0.2 ms, as a server at concurrency 1 does
   between requests (the work then starts cold: shown beside the target);
2. **HTTP evaluate**: ``POST /v1/rulesets/{id}/evaluate`` of the same carts to
   ``promo serve`` (a subprocess: ``python -m engine.cli serve … --port 0
   --quiet --no-watch``), latency p50 / p99 at concurrency 1, and requests/s
   (with p50 / p99) at concurrency 16;
3. **floor**: a one-route Starlette app on promo serve's own uvicorn server
   and socket (``httpload.py``), answering a constant body of the evaluate
   response's size to the same requests, measured exactly like 2; and at
   concurrency 1 the same server and route answering the engine's work on the body
   (``--engine``): the framework and the engine with nothing of the service;
4. **checkouts**: start (``POST …/checkouts``) + confirm cycles per second
   over HTTP, each request with its ``Idempotency-Key`` and a new order
   reference, against a ruleset whose limits never run out (two promotions),
   at concurrency 1 and 16; and in process, ``start_checkout`` +
   ``payment_captured`` on ``open_store`` of a temporary SQLite file (and, to
   split the gap, that cycle with the service's idempotency records: each step
   one unit of the store claiming its key, the transition and its JSON reply); and
   at concurrency 16 the floor's server with two routes running those in-process
   steps (``floor-checkouts``): HTTP and the framework with nothing of the service.

The load generator (``httpload.py``: asyncio over raw keep-alive HTTP/1.1
connections, prebuilt requests) runs in a process of its own per measurement.
Targets are printed beside the figures, never asserted: HTTP evaluate p50 at
concurrency 1 ≤ 1.2 × (in-process p50 + floor p50); p99 ≤ 5 × p50 at
concurrency 16; checkout cycles/s over HTTP (concurrency 16) ≥ 50 % of in
process.  With ``--profile`` (or when a target is missed and py-spy is
installed) the servers are sampled with py-spy during concurrency-16 runs
(evaluate, the floor, checkouts) and their time is printed by part (engine,
store, h11, socket sends, starlette, …, each sample counted once) and by
function.  A floor slower than 30 ms at concurrency 1 is diagnosed (TCP
delayed ACKs: the listening socket without TCP_NODELAY).  The exit status is 1
only when something failed to run or the service answered other bytes than the
engine in process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .httpload import EVALUATE_PATH, Load, Rotating, in_process, post, run_load
from .suite import git_state, percentile

ROOT = Path(__file__).resolve().parent.parent
FASHION = ROOT / "rulesets" / "fashion"
GENERATED_PROMOTIONS = 10
GENERATED_LINES = 10
GENERATED_CARTS = 8
CONCURRENCY = 16
TARGET_LATENCY = 1.2  # HTTP p50 (c1) ≤ 1.2 × (in-process p50 + floor p50)
TARGET_TAIL = 5.0  # p99 ≤ 5 × p50 at concurrency 16
TARGET_CHECKOUTS = 0.5  # HTTP cycles/s ≥ 0.5 × in process
IDLE = 0.0002  # seconds asleep before each call of the "in process, idle" row
LISTENING = re.compile(r"listening on http://(\[[^\]]+\]|[^:\s]+):(\d+)")
CHECKOUT_RULESET = """\
ruleset: bench-serve-checkouts
dsl: 1
currency: USD
timezone: UTC
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: original }
promotions:
  - id: launch
    coupon: LAUNCH
    effect: { amount_off: "5.00" }
    limits: { uses: 100000000, per_coupon: 100000000, budget: "1000000000.00" }
  - id: auto
    effect: { percent_off: 2 }
    limits: { uses: 100000000 }
"""
"""Two promotions with limits that never run out: every checkout reserves seven counters."""
CHECKOUT_CART = {
    "id": "bench-cart", "currency": "USD", "at": "2026-03-01T12:00:00Z",
    "customer": {"id": "c-1"}, "coupons": ["LAUNCH"],
    "lines": [{"id": "l1", "sku": "SKU-1", "unit_price": "80.00", "quantity": 1},
              {"id": "l2", "sku": "SKU-2", "unit_price": "19.99", "quantity": 2}],
}


# ------------------------------------------------------------------ workloads


@dataclass
class Workload:
    """A served ruleset and the carts sent to it, as JSON text."""

    name: str
    source: Path
    ruleset_id: str
    program: Any
    carts: list[str]
    expected: list[bytes] = field(default_factory=list)  # the in-process response bodies

    @property
    def response_size(self) -> int:
        return round(statistics.fmean(len(body) for body in self.expected))


def workloads(directory: Path) -> list[Workload]:
    import yaml

    import dsl
    from engine import compile_ruleset, parse_cart

    from .generate import generate_cart, generate_ruleset

    out = []
    fashion = dsl.load_ruleset(FASHION / "ruleset.yaml")
    carts = [json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")))
             for path in sorted((FASHION / "carts").glob("*.yaml"))]
    out.append(Workload("fashion", FASHION / "ruleset.yaml", fashion.ruleset,
                        compile_ruleset(fashion), carts))
    text = generate_ruleset(GENERATED_PROMOTIONS, seed=0)
    source = directory / "generated.yaml"
    source.write_text(text, encoding="utf-8")
    generated = dsl.load_ruleset(source)
    carts = [json.dumps(generate_cart(GENERATED_LINES, seed=seed))
             for seed in range(GENERATED_CARTS)]
    out.append(Workload(f"generated {GENERATED_PROMOTIONS} x {GENERATED_LINES}", source,
                        generated.ruleset, compile_ruleset(generated), carts))
    for workload in out:
        workload.expected = [workload.program.evaluate(parse_cart(json.loads(text)))
                             .to_json().encode() for text in workload.carts]
    return out


def evaluate_requests(workload: Workload, host: str, port: int) -> list[bytes]:
    path = EVALUATE_PATH.format(id=workload.ruleset_id)
    return [post(host, port, path, text.encode()) for text in workload.carts]


@dataclass(frozen=True)
class CheckoutCycle:
    """Cycle i of connection k: start a checkout of a new order reference, confirm it."""

    host: str
    port: int
    ruleset_id: str
    cart: str
    prefix: str

    def __call__(self, k: int, i: int) -> Sequence[bytes]:
        ref = f"{self.prefix}-{k}-{i}"
        body = f'{{"order_ref": "{ref}", "cart": {self.cart}}}'.encode()
        return (post(self.host, self.port, f"/v1/rulesets/{self.ruleset_id}/checkouts", body,
                     [("Idempotency-Key", f"start-{ref}")]),
                post(self.host, self.port, f"/v1/checkouts/{ref}/confirm", b"",
                     [("Idempotency-Key", f"confirm-{ref}")]))


# ------------------------------------------------------------------ in process


def inprocess_evaluate(workload: Workload, seconds: float, idle: float = 0.0) -> Load:
    """Per-call times of parse + evaluate + to_json, whole passes over the carts.

    ``idle``: seconds the process sleeps before each call (untimed), as a server at
    concurrency 1 waits for the next request: the call then starts with the caches and
    the core as the pause left them, not hot from the call before."""
    from engine import load_cart_text

    program, texts = workload.program, workload.carts
    for text in texts:  # warm
        program.evaluate(load_cart_text(text)).to_json()
    clock = time.perf_counter_ns
    out: list[int] = []
    spent = 0
    gc.collect()
    while spent < seconds * 1e9:
        for text in texts:
            if idle:
                time.sleep(idle)
            t0 = clock()
            program.evaluate(load_cart_text(text)).to_json().encode()
            out.append(clock() - t0)
            spent += out[-1]
    return Load(out, spent, 0)


def inprocess_checkouts(store: Any, ruleset: Any, cart: str, prefix: str, seconds: float,
                        idempotent: bool = False) -> Load:
    """start_checkout + payment_captured cycles, each of a new order reference.

    ``idempotent``: as the service asks it of the store (not timed against a target, a
    breakdown): each step is one unit of the store (one transaction on SQLite) that
    claims its Idempotency-Key, runs the transition and stores its JSON reply (the
    reservation and the result, written as the service writes them)."""
    import hashlib

    from engine import parse_cart
    from engine.service.checkouts import reservation_json
    from engine.service.context import nested
    from engine.usage.checkout import payment_captured, start_checkout
    from engine.usage.store import IdempotentResponse

    clock = time.perf_counter_ns
    out: list[int] = []

    def claim(unit: Any, key: str, text: str) -> None:
        digest = hashlib.sha256(text.encode()).hexdigest()
        assert unit.claim_idempotency(key, digest).state == "claimed"

    def cycle(ref: str) -> None:
        if not idempotent:
            checkout = start_checkout(store, ruleset, parse_cart(json.loads(cart)), ref,
                                      at=dt.datetime.now(dt.UTC))
            assert checkout.reservation.state == "reserved", checkout.reservation
            payment_captured(store, ref, ruleset)
            return
        body = f'{{"order_ref": "{ref}", "cart": {cart}}}'
        data = json.loads(body)
        cart_parsed = parse_cart(data["cart"])

        def started(result: Any, reservation: Any) -> tuple[int, bytes, str]:
            return 200, reservation_json(reservation, [("result", nested(result.to_json()))]), \
                "application/json"

        def start(unit: Any) -> None:
            claim(unit, f"start-{ref}", body)
            start_checkout(unit, ruleset, cart_parsed, data["order_ref"],
                           at=dt.datetime.now(dt.UTC), idempotency=(f"start-{ref}", started))

        def confirm(unit: Any) -> None:
            claim(unit, f"confirm-{ref}", "")
            unit.confirm(ref, ruleset, retake_expired=True, idempotency=IdempotentResponse(
                f"confirm-{ref}", lambda r: (200, reservation_json(r), "application/json")))

        store.unit(start)
        store.unit(confirm)

    for i in range(20):  # warm: prepared statements, page cache
        cycle(f"{prefix}-warm-{i}")
    gc.collect()
    start = clock()
    until = start + int(seconds * 1e9)
    i = 0
    while clock() < until:
        t0 = clock()
        cycle(f"{prefix}-{i}")
        out.append(clock() - t0)
        i += 1
    return Load(out, clock() - start, 0)


# ------------------------------------------------------------------ servers


class Server:
    """A server subprocess; its address from the ``listening on http://…`` line on stderr."""

    def __init__(self, name: str, command: Sequence[str], log: Path) -> None:
        self.name, self.log = name, log
        with open(log, "wb") as err:
            self.process = subprocess.Popen(list(command), cwd=ROOT, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 120
        while True:
            text = log.read_text(encoding="utf-8", errors="replace")
            found = LISTENING.search(text)
            if found:
                self.host, self.port = found.group(1).strip("[]"), int(found.group(2))
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not start:\n{text}")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def serve_command(sources: Sequence[Path], db: Path | None = None) -> list[str]:
    return [sys.executable, "-m", "engine.cli", "serve", *map(str, sources), "--port", "0",
            "--quiet", "--no-watch", *(["--db", str(db)] if db is not None else [])]


def checkouts_floor_command(source: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.httpload", "floor-checkouts", "--ruleset",
            str(source), "--db", str(db)]


def floor_command(size: int, engine: Path | None = None) -> list[str]:
    return [sys.executable, "-m", "benchmarks.httpload", "floor", "--size", str(size),
            *(["--engine", str(engine)] if engine is not None else [])]


def exchange(host: str, port: int, data: bytes) -> tuple[int, bytes]:
    """One request on a fresh connection (for the checks before timing)."""
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(data)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(65536)
        head, _, body = buffer.partition(b"\r\n\r\n")
        found = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        length = int(found.group(1)) if found else 0
        while len(body) < length:
            body += sock.recv(65536)
        return int(head[9:12]), body


def unlike(workload: Workload, server: Server) -> int:
    """How many of the workload's carts ``server`` prices to other bytes than the engine
    in process (each one printed)."""
    failures = 0
    path = EVALUATE_PATH.format(id=workload.ruleset_id)
    for text, expected in zip(workload.carts, workload.expected, strict=True):
        status, body = exchange(server.host, server.port,
                                post(server.host, server.port, path, text.encode()))
        if status != 200 or body != expected:
            failures += 1
            print(f"{workload.name}: {server.name} answered {status} and {len(body)} bytes, "
                  f"not the engine's {len(expected)}:\n{body[:400]!r}")
    return failures


# ------------------------------------------------------------------ measuring


@dataclass
class Figures:
    """One measurement's summary."""

    p50_ms: float
    p99_ms: float
    per_second: float
    samples: int

    @staticmethod
    def of(load: Load, concurrency: int | None) -> Figures:
        if not load.latencies_ns:
            raise RuntimeError("a measurement recorded nothing")
        if load.errors:
            raise RuntimeError(f"{load.errors} error responses, e.g. {load.first_error}")
        ms = [ns / 1e6 for ns in load.latencies_ns]
        rate = load.per_second if concurrency else len(ms) * 1e3 / sum(ms)
        return Figures(percentile(ms, 0.50), percentile(ms, 0.99), rate, len(ms))


def median_figures(rounds: Sequence[Figures]) -> Figures:
    return Figures(statistics.median(f.p50_ms for f in rounds),
                   statistics.median(f.p99_ms for f in rounds),
                   statistics.median(f.per_second for f in rounds),
                   sum(f.samples for f in rounds))


Row = tuple[str, str, int | None]  # (what, workload, concurrency)


def http(server: Server, concurrency: int, cycle: Callable[[int, int], Sequence[bytes]],
         seconds: float, warmup: float) -> Figures:
    load = in_process(run_load, server.host, server.port, concurrency, cycle, seconds, warmup)
    return Figures.of(load, concurrency)


def measure(args: argparse.Namespace, loads: list[Workload], service: Server,
            floors: dict[str, Server], engine_floors: dict[str, Server], shop: Server,
            bare_shop: Server, store: Any, checkout_rules: Any,
            cart: str) -> dict[Row, list[Figures]]:
    figures: dict[Row, list[Figures]] = {}
    warmup = min(1.0, max(0.2, args.seconds / 5))

    def record(row: Row, value: Figures) -> None:
        figures.setdefault(row, []).append(value)
        print(".", end="", flush=True)

    for round_ in range(args.rounds):
        for workload in loads:
            floor = floors[workload.name]
            record(("in process", workload.name, None),
                   Figures.of(inprocess_evaluate(workload, args.seconds), None))
            record(("in process, idle", workload.name, None),
                   Figures.of(inprocess_evaluate(workload, args.seconds / 2, IDLE), None))
            pairs = [("HTTP evaluate", service), ("floor", floor),
                     ("floor + engine", engine_floors[workload.name])]
            if round_ % 2:
                pairs.reverse()
            for concurrency in (1, args.concurrency):
                for what, server in pairs:
                    if what == "floor + engine" and concurrency != 1:
                        continue  # (a bound for the latency target, at c=1)
                    requests = evaluate_requests(workload, server.host, server.port)
                    record((what, workload.name, concurrency),
                           http(server, concurrency, Rotating(requests), args.seconds, warmup))
        record(("in process", "checkouts", None),
               Figures.of(inprocess_checkouts(store, checkout_rules, cart, f"in{round_}",
                                              args.seconds), None))
        record(("in process, idempotent", "checkouts", None),
               Figures.of(inprocess_checkouts(store, checkout_rules, cart, f"id{round_}",
                                              args.seconds, idempotent=True), None))
        for concurrency in (1, args.concurrency):
            cycle = CheckoutCycle(shop.host, shop.port, checkout_rules.ruleset, cart,
                                  f"http{round_}c{concurrency}")
            record(("HTTP checkouts", "checkouts", concurrency),
                   http(shop, concurrency, cycle, args.seconds, warmup))
        cycle = CheckoutCycle(bare_shop.host, bare_shop.port, checkout_rules.ruleset, cart,
                              f"bare{round_}")
        record(("floor + store", "checkouts", args.concurrency),
               http(bare_shop, args.concurrency, cycle, args.seconds, warmup))
    print()
    return figures


# ------------------------------------------------------------------ profile


def find_py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"  # in the venv, not on PATH
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


def profile(spy: str, server: Server, seconds: float, run: Callable[[], Load], out: Path,
            top: int = 12) -> str:
    """Sample ``server`` with py-spy while ``run()`` keeps it busy: its time by part (each
    sample counted once, in the first part of BUCKETS its stack is in) and by function
    (own time); per request from the run's rate (the server saturated at c=16)."""
    spying = subprocess.Popen([spy, "record", "--pid", str(server.pid), "--format", "raw",
                               "--rate", "500", "--duration", str(max(1, round(seconds))),
                               "--output", str(out), "--nonblocking"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # py-spy attached
    load = run()
    _, err = spying.communicate(timeout=120)
    if not out.exists():
        return f"py-spy failed: {err.decode(errors='replace').strip()[:400]}"
    own: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    total = 0
    for line in out.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        own[_short(frames[-1])] += int(count)
        parts[_bucket(frames)] += int(count)
    if not total:
        return "py-spy saw no busy samples"
    per_request = 1e6 / load.per_second
    lines = [f"{total} busy samples (py-spy leaves idle threads out); {load.per_second:,.0f} "
             f"requests or cycles/s while sampled = {per_request:,.0f} us of the server each",
             "by part (each sample counted once):"]
    lines += [f"  {100 * n / total:5.1f} %  {per_request * n / total:6,.0f} us  {name}"
              for name, n in parts.most_common()]
    lines.append("by function (own time):")
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    name, _, where = frame.partition(" (")
    where = LIBRARY.sub("", where.rstrip(")")).removeprefix(str(ROOT) + "/")
    return f"{name} ({where})"


LIBRARY = re.compile(r"^.*/(site-packages|lib/python3\.\d+)/")


def _split(frame: str) -> tuple[str, str]:
    """A frame's function, and its file relative to the repository or the library."""
    name, _, where = _short(frame).rpartition(" (")
    return name, where


def _engine(where: str) -> bool:
    return where.startswith(("engine/", "dsl/", "pydantic")) and \
        not where.startswith(("engine/service/", "engine/usage/", "engine/cli/"))


Frames = list[tuple[str, str]]


def _owner(frames: Frames) -> str | None:
    """Whose work a sample is: the innermost frame of the engine ("engine"), the store
    ("store") or the service (``None``) decides; the decimal context's wrapper, around
    store calls and pricing alike, says nothing."""
    for _, where in reversed(frames):
        if where.startswith("dsl/decimal_context"):
            continue
        if where.startswith(("engine/usage/", "sqlite3/")):
            return "store"
        if _engine(where):
            return "engine"
        if where.startswith(("engine/service/", "engine/cli/")):
            return None
    return None


BUCKETS: tuple[tuple[str, Callable[[Frames], bool]], ...] = (
    ("the engine: parse_cart (pydantic), evaluate, to_json / to_dict",
     lambda frames: _owner(frames) == "engine"),
    ("the usage store: SQL, transactions (engine/usage, sqlite3)",
     lambda frames: _owner(frames) == "store"),
    ("socket sends (the send syscall, loopback TCP)",
     lambda frames: frames[-1][0] == "_SelectorSocketTransport.write"),
    ("the loop waiting or waking: select, thread hand-offs",
     lambda frames: frames[-1][0].endswith(("select", "_write_to_self")) or
     frames[-1][1].startswith(("threading.py", "concurrent/", "queue.py"))),
    ("h11: HTTP/1.1 parsing and framing",
     lambda frames: any(w.startswith("h11/") for _, w in frames)),
    ("json (the request body; replies built by the service)",
     lambda frames: any(w.startswith("json/") for _, w in frames)),
    ("metrics (prometheus_client)",
     lambda frames: any(w.startswith("prometheus_client/") for _, w in frames)),
    ("request ids (uuid4)", lambda frames: any(w.startswith("uuid.py") for _, w in frames)),
    ("the service's own code (engine/service)",
     lambda frames: frames[-1][1].startswith("engine/service/")),
    ("starlette", lambda frames: frames[-1][1].startswith("starlette/")),
    ("uvicorn", lambda frames: frames[-1][1].startswith("uvicorn/")),
    ("asyncio", lambda frames: frames[-1][1].startswith("asyncio/")),
)


def _bucket(stack: list[str]) -> str:
    frames = [_split(f) for f in stack]
    for name, holds in BUCKETS:
        if holds(frames):
            return name
    return "other (the interpreter, the standard library)"


# ------------------------------------------------------------------ report


def versions() -> str:
    import importlib.metadata

    parts = []
    for name in ("starlette", "uvicorn", "h11", "httptools", "uvloop", "pydantic"):
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} not installed")
    return ", ".join(parts)


def ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def rate(value: float) -> str:
    return f"{value:,.0f}"


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    return "rounds " + ", ".join(fmt.format(v) for v in values)


def report(args: argparse.Namespace, loads: list[Workload],
           figures: dict[Row, list[Figures]]) -> tuple[str, list[list[str]], bool]:
    from tabulate import tabulate

    c = args.concurrency
    rows = []
    for workload in loads:
        name = workload.name
        for what, conc in (("in process", None), ("in process, idle", None),
                           ("HTTP evaluate", 1), ("floor", 1), ("floor + engine", 1),
                           ("HTTP evaluate", c), ("floor", c)):
            f = median_figures(figures[(what, name, conc)])
            label = {"floor": f"floor ({workload.response_size:,} B)",
                     "in process, idle": f"  (in process after {IDLE * 1e3:g} ms idle)",
                     "floor + engine": "  (floor + engine: the floor's route evaluating)"}
            rows.append([label.get(what, f"{what} ({name})"),
                         "-" if conc is None else str(conc), ms(f.p50_ms), ms(f.p99_ms),
                         rate(f.per_second), f"{f.samples:,}"])
    labels = {"in process, idempotent": "  (breakdown: + keys and replies)",
              "floor + store": "  (floor + store: the floor's routes, in-process steps)"}
    for what, conc in (("in process", None), ("in process, idempotent", None),
                       ("HTTP checkouts", 1), ("HTTP checkouts", c), ("floor + store", c)):
        f = median_figures(figures[(what, "checkouts", conc)])
        rows.append([labels.get(what, f"{what} (start + confirm)"),
                     "-" if conc is None else str(conc),
                     ms(f.p50_ms), ms(f.p99_ms), rate(f.per_second), f"{f.samples:,}"])
    table = tabulate(rows, headers=["measurement", "conc.", "p50 ms", "p99 ms", "per s",
                                    "samples"],
                     tablefmt="github", colalign=("left", "right", "right", "right", "right",
                                                  "right"), disable_numparse=True)

    targets: list[list[str]] = []
    missed = False
    for workload in loads:
        name = workload.name
        inproc = figures[("in process", name, None)]
        served = figures[("HTTP evaluate", name, 1)]
        floor = figures[("floor", name, 1)]
        ratios = [s.p50_ms / (i.p50_ms + f.p50_ms)
                  for i, s, f in zip(inproc, served, floor, strict=True)]
        ratio = statistics.median(ratios)
        met = ratio <= TARGET_LATENCY
        missed |= not met
        budget = (median_figures(inproc).p50_ms + median_figures(floor).p50_ms)
        targets.append([f"HTTP evaluate p50 at c=1 ≤ {TARGET_LATENCY}x (in process + floor), "
                        f"{name}",
                        f"{ms(median_figures(served).p50_ms)} ms vs {ms(budget)} ms: "
                        f"{ratio:.2f}x ({spread(ratios)})", "met" if met else "NOT met"])
        idle = figures[("in process, idle", name, None)]
        ratios = [s.p50_ms / (i.p50_ms + f.p50_ms)
                  for i, s, f in zip(idle, served, floor, strict=True)]
        budget = (median_figures(idle).p50_ms + median_figures(floor).p50_ms)
        targets.append([f"  the same against (in process after {IDLE * 1e3:g} ms idle + floor)",
                        f"{ms(median_figures(served).p50_ms)} ms vs {ms(budget)} ms: "
                        f"{statistics.median(ratios):.2f}x ({spread(ratios)})",
                        "(not a target)"])
        bare = figures[("floor + engine", name, 1)]
        ratios = [b.p50_ms / (i.p50_ms + f.p50_ms)
                  for i, b, f in zip(inproc, bare, floor, strict=True)]
        targets.append(["  floor + engine p50 at c=1 against (in process + floor)",
                        f"{ms(median_figures(bare).p50_ms)} ms vs "
                        f"{ms(median_figures(inproc).p50_ms + median_figures(floor).p50_ms)}"
                        f" ms: {statistics.median(ratios):.2f}x ({spread(ratios)})",
                        "(not a target)"])
        ratios = [s.p50_ms / b.p50_ms for s, b in zip(served, bare, strict=True)]
        targets.append(["  HTTP evaluate p50 at c=1 against floor + engine",
                        f"{statistics.median(ratios):.2f}x ({spread(ratios)})",
                        "(not a target)"])
        tails = [f.p99_ms / f.p50_ms for f in figures[("HTTP evaluate", name, c)]]
        tail = statistics.median(tails)
        met = tail <= TARGET_TAIL
        missed |= not met
        targets.append([f"HTTP evaluate p99 ≤ {TARGET_TAIL:g}x p50 at c={c}, {name}",
                        f"{tail:.2f}x ({spread(tails)})", "met" if met else "NOT met"])
    inproc = figures[("in process", "checkouts", None)]
    for conc in (c, 1):
        served = figures[("HTTP checkouts", "checkouts", conc)]
        shares = [s.per_second / i.per_second for i, s in zip(inproc, served, strict=True)]
        share = statistics.median(shares)
        met = share >= TARGET_CHECKOUTS
        if conc == c:
            missed |= not met
        targets.append([f"checkout cycles/s over HTTP (c={conc}) ≥ "
                        f"{TARGET_CHECKOUTS:.0%} of in process" +
                        ("" if conc == c else " (for reference)"),
                        f"{rate(median_figures(served).per_second)} vs "
                        f"{rate(median_figures(inproc).per_second)}/s: {share:.0%} "
                        f"({spread(shares, '{:.0%}')})", "met" if met else "NOT met"])
    bare = figures[("floor + store", "checkouts", c)]
    shares = [b.per_second / i.per_second for i, b in zip(inproc, bare, strict=True)]
    targets.append([f"  floor + store cycles/s (c={c}) against in process",
                    f"{rate(median_figures(bare).per_second)} vs "
                    f"{rate(median_figures(inproc).per_second)}/s: "
                    f"{statistics.median(shares):.0%} ({spread(shares, '{:.0%}')})",
                    "(not a target)"])
    idem = figures[("in process, idempotent", "checkouts", None)]
    served = figures[("HTTP checkouts", "checkouts", c)]
    shares = [s.per_second / i.per_second for i, s in zip(idem, served, strict=True)]
    targets.append([f"  HTTP checkouts (c={c}) against in process with keys and replies",
                    f"{statistics.median(shares):.0%} ({spread(shares, '{:.0%}')})",
                    "(not a target)"])
    return table, targets, missed


EXPLAIN = """\
What each row is (times per request; "per s" is requests or cycles per second):
- in process: JSON text → load_cart_text(text) → Program.evaluate → to_json(),
  one call at a time in this process, whole passes over the workload's carts; "per s"
  is 1 / mean.  The service does this work and nothing else of the engine's.
- (in process after 0.2 ms idle): the same calls, each after the process slept
  0.2 ms (untimed), as a server at c=1 sleeps between requests: the work then starts
  cold (caches, the core); the fair baseline for c=1, shown beside the target.
- HTTP evaluate: POST /v1/rulesets/{id}/evaluate of the same carts (the body is
  checked byte for byte against the in-process to_json() before timing) to
  promo serve (one worker, --quiet --no-watch, no --db); latency from writing the
  request to reading the whole response; at c=16, 16 keep-alive connections with
  one request in flight each, "per s" over the wall time.
- floor: the same requests to a one-route Starlette app on promo serve's uvicorn
  server (same settings, socket, HTTP implementation), answering a constant body of
  the evaluate response's mean size: what the framework costs with no work behind it.
- (floor + engine): the floor's server and route answering the in-process work on
  the body (load_cart_text → evaluate → to_json(), the same bytes as the service),
  at c=1: the framework and the engine with nothing of the service between them.
  Against (in process + floor) it shows what running the engine inside a server
  costs (the engine runs cold after each wait for the network, and evicts the
  framework's code); against it, HTTP evaluate shows what the service adds.
- in process (start + confirm): start_checkout (parse, price seeing the limits,
  reserve) + payment_captured on open_store(temporary SQLite), one cycle at a time.
- (breakdown: + keys and replies): the same cycle as the service asks it of the store
  (no HTTP): each step one unit (one SQLite transaction) that claims its
  Idempotency-Key, runs the transition and stores its JSON reply. Not a target; it
  splits the gap.
- HTTP checkouts: POST /v1/rulesets/{id}/checkouts then POST
  /v1/checkouts/{ref}/confirm, each with its own Idempotency-Key and a new order
  reference, to promo serve --db (a temporary SQLite file); latency per cycle. The
  service commits the store work of the requests at hand as one group (one SQLite
  transaction, a savepoint each); a request it holds alone commits at once.
- (floor + store): the same requests to the floor's server with two routes that run
  the in-process steps (start_checkout of the body's cart, payment_captured) on a
  store of their own, on the loop's thread, and answer a constant body: HTTP and the
  framework with nothing of the service (no key kept, no reply written)."""


STALL_MS = 30.0
STALL = """\
The floor itself takes over {ms:g} ms a request at c=1: the responses wait for TCP
delayed ACKs (about 40 ms on Linux). uvicorn writes a response's head and body in two
sends, and without TCP_NODELAY Nagle's algorithm holds the second until the client ACKs
the first. promo serve binds its own socket (engine/service/server.py bind) with
protocol 0, so asyncio does not set TCP_NODELAY on the connections it accepts: bind
must set it on the listening socket (accepted connections inherit it)."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The checkout service over loopback HTTP "
                                     "against in-process evaluation and the framework floor.")
    parser.add_argument("--seconds", type=float, default=None,
                        help="seconds per measurement (default 3; 0.5 with --quick)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of every measurement; figures are their medians "
                             "(default 3; 1 with --quick)")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY,
                        help=f"connections for the throughput rows (default {CONCURRENCY})")
    parser.add_argument("--quick", action="store_true", help="one round of 0.5 s each")
    parser.add_argument("--profile", action="store_true",
                        help="sample the service with py-spy even when every target is met")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 0.5 if args.quick else 3.0
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.seconds <= 0 or args.rounds < 1 or args.concurrency < 1:
        parser.error("--seconds, --rounds and --concurrency must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from dsl import load_ruleset_text
    from engine.service import missing_dependencies
    from engine.usage import open_store

    missing_dependencies()
    started = time.monotonic()
    print(f"promorules bench_serve · {dt.datetime.now().astimezone().isoformat('T', 'seconds')}")
    print(f"python {platform.python_version()} · {platform.platform()} · {os.cpu_count()} cpus "
          f"· load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} · commit "
          f"{git_state()}")
    print(f"{versions()}")
    print(f"{args.rounds} round(s) × {args.seconds:g} s per measurement · concurrency 1 and "
          f"{args.concurrency} · load generator: asyncio, raw HTTP/1.1, its own process")
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="promorules-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            loads = workloads(tmp)
            service = Server("promo serve", serve_command([w.source for w in loads]),
                             tmp / "serve.log")
            servers.append(service)
            # the same work: the service's bytes are the engine's
            failures = sum(unlike(workload, service) for workload in loads)
            if failures:
                return 1
            floors, engine_floors = {}, {}
            for workload in loads:
                floors[workload.name] = Server(f"floor {workload.response_size}",
                                               floor_command(workload.response_size),
                                               tmp / f"floor-{workload.response_size}.log")
                servers.append(floors[workload.name])
                engine_floors[workload.name] = Server(
                    f"floor + engine {workload.name}",
                    floor_command(workload.response_size, workload.source),
                    tmp / f"floor-engine-{workload.response_size}.log")
                servers.append(engine_floors[workload.name])
                failures += unlike(workload, engine_floors[workload.name])
            if failures:
                return 1
            source = tmp / "checkouts.yaml"
            source.write_text(CHECKOUT_RULESET, encoding="utf-8")
            shop = Server("promo serve --db", serve_command([source], tmp / "http.sqlite"),
                          tmp / "shop.log")
            servers.append(shop)
            bare_shop = Server("floor + store", checkouts_floor_command(
                source, tmp / "floor.sqlite"), tmp / "floor-checkouts.log")
            servers.append(bare_shop)
            rules = load_ruleset_text(CHECKOUT_RULESET, name=str(source))
            cart = json.dumps(CHECKOUT_CART)
            described = [f"{w.name} ({len(w.carts)} carts, responses of {w.response_size:,} B)"
                         for w in loads]
            print(f"workloads: {', '.join(described)}; checkouts: 2 promotions with limits "
                  "that never run out, a 2-line cart")
            with open_store(tmp / "inprocess.sqlite") as store:
                figures = measure(args, loads, service, floors, engine_floors, shop,
                                  bare_shop, store, rules, cart)
                table, targets, missed = report(args, loads, figures)
                print()
                print(table)
                print()
                from tabulate import tabulate

                print(tabulate(targets, headers=["target", "measured (median of rounds)",
                                                 ""], tablefmt="github"))
                print()
                print(EXPLAIN)
                stalled = [w.name for w in loads
                           if median_figures(figures[("floor", w.name, 1)]).p50_ms > STALL_MS]
                if stalled:
                    print()
                    print(STALL.format(ms=STALL_MS))
                if args.profile or missed:
                    print_profiles(args, loads, service, floors, shop, rules, cart, tmp)
        finally:
            for server in reversed(servers):
                server.stop()
    print(f"\n({time.monotonic() - started:.0f} s)")
    return 0


def print_profiles(args: argparse.Namespace, loads: list[Workload], service: Server,
                   floors: dict[str, Server], shop: Server, rules: Any, cart: str,
                   directory: Path) -> None:
    spy = find_py_spy()
    if spy is None:
        print("\nno profile: py-spy is not installed (pip install py-spy, into the venv)")
        return
    seconds = max(args.seconds, 3.0)
    c = args.concurrency
    runs: list[tuple[str, Server, Callable[[], Load]]] = []
    for workload in loads:
        for title, server in ((f"HTTP evaluate, {workload.name}", service),
                              (f"floor ({workload.response_size:,} B)",
                               floors[workload.name])):
            requests = evaluate_requests(workload, server.host, server.port)
            runs.append((f"{title}, c={c}", server,
                         functools.partial(in_process, run_load, server.host, server.port, c,
                                           Rotating(requests), seconds + 1, 0.0)))
    runs.append((f"HTTP checkouts, c={c}", shop,
                 functools.partial(in_process, run_load, shop.host, shop.port, c,
                                   CheckoutCycle(shop.host, shop.port, rules.ruleset, cart,
                                                 "profile"), seconds + 1, 0.0)))
    for n, (title, server, run) in enumerate(runs):
        print()
        print(f"where the server's time goes: {title} (py-spy, {seconds:g} s)")
        print(profile(spy, server, seconds, run, directory / f"stacks-{n}.txt"))


if __name__ == "__main__":
    sys.exit(main())
