"""The ruleset's JSON Schema, generated from the pydantic model."""

from __future__ import annotations

from typing import Any

from .model import Ruleset

RULESET_SCHEMA_ID = "https://promorules.dev/schemas/ruleset.schema.json"


def ruleset_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a ruleset file, for editors and CI."""
    schema = Ruleset.model_json_schema(mode="validation", by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": RULESET_SCHEMA_ID,
        **schema,
        "title": "promorules ruleset",
    }
