"""Running the service: settings checked before binding, uvicorn, N worker processes.

The parent binds the socket once and starts ``workers`` processes that share
it (each loads the rulesets and opens the store itself).  SIGHUP to the
parent is passed to every worker, which reloads its rulesets; SIGTERM/SIGINT
stop them; a worker that dies is started again.  With one worker the server
runs in this process.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dsl.codes import SERVE_CONFIG
from dsl.errors import PromoError
from dsl.records import record

log = logging.getLogger("promorules.service")

DEFAULT_BODY_LIMIT = 1024 * 1024
"""Request bodies over this many bytes get 413 before any parsing (``--max-body``)."""


@record
class Settings:
    """What ``promo serve`` was asked for."""

    sources: tuple[str, ...]
    db: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    token_file: str | None = None
    protect_reads: bool = False
    insecure: bool = False
    body_limit: int = DEFAULT_BODY_LIMIT
    idempotency_ttl: dt.timedelta = dt.timedelta(hours=24)
    client_time: bool = False
    watch: bool = True
    access_log: bool = True
    relay_url: str | None = None
    relay_secret_file: str | None = None
    playground: bool = False
    sample_carts: tuple[str, ...] = ()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def missing_dependencies() -> None:
    """The service's libraries are an extra: say how to get them, not a traceback."""
    import importlib.util

    missing = [name for name in ("starlette", "uvicorn", "prometheus_client", "watchfiles")
               if importlib.util.find_spec(name) is None]
    if missing:
        raise PromoError(f"promo serve needs {', '.join(missing)}: pip install "
                         "'promorules[serve]'", code=SERVE_CONFIG)


def check(settings: Settings) -> None:
    """Refuse settings that would expose the service unprotected."""
    if settings.token_file is None and not settings.insecure and \
            not is_loopback(settings.host):
        raise PromoError(f"--host {settings.host}: without --token-file the service binds "
                         "only to loopback (127.0.0.1, ::1); give --token-file, or "
                         "--insecure if something in front of it authenticates",
                         code=SERVE_CONFIG)
    if settings.playground and not settings.insecure and not is_loopback(settings.host):
        raise PromoError(f"--playground on --host {settings.host}: the playground shows the "
                         "rulesets' text (coupon codes included) and prices any ruleset sent "
                         "to it; serve it on loopback, or give --insecure", code=SERVE_CONFIG)
    if settings.workers < 1:
        raise PromoError("--workers must be at least 1", code=SERVE_CONFIG)
    if settings.relay_url is not None and settings.db is None:
        raise PromoError("--relay-url needs --db: the relay reads the store's outbox",
                         code=SERVE_CONFIG)
    if settings.relay_url is not None:
        from .relay import check_url, read_secret

        check_url(settings.relay_url, "--relay-url")
        if settings.relay_secret_file is not None:
            read_secret(settings.relay_secret_file)


def build_service(settings: Settings) -> Any:
    """The worker's state: the catalog loaded, the store's gate, the tokens read."""
    from .catalog import Catalog
    from .context import Service, read_tokens
    from .gate import StoreGate

    tokens = read_tokens(settings.token_file) if settings.token_file else ()
    return Service(Catalog(list(settings.sources)), StoreGate(settings.db), tokens,
                   settings.protect_reads, settings.body_limit, settings.idempotency_ttl,
                   settings.client_time, settings.playground, settings.sample_carts)


def bind(settings: Settings) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    try:
        sock = socket.create_server((settings.host, settings.port), family=family,
                                    backlog=2048)
    except OSError as err:
        raise PromoError(f"cannot listen on {settings.host}:{settings.port}: "
                         f"{err.strerror or err}", code=SERVE_CONFIG) from None
    # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, and this one's is 0:
    # without it a keep-alive client waits ~40 ms per request (Nagle, delayed ACKs).
    # Accepted connections inherit the option from the listening socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.set_inheritable(True)
    return sock


def _uvicorn_server(settings: Settings, service: Any) -> Any:
    import uvicorn

    from .app import create_app
    from .observe import setup_logging

    setup_logging(logging.INFO if settings.access_log else logging.WARNING)
    app = create_app(service, watch=settings.watch)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=10, server_header=False)
    server = uvicorn.Server(config)
    # A request is served alone when the server holds no other: its store work is then
    # committed at once, not grouped (``gate.py``).  The server's tasks are the requests
    # it has read, each made when its head is read, before any of them runs: a burst
    # read in one turn of the loop is seen whole by the first request of it to run.
    if service is not None:  # (None: the benchmarks' floor, which swaps the app)
        tasks = server.server_state.tasks
        service.gate.alone = lambda: len(tasks) <= 1
    return server


def _worker(settings: Settings, sock: socket.socket) -> None:  # pragma: no cover (a child)
    # SIGHUP reloads once the application runs; until then it must not kill the worker
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        service = build_service(settings)
    except PromoError as err:
        print(err.render(), file=sys.stderr)
        sys.exit(2)
    _uvicorn_server(settings, service).run(sockets=[sock])


def serve(settings: Settings, listening: Callable[[str], None] | None = None) -> None:
    """Check, load, bind, announce, then serve until stopped; ``listening`` is called
    with the base URL once the socket accepts connections."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a reload signal while loading: ignored
    check(settings)
    service = build_service(settings)  # load errors surface here, before binding
    sock = bind(settings)
    host, port = sock.getsockname()[:2]
    print(f"promo serve: listening on http://{_url_host(host)}:{port} "
          f"({settings.workers} worker{'s' if settings.workers > 1 else ''}; "
          f"rulesets: {', '.join(s.id for s in service.catalog.served())}"
          f"{'; the playground at /' if settings.playground else ''})",
          file=sys.stderr, flush=True)
    if listening is not None:
        listening(f"http://{_url_host(host)}:{port}")
    stop_relay = _start_relay(settings)
    try:
        if settings.workers == 1:
            _uvicorn_server(settings, service).run(sockets=[sock])
            return
        service.gate.close()
        _supervise(settings, sock)
    finally:
        stop_relay.set()


def _start_relay(settings: Settings) -> threading.Event:
    """With ``--relay-url``: one relay thread in this (the parent) process."""
    from .relay import RelaySettings, check_url, read_secret, relay

    stop = threading.Event()
    if settings.relay_url is None or settings.db is None:
        return stop
    relay_settings = RelaySettings(check_url(settings.relay_url, "--relay-url"), read_secret(
        settings.relay_secret_file) if settings.relay_secret_file else None)
    db = settings.db

    def run() -> None:
        from ..usage import open_store

        with open_store(db) as store:
            relay(store, relay_settings, stop)

    threading.Thread(target=run, name="promo-relay", daemon=True).start()
    return stop


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


STARTUP = 10.0
"""Seconds after the start in which a worker that exits 2 (its settings or rulesets are
wrong) stops the service: restarting it would only fail again."""
MAX_BACKOFF = 10.0


def _metrics_dir() -> tuple[str, bool]:
    """The workers' shared metrics directory, emptied (old files would add up); ours
    (made here, removed at the end) unless ``PROMETHEUS_MULTIPROC_DIR`` names one."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return given, False
    made = tempfile.mkdtemp(prefix="promo-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return made, True


def _supervise(settings: Settings, sock: socket.socket) -> None:
    """Start the workers, pass SIGHUP on, restart one that dies (with a capped backoff),
    stop on TERM/INT; exit 2 when the workers cannot start at all."""
    directory, ours = _metrics_dir()
    spawn = multiprocessing.get_context("spawn")
    workers: list[Any] = []
    stopping, failed = False, False
    began = time.monotonic()
    backoff, next_start = 0.2, 0.0

    def start_one() -> Any:
        process = spawn.Process(target=_worker, args=(settings, sock), daemon=False)
        process.start()
        return process

    def on_stop(signum: int, _: Any) -> None:
        nonlocal stopping
        stopping = True

    def on_hangup(signum: int, _: Any) -> None:
        for process in workers:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGHUP)

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_hangup)
    workers.extend(start_one() for _ in range(settings.workers))
    while not stopping:
        time.sleep(0.2)
        if time.monotonic() - next_start > 30:
            backoff = 0.2  # every worker has lived a while: the next death is news
        for index, process in enumerate(workers):
            if process.is_alive() or stopping:
                continue
            if process.exitcode == 2 and time.monotonic() - began < STARTUP:
                stopping = failed = True  # wrong settings or rulesets: do not loop
                break
            if time.monotonic() < next_start:
                continue
            log.warning("worker %s exited (%s); starting another", process.pid,
                        process.exitcode)
            workers[index] = start_one()
            next_start = time.monotonic() + backoff
            backoff = min(backoff * 2, MAX_BACKOFF)
    for process in workers:
        if process.is_alive():
            process.terminate()
    for process in workers:
        process.join(timeout=15)
    sock.close()
    if ours:
        shutil.rmtree(directory, ignore_errors=True)
    if failed:
        raise SystemExit(2)
