"""Rule-test coverage: what the rule tests of a ruleset exercise, and what they leave out.

Like ``opa test --coverage``, but in the ruleset's own terms.  Per ruleset:

* **promotions**: each promotion applied (its effect gave a discount) by at least
  one test — but a ``coupon_batch`` promotion, which a dry run never applies — and
  rejected by at least one test;
* **conditions**: each part of each condition (``when``, ``target``,
  ``effect.get_target``) that the language reads as true or false — the whole
  condition, each side of ``and``/``or``, the operand of ``not``, each
  comparison, the condition inside ``any``/``all``/``count``/``lines`` and the
  ``where`` of ``sum``/``min``/``max`` — seen true and seen false.  A target part
  is seen on every line of the cart.  A part counts only in tests where the
  engine reached the condition: ``when`` once the coupon and window checks
  passed, a target once the stacking rules let the promotion compute its effect;
  the values come from the condition trace (``engine.condition_trace``);
* **effects**: each tier step reached, each ``max_amount`` that cut a discount;
* **stacking**: each exclusive promotion blocking another (or refused), each
  group refusing a second member, ``coupons_per_order`` refusing a coupon
  (when there are more coupon promotions than it allows),
  ``coupon_with_automatic: false`` refusing an automatic promotion, and
  ``max_discount`` cutting an order (with ``mode: best_deal``, ``not_best_deal``
  counts for an exclusive promotion left out or applied, and for a group whose
  other member applied);

Each of these is a yes/no *check* with its place in the ruleset file; a
condition part is two checks (true, false).  The total is checks seen over
checks; the condition figure is parts seen both ways over parts.

    coverage = Coverage()
    report = run_tests(paths, observe=coverage.observe)
    coverage.rulesets["rulesets/fashion/ruleset.yaml"].conditions  # (both ways, parts)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from dsl.effects import Tiers
from dsl.errors import Span
from dsl.loader import Document, compose_document
from dsl.model import Promotion, Ruleset

from .. import reasons as r
from ..cart import Cart
from ..condition_trace import ConditionTrace, Part, promotion_conditions
from ..explain import MASK
from ..program import Program
from ..result import Result
from .runner import RuleTest

_BEFORE_WHEN = frozenset({r.COUPON_NOT_ENTERED, r.NOT_ACTIVE_YET, r.EXPIRED,
                          r.COUPON_NOT_ACTIVE_YET, r.COUPON_EXPIRED})
"""Rejections decided before ``when`` is read (docs/semantics.md#checks)."""
_AFTER_EFFECT = frozenset({r.NOTHING_TO_DISCOUNT, r.CAP_REACHED, r.BUDGET_EXHAUSTED})
"""Rejections decided after the effect read its target lines."""
_UNMET = frozenset({r.CONDITIONS_NOT_MET, r.COUPON_INELIGIBLE})
_TIER = re.compile(r"(?:^|; )tier at (\S+) reached")

KINDS = ("promotions", "conditions", "effects", "stacking")


@dataclass
class Check:
    """One thing the tests may or may not exercise, and where it is written."""

    kind: str  # one of KINDS
    promotion: str | None
    what: str  # what is missing, as the report says it: "never rejected"
    span: Span
    seen: bool = False


@dataclass
class PartSeen:
    """A condition part and the truths the tests saw it with."""

    promotion: str
    field: str
    id: str
    text: str
    span: Span
    truths: set[bool] = dataclasses.field(default_factory=set)

    @property
    def both(self) -> bool:
        return len(self.truths) == 2


@dataclass
class RulesetCoverage:
    """What the tests of one ruleset exercised."""

    ruleset: str
    tests: int = 0
    checks: dict[tuple[str, ...], Check] = dataclasses.field(default_factory=dict)
    parts: dict[tuple[str, str, str], PartSeen] = dataclasses.field(default_factory=dict)

    def count(self, kind: str) -> tuple[int, int]:
        """``(seen, total)`` checks of one kind; a condition part is two checks."""
        if kind == "conditions":
            return (sum(len(p.truths) for p in self.parts.values()), 2 * len(self.parts))
        found = [c for c in self.checks.values() if c.kind == kind]
        return sum(1 for c in found if c.seen), len(found)

    @property
    def conditions(self) -> tuple[int, int]:
        """``(parts seen both true and false, parts)``."""
        return sum(1 for p in self.parts.values() if p.both), len(self.parts)

    @property
    def total(self) -> tuple[int, int]:
        counts = [self.count(kind) for kind in KINDS]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    def uncovered(self) -> list[tuple[Span, str]]:
        """Each check not seen, as ``(where, sentence)``, in file order."""
        out = [(c.span, f"{c.promotion} {c.what}" if c.promotion else c.what)
               for c in self.checks.values() if not c.seen]
        for part in self.parts.values():
            if not part.both:
                never = "true" if True not in part.truths else "false"
                if not part.truths:
                    never = "reached"
                out.append((part.span, f"{part.promotion} {part.field}: {part.text}  "
                                       f"never {never}"))
        return sorted(out, key=lambda item: (item[0].line, item[0].col))


def percent(seen: int, total: int) -> float:
    """``seen`` of ``total`` in percent (100 when there is nothing to see)."""
    return 100.0 if total == 0 else 100.0 * seen / total


@dataclass
class Coverage:
    """Collects coverage over a run of rule tests (``run_tests(observe=…)``)."""

    rulesets: dict[str, RulesetCoverage] = dataclasses.field(default_factory=dict)

    @property
    def total(self) -> tuple[int, int]:
        counts = [c.total for c in self.rulesets.values()]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    @property
    def conditions(self) -> tuple[int, int]:
        counts = [c.conditions for c in self.rulesets.values()]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    def observe(self, test: RuleTest, program: Program, cart: Cart, result: Result) -> None:
        key = str(test.ruleset_path)
        found = self.rulesets.get(key)
        if found is None:
            found = self.rulesets[key] = RulesetCoverage(key)
            found.checks = _checks(program.ruleset, key)
        found.tests += 1
        _see_outcomes(found, program.ruleset, result)
        facts = program.facts(cart, dt.datetime.fromisoformat(result.at))
        applied = set(result.applied_ids())
        for promotion in program.ruleset.promotions:
            traces = promotion_conditions(program, promotion, facts)
            rejection = result.rejection(promotion.id)
            code = None if rejection is None else rejection.code
            when = next((t for t in traces if t.field == "when"), None)
            when_true = when is None or when.root.truth is True
            for trace in traces:
                if trace.field == "when":
                    reached = promotion.id in applied or \
                        (code is not None and code not in _BEFORE_WHEN)
                else:  # the target lines are read once the effect is computed
                    reached = promotion.id in applied or code in _AFTER_EFFECT or \
                        (code in _UNMET and when_true)
                _see_parts(found, promotion.id, trace, reached)


def _see_parts(coverage: RulesetCoverage, promotion: str, trace: ConditionTrace,
               reached: bool) -> None:
    for part in trace.parts():
        if not part.tested:
            continue
        key = (promotion, trace.field, part.id)
        seen = coverage.parts.get(key)
        if seen is None:
            seen = coverage.parts[key] = PartSeen(promotion, trace.field, part.id,
                                                  part.text, _start(part))
        elif MASK in part.text and MASK not in seen.text:
            seen.text = part.text  # never show a code some cart did not enter
        if reached:
            seen.truths |= part.truths


def _start(part: Part) -> Span:
    return Span(part.span.file, part.span.line, part.span.col)


# ------------------------------------------------------------------ the checks


def _checks(ruleset: Ruleset, name: str) -> dict[tuple[str, ...], Check]:
    """Every check of the ruleset but its condition parts, with their places."""
    doc = _document(ruleset)

    def where(*path: str | int) -> Span:
        if doc is None:
            return Span(name, 1, 1)
        span = doc.position(path).value
        return Span(span.file, span.line, span.col)

    checks: dict[tuple[str, ...], Check] = {}
    groups: dict[str, Span] = {}
    for i, p in enumerate(ruleset.promotions):
        at = where("promotions", i, "id")
        if p.coupon_batch is None:  # (a batch code is checked by the store: a dry run,
            # as a rule test is, never applies it — coupon_unverified)
            checks[("applied", p.id)] = Check("promotions", p.id, "never applied", at)
        checks[("rejected", p.id)] = Check("promotions", p.id, "never rejected", at)
        for path, effect in p.effect_paths():
            if isinstance(effect, Tiers):
                for j, step in enumerate(effect.tiers.steps):
                    shown = format(step.at, "f")
                    checks.setdefault(("tier", p.id, shown), Check(
                        "effects", p.id, f"tier at {shown} never reached",
                        where("promotions", i, *path, "tiers", "steps", j, "at")))
            # (a cut names its promotion, not which of its effects: one check each)
            if effect.max_amount is not None and ("max_amount", p.id) not in checks:
                checks[("max_amount", p.id)] = Check(
                    "effects", p.id, f"max_amount {effect.max_amount} never cut its discount",
                    where("promotions", i, *path, "max_amount"))
        if p.exclusive:
            checks[("exclusive", p.id)] = Check(
                "stacking", p.id, "exclusive never blocked another promotion nor was refused",
                where("promotions", i, "exclusive"))
        if p.group is not None and p.group not in groups:
            groups[p.group] = where("promotions", i, "group")
    for group, span in groups.items():
        checks[("group", group)] = Check(
            "stacking", None, f"group {group} never refused a second promotion", span)
    stacking = ruleset.stacking
    coupons = sum(1 for p in ruleset.promotions if p.is_coupon)
    if 0 < stacking.coupons_per_order < coupons:
        checks[("coupon_limit",)] = Check(
            "stacking", None, f"coupons_per_order: {stacking.coupons_per_order} never "
            "refused a coupon", where("stacking", "coupons_per_order"))
    if not stacking.coupon_with_automatic and coupons:
        checks[("coupon_with_automatic",)] = Check(
            "stacking", None, "coupon_with_automatic: false never refused an automatic "
            "promotion", where("stacking", "coupon_with_automatic"))
    if stacking.max_discount is not None:
        checks[("max_discount",)] = Check(
            "stacking", None, "max_discount never cut an order",
            where("stacking", "max_discount"))
    return checks


def _document(ruleset: Ruleset) -> Document | None:
    """The ruleset's YAML with positions (composed again: a ruleset keeps its text)."""
    if ruleset.source is None:
        return None
    doc, _ = compose_document(ruleset.source)
    return doc


def _see_outcomes(coverage: RulesetCoverage, ruleset: Ruleset, result: Result) -> None:
    checks = coverage.checks

    def seen(*key: str) -> None:
        if key in checks:
            checks[key].seen = True

    by_id: dict[str, Promotion] = {p.id: p for p in ruleset.promotions}
    codes = {x.promotion: x.code for x in result.rejected if x.promotion is not None}
    for applied in result.applied:
        seen("applied", applied.promotion)
        for tier in _TIER.finditer(applied.note or ""):  # (several effects: "; " between)
            seen("tier", applied.promotion, tier.group(1))
    for promotion, code in codes.items():
        seen("rejected", promotion)
        if code == r.NOT_COMBINABLE:
            seen("exclusive", promotion)
        elif code == r.GROUP_TAKEN and promotion in by_id:
            seen("group", by_id[promotion].group or "")
        elif code == r.COUPON_LIMIT:
            seen("coupon_limit")
        elif code == r.NOT_COMBINABLE_WITH_COUPON:
            seen("coupon_with_automatic")
        elif code == r.NOT_BEST_DEAL and promotion in by_id:
            # best deal: an exclusive one left out was refused the chosen set; one left
            # out beside an applied member of its group, refused by the group
            left_out = by_id[promotion]
            if left_out.exclusive:
                seen("exclusive", promotion)
            if left_out.group is not None and any(
                    by_id[a.promotion].group == left_out.group
                    for a in result.applied if a.promotion in by_id):
                seen("group", left_out.group)
    if r.BLOCKED_BY_EXCLUSIVE in codes.values() or r.NOT_BEST_DEAL in codes.values():
        for applied in result.applied:
            if by_id.get(applied.promotion) is not None and \
                    by_id[applied.promotion].exclusive:
                seen("exclusive", applied.promotion)
    for cap in result.capped:
        if cap.source == "max_amount":
            seen("max_amount", cap.promotion)
        elif cap.source == "max_discount":
            seen("max_discount")


# ------------------------------------------------------------------- as JSON


def coverage_dict(coverage: Coverage, fail_under: float | None = None) -> dict[str, Any]:
    """The coverage as JSON data (``promo test --coverage --format json``)."""
    seen, total = coverage.total
    both, parts = coverage.conditions
    return {
        "rulesets": [_ruleset_dict(c) for c in coverage.rulesets.values()],
        "total": {"seen": seen, "checks": total, "percent": round(percent(seen, total), 1)},
        "conditions": {"both_ways": both, "parts": parts,
                       "percent": round(percent(both, parts), 1)},
        "fail_under": fail_under,
    }


def _ruleset_dict(coverage: RulesetCoverage) -> dict[str, Any]:
    seen, total = coverage.total
    both, parts = coverage.conditions
    return {
        "ruleset": coverage.ruleset,
        "tests": coverage.tests,
        "checks": {kind: dict(zip(("seen", "total"), coverage.count(kind), strict=True))
                   for kind in KINDS},
        "conditions": {"both_ways": both, "parts": parts,
                       "percent": round(percent(both, parts), 1)},
        "total": {"seen": seen, "checks": total, "percent": round(percent(seen, total), 1)},
        "uncovered": [{"file": span.file, "line": span.line, "col": span.col, "what": what}
                      for span, what in coverage.uncovered()],
        "parts": [{"promotion": p.promotion, "field": p.field, "id": p.id, "text": p.text,
                   "line": p.span.line, "col": p.span.col, "true": True in p.truths,
                   "false": False in p.truths} for p in coverage.parts.values()],
    }
