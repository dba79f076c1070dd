from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from opsascode.commands.calendar import calendar
from opsascode.errors import FatalError, UsageError
from opsascode.loader import load
from opsascode.report.schedule import one_line
from opsascode.schedule import change_schedule
from opsascode.tree import WorkingTree
from opsascode.workspace import Options
from testing.repos import MINIMAL, write

TRICKY_TITLE = "Patch shop, cache; and DB\nnow: Grüße \u2013 \u65e5\u672c"


def change(change_id: str, start: str, end: str, **fields: str) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return (f"id: {change_id}\nkind: change\ntitle: Change {change_id}\ntype: normal\n"
            f"requester: alice\nteam: team-ops\ntargets: [db-shop]\naction: patch\n"
            f"effect: outage\nrollback_plan: undo\nwindow: {{start: {start}, end: {end}}}\n"
            f"{extra}")


REPO: dict[str, str | bytes] = {
    **MINIMAL,
    "opsascode.yaml": "version: 1\nname: Test Shop\ntimezone: Europe/Berlin\n",
    "inventory/staging.yaml": """
        - id: db-staging
          kind: database
          owner: team-ops
          environment: staging
        """,
    "policies/calendars.yaml": """
        - id: business
          kind: calendar
          timezone: Europe/Berlin
          business_hours: {}
          freeze:
            - name: year-end
              start: 2026-12-18T00:00:00+01:00
              end: 2027-01-04T00:00:00+01:00
              reason: Christmas trading
              applies_to: {environments: [production]}
          maintenance:
            - name: weekly-sunday
              start: 2026-01-04T02:00:00+01:00
              rrule: FREQ=WEEKLY;BYDAY=SU
              duration: 4h
        """,
    "changes/CHG-1.yaml": change(
        "CHG-1", "2026-12-20T02:00:00+01:00", "2026-12-20T03:00:00+01:00",
        status="requested", requested_at="2026-12-01T10:00:00+01:00",
    ).replace("title: Change CHG-1", 'title: "' + TRICKY_TITLE.replace("\n", "\\n") + '"'),
    "changes/CHG-2.yaml": change(
        "CHG-2", "2026-12-01T00:30:00+01:00", "2026-12-01T01:30:00+01:00", status="approved",
        requested_at="2026-11-20T09:00:00+01:00"),
    "changes/CHG-3.yaml": change(
        "CHG-3", "2026-12-10T22:00:00+01:00", "2026-12-10T23:00:00+01:00", status="cancelled"),
    "changes/CHG-4.yaml": change(
        "CHG-4", "2026-12-21T22:00:00+01:00", "2026-12-21T23:00:00+01:00",
        status="scheduled").replace("targets: [db-shop]", "targets: [db-staging]"),
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write(tmp_path, REPO)
    repo = load(WorkingTree(tmp_path))
    assert [p for p in repo.problems if p.is_error] == []
    return tmp_path


def export(root: Path, fmt: str, since: date | None = None, until: date | None = None,
           **options: Any) -> str:
    out = io.StringIO()
    assert calendar(Options(root, use_cache=False), fmt, since, until, out, **options) == 0
    return out.getvalue()


def events(ics: str) -> dict[str, Any]:
    parsed = Calendar.from_ical(ics)
    return {str(e["uid"]): e for e in parsed.walk("VEVENT")}


def test_ics_has_the_calendar_properties(root: Path) -> None:
    parsed = Calendar.from_ical(export(root, "ics"))
    assert str(parsed["prodid"]) == "-//opsascode//change schedule//EN"
    assert str(parsed["version"]) == "2.0"
    assert str(parsed["x-wr-calname"]) == "Test Shop change schedule"


def test_ics_has_one_event_per_change_that_is_not_cancelled(root: Path) -> None:
    found = events(export(root, "ics", maintenance=False))
    assert list(found) == ["CHG-2@opsascode",
                           "freeze-business-year-end-20261217T230000Z@opsascode",
                           "CHG-1@opsascode", "CHG-4@opsascode"]
    first = found["CHG-1@opsascode"]
    assert first.decoded("dtstart") == datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    assert first.decoded("dtend") == datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    assert first.decoded("dtstamp") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert str(first["status"]) == "TENTATIVE"
    assert str(found["CHG-2@opsascode"]["status"]) == "CONFIRMED"
    assert [str(c) for c in first["categories"].cats] == ["normal"]
    # Without requested_at, DTSTAMP is the window start.
    assert found["CHG-4@opsascode"].decoded("dtstamp") == datetime(2026, 12, 21, 21, 0,
                                                                    tzinfo=UTC)


def test_ics_description_says_who_what_and_the_freeze(root: Path) -> None:
    found = events(export(root, "ics"))
    description = str(found["CHG-1@opsascode"]["description"]).splitlines()
    assert description == ["Type: normal", "Status: requested",
                           "Action: patch (expected effect: outage)", "Targets: db-shop",
                           "Team: team-ops", "Requester: alice", "In freeze: year-end"]
    # The freeze covers production only: the staging change is not in it.
    assert "In freeze" not in str(found["CHG-4@opsascode"]["description"])
    freeze = found["freeze-business-year-end-20261217T230000Z@opsascode"]
    assert str(freeze["summary"]) == "Change freeze: year-end"
    assert str(freeze["transp"]) == "OPAQUE"


def test_ics_escapes_titles_and_round_trips_them(root: Path) -> None:
    ics = export(root, "ics")
    assert str(events(ics)["CHG-1@opsascode"]["summary"]) == f"CHG-1: {TRICKY_TITLE}"
    unfolded = ics.replace("\r\n ", "")
    assert "SUMMARY:CHG-1: Patch shop\\, cache\\; and DB\\nnow: Grüße" in unfolded
    assert all(line.endswith("\r") or not line for line in ics.split("\n"))
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))


def test_ics_is_byte_identical_on_every_run(root: Path) -> None:
    first = export(root, "ics")
    assert export(root, "ics") == first
    assert export(root, "ics", date(2026, 12, 1), date(2026, 12, 31)) == export(
        root, "ics", date(2026, 12, 1), date(2026, 12, 31))


def test_maintenance_occurrences_are_transparent_events(root: Path) -> None:
    found = events(export(root, "ics", date(2026, 12, 1), date(2026, 12, 31)))
    sundays = [e for uid, e in found.items() if uid.startswith("maintenance-")]
    assert [e.decoded("dtstart").day for e in sundays] == [6, 13, 20, 27]
    assert {str(e["transp"]) for e in sundays} == {"TRANSPARENT"}
    assert [str(c) for c in sundays[0]["categories"].cats] == ["maintenance"]


def test_since_and_until_are_whole_days_in_the_repository_timezone(root: Path) -> None:
    # CHG-2 starts 2026-12-01 00:30 in Berlin, which is still 30 November in UTC.
    until_november = events(export(root, "ics", None, date(2026, 11, 30)))
    assert list(until_november) == []
    december = events(export(root, "ics", date(2026, 12, 1), date(2026, 12, 19),
                              maintenance=False))
    assert sorted(december) == ["CHG-2@opsascode",
                                "freeze-business-year-end-20261217T230000Z@opsascode"]
    with pytest.raises(UsageError, match="before --since"):
        export(root, "ics", date(2026, 12, 2), date(2026, 12, 1))


def test_text_lists_events_by_start_and_marks_freezes(root: Path) -> None:
    text = export(root, "text", maintenance=False)
    lines = text.splitlines()
    assert lines[0] == ("Change schedule of Test Shop (times in Europe/Berlin, all dates)")
    rows = lines[3:7]
    assert [row.split()[0] for row in rows] == ["2026-12-01", "2026-12-18", "2026-12-20",
                                                "2026-12-21"]
    assert "FREEZE       year-end (environments: production)" in rows[1]
    assert rows[2].endswith("[requested, normal]  !! in freeze: year-end")
    assert "Patch shop, cache; and DB now: Grüße" in rows[2]
    assert "!!" not in rows[3]
    assert lines[-1] == ("3 change(s), 1 freeze(s), 0 maintenance window occurrence(s); "
                         "1 change(s) in a freeze")
    assert export(root, "text", maintenance=False) == text


def test_text_of_an_empty_period(root: Path) -> None:
    text = export(root, "text", date(2030, 1, 1), date(2030, 1, 31), maintenance=False)
    assert "from 2030-01-01 to 2030-01-31" in text
    assert text.splitlines()[-1] == "No changes, freezes or maintenance windows in the period."


def test_without_a_period_maintenance_is_bounded_by_the_changes(root: Path) -> None:
    schedule = change_schedule(load(WorkingTree(root)))
    starts = [e.start for e in schedule.of_kind("maintenance")]
    assert starts[0].date() == date(2026, 12, 6) and starts[-1].date() == date(2027, 1, 3)
    assert [e.start for e in schedule.events] == sorted(e.start for e in schedule.events)


def test_one_line_strips_terminal_control_characters() -> None:
    assert one_line("a\x1b[31mred\x1b[0m\nb\u202ec") == "a [31mred [0m b c"


def test_unreadable_repository_is_refused(root: Path) -> None:
    write(root, {"changes/broken.yaml": "id: [\n"})
    with pytest.raises(FatalError, match=r"changes/broken\.yaml:2:1: .*fix it first"):
        export(root, "ics")


def test_bad_report_timezone_is_an_input_error(root: Path) -> None:
    write(root, {"opsascode.yaml": "version: 1\ntimezone: Mars/Olympus\n"})
    expected = r"opsascode\.yaml:2:11: .*unknown timezone 'Mars/Olympus'"
    with pytest.raises(FatalError, match=expected):
        export(root, "text")
