"""The registry of semantic lint rules: one module per rule, listed explicitly.

Each module ``PR2xx_<name>.py`` declares ``CODE``, ``NAME`` (the file name's
tail with dashes), ``SEVERITY`` (the default) and ``check(ruleset) ->
Iterator[Diagnostic]``; its docstring is the rule's documentation (what it
finds, why it costs money, avoid / prefer).  A rule whose result depends on
the day lint runs sets ``TIME_DEPENDENT = True``.

Codes are stable: a code is never reused for another meaning or renumbered;
a retired rule's code stays reserved (list it in ``RETIRED``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

from ...errors import Diagnostic, Severity
from ..context import LintRuleset
from . import (
    PR200_unused_suppression,
    PR202_duplicate_coupon_code,
    PR203_window_ended,
    PR204_window_empty,
    PR205_coupon_without_per_customer_limit,
    PR206_no_max_discount,
    PR207_free_line_uncapped,
    PR208_condition_never_true,
    PR209_condition_always_true,
    PR210_shadowed_by_exclusive,
    PR211_budget_below_one_use,
    PR212_tiers_not_increasing,
    PR213_buy_get_ratio,
    PR214_single_member_group,
    PR215_tier_discount_decreasing,
    PR216_amount_off_without_minimum,
    PR217_coupons_disabled,
    PR218_confusable_coupon_code,
    PR219_invariant_broken,
    PR220_invariant_unproven,
    PR222_per_line_cap_not_binding,
    PR223_effects_stack_on_original,
)

MODULES: tuple[ModuleType, ...] = (
    PR200_unused_suppression,
    PR202_duplicate_coupon_code,
    PR203_window_ended,
    PR204_window_empty,
    PR205_coupon_without_per_customer_limit,
    PR206_no_max_discount,
    PR207_free_line_uncapped,
    PR208_condition_never_true,
    PR209_condition_always_true,
    PR210_shadowed_by_exclusive,
    PR211_budget_below_one_use,
    PR212_tiers_not_increasing,
    PR213_buy_get_ratio,
    PR214_single_member_group,
    PR215_tier_discount_decreasing,
    PR216_amount_off_without_minimum,
    PR217_coupons_disabled,
    PR218_confusable_coupon_code,
    PR219_invariant_broken,
    PR220_invariant_unproven,
    PR222_per_line_cap_not_binding,
    PR223_effects_stack_on_original,
)

RETIRED: dict[str, str] = {
    "PR201": "duplicate-promotion-id: two promotions with one id no longer load (PR130)",
}
"""Codes of rules that were removed: reserved forever, never given to a new rule."""

UNUSED_SUPPRESSION = PR200_unused_suppression.CODE


@dataclass(frozen=True)
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
