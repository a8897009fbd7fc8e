"""``promo lint``: load every ruleset under the given paths and collect every diagnostic.

The loader's diagnostics (YAML, model, expressions: ``PR1xx``) are the
findings for now; semantic rules (``PR2xx``) plug in through ``RULES`` —
each a small object with ``code``, ``name``, ``severity`` and
``check(ruleset) -> Iterator[Diagnostic]`` run on every ruleset that loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import Diagnostic, InputError, Severity, attach_source
from ..model import Ruleset
from ..ruleset import Analysis, analyze_file

RULESET_SUFFIXES = (".yaml", ".yml")
NOT_RULESET_DIRS = frozenset({"carts", "tests"})
"""Directories beside rulesets that hold sample carts and rule tests."""


class Rule(Protocol):
    code: str
    name: str
    severity: Severity

    def check(self, ruleset: Ruleset) -> Iterator[Diagnostic]: ...


RULES: list[Rule] = []


@dataclass
class LintReport:
    """Every file looked at and every diagnostic found, sorted by position."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

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
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for candidate in sorted(path.rglob("*")):
                rel_parts = candidate.relative_to(path).parts[:-1]
                if (candidate.suffix in RULESET_SUFFIXES and candidate.is_file()
                        and not NOT_RULESET_DIRS.intersection(rel_parts)):
                    found.append(candidate)
        else:
            raise InputError(f"no such file or directory: {raw}", code="PR500")
    return list(dict.fromkeys(found))


def lint_analysis(analysis: Analysis, rules: Iterable[Rule] = RULES) -> list[Diagnostic]:
    """Diagnostics of one loaded source: loading errors, then rule findings."""
    found = list(analysis.diagnostics)
    if analysis.ruleset is not None:
        for rule in rules:
            found.extend(rule.check(analysis.ruleset))
    return sorted(attach_source(found, analysis.source.lines), key=Diagnostic.sort_key)


def lint_paths(paths: Iterable[str | Path]) -> LintReport:
    """Lint every ruleset under ``paths``."""
    report = LintReport()
    for path in discover(paths):
        report.files.append(str(path))
        report.diagnostics.extend(lint_analysis(analyze_file(path)))
    return report
