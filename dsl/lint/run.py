"""Linting itself: a file loaded, the semantic rules run on it, suppressions and
the configuration applied (the package's docstring says how it fits together)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from ..decimal_context import in_decimal_context
from ..errors import Diagnostic, Severity, attach_source
from ..ruleset import Analysis, analyze_file
from .config import LintConfig
from .context import LintRuleset
from .files import discover
from .invariants import InvariantChecker
from .results import FileLint, LintReport
from .rules import BY_CODE, REGISTRY
from .suppress import apply_suppressions, find_suppressions


class Rule(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def severity(self) -> Severity: ...

    def check(self, ruleset: LintRuleset) -> Iterator[Diagnostic]: ...


RULES: list[Rule] = list(REGISTRY)
"""Every semantic rule, in code order (``dsl.lint.rules.REGISTRY``)."""


@in_decimal_context  # (every way to lint comes here; rules compute with amounts)
def _lint(analysis: Analysis, rules: Iterable[Rule], config: LintConfig,
          now: dt.datetime | None,
          invariants: InvariantChecker | None = None) -> FileLint:
    found = list(analysis.diagnostics)
    suppressed = 0
    if analysis.ruleset is None or analysis.document is None:
        ordered = sorted(attach_source(found, analysis.source.lines), key=Diagnostic.sort_key)
        return FileLint(ordered)
    subject = LintRuleset(analysis.ruleset, analysis.document, now, invariants)
    running = {rule.code for rule in rules if config.enabled(rule.code)}
    findings: list[Diagnostic] = []
    timed: set[int] = set()  # the findings that print the time lint runs at
    for rule in rules:
        if rule.code in running:
            checks = iter(rule.check(subject))
            while True:
                shown = subject.times_shown
                finding = next(checks, None)
                if finding is None:
                    subject.exact |= subject.times_shown != shown  # used for no finding
                    break
                findings.append(finding)
                if subject.times_shown != shown:
                    timed.add(id(finding))
    findings, suppressed = apply_suppressions(
        findings, find_suppressions(analysis.document), running.__contains__)
    exact = subject.exact or any(id(d) in timed for d in findings)
    for d in findings:
        rule_ = BY_CODE.get(d.code)
        default = rule_.severity if rule_ is not None else d.severity
        graded = config.severity_of(d.code, default)
        found.append(d if graded == d.severity else replace(d, severity=graded))
    ordered = sorted(attach_source(found, analysis.source.lines), key=Diagnostic.sort_key)
    return FileLint(ordered, suppressed, tuple(sorted(subject.moments.items())), exact,
                    analysis.ruleset.timezone)


def lint_analysis(analysis: Analysis, rules: Iterable[Rule] | None = None, *,
                  config: LintConfig | None = None,
                  now: dt.datetime | None = None,
                  invariants: InvariantChecker | None = None) -> list[Diagnostic]:
    """Diagnostics of one loaded source: loading errors, then rule findings."""
    return _lint(analysis, RULES if rules is None else rules, config or LintConfig(), now,
                 invariants).diagnostics


def lint_file(path: str | Path, *, config: LintConfig | None = None,
              now: dt.datetime | None = None, rules: Iterable[Rule] | None = None,
              invariants: InvariantChecker | None = None) -> FileLint:
    """Lint one ruleset file (``lint_paths`` for one file, with what its findings
    depend on of the time: ``FileLint.holds_at``)."""
    return _lint(analyze_file(path), list(RULES if rules is None else rules),
                 config or LintConfig(), now, invariants)


def lint_paths(paths: Iterable[str | Path], *, config: LintConfig | None = None,
               now: dt.datetime | None = None,
               rules: Iterable[Rule] | None = None,
               invariants: InvariantChecker | None = None) -> LintReport:
    """Lint every ruleset under ``paths``.

    ``config`` defaults to no configuration (every rule, default severities);
    the CLI passes ``find_config()``.  ``now`` pins the time for rules that
    depend on it (default: the current time).  ``invariants`` checks declared
    invariants (PR219, PR220; ``promo lint`` passes the engine's checker).
    """
    report = LintReport()
    chosen = list(RULES if rules is None else rules)
    settings = config or LintConfig()
    for path in discover(paths):
        report.add(str(path), _lint(analyze_file(path), chosen, settings, now, invariants))
    return report

