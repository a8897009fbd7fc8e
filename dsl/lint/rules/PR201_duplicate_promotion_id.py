"""Two promotions with the same `id`.

What it finds: a promotion whose `id` is already used by an earlier
promotion of the same ruleset.

Why it costs money: the id is what usage limits, budgets, reservations,
events and reports are keyed by. Two promotions sharing one id share one
usage counter and one budget line in finance's reports, a reservation of
one can be confirmed against the other, and `promo eval` explanations name
the wrong offer.

Avoid:

    - id: summer-20
      effect: { percent_off: 20 }
    - id: summer-20               # copied, then edited
      effect: { percent_off: 30 }

Prefer: one id per promotion (`summer-20`, `summer-30-vip`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR201"
NAME = "duplicate-promotion-id"
SEVERITY = Severity.ERROR


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    first: dict[str, int] = {}
    for index, promo in enumerate(ruleset.promotions):
        if promo.id in first:
            line = ruleset.line_of("promotions", first[promo.id], "id")
            yield finding(CODE, SEVERITY, f"promotion id '{promo.id}' is already used at "
                          f"line {line}", ruleset.span("promotions", index, "id"),
                          "usage limits, budgets and reports are keyed by id: give each "
                          "promotion its own")
        else:
            first[promo.id] = index
