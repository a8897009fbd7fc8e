"""``promo lint``: load every ruleset under the given paths and collect every diagnostic.

A file is loaded first (YAML, model, expressions: ``PR1xx`` errors); a
ruleset that loads is then checked by the semantic rules (``PR2xx``), each a
module in ``dsl/lint/rules/`` listed in its explicit registry.  Rules see a
``LintRuleset`` (the model, the positioned document, "now").  The
configuration (``[tool.promorules.lint]``) selects rules and re-grades them;
inline ``# promo: ignore[...]`` comments silence findings on one promotion.

    report = lint_paths(["rulesets/"], config=find_config(), now=None)
    report.failed(Severity.WARNING)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from ..errors import Diagnostic, Severity, attach_source
from ..loader import find_yaml_files
from ..ruleset import Analysis, analyze_file
from .config import LintConfig, find_config, load_config
from .context import LintRuleset
from .invariants import InvariantChecker
from .rules import BY_CODE, REGISTRY
from .suppress import apply_suppressions, find_suppressions

NOT_RULESET_DIRS = frozenset({"carts", "tests"})
"""Directories beside rulesets that hold sample carts and rule tests."""

__all__ = ["InvariantChecker", "LintConfig", "LintReport", "LintRuleset", "RULES", "Rule",
           "discover", "find_config", "lint_analysis", "lint_paths", "load_config"]


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


@dataclass
class LintReport:
    """Every file looked at and every diagnostic found, sorted by position."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressed: int = 0

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def failed(self, fail_on: Severity = Severity.ERROR) -> bool:
        return any(d.severity.rank >= fail_on.rank for d in self.diagnostics)


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Ruleset files named by ``paths``: files as given, directories searched.

    In a directory, every ``*.yaml`` / ``*.yml`` is a ruleset except those in
    ``carts/`` and ``tests/`` folders.  A path that does not exist is an
    ``InputError``.
    """
    return find_yaml_files(paths, lambda root, folders: not NOT_RULESET_DIRS.intersection(folders))


def _lint(analysis: Analysis, rules: Iterable[Rule], config: LintConfig,
          now: dt.datetime | None,
          invariants: InvariantChecker | None = None) -> tuple[list[Diagnostic], int]:
    found = list(analysis.diagnostics)
    suppressed = 0
    if analysis.ruleset is not None and analysis.document is not None:
        subject = LintRuleset(analysis.ruleset, analysis.document, now, invariants)
        running = {rule.code for rule in rules if config.enabled(rule.code)}
        findings: list[Diagnostic] = []
        for rule in rules:
            if rule.code in running:
                findings.extend(rule.check(subject))
        findings, suppressed = apply_suppressions(
            findings, find_suppressions(analysis.document), running.__contains__)
        for d in findings:
            rule_ = BY_CODE.get(d.code)
            default = rule_.severity if rule_ is not None else d.severity
            graded = config.severity_of(d.code, default)
            found.append(d if graded == d.severity else replace(d, severity=graded))
    ordered = sorted(attach_source(found, analysis.source.lines), key=Diagnostic.sort_key)
    return ordered, suppressed


def lint_analysis(analysis: Analysis, rules: Iterable[Rule] | None = None, *,
                  config: LintConfig | None = None,
                  now: dt.datetime | None = None,
                  invariants: InvariantChecker | None = None) -> list[Diagnostic]:
    """Diagnostics of one loaded source: loading errors, then rule findings."""
    return _lint(analysis, RULES if rules is None else rules, config or LintConfig(), now,
                 invariants)[0]


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
        report.files.append(str(path))
        diagnostics, suppressed = _lint(analyze_file(path), chosen, settings, now, invariants)
        report.diagnostics.extend(diagnostics)
        report.suppressed += suppressed
    return report

