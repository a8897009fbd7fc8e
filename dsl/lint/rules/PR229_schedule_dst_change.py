"""A schedule's hours that a daylight-saving change shortens or lengthens.

What it finds: an `hours` range open at local times the ruleset's timezone
skips (the spring change) or repeats (the autumn change) on a day of the
window when the schedule is open. A window without `until` is looked at for
a year from its start (or from the moment lint runs, without `from`).

Why it costs money: a schedule is read on the wall clock, so on the day the
clocks go back a range such as `"01:00-04:00"` in Europe/Paris is open four
hours, not three: a night discount runs an hour longer than budgeted. On the
day they go forward, `"02:00-02:30"` does not open at all and customers who
were promised it miss it.

Avoid:

    timezone: Europe/Paris
    active: { days: [sun], hours: ["01:00-04:00"] }

Prefer: hours outside the change (in Europe, 01:00 to 03:00 local on the
last Sundays of March and October), or keep it on purpose with
`# promo: ignore[PR229]` and a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ...schedule import Schedule, offset_changes
from ..context import LintRuleset, finding

CODE = "PR229"
NAME = "schedule-dst-change"
SEVERITY = Severity.WARNING
TIME_DEPENDENT = True  # a window without from is looked at from the moment lint runs
LOOK_AHEAD = dt.timedelta(days=366)
_MINUTE = dt.timedelta(minutes=1)


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    zone = ruleset.zone
    for index, promo in enumerate(ruleset.promotions):
        window = promo.active
        if window is None or window.hours is None:
            continue
        schedule = window.schedule(zone)
        assert schedule is not None
        seen: set[str] = set()
        starts = ruleset.moment(window.from_) if window.from_ is not None else ruleset.now
        ends = ruleset.moment(window.until) if window.until is not None else starts + LOOK_AHEAD
        for change, before, after in offset_changes(zone, starts, min(ends, starts +
                                                                       LOOK_AHEAD * 10)):
            if not starts <= change < ends:
                continue
            kind = "skip" if after > before else "repeat"
            if kind in seen:
                continue
            found = _affected(schedule, change, before, after, ruleset.model.timezone)
            if found is None:
                continue
            seen.add(kind)  # one finding per promotion and kind: the first change of each
            yield finding(CODE, SEVERITY, found,
                          ruleset.span("promotions", index, "active", "hours"),
                          "move the hours out of the change, or keep them on purpose with "
                          "# promo: ignore[PR229] and a reason")


def _affected(schedule: Schedule, change: dt.datetime, before: dt.timedelta,
              after: dt.timedelta, zone: str) -> str | None:
    """The sentence about a change of offset at ``change``, if it touches open hours."""
    naive = change.replace(tzinfo=None)
    low, high = sorted((naive + before, naive + after))  # the wall times skipped or repeated
    wall = low
    while wall < high:
        if schedule.is_open_wall(wall):
            day, shown = low.date().isoformat(), f"{low:%H:%M} to {high:%H:%M} ({zone})"
            if after > before:
                return (f"on {day} the clocks skip {shown}: the schedule "
                        f"({schedule.describe()}) is open for less time that day")
            return (f"on {day} the clocks repeat {shown}: the schedule "
                    f"({schedule.describe()}) is open those times twice, for longer that day")
        wall += _MINUTE
    return None
