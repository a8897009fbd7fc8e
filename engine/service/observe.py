"""Around every request: its id, one JSON log line, the metrics, and no traceback out.

A pure ASGI middleware (no per-request task or body copy): it takes the
client's ``X-Request-Id`` when it is sane or makes one, returns it, times the
request, and logs ``time, request_id, method, route, status, duration_ms``
plus what the endpoint noted in ``scope["promo.log"]`` (the ruleset version,
the order reference).  An exception that escapes an endpoint is logged with
its traceback and the request id; the client gets a bare 500 problem.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dsl.codes import INTERNAL_ERROR

from . import metrics
from .problems import PROBLEM_JSON, Problem

REQUEST_ID = "promo.request_id"
LOG_FIELDS = "promo.log"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_PROCESS = uuid.uuid4().hex[:12]
_SERIAL = itertools.count(1)
"""Request ids made here: this process's random prefix and a serial number (unique across
workers and restarts, and much cheaper than a UUID per request)."""

access_log = logging.getLogger("promorules.access")
error_log = logging.getLogger("promorules.service")


def request_id(scope: Scope) -> str:
    return str(scope.get(REQUEST_ID, "-"))


def note(scope: Scope, **fields: Any) -> None:
    """Fields for this request's log line (``ruleset_version``, ``order_ref`` …)."""
    scope.setdefault(LOG_FIELDS, {}).update(fields)


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = _header(scope, b"x-request-id")
        rid = given if given and _SANE_ID.fullmatch(given) else f"{_PROCESS}-{next(_SERIAL):x}"
        scope[REQUEST_ID] = rid
        status = 500
        sent = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status, sent = message["status"], True
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("request %s failed", rid, extra={"request_id": rid})
            if not sent:
                await _internal_error(scope, send_with_id, rid)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics.observe(route, scope["method"], status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(json.dumps({
                    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "request_id": rid, "method": scope["method"], "route": route,
                    "path": scope["path"], "status": status,
                    "duration_ms": round(seconds * 1000, 3), **scope.get(LOG_FIELDS, {}),
                }, ensure_ascii=False))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _internal_error(scope: Scope, send: Send, rid: str) -> None:
    problem = Problem(INTERNAL_ERROR, f"an unexpected error; it is logged under request id "
                      f"{rid}")
    body = problem.to_bytes(f"urn:promorules:request:{rid}")
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def setup_logging(level: int = logging.INFO) -> None:
    """Access lines as they are (already JSON); the service's own messages as JSON too."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonLines())
    for name in ("promorules.access", "promorules.service"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if record.name == "promorules.access":
            return record.getMessage()
        data: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(), "message": record.getMessage()}
        for extra in ("request_id", "diagnostics"):
            if hasattr(record, extra):
                data[extra] = getattr(record, extra)
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)
