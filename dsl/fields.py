"""The building blocks every ruleset model shares: strict models, bounded counts and texts.

The modules that declare models (this one, ``model.py``, ``effects.py``, and the cart's
``engine/cart.py``, ``engine/cart_fields.py``) do without ``from __future__ import
annotations``: with it, pydantic reads every field's annotation back from its text
(compiling each) when the class is made, at every start of a command.
"""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from .codes import COUNT_OUT_OF_RANGE, INVALID_VALUE, NAME_TOO_LONG
from .schema import SchemaStates
from .values import custom_error

MAX_COUNT = 10**9
"""The largest count (``max_units``, ``uses``, ``buy`` …) and the largest priority (±)."""
MAX_NAME, MAX_DESCRIPTION = 200, 10_000  # characters


def at_most(limit: int, what: str, least: int | None = None) -> AfterValidator:
    """A bound on an integer field (its lower bound, when ``least`` is given, too)."""

    def check(value: int) -> int:
        if value > limit or (least is not None and value < least):
            shown = f"{value:,}" if abs(value) < 10**30 else \
                f"a number of about {int(abs(value).bit_length() * 0.30103) + 1:,} digits"
            raise custom_error(COUNT_OUT_OF_RANGE, f"{what} is at most {limit:,}"
                               + (f" and at least {least:,}" if least is not None else "")
                               + f" (got {shown})")
        return value

    return AfterValidator(check)


def bounded_text(limit: int, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise custom_error(NAME_TOO_LONG, f"{what} has at most {limit:,} characters "
                               f"(got {len(value):,})")
        return value

    return AfterValidator(check)


# ``SchemaStates`` repeats the bounds of the validators for the JSON Schema.
Count = Annotated[int, Field(ge=1, strict=True), at_most(MAX_COUNT, "a count"),
                  SchemaStates(maximum=MAX_COUNT)]
Name = Annotated[str, bounded_text(MAX_NAME, "a name"), SchemaStates(maxLength=MAX_NAME)]
Description = Annotated[str, bounded_text(MAX_DESCRIPTION, "a description"),
                        SchemaStates(maxLength=MAX_DESCRIPTION)]


class Strict(BaseModel):
    """A ruleset model: unknown keys refused, immutable, built when first used."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


MAX_METADATA_ENTRIES, MAX_METADATA_VALUE = 20, 200
METADATA_KEY = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_METADATA_KEY = re.compile(METADATA_KEY)


def _metadata(value: Any) -> dict[str, str]:
    """A promotion's ``metadata``: at most 20 entries, keys like ids, values text."""
    if not isinstance(value, dict):
        raise custom_error(INVALID_VALUE, "metadata is a mapping of names to texts, e.g. "
                           "{ funded_by: \"seller:acme\" }")
    if len(value) > MAX_METADATA_ENTRIES:
        raise custom_error(INVALID_VALUE, f"metadata has at most {MAX_METADATA_ENTRIES} "
                           f"entries (got {len(value):,})")
    for key, text in value.items():
        if not isinstance(key, str) or not _METADATA_KEY.match(key):
            raise custom_error(INVALID_VALUE, "a metadata name is a letter or digit, then up to "
                               "63 letters, digits, '.', '_' or '-' (got '{key}')",
                               key=str(key)[:80])
        if not isinstance(text, str):
            raise custom_error(INVALID_VALUE, "metadata values are text; quote it (got "
                               "'{value}' for {key})", value=str(text)[:80], key=key)
        if len(text) > MAX_METADATA_VALUE:
            raise custom_error(NAME_TOO_LONG, f"a metadata value has at most "
                               f"{MAX_METADATA_VALUE} characters (got {len(text):,} for {{key}})",
                               key=key)
    return dict(value)


Metadata = Annotated[dict[str, str], PlainValidator(_metadata), WithJsonSchema({
    "type": "object", "maxProperties": MAX_METADATA_ENTRIES,
    "propertyNames": {"pattern": METADATA_KEY},
    "additionalProperties": {"type": "string", "maxLength": MAX_METADATA_VALUE},
    "description": "Free text a settlement reads (who funds the promotion, the campaign, the "
                   "cost centre): carried into the result's applied entries and the usage "
                   "store's events."})]
