"""What a lint rule sees: the validated ruleset, where each part was written, and "now".

Rules take a ``LintRuleset`` — the pydantic ``Ruleset`` plus the positioned
``Document`` it came from — so a finding can point at the exact line and
column (``span(path)``) or at the character inside a condition
(``expr_span(path, node)``).  Paths are the document's: ``("promotions", 3,
"effect", "percent_off")``.  "Now" is injectable for tests and CI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from ..errors import Diagnostic, Severity, Span
from ..expr.nodes import Node
from ..expr.types import Context
from ..loader import Document, Path_
from ..locate import expression_location
from ..model import Promotion, Ruleset, Stacking
from .invariants import InvariantChecker, InvariantVerdict


class LintRuleset:
    """A loaded ruleset, its positioned document and the time it is linted at."""

    def __init__(self, model: Ruleset, document: Document,
                 now: dt.datetime | None = None,
                 invariants: InvariantChecker | None = None) -> None:
        self.model = model
        self.document = document
        self._checker = invariants
        self._verdicts: Sequence[InvariantVerdict] | None = None
        moment = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._now = moment if moment.tzinfo is not None else moment.replace(tzinfo=model.zone)
        self.moments: dict[dt.datetime, bool] = {}
        """Each moment a rule asked about (``has_passed``), and the answer."""
        self.exact = False
        """Whether a rule used the time itself (``now``): its findings hold then only."""
        self.times_shown = 0
        """How often a finding was given the time (``linted_at``)."""

    # the time lint runs at: what the findings depend on of it is recorded, so that
    # they can be kept while they hold (``results.FileLint.holds_at``)
    def has_passed(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` is at or before the time lint runs at."""
        passed = moment <= self._now
        self.moments[moment] = passed
        return passed

    def linted_at(self) -> str:
        """The time lint runs at, as a finding prints it (in the ruleset's timezone)."""
        self.times_shown += 1
        return self._now.astimezone(self.zone).isoformat()

    @property
    def now(self) -> dt.datetime:
        """The time lint runs at, for what ``has_passed`` cannot decide: the findings
        are then true at this moment only."""
        self.exact = True
        return self._now

    # the model's parts rules read most
    @property
    def promotions(self) -> tuple[Promotion, ...]:
        return self.model.promotions

    @property
    def stacking(self) -> Stacking:
        return self.model.stacking

    @property
    def zone(self) -> ZoneInfo:
        return self.model.zone

    @property
    def file(self) -> str:
        return self.document.source.name

    def invariant_verdicts(self) -> Sequence[InvariantVerdict]:
        """The checker's verdict on each declared invariant, worked out once (none
        without a checker: see ``invariants.py``)."""
        if self._verdicts is None:
            self._verdicts = self._checker(self.model) \
                if self._checker is not None and self.model.invariants is not None else ()
        return self._verdicts

    # positions
    def span(self, *path: str | int) -> Span:
        """Where the value at ``path`` (or its nearest written ancestor) starts."""
        return self.document.position(tuple(path)).value

    def key_span(self, *path: str | int) -> Span:
        """Where the key of the value at ``path`` is written (the value if it has none)."""
        pos = self.document.positions.get(tuple(path))
        if pos is not None and pos.key is not None:
            return pos.key
        return self.span(*path)

    def expr_span(self, path: Path_, node: Node) -> Span:
        """The file position of ``node`` inside the condition written at ``path``."""
        where = node.span
        span = expression_location(self.document, path, where.line, where.col)
        if where.end_line == where.line and where.end_col:
            width = where.end_col - where.col
            return Span(span.file, span.line, span.col, span.line, span.col + width,
                        span.expr_col)
        return span

    def line_of(self, *path: str | int) -> int:
        return self.span(*path).line

    # helpers
    def moment(self, value: dt.date | dt.datetime) -> dt.datetime:
        """A window bound as the engine reads it: a date is midnight, a time without
        an offset is in the ruleset's timezone."""
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        return value if value.tzinfo is not None else value.replace(tzinfo=self.zone)

    def in_order(self) -> list[tuple[int, Promotion]]:
        """(index, promotion) in evaluation order: priority (higher first), then id."""
        return sorted(enumerate(self.promotions), key=lambda ip: (-ip[1].priority, ip[1].id))

    def conditions(self, index: int) -> Iterator[tuple[Path_, Node, Context]]:
        """Every parsed condition of a promotion: (path, AST, what it is about)."""
        base: Path_ = ("promotions", index)
        for path, condition, context in self.promotions[index].conditions():
            if condition.node is not None:
                yield base + path, condition.node, context


def finding(code: str, severity: Severity, message: str, span: Span,
            hint: str | None = None) -> Diagnostic:
    """A rule's diagnostic (the runner applies configured severities afterwards)."""
    return Diagnostic(code, message, span, severity, hint)
