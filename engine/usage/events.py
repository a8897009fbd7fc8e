"""Outbox events: what each usage transition announces, and their JSON Schemas.

Every event is a flat JSON object with ``event`` (its type), ``version`` and
the use it is about.  ``schemas/events/<type>.v1.json`` describes each; a
relay reads them with ``promo usage events --since ID`` and publishes them.

| transition | events (per promotion used; ``coupon_*`` only for coupon uses) |
|---|---|
| reserve | ``promotion_reserved``, ``coupon_reserved``, ``coupon_applied`` |
| confirm | ``promotion_consumed``, ``coupon_consumed`` |
| release / expire | ``promotion_released``, ``coupon_released`` (``reason``) |
"""

from __future__ import annotations

from typing import Any

VERSION = 1

EVENT_TYPES: dict[str, str] = {
    "coupon_applied": "a coupon was applied to an order's price (emitted with its reservation)",
    "coupon_reserved": "a coupon use is held for an order",
    "coupon_released": "a held coupon use was given back (aborted checkout or expiry)",
    "coupon_consumed": "a held coupon use became final (payment captured)",
    "promotion_reserved": "a promotion use is held for an order",
    "promotion_released": "a held promotion use was given back",
    "promotion_consumed": "a held promotion use became final",
}


def kinds_for(verb: str, is_coupon: bool) -> list[str]:
    """The event types one use announces for a transition verb."""
    kinds = [f"promotion_{verb}"]
    if is_coupon:
        kinds.append(f"coupon_{verb}")
        if verb == "reserved":
            kinds.append("coupon_applied")
    return kinds


def payload(kind: str, **fields: Any) -> dict[str, Any]:
    """An event body: its type and version first, then the use's fields."""
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event type {kind}")
    if not kind.startswith("coupon_"):
        fields.pop("coupon", None)
    return {"event": kind, "version": VERSION, **fields}


def event_schema(kind: str) -> dict[str, Any]:
    """JSON Schema of one event type."""
    properties: dict[str, Any] = {
        "id": {"type": "integer", "description": "outbox position (added when read)"},
        "event": {"const": kind},
        "version": {"const": VERSION},
        "order_ref": {"type": "string"},
        "ruleset": {"type": "string"},
        "promotion": {"type": "string"},
        "customer": {"type": "string", "description": "'' for a guest"},
        "amount": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$",
                   "description": "the discount this use gave"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "occurred_at": {"type": "string", "format": "date-time"},
    }
    required = ["event", "version", "order_ref", "ruleset", "promotion", "customer",
                "amount", "currency", "occurred_at"]
    if kind.startswith("coupon_"):
        properties["coupon"] = {"type": "string", "minLength": 1,
                                "description": "normalised code (trimmed, case-folded)"}
        required.append("coupon")
    if kind.endswith("_reserved") or kind == "coupon_applied":
        properties["expires_at"] = {"type": "string", "format": "date-time"}
        required.append("expires_at")
    properties["metadata"] = {
        "type": "object", "additionalProperties": {"type": "string"},
        "description": "the promotion's metadata as reserved (who funds it, the campaign "
                       "…), present when it has any"}
    if kind.endswith("_released"):
        properties["reason"] = {"enum": ["released", "expired"]}
        required.append("reason")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://promorules.dev/schemas/events/{kind}.v{VERSION}.json",
        "title": kind,
        "description": EVENT_TYPES[kind],
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }
