"""The verdicts on a ruleset's declared ``invariants`` that lint reports (PR219, PR220).

Checking an invariant prices carts, which the language cannot do (``dsl`` never
imports ``engine``): the engine's analysis provides the checker
(``engine.analysis.invariants.check_invariants``) and ``promo lint`` hands it to
``lint_paths(..., invariants=...)``.  Without a checker the two rules find nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from ..model import Ruleset
from ..records import record

Status = Literal["proven", "broken", "unknown"]


@record
class InvariantVerdict:
    """One declared invariant: proven, broken by a witness cart, or neither."""

    name: str  # the key under ``invariants:``, e.g. "max_discount_percent"
    status: Status
    message: str  # what was proven, or what the witness got
    witness: str | None = None  # the cart that breaks it (JSON on one line)


class InvariantChecker(Protocol):
    def __call__(self, ruleset: Ruleset, /) -> Sequence[InvariantVerdict]: ...
