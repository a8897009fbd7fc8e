"""The service's contract, OpenAPI 3.1, built from the schemas the engine publishes.

``schemas/promotions.v1.yaml`` is this document (``promo schema`` writes it, a
test fails when it is stale); the service serves it at ``/openapi.json`` and
a plain page of it at ``/docs``.  Bodies reuse the cart, result and event
schemas of ``engine/schemas.py``, so the contract cannot drift from them.
This module is pure: it builds data, it serves nothing.
"""

from __future__ import annotations

import functools
import html
import json
import re
from typing import Any

from dsl.codes import ERROR_CODES

from ..reasons import REASONS
from ..usage.events import EVENT_TYPES
from .problems import ERRORS_BASE

API_VERSION = "1.0.0"
KEY_PATTERN = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
"""An Idempotency-Key: visible ASCII, spaces inside (a header's other bytes are read
differently by different clients)."""
_REF = "#/components/schemas/"
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_JSON = "application/json"
_PROBLEM = "application/problem+json"
ORDER_REF = {"type": "string", "minLength": 1, "maxLength": 128,
             "pattern": r"^[^/]*[^/\s][^/]*$", "format": "order-ref",
             "description": "an order reference: 1 to 128 printable characters (letters, marks, "
                            "numbers, punctuation, symbols, the space), not only spaces, "
                            "without '/'"}
"""The order reference the service accepts (``checkouts.py``); ``format: order-ref`` says
what a pattern cannot: printable (no control, format or unassigned characters)."""
AT = {"type": "string", "format": "date-time",
      "pattern": r"^(19[0-9]{2}|[2-8][0-9]{3}|9000)-[0-9]{2}-[0-9]{2}"
                 r"T[0-9]{2}:[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
      "description": "an RFC 3339 date-time in the years 1900 to 9000 (the engine's range); "
                     "no leap second"}
"""A time a request names (``requests.moment``)."""


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _schemas() -> dict[str, Any]:
    from ..schemas import cart_schema, explain_schema, result_schema
    from ..usage.events import event_schema

    cart = _components_refs({k: v for k, v in cart_schema().items()
                             if k not in ("$schema", "$id")})
    found: dict[str, Any] = dict(cart.pop("$defs", {}))
    found["Cart"] = cart
    result = {k: v for k, v in result_schema().items() if k not in ("$schema", "$id")}
    found["Result"] = result
    explain = _components_refs({k: v for k, v in explain_schema().items()
                                if k not in ("$schema", "$id")})
    found.update(explain.pop("$defs"))
    found["Explain"] = explain
    found["ExplainedResult"] = {
        **result, "description": "The result and `explain`: the trace of every promotion.",
        "required": [*result["required"], "explain"],
        "properties": {**result["properties"], "explain": _ref("Explain")}}
    found["Event"] = {"oneOf": [{k: v for k, v in event_schema(kind).items()
                                 if k not in ("$schema", "$id")} for kind in EVENT_TYPES]}
    found.update(_own_schemas())
    return found


def _components_refs(node: Any) -> Any:
    """A JSON Schema with its ``#/$defs/`` references pointed at the components."""
    if isinstance(node, dict):
        return {key: (value.replace("#/$defs/", _REF) if key == "$ref"
                      else _components_refs(value)) for key, value in node.items()}
    if isinstance(node, list):
        return [_components_refs(item) for item in node]
    return node


def _own_schemas() -> dict[str, Any]:
    use = {"type": "object", "required": ["promotion", "coupon", "amount"],
           "properties": {"promotion": {"type": "string"},
                          "coupon": {"type": ["string", "null"],
                                     "description": "the code as normalised (entered by "
                                                    "this order's customer)"},
                          "amount": _MONEY}}
    reservation = {
        "type": "object",
        "required": ["order_ref", "ruleset", "state", "customer", "expires_at", "uses"],
        "properties": {
            "order_ref": {"type": "string"}, "ruleset": {"type": "string"},
            "state": {"enum": ["reserved", "confirmed", "released", "expired"]},
            "customer": {"type": "string", "description": "'' for a guest"},
            "expires_at": {"type": "string", "format": "date-time"},
            "uses": {"type": "array", "items": use}},
    }
    return {
        "Problem": {
            "type": "object", "required": ["type", "title", "status", "detail", "code"],
            "description": "RFC 9457 problem details; `type` is "
                           f"{ERRORS_BASE}<code>, one per error code.",
            "properties": {
                "type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "instance": {"type": "string"}, "code": {"enum": sorted(ERROR_CODES)},
                "diagnostics": {"type": "array", "items": {
                    "type": "object", "required": ["code", "message", "path"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "path": {"type": "string",
                                            "description": "JSON path in the request"},
                                   **_TEXT_POSITION}}},
                "promotion": {"type": "string"}, "limit": {"type": "string"},
                "path": {"type": "string"},
                "rulesets": {"type": "array", "items": {"type": "string"}}},
        },
        "Reservation": reservation,
        "Checkout": {"allOf": [_ref("Reservation"), {
            "type": "object", "required": ["ruleset_version", "result"],
            "properties": {"ruleset_version": {"type": "string"},
                           "result": _ref("Result")}}]},
        "StartCheckout": {
            "type": "object", "additionalProperties": False, "required": ["order_ref", "cart"],
            "properties": {
                "order_ref": ORDER_REF,
                "cart": _ref("Cart"),
                "ttl": {"type": "integer", "minimum": 1, "maximum": 604800,
                        "description": "seconds the hold lasts (default 900)"}}},
        "ValidateCoupon": {
            "type": "object", "additionalProperties": False, "required": ["code", "cart"],
            "properties": {"code": {"type": "string"}, "cart": _ref("Cart"),
                           "at": AT}},
        "CouponVerdict": {
            "type": "object",
            "required": ["code", "valid", "promotion", "amount", "reason", "detail"],
            "properties": {
                "code": {"type": "string"}, "valid": {"type": "boolean"},
                "promotion": {"type": ["string", "null"]},
                "amount": {"oneOf": [_MONEY, {"type": "null"}]},
                "reason": {"oneOf": [{"enum": sorted(REASONS)}, {"type": "null"}]},
                "detail": {"type": ["string", "null"]}}},
        "Promotions": {"type": "object", "required": ["ruleset", "version", "active_at",
                                                      "promotions"],
                       "properties": {"ruleset": {"type": "string"},
                                      "version": {"type": "string"},
                                      "active_at": {"type": "string"},
                                      "promotions": {"type": "array",
                                                     "items": {"type": "object"}}}},
        "Usage": {"type": "object", "required": ["ruleset", "version", "usage"],
                  "properties": {"ruleset": {"type": "string"}, "version": {"type": "string"},
                                 "usage": {"type": "array", "items": {"type": "object"}}}},
        "Events": {"type": "object", "required": ["events", "next_after"],
                   "properties": {"events": {"type": "array", "items": _ref("Event")},
                                  "next_after": {"type": "integer", "minimum": 0}}},
        "Status": {"type": "object"},
        **_playground_schemas(),
    }


_WHOLE = {"type": "integer", "minimum": 1}
_TEXT_POSITION: dict[str, Any] = {
    "document": {"enum": ["ruleset", "cart"],
                 "description": "the text it is in (playground requests)"},
    "severity": {"enum": ["error", "warning", "info"]},
    "hint": {"type": ["string", "null"]},
    "line": _WHOLE, "column": _WHOLE, "end_line": _WHOLE, "end_column": _WHOLE}
"""Where a diagnostic of the playground sits in the text it was sent: 1-based."""


def _playground_schemas() -> dict[str, Any]:
    lines = {"type": "object", "additionalProperties": {
        "type": "object", "required": ["line", "end_line"],
        "properties": {"line": _WHOLE, "end_line": _WHOLE}},
        "description": "id → the lines of the text it is written on"}
    diagnostic = {"type": "object",
                  "required": ["document", "path", "code", "severity", "message", "line",
                               "column", "end_line", "end_column"],
                  "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                 "path": {"enum": ["$.ruleset", "$.cart"]},
                                 **_TEXT_POSITION}}
    texts = {"ruleset": {"type": "string", "description": "a ruleset as YAML text"},
             "cart": {"type": "string", "description": "a cart as YAML or JSON text"},
             "at": AT}
    return {
        "PlaygroundLint": {"type": "object", "additionalProperties": False,
                           "required": ["ruleset"], "properties": texts},
        "PlaygroundTexts": {"type": "object", "additionalProperties": False,
                            "required": ["ruleset", "cart"], "properties": texts},
        "PlaygroundTest": {"type": "object", "additionalProperties": False,
                           "required": ["ruleset", "cart"],
                           "properties": {**texts, "name": {
                               "type": "string", "minLength": 1, "maxLength": 200,
                               "description": "the test's name (blank: one is made up)"}}},
        "PlaygroundLinted": {
            "type": "object", "required": ["diagnostics", "promotions", "cart_lines"],
            "properties": {"diagnostics": {"type": "array", "items": diagnostic},
                           "promotions": lines, "cart_lines": lines}},
        "PlaygroundPriced": {
            "type": "object", "required": ["result", "promotions", "cart_lines"],
            "properties": {"result": _ref("Result"), "promotions": lines,
                           "cart_lines": lines, "explain": _ref("Explain")}},
        "PlaygroundSamples": {"type": "object", "required": ["rulesets"], "properties": {
            "rulesets": {"type": "array", "items": {
                "type": "object", "required": ["id", "file", "text", "carts"],
                "properties": {
                    "id": {"type": "string"}, "file": {"type": "string"},
                    "text": {"type": "string"},
                    "carts": {"type": "array", "items": {
                        "type": "object", "required": ["name", "text", "given"],
                        "properties": {"name": {"type": "string"},
                                       "text": {"type": "string"},
                                       "given": {"type": "boolean"}}}}}}}}},
    }


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {_JSON: {"schema": _ref(schema)}}}


def _answer(description: str, schema: str | None = None) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {_JSON: {"schema": _ref(schema)}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "a problem (RFC 9457)",
                     "content": {_PROBLEM: {"schema": _ref("Problem")}}} for s in statuses}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "the ruleset's id (its `ruleset:` key)"}
_ORDER = {"name": "order_ref", "in": "path", "required": True, "schema": ORDER_REF}
_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                   "pattern": KEY_PATTERN.pattern.join("^$")},
        "description": "unique per operation; a repeat returns the stored response"}
_LINKS = {link: {"operationId": op, "parameters": {"order_ref": "$response.body#/order_ref"}}
          for link, op in (("Confirm", "confirmCheckout"), ("Release", "releaseCheckout"),
                           ("Show", "getCheckout"))}
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}]


def _operation(op_id: str, summary: str, responses: dict[str, Any],
               parameters: list[dict[str, Any]] | None = None,
               body: str | None = None, secured: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": op_id, "summary": summary,
                                 "parameters": parameters or [], "responses": responses}
    if body is not None:
        operation["requestBody"] = _body(body)
    if secured:
        operation["security"] = _SECURED
    return operation


def _paths() -> dict[str, Any]:
    at = {"name": "at", "in": "query", "schema": AT,
          "description": "price as of this time (default: the cart's `at`, else now)"}
    explain = {"name": "explain", "in": "query", "schema": {"type": "boolean", "default": False},
               "description": "true: add `explain`, why each promotion applied or not, step "
                              "by step (as `promo explain --format json`)"}
    checkout_ok = {**_answer("the priced result and the hold", "Checkout"), "links": _LINKS}
    settled = _answer("the reservation after the transition", "Reservation")
    return {
        "/v1/rulesets/{id}/evaluate": {"post": _operation(
            "evaluate", "Dry-run a cart: priced lines, totals, and why each promotion did "
            "or did not apply (as `promo eval --format json`)",
            {"200": {"description": "the result (with `explain`: and the trace)",
                     "content": {_JSON: {"schema": {"oneOf": [_ref("Result"),
                                                             _ref("ExplainedResult")]}}}},
             **_problems(400, 401, 403, 404, 413, 415, 422)},
            [_ID, at, explain], "Cart")},
        "/v1/rulesets/{id}/coupons/validate": {"post": _operation(
            "validateCoupon", "Check one entered code against a cart, reserving nothing",
            {"200": _answer("valid, or the reason", "CouponVerdict"),
             **_problems(400, 401, 403, 404, 413, 415, 422)}, [_ID], "ValidateCoupon")},
        "/v1/rulesets/{id}/checkouts": {"post": _operation(
            "startCheckout", "StartCheckout: price seeing the limits and reserve every "
            "use, all or nothing", {"200": checkout_ok,
                                    **_problems(400, 401, 403, 404, 409, 413, 415, 422)},
            [_ID, _KEY], "StartCheckout", secured=True)},
        "/v1/checkouts/{order_ref}/confirm": {"post": _operation(
            "confirmCheckout", "PaymentCaptured: make the held uses final",
            {"200": settled, **_problems(400, 401, 403, 404, 409, 422)},
            [_ORDER, _KEY], secured=True)},
        "/v1/checkouts/{order_ref}/release": {"post": _operation(
            "releaseCheckout", "CheckoutAborted: give the held uses back",
            {"200": settled, **_problems(400, 401, 403, 404, 409, 422)},
            [_ORDER, _KEY], secured=True)},
        "/v1/checkouts/{order_ref}": {"get": _operation(
            "getCheckout", "One checkout's reservation and its uses",
            {"200": settled, **_problems(400, 401, 403, 404)}, [_ORDER], secured=True)},
        "/v1/rulesets/{id}/promotions": {"get": _operation(
            "activePromotions", "The promotions active at a time (now by default)",
            {"200": _answer("active promotions, in evaluation order", "Promotions"),
             **_problems(400, 401, 403, 404)},
            [_ID, {"name": "active_at", "in": "query", "schema": AT}])},
        "/v1/rulesets/{id}/usage": {"get": _operation(
            "usage", "Limits, reserved, confirmed, remaining and budget left per promotion "
            "and coupon code", {"200": _answer("usage rows", "Usage"),
                                **_problems(401, 403, 404, 503)}, [_ID], secured=True)},
        "/v1/events": {"get": _operation(
            "events", "The outbox as a feed: events with id > after, oldest first",
            {"200": _answer("events", "Events"), **_problems(400, 401, 403, 503)},
            [{"name": "after", "in": "query",
              "schema": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}},
             {"name": "limit", "in": "query",
              "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}], secured=True)},
        **_playground_paths(),
        "/healthz": {"get": _operation("health", "The process answers",
                                       {"200": _answer("ok", "Status")})},
        "/readyz": {"get": _operation(
            "ready", "The store answers and every ruleset is loaded",
            {"200": _answer("ready", "Status"), "503": _answer("not ready", "Status")})},
        "/metrics": {"get": _operation("metrics", "Prometheus metrics (text format)",
                                       {"200": {"description": "text/plain metrics"},
                                        **_problems(401, 403, 503)})},
    }


def _playground_paths() -> dict[str, Any]:
    off = " (404 unless the service runs with --playground)"
    page = {"200": {"description": "the playground, or how to turn it on",
                    "content": {"text/html": {"schema": {"type": "string"}}}},
            **_problems(401, 403)}
    asset = {"200": {"description": "a file of the page", "content": {
        kind: {"schema": {"type": "string"}}
        for kind in ("text/javascript", "text/css", "text/html")}}}
    return {
        "/": {"get": _operation("playground", "The playground page: edit a ruleset and a "
                                "cart, see the priced result and why", page)},
        "/playground/{name}": {"get": _operation(
            "playgroundFile", "The playground page's scripts and styles" + off,
            {**asset, **_problems(401, 403, 404)},
            [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}])},
        "/v1/playground/samples": {"get": _operation(
            "playgroundSamples", "Each served ruleset's text and its sample carts" + off,
            {"200": _answer("rulesets and carts", "PlaygroundSamples"),
             **_problems(401, 403, 404)})},
        "/v1/playground/lint": {"post": _operation(
            "playgroundLint", "Lint ruleset text (and load cart text): every diagnostic "
            "with its line and column" + off,
            {"200": _answer("the diagnostics", "PlaygroundLinted"),
             **_problems(400, 401, 403, 404, 413, 415, 422)}, body="PlaygroundLint")},
        "/v1/playground/evaluate": {"post": _operation(
            "playgroundEvaluate", "Price cart text with ruleset text (a dry run); 422 "
            "with every diagnostic when either does not load" + off,
            {"200": _answer("the result (with `explain`: and the trace)",
                            "PlaygroundPriced"),
             **_problems(400, 401, 403, 404, 413, 415, 422)},
            [{"name": "explain", "in": "query",
              "schema": {"type": "boolean", "default": False},
              "description": "true: add `explain`, the trace of every promotion"}],
            body="PlaygroundTexts")},
        "/v1/playground/ruletest": {"post": _operation(
            "playgroundRuleTest", "A rule test (tests/*.yaml) expecting what the "
            "evaluation gives now" + off,
            {"200": {"description": "the test file", "content": {
                "application/yaml": {"schema": {"type": "string"}}}},
             **_problems(400, 401, 403, 404, 413, 415, 422)}, body="PlaygroundTest")},
    }


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The whole contract."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "promorules checkout service", "version": API_VERSION,
                 "description": "Price carts, validate coupons and run the checkout saga "
                                "(start → confirm / release) over HTTP. Errors are "
                                "application/problem+json."},
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a token from --token-file"}},
        },
    }


@functools.lru_cache(maxsize=1)
def openapi_json() -> bytes:
    return json.dumps(openapi_document(), indent=2).encode()


@functools.lru_cache(maxsize=1)
def docs_page() -> str:
    """The contract as one plain HTML page: no script, no CDN."""
    doc = openapi_document()
    rows = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            params = ", ".join(f"{p['name']} ({p['in']})" for p in op["parameters"]) or "—"
            body = op.get("requestBody", {}).get("content", {}).get(_JSON, {})
            body_ref = body.get("schema", {}).get("$ref", "").removeprefix(_REF) or "—"
            statuses = ", ".join(op["responses"])
            lock = " 🔒" if op.get("security") else ""
            rows.append(f"<tr><td><code>{method.upper()} {html.escape(path)}</code>{lock}</td>"
                        f"<td>{html.escape(op['summary'])}</td><td>{html.escape(params)}</td>"
                        f"<td>{html.escape(body_ref)}</td><td>{statuses}</td></tr>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(doc['info']['title'])}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#111}}
table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.3rem .6rem;
text-align:left;vertical-align:top}}th{{background:#eee}}</style></head>
<body><h1>{html.escape(doc['info']['title'])} <small>{API_VERSION}</small></h1>
<p>{html.escape(doc['info']['description'])} The machine-readable contract is
<a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). 🔒: needs a bearer token when
the service runs with <code>--token-file</code>. State changes need an
<code>Idempotency-Key</code> header.</p>
<table><tr><th>endpoint</th><th>what it does</th><th>parameters</th><th>body</th>
<th>statuses</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
