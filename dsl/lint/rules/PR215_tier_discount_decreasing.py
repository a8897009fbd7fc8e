"""A higher tier that gives less than a lower one.

What it finds: tier steps of the same kind where the step with the higher
threshold gives a smaller `percent_off`, `amount_off` or
`amount_off_each`, or a higher `fixed_price`.

Why it costs money: customers are told "spend more, save more"; when the
ladder goes down, a customer who adds to the basket loses the discount —
or finance approved the other order and the lower threshold gives the bigger
discount. Either way one of the two numbers is a typo.

Avoid:

    steps:
      - { at: 50, amount_off: "10.00" }
      - { at: 100, amount_off: "5.00" }

Prefer:

    steps:
      - { at: 50, amount_off: "5.00" }
      - { at: 100, amount_off: "10.00" }
"""

from __future__ import annotations

from collections.abc import Iterator

from ...effects import Tiers
from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR215"
NAME = "tier-discount-decreasing"
SEVERITY = Severity.WARNING


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        for where, effect in promo.effect_paths():
            if isinstance(effect, Tiers):
                yield from _decreasing(ruleset, ("promotions", index, *where), effect)


def _decreasing(ruleset: LintRuleset, where: tuple[str | int, ...],
                effect: Tiers) -> Iterator[Diagnostic]:
    steps = sorted(enumerate(effect.tiers.steps), key=lambda ks: ks[1].at)
    for (_, low), (k, high) in zip(steps, steps[1:], strict=False):
        if low.at == high.at or low.kind != high.kind:
            continue
        kind = high.kind
        before, after = getattr(low, kind), getattr(high, kind)
        worse = after > before if kind == "fixed_price" else after < before
        if worse:
            yield finding(CODE, SEVERITY, f"the tier at {high.at:f} gives less than "
                          f"the tier at {low.at:f}: {kind} {after:f} against {before:f}",
                          ruleset.span(*where, "tiers", "steps", k, kind),
                          "a higher threshold should give more: is one number a typo?")
