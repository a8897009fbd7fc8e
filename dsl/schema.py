"""The ruleset's JSON Schema (2020-12), generated from the pydantic model, for editors and CI.

The schema agrees with the loader (``tests/dsl/test_schema_corpus.py`` runs a corpus of
rulesets through both).  Each value's shape and cap is stated with the constant its
validator reads, by the annotations of ``values.py`` and ``model.py``, which build their
patterns with the helpers below; the rules across fields that JSON Schema can state
(``coupon`` or ``coupons``, one kind per tier step, the currency's decimals …) are added
once pydantic has generated the rest.  What a schema cannot state is listed with the
corpus: expressions, ids unique across promotions, a window's order, the written form of a
number (JSON reads ``15.00`` as the integer 15).

Since ``values.py`` imports the helpers, the model is imported only to generate the schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from .loader import MAX_SCALAR

RULESET_SCHEMA_ID = "https://promorules.dev/schemas/ruleset.schema.json"


class SchemaStates:
    """An annotation adding JSON Schema keywords to a type's generated schema: the caps a
    validator enforces that pydantic cannot see (``SchemaStates(maximum=MAX_COUNT)``)."""

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(self, core: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(core), **self.keywords}


# ------------------------------------------------------------- patterns
# Every pattern allows spaces around the value: the validators strip them.


def decimal_text(at_most: Decimal, decimals: int | None = None, *,
                 above_zero: bool = False) -> str:
    """A decimal written as text, as ``values.parse_decimal`` reads it, from 0 (or more than
    0, ``above_zero``) to ``at_most``, a power of ten, with at most ``decimals`` decimals.
    ``-0`` is 0 to the validators, so it is let through where 0 is."""
    power = len(str(int(at_most))) - 1
    assert at_most == 10 ** power, f"{at_most} is not a power of ten"
    fraction, zeros = ("[0-9]+", "0+") if decimals is None else \
        (f"[0-9]{{1,{decimals}}}", f"0{{1,{decimals}}}")
    below = rf"0*[0-9]{{1,{power}}}(?:\.{fraction})?"
    top = rf"0*1{'0' * power}(?:\.{zeros})?"
    if above_zero:
        return rf"^\s*(?=[^1-9]*[1-9])(?:{below}|{top})\s*$"
    return rf"^\s*(?:{below}|{top}|-0+(?:\.{zeros})?)\s*$"


def decimals_at_most(decimals: int) -> str:
    """A number written as text with at most ``decimals`` decimals (its sign and size are the
    business of the value's own pattern)."""
    fraction = rf"(?:\.[0-9]{{1,{decimals}}})?" if decimals else ""
    return rf"^\s*-?[0-9]+{fraction}\s*$"


WHOLE_NUMBER_TEXT = r"^\s*-?[0-9]+(?:\.0+)?\s*$"
"""A whole number written as text (``6`` or ``6.0``)."""


def trimmed_text(at_most: int) -> str:
    """A text of 1 to ``at_most`` characters once trimmed (``str.strip``)."""
    return rf"^\s*\S(?:[\s\S]{{0,{at_most - 2}}}\S)?\s*$"


def numbers_between(low: str, high: str) -> str:
    """The numbers from ``low`` to ``high``, both written with as many digits."""
    if low == high:
        return low
    if low[0] == high[0]:
        return low[0] + numbers_between(low[1:], high[1:])
    rest = len(low) - 1
    any_rest = "" if rest == 0 else "[0-9]" if rest == 1 else f"[0-9]{{{rest}}}"
    if set(low[1:]) <= {"0"} and set(high[1:]) <= {"9"}:
        return f"[{low[0]}-{high[0]}]{any_rest}"
    parts = [low[0] + numbers_between(low[1:], "9" * rest)]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(numbers_between(str(int(low[0]) + 1) + "0" * rest,
                                     str(int(high[0]) - 1) + "9" * rest))
    parts.append(high[0] + numbers_between("0" * rest, high[1:]))
    return "(?:" + "|".join(parts) + ")"


_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = ("(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
              "|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)")
_TIME = r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?"
_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"


def moment_text(years: tuple[int, int]) -> str:
    """A date, or a date and a time with an optional offset, in the years ``years``: the
    forms the documentation gives (ISO 8601's extended ones), each day of the calendar
    checked (29 February only in a leap year)."""
    first, last = (str(year) for year in years)
    assert len(first) == len(last) == 4, "ISO 8601 writes a year with four digits"
    date = rf"(?={numbers_between(first, last)}-)(?:[0-9]{{4}}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
    return rf"^\s*{date}(?:{_TIME}{_OFFSET}?)?\s*$"


ZONE_AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
              "Brazil", "Canada", "Chile", "Etc", "Europe", "Indian", "Mexico", "Pacific", "US")
ZONES_WITHOUT_AREA = (
    "CET", "CST6CDT", "Cuba", "EET", "EST", "EST5EDT", "Egypt", "Eire", "Factory", "GB",
    "GB-Eire", "GMT", "GMT+0", "GMT-0", "GMT0", "Greenwich", "HST", "Hongkong", "Iceland",
    "Iran", "Israel", "Jamaica", "Japan", "Kwajalein", "Libya", "MET", "MST", "MST7MDT", "NZ",
    "NZ-CHAT", "Navajo", "PRC", "PST8PDT", "Poland", "Portugal", "ROC", "ROK", "Singapore",
    "Turkey", "UCT", "UTC", "Universal", "W-SU", "WET", "Zulu",
)
"""The IANA database is data, not a pattern, and the names the loader finds depend on the
machine (its own database, then the ``tzdata`` package): the schema states the names of
``tzdata`` without an area, which no longer change, and the shape of ``Area/Location``
names, which lets a well-formed name that does not exist through."""


def timezone_schema() -> dict[str, Any]:
    """The names of ``ZONES_WITHOUT_AREA``, or an ``Area/Location`` of ``ZONE_AREAS``."""
    location = "[A-Z][A-Za-z0-9_+-]*"
    return {"type": "string",
            "anyOf": [{"enum": list(ZONES_WITHOUT_AREA)},
                      {"pattern": f"^(?:{'|'.join(ZONE_AREAS)})/{location}(?:/{location})?$"}],
            "description": "An IANA timezone name, such as Europe/Berlin or UTC."}


# ----------------------------------------------------------- generation


def ruleset_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a ruleset file, for editors and CI."""
    from .model import Ruleset

    schema = Ruleset.model_json_schema(mode="validation", by_alias=True)
    _add_cross_field_rules(schema)
    _cap_every_text(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": RULESET_SCHEMA_ID,
        **schema,
        "title": "promorules ruleset",
    }


def _add_cross_field_rules(schema: dict[str, Any]) -> None:
    """The model validators' rules, as far as JSON Schema can state them."""
    from .effects import SHIPPING_KINDS, TIER_KINDS
    from .model import MaxDiscount

    defs = schema["$defs"]
    _also(defs["Promotion"], {"not": {"allOf": [_given("coupon"), _given("coupons")]}})
    _also(defs["Promotion"], {
        "if": {"required": ["limits"], "properties": {"limits": {"type": "object",
                                                                **_given("per_coupon")}}},
        "then": {"anyOf": [_given("coupon"), _given("coupons")]}})
    _also(defs["TierStep"], {"oneOf": [_given(kind) for kind in TIER_KINDS]})
    _also(defs["ShippingSpec"], {"oneOf": [_given(kind) for kind in SHIPPING_KINDS]})
    _also(defs["MaxDiscount"], {"anyOf": [_given(name) for name in MaxDiscount.model_fields]})
    _also(defs["TierSpec"], {
        "if": {"required": ["by"], "properties": {"by": {"const": "quantity"}}},
        "then": {"properties": {"steps": {"items": {"properties": {"at": {
            "type": ["integer", "string"], "pattern": WHOLE_NUMBER_TEXT}}}}}}})
    _also(schema, currency_decimals(schema))


def _also(node: dict[str, Any], rule: dict[str, Any]) -> None:
    node.setdefault("allOf", []).append(rule)


def _given(key: str) -> dict[str, Any]:
    """``key`` is there and not null (a null optional field is as good as absent)."""
    return {"required": [key], "properties": {key: {"not": {"type": "null"}}}}


def currency_decimals(schema: dict[str, Any]) -> dict[str, Any]:
    """Amounts have at most the currency's minor units: for each number of them, the
    currencies that have it and the amounts' pattern.  The commonest number is the last
    ``else``, which an unknown currency reaches too (refused by ``currency`` anyway)."""
    from .currencies import MINOR_UNITS
    from .values import MONEY_SCHEMA

    def amounts(units: int) -> dict[str, Any]:
        return _skeleton(schema, schema["$defs"], MONEY_SCHEMA["pattern"],
                         {"pattern": decimals_at_most(units)})

    by_units: dict[int, list[str]] = {}
    for code, units in sorted(MINOR_UNITS.items()):
        by_units.setdefault(units, []).append(code)
    *others, commonest = sorted(by_units, key=lambda units: len(by_units[units]))
    rule = amounts(commonest)
    for units in others:
        rule = {"if": {"required": ["currency"],
                       "properties": {"currency": {"enum": by_units[units]}}},
                "then": amounts(units), "else": rule}
    return rule


def _skeleton(node: dict[str, Any], defs: dict[str, Any], marked: str,
              leaf: dict[str, Any]) -> dict[str, Any]:
    """A schema that applies ``leaf`` to every value under ``node`` whose schema has the
    pattern ``marked`` (an amount's), and checks nothing else; empty when there is none.
    The branches of a union merge: a key is an amount in every effect that has it."""
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if node.get("pattern") == marked:
        return dict(leaf)
    skeleton: dict[str, Any] = {}
    for key, sub in node.get("properties", {}).items():
        if found := _skeleton(sub, defs, marked, leaf):
            skeleton.setdefault("properties", {})[key] = found
    if "items" in node and (found := _skeleton(node["items"], defs, marked, leaf)):
        skeleton["items"] = found
    for branch in node.get("anyOf", []) + node.get("oneOf", []):
        _merge(skeleton, _skeleton(branch, defs, marked, leaf))
    return skeleton


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _cap_every_text(schema: dict[str, Any]) -> None:
    """The loader refuses any scalar over ``MAX_SCALAR`` characters: every text says so
    (but the choices, which are short)."""
    for node in _subschemas(schema):
        types = node.get("type")
        is_text = types == "string" or (isinstance(types, list) and "string" in types)
        if is_text and "maxLength" not in node and "enum" not in node and "const" not in node:
            node["maxLength"] = MAX_SCALAR


def _subschemas(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``node`` and every schema under it that constrains values (not inside ``if`` or
    ``not``, where a stricter schema would mean less)."""
    yield node
    for key in ("properties", "$defs"):
        for sub in node.get(key, {}).values():
            yield from _subschemas(sub)
    for key in ("items", "then", "else"):
        if isinstance(node.get(key), dict):
            yield from _subschemas(node[key])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key, []):
            yield from _subschemas(sub)
