"""Endpoints for operators: the outbox feed, usage per promotion, health, metrics, docs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from dsl.codes import BAD_REQUEST_FIELD, STORE_UNAVAILABLE
from dsl.errors import PromoError

from . import metrics
from .context import json_response, served_ruleset, service_of
from .openapi import docs_page, openapi_json
from .problems import Problem
from .requests import query_value

MAX_EVENTS = 1000


def _whole(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = query_value(request, name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise Problem(BAD_REQUEST_FIELD, f"{name} must be a whole number from {low} to "
                      f"{high:,}", extra={"path": name})
    return int(text)


async def events(request: Request) -> Response:
    """``GET /v1/events?after=ID&limit=N``: outbox events with ``id > after``, oldest first."""
    service = service_of(request)
    service.allows(request, operator=True)
    after = _whole(request, "after", 0, 0, 2**63 - 1)
    limit = _whole(request, "limit", 100, 1, MAX_EVENTS)
    found = await service.gate.run(lambda store: store.events(after, limit), write=False)
    last = found[-1]["id"] if found else after
    return json_response({"events": found, "next_after": last})


async def usage(request: Request) -> Response:
    """``GET /v1/rulesets/{id}/usage``: limits, reserved, confirmed, remaining, budget left
    per promotion and coupon code (codes: an operator endpoint, token-protected)."""
    service_of(request).allows(request, operator=True)  # before naming the rulesets (404)
    service, served = served_ruleset(request)
    rows = await service.gate.run(lambda store: store.status(served.ruleset),
                                   write=False)
    return json_response({"ruleset": served.id, "version": served.version, "usage": rows},
                         served)


async def healthz(request: Request) -> Response:
    """The process answers."""
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the store answers and every ruleset file is loaded as it is now."""
    service = service_of(request)
    store = "none"
    if service.gate.configured:
        try:
            await service.gate.run(lambda s: s.ping(), write=False)
            store = "ok"
        except PromoError as err:
            store = f"{err.code} {err.message}"
    catalog = service.catalog
    ready = catalog.ready() and store in ("ok", "none")
    data = {
        "status": "ready" if ready else "not ready", "store": store,
        "rulesets": [{"id": s.id, "version": s.version, "path": str(s.path),
                      "loaded_at": s.loaded_at} for s in catalog.served()],
        "failed": [{"path": path, "errors": errors}  # the messages are in the log
                   for path, errors in sorted(catalog.failures.items())],
    }
    return json_response(data, status=200 if ready else 503)


async def prometheus(request: Request) -> Response:
    """``GET /metrics``: Prometheus text format."""
    service = service_of(request)
    service.allows(request, operator=False)
    counts = None
    if service.gate.configured:
        try:
            counts = await service.gate.run(lambda s: s.reservation_counts(),
                                            write=False)
        except PromoError:
            raise Problem(STORE_UNAVAILABLE, "the usage store cannot be read") from None
    versions = [(s.id, s.version) for s in service.catalog.served()]
    body = metrics.exposition(counts, versions)
    return Response(body, media_type=metrics.CONTENT_TYPE)


async def openapi(request: Request) -> Response:
    service_of(request).allows(request, operator=False)  # a token with --protect-reads
    return json_response(openapi_json())


async def docs(request: Request) -> Response:
    service_of(request).allows(request, operator=False)
    return HTMLResponse(docs_page())
