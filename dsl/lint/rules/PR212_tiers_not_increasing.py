"""Tier thresholds that are not strictly increasing.

What it finds: a `tiers.steps` entry whose `at` is not greater than the
previous step's.

Why it costs money: the engine applies the highest threshold reached, so
the listed order is not what decides — but a reader (and the approver)
reads the list top to bottom. Steps out of order almost always mean a typo
in a threshold (`100` for `1000`): the big discount starts ten times
earlier than finance approved. Two steps at the same threshold leave it to
the list order which discount applies.

Avoid:

    steps:
      - { at: 100, percent_off: 10 }
      - { at: 50, percent_off: 20 }

Prefer:

    steps:
      - { at: 50, percent_off: 10 }
      - { at: 100, percent_off: 20 }
"""

from __future__ import annotations

from collections.abc import Iterator

from ...effects import Tiers
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR212"
NAME = "tiers-not-increasing"
SEVERITY = Severity.ERROR


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        for where, effect in promo.effect_paths():
            if isinstance(effect, Tiers):
                yield from _increasing(ruleset, ("promotions", index, *where), effect)


def _increasing(ruleset: LintRuleset, where: tuple[str | int, ...],
                effect: Tiers) -> Iterator[Diagnostic]:
    steps = effect.tiers.steps
    for k in range(1, len(steps)):
        if steps[k].at <= steps[k - 1].at:
            same = "the same as" if steps[k].at == steps[k - 1].at else "below"
            yield finding(CODE, SEVERITY, f"tier threshold {steps[k].at:f} is {same} the "
                          f"previous one ({steps[k - 1].at:f}): thresholds must increase",
                          ruleset.span(*where, "tiers", "steps", k, "at"),
                          "list the steps from the lowest threshold to the highest")
