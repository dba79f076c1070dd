"""Render the change schedule: a text listing, or an iCalendar (RFC 5545) file that
calendar apps subscribe to. The ``icalendar`` library lives here and nowhere else."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, vText
from icalendar import Event as VEvent

from opsascode.schedule import Event, Schedule

PRODID = "-//opsascode//change schedule//EN"


def as_ics(schedule: Schedule) -> bytes:
    """A VCALENDAR with one VEVENT per event, times in UTC; the same schedule always
    gives the same bytes (CRLF line endings, lines folded at 75 octets)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # An unknown X- property is not escaped unless given as TEXT.
    calendar.add("x-wr-calname", vText(f"{schedule.name} change schedule"))
    for event in schedule.events:
        calendar.add_component(_vevent(event))
    return bytes(calendar.to_ical())


def _vevent(event: Event) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", event.uid)
    vevent.add("summary", event.summary)
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    vevent.add("dtstamp", event.stamp)
    vevent.add("description", "\n".join(f"{label}: {value}" for label, value in event.details))
    vevent.add("categories", [event.category])
    vevent.add("status", event.status)
    vevent.add("transp", "TRANSPARENT" if event.transparent else "OPAQUE")
    return vevent


_KIND_LABEL = {"change": "change", "freeze": "FREEZE", "maintenance": "maintenance"}


def as_text(schedule: Schedule) -> str:
    """One line per event, sorted by start; freezes stand out, and so do changes
    whose window falls in a freeze that covers their targets."""
    zone = ZoneInfo(schedule.timezone)
    lines = [f"Change schedule of {one_line(schedule.name)} (times in {schedule.timezone}, "
             f"{_period(schedule)})", ""]
    if not schedule.events:
        return "\n".join([*lines, "No changes, freezes or maintenance windows in the period."])
    lines.append(f"{'start':<20}  {'end':<20}  {'kind':<11}  event")
    for event in schedule.events:
        lines.append(f"{_when(event.start, zone):<20}  {_when(event.end, zone):<20}  "
                     f"{_KIND_LABEL[event.kind]:<11}  {_describe(event)}")
    return "\n".join([*lines, "", _summary(schedule)])


def _describe(event: Event) -> str:
    details = dict(event.details)
    if event.kind == "change":
        text = f"{one_line(event.summary)} [{details['Status']}, {details['Type']}]"
        return text + (f"  !! in freeze: {one_line(', '.join(event.freezes))}"
                       if event.freezes else "")
    scope = details.get("Applies to") or details.get("Scope", "")
    name = event.summary.split(": ", 1)[-1]
    return f"{one_line(name)} ({one_line(scope)})"


def _summary(schedule: Schedule) -> str:
    changes = schedule.of_kind("change")
    frozen = sum(1 for c in changes if c.freezes)
    return (f"{len(changes)} change(s), {len(schedule.of_kind('freeze'))} freeze(s), "
            f"{len(schedule.of_kind('maintenance'))} maintenance window occurrence(s); "
            f"{frozen} change(s) in a freeze")


def _period(schedule: Schedule) -> str:
    if schedule.since is None and schedule.until is None:
        return "all dates"
    since = schedule.since.isoformat() if schedule.since else "the beginning"
    until = schedule.until.isoformat() if schedule.until else "the end"
    return f"from {since} to {until}"


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %a %H:%M")


def one_line(text: str) -> str:
    """Untrusted text on one terminal line: control characters (escape sequences,
    newlines, bidi overrides) become spaces, and runs of whitespace one space."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)
    return " ".join(cleaned.split())
