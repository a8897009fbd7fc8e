"""A weekly schedule that never opens inside its promotion's window.

What it finds: `active` with both `from` and `until`, and `days` or `hours`
that no instant of the window matches on the ruleset's wall clock: a
weekend schedule on a window from Monday to Thursday, evening hours on a
window that ends at noon the one day it spans.

Why it costs money: the promotion can never apply, while the campaign was
announced (a flyer, a newsletter) for those days. Customers who come for
the promised price do not get it; support pays the difference by hand, or
the shop honours it at the till without any record.

Avoid:

    active: { from: 2026-06-01, until: 2026-06-05, days: [sat, sun] }   # Mon to Thu

Prefer: a window that contains at least one of the days and hours (until is
exclusive: a weekend ends `until:` the Monday after).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR228"
NAME = "schedule-never-open"
SEVERITY = Severity.ERROR


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    zone = ruleset.zone
    for index, promo in enumerate(ruleset.promotions):
        window = promo.active
        schedule = window.schedule(zone) if window is not None else None
        if window is None or schedule is None or window.from_ is None or window.until is None:
            continue
        starts, ends = ruleset.moment(window.from_), ruleset.moment(window.until)
        if ends <= starts:  # an empty window is PR204's
            continue
        if schedule.next_opening(starts, ends) is None:
            field = "days" if window.days is not None else "hours"
            yield finding(CODE, SEVERITY, f"the schedule ({schedule.describe()}) never opens "
                          f"between {starts.astimezone(zone).isoformat()} and "
                          f"{ends.astimezone(zone).isoformat()} ({ruleset.model.timezone}): "
                          "the promotion can never apply",
                          ruleset.span("promotions", index, "active", field),
                          "widen the window to include one of its days and hours, or fix "
                          "days and hours")
