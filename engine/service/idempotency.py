"""``Idempotency-Key`` on the state-changing endpoints (the IETF draft, as payment APIs
use it).

    no key                         → 400 (PR604)
    a new key                      → claimed; the transition runs and its response is
                                     stored in the same store transaction as the change
                                     (on SQLite the claim too: one transaction per request)
    the same key and payload, done → the stored response again (status and body)
    the same key, another payload  → 422 (PR605)
    the same key while running     → wait for the first (up to ``WAIT``), then its
                                     response; still running after that → 409 (PR606)

A refusal (4xx) is stored like a success: a retry gets the same answer.  A 5xx
is not: the claim is given up, so a retry runs again.  A worker that dies
holding a claim loses it when its lease ends (``LEASE``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dsl.codes import IDEMPOTENCY_IN_FLIGHT, IDEMPOTENCY_KEY_MISSING, IDEMPOTENCY_KEY_REUSED
from dsl.errors import PromoError

from ..usage import UsageStore
from ..usage.store import IdempotencyClaim
from .context import Service
from .openapi import KEY_PATTERN
from .problems import PROBLEM_JSON, Problem, instance_of, problem_from

HEADER = "idempotency-key"
REPLAYED = "idempotent-replayed"
MAX_KEY = 255
WAIT = 10.0
"""Seconds a repeat waits for the first request with its key before answering 409."""
POLL = 0.02

Reply = tuple[int, bytes, str]
"""A reply as the store keeps it: status, body, content type."""
Work = Callable[[UsageStore, str], Reply]
"""The change, run for a claimed key in the same unit of the store as the claim: it
hands the store an ``IdempotentResponse`` built for that key (so the reply commits
with the change) and returns the same reply."""


def built_once(respond: Callable[..., Reply]) -> Callable[..., Reply]:
    """``respond``, giving its last reply again when called with the same objects: the
    store builds a transition's reply inside its transaction, to keep it with the
    change, and the request then answers with that reply, not a second copy written
    again (a checkout's reply is mostly its priced result, written out).  A transaction
    run again calls it with new objects, and gets a new reply."""
    last: list[Any] = []  # [arguments, reply]

    def respond_once(*args: Any) -> Reply:
        if last and len(last[0]) == len(args) and \
                all(old is new for old, new in zip(last[0], args, strict=True)):
            reply: Reply = last[1]
            return reply
        reply = respond(*args)
        last[:] = [args, reply]
        return reply

    return respond_once


def key_of(request: Request) -> str:
    given = request.headers.getlist(HEADER)
    if len(given) > 1:  # (which one a proxy or a log keeps would be its guess)
        raise Problem(IDEMPOTENCY_KEY_MISSING, f"{len(given)} Idempotency-Key headers; this "
                      "endpoint needs exactly one")
    key = given[0].strip() if given else ""
    if len(key) > MAX_KEY or not KEY_PATTERN.fullmatch(key):
        raise Problem(IDEMPOTENCY_KEY_MISSING, f"this endpoint needs an Idempotency-Key "
                      f"header (1 to {MAX_KEY} visible ASCII characters), unique per attempt "
                      "of one operation")
    return key


def _fraction(value: Any) -> dict[str, str]:
    """A fraction of the body (``requests.parse_json`` reads them exact) in the payload's
    canonical form: as written, tagged (a string "9.5" is another payload)."""
    if isinstance(value, Decimal):
        return {"fraction": str(value)}
    raise TypeError(f"{type(value).__name__} is not JSON")


def request_hash(request: Request, body: Any) -> str:
    """The payload a key is bound to: the method, the route and its decoded path
    parameters, and the body's JSON, canonical.  (Not the URL's path: two order
    references can print as the same path, ``o?1`` and ``o%3F1``.)"""
    route = getattr(request.scope.get("route"), "path", request.scope["path"])
    canonical = json.dumps([request.method, route, request.path_params, body], sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False, default=_fraction)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _attempt(store: UsageStore, key: str, digest: str, ttl: dt.timedelta, work: Work,
             instance: str) -> IdempotencyClaim | tuple[Reply, dict[str, str]]:
    """One unit of the store (``gate.py``; one transaction on SQLite): claim the key, and
    when it is ours, run the change; a refusal is stored with the claim, and a failure
    on our side gives the claim up."""
    claim = store.claim_idempotency(key, digest, ttl=ttl)
    if claim.state != "claimed":
        return claim
    try:
        return work(store, key), {}
    except (Problem, PromoError) as err:
        problem = err if isinstance(err, Problem) else problem_from(err)
        if problem.status >= 500:  # not an answer to keep: a retry runs again
            store.abandon_idempotency(key)
            raise problem from None
        data = problem.to_bytes(instance)
        store.finish_idempotency(key, problem.status, data, PROBLEM_JSON)
        return (problem.status, data, PROBLEM_JSON), problem.headers
    except BaseException:
        store.abandon_idempotency(key)
        raise


async def idempotent(service: Service, request: Request, body: Any, work: Work) -> Response:
    """Run ``work`` at most once per ``Idempotency-Key`` and payload."""
    key = key_of(request)
    digest = request_hash(request, body)
    instance = instance_of(request.scope)  # not the request id: a replay answers the same bytes
    ttl = service.idempotency_ttl
    deadline = time.monotonic() + WAIT
    while True:
        outcome = await service.gate.run(
            lambda store: _attempt(store, key, digest, ttl, work, instance))
        if not isinstance(outcome, IdempotencyClaim):
            (status, data, media), headers = outcome
            return Response(data, status_code=status, media_type=media, headers=headers)
        if outcome.state == "done":
            return _replay(outcome)
        if outcome.state == "mismatch":
            raise Problem(IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used with another "
                          "request (method, path or body); use a new key for a new operation")
        if time.monotonic() >= deadline:
            raise Problem(IDEMPOTENCY_IN_FLIGHT, "the first request with this Idempotency-Key "
                          "is still running; retry later", headers={"retry-after": "1"})
        await asyncio.sleep(POLL)


def _replay(claim: IdempotencyClaim) -> Response:
    assert claim.status is not None and claim.body is not None
    return Response(claim.body, status_code=claim.status,
                    media_type=claim.content_type or "application/json",
                    headers={REPLAYED: "true"})
