"""What linting finds: one file's findings (``FileLint``) and a whole run's
(``LintReport``).  Plain data, importable without the rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..errors import Diagnostic, Severity
from ..records import record


@dataclass
class LintReport:
    """Every file looked at and every diagnostic found, sorted by position."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressed: int = 0

    def add(self, file: str, found: FileLint) -> None:
        """``found``, the findings of ``file``, added to the report."""
        self.files.append(file)
        self.diagnostics.extend(found.diagnostics)
        self.suppressed += found.suppressed

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def failed(self, fail_on: Severity = Severity.ERROR) -> bool:
        return any(d.severity.rank >= fail_on.rank for d in self.diagnostics)


@record
class FileLint:
    """One file's diagnostics (sorted), how many findings were suppressed, and what
    they depend on of the time lint ran at.

    The rules that depend on the day (``TIME_DEPENDENT``) ask whether a moment has
    passed (``LintRuleset.has_passed``); the findings hold at any other time at which
    every answer is the same (``holds_at``).  A finding that prints the time, or a rule
    that used it otherwise, holds at that moment only (``exact``)."""

    diagnostics: list[Diagnostic]
    suppressed: int = 0
    moments: tuple[tuple[dt.datetime, bool], ...] = ()
    """Each moment asked about, and whether it had passed."""
    exact: bool = False
    zone: str | None = None
    """The ruleset's timezone: a time without an offset is read in it."""

    def holds_at(self, now: dt.datetime) -> bool:
        """Whether linting at ``now`` finds the same."""
        if self.exact:
            return False
        if not self.moments:
            return True
        if now.tzinfo is None:
            from zoneinfo import ZoneInfo

            now = now.replace(tzinfo=ZoneInfo(self.zone or "UTC"))
        return all((moment <= now) == passed for moment, passed in self.moments)
