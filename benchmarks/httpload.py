"""A cheap loopback HTTP/1.1 load generator, and the framework's floor, for ``bench_serve``.

The client is asyncio over raw keep-alive connections: request bytes are built
before the clock starts, a response is read as its header block and then
``Content-Length`` bytes (no HTTP library), and each connection has one request
in flight.  ``in_process`` runs a load in its own process (forked where the
platform allows), so the client never shares a GIL with what it measures.

The floor is a one-route Starlette app served by exactly the uvicorn server
``promo serve`` builds (``engine.service.server._uvicorn_server``, whose app is
swapped for this one before it starts), on a socket bound by the service's own
``bind``: the same loop, HTTP implementation, flags and backlog, and nothing of
the service behind the route.  Its route reads the body and answers a constant
one of ``--size`` bytes::

    python -m benchmarks.httpload floor --size 3500      # stderr: floor: listening on http://…

With ``--engine RULESET`` the same route answers, instead, what the service's
evaluate endpoint computes in process (``load_cart_text`` → ``Program.evaluate``
→ ``to_json()`` of the ruleset in that file): the framework and the engine with
nothing of the service between them, to tell what a server pays for running the
engine from what the service adds.  ``floor-checkouts`` serves the checkout
cycle's two routes the same way: each runs the in-process step (``start_checkout``
of the body's cart, ``payment_captured``) on a store of its own, on the loop's
thread, and answers a constant body; no idempotency key is read or kept.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

EVALUATE_PATH = "/v1/rulesets/{id}/evaluate"


# ------------------------------------------------------------------ requests


def post(host: str, port: int, path: str, body: bytes, headers: Sequence[tuple[str, str]] = (),
         ) -> bytes:
    """One ``POST`` as the bytes that go on the wire (keep-alive, JSON body)."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}",
             "Content-Type: application/json", f"Content-Length: {len(body)}",
             *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True)
class Load:
    """What one measurement found: each request's (or cycle's) latency, the wall time."""

    latencies_ns: list[int]
    wall_ns: int
    errors: int
    first_error: str | None = None

    @property
    def per_second(self) -> float:
        return len(self.latencies_ns) * 1e9 / self.wall_ns if self.wall_ns else 0.0


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time; a response is its header block
    and ``Content-Length`` bytes of body."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.header_end = -1
        self.total = -1
        self.status = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.total < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                self._fail(ConnectionError(f"a response without Content-Length: {head!r}"))
                return
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17:stop if stop >= 0 else len(head)])
            self.header_end = end + 4
            self.total = self.header_end + length
        if len(self.buffer) >= self.total:
            body = bytes(self.buffer[self.header_end:self.total])
            del self.buffer[:self.total]
            self.total = -1
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result((self.status, body))

    def _fail(self, err: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(err)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("the server closed the connection"))

    async def request(self, data: bytes) -> tuple[int, bytes]:
        assert self.transport is not None and self.waiter is None
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self.waiter = waiter
        self.transport.write(data)
        return await waiter


Cycle = Callable[[int, int], Sequence[bytes]]
"""``cycle(connection, i)``: the requests of one cycle, sent one after another."""


async def _drive(host: str, port: int, concurrency: int, cycle: Cycle, seconds: float,
                 warmup: float) -> Load:
    loop = asyncio.get_running_loop()
    connections = []
    for _ in range(concurrency):
        _, protocol = await loop.create_connection(_Connection, host, port)
        connections.append(protocol)
    counters = [0] * concurrency
    errors: list[str] = []
    clock = time.perf_counter_ns

    async def one(k: int, until: int, out: list[int] | None) -> None:
        connection = connections[k]
        while clock() < until:
            requests = cycle(k, counters[k])
            counters[k] += 1
            start = clock()
            for data in requests:
                status, body = await connection.request(data)
                if status >= 300:
                    errors.append(f"{status} {body[:300]!r}")
            if out is not None:
                out.append(clock() - start)

    await asyncio.gather(*(one(k, clock() + int(warmup * 1e9), None)
                           for k in range(concurrency)))
    latencies: list[int] = []
    start = clock()
    await asyncio.gather(*(one(k, start + int(seconds * 1e9), latencies)
                           for k in range(concurrency)))
    wall = clock() - start
    for connection in connections:
        assert connection.transport is not None
        connection.transport.close()
    return Load(latencies, wall, len(errors), errors[0] if errors else None)


def run_load(host: str, port: int, concurrency: int, cycle: Cycle, seconds: float,
             warmup: float) -> Load:
    """``concurrency`` connections each sending ``cycle``'s requests for ``seconds``
    (after ``warmup`` seconds on the same connections, not counted)."""
    return asyncio.run(_drive(host, port, concurrency, cycle, seconds, warmup))


@dataclass(frozen=True)
class Rotating:
    """Connection k's i-th cycle is one request, each connection starting elsewhere in
    ``requests`` and going round them."""

    requests: Sequence[bytes]

    def __call__(self, k: int, i: int) -> Sequence[bytes]:
        return (self.requests[(k * 7 + i) % len(self.requests)],)


def _child(fn: Callable[..., Any], args: tuple[Any, ...], out: Any) -> None:
    try:
        out.put(("ok", fn(*args)))
    except BaseException as err:  # reported to the parent, which raises it
        out.put(("error", f"{type(err).__name__}: {err}"))


def context() -> Any:  # a multiprocessing context (fork where there is one)
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def in_process(fn: Callable[..., Any], *args: Any, timeout: float = 900) -> Any:
    """``fn(*args)`` in a process of its own; its result (picklable) or its error."""
    ctx = context()
    out = ctx.Queue()
    process = ctx.Process(target=_child, args=(fn, args, out))
    process.start()
    try:
        kind, value = out.get(timeout=timeout)
    finally:
        process.join(timeout=30)
    if kind != "ok":
        raise RuntimeError(f"the load generator failed: {value}")
    return value


# ------------------------------------------------------------------ the floor


def floor_body(size: int) -> bytes:
    """A constant JSON body of exactly ``size`` bytes (at least 16)."""
    head, tail = b'{"floor": "', b'"}\n'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


def floor_app(size: int) -> Any:
    """One route at the evaluate path: read the body, answer ``size`` constant bytes."""
    body = floor_body(size)
    return _evaluate_route(lambda _: body)


def engine_floor_app(source: str) -> Any:
    """The floor's route answering the engine's work on the body, as ``bench_serve``
    times it in process: ``load_cart_text`` → ``Program.evaluate`` → ``to_json()``."""
    import dsl
    from engine import compile_ruleset, load_cart_text

    program = compile_ruleset(dsl.load_ruleset(source))
    return _evaluate_route(
        lambda raw: program.evaluate(load_cart_text(raw.decode())).to_json().encode())


def _evaluate_route(answer: Callable[[bytes], bytes]) -> Any:
    """A Starlette app of one route at the evaluate path: read the body, answer
    ``answer(body)`` as JSON."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def floor(request: Request) -> Response:
        return Response(answer(await request.body()), media_type="application/json")

    return Starlette(routes=[Route(EVALUATE_PATH, floor, methods=["POST"])])


def checkouts_floor_app(source: str, db: str) -> Any:
    """The checkout cycle's routes, each the in-process step on the loop's thread."""
    import datetime as dt
    import json

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    import dsl
    from engine import parse_cart
    from engine.usage import open_store
    from engine.usage.checkout import payment_captured, start_checkout

    ruleset = dsl.load_ruleset(source)
    store = open_store(db)

    async def start(request: Request) -> Response:
        data = json.loads(await request.body())
        start_checkout(store, ruleset, parse_cart(data["cart"]), data["order_ref"],
                       at=dt.datetime.now(dt.UTC))
        return Response(b"{}", media_type="application/json")

    async def confirm(request: Request) -> Response:
        await request.body()
        payment_captured(store, request.path_params["order_ref"], ruleset)
        return Response(b"{}", media_type="application/json")

    return Starlette(routes=[
        Route("/v1/rulesets/{id}/checkouts", start, methods=["POST"]),
        Route("/v1/checkouts/{order_ref}/confirm", confirm, methods=["POST"])])


def serve_floor(app: Any, answers: str) -> None:  # pragma: no cover (a server until stopped)
    from starlette.applications import Starlette

    from engine.service.server import Settings, _uvicorn_server, bind

    settings = Settings(sources=(), port=0, watch=False, access_log=False)
    server = _uvicorn_server(settings, None)  # promo serve's uvicorn.Server and Config …
    if not isinstance(server.config.app, Starlette) or server.config.loaded:
        raise SystemExit("engine.service.server._uvicorn_server changed: update the floor")
    server.config.app = app  # … serving the floor instead of the service
    sock = bind(settings)
    host, port = sock.getsockname()[:2]
    print(f"floor: listening on http://{host}:{port} ({answers})", file=sys.stderr,
          flush=True)
    server.run(sockets=[sock])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The framework's floor for bench_serve.")
    commands = parser.add_subparsers(dest="command", required=True)
    floor = commands.add_parser("floor", help="serve a constant body at the evaluate path")
    floor.add_argument("--size", type=int, required=True, help="body size in bytes")
    floor.add_argument("--engine", metavar="RULESET", default=None,
                       help="answer the engine's evaluation of the body with this ruleset "
                       "instead of a constant body")
    checkouts = commands.add_parser("floor-checkouts",
                                    help="serve the checkout cycle's routes, in-process steps")
    checkouts.add_argument("--ruleset", required=True, help="the ruleset's file")
    checkouts.add_argument("--db", required=True, help="the SQLite store's file")
    args = parser.parse_args(argv)
    if args.command == "floor-checkouts":
        serve_floor(checkouts_floor_app(args.ruleset, args.db),
                    f"checkouts of {args.ruleset} on {args.db}")
    elif args.engine is not None:
        serve_floor(engine_floor_app(args.engine), f"the engine on {args.engine}")
    else:
        serve_floor(floor_app(args.size), f"{args.size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
