"""The checkout saga over HTTP: start (price + reserve), confirm, release, look up.

Each state change runs once per ``Idempotency-Key`` (``idempotency.py``); its
reply is built inside the store's transaction and kept with it.  A checkout is
priced at the server's clock: the cart's ``at`` is ignored unless the service
trusts client time (``--client-time``, for staging and tests), so a client
cannot buy at last month's promotions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dsl.codes import BAD_REQUEST_FIELD

from ..result import Result
from ..usage import DEFAULT_TTL, Reservation, UnknownReservation, UsageStore
from ..usage.checkout import HOLDING, start_checkout
from ..usage.store import IdempotentResponse, dead_reference
from .context import (
    VERSION_HEADER,
    json_response,
    nested,
    served_ruleset,
    service_of,
)
from .idempotency import Reply, built_once, idempotent
from .observe import note
from .problems import PROBLEM_JSON, Problem, instance_of, problem_from
from .requests import cart_from, member, only_members, read_json, ttl_of

MAX_ORDER_REF = 128
JSON = "application/json"


def reservation_json(reservation: Reservation,
                     more: Sequence[tuple[str, str]] = ()) -> bytes:
    """The bytes ``encoded`` gives for ``reservation_dict(reservation)`` followed by the
    members ``more`` (name, value already written at that depth: ``nested``), written
    without the json module's encoder, which indents in pure Python (a test holds the
    two equal)."""
    uses = [f'    {{\n      "promotion": {_text(use.promotion)},\n      "coupon": '
            f'{_or_null(use.coupon)},\n      "amount": {_text(str(use.amount))}\n    }}'
            for use in reservation.uses]
    members = [("order_ref", _text(reservation.order_ref)),
               ("ruleset", _text(reservation.ruleset)), ("state", _text(reservation.state)),
               ("customer", _or_null(reservation.customer)),
               ("expires_at", _text(reservation.expires_at.isoformat())),
               ("uses", "[\n" + ",\n".join(uses) + "\n  ]" if uses else "[]"), *more]
    return ("{\n" + ",\n".join(f"  {_text(name)}: {value}" for name, value in members) +
            "\n}\n").encode()


_text = json.encoder.encode_basestring  # json.dumps's strings with ensure_ascii=False


def _or_null(value: str | None) -> str:
    return "null" if value is None else _text(value)


def reservation_dict(reservation: Reservation) -> dict[str, Any]:
    return {"order_ref": reservation.order_ref, "ruleset": reservation.ruleset,
            "state": reservation.state, "customer": reservation.customer,
            "expires_at": reservation.expires_at.isoformat(),
            "uses": [{"promotion": u.promotion, "coupon": u.coupon, "amount": str(u.amount)}
                     for u in reservation.uses]}


def _order_ref(text: Any, where: str) -> str:
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_ORDER_REF or \
            not text.isprintable() or "/" in text:
        raise Problem(BAD_REQUEST_FIELD, f"{where}: an order reference is 1 to "
                      f"{MAX_ORDER_REF} printable characters without '/'", extra={"path": where})
    return text


async def start(request: Request) -> Response:
    """``POST /v1/rulesets/{id}/checkouts``: ``{"order_ref", "cart", "ttl"?}``."""
    service_of(request).allows(request, operator=True)  # before naming served rulesets
    service, served = served_ruleset(request)
    body = await read_json(request, service.body_limit)
    only_members(body if isinstance(body, dict) else {}, {"order_ref", "cart", "ttl"})
    order_ref = _order_ref(member(body, "order_ref", str), "$.order_ref")
    ttl = ttl_of(member(body, "ttl", int, required=False)) or DEFAULT_TTL
    cart = cart_from(member(body, "cart", dict), "$.cart")
    at = None if service.client_time else dt.datetime.now(dt.UTC)
    note(request.scope, order_ref=order_ref)

    @built_once
    def respond(result: Result, reservation: Reservation) -> Reply:
        if reservation.state not in HOLDING:  # a dead reference: refused, and kept so
            refusal = problem_from(dead_reference(reservation.order_ref, reservation.state))
            return refusal.status, refusal.to_bytes(instance_of(request.scope)), PROBLEM_JSON
        return 200, reservation_json(reservation, [
            ("ruleset_version", _text(served.version)),
            ("result", nested(result.to_json()))]), JSON

    def work(store: UsageStore, key: str) -> Reply:
        checkout = start_checkout(store, served.ruleset, cart, order_ref, ttl, at=at,
                                  idempotency=(key, respond))
        return respond(checkout.result, checkout.reservation)

    response = await idempotent(service, request, body, work)
    response.headers[VERSION_HEADER] = served.version
    return response


async def _settle(request: Request, verb: str) -> Response:
    """``confirm`` (payment captured) or ``release`` (checkout aborted)."""
    service = service_of(request)
    service.allows(request, operator=True)
    order_ref = _order_ref(request.path_params["order_ref"], "order_ref")
    note(request.scope, order_ref=order_ref)
    body = await read_json(request, service.body_limit) if _has_body(request) else {}
    only_members(body if isinstance(body, dict) else {}, set())

    @built_once
    def respond(reservation: Reservation) -> Reply:
        return 200, reservation_json(reservation), JSON

    def work(store: UsageStore, key: str) -> Reply:
        record = IdempotentResponse(key, respond)
        if verb == "release":
            return respond(store.release(order_ref, idempotency=record))
        return respond(store.confirm(order_ref, service.catalog.ruleset, retake_expired=True,
                                     idempotency=record))

    return await idempotent(service, request, body, work)


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return bool(length and length != "0") or "transfer-encoding" in request.headers


async def confirm(request: Request) -> Response:
    """``POST /v1/checkouts/{order_ref}/confirm``: payment captured."""
    return await _settle(request, "confirm")


async def release(request: Request) -> Response:
    """``POST /v1/checkouts/{order_ref}/release``: checkout aborted."""
    return await _settle(request, "release")


async def show(request: Request) -> Response:
    """``GET /v1/checkouts/{order_ref}``: the reservation and its uses."""
    service = service_of(request)
    service.allows(request, operator=True)
    order_ref = _order_ref(request.path_params["order_ref"], "order_ref")
    note(request.scope, order_ref=order_ref)
    try:
        held = await service.gate.run(lambda store: store.reservation(order_ref),
                                      write=False)
    except UnknownReservation as err:
        raise problem_from(err) from None
    return json_response(reservation_json(held))
