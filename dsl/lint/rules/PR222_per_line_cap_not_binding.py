"""A `max_units_per_line` that can never bind: at least `max_units`.

What it finds: an effect with both `max_units` and `max_units_per_line` where
the cap per line is at least the cap over the whole promotion (`max_units: 2,
max_units_per_line: 5`), or a buy/get whose `max_units_per_line` is at least
`get` × `max_applications` (all the units it can ever give).

Why it costs money: the per-line cap then limits nothing, which is rarely
what was meant: most often the two numbers were swapped ("at most 5 units, 2
of any one line"), and a customer buying many units of one line gets them all
discounted where the offer promised 2.

Avoid:

    effect: { percent_off: 30, max_units: 2, max_units_per_line: 5 }

Prefer:

    effect: { percent_off: 30, max_units: 5, max_units_per_line: 2 }
"""

from __future__ import annotations

from collections.abc import Iterator

from ...effects import BuyGet, Effect
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR222"
NAME = "per-line-cap-not-binding"
SEVERITY = Severity.WARNING


def _overall(effect: Effect) -> tuple[int, str] | None:
    """The most units the effect discounts in all, when the ruleset fixes it."""
    if isinstance(effect, BuyGet):
        if effect.max_applications is None:
            return None
        return effect.get * effect.max_applications, \
            f"get × max_applications ({effect.get} × {effect.max_applications})"
    most = getattr(effect, "max_units", None)
    return None if most is None else (most, f"max_units ({most})")


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        for where, effect in promo.effect_paths():
            per_line = getattr(effect, "max_units_per_line", None)
            overall = _overall(effect)
            if per_line is None or overall is None or per_line < overall[0]:
                continue
            yield finding(CODE, SEVERITY, f"max_units_per_line ({per_line}) is at least "
                          f"{overall[1]}: it never limits anything",
                          ruleset.span("promotions", index, *where, "max_units_per_line"),
                          "were the two numbers swapped? the cap per line is meant to be "
                          "the smaller")
