"""The checkout service: the engine over HTTP (``promo serve``), an adapter like the CLI.

    app.py          the ASGI application: routes, problem+json, reload while serving
    server.py       settings, binding, uvicorn and the worker processes
    catalog.py      the served rulesets by id: loaded, versioned, reloaded atomically
    gate.py         a request's store work as one unit (on the loop, or the store's thread)
    context.py      what endpoints share: the service's state, replies, tokens
    requests.py     reading a request: bounded JSON bodies, fields, times
    pricing.py      evaluate, validate a coupon, active promotions (no change)
    checkouts.py    the saga: start, confirm, release, look up
    idempotency.py  Idempotency-Key: each change at most once, its reply kept
    operations.py   outbox feed, usage, health, readiness, metrics, docs
    observe.py      request ids, JSON access logs, no traceback out
    metrics.py      Prometheus metrics
    problems.py     errors as RFC 9457 problem+json
    openapi.py      the OpenAPI 3.1 contract (schemas/promotions.v1.yaml)
    relay.py        the outbox relay: events to a webhook, in order, at least once
    playground.py   the playground page at / and its endpoints (``--playground``)
    workbench.py    the playground's work: lint and price texts, say where things are
    static/         the page: HTML, CSS, its script and its small editor (no build step)
"""

from .server import Settings, missing_dependencies, serve

__all__ = ["Settings", "missing_dependencies", "serve"]
