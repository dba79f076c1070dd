"""Business time and calendar windows: what a ``calendar`` record means in time.

It owns business hours, holidays, freezes, maintenance and peak windows, the
business-time arithmetic of SLA clocks, and which calendar a repository uses.
python-dateutil's rrule lives here and nowhere else; the ``holidays`` library behind
:mod:`opsascode.countries`.

Every datetime going in must be timezone-aware and every datetime coming out is in
UTC: Python compares and subtracts two datetimes that share a zoneinfo tzinfo as
wall-clock times, which is wrong by an hour across a DST change.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulebase, rrulestr

from opsascode.countries import public_holidays
from opsascode.errors import UsageError
from opsascode.records.assets import AssetBase, Service
from opsascode.records.policies import Calendar, Freeze, Holidays, RecurringWindow, Scope
from opsascode.repository import Repository

if TYPE_CHECKING:
    import holidays

Interval = tuple[datetime, datetime]
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = timedelta(days=1)
_NOTHING = timedelta(0)
#: ``add_business_time`` gives up after this many days in a row without business time.
_MAX_IDLE_DAYS = 3660
_SUB_HOURLY = re.compile(r"FREQ=(SECONDLY|MINUTELY)")


def utc(value: datetime, what: str = "time") -> datetime:
    """``value`` in UTC; a naive datetime is refused (its meaning depends on a zone)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value.isoformat()} has no timezone; calendar "
                         "arithmetic needs timezone-aware datetimes")
    return value.astimezone(UTC)


def scope_matches(scope: Scope, asset: AssetBase) -> bool:
    """Whether ``asset`` meets every non-empty list of ``scope`` (an empty scope: all)."""
    criteria: tuple[tuple[Sequence[object], object], ...] = (
        (scope.assets, asset.id), (scope.kinds, asset.kind),
        (scope.environments, asset.environment), (scope.tiers, asset.tier))
    return all(not allowed or value in allowed for allowed, value in criteria)


# Pure and up to a millisecond (dateutil parses the rule); validate and the audit's
# replay of the gate ask it again for every revision of the same calendar.
@lru_cache(maxsize=1024)
def rrule_error(rule: str, start: datetime) -> str | None:
    """Why an RFC 5545 recurrence rule anchored at ``start`` is unusable, or None:
    it does not parse, recurs more often than hourly, or never occurs."""
    if _SUB_HOURLY.search(rule.upper()):
        return "windows recur at most hourly (FREQ=HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY)"
    try:
        parsed = rrulestr(rule, dtstart=utc(start, "window start"))
        if getattr(parsed, "_interval", 1) < 1:
            return "INTERVAL must be a positive number"
        if parsed.after(utc(start, "window start"), inc=True) is None:
            return "it never occurs"
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        return str(exc) or "cannot parse it"
    return None


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Intervals in UTC, sorted, with overlapping and touching ones merged."""
    merged: list[Interval] = []
    for start, end in sorted((utc(a), utc(b)) for a, b in intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif start < end:
            merged.append((start, end))
    return merged


class BusinessCalendar:
    """A calendar record put to work; ``None`` is the built-in 24x7 calendar in UTC.

    Without ``business_hours`` every moment is business time, holidays included: a
    24x7 clock never stops. Business hours belong to the day they start on, so a
    night shift (``start: "22:00"``, ``end: "06:00"``) on a holiday does not run.
    """

    def __init__(self, calendar: Calendar | None = None) -> None:
        self.record = calendar
        self.id = calendar.id if calendar is not None else "24x7"
        self.zone = ZoneInfo(calendar.timezone if calendar is not None else "UTC")
        self.business_hours = calendar.business_hours if calendar is not None else None
        self.freezes: tuple[Freeze, ...] = tuple(calendar.freeze) if calendar else ()
        self.maintenance: tuple[RecurringWindow, ...] = (
            tuple(calendar.maintenance) if calendar else ())
        self.peaks: tuple[RecurringWindow, ...] = tuple(calendar.peak) if calendar else ()
        days_off = calendar.holidays if calendar is not None else Holidays()
        self._days_off = days_off
        self._extra = frozenset(days_off.extra)
        self._removed = frozenset(days_off.removed)
        self._days: dict[date, tuple[Interval, ...]] = {}
        self._rules: dict[tuple[str, datetime], rrulebase | None] = {}

    @cached_property
    def _public(self) -> holidays.HolidayBase | None:
        """The public holidays of the calendar's country, if it names one (the
        holidays library is loaded when a day is first looked up: plans and the
        audit's replays mostly never ask)."""
        return _public_holidays(self._days_off)

    @property
    def is_24x7(self) -> bool:
        return self.business_hours is None

    # ------------------------------------------------------------- business time

    def is_holiday(self, day: date) -> bool:
        """A public holiday (country and subdivision) or a company one, unless worked."""
        if day in self._removed:
            return False
        return day in self._extra or (self._public is not None and day in self._public)

    def is_business_time(self, moment: datetime) -> bool:
        moment = utc(moment)
        return self.is_24x7 or any(
            True for _ in self._business_intervals(moment, moment + timedelta.resolution))

    def business_overlap(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) is business time."""
        start, end = utc(start, "start"), utc(end, "end")
        if end <= start:
            return _NOTHING
        if self.is_24x7:
            return end - start
        return sum((min(b, end) - max(a, start)
                    for a, b in self._business_intervals(start, end)), _NOTHING)

    def overlaps_business_hours(self, start: datetime, end: datetime) -> bool:
        start, end = utc(start, "start"), utc(end, "end")
        if end <= start:
            return False
        return self.is_24x7 or any(True for _ in self._business_intervals(start, end))

    def business_duration(self, start: datetime, end: datetime,
                          pauses: Sequence[tuple[datetime, datetime]] = ()) -> timedelta:
        """Business time in [start, end) outside the pauses (overlapping pauses count once)."""
        start, end = utc(start, "start"), utc(end, "end")
        total = self.business_overlap(start, end)
        for pause_start, pause_end in merge_intervals(pauses):
            total -= self.business_overlap(max(pause_start, start), min(pause_end, end))
        return total

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """When a clock of ``duration`` business time that starts at ``start`` runs out."""
        start = utc(start, "start")
        if duration < _NOTHING:
            raise ValueError(f"a clock cannot run for a negative duration ({duration})")
        if self.is_24x7 or duration == _NOTHING:
            return start + duration
        remaining, idle = duration, 0
        day = start.astimezone(self.zone).date() - _DAY
        while idle <= _MAX_IDLE_DAYS:
            intervals = [(max(a, start), b) for a, b in self._day(day) if b > start]
            for a, b in intervals:
                if remaining <= b - a:
                    return a + remaining
                remaining -= b - a
            idle = 0 if intervals else idle + 1
            day += _DAY
        raise ValueError(f"calendar {self.id!r} has no business time for "
                         f"{_MAX_IDLE_DAYS} days after {start.isoformat()}")

    def _business_intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        # Walk day by day (never minute by minute); the day before counts too, as its
        # hours may run past midnight.
        day = start.astimezone(self.zone).date() - _DAY
        last = end.astimezone(self.zone).date()
        while day <= last:
            for a, b in self._day(day):
                if a < end and start < b:
                    yield a, b
            day += _DAY

    def _day(self, day: date) -> tuple[Interval, ...]:
        if day not in self._days:
            self._days[day] = self._compute_day(day)
        return self._days[day]

    def _compute_day(self, day: date) -> tuple[Interval, ...]:
        hours = self.business_hours
        if hours is None or _WEEKDAYS[day.weekday()] not in hours.days or self.is_holiday(day):
            return ()
        opens, closes = _minutes(hours.start), _minutes(hours.end)
        if closes <= opens:  # a night shift, ending the next day
            closes += 24 * 60
        midnight = datetime(day.year, day.month, day.day)
        return ((self._localise(midnight + timedelta(minutes=opens)),
                 self._localise(midnight + timedelta(minutes=closes))),)

    def _localise(self, wall_clock: datetime) -> datetime:
        # fold=0: an ambiguous time is its first occurrence, a time in the spring
        # gap moves forward by the gap (02:30 becomes 03:30).
        return wall_clock.replace(tzinfo=self.zone).astimezone(UTC)

    # --------------------------------------------------------------- windows

    def occurrences(self, window: RecurringWindow, start: datetime,
                    end: datetime) -> list[Interval]:
        """Occurrences of ``window`` that intersect [start, end), in UTC, sorted.

        A recurring window's occurrences keep the wall-clock time of its first one in
        the calendar's timezone (Sunday 02:00 stays 02:00 across DST) and last
        ``duration`` on the wall clock: on the night of a DST change an occurrence
        is an hour shorter or longer. A rule that does not parse (``validate``
        reports it) has no occurrences.
        """
        start, end = utc(start, "start"), utc(end, "end")
        if window.rrule is not None and window.duration is not None:
            found = self._recurrences(window.rrule, window.start, window.duration, start, end)
        elif window.end is not None:
            found = [(utc(window.start), utc(window.end))]
        else:
            found = []
        return [(a, b) for a, b in found if a < end and start < b]

    def _recurrences(self, text: str, anchor: datetime, duration: timedelta,
                     start: datetime, end: datetime) -> list[Interval]:
        rule = self._rule(text, anchor)
        if rule is None:
            return []
        # The wall-clock length differs from the elapsed one by a DST shift at most.
        firsts = rule.between(start - duration - _DAY, end, inc=True)
        return [(utc(first), self._localise(first.replace(tzinfo=None) + duration))
                for first in firsts]

    def _rule(self, text: str, anchor: datetime) -> rrulebase | None:
        # dateutil builds each occurrence from local date and clock fields and attaches
        # the anchor's tzinfo, so an anchor in the calendar's zoneinfo gives wall-clock
        # occurrences that zoneinfo resolves; unlike naive expansion this also accepts
        # the UNTIL=...Z form that RFC 5545 requires with a zoned DTSTART.
        key = (text, anchor)
        if key not in self._rules:
            try:
                self._rules[key] = rrulestr(text, dtstart=utc(anchor).astimezone(self.zone),
                                            cache=True)
            except (ValueError, TypeError):
                self._rules[key] = None
        return self._rules[key]

    def freezes_overlapping(self, start: datetime, end: datetime,
                            asset: AssetBase | None = None) -> list[Freeze]:
        """Freezes overlapping [start, end) (that apply to ``asset``, when given)."""
        start, end = utc(start, "start"), utc(end, "end")
        found = [f for f in self.freezes
                 if utc(f.start) < end and start < utc(f.end)
                 and (asset is None or scope_matches(f.applies_to, asset))]
        return sorted(found, key=lambda f: (utc(f.start), f.name))

    def maintenance_for(self, asset: AssetBase) -> list[RecurringWindow]:
        """The windows ``asset`` names in ``maintenance_windows``; if it names none,
        the windows whose scope matches it (an empty scope matches every asset)."""
        return _applicable(self.maintenance, asset.maintenance_windows, asset)

    def inside_maintenance(self, start: datetime, end: datetime,
                           asset: AssetBase) -> bool | None:
        """True when [start, end) lies inside one occurrence of a maintenance window of
        ``asset``; None when no maintenance window applies to the asset at all."""
        windows = self.maintenance_for(asset)
        if not windows:
            return None
        start, end = utc(start, "start"), utc(end, "end")
        return any(a <= start and end <= b
                   for window in windows for a, b in self.occurrences(window, start, end))

    def peaks_overlapping(self, start: datetime, end: datetime,
                          service: AssetBase) -> list[RecurringWindow]:
        """Peak windows of ``service`` (named in ``peak_hours``, else by scope) that
        have an occurrence overlapping [start, end)."""
        names = service.peak_hours if isinstance(service, Service) else []
        return [w for w in _applicable(self.peaks, names, service)
                if self.occurrences(w, start, end)]


def _applicable(windows: Iterable[RecurringWindow], names: Sequence[str],
                asset: AssetBase) -> list[RecurringWindow]:
    if names:
        chosen = [w for w in windows if w.name in names]
    else:
        chosen = [w for w in windows if scope_matches(w.applies_to, asset)]
    return sorted(chosen, key=lambda w: w.name)


def _public_holidays(days_off: Holidays) -> holidays.HolidayBase | None:
    return public_holidays(days_off.country, days_off.subdivision) if days_off.country else None


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def calendar_for(repo: Repository, calendar_id: str | None = None) -> BusinessCalendar:
    """The calendar to reckon business time with.

    The rule: the calendar named ``calendar_id`` (an unknown id is a usage error);
    else the calendar with id ``business``; else the first calendar, by id, that has
    business hours; else the first calendar by id (24x7, but with its freezes and
    windows); else the built-in 24x7 calendar in UTC with no holidays.
    """
    calendars = sorted(repo.calendars(), key=lambda c: c.id)
    if calendar_id is not None:
        chosen = repo.get(calendar_id, Calendar)
        if chosen is None:
            known = [c.id for c in calendars]
            close = difflib.get_close_matches(calendar_id, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{calendar_id!r} is not a calendar id{hint}; calendars are: "
                             f"{', '.join(known) or 'none'}")
        return _working(chosen)
    by_id = {c.id: c for c in calendars}
    with_hours = [c for c in calendars if c.business_hours is not None]
    candidates = with_hours or calendars
    return _working(by_id.get("business", candidates[0] if candidates else None))


def _working(record: Calendar | None) -> BusinessCalendar:
    """The calendar put to work, once per record (revisions loaded one after the other
    share the records of the files that did not change: the audit's replay of the gate
    asks for the same calendar at every merge, and its rules and days are worked out
    once)."""
    found = _WORKING.get(id(record))
    if found is None or found[0] is not record:
        if len(_WORKING) >= 64:
            _WORKING.clear()
        found = _WORKING[id(record)] = (record, BusinessCalendar(record))
    return found[1]


#: id(record) -> (record, its calendar); the record is held, so its id stays its own.
_WORKING: dict[int, tuple[Calendar | None, BusinessCalendar]] = {}
