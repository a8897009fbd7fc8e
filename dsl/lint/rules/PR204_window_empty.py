"""An `active` window that starts at or after it ends, once both ends are read
in the ruleset's timezone.

What it finds: a window whose `from` and `until` mix an explicit offset and a
local time (or date), so that the loader's check (`PR126`, which compares
the written values) passes but the window the engine actually uses is empty.
`from: "2026-06-01T08:00:00+09:00"` is 23:00 UTC the day before; `until:
"2026-06-01T02:00"` in `Europe/Berlin` is 00:00 UTC — the window is empty.

Why it costs money: the promotion never applies, while the campaign that
was announced (on a flyer, in a newsletter) promises it. Customers who were
promised a price get another one; support pays the difference by hand.

Avoid:

    timezone: Europe/Berlin
    active: { from: "2026-06-01T08:00:00+09:00", until: "2026-06-01T02:00" }

Prefer: write both ends the same way — both dates, both local times, or both
with the same offset.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Diagnostic, Severity
from ..context import LintRuleset, finding

CODE = "PR204"
NAME = "window-empty"
SEVERITY = Severity.ERROR


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        window = promo.active
        if window is None or window.from_ is None or window.until is None:
            continue
        starts, ends = ruleset.moment(window.from_), ruleset.moment(window.until)
        if ends <= starts:
            zone = ruleset.model.timezone
            yield finding(CODE, SEVERITY, f"the window is empty: it starts "
                          f"{starts.astimezone(ruleset.zone).isoformat()} and ends "
                          f"{ends.astimezone(ruleset.zone).isoformat()} ({zone})",
                          ruleset.span("promotions", index, "active", "until"),
                          "write both ends the same way: both dates, both local times, or "
                          "both with the same offset")
