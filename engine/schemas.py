"""Every JSON Schema the project publishes, by file name under ``schemas/``."""

from __future__ import annotations

import json
from typing import Any

from dsl.schema import ruleset_schema

from .cart import Cart
from .reasons import REASONS
from .service.openapi import openapi_document
from .usage.events import EVENT_TYPES, VERSION, event_schema

BASE_ID = "https://promorules.dev/schemas/"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_DISCOUNTS = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["promotion", "amount"],
        "properties": {"promotion": {"type": "string"}, "amount": _MONEY},
    },
}


def cart_schema() -> dict[str, Any]:
    """JSON Schema of a cart snapshot, stating the caps ``engine/cart.py`` checks."""
    schema = Cart.model_json_schema(mode="validation")
    _state_cart_caps(schema)
    return {"$schema": _DRAFT, "$id": BASE_ID + "cart.schema.json", **schema,
            "title": "promorules cart snapshot"}


def _state_cart_caps(schema: dict[str, Any]) -> None:
    """What pydantic cannot see of the cart's validators, from the same constants: texts
    of at most ``MAX_TEXT`` characters, list and count maxima, prices as amounts (at
    most 10^15, the currency's decimals), ``at`` in the years the engine reads.  Cross-
    field checks (unique line ids, a line's total at most 10^15) stay the engine's."""
    from dsl.schema import currency_decimals, moment_text
    from dsl.values import MONEY_SCHEMA, YEARS

    from . import cart

    defs = schema["$defs"]
    for node in (schema, *defs.values()):
        for name, prop in node.get("properties", {}).items():
            if name in ("unit_price", "price"):
                node["properties"][name] = {**MONEY_SCHEMA,
                                            "description": prop.get("description", "")}
            elif name == "at":
                prop["anyOf"] = [{"type": "string", "pattern": moment_text(YEARS)},
                                 {"type": "null"}]
            elif prop.get("type") == "string" and name != "currency":
                prop["maxLength"] = cart.MAX_TEXT
            elif prop.get("type") == "integer":
                prop["maximum"] = cart.MAX_QUANTITY
            elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "string":
                prop["items"]["maxLength"] = cart.MAX_TEXT
    schema["properties"]["lines"]["maxItems"] = cart.MAX_LINES
    schema["properties"]["coupons"]["maxItems"] = cart.MAX_COUPONS
    defs["Line"]["properties"]["tags"]["maxItems"] = cart.MAX_TAGS
    defs["Customer"]["properties"]["segments"]["maxItems"] = cart.MAX_TAGS
    schema.setdefault("allOf", []).append(currency_decimals(schema))


def result_schema() -> dict[str, Any]:
    """JSON Schema of ``promo eval --format json`` (``Result.to_dict``)."""
    line = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "sku", "quantity", "unit_price", "total", "discount",
                     "final_total", "discounts"],
        "properties": {
            "id": {"type": "string"}, "sku": {"type": "string"},
            "quantity": {"type": "integer", "minimum": 1},
            "unit_price": _MONEY, "total": _MONEY, "discount": _MONEY,
            "final_total": _MONEY, "discounts": _DISCOUNTS,
        },
    }
    shipping = {
        "type": ["object", "null"],
        "additionalProperties": False,
        "required": ["method", "price", "discount", "final", "discounts"],
        "properties": {"method": {"type": "string"}, "price": _MONEY, "discount": _MONEY,
                       "final": _MONEY, "discounts": _DISCOUNTS},
    }
    applied = {
        "type": "object",
        "additionalProperties": False,
        "required": ["promotion", "name", "coupon", "amount", "items", "shipping"],
        "properties": {
            "promotion": {"type": "string"}, "name": {"type": ["string", "null"]},
            "coupon": {"type": ["string", "null"],
                       "description": "The code as entered (trimmed)."},
            "amount": _MONEY, "items": _MONEY, "shipping": _MONEY,
            "note": {"type": "string"},
        },
    }
    rejected = {
        "type": "object",
        "additionalProperties": False,
        "required": ["promotion", "coupon", "code", "reason"],
        "properties": {
            "promotion": {"type": ["string", "null"]},
            "coupon": {"type": ["string", "null"]},
            "code": {"enum": sorted(REASONS)},
            "reason": {"type": "string"},
        },
    }
    capped = {
        "type": "object",
        "additionalProperties": False,
        "required": ["promotion", "cap", "before", "after"],
        "properties": {"promotion": {"type": "string"},
                       "cap": {"enum": ["max_amount", "budget", "max_discount"]},
                       "before": _MONEY, "after": _MONEY},
    }
    return {
        "$schema": _DRAFT,
        "$id": BASE_ID + "result.schema.json",
        "title": "promorules evaluation result",
        "type": "object",
        "additionalProperties": False,
        "required": ["ruleset", "cart", "currency", "at", "subtotal", "total_discount",
                     "total", "lines", "shipping", "applied", "rejected", "capped"],
        "properties": {
            "ruleset": {"type": "string"}, "cart": {"type": "string"},
            "currency": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
            "subtotal": _MONEY, "total_discount": _MONEY, "total": _MONEY,
            "lines": {"type": "array", "items": line},
            "shipping": shipping,
            "applied": {"type": "array", "items": applied},
            "rejected": {"type": "array", "items": rejected},
            "capped": {"type": "array", "items": capped},
        },
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """Relative file name → schema document (the service's OpenAPI contract among them)."""
    return {
        "ruleset.schema.json": ruleset_schema(),
        "cart.schema.json": cart_schema(),
        "result.schema.json": result_schema(),
        **{f"events/{kind}.v{VERSION}.json": event_schema(kind) for kind in EVENT_TYPES},
        "promotions.v1.yaml": openapi_document(),
    }


def schema_text(relative: str, document: dict[str, Any]) -> str:
    """A schema file's text: JSON, or YAML for a ``.yaml`` name (the OpenAPI contract)."""
    if relative.endswith(".yaml"):
        import yaml

        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
