"""The registry of semantic lint rules: one module per rule, found by its file name.

Each module ``PR2xx_<name>.py`` declares ``CODE``, ``NAME`` (the file name's
tail with dashes), ``SEVERITY`` (the default) and ``check(ruleset) ->
Iterator[Diagnostic]``; its docstring is the rule's documentation (what it
finds, why it costs money, avoid / prefer).  A rule whose result depends on
the day lint runs sets ``TIME_DEPENDENT = True`` and asks about the time through
``ruleset.has_passed(moment)`` (and prints it with ``ruleset.linted_at()``): then
``promo lint`` keeps the file's findings while every answer stays the same.
``ruleset.now`` also works, but findings that used it hold at that moment only.

Codes are stable: a code is never reused for another meaning or renumbered;
a retired rule's code stays reserved (list it in ``RETIRED``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

from ...errors import Diagnostic, Severity
from ...records import record
from ..context import LintRuleset
from . import PR200_unused_suppression


def _rule_modules() -> tuple[ModuleType, ...]:
    """Every ``PR2xx_<name>`` module of this package, in code order."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__)
                   if info.name.startswith("PR"))
    return tuple(importlib.import_module(f"{__name__}.{name}") for name in names)


MODULES: tuple[ModuleType, ...] = _rule_modules()

RETIRED: dict[str, str] = {
    "PR201": "duplicate-promotion-id: two promotions with one id no longer load (PR130)",
}
"""Codes of rules that were removed: reserved forever, never given to a new rule."""

UNUSED_SUPPRESSION: str = PR200_unused_suppression.CODE


@record
class RuleModule:
    """A rule module seen through the ``Rule`` protocol."""

    code: str
    name: str
    severity: Severity
    module: ModuleType
    time_dependent: bool = False

    def check(self, ruleset: LintRuleset) -> Iterator[Diagnostic]:
        found: Iterator[Diagnostic] = self.module.check(ruleset)
        return found

    @property
    def doc(self) -> str:
        return (self.module.__doc__ or "").strip()

    @property
    def summary(self) -> str:
        """The docstring's first paragraph, on one line."""
        return " ".join(self.doc.split("\n\n", 1)[0].split())


def _wrap(module: ModuleType) -> RuleModule:
    return RuleModule(module.CODE, module.NAME, module.SEVERITY, module,
                      getattr(module, "TIME_DEPENDENT", False))


REGISTRY: tuple[RuleModule, ...] = tuple(_wrap(m) for m in MODULES)
BY_CODE: dict[str, RuleModule] = {rule.code: rule for rule in REGISTRY}


def rules_table() -> str:
    """The Markdown table of every rule (the README's, kept equal by a test)."""
    rows = ["| code | name | default | what it finds |", "|---|---|---|---|"]
    for rule in REGISTRY:
        summary = rule.summary.replace("|", "\\|")
        rows.append(f"| `{rule.code}` | {rule.name} | {rule.severity.value} | {summary} |")
    return "\n".join(rows) + "\n"
