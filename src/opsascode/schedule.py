"""The change schedule: changes with their windows, change freezes and maintenance
window occurrences in a period, as sorted events for the text and iCalendar reports.

Every value here is derived from the records alone (never from the clock), so the
same repository always gives the same schedule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from opsascode.calendars import BusinessCalendar, utc
from opsascode.records import Change
from opsascode.records.assets import AssetBase
from opsascode.records.policies import Freeze, RecurringWindow, Scope
from opsascode.repository import Repository

EventKind = Literal["change", "freeze", "maintenance"]
#: iCalendar STATUS of a change's event; cancelled changes are left out.
CHANGE_STATUS: dict[str, str] = {
    "requested": "TENTATIVE",
    "approved": "CONFIRMED",
    "scheduled": "CONFIRMED",
    "implementing": "CONFIRMED",
    "completed": "CONFIRMED",
    "failed": "CONFIRMED",  # the window was used, whatever the outcome
    "rolled_back": "CONFIRMED",
}


@dataclass(frozen=True)
class Event:
    """One entry of the schedule; times are in UTC."""

    kind: EventKind
    uid: str
    start: datetime
    end: datetime
    summary: str
    #: Deterministic DTSTAMP: when the change was requested, else when the event starts.
    stamp: datetime
    status: str
    category: str
    transparent: bool
    #: (label, value) lines of the description, in order.
    details: tuple[tuple[str, str], ...]
    #: For a change: names of the freezes its window falls in, for its targets.
    freezes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedule:
    name: str
    timezone: str
    since: date | None
    until: date | None
    events: tuple[Event, ...]

    def of_kind(self, kind: EventKind) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; None is open-ended."""

    start: datetime | None
    end: datetime | None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return ((self.start is None or self.start < end)
                and (self.end is None or start < self.end))


def report_zone(repo: Repository) -> ZoneInfo:
    """The timezone reports use (``timezone`` in ``opsascode.yaml``, checked when
    the settings are loaded)."""
    return ZoneInfo(repo.settings.timezone)


def period_of(zone: ZoneInfo, since: date | None, until: date | None) -> Period:
    """From the start of ``since`` to the end of ``until`` (both days included)."""
    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)

    return Period(midnight(since) if since else None,
                  midnight(until + timedelta(days=1)) if until else None)


def change_schedule(repo: Repository, since: date | None = None, until: date | None = None,
                    *, maintenance: bool = True) -> Schedule:
    """Every change that is not cancelled, every freeze and (with ``maintenance``)
    every maintenance window occurrence overlapping the period, sorted by start."""
    zone = report_zone(repo)
    period = period_of(zone, since, until)
    calendars = [BusinessCalendar(c) for c in sorted(repo.calendars(), key=lambda c: c.id)]
    events = [*_change_events(repo, calendars, period), *_freeze_events(calendars, period)]
    if maintenance:
        events += _maintenance_events(calendars, _finite(period, events))
    return Schedule(name=repo.settings.name or "opsascode", timezone=zone.key, since=since,
                    until=until, events=tuple(sorted(events, key=lambda e: (e.start, e.uid))))


def _change_events(repo: Repository, calendars: list[BusinessCalendar],
                   period: Period) -> Iterator[Event]:
    for change in repo.changes():
        start, end = utc(change.window.start), utc(change.window.end)
        if change.status in CHANGE_STATUS and period.overlaps(start, end):
            yield _change_event(change, _freezes_of(repo, change, calendars))


def _change_event(change: Change, freezes: tuple[str, ...]) -> Event:
    details = [("Type", change.type), ("Status", change.status),
               ("Action", f"{change.action} (expected effect: {change.effect})"),
               ("Targets", ", ".join(change.targets)), ("Team", change.team),
               ("Requester", change.requester)]
    if change.assignee:
        details.append(("Assignee", change.assignee))
    if freezes:
        details.append(("In freeze", ", ".join(freezes)))
    return Event(kind="change", uid=f"{change.id}@opsascode",
                 start=utc(change.window.start), end=utc(change.window.end),
                 summary=f"{change.id}: {change.title}",
                 stamp=utc(change.requested_at or change.window.start),
                 status=CHANGE_STATUS[change.status], category=change.type, transparent=False,
                 details=tuple(details), freezes=freezes)


def _freezes_of(repo: Repository, change: Change,
                calendars: list[BusinessCalendar]) -> tuple[str, ...]:
    # A target that is not a valid asset (validate reports it) meets every freeze.
    names: set[str] = set()
    for calendar in calendars:
        for target in change.targets:
            asset = repo.get(target, AssetBase)
            found = calendar.freezes_overlapping(change.window.start, change.window.end, asset)
            names.update(f.name for f in found)
    return tuple(sorted(names))


def _freeze_events(calendars: list[BusinessCalendar], period: Period) -> Iterator[Event]:
    for calendar in calendars:
        for freeze in calendar.freezes:
            start, end = utc(freeze.start), utc(freeze.end)
            if start < end and period.overlaps(start, end):
                yield _freeze_event(calendar.id, freeze, start, end)


def _freeze_event(calendar_id: str, freeze: Freeze, start: datetime, end: datetime) -> Event:
    details = [("Reason", freeze.reason or "not given"),
               ("Applies to", describe_scope(freeze.applies_to)), ("Calendar", calendar_id)]
    return Event(kind="freeze", uid=_window_uid("freeze", calendar_id, freeze.name, start),
                 start=start, end=end, summary=f"Change freeze: {freeze.name}", stamp=start,
                 status="CONFIRMED", category="freeze", transparent=False,
                 details=tuple(details))


def _finite(period: Period, events: list[Event]) -> Period | None:
    # Recurring windows never end: without --since/--until, the schedule's own
    # changes and freezes bound the period.
    start = period.start or min((e.start for e in events), default=None)
    end = period.end or max((e.end for e in events), default=None)
    return Period(start, end) if start is not None and end is not None else None


def _maintenance_events(calendars: list[BusinessCalendar],
                        period: Period | None) -> list[Event]:
    if period is None or period.start is None or period.end is None:
        return []
    return [_maintenance_event(calendar.id, window, start, end)
            for calendar in calendars for window in calendar.maintenance
            for start, end in calendar.occurrences(window, period.start, period.end)]


def _maintenance_event(calendar_id: str, window: RecurringWindow, start: datetime,
                       end: datetime) -> Event:
    details = [("Scope", describe_scope(window.applies_to)), ("Calendar", calendar_id)]
    if window.rrule:
        details.append(("Recurs", window.rrule))
    return Event(kind="maintenance", uid=_window_uid("maintenance", calendar_id, window.name,
                                                     start),
                 start=start, end=end, summary=f"Maintenance window: {window.name}",
                 stamp=start, status="CONFIRMED", category="maintenance", transparent=True,
                 details=tuple(details))


def describe_scope(scope: Scope) -> str:
    """``environments: production; kinds: database``, or ``all assets``."""
    lists: tuple[tuple[str, Sequence[object]], ...] = (
        ("assets", scope.assets), ("kinds", scope.kinds),
        ("environments", scope.environments), ("tiers", scope.tiers))
    parts = [f"{label}: {', '.join(str(v) for v in values)}" for label, values in lists if values]
    return "; ".join(parts) or "all assets"


def _window_uid(kind: str, calendar_id: str, name: str, start: datetime) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "window"
    return f"{kind}-{calendar_id}-{slug}-{start:%Y%m%dT%H%M%SZ}@opsascode"
