"""Endpoints that price without changing anything: evaluate, validate a coupon, the
active promotions.  With a usage store they see its limits (read only)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dsl.codes import BAD_REQUEST_FIELD
from dsl.values import normalise_code

from ..cart import Cart
from ..reasons import COUPON_UNKNOWN
from ..result import Result
from ..trace import explain_cart
from ..usage import StoreView, UsageStore
from .catalog import Served
from .context import Service, json_response, served_ruleset, service_of
from .problems import Problem
from .requests import (
    cart_from,
    member,
    moment,
    only_members,
    query_value,
    read_cart,
    read_json,
)


def _price(served: Served, cart: Cart, at: dt.datetime | None,
           store: UsageStore | None) -> Result:
    view = StoreView(store, served.ruleset) if store is not None else None
    result = served.program.evaluate(cart, at, usage=view)
    result.rejected[:0]  # reasons read while the store is at hand (they may cite it)
    return result


async def _priced(service: Service, served: Served, cart: Cart,
                  at: dt.datetime | None) -> Result:
    if not service.gate.configured:
        return _price(served, cart, at, None)
    return await service.gate.run(lambda store: _price(served, cart, at, store),
                                  write=False)


def _explained(served: Served, cart: Cart, at: dt.datetime | None,
               store: UsageStore | None) -> dict[str, Any]:
    """The result as ``promo eval --format json`` writes it, and ``explain``: the trace
    of every promotion (``promo explain --format json``), from the same pricing."""
    view = StoreView(store, served.ruleset) if store is not None else None
    trace, result = explain_cart(served.program, cart, at, view)
    source = served.ruleset.source
    shown = _file_named(trace.to_dict(), PurePath(source.name).name if source else "")
    return {**json.loads(result.to_json()), "explain": shown}


def _file_named(node: Any, name: str) -> Any:
    """The trace with each span's file named by its base name: a client is not told
    where the server keeps its files."""
    if isinstance(node, dict):
        return {key: ({**value, "file": name} if key == "span" and isinstance(value, dict)
                      else _file_named(value, name)) for key, value in node.items()}
    if isinstance(node, list):
        return [_file_named(item, name) for item in node]
    return node


def _wants_trace(request: Request) -> bool:
    """``?explain=true`` (or ``false``, the default)."""
    text = query_value(request, "explain")
    if text not in (None, "true", "false"):
        raise Problem(BAD_REQUEST_FIELD, f"explain: {text[:64]!r} is not true or false",
                      extra={"path": "explain"})
    return text == "true"


async def evaluate(request: Request) -> Response:
    """``POST /v1/rulesets/{id}/evaluate``: the body is a cart; ``?at=`` prices as of then;
    ``?explain=true`` adds the trace of every promotion."""
    service_of(request).allows(request, operator=False)  # a token with --protect-reads
    service, served = served_ruleset(request)
    at, explain = None, False
    if request.scope["query_string"]:  # (most calls have none: nothing to parse)
        at = moment(query_value(request, "at"), "at")
        explain = _wants_trace(request)
    cart = await read_cart(request, service.body_limit)
    if explain:
        if not service.gate.configured:
            return json_response(_explained(served, cart, at, None), served)
        answer = await service.gate.run(
            lambda store: _explained(served, cart, at, store), write=False)
        return json_response(answer, served)
    result = await _priced(service, served, cart, at)
    return json_response(result.to_json().encode(), served)


async def validate_coupon(request: Request) -> Response:
    """``POST /v1/rulesets/{id}/coupons/validate``: ``{"code": …, "cart": {…}, "at"?}``.

    The code is entered into the cart (beside the codes it already has) and the
    cart is priced, reserving nothing: valid when a promotion with that code
    applies, otherwise the reason its promotion (or the code) was rejected.
    Only the code asked about is ever named."""
    service_of(request).allows(request, operator=False)
    service, served = served_ruleset(request)
    body = await read_json(request, service.body_limit)
    code = member(body, "code", str)
    only_members(body, {"code", "cart", "at"})
    at = moment(member(body, "at", str, required=False), "$.at")
    data = member(body, "cart", dict)
    entered = data.get("coupons", [])
    if isinstance(entered, list) and normalise_code(code) not in {
            normalise_code(c) for c in entered if isinstance(c, str)}:
        data = {**data, "coupons": [*entered, code]}  # (a wrong cart is refused as it is)
    cart = cart_from(data, "$.cart")
    result = await _priced(service, served, cart, at)
    return json_response(coupon_verdict(result, code), served)


def coupon_verdict(result: Result, code: str) -> dict[str, Any]:
    """What pricing said about one entered code."""
    wanted = normalise_code(code)
    for applied in result.applied:
        if applied.coupon is not None and normalise_code(applied.coupon) == wanted:
            return {"code": code, "valid": True, "promotion": applied.promotion,
                    "amount": str(applied.amount), "reason": None, "detail": None}
    for rejected in result.rejected:
        if rejected.coupon is not None and normalise_code(rejected.coupon) == wanted:
            return {"code": code, "valid": False, "promotion": rejected.promotion,
                    "amount": None, "reason": rejected.code, "detail": rejected.reason}
    return {"code": code, "valid": False, "promotion": None, "amount": None,
            "reason": COUPON_UNKNOWN, "detail": "no promotion has this code"}


async def promotions(request: Request) -> Response:
    """``GET /v1/rulesets/{id}/promotions?active_at=``: the promotions active then (now by
    default), in evaluation order; coupon promotions say that they take a code, never which."""
    service_of(request).allows(request, operator=False)
    _, served = served_ruleset(request)
    at = moment(query_value(request, "active_at"), "active_at") or \
        dt.datetime.now(dt.UTC)
    by_id = {p.id: p for p in served.ruleset.promotions}
    hide = _code_hider(served.ruleset.promotions)
    listed = [_promotion(by_id[i], hide) for i in served.program.active_ids(at)]  # in order
    return json_response({"ruleset": served.id, "version": served.version,
                          "active_at": at.isoformat(), "promotions": listed}, served)


def _code_hider(promotions: Any) -> Callable[[str | None], str | None]:
    """Names and descriptions without the ruleset's coupon codes (a merchandiser writes
    "NEWS15, 15% off"): each code, as written in any case, becomes "…"; a text that
    still holds one in another form (full-width, say) is left out."""
    codes = sorted({code for p in promotions for code in p.codes}, key=len, reverse=True)
    if not codes:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(code) for code in codes), re.IGNORECASE)

    def hide(text: str | None) -> str | None:
        if text is None:
            return None
        text = pattern.sub("\u2026", text)
        folded = normalise_code(text)
        return None if any(code in folded for code in codes) else text
    return hide


def _promotion(promotion: Any, hide: Callable[[str | None], str | None]) -> dict[str, Any]:
    window = promotion.active
    limits = promotion.limits
    return {
        "id": promotion.id, "name": hide(promotion.name),
        "description": hide(promotion.description),
        "priority": promotion.priority, "coupon": promotion.is_coupon,
        "effect": promotion.effect_kind, "exclusive": promotion.exclusive,
        "group": promotion.group,
        "active": None if window is None else {
            "from": None if window.from_ is None else str(window.from_),
            "until": None if window.until is None else str(window.until),
            "days": None if window.days is None else list(window.days),
            "hours": None if window.hours is None else list(window.hours)},
        "limits": None if limits is None else {
            "uses": limits.uses, "per_customer": limits.per_customer,
            "per_coupon": limits.per_coupon,
            "budget": None if limits.budget is None else str(limits.budget)},
    }
