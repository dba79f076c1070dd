from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsascode.calendars import (
    BusinessCalendar,
    calendar_for,
    merge_intervals,
    rrule_error,
    scope_matches,
)
from opsascode.countries import answers, calendar_countries, holiday_error
from opsascode.errors import UsageError
from opsascode.loader import load
from opsascode.records import Calendar, record_adapter
from opsascode.records.assets import AssetBase
from opsascode.tree import WorkingTree
from testing.repos import MINIMAL, fresh_python, write

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def make_calendar(**fields: Any) -> Calendar:
    record = {"id": "cal", "kind": "calendar", "timezone": "Europe/Berlin", **fields}
    calendar = record_adapter().validate_python(record)
    assert isinstance(calendar, Calendar)
    return calendar


def asset(**fields: Any) -> AssetBase:
    record = record_adapter().validate_python({"owner": "team-ops", **fields})
    assert isinstance(record, AssetBase)
    return record


OFFICE = BusinessCalendar(make_calendar(
    business_hours={"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00",
                    "end": "18:00"},
    holidays={"country": "DE", "subdivision": "BE", "extra": [date(2026, 12, 24)],
              "removed": [date(2026, 5, 1)]},
))
ALWAYS = BusinessCalendar(None)
SUNDAY_NIGHTS = {"name": "weekly-sunday", "start": "2026-01-04T02:00:00+01:00",
                 "rrule": "FREQ=WEEKLY;BYDAY=SU", "duration": "4h"}
DB_TUESDAY = {"name": "database-tuesday", "start": "2026-01-06T22:00:00+01:00",
              "rrule": "FREQ=WEEKLY;BYDAY=TU", "duration": "3h",
              "applies_to": {"kinds": ["database"]}}

# ------------------------------------------------------------------ holidays


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 12, 25), True),   # Christmas Day, nationwide
    (date(2026, 4, 3), True),     # Good Friday
    (date(2027, 3, 8), True),     # International Women's Day: Berlin only (a Monday)
    (date(2026, 1, 6), False),    # Epiphany: Bavaria, not Berlin
    (date(2026, 6, 4), False),    # Corpus Christi: not Berlin
    (date(2026, 12, 24), True),   # extra: office closed
    (date(2026, 5, 1), False),    # removed: Labour Day is worked
    (date(2026, 3, 10), False),
])
def test_holidays_of_berlin_plus_extra_minus_removed(day: date, expected: bool) -> None:
    assert OFFICE.is_holiday(day) is expected


def test_subdivision_decides_regional_holidays() -> None:
    bavaria = BusinessCalendar(make_calendar(holidays={"country": "DE", "subdivision": "BY"}))
    germany = BusinessCalendar(make_calendar(holidays={"country": "DE"}))
    assert bavaria.is_holiday(date(2026, 1, 6)) and not bavaria.is_holiday(date(2027, 3, 8))
    assert not germany.is_holiday(date(2027, 3, 8))
    assert germany.is_holiday(date(2026, 10, 3))


def test_holiday_error_names_unknown_countries_and_subdivisions() -> None:
    assert holiday_error("DE", "BE") is None
    assert "not a supported" in (holiday_error("XX", None) or "")
    assert "not a subdivision of DE" in (holiday_error("DE", "ZZ") or "")
    # Such a calendar still loads (validate reports it); it has no public holidays.
    unknown = BusinessCalendar(make_calendar(holidays={"country": "XX"}))
    assert not unknown.is_holiday(date(2026, 12, 25))

# -------------------------------------------------------------- business time


@pytest.mark.parametrize(("moment", "expected"), [
    (berlin(2026, 3, 10, 9, 0), True),
    (berlin(2026, 3, 10, 8, 59), False),
    (berlin(2026, 3, 10, 17, 59), True),
    (berlin(2026, 3, 10, 18, 0), False),     # the end is not business time
    (berlin(2026, 3, 14, 12, 0), False),     # Saturday
    (berlin(2027, 3, 8, 12, 0), False),      # Berlin holiday on a Monday
    (berlin(2026, 5, 1, 12, 0), True),       # removed holiday
    (z(2026, 3, 30, 7, 0), True),            # 09:00 summer time
    (z(2026, 3, 30, 6, 59), False),
    (z(2026, 3, 27, 8, 0), True),            # 09:00 winter time
    (z(2026, 3, 27, 7, 59), False),
])
def test_business_time_is_local_to_the_calendar(moment: datetime, expected: bool) -> None:
    assert OFFICE.is_business_time(moment) is expected


def test_a_calendar_without_business_hours_is_24x7_holidays_included() -> None:
    assert ALWAYS.is_24x7 and ALWAYS.zone.key == "UTC"
    assert ALWAYS.is_business_time(z(2026, 12, 25, 3, 0))
    with_holidays = BusinessCalendar(make_calendar(holidays={"country": "DE"}))
    assert with_holidays.is_business_time(berlin(2026, 12, 25, 3, 0))
    assert with_holidays.is_holiday(date(2026, 12, 25))


def test_overlap_across_midnight() -> None:
    assert OFFICE.business_overlap(berlin(2026, 3, 9, 17), berlin(2026, 3, 10, 10)) == 2 * H
    assert OFFICE.overlaps_business_hours(berlin(2026, 3, 9, 17), berlin(2026, 3, 10, 10))
    assert not OFFICE.overlaps_business_hours(berlin(2026, 3, 9, 20), berlin(2026, 3, 10, 8))
    assert OFFICE.business_overlap(berlin(2026, 3, 10, 8), berlin(2026, 3, 9, 20)) == 0 * H


def test_overlap_skips_holidays_and_weekends() -> None:
    assert OFFICE.business_overlap(berlin(2026, 12, 25, 10), berlin(2026, 12, 25, 12)) == 0 * H
    # Wed 17:00 .. Mon 10:00: Thu 24 (extra), Fri 25 (Christmas), the weekend are off.
    assert OFFICE.business_overlap(berlin(2026, 12, 23, 17), berlin(2026, 12, 28, 10)) == 2 * H
    assert not OFFICE.overlaps_business_hours(berlin(2026, 12, 24, 0), berlin(2026, 12, 28, 9))


def test_business_duration_across_nights_and_weekends() -> None:
    friday, monday = berlin(2026, 3, 13, 16), berlin(2026, 3, 16, 11)
    assert OFFICE.business_duration(friday, monday) == 4 * H
    assert ALWAYS.business_duration(friday, monday) == 67 * H


def test_business_duration_across_the_dst_weekends() -> None:
    assert OFFICE.business_duration(berlin(2026, 3, 27, 9), berlin(2026, 3, 30, 18)) == 18 * H
    assert OFFICE.business_duration(berlin(2026, 10, 23, 9), berlin(2026, 10, 26, 18)) == 18 * H
    night = BusinessCalendar(make_calendar())
    assert night.business_duration(berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 6)) == 5 * H
    assert night.business_duration(berlin(2026, 10, 25, 0), berlin(2026, 10, 25, 6)) == 7 * H


def test_business_duration_without_pauses() -> None:
    friday, monday = berlin(2026, 3, 13, 16), berlin(2026, 3, 16, 11)
    pauses = [(berlin(2026, 3, 13, 17), berlin(2026, 3, 16, 10))]
    assert OFFICE.business_duration(friday, monday, pauses) == 2 * H
    overlapping = [(berlin(2026, 3, 13, 16, 30), berlin(2026, 3, 13, 17, 30)),
                   (berlin(2026, 3, 13, 17), berlin(2026, 3, 13, 18))]
    assert OFFICE.business_duration(friday, monday, overlapping) == 2.5 * H
    outside = [(berlin(2026, 3, 1, 0), berlin(2026, 3, 2, 12))]
    assert OFFICE.business_duration(friday, monday, outside) == 4 * H
    assert ALWAYS.business_duration(friday, monday, pauses) == 2 * H


def test_business_duration_over_years_is_fast() -> None:
    start = berlin(2026, 1, 1)
    total = OFFICE.business_duration(start, berlin(2036, 1, 1))
    assert timedelta(days=900) < total < timedelta(days=960)


def test_merge_intervals() -> None:
    a, b, c = z(2026, 1, 1, 1), z(2026, 1, 1, 2), z(2026, 1, 1, 3)
    assert merge_intervals([(b, c), (a, b), (c, c)]) == [(a, c)]


@pytest.mark.parametrize(("start", "duration", "deadline"), [
    (berlin(2026, 3, 13, 17), 4 * H, berlin(2026, 3, 16, 12)),     # over the weekend
    (berlin(2026, 3, 14, 12), 2 * H, berlin(2026, 3, 16, 11)),     # starts on Saturday
    (berlin(2026, 3, 11, 9), 9 * H, berlin(2026, 3, 11, 18)),      # ends at closing time
    (berlin(2026, 3, 11, 6), 30 * timedelta(minutes=1), berlin(2026, 3, 11, 9, 30)),
    (berlin(2026, 12, 23, 17), 2 * H, berlin(2026, 12, 28, 10)),   # over Christmas
    (berlin(2026, 3, 27, 17), 2 * H, berlin(2026, 3, 30, 10)),     # over the DST change
    (berlin(2026, 3, 11, 20), 0 * H, berlin(2026, 3, 11, 20)),
])
def test_add_business_time(start: datetime, duration: timedelta, deadline: datetime) -> None:
    assert OFFICE.add_business_time(start, duration) == deadline


def test_add_business_time_24x7_and_refusals() -> None:
    assert ALWAYS.add_business_time(z(2026, 1, 1), 30 * H) == z(2026, 1, 2, 6)
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add_business_time(z(2026, 1, 1), -H)
    never = BusinessCalendar(make_calendar(business_hours={"days": []}))
    with pytest.raises(ValueError, match="no business time"):
        never.add_business_time(z(2026, 1, 1), H)


@settings(max_examples=150, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                          timezones=st.just(UTC)),
       minutes=st.integers(min_value=0, max_value=200 * 60))
def test_add_business_time_inverts_business_duration(start: datetime, minutes: int) -> None:
    duration = timedelta(minutes=minutes)
    deadline = OFFICE.add_business_time(start, duration)
    assert OFFICE.business_duration(start, deadline) == duration


def test_night_shifts_belong_to_the_day_they_start() -> None:
    nights = BusinessCalendar(make_calendar(business_hours={
        "days": ["mon", "tue", "wed", "thu", "fri"], "start": "22:00", "end": "06:00"}))
    assert nights.is_business_time(berlin(2026, 3, 10, 3))     # Monday's shift
    assert nights.is_business_time(berlin(2026, 3, 14, 3))     # Friday's shift, Saturday
    assert not nights.is_business_time(berlin(2026, 3, 15, 3))
    assert nights.business_overlap(berlin(2026, 3, 9), berlin(2026, 3, 10)) == 2 * H


@pytest.mark.parametrize("call", [
    lambda: OFFICE.is_business_time(datetime(2026, 3, 10, 10)),
    lambda: OFFICE.business_duration(datetime(2026, 3, 10, 10), z(2026, 3, 11)),
    lambda: OFFICE.business_duration(z(2026, 3, 10), z(2026, 3, 11),
                                     [(datetime(2026, 3, 10, 10), z(2026, 3, 11))]),
    lambda: OFFICE.add_business_time(datetime(2026, 3, 10, 10), H),
    lambda: OFFICE.freezes_overlapping(datetime(2026, 3, 10), z(2026, 3, 11)),
])
def test_naive_datetimes_are_refused(call: Any) -> None:
    with pytest.raises(ValueError, match="has no timezone"):
        call()

# -------------------------------------------------------------------- windows


def local(intervals: list[tuple[datetime, datetime]]) -> list[tuple[str, str]]:
    return [(a.astimezone(BERLIN).isoformat(), b.astimezone(BERLIN).isoformat())
            for a, b in intervals]


def test_recurring_window_keeps_local_wall_clock_across_dst() -> None:
    calendar = BusinessCalendar(make_calendar(maintenance=[SUNDAY_NIGHTS]))
    window = calendar.maintenance[0]
    spring = calendar.occurrences(window, berlin(2026, 3, 20), berlin(2026, 4, 10))
    assert local(spring) == [
        ("2026-03-22T02:00:00+01:00", "2026-03-22T06:00:00+01:00"),
        ("2026-03-29T03:00:00+02:00", "2026-03-29T06:00:00+02:00"),  # 02:00 does not exist
        ("2026-04-05T02:00:00+02:00", "2026-04-05T06:00:00+02:00"),
    ]
    autumn = calendar.occurrences(window, berlin(2026, 10, 24), berlin(2026, 11, 2))
    assert local(autumn) == [
        ("2026-10-25T02:00:00+02:00", "2026-10-25T06:00:00+01:00"),  # five hours
        ("2026-11-01T02:00:00+01:00", "2026-11-01T06:00:00+01:00"),
    ]
    assert all(a.tzinfo is UTC for a, _ in spring)


def test_occurrences_intersect_the_period() -> None:
    calendar = BusinessCalendar(make_calendar(maintenance=[SUNDAY_NIGHTS]))
    window = calendar.maintenance[0]
    # An occurrence that started before the period still counts.
    found = calendar.occurrences(window, berlin(2026, 3, 22, 5), berlin(2026, 3, 22, 7))
    assert local(found) == [("2026-03-22T02:00:00+01:00", "2026-03-22T06:00:00+01:00")]
    assert calendar.occurrences(window, berlin(2026, 3, 22, 6), berlin(2026, 3, 28)) == []
    assert calendar.occurrences(window, berlin(2025, 1, 1), berlin(2026, 1, 1)) == []


def test_one_off_windows_count_and_until() -> None:
    calendar = BusinessCalendar(make_calendar(maintenance=[
        {"name": "once", "start": "2026-06-01T20:00:00+02:00",
         "end": "2026-06-02T02:00:00+02:00"},
        {"name": "three", "start": "2026-06-01T20:00:00+02:00", "rrule": "FREQ=DAILY;COUNT=3",
         "duration": "1h"},
        {"name": "january", "start": "2026-01-04T02:00:00+01:00",
         "rrule": "FREQ=WEEKLY;BYDAY=SU;UNTIL=20260201T000000Z", "duration": "1h"},
    ]))
    once, three, january = calendar.maintenance
    year = (z(2026, 1, 1), z(2027, 1, 1))
    assert local(calendar.occurrences(once, *year)) == [
        ("2026-06-01T20:00:00+02:00", "2026-06-02T02:00:00+02:00")]
    assert calendar.occurrences(once, z(2026, 6, 1, 23), z(2026, 6, 3)) != []
    assert calendar.occurrences(once, z(2026, 6, 2, 0), z(2026, 6, 3)) == []  # ended at 02:00
    assert len(calendar.occurrences(three, *year)) == 3
    assert [a.day for a, _ in calendar.occurrences(january, *year)] == [4, 11, 18, 25]


def test_a_broken_rule_has_no_occurrences() -> None:
    broken = {"name": "broken", "start": "2026-01-04T02:00:00+01:00",
              "rrule": "FREQ=SOMETIMES", "duration": "1h"}
    calendar = BusinessCalendar(make_calendar(maintenance=[broken]))
    assert calendar.occurrences(calendar.maintenance[0], z(2026, 1, 1), z(2027, 1, 1)) == []
    assert rrule_error("FREQ=SOMETIMES", z(2026, 1, 1)) is not None
    assert rrule_error("FREQ=WEEKLY;BYDAY=SU", z(2026, 1, 1)) is None


PROD_DB = asset(id="db-1", kind="database", environment="production")
STAGING_DB = asset(id="db-2", kind="database", environment="staging")
PROD_SERVICE = asset(id="svc", kind="service", tier=0, sla="gold")
FREEZES = BusinessCalendar(make_calendar(freeze=[
    {"name": "year-end", "start": "2026-12-18T00:00:00+01:00",
     "end": "2027-01-04T00:00:00+01:00", "applies_to": {"environments": ["production"]}},
    {"name": "everything", "start": "2026-12-24T00:00:00+01:00",
     "end": "2026-12-27T00:00:00+01:00"},
    {"name": "tier-0-databases", "start": "2026-11-27T00:00:00+01:00",
     "end": "2026-12-01T00:00:00+01:00", "applies_to": {"kinds": ["service"], "tiers": [0]}},
]))


def freeze_names(start: datetime, end: datetime, target: AssetBase | None) -> list[str]:
    return [f.name for f in FREEZES.freezes_overlapping(start, end, target)]


def test_freezes_apply_by_scope() -> None:
    christmas = (berlin(2026, 12, 24, 22), berlin(2026, 12, 24, 23))
    assert freeze_names(*christmas, PROD_DB) == ["year-end", "everything"]
    assert freeze_names(*christmas, STAGING_DB) == ["everything"]
    assert freeze_names(*christmas, None) == ["year-end", "everything"]
    black_friday = (berlin(2026, 11, 28, 2), berlin(2026, 11, 28, 3))
    assert freeze_names(*black_friday, PROD_SERVICE) == ["tier-0-databases"]
    assert freeze_names(*black_friday, PROD_DB) == []
    # The freeze ends at midnight: a window starting then is free.
    assert freeze_names(berlin(2027, 1, 4), berlin(2027, 1, 4, 2), PROD_DB) == []
    assert freeze_names(berlin(2027, 1, 3, 23), berlin(2027, 1, 4, 2), PROD_DB) == ["year-end"]


def test_scope_lists_must_all_match() -> None:
    scope = FREEZES.freezes[2].applies_to
    assert scope_matches(scope, PROD_SERVICE)
    assert not scope_matches(scope, asset(id="svc-2", kind="service", tier=1, sla="x"))
    assert scope_matches(FREEZES.freezes[1].applies_to, STAGING_DB)


MAINTAINED = BusinessCalendar(make_calendar(maintenance=[
    SUNDAY_NIGHTS | {"applies_to": {"environments": ["production"]}},
    DB_TUESDAY,
    {"name": "anything-goes", "start": "2026-06-01T00:00:00+02:00",
     "end": "2026-06-02T00:00:00+02:00", "applies_to": {"environments": ["test"]}},
]))


def test_maintenance_for_names_first_then_scope() -> None:
    assert [w.name for w in MAINTAINED.maintenance_for(PROD_DB)] == [
        "database-tuesday", "weekly-sunday"]
    named = asset(id="db-3", kind="database", maintenance_windows=["weekly-sunday"])
    assert [w.name for w in MAINTAINED.maintenance_for(named)] == ["weekly-sunday"]
    assert MAINTAINED.maintenance_for(asset(id="app", kind="application",
                                            environment="staging")) == []
    everywhere = BusinessCalendar(make_calendar(maintenance=[SUNDAY_NIGHTS]))
    assert len(everywhere.maintenance_for(STAGING_DB)) == 1


def test_inside_maintenance_window_across_midnight() -> None:
    tuesday = (berlin(2026, 12, 1, 23), berlin(2026, 12, 2, 0, 30))
    assert MAINTAINED.inside_maintenance(*tuesday, STAGING_DB) is True
    partly = (berlin(2026, 12, 1, 23), berlin(2026, 12, 2, 1, 30))
    assert MAINTAINED.inside_maintenance(*partly, STAGING_DB) is False
    wednesday = (berlin(2026, 12, 2, 23), berlin(2026, 12, 3, 0, 30))
    assert MAINTAINED.inside_maintenance(*wednesday, STAGING_DB) is False
    nothing_applies = asset(id="app", kind="application", environment="staging")
    assert MAINTAINED.inside_maintenance(*tuesday, nothing_applies) is None


def test_inside_maintenance_window_on_the_dst_night() -> None:
    # 03:00-06:00 summer time is the whole of the shortened window.
    sunday = (berlin(2026, 3, 29, 3), berlin(2026, 3, 29, 6))
    assert MAINTAINED.inside_maintenance(*sunday, PROD_DB) is True
    early = (z(2026, 3, 29, 0, 30), z(2026, 3, 29, 2))
    assert MAINTAINED.inside_maintenance(*early, PROD_DB) is False


def test_peaks_by_name_or_scope() -> None:
    calendar = BusinessCalendar(make_calendar(peak=[
        {"name": "black-friday", "start": "2026-11-27T00:00:00+01:00",
         "end": "2026-12-01T00:00:00+01:00"},
        {"name": "lunch", "start": "2026-01-05T11:30:00+01:00",
         "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "duration": "2h"},
    ]))
    lunch_service = asset(id="svc-food", kind="service", tier=2, peak_hours=["lunch"])
    monday_noon = (berlin(2026, 11, 30, 12), berlin(2026, 11, 30, 13))
    assert [w.name for w in calendar.peaks_overlapping(*monday_noon, PROD_SERVICE)] == [
        "black-friday", "lunch"]
    assert [w.name for w in calendar.peaks_overlapping(*monday_noon, lunch_service)] == [
        "lunch"]
    summer_night = (berlin(2026, 7, 1, 2), berlin(2026, 7, 1, 3))
    assert calendar.peaks_overlapping(*summer_night, PROD_SERVICE) == []

# ------------------------------------------------------------- calendar_for


def repository(tmp_path: Path, calendars: str) -> Any:
    write(tmp_path, {**MINIMAL, "policies/calendars.yaml": calendars})
    repo = load(WorkingTree(tmp_path))
    assert [p for p in repo.problems if p.is_error] == []
    return repo


CALENDARS = """
    - id: a-24x7
      kind: calendar
    - id: office
      kind: calendar
      timezone: Europe/Berlin
      business_hours: {start: "08:00", end: "17:00"}
    - id: z-office
      kind: calendar
      business_hours: {}
    """


def test_calendar_for_prefers_the_named_then_business_then_hours(tmp_path: Path) -> None:
    repo = repository(tmp_path, CALENDARS)
    assert calendar_for(repo, "a-24x7").id == "a-24x7"
    assert calendar_for(repo).id == "office"
    business = repository(tmp_path, CALENDARS + "- {id: business, kind: calendar}\n")
    assert calendar_for(business).id == "business"
    with pytest.raises(UsageError, match="did you mean 'office'"):
        calendar_for(repo, "ofice")


def test_calendar_for_falls_back_to_any_calendar_then_24x7(tmp_path: Path) -> None:
    repo = repository(tmp_path, "- {id: round-the-clock, kind: calendar}\n")
    assert calendar_for(repo).id == "round-the-clock"
    (tmp_path / "policies" / "calendars.yaml").unlink()
    fallback = calendar_for(load(WorkingTree(tmp_path)))
    assert fallback.is_24x7 and fallback.record is None and fallback.zone.key == "UTC"


def test_one_country_is_loaded_not_all_of_them() -> None:
    """The holidays library would import all ~280 countries to hand out one; ours
    loads the one asked for, and gives the same days as the library's usual path."""

    probe = (
        "import sys\n"
        "from datetime import date\n"
        "from opsascode.calendars import _public_holidays\n"
        "from opsascode.countries import holiday_error\n"
        "from opsascode.records.policies import Holidays\n"
        "days = _public_holidays(Holidays(country='DE', subdivision='BE'))\n"
        "assert holiday_error('DE', 'BE') is None and holiday_error('DE', 'XX')\n"
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries.')))\n"
        "print(sorted(str(d) for d in days[date(2026, 1, 1):date(2027, 1, 1)]))\n")
    out = fresh_python(probe)
    assert out[0] == "['holidays.countries.germany']"
    import holidays

    expected = sorted(str(d) for d in holidays.country_holidays("DE", subdiv="BE")[
        date(2026, 1, 1):date(2027, 1, 1)])
    assert out[1] == str(expected)


def test_which_calendars_ask_the_holidays_library() -> None:
    documents = [
        [{"id": "a", "kind": "calendar", "holidays": {"country": "DE", "subdivision": "BE"}},
         {"id": "b", "kind": "calendar", "holidays": {"country": "FR"}},
         {"id": "c", "kind": "calendar", "holidays": {"country": ""}},
         {"id": "d", "kind": "calendar", "holidays": "DE"},
         {"id": "e", "kind": "server", "holidays": {"country": "US"}},
         "not a record"],
        {"id": "f", "kind": "calendar", "holidays": {"country": 7, "subdivision": "X"}},
        {"id": "g", "kind": "calendar"},
        None, 3, "text"]
    assert calendar_countries(documents) == {("DE", None), ("DE", "BE"), ("FR", None)}


def test_answers_from_another_process_spare_loading_the_holidays_library() -> None:
    """The audit's worker asks the library; this process remembers its answers and
    builds calendars without loading it (until a day's holidays are looked up)."""

    probe = (
        "import sys\n"
        "from datetime import date\n"
        "from opsascode import countries\n"
        "from opsascode.calendars import BusinessCalendar\n"
        "from opsascode.records.policies import Calendar\n"
        "countries.remember({('DE', 'BE'): None, ('DE', None): None})\n"
        "assert countries.holiday_error('DE', 'BE') is None\n"
        "cal = BusinessCalendar(Calendar(id='c', kind='calendar', timezone='Europe/Berlin',\n"
        "                                holidays={'country': 'DE', 'subdivision': 'BE'}))\n"
        "print('holidays' in sys.modules)\n"
        "print(cal.is_holiday(date(2026, 10, 3)), cal.is_holiday(date(2026, 10, 5)))\n"
        "print('holidays' in sys.modules)\n")
    assert fresh_python(probe) == ["False", "True False", "True"]
    assert answers([("DE", "BE"), ("XX", None)]) == {
        ("DE", "BE"): None, ("XX", None): holiday_error("XX", None)}


def test_a_calendar_record_is_put_to_work_once(tmp_path: Path) -> None:
    """Revisions that share a calendar record (loaded one after the other) share its
    working calendar, rules and days worked out once; another record gets its own."""
    write(tmp_path, MINIMAL)
    write(tmp_path, {"policies/calendars.yaml": (
        "- id: business\n  kind: calendar\n  timezone: Europe/Berlin\n"
        "  maintenance:\n    - name: sunday\n      start: 2026-01-04T02:00:00+01:00\n"
        "      duration: 2h\n      rrule: FREQ=WEEKLY;BYDAY=SU\n")})
    first = load(WorkingTree(tmp_path))
    again = load(WorkingTree(tmp_path))
    assert first.problems == [] and calendar_for(first).record is not None
    assert calendar_for(first) is calendar_for(first)
    assert calendar_for(again) is not calendar_for(first)  # another record, equal or not
    assert calendar_for(again).occurrences(calendar_for(again).maintenance[0],
                                           datetime(2026, 11, 1, tzinfo=UTC),
                                           datetime(2026, 11, 9, tzinfo=UTC)) == [
        (datetime(2026, 11, 1, 1, 0, tzinfo=UTC), datetime(2026, 11, 1, 3, 0, tzinfo=UTC)),
        (datetime(2026, 11, 8, 1, 0, tzinfo=UTC), datetime(2026, 11, 8, 3, 0, tzinfo=UTC))]

