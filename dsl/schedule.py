"""Weekly schedules: the days and hours a promotion is open inside its window.

    schedule = Schedule.of(("sat", "sun"), ("09:00-12:00", "18:00-22:00"), zone)
    schedule.is_open(instant)                 # an aware datetime
    schedule.next_opening(instant, until)     # the first open instant from ``instant``

The exact meaning (docs/semantics.md#schedules): an instant is open when its
*local wall time* in the ruleset's timezone lies in one of the ranges, on one
of the days.  A range ``HH:MM-HH:MM`` starts inclusive and ends exclusive;
``24:00`` ends at midnight; a range whose end is at or before its start
(``22:00-02:00``) runs past midnight and belongs to the day it starts on.
Daylight-saving changes need no special case: a wall time the clocks skip
is never open, a wall time they repeat is open both times.

Pure: no I/O, nothing of the engine.  The loader's checks (``parse_day``,
``parse_range``, ``check_days``, ``check_ranges``) raise ``ScheduleError``
with a message and a hint; the model turns them into error codes.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import field
from zoneinfo import ZoneInfo

from .expr.types import WEEKDAYS
from .records import record

MINUTES_PER_DAY = 24 * 60
_MICROS_PER_MINUTE = 60_000_000
_RANGE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
RANGE_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
"""``HH:MM-HH:MM`` as the JSON Schema states it (an empty range is the loader's to refuse)."""
_FULL_NAMES = {name: short for short, name in zip(WEEKDAYS, (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), strict=True)}
RANGE_EXAMPLE = 'write "HH:MM-HH:MM" with two-digit hours and minutes, e.g. "09:00-12:00", ' \
    '"18:00-24:00" or "22:00-02:00" (past midnight)'
SEARCH_WEEKS = 60
"""How many weeks ahead ``next_opening`` looks: a schedule with at least one
range opens every week, but for the days the clocks skip over a whole range."""


class ScheduleError(ValueError):
    """A day or an hours range that cannot be read (the loader reports it)."""

    def __init__(self, message: str, hint: str, entry: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.entry = entry  # the position in the list of the entry at fault, when one is


# ------------------------------------------------------------------ reading

def parse_day(value: object) -> str:
    """A day name as ``cart.weekday`` writes it (``mon`` … ``sun``)."""
    text = value if isinstance(value, str) else str(value)
    if text in WEEKDAYS:
        return text
    import difflib  # (here: a schedule written as ``cart.weekday`` writes it never needs it)

    folded = text.strip().casefold()
    guess = folded if folded in WEEKDAYS else _FULL_NAMES.get(folded) or \
        _FULL_NAMES.get(folded.rstrip("s")) or next(iter(
            difflib.get_close_matches(folded[:3], WEEKDAYS, n=1, cutoff=0.6)), None)
    hint = f"days are {', '.join(WEEKDAYS)}"
    if guess is not None:
        hint = f"did you mean '{guess}'? " + hint
    raise ScheduleError(f"unknown day '{text}'", hint)


def check_days(days: Sequence[str]) -> None:
    """No day twice, and at least one day."""
    if not days:
        raise ScheduleError("days lists no day", "leave days out for every day of the week, "
                            "or name some: days: [sat, sun]")
    seen: set[str] = set()
    for entry, day in enumerate(days):
        if day in seen:
            raise ScheduleError(f"the day '{day}' is listed twice", "name each day once",
                                entry)
        seen.add(day)


@record(order=True)
class HourRange:
    """``start`` to ``end`` in minutes after midnight; ``end`` is 1 to 1440 (24:00).

    ``end <= start`` runs past midnight into the next day."""

    start: int
    end: int

    @property
    def wraps(self) -> bool:
        return self.end <= self.start

    @property
    def arcs(self) -> tuple[tuple[int, int], ...]:
        """The minutes of the day it covers: (start, end) pairs, the day after's first."""
        if self.wraps:
            return ((0, self.end), (self.start, MINUTES_PER_DAY)) if self.end else \
                ((self.start, MINUTES_PER_DAY),)
        return ((self.start, self.end),)

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_range(value: object) -> HourRange:
    """``"HH:MM-HH:MM"``: the start 00:00 to 23:59, the end 00:01 to 24:00."""
    text = value if isinstance(value, str) else str(value)
    found = _RANGE.fullmatch(text)
    if found is None:
        raise ScheduleError(f"'{text}' is not an hours range", RANGE_EXAMPLE)
    sh, sm, eh, em = (int(part) for part in found.groups())
    if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em):
        raise ScheduleError(f"'{text}' is not a time of day: hours go from 00 to 23 (24:00 "
                            "only as an end), minutes from 00 to 59", RANGE_EXAMPLE)
    start, end = sh * 60 + sm, eh * 60 + em
    if start == end:
        raise ScheduleError(f"the range '{text}' is empty: it ends where it starts",
                            'a whole day is "00:00-24:00"; to be open every hour, leave '
                            "hours out")
    return HourRange(start, end)


def check_ranges(ranges: Sequence[HourRange]) -> None:
    """At least one range, and no two ranges sharing a minute of the day."""
    if not ranges:
        raise ScheduleError("hours lists no range", 'leave hours out for the whole day, or '
                            'name some: hours: ["09:00-12:00"]')
    for i, first in enumerate(ranges):
        for entry, second in enumerate(ranges[i + 1:], i + 1):
            for a_start, a_end in first.arcs:
                for b_start, b_end in second.arcs:
                    if max(a_start, b_start) < min(a_end, b_end):
                        raise ScheduleError(
                            f"the ranges '{first}' and '{second}' overlap from "
                            f"{_clock(max(a_start, b_start))} to "
                            f"{_clock(min(a_end, b_end))}",
                            "write each hour once: join them into one range, e.g. "
                            f'"{_clock(min(first.start, second.start))}-'
                            f'{_clock(max(first.end, second.end))}"', entry)


# ------------------------------------------------------------------ evaluating

@record
class Schedule:
    """The open days and hours, resolved into each weekday's open intervals."""

    days: tuple[str, ...]  # as written, Monday-first order kept as written
    ranges: tuple[HourRange, ...]
    zone: ZoneInfo
    # per weekday (Monday 0): the starts and the ends of its open intervals, in
    # microseconds after local midnight, sorted and merged
    _starts: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    _ends: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    @staticmethod
    def of(days: Iterable[str] | None, hours: Iterable[str] | None,
           zone: ZoneInfo) -> Schedule:
        """``days`` (all when ``None``) and ``hours`` (the whole day when ``None``)."""
        ranges = tuple(parse_range(text) for text in hours) if hours is not None else \
            (HourRange(0, MINUTES_PER_DAY),)
        return Schedule(tuple(days) if days is not None else WEEKDAYS, ranges, zone)

    def __post_init__(self) -> None:
        numbers = {WEEKDAYS.index(day) for day in self.days}
        starts, ends = [], []
        for weekday in range(7):
            arcs: list[tuple[int, int]] = []
            for hours in self.ranges:
                if weekday in numbers:
                    arcs.append((hours.start, hours.end if not hours.wraps
                                 else MINUTES_PER_DAY))
                if hours.wraps and hours.end and (weekday - 1) % 7 in numbers:
                    arcs.append((0, hours.end))
            merged: list[list[int]] = []
            for start, end in sorted(arcs):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            starts.append(tuple(s * _MICROS_PER_MINUTE for s, _ in merged))
            ends.append(tuple(e * _MICROS_PER_MINUTE for _, e in merged))
        object.__setattr__(self, "_starts", tuple(starts))
        object.__setattr__(self, "_ends", tuple(ends))

    def is_open_wall(self, wall: dt.datetime) -> bool:
        """Whether the local wall time ``wall`` (its tzinfo ignored) is open."""
        weekday = wall.weekday()
        micros = ((wall.hour * 60 + wall.minute) * 60 + wall.second) * 1_000_000 + \
            wall.microsecond
        found = bisect.bisect_right(self._starts[weekday], micros) - 1
        return found >= 0 and micros < self._ends[weekday][found]

    def is_open(self, instant: dt.datetime) -> bool:
        """Whether the aware ``instant`` is open (read in the schedule's timezone)."""
        return self.is_open_wall(instant.astimezone(self.zone))

    def next_opening(self, instant: dt.datetime,
                     until: dt.datetime | None = None) -> dt.datetime | None:
        """The first open instant at or after ``instant`` and before ``until``
        (both aware), in UTC; ``None`` when there is none.

        Openness changes only where the wall time reaches the start of an open
        interval, or jumps (a change of offset): the first of those instants
        that is open is the answer."""
        instant = instant.astimezone(dt.UTC)
        if self.is_open(instant):
            return instant if until is None or instant < until else None
        first_day = instant.astimezone(self.zone).date() - dt.timedelta(days=1)
        for week in range(SEARCH_WEEKS):
            days = [first_day + dt.timedelta(days=7 * week + k) for k in range(8)]
            found = sorted(c for c in self._candidates(days) if c > instant)
            for candidate in found:
                if until is not None and candidate >= until:
                    return None
                if self.is_open(candidate):
                    return candidate
        return None

    def _candidates(self, days: Sequence[dt.date]) -> Iterator[dt.datetime]:
        """The instants, around ``days``, where the schedule may open."""
        for day in days:
            for start in self._starts[day.weekday()]:
                wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(microseconds=start)
                yield from instants_of(wall, self.zone)
        earliest = dt.datetime.combine(days[0], dt.time(), self.zone)
        latest = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), self.zone)
        for change, _, _ in offset_changes(self.zone, earliest, latest):
            yield change

    def describe(self) -> str:
        """``sat, sun 09:00-12:00, 18:00-22:00`` (``every day``, ``all day`` when so)."""
        days = "every day" if set(self.days) == set(WEEKDAYS) else \
            ", ".join(sorted(self.days, key=WEEKDAYS.index))
        hours = "all day" if self.ranges == (HourRange(0, MINUTES_PER_DAY),) else \
            ", ".join(str(r) for r in sorted(self.ranges))
        return f"{days} {hours}"


def instants_of(wall: dt.datetime, zone: ZoneInfo) -> list[dt.datetime]:
    """The UTC instants whose local wall time in ``zone`` is ``wall`` (naive):
    none in a gap the clocks skip, two in an hour they repeat."""
    out = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall and instant not in out:
            out.append(instant)
    return out


def offset_changes(zone: ZoneInfo, start: dt.datetime, end: dt.datetime,
                   step: dt.timedelta = dt.timedelta(hours=6),
                   ) -> Iterator[tuple[dt.datetime, dt.timedelta, dt.timedelta]]:
    """Each change of ``zone``'s UTC offset between the aware ``start`` and ``end``:
    ``(the first instant of the new offset in UTC, offset before, offset after)``.

    Found by stepping (no zone changes its offset twice in ``step``) and halving
    to the second (offsets change on whole seconds)."""
    here = start.astimezone(dt.UTC).replace(microsecond=0)
    end = end.astimezone(dt.UTC)
    before = here.astimezone(zone).utcoffset()
    while here < end:
        there = min(here + step, end + dt.timedelta(seconds=1))
        after = there.astimezone(zone).utcoffset()
        if after != before:
            low, high = here, there  # the offset is ``before`` at low, not at high
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) // 2
                middle = middle.replace(microsecond=0)
                if middle.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            assert before is not None and after is not None
            yield high, before, after
        here, before = there, after


class ClosedSchedules:
    """Which of several schedules (of one timezone) are closed at an instant, as a
    bitset of their positions (the promotion index's form).

    A schedule reads only the local weekday and wall time, and its ranges start
    and end on whole minutes, so the answer is the same for every instant of one
    local minute of the week: it is computed once per such minute."""

    def __init__(self, schedules: Sequence[tuple[int, Schedule]]) -> None:
        self.schedules = schedules
        self.having = sum(1 << position for position, _ in schedules)
        self._closed: dict[tuple[int, int, int], int] = {}  # at most a week of minutes

    def closed(self, instant: dt.datetime) -> int:
        wall = instant.astimezone(self.schedules[0][1].zone)
        key = (wall.weekday(), wall.hour, wall.minute)
        found = self._closed.get(key)
        if found is None:
            found = 0
            for position, schedule in self.schedules:
                if not schedule.is_open_wall(wall):
                    found |= 1 << position
            self._closed[key] = found
        return found
