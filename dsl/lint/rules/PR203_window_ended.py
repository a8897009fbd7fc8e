"""A promotion whose `active` window has already ended.

What it finds: `active.until` (read in the ruleset's timezone when it has
no offset) at or before the moment lint runs (`promo lint --now` or the API's
`now=` pin that moment for reproducible runs).

Why it costs money: an ended promotion can never apply again, yet it stays
in the file that people review. Someone "extends" it by editing the date
without re-reading the terms, its coupon codes stay reserved (another
promotion cannot reuse them, `PR202`), and reviewers stop noticing which
offers are live.

This rule depends on the day it runs: a clean ruleset today can warn
tomorrow. A suppression of it is never reported as unused.

Avoid:

    - id: spring-20
      active: { from: 2026-03-20, until: 2026-04-20 }   # linted in May

Prefer: delete ended promotions (git keeps the history), or keep one on
purpose with `# promo: ignore[PR203]` and a reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR203"
NAME = "window-ended"
SEVERITY = Severity.WARNING
TIME_DEPENDENT = True


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        if promo.active is None or promo.active.until is None:
            continue
        ends = ruleset.moment(promo.active.until)
        if ruleset.has_passed(ends):
            yield finding(CODE, SEVERITY, f"the window ended "
                          f"{ends.astimezone(ruleset.zone).isoformat()} "
                          f"({ruleset.model.timezone}); linted at "
                          f"{ruleset.linted_at()}, so the promotion "
                          "can never apply again",
                          ruleset.span("promotions", index, "active", "until"),
                          "delete it, or keep it on purpose with # promo: ignore[PR203] "
                          "and a reason")
