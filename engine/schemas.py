"""Every JSON Schema the project publishes, by file name under ``schemas/``."""

from __future__ import annotations

from typing import Any

from dsl.schema import ruleset_schema


def all_schemas() -> dict[str, dict[str, Any]]:
    """Relative file name → schema document."""
    return {
        "ruleset.schema.json": ruleset_schema(),
    }
