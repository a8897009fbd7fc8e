"""The ASGI application: routes, problem+json for every refusal, reload while serving."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dsl.codes import NO_SUCH_ROUTE
from dsl.errors import PromoError

from . import checkouts, operations, playground, pricing
from .context import Service
from .observe import Observe
from .problems import PROBLEM_JSON, Problem, instance_of, problem_from

log = logging.getLogger("promorules.service")

ROUTES = [
    Route("/v1/rulesets/{id}/evaluate", pricing.evaluate, methods=["POST"]),
    Route("/v1/rulesets/{id}/coupons/validate", pricing.validate_coupon, methods=["POST"]),
    Route("/v1/rulesets/{id}/promotions", pricing.promotions, methods=["GET"]),
    Route("/v1/rulesets/{id}/checkouts", checkouts.start, methods=["POST"]),
    Route("/v1/rulesets/{id}/usage", operations.usage, methods=["GET"]),
    Route("/v1/checkouts/{order_ref}/confirm", checkouts.confirm, methods=["POST"]),
    Route("/v1/checkouts/{order_ref}/release", checkouts.release, methods=["POST"]),
    Route("/v1/checkouts/{order_ref}", checkouts.show, methods=["GET"]),
    Route("/v1/events", operations.events, methods=["GET"]),
    Route("/healthz", operations.healthz, methods=["GET"]),
    Route("/readyz", operations.readyz, methods=["GET"]),
    Route("/metrics", operations.prometheus, methods=["GET"]),
    Route("/openapi.json", operations.openapi, methods=["GET"]),
    Route("/docs", operations.docs, methods=["GET"]),
    *playground.ROUTES,
]


def _problem_response(request: Request, problem: Problem) -> Response:
    return Response(problem.to_bytes(instance_of(request.scope)), status_code=problem.status,
                    media_type=PROBLEM_JSON, headers=problem.headers)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return _problem_response(request, exc)


async def _on_promo_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PromoError)
    return _problem_response(request, problem_from(exc))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = "no endpoint at this path" if exc.status_code == 404 else \
        f"{request.method} is not allowed here" if exc.status_code == 405 else str(exc.detail)
    headers = dict(exc.headers or {})
    return _problem_response(request, Problem(NO_SUCH_ROUTE, detail, status=exc.status_code,
                                              headers=headers))


def create_app(service: Service, *, watch: bool = True) -> Starlette:
    """The application over ``service``: rulesets reload on SIGHUP, and with ``watch``
    when their files change."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_watch_files(service))] if watch else []
        _on_hangup(service)
        service.gate.open_soon()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            service.gate.close()

    app = Starlette(routes=ROUTES, middleware=[Middleware(Observe)], lifespan=lifespan,
                    exception_handlers={Problem: _on_problem, PromoError: _on_promo_error,
                                        HTTPException: _on_http})
    app.state.service = service
    return app


async def reload(service: Service, why: str) -> None:
    """Reload every ruleset off the event loop (parsing and compiling take a while)."""
    loop = asyncio.get_running_loop()
    changed = await loop.run_in_executor(None, service.catalog.reload)
    log.info("reload (%s): %s", why, ", ".join(changed) if changed else "nothing changed")


def _on_hangup(service: Service) -> None:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGHUP,
                                lambda: loop.create_task(reload(service, "SIGHUP")))


SETTLE = 1.0
"""Seconds a changed file must keep its size and time before it is read: an editor or a
copy that writes in several steps is not read half-written (an atomic rename, as git and
most editors do, is read at once)."""


async def _watch_files(service: Service) -> None:
    from watchfiles import awatch

    watched = {str(path.resolve().parent) for path in service.catalog.files}
    files = {str(path.resolve()) for path in service.catalog.files}

    def relevant(_: Any, changed_path: str) -> bool:
        return changed_path in files

    async for changes in awatch(*watched, watch_filter=relevant, debounce=200, step=50,
                                recursive=False):
        await _settled([changed for _, changed in changes])
        await reload(service, "file changed")


async def _settled(paths: list[str], limit: float = 30.0) -> None:
    """Wait until none of ``paths`` has changed size or time for ``SETTLE`` seconds."""
    def marks() -> list[tuple[int, int] | None]:
        out: list[tuple[int, int] | None] = []
        for path in paths:
            try:
                stat = os.stat(path)
                out.append((stat.st_size, stat.st_mtime_ns))
            except OSError:
                out.append(None)
        return out

    before, waited = marks(), 0.0
    while waited < limit:
        await asyncio.sleep(SETTLE)
        waited += SETTLE
        now = marks()
        if now == before:
            return
        before = now
