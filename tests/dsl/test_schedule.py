"""Weekly schedules (``active.days`` / ``active.hours``): reading them, the load errors,
which instants are open (hand-computed, across daylight-saving changes) and the next
opening, with properties checked against a plain reading of the definition."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import analyze_source
from dsl.expr.types import WEEKDAYS
from dsl.loader import SourceFile
from dsl.schedule import HourRange, Schedule, ScheduleError, check_ranges, parse_range

from .conftest import HEADER

PARIS = ZoneInfo("Europe/Paris")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # southern, and a 30-minute change
UTC = dt.UTC


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def diagnostics(active: str) -> list[tuple[str, int, int, str, str | None]]:
    text = HEADER + f"  - id: p\n    active: {active}\n    effect: {{ percent_off: 10 }}\n"
    analysis = analyze_source(SourceFile("x.yaml", text))
    return [(d.code, d.span.line, d.span.col, d.message, d.hint)
            for d in analysis.diagnostics if d.span]


# ------------------------------------------------------------------ load errors

@pytest.mark.parametrize(("active", "code", "col", "message", "hint"), [
    ("{ days: [sat, saturday] }", "PR143", 27, "unknown day 'saturday'", "did you mean 'sat'?"),
    ("{ days: [Mon] }", "PR143", 22, "unknown day 'Mon'", "did you mean 'mon'?"),
    ("{ days: [sun, sat, sun] }", "PR143", 32, "the day 'sun' is listed twice", "once"),
    ("{ days: [] }", "PR143", 21, "days lists no day", "leave days out"),
    ('{ hours: ["9-12"] }', "PR144", 23, "'9-12' is not an hours range", "HH:MM-HH:MM"),
    ('{ hours: ["09:00-25:00"] }', "PR144", 23, "not a time of day", "24:00"),
    ('{ hours: ["24:00-02:00"] }', "PR144", 23, "not a time of day", "HH:MM"),
    ('{ hours: ["10:00-10:00"] }', "PR144", 23, "is empty", "00:00-24:00"),
    ('{ hours: ["09:00-12:00", "11:00-13:00"] }', "PR144", 38,
     "'09:00-12:00' and '11:00-13:00' overlap from 11:00 to 12:00", '"09:00-13:00"'),
    ('{ hours: ["22:00-02:00", "01:00-03:00"] }', "PR144", 38, "overlap from 01:00 to 02:00",
     "join them"),
    ("{ hours: [] }", "PR144", 22, "hours lists no range", "leave hours out"),
])
def test_load_errors_point_at_the_entry_at_fault(active: str, code: str, col: int, message: str,
                                        hint: str) -> None:
    [(found, line, column, text, given_hint)] = diagnostics(active)
    assert (found, line, column) == (code, 11, col)
    assert message in text
    assert given_hint is not None and hint in given_hint


@pytest.mark.parametrize("active", [
    '{ days: [sat, sun], hours: ["09:00-12:00", "12:00-14:00"] }',  # touching is fine
    '{ hours: ["00:00-24:00"] }', '{ hours: ["22:00-00:00", "00:00-02:00"] }',
    '{ days: [fri], hours: ["22:00-02:00"] }',
])
def test_valid_schedules_load(active: str) -> None:
    assert diagnostics(active) == []


def test_parse_range() -> None:
    assert parse_range("18:00-24:00") == HourRange(18 * 60, 24 * 60)
    assert parse_range("22:00-02:00").wraps
    assert str(parse_range("07:05-24:00")) == "07:05-24:00"
    with pytest.raises(ScheduleError):
        parse_range("07:5-08:00")


# ------------------------------------------------------------------ hand-computed instants

ISSUE = Schedule.of(("sat", "sun"), ("09:00-12:00", "18:00-22:00"), PARIS)


@pytest.mark.parametrize(("instant", "is_open"), [
    ("2026-06-06T09:00:00+02:00", True),   # Saturday, the first instant of the range
    ("2026-06-06T08:59:59+02:00", False),
    ("2026-06-06T11:59:59.999999+02:00", True),
    ("2026-06-06T12:00:00+02:00", False),  # the end is exclusive
    ("2026-06-07T21:59:00+02:00", True),   # Sunday evening
    ("2026-06-07T22:00:00+02:00", False),
    ("2026-06-08T10:00:00+02:00", False),  # Monday
    ("2026-06-06T07:30:00Z", True),        # 09:30 in Paris
    ("2026-06-06T10:30:00Z", False),       # 12:30 in Paris
    ("2026-12-05T08:30:00Z", True),        # winter: 09:30+01:00
    ("2026-12-05T07:30:00Z", False),       # winter: 08:30+01:00
])
def test_open_instants(instant: str, is_open: bool) -> None:
    assert ISSUE.is_open(utc(instant)) is is_open


def test_a_range_past_midnight_belongs_to_the_day_it_starts() -> None:
    friday_night = Schedule.of(("fri",), ("22:00-02:00",), PARIS)
    assert friday_night.is_open(utc("2026-06-05T22:00:00+02:00"))  # Friday
    assert friday_night.is_open(utc("2026-06-06T01:59:59+02:00"))  # Saturday morning
    assert not friday_night.is_open(utc("2026-06-06T02:00:00+02:00"))
    assert not friday_night.is_open(utc("2026-06-05T01:00:00+02:00"))  # Friday morning
    assert friday_night.next_opening(utc("2026-06-06T03:00:00+02:00")) == \
        utc("2026-06-12T22:00:00+02:00")


def test_spring_forward_in_paris() -> None:
    # 2026-03-29: at 02:00+01:00 (01:00Z) the clocks go to 03:00+02:00
    gap = Schedule.of(("sun",), ("02:00-02:30",), PARIS)
    assert not gap.is_open(utc("2026-03-29T01:00:00Z"))  # 03:00+02:00
    # the range never opens that day: the next opening is a week later
    assert gap.next_opening(utc("2026-03-29T00:30:00Z")) == utc("2026-04-05T02:00:00+02:00")
    across = Schedule.of(("sun",), ("01:30-02:30",), PARIS)
    assert across.next_opening(utc("2026-03-29T00:00:00Z")) == utc("2026-03-29T00:30:00Z")
    assert across.is_open(utc("2026-03-29T00:59:59Z"))
    assert not across.is_open(utc("2026-03-29T01:00:00Z"))  # open half an hour only
    # a range starting in the gap opens when the clocks jump into it
    late = Schedule.of(("sun",), ("02:30-04:00",), PARIS)
    assert late.next_opening(utc("2026-03-29T00:00:00Z")) == utc("2026-03-29T01:00:00Z")


def test_fall_back_in_paris() -> None:
    # 2026-10-25: at 03:00+02:00 (01:00Z) the clocks go back to 02:00+01:00
    twice = Schedule.of(("sun",), ("02:15-02:45",), PARIS)
    assert twice.is_open(utc("2026-10-25T00:15:00Z"))
    assert not twice.is_open(utc("2026-10-25T00:45:00Z"))
    assert twice.next_opening(utc("2026-10-25T00:45:00Z")) == utc("2026-10-25T01:15:00Z")
    assert twice.is_open(utc("2026-10-25T01:44:59Z"))
    long_night = Schedule.of(("sun",), ("01:00-04:00",), PARIS)
    opens = long_night.next_opening(utc("2026-10-24T12:00:00Z"))
    assert opens == utc("2026-10-24T23:00:00Z")
    assert long_night.is_open(utc("2026-10-25T02:59:59Z"))  # four hours: 23:00Z to 03:00Z
    assert not long_night.is_open(utc("2026-10-25T03:00:00Z"))


def test_lord_howe_half_hour_changes() -> None:
    # 2026-04-05: 02:00+11:00 goes back to 01:30+10:30; 2026-10-04: 02:00+10:30 to 02:30+11:00
    back = Schedule.of(("sun",), ("01:40-01:50",), LORD_HOWE)
    first = back.next_opening(utc("2026-04-04T12:00:00Z"))
    assert first == utc("2026-04-05T01:40:00+11:00")
    assert back.next_opening(utc("2026-04-05T01:50:00+11:00")) == \
        utc("2026-04-05T01:40:00+10:30")
    skipped = Schedule.of(("sun",), ("02:00-02:20",), LORD_HOWE)
    assert skipped.next_opening(utc("2026-10-04T01:00:00+10:30")) == \
        utc("2026-10-11T02:00:00+11:00")
    into = Schedule.of(("sun",), ("02:10-03:00",), LORD_HOWE)
    assert into.next_opening(utc("2026-10-04T01:00:00+10:30")) == utc("2026-10-03T15:30:00Z")


def test_next_opening_respects_until() -> None:
    at = utc("2026-06-03T10:00:00+02:00")  # a Wednesday
    assert ISSUE.next_opening(at, utc("2026-06-06T09:00:00+02:00")) is None
    assert ISSUE.next_opening(at, utc("2026-06-06T09:00:01+02:00")) == \
        utc("2026-06-06T09:00:00+02:00")
    assert ISSUE.describe() == "sat, sun 09:00-12:00, 18:00-22:00"
    assert Schedule.of(None, ("17:00-19:00",), PARIS).describe() == "every day 17:00-19:00"


# ------------------------------------------------------------------ properties

ZONES = [PARIS, LORD_HOWE, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"),
         ZoneInfo("UTC"), ZoneInfo("America/Santiago")]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    # ranges on a quarter-hour grid, sharing no minute of the clock
    ranges: list[HourRange] = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, 95)) * 15
        length = draw(st.integers(1, 40)) * 15
        end = (start + length) % 1440 or (1440 if start + length == 1440 else 0)
        candidate = HourRange(start, end if end else 1440)
        try:
            check_ranges([*ranges, candidate])
        except ScheduleError:
            continue
        ranges.append(candidate)
    return Schedule(tuple(days), tuple(ranges), draw(st.sampled_from(ZONES)))


INSTANTS = st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2035, 1, 1),
                        timezones=st.just(UTC))
MINUTE = dt.timedelta(minutes=1)


def plainly_open(schedule: Schedule, instant: dt.datetime) -> bool:
    """The definition, read plainly: the local day and wall time lie in a range."""
    wall = instant.astimezone(schedule.zone)
    minutes = wall.hour * 60 + wall.minute + (wall.second + wall.microsecond / 1e6) / 60
    today, yesterday = WEEKDAYS[wall.weekday()], WEEKDAYS[(wall.weekday() - 1) % 7]
    for hours in schedule.ranges:
        if not hours.wraps:
            if today in schedule.days and hours.start <= minutes < hours.end:
                return True
        elif (today in schedule.days and minutes >= hours.start) or \
                (yesterday in schedule.days and minutes < hours.end):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(schedules(), INSTANTS)
def test_an_instant_is_open_iff_its_local_day_and_time_match(schedule: Schedule,
                                                             instant: dt.datetime) -> None:
    assert schedule.is_open(instant) == plainly_open(schedule, instant)


@settings(max_examples=60, deadline=None)
@given(schedules(), INSTANTS, st.one_of(st.none(), st.integers(1, 20 * 24 * 60)))
def test_the_next_opening_is_open_and_nothing_before_it_is(
        schedule: Schedule, instant: dt.datetime, until_minutes: int | None) -> None:
    until = None if until_minutes is None else instant + until_minutes * MINUTE
    opening = schedule.next_opening(instant, until)
    end = opening if opening is not None else until
    if opening is not None:
        assert schedule.is_open(opening)
        assert until is None or opening < until
        assert opening == instant or not schedule.is_open(opening - dt.timedelta(microseconds=1))
    assert end is not None  # a schedule with a range opens within weeks
    # nothing open before it: every whole minute between (boundaries fall on whole
    # minutes of UTC in these zones), and the instant itself
    probe = instant
    while probe < end:
        assert not schedule.is_open(probe), probe
        probe = (probe + MINUTE).replace(second=0, microsecond=0)
