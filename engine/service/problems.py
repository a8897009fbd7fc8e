"""Errors as RFC 9457 ``application/problem+json``: one stable type URI per error code.

Every refusal the service gives is a ``Problem``; every ``PromoError`` the API
raises becomes one with the status its code maps to.  An unexpected exception
becomes a bare 500 (``PR610``) that names only the request id: the traceback
goes to the log, never to the client.
"""

from __future__ import annotations

import json
from typing import Any

from dsl import codes
from dsl.errors import Diagnostic, DiagnosticsError, PromoError

from ..usage import LimitReached

ERRORS_BASE = "https://promorules.dev/errors/"
PROBLEM_JSON = "application/problem+json"

STATUS: dict[str, int] = {
    codes.BAD_REQUEST_BODY: 400,
    codes.BODY_TOO_LARGE: 413,
    codes.NOT_JSON: 415,
    codes.UNKNOWN_RULESET: 404,
    codes.IDEMPOTENCY_KEY_MISSING: 400,
    codes.IDEMPOTENCY_KEY_REUSED: 422,
    codes.IDEMPOTENCY_IN_FLIGHT: 409,
    codes.AUTH_REQUIRED: 401,
    codes.AUTH_REFUSED: 403,
    codes.NO_SUCH_ROUTE: 404,
    codes.INTERNAL_ERROR: 500,
    codes.RULESET_UNAVAILABLE: 503,
    codes.BAD_REQUEST_FIELD: 400,
    codes.STORE_UNAVAILABLE: 503,
    codes.BAD_OPTION: 400,
    # the usage store's refusals of a transition
    codes.USAGE_LIMIT: 409,
    codes.RESERVATION_CONFLICT: 409,
    codes.ILLEGAL_TRANSITION: 409,
    codes.UNKNOWN_RESERVATION: 404,
    codes.CUSTOMER_REQUIRED: 422,
}
"""HTTP status per error code; codes not listed: cart and input errors are 422, the
store's own faults 503."""

TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
          415: "Unsupported Media Type", 422: "Unprocessable Content",
          500: "Internal Server Error", 503: "Service Unavailable"}


_NOT_IN_A_URL = str.maketrans({"?": "%3F", "#": "%23", "\\": "%5C", "\t": None, "\r": None,
                               "\n": None})


def instance_of(scope: Any) -> str:
    """A problem's ``instance``: the request's path as a URI reference, as Starlette's
    ``request.url.path`` gives it (its decoded path with ``?``, ``#`` and ``\\`` escaped
    again, tabs and line breaks dropped as ``urllib.parse`` drops them, and a leading
    ``/`` where a path has none, as in ``OPTIONS *``), without building the URL (a test
    holds the two equal)."""
    path: str = scope["path"]
    shown = path.translate(_NOT_IN_A_URL)
    return shown if not path or path.startswith("/") else "/" + shown


def status_of(code: str) -> int:
    if code in STATUS:
        return STATUS[code]
    if code.startswith("PR4"):
        return 503  # the store's file, disk or lock: the service cannot serve it now
    return 422  # the request's content (a cart, a ruleset) is refused


class Problem(Exception):
    """A refusal, rendered as problem+json; ``extra`` members are added as they are."""

    def __init__(self, code: str, detail: str, *, status: int | None = None,
                 extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status if status is not None else status_of(code)
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, instance: str) -> dict[str, Any]:
        return {"type": ERRORS_BASE + self.code, "title": TITLES.get(self.status, "Error"),
                "status": self.status, "detail": self.detail, "instance": instance,
                "code": self.code, **self.extra}

    def to_bytes(self, instance: str) -> bytes:
        return json.dumps(self.body(instance), ensure_ascii=False).encode()


def problem_from(err: PromoError, path_prefix: str = "$") -> Problem:
    """The problem a ``PromoError`` raised by the API is; an invalid cart lists every
    diagnostic with its JSON path in the request body (``path_prefix``: where the
    cart sits in it)."""
    extra: dict[str, Any] = {}
    detail = err.message
    if isinstance(err, DiagnosticsError):
        found = [_diagnostic(d, path_prefix) for d in err.diagnostics]
        extra["diagnostics"] = found
        more = len(found) - 1
        detail = f"{found[0]['path']}: {found[0]['message']}" + (f" (and {more} more)"
                                                               if more else "")
    if isinstance(err, LimitReached):
        extra["promotion"], extra["limit"] = err.promotion, err.limit
    return Problem(err.code, detail, extra=extra)


def _diagnostic(diagnostic: Diagnostic, prefix: str) -> dict[str, Any]:
    """A diagnostic as a client reads it: code, message and the JSON path it points at.

    Cart errors start their message with the path inside the cart
    (``lines[0].unit_price: …``); it is split off and rooted where the cart sits
    in the request body (``$`` or ``$.cart``)."""
    path, sep, message = diagnostic.message.partition(": ")
    if not sep or " " in path:
        return {"code": diagnostic.code, "message": diagnostic.message, "path": prefix}
    if path == "document":
        return {"code": diagnostic.code, "message": message, "path": prefix}
    joined = prefix + ("" if path.startswith("[") else ".") + path
    return {"code": diagnostic.code, "message": message, "path": joined}
