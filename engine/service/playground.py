"""The playground: one page at ``/`` where a ruleset and a cart are edited and priced live.

It is off unless the service runs with ``--playground`` (``promo play`` turns it
on): its endpoints take ruleset text from the client and its sample list
hands out the served rulesets' text, coupon codes included, which a
production checkout must never do.  Off, ``/`` says how to turn it on and
the playground's paths answer 404.  The endpoints keep nothing: each request
carries both texts (``workbench.py`` does the work, off the event loop).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from dsl.codes import BAD_REQUEST_FIELD, NO_SUCH_ROUTE

from ..ruletests.snapshot import rule_test_yaml
from . import workbench
from .context import Service, json_response, service_of
from .pricing import _wants_trace
from .problems import Problem
from .requests import member, moment, only_members, read_json

STATIC = Path(__file__).with_name("static")
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
"""The page loads nothing but its own files and talks only to this service: no data
leaves the machine, and a pasted ruleset cannot run script in it."""
MAX_NAME = 200


def _enabled(request: Request) -> Service:
    service = service_of(request)
    service.allows(request, operator=False)  # with --protect-reads, a token like any read
    if not service.playground:
        raise Problem(NO_SUCH_ROUTE, "the playground is off: start the service with "
                      "--playground, or run `promo play RULESET`")
    return service


FILES = frozenset(p.name for p in STATIC.iterdir() if p.suffix in TYPES)
"""The page's files: only these names are ever read (a request names no other path)."""


def _asset(name: str) -> bytes | None:
    return _read(name) if name in FILES else None


@functools.lru_cache(maxsize=len(FILES))
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


OFF_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>promorules checkout service</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font:16px/1.5 system-ui,sans-serif;margin:2rem;max-width:44rem;color:#111">
<h1>promorules checkout service</h1>
<p>This service prices carts and runs checkouts over HTTP: see the contract at
<a href="/docs">/docs</a> (<a href="/openapi.json">/openapi.json</a>).</p>
<p>The playground, a page to edit a ruleset and a cart and see the priced result live,
is off here. It shows the served rulesets' text, coupon codes included, so it is only
for a person's own machine: run <code>promo play RULESET [CART]</code>, or start this
service with <code>--playground</code> (loopback addresses only).</p>
</body></html>
"""


async def page(request: Request) -> Response:
    """``GET /``: the playground, or how to turn it on."""
    service = service_of(request)
    if not service.playground:
        return HTMLResponse(OFF_PAGE)
    service.allows(request, operator=False)
    body = _asset("index.html")
    assert body is not None  # shipped with the package (package-data)
    return Response(body, media_type=TYPES[".html"],
                    headers={"content-security-policy": POLICY, "cache-control": "no-cache",
                             "x-content-type-options": "nosniff"})


async def asset(request: Request) -> Response:
    """``GET /playground/{name}``: the page's scripts and styles."""
    _enabled(request)
    name = request.path_params["name"]
    body = _asset(name)
    if body is None:
        raise Problem(NO_SUCH_ROUTE, "no such playground file")
    return Response(body, media_type=TYPES[Path(name).suffix],
                    headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"})


async def samples(request: Request) -> Response:
    """``GET /v1/playground/samples``: each served ruleset's text and its sample carts."""
    service = _enabled(request)
    extra = tuple(Path(p) for p in service.sample_carts)

    def gather() -> dict[str, Any]:
        rulesets = []
        for served in service.catalog.served():
            text = workbench.read_text(served.path)
            if text is None:
                continue
            carts = [{"name": s.name, "text": t, "given": s.given}
                     for s in workbench.samples_of(served.path, extra)
                     if (t := workbench.read_text(s.path)) is not None]
            rulesets.append({"id": served.id, "file": served.path.name, "text": text,
                             "carts": carts})
        return {"rulesets": rulesets}
    return json_response(await run_in_threadpool(gather))


async def _texts(request: Request, service: Service, cart_required: bool,
                 extra: frozenset[str] = frozenset()) -> tuple[Any, str, str | None, Any]:
    body = await read_json(request, service.body_limit)
    ruleset = member(body, "ruleset", str)
    cart = member(body, "cart", str, required=cart_required)
    only_members(body, {"ruleset", "cart", "at"} | extra)
    at = moment(member(body, "at", str, required=False), "$.at")
    return body, ruleset, cart, at


async def lint(request: Request) -> Response:
    """``POST /v1/playground/lint``: ``{"ruleset": text, "cart"?: text, "at"?}`` →
    every diagnostic with its line and column, and where promotions and lines are."""
    service = _enabled(request)
    _, ruleset, cart, at = await _texts(request, service, cart_required=False)
    linted = await run_in_threadpool(workbench.lint_texts, ruleset, cart, at)
    return json_response(linted.to_dict())


def _invalid(err: workbench.TextsInvalid) -> Problem:
    first = err.diagnostics[0]
    more = len(err.diagnostics) - 1
    return Problem(first["code"], f"{first['document']} line {first['line']}, column "
                   f"{first['column']}: {first['message']}"
                   + (f" (and {more} more)" if more else ""), status=422,
                   extra={"diagnostics": err.diagnostics})


async def evaluate(request: Request) -> Response:
    """``POST /v1/playground/evaluate[?explain=true]``: ``{"ruleset": text, "cart": text,
    "at"?}`` → the result, where its promotions and lines are written, and with
    ``explain`` the trace of every promotion; 422 with every diagnostic when either
    text does not load."""
    service = _enabled(request)
    explain = _wants_trace(request)
    _, ruleset, cart, at = await _texts(request, service, cart_required=True)
    assert cart is not None
    try:
        priced = await run_in_threadpool(workbench.price_texts, ruleset, cart, at, explain)
    except workbench.TextsInvalid as err:
        raise _invalid(err) from None
    return json_response(priced.to_dict())


async def ruletest(request: Request) -> Response:
    """``POST /v1/playground/ruletest``: the same body and an optional ``name`` → a rule
    test file (YAML) that expects what the evaluation gives now."""
    service = _enabled(request)
    body, ruleset, cart, at = await _texts(request, service, cart_required=True,
                                           extra=frozenset({"name"}))
    assert cart is not None
    name = member(body, "name", str, required=False)
    if name is not None and not 0 < len(name) <= MAX_NAME:
        raise Problem(BAD_REQUEST_FIELD, f"$.name must have 1 to {MAX_NAME} characters",
                      extra={"path": "$.name"})
    try:
        priced = await run_in_threadpool(workbench.price_texts, ruleset, cart, at)
    except workbench.TextsInvalid as err:
        raise _invalid(err) from None
    text = rule_test_yaml(priced.result, priced.cart, at=at,
                          name=(name or "").strip() or f"playground - {priced.cart.id}")
    return Response(text.encode(), media_type="application/yaml",
                    headers={"content-disposition": 'attachment; filename="playground.yaml"'})


ROUTES = [
    Route("/", page, methods=["GET"]),
    Route("/playground/{name}", asset, methods=["GET"]),
    Route("/v1/playground/samples", samples, methods=["GET"]),
    Route("/v1/playground/lint", lint, methods=["POST"]),
    Route("/v1/playground/evaluate", evaluate, methods=["POST"]),
    Route("/v1/playground/ruletest", ruletest, methods=["POST"]),
]
