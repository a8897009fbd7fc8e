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

    from . import cart_fields as cart

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
    schema["properties"]["shipments"]["anyOf"][0]["maxItems"] = cart.MAX_SHIPMENTS
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
            "gift": {"const": True, "description": "A line a gift promotion added (not in "
                     "the cart; its id is gift:<promotion>:<sku>)."},
            "name": {"type": "string", "description": "The gift's name (gift lines)."},
            "product": {"type": "string", "description": "The gift's product (gift lines)."},
            "category": {"type": "string", "description": "The gift's category (gift lines)."},
        },
    }
    shipping = {
        "type": ["object", "null"],
        "additionalProperties": False,
        "required": ["method", "price", "discount", "final", "discounts"],
        "properties": {"method": {"type": "string"}, "price": _MONEY, "discount": _MONEY,
                       "final": _MONEY, "discounts": _DISCOUNTS},
    }
    shipment = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "method", "seller", "price", "discount", "final", "discounts"],
        "properties": {"id": {"type": "string"}, "method": {"type": "string"},
                       "seller": {"type": "string"}, "price": _MONEY, "discount": _MONEY,
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
            "metadata": {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "The promotion's metadata (who funds it, the "
                                        "campaign …), present when it has any."},
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
            "shipments": {"type": "array", "items": shipment,
                          "description": "Only for a cart with shipments (its shipping is "
                                         "then null): each shipment priced, in cart order."},
            "applied": {"type": "array", "items": applied},
            "rejected": {"type": "array", "items": rejected},
            "capped": {"type": "array", "items": capped},
            "best_deal": _best_deal(),
        },
    }


def _best_deal() -> dict[str, Any]:
    """The result's ``best_deal`` (``engine.result.BestDeal``); the trace holds it too."""
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "With stacking.mode: best_deal only: how the promotions that "
                       "applied were chosen (docs/semantics.md#best-deal).",
        "required": ["method", "candidates", "sets", "chosen", "amount", "fallback"],
        "properties": {
            "method": {"enum": ["exact", "fallback"]},
            "candidates": {"type": "integer", "minimum": 0,
                           "description": "Eligible promotions that move money on their "
                                          "own."},
            "sets": {"type": "integer", "minimum": 0, "description": "Sets priced."},
            "chosen": {"type": "array", "items": {"type": "string"},
                       "description": "The chosen set, in evaluation order (a member cut "
                                      "to zero by max_discount is in rejected)."},
            "amount": _MONEY,
            "fallback": {"type": ["string", "null"],
                         "description": "Why the search was not exact."},
        },
    }


def _obj(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """A closed object whose every property is required."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": False,
                           "required": list(properties), "properties": properties}
    if description:
        out["description"] = description
    return out


def _null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def explain_schema() -> dict[str, Any]:
    """JSON Schema of ``promo explain --format json`` (``Trace.to_dict``, engine/trace.py)."""
    from .condition_trace import KINDS
    from .trace import TRACE_VERSION

    text, flag, count = {"type": "string"}, {"type": "boolean"}, {"type": "integer"}
    maybe_text = {"type": ["string", "null"]}
    maybe_flag = {"type": ["boolean", "null"]}
    value = {"description": "A value as JSON: numbers and moments as strings, a missing "
                            "attribute as null, lists as arrays."}
    value_type = {"enum": ["number", "string", "bool", "time", "list", "missing", "other"]}
    span = _obj({"file": text, "line": count, "col": count,
                 "end_line": {"type": ["integer", "null"]},
                 "end_col": {"type": ["integer", "null"],
                             "description": "one past the last character"}},
                "Where a part is written in the ruleset file (1-based).")
    line_value = _obj({"line": text, "value": value, "type": value_type, "truth": maybe_flag})
    part = _obj({
        "id": {"type": "string", "pattern": r"^0(\.[0-9]+)*$",
               "description": "Positions from the root: the same for every cart of a ruleset."},
        "kind": {"enum": list(KINDS)},
        "op": _null({"type": "string", "description": "operator, function or dotted name"}),
        "text": {"type": "string", "description": "canonical text; codes not entered shown "
                                                  "as …"},
        "span": span,
        "tested": {"type": "boolean", "description": "read by the language as true or false"},
        "value": value, "type": _null(value_type), "truth": maybe_flag,
        "lines": _null({"type": "array", "items": {"$ref": "#/$defs/TraceLineValue"},
                        "description": "a part evaluated per line: its value on each"}),
        "children": {"type": "array", "items": {"$ref": "#/$defs/TracePart"}},
    }, "One part of a condition, its value (or values per line) and truth.")
    condition = _obj({"field": {"type": "string", "pattern":
                                r"^(when|target|shipment_target|effect\.get_target|"
                                r"effects\.[0-9]+\.(target|get_target))$"},
                      "source": text, "per_line": flag,
                      "span": _null({"$ref": "#/$defs/TraceSpan"}),
                      "root": {"$ref": "#/$defs/TracePart"}})
    condition["properties"]["per_shipment"] = {
        "const": True, "description": "a shipment_target: each part's values are per "
                                      "shipment (in its lines)"}
    money, maybe_money = _MONEY, _null(_MONEY)
    coupon = _obj({"needs_code": flag, "entered": maybe_text, "normalised": maybe_text,
                   "passed": flag}, "Only the code this cart entered is ever shown.")
    window = _obj({"starts": maybe_text, "ends": maybe_text, "at": text,
                   "starts_utc": maybe_text, "ends_utc": maybe_text, "at_utc": text,
                   "passed": flag, "failed": _null({"enum": ["starts", "ends", "schedule"]}),
                   "schedule": maybe_text, "local": maybe_text, "next_opening": maybe_text},
                  "from (inclusive) and until (exclusive), compared as instants; the "
                  "schedule's days and hours, read at the local weekday and wall time.")
    limits = _obj({"declared": {"type": "object"}, "customer": text, "store": flag,
                   "queries": {"type": "array", "items": _obj({
                       "question": {"enum": ["refusal", "budget_left"]},
                       "answer": maybe_text, "reason": maybe_text})},
                   "passed": maybe_flag})
    stacking = _obj({"exclusive": flag, "group": maybe_text, "passed": maybe_flag,
                     "code": _null({"enum": sorted(REASONS)}), "reason": maybe_text,
                     "caused_by": {"type": "array", "items": text}})
    effect_line = _obj({
        "line": text,
        "roles": {"type": "array", "items": {"enum": ["target", "get_target", "gift"]}},
        "why_not": maybe_text, "quantity": count, "original": money, "base": maybe_money,
        "units": {"type": ["integer", "null"]},
        "exact": _null({"type": "string", "description": "before rounding: a decimal, or "
                                                         "a ratio a/b"}),
        "computed": maybe_money, "clamped": maybe_money, "final": maybe_money})
    effect = _obj({
        "kind": {"enum": ["percent_off", "amount_off", "amount_off_each", "fixed_price",
                          "buy_get", "bundle", "tiers", "shipping", "gift"]},
        "spec": {"type": "object"}, "base": {"enum": ["original", "discounted"]},
        "rounding": text, "allocation": maybe_text,
        "tier": _null(_obj({"by": text, "measure": text, "reached": maybe_text,
                            "steps": {"type": "array", "items": text}})),
        "lines": {"type": "array", "items": effect_line},
        "shipping": _null(_obj({"base": maybe_money, "computed": maybe_money,
                                "clamped": maybe_money, "final": maybe_money})),
        "caps": {"type": "array", "items": _obj({
            "source": {"enum": ["max_amount", "budget", "max_discount"]},
            "before": money, "after": money})},
        "note": maybe_text, "computed": money, "final": money})
    effect["properties"]["shipments"] = {
        "type": "array", "description": "a shipping effect on a cart with shipments: each "
        "shipment, selected by the shipment_target or not",
        "items": _obj({"shipment": text, "seller": text, "method": text, "selected": flag,
                       "why_not": maybe_text, "base": maybe_money, "computed": maybe_money,
                       "clamped": maybe_money, "final": maybe_money})}
    promotion = _obj({
        "id": text, "name": maybe_text, "priority": count, "order": count,
        "kind": {"enum": ["coupon", "automatic"]}, "coupon": coupon, "window": window,
        "conditions": {"type": "array", "items": {"$ref": "#/$defs/TraceCondition"}},
        "limits": limits, "stacking": stacking, "effect": _null(effect),
        "effects": _null({"type": "array", "items": effect,
                          "description": "a promotion with an effects list: each effect"}),
        "decided_by": {"enum": ["coupon", "window", "when", "limits", "best_deal", "stacking",
                                "effect", "caps", "max_discount", "applied"]},
        "outcome": {"enum": ["applied", "rejected"]}, "amount": maybe_money,
        "code": _null({"enum": sorted(REASONS)}), "reason": maybe_text})
    promotion["properties"]["metadata"] = {  # (optional: only of an applied promotion)
        "type": "object", "additionalProperties": {"type": "string"}}
    entered = _obj({"entered": text, "normalised": text, "promotion": maybe_text,
                    "outcome": {"enum": ["chosen", "coupon_unknown", "coupon_redundant"]}})
    trace = _obj({
        "version": {"const": TRACE_VERSION}, "ruleset": text, "cart": text,
        "currency": text, "timezone": text, "at": text, "stacking": {"type": "object"},
        "passes": {"type": "array", "items": {"enum": ["coupons_only", "all"]}},
        "entered": {"type": "array", "items": entered},
        "promotions": {"type": "array", "items": promotion},
        "subtotal": money, "total_discount": money, "total": money})
    trace["properties"]["best_deal"] = _best_deal()  # with stacking.mode: best_deal only
    return {
        "$schema": _DRAFT,
        "$id": BASE_ID + "explain.schema.json",
        "title": "promorules explain trace",
        "description": "Why each promotion applied to a cart or not, step by step "
                       "(promo explain --format json; POST …/evaluate?explain=true).",
        **trace,
        "$defs": {"TraceSpan": span, "TraceLineValue": line_value, "TracePart": part,
                  "TraceCondition": condition},
    }


def _test_report_schema() -> dict[str, Any]:
    from .ruletests.formats import report_schema  # (the rule-test report's own module)

    return report_schema()


def all_schemas() -> dict[str, dict[str, Any]]:
    """Relative file name → schema document (the service's OpenAPI contract among them)."""
    return {
        "ruleset.schema.json": ruleset_schema(),
        "cart.schema.json": cart_schema(),
        "result.schema.json": result_schema(),
        "explain.schema.json": explain_schema(),
        "test-report.schema.json": _test_report_schema(),
        **{f"events/{kind}.v{VERSION}.json": event_schema(kind) for kind in EVENT_TYPES},
        "promotions.v1.yaml": openapi_document(),
    }


def schema_text(relative: str, document: dict[str, Any]) -> str:
    """A schema file's text: JSON, or YAML for a ``.yaml`` name (the OpenAPI contract)."""
    if relative.endswith(".yaml"):
        import yaml

        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
