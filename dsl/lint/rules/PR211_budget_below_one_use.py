"""A `limits.budget` smaller than what a single use can give.

What it finds: a budget below the most one application of the promotion can
discount, where that is known: `amount_off`, `amount_off_each` with
`max_units` (amount × units), a shipping `amount_off`, tiers that all give
`amount_off`, or any effect's `max_amount`. With an `effects` list, one use
gives the sum of its effects' amounts (known only when each one's is).

Why it costs money: the first order already exceeds the budget finance
signed off, so the budget check cuts the very first discount short and the
promotion is then spent — almost always a missing digit (`"500"` for
`"50000"`). The shop advertises 25.00 off and gives 5.00.

Avoid:

    effect: { amount_off: "25.00" }
    limits: { budget: "20.00" }

Prefer:

    effect: { amount_off: "25.00" }
    limits: { budget: "20000.00" }
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ...effects import AmountOff, AmountOffEach, Effect, Shipping, Tiers
from ...errors import Diagnostic, Severity
from ...model import Promotion
from ..context import LintRuleset, finding

CODE = "PR211"
NAME = "budget-below-one-use"
SEVERITY = Severity.ERROR


def one_use(promo: Promotion) -> Decimal | None:
    """The most one use of ``promo`` can discount, when the ruleset fixes it: the sum
    over its effects, when each one's is fixed."""
    most = [_one_effect(effect) for effect in promo.all_effects]
    return None if None in most else sum((m for m in most if m is not None), Decimal(0))


def _one_effect(effect: Effect) -> Decimal | None:
    known: list[Decimal] = []
    if effect.max_amount is not None:
        known.append(effect.max_amount)
    if isinstance(effect, AmountOff):
        known.append(effect.amount_off)
    elif isinstance(effect, AmountOffEach) and effect.max_units is not None:
        known.append(effect.amount_off_each * effect.max_units)
    elif isinstance(effect, Shipping) and effect.shipping.amount_off is not None:
        known.append(effect.shipping.amount_off)
    elif isinstance(effect, Tiers):
        amounts = [step.amount_off for step in effect.tiers.steps]
        if all(a is not None for a in amounts):
            known.append(max(a for a in amounts if a is not None))
    return min(known) if known else None


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        if promo.limits is None or promo.limits.budget is None:
            continue
        most = one_use(promo)
        budget = promo.limits.budget
        if most is not None and budget < most:
            yield finding(CODE, SEVERITY, f"the budget {budget:f} is less than one use can "
                          f"give ({most:f}): the first order already runs past it",
                          ruleset.span("promotions", index, "limits", "budget"),
                          "a digit missing? the budget is the total for all uses")
