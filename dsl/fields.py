"""The building blocks every ruleset model shares: strict models, bounded counts and texts."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .codes import COUNT_OUT_OF_RANGE, NAME_TOO_LONG
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

