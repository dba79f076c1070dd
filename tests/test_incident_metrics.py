"""Incident KPIs: SLA clocks, MTTA/MTTR, compliance, satisfaction, recurring
incidents, known errors and workload. Every expected number is worked out by hand in
a comment next to it.

The office calendar is Europe/Berlin, Monday to Friday 09:00-18:00, German public
holidays plus 24 December; the care calendar is Europe/Berlin around the clock
(00:00-24:00) every day except German public holidays.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from opsascode.incidents import (
    DurationStats,
    IncidentTimes,
    Satisfaction,
    incident_kpis,
    incident_metrics,
    incidents_in,
    priority_of,
    satisfaction,
    time_to_acknowledge,
    time_to_resolve,
)
from opsascode.problem_kpis import (
    KnownError,
    Recurrence,
    RecurrenceRule,
    known_errors,
    recurring_incidents,
)
from opsascode.records import (
    Incident,
    KpiTargets,
    PriorityMatrix,
    Problem,
    Record,
    Team,
    record_adapter,
)
from opsascode.repository import Repository
from opsascode.sla import (
    Compliance,
    IncidentContext,
    SlaClock,
    compliance,
    impacted_services,
    sla_clocks,
    sla_compliance,
)
from opsascode.workload import Load, PersonLoad, TeamLoad, handling_time, workload

BERLIN = ZoneInfo("Europe/Berlin")
M = timedelta(minutes=1)
H = timedelta(hours=1)


def b(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Berlin (CET in winter, CEST in summer)."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def record(**fields: Any) -> Any:
    return record_adapter().validate_python(fields)


def incident(name: str, reported: datetime, **fields: Any) -> Incident:
    """An incident on app-shop, impact high and urgency medium (P2) unless given."""
    defaults = {"impact": "high", "urgency": "medium", "affected": ["app-shop"]}
    made = record(kind="incident", id=name, title=name, reported_at=reported,
                  **{**defaults, **fields})
    assert isinstance(made, Incident)
    return made


def problem(name: str, **fields: Any) -> Problem:
    made = record(kind="problem", id=name, title=f"problem {name}",
                  opened_at=z(2026, 1, 1), **fields)
    assert isinstance(made, Problem)
    return made


P1 = {"impact": "high", "urgency": "high"}
P3 = {"impact": "medium", "urgency": "medium"}
P4 = {"impact": "low", "urgency": "low"}

# svc-shop, svc-web (sla-gold) <- app-shop <- db-main -> svc-pay (sla-247) <- pay-gw
# svc-care (sla-care) <- app-care ; svc-intranet (no SLA) <- srv-intra
RECORDS: list[Record] = [record(**r) for r in (
    {"kind": "team", "id": "team-ops", "members": ["alice", "bob"]},
    {"kind": "team", "id": "team-dba", "members": ["carol"]},
    {"kind": "team", "id": "team-idle", "members": ["dave", "erin"]},
    {"kind": "database", "id": "db-main", "owner": "team-dba"},
    {"kind": "application", "id": "app-shop", "owner": "team-ops", "depends_on": ["db-main"]},
    {"kind": "application", "id": "pay-gw", "owner": "team-ops"},
    {"kind": "application", "id": "app-care", "owner": "team-ops"},
    {"kind": "server", "id": "srv-intra", "owner": "team-ops"},
    {"kind": "service", "id": "svc-shop", "owner": "team-ops", "tier": 1, "sla": "sla-gold",
     "depends_on": ["app-shop"]},
    {"kind": "service", "id": "svc-web", "owner": "team-ops", "tier": 2, "sla": "sla-gold",
     "depends_on": ["app-shop"]},
    {"kind": "service", "id": "svc-pay", "owner": "team-ops", "tier": 0, "sla": "sla-247",
     "depends_on": ["db-main", "pay-gw"]},
    {"kind": "service", "id": "svc-care", "owner": "team-ops", "tier": 1, "sla": "sla-care",
     "depends_on": ["app-care"]},
    {"kind": "service", "id": "svc-intranet", "owner": "team-ops", "tier": 3,
     "depends_on": ["srv-intra"]},
    {"kind": "calendar", "id": "office", "timezone": "Europe/Berlin",
     "business_hours": {"days": ["mon", "tue", "wed", "thu", "fri"],
                        "start": "09:00", "end": "18:00"},
     "holidays": {"country": "DE", "extra": [date(2026, 12, 24)]}},
    {"kind": "calendar", "id": "care", "timezone": "Europe/Berlin",
     "business_hours": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                        "start": "00:00", "end": "24:00"},
     "holidays": {"country": "DE"}},
    {"kind": "sla", "id": "sla-gold", "availability": 99.9, "calendar": "office",
     "response": {"P1": "30m", "P2": "1h", "P3": "4h"},
     "resolution": {"P1": "4h", "P2": "8h", "P3": "2d"}},
    {"kind": "sla", "id": "sla-247", "availability": 99.95,
     "response": {"P1": "15m", "P2": "30m", "P3": "1h", "P4": "4h"},
     "resolution": {"P1": "4h", "P2": "8h", "P3": "24h", "P4": "72h"}},
    {"kind": "sla", "id": "sla-care", "availability": 99.5, "calendar": "care",
     "response": {"P1": "1h"}, "resolution": {"P1": "4h"}},
)]
CONTEXT = IncidentContext.from_repository(Repository(records={r.id: r for r in RECORDS}))
FAR_FUTURE = z(2030, 1, 1)


def clocks(item: Incident, as_of: datetime = FAR_FUTURE) -> dict[tuple[str, str], SlaClock]:
    return {(c.sla, c.kind): c for c in sla_clocks(item, CONTEXT, as_of)}


def judged(clock: SlaClock) -> tuple[timedelta, str, timedelta | None]:
    return clock.elapsed, clock.status, clock.over


# ------------------------------------------------------------------ priority


def test_priority_comes_from_the_matrix() -> None:
    item = incident("INC-1", z(2026, 3, 2), impact="high", urgency="medium")
    assert priority_of(item) == "P2"  # the default matrix: high x medium
    custom = record(kind="priority-matrix", id="pm", matrix={
        level: dict.fromkeys(("high", "medium", "low"), "P3")
        for level in ("high", "medium", "low")})
    assert isinstance(custom, PriorityMatrix)
    assert priority_of(item, custom) == "P3"
    assert priority_of(item, custom.matrix) == "P3"


# ------------------------------------------------------------ which services


@pytest.mark.parametrize(("fields", "expected"), [
    # no outage record: the affected asset's dependents are still hit
    ({"affected": ["app-shop"]}, ["svc-shop", "svc-web"]),
    ({"affected": [], "outages": [{"asset": "db-main", "start": z(2026, 3, 2)}]},
     ["svc-pay", "svc-shop", "svc-web"]),
    ({"affected": ["svc-intranet"]}, ["svc-intranet"]),  # a service named directly
    # an outage that had no effect reaches nothing
    ({"affected": [], "outages": [{"asset": "db-main", "start": z(2026, 3, 2),
                                   "effect": "none"}]}, []),
])
def test_services_an_incident_impacts(fields: dict[str, Any], expected: list[str]) -> None:
    item = incident("INC-1", z(2026, 3, 2), **fields)
    found = impacted_services(item, CONTEXT.assets, CONTEXT.graph)
    assert [s.id for s in found] == expected


def test_no_sla_no_clocks() -> None:
    assert clocks(incident("INC-1", z(2026, 3, 2), affected=["srv-intra"])) == {}


# ---------------------------------------------------- business-hours clocks


def test_clock_stops_overnight_and_services_sharing_an_sla_share_a_clock() -> None:
    item = incident("INC-1", b(2026, 3, 10, 20), acknowledged_at=b(2026, 3, 11, 9, 20),
                    resolved_at=b(2026, 3, 11, 11))
    found = clocks(item)
    assert set(found) == {("sla-gold", "response"), ("sla-gold", "resolution")}
    response = found["sla-gold", "response"]
    assert response.services == ("svc-shop", "svc-web")
    assert response.priority == "P2"
    assert response.calendar == "office"
    # Tue 20:00 -> Wed 09:00 is night; Wed 09:00-09:20 = 20m <= 1h
    assert judged(response) == (20 * M, "met", None)
    assert response.target == H
    # Wed 09:00-11:00 = 2h <= 8h
    assert judged(found["sla-gold", "resolution"]) == (2 * H, "met", None)
    # MTTA is wall-clock: Tue 20:00 -> Wed 09:20 = 13h20m
    assert time_to_acknowledge(item, FAR_FUTURE) == 13 * H + 20 * M


def test_clock_stops_over_the_weekend_and_a_breach_says_by_how_much() -> None:
    item = incident("INC-1", b(2026, 3, 6, 17, 30), acknowledged_at=b(2026, 3, 6, 18, 20),
                    resolved_at=b(2026, 3, 9, 13), **P1)
    found = clocks(item)
    # Fri 17:30-18:00 = 30m; 18:00-18:20 is after hours. 30m = target: met
    assert judged(found["sla-gold", "response"]) == (30 * M, "met", None)
    # Fri 17:30-18:00 = 30m + Mon 09:00-13:00 = 4h -> 4h30m; target 4h: 30m over
    assert judged(found["sla-gold", "resolution"]) == (4 * H + 30 * M, "breached", 30 * M)


def test_clock_stops_over_christmas() -> None:
    item = incident("INC-1", b(2026, 12, 23, 17), acknowledged_at=b(2026, 12, 28, 9, 30),
                    resolved_at=b(2026, 12, 28, 10), **P3)
    found = clocks(item)
    # Wed 23 Dec 17:00-18:00 = 1h; Thu 24 (company holiday), Fri 25 (Christmas),
    # Sat 26 (Boxing Day), Sun 27: nothing; Mon 28 09:00-09:30 = 30m -> 1h30m <= 4h
    assert judged(found["sla-gold", "response"]) == (H + 30 * M, "met", None)
    # ... Mon 28 09:00-10:00 = 1h -> 2h <= 2d
    assert judged(found["sla-gold", "resolution"]) == (2 * H, "met", None)


def test_german_unity_day_stops_a_seven_day_clock() -> None:
    item = incident("INC-1", b(2026, 10, 2, 22), acknowledged_at=b(2026, 10, 2, 22, 30),
                    resolved_at=b(2026, 10, 4, 2), affected=["app-care"], **P1)
    found = clocks(item)
    assert judged(found["sla-care", "response"]) == (30 * M, "met", None)
    # Fri 2 Oct 22:00-24:00 = 2h; Sat 3 Oct (German Unity Day) = 0; Sun 00:00-02:00
    # = 2h -> 4h, exactly the target: met (wall clock: 28h)
    assert judged(found["sla-care", "resolution"]) == (4 * H, "met", None)


@pytest.mark.parametrize(("reported", "resolved", "affected", "sla", "elapsed", "wall"), [
    # Spring forward on Sun 29 Mar 02:00: Sat 22:00 CET (21:00Z) -> Sun 10:00 CEST
    # (08:00Z) is 11h, though the wall clock reads 12h
    (b(2026, 3, 28, 22), b(2026, 3, 29, 10), "app-care", "sla-care", 11 * H, 11 * H),
    (b(2026, 3, 28, 22), b(2026, 3, 29, 10), "pay-gw", "sla-247", 11 * H, 11 * H),
    # Fall back on Sun 25 Oct 03:00: Sat 22:00 CEST (20:00Z) -> Sun 10:00 CET (09:00Z)
    (b(2026, 10, 24, 22), b(2026, 10, 25, 10), "app-care", "sla-care", 13 * H, 13 * H),
    (b(2026, 10, 24, 22), b(2026, 10, 25, 10), "pay-gw", "sla-247", 13 * H, 13 * H),
    # Office hours around the change: Fri 17:00-18:00 + Mon 09:00-10:00 = 2h; wall
    # clock Fri 16:00Z -> Mon 08:00Z = 64h in spring, Fri 15:00Z -> Mon 09:00Z = 66h
    (b(2026, 3, 27, 17), b(2026, 3, 30, 10), "app-shop", "sla-gold", 2 * H, 64 * H),
    (b(2026, 10, 23, 17), b(2026, 10, 26, 10), "app-shop", "sla-gold", 2 * H, 66 * H),
])
def test_clocks_across_daylight_saving_changes(reported: datetime, resolved: datetime,
                                               affected: str, sla: str, elapsed: timedelta,
                                               wall: timedelta) -> None:
    item = incident("INC-1", reported, resolved_at=resolved, affected=[affected], **P1)
    assert clocks(item)[sla, "resolution"].elapsed == elapsed
    assert time_to_resolve(item, FAR_FUTURE) == wall  # MTTR is wall-clock, 24x7


def test_pauses_overlapping_and_outside_business_hours() -> None:
    item = incident("INC-1", b(2026, 3, 2, 10), acknowledged_at=b(2026, 3, 2, 10, 40),
                    resolved_at=b(2026, 3, 3, 15), **P3, paused=[
                        {"start": b(2026, 3, 2, 10, 10), "end": b(2026, 3, 2, 10, 20)},
                        {"start": b(2026, 3, 2, 12), "end": b(2026, 3, 2, 14)},
                        {"start": b(2026, 3, 2, 13), "end": b(2026, 3, 2, 15)},
                        {"start": b(2026, 3, 2, 20), "end": b(2026, 3, 3, 8)}])
    found = clocks(item)
    # Mon 10:00-10:40 = 40m, minus the pause 10:10-10:20 -> 30m
    assert judged(found["sla-gold", "response"]) == (30 * M, "met", None)
    # Mon 10:00-18:00 = 8h + Tue 09:00-15:00 = 6h -> 14h; pauses: 10m, 12:00-14:00 and
    # 13:00-15:00 overlap into 12:00-15:00 = 3h, the night one removes nothing
    # -> 14h - 3h10m = 10h50m
    assert judged(found["sla-gold", "resolution"]) == (10 * H + 50 * M, "met", None)


def test_the_clock_starts_at_detection_when_earlier_than_the_report() -> None:
    item = incident("INC-1", b(2026, 3, 11, 9, 45), detected_at=b(2026, 3, 11, 9),
                    acknowledged_at=b(2026, 3, 11, 10, 15), resolved_at=b(2026, 3, 11, 11))
    response = clocks(item)["sla-gold", "response"]
    # 09:00 -> 10:15 = 1h15m against 1h: 15m over (from the report it would be 30m)
    assert judged(response) == (H + 15 * M, "breached", 15 * M)
    assert response.start == z(2026, 3, 11, 8)
    # MTTA counts from the report: 09:45 -> 10:15
    assert time_to_acknowledge(item, FAR_FUTURE) == 30 * M


def test_resolving_without_acknowledging_stops_the_response_clock() -> None:
    item = incident("INC-1", b(2026, 3, 11, 10), resolved_at=b(2026, 3, 11, 10, 40))
    assert judged(clocks(item)["sla-gold", "response"]) == (40 * M, "met", None)
    assert time_to_acknowledge(item, FAR_FUTURE) == 40 * M


def test_a_priority_without_a_target_is_not_measured() -> None:
    item = incident("INC-1", b(2026, 3, 11, 10), resolved_at=b(2026, 3, 11, 11), **P4)
    response = clocks(item)["sla-gold", "response"]
    assert (response.status, response.target, response.over) == ("not_measured", None, None)
    assert response.reason == "sla-gold has no response target for P4"
    assert response.elapsed == H  # still measured for information


def test_an_sla_naming_an_unknown_calendar_is_not_measured() -> None:
    item = incident("INC-1", b(2026, 3, 11, 10), resolved_at=b(2026, 3, 11, 11))
    found = sla_clocks(item, replace(CONTEXT, calendars={}), FAR_FUTURE)
    assert {(c.status, c.reason) for c in found} == {
        ("not_measured", "sla-gold names calendar 'office', which does not exist")}


def test_an_incident_impacting_two_services_with_different_slas_has_two_clocks() -> None:
    item = incident("INC-1", b(2026, 3, 6, 17), acknowledged_at=b(2026, 3, 6, 17, 20),
                    resolved_at=b(2026, 3, 6, 19), affected=[],
                    outages=[{"asset": "db-main", "start": b(2026, 3, 6, 17),
                              "end": b(2026, 3, 6, 19)}])
    found = sla_clocks(item, CONTEXT, FAR_FUTURE)
    assert [(c.sla, c.kind, c.services, c.elapsed, c.status) for c in found] == [
        # 24x7: 17:00-17:20 = 20m <= 30m; 17:00-19:00 = 2h <= 8h
        ("sla-247", "response", ("svc-pay",), 20 * M, "met"),
        ("sla-247", "resolution", ("svc-pay",), 2 * H, "met"),
        # office: 20m <= 1h; 17:00-18:00 = 1h (18:00-19:00 after hours) <= 8h
        ("sla-gold", "response", ("svc-shop", "svc-web"), 20 * M, "met"),
        ("sla-gold", "resolution", ("svc-shop", "svc-web"), H, "met"),
    ]


# ------------------------------------------------ open at the end of the period

AS_OF = z(2026, 4, 1)
RUNNING = incident("INC-RUN", z(2026, 3, 31, 20), acknowledged_at=z(2026, 3, 31, 20, 5),
                   affected=["pay-gw"], **P1)
LATE = incident("INC-LATE", z(2026, 3, 31, 18), affected=["pay-gw"], **P1)
AFTER = incident("INC-AFTER", z(2026, 3, 31, 21), acknowledged_at=z(2026, 3, 31, 21, 10),
                 resolved_at=z(2026, 4, 1, 1), affected=["pay-gw"], **P1)


def test_an_open_clock_runs_to_the_period_end() -> None:
    found = clocks(RUNNING, AS_OF)
    assert judged(found["sla-247", "response"]) == (5 * M, "met", None)
    # 20:00Z -> 00:00Z = 4h: at the target but not over it, and still running
    resolution = found["sla-247", "resolution"]
    assert judged(resolution) == (4 * H, "running", None)
    assert resolution.stop == AS_OF


def test_an_open_clock_already_over_target_is_breached() -> None:
    found = clocks(LATE, AS_OF)
    # 18:00Z -> 00:00Z = 6h; response target 15m: 5h45m over; resolution 4h: 2h over
    assert judged(found["sla-247", "response"]) == (6 * H, "breached", 5 * H + 45 * M)
    assert judged(found["sla-247", "resolution"]) == (6 * H, "breached", 2 * H)


def test_a_resolution_after_as_of_has_not_happened_yet() -> None:
    # 21:00Z -> 00:00Z = 3h, running; seen from 02:00Z it stopped at 01:00Z: 4h, met
    assert judged(clocks(AFTER, AS_OF)["sla-247", "resolution"]) == (3 * H, "running", None)
    assert judged(clocks(AFTER, z(2026, 4, 1, 2))["sla-247", "resolution"]) == (
        4 * H, "met", None)
    assert time_to_resolve(AFTER, AS_OF) is None


def test_compliance_counts_each_clock_once_and_leaves_running_ones_out() -> None:
    both = incident("INC-BOTH", b(2026, 3, 6, 17), acknowledged_at=b(2026, 3, 6, 17, 20),
                    resolved_at=b(2026, 3, 6, 19), affected=["db-main"])
    unmeasured = incident("INC-P4", b(2026, 3, 11, 10), resolved_at=b(2026, 3, 11, 11), **P4)
    found = [c for i in (both, unmeasured, LATE, RUNNING) for c in sla_clocks(i, CONTEXT, AS_OF)]
    result = sla_compliance(found)
    # INC-BOTH: 4 met (P2); INC-P4: 2 not measured; INC-LATE: 2 breached (P1);
    # INC-RUN: response met, resolution running (P1) -> 5 met of 7 decided
    assert result.overall == Compliance(met=5, breached=2, running=1, not_measured=2)
    assert result.overall.percent == pytest.approx(100 * 5 / 7)
    assert result.by_priority["P1"].percent == pytest.approx(100 / 3)  # 1 met, 2 breached
    assert result.by_priority["P2"].percent == 100.0
    assert result.by_priority["P3"] == Compliance()
    assert result.by_priority["P3"].percent is None
    assert result.by_priority["P4"] == Compliance(not_measured=2)
    # response: 2 + 1 met, 1 breached -> 75 %; resolution: 2 met, 1 breached -> 2/3
    assert result.by_kind["response"].percent == 75.0
    assert result.by_kind["resolution"].percent == pytest.approx(200 / 3)


# ---------------------------------------------------------------- MTTA, MTTR


def timed(name: str, day: int, ack: timedelta | None, resolve: timedelta | None,
          **fields: Any) -> Incident:
    reported = z(2026, 3, day, 10)
    return incident(name, reported, acknowledged_at=reported + ack if ack else None,
                    resolved_at=reported + resolve if resolve else None, **fields)


PERIOD = (z(2026, 3, 1), z(2026, 4, 1))
MARCH = [
    timed("INC-A", 2, 10 * M, 1 * H, **P1),
    timed("INC-B", 3, 20 * M, 2 * H, **P1),
    timed("INC-C", 4, 30 * M, 4 * H),  # P2
    timed("INC-D", 5, 60 * M, 10 * H),  # P2
    incident("INC-E", z(2026, 3, 31, 23), acknowledged_at=z(2026, 3, 31, 23, 30), **P3),
]
OUTSIDE = [incident("INC-F", z(2026, 2, 28, 10)), incident("INC-G", z(2026, 4, 1))]


def test_incidents_in_a_period_count_once_by_report_time() -> None:
    chosen = incidents_in([*OUTSIDE, MARCH[0], *MARCH], *PERIOD)
    # 28 Feb is before, 1 Apr 00:00 is the (excluded) end; INC-A given twice counts once
    assert [i.id for i in chosen] == ["INC-A", "INC-B", "INC-C", "INC-D", "INC-E"]


def test_mtta_and_mttr_mean_and_median_overall_and_per_priority() -> None:
    result = incident_metrics(incidents_in([*MARCH, *OUTSIDE], *PERIOD), None, AS_OF)
    # MTTA: 10, 20, 30, 60 and 30 (INC-E) minutes: mean 150/5 = 30m, median 30m.
    # MTTR: 1h, 2h, 4h, 10h (INC-E is open): mean 17h/4 = 4h15m, median (2h+4h)/2 = 3h
    assert result.overall == IncidentTimes(
        incidents=5, unresolved=1, mtta=DurationStats(5, 30 * M, 30 * M),
        mttr=DurationStats(4, 4 * H + 15 * M, 3 * H))
    # P1: MTTA 10m, 20m -> 15m; MTTR 1h, 2h -> 1h30m
    assert result.by_priority["P1"] == IncidentTimes(
        2, 0, DurationStats(2, 15 * M, 15 * M), DurationStats(2, 90 * M, 90 * M))
    # P2: MTTA 30m, 60m -> 45m; MTTR 4h, 10h -> 7h
    assert result.by_priority["P2"] == IncidentTimes(
        2, 0, DurationStats(2, 45 * M, 45 * M), DurationStats(2, 7 * H, 7 * H))
    assert result.by_priority["P3"] == IncidentTimes(
        1, 1, DurationStats(1, 30 * M, 30 * M), DurationStats(0, None, None))
    assert result.by_priority["P4"] == IncidentTimes(
        0, 0, DurationStats(0, None, None), DurationStats(0, None, None))


def test_an_empty_period_has_no_averages_and_divides_by_nothing() -> None:
    chosen = incidents_in(MARCH, z(2026, 5, 1), z(2026, 6, 1))
    assert chosen == []
    nothing = DurationStats(0, None, None)
    assert incident_metrics(chosen, None, AS_OF).overall == IncidentTimes(0, 0, nothing,
                                                                         nothing)
    assert satisfaction(chosen) == Satisfaction(0, 0, None, None)
    assert sla_compliance([]).overall.percent is None
    assert compliance([]) == Compliance()
    assert recurring_incidents(chosen, [], CONTEXT, z(2026, 5, 1), z(2026, 6, 1)) == []
    assert workload(chosen, [], AS_OF).teams == ()


def test_satisfaction_percent_of_ratings_4_or_5() -> None:
    rated = [incident(f"INC-{n}", z(2026, 3, 2), satisfaction=s)
             for n, s in enumerate((5, 4, 3, 1, None))]
    # 4 rated, 2 of them 4 or 5: 50 %; mean (5 + 4 + 3 + 1) / 4 = 3.25
    assert satisfaction(rated) == Satisfaction(rated=4, satisfied=2, percent=50.0, mean=3.25)


# ---------------------------------------------------------- recurring incidents


def on_intranet(name: str, reported: datetime, **fields: Any) -> Incident:
    return incident(name, reported, affected=["srv-intra"], **fields)


R1, R2, R3 = (on_intranet("INC-R1", z(2026, 3, 1, 10)), on_intranet("INC-R2", z(2026, 3, 15)),
              on_intranet("INC-R3", z(2026, 3, 30, 10)))


def test_three_unlinked_incidents_within_30_days_recur_on_asset_and_service() -> None:
    # 1 Mar 10:00 -> 30 Mar 10:00 = 29 days <= 30
    found = recurring_incidents([R1, R2, R3], [], CONTEXT, *PERIOD)
    ids = ("INC-R1", "INC-R2", "INC-R3")
    assert found == [Recurrence("srv-intra", ids, z(2026, 3, 1, 10), z(2026, 3, 30, 10)),
                     Recurrence("svc-intranet", ids, z(2026, 3, 1, 10), z(2026, 3, 30, 10))]


@pytest.mark.parametrize("link", ["incident names it", "problem lists it"])
def test_incidents_a_problem_links_do_not_count(link: str) -> None:
    if link == "incident names it":
        linked = on_intranet("INC-R2", z(2026, 3, 15), problem="PRB-1")
        problems = [problem("PRB-1", incidents=["INC-R2"])]
    else:
        linked, problems = R2, [problem("PRB-1", incidents=["INC-R2"])]
    # two unlinked incidents are fewer than three
    assert recurring_incidents([R1, linked, R3], problems, CONTEXT, *PERIOD) == []


def test_incidents_further_apart_than_the_window_do_not_recur() -> None:
    late = on_intranet("INC-R3", z(2026, 4, 1, 10))  # 1 Mar 10:00 -> 1 Apr 10:00 = 31 days
    assert recurring_incidents([R1, R2, late], [], CONTEXT, z(2026, 3, 1), z(2026, 5, 1)) == []


def test_the_window_reaches_back_before_the_period_and_must_end_in_it() -> None:
    # R3 (30 Mar) is in the period; R1 and R2 are at most 30 days before it
    found = recurring_incidents([R1, R2, R3], [], CONTEXT, z(2026, 3, 20), z(2026, 4, 20))
    assert [r.incidents for r in found] == [("INC-R1", "INC-R2", "INC-R3")] * 2
    # no incident in April: nothing recurs in April
    assert recurring_incidents([R1, R2, R3], [], CONTEXT, z(2026, 4, 1), z(2026, 5, 1)) == []


def test_the_rule_comes_from_kpi_targets_and_overlapping_windows_merge() -> None:
    targets = record(kind="kpi-targets", id="kpi", targets={},
                     recurring_incidents={"count": 2, "days": 20})
    assert isinstance(targets, KpiTargets)
    rule = RecurrenceRule.from_targets(targets)
    assert rule == RecurrenceRule(count=2, days=20)
    assert RecurrenceRule.from_targets(None) == RecurrenceRule(count=3, days=30)
    r4, r5 = on_intranet("INC-R4", z(2026, 6, 1)), on_intranet("INC-R5", z(2026, 6, 5))
    found = recurring_incidents([R1, R2, R3, r4, r5], [], CONTEXT, z(2026, 3, 1),
                                z(2026, 7, 1), rule)
    # R1-R2 (14 days) and R2-R3 (15 days) share R2: one burst; R4-R5 (4 days) another;
    # R3-R4 are 63 days apart
    assert [r.incidents for r in found if r.subject == "srv-intra"] == [
        ("INC-R1", "INC-R2", "INC-R3"), ("INC-R4", "INC-R5")]


# ----------------------------------------------------------------- known errors


def test_known_errors_with_their_workaround_and_open_incidents() -> None:
    fixed = incident("INC-1", z(2026, 3, 2), resolved_at=z(2026, 3, 2, 2), problem="PRB-1")
    still_open = incident("INC-2", z(2026, 3, 3), problem="PRB-1")
    resolved_later = incident("INC-3", z(2026, 3, 4), resolved_at=z(2026, 4, 2),
                              problem="PRB-2")
    problems = [
        problem("PRB-1", known_error=True, workaround="restart the pool",
                incidents=["INC-1", "INC-2"]),
        problem("PRB-2", status="known_error", incidents=["INC-3"]),
        problem("PRB-3", incidents=[]),  # not a known error
    ]
    found = known_errors(problems, [fixed, still_open, resolved_later], AS_OF)
    assert found == [
        KnownError("PRB-1", "problem PRB-1", "open", "restart the pool", ("INC-2",)),
        # INC-3 is resolved on 2 April, after the period: still open as of 1 April
        KnownError("PRB-2", "problem PRB-2", "known_error", None, ("INC-3",)),
    ]


# --------------------------------------------------------------------- workload


def test_workload_per_team_and_person_shows_single_person_and_idle_teams() -> None:
    handled = [
        # acknowledged 10:30 -> resolved 12:30 = 2h
        incident("W1", z(2026, 3, 2, 10), acknowledged_at=z(2026, 3, 2, 10, 30),
                 resolved_at=z(2026, 3, 2, 12, 30), team="team-ops", assignee="alice"),
        # never acknowledged: reported 10:00 -> resolved 13:00 = 3h
        incident("W2", z(2026, 3, 3, 10), resolved_at=z(2026, 3, 3, 13), team="team-ops",
                 assignee="bob"),
        # open: acknowledged 19:00 -> as of 00:00 = 5h
        incident("W3", z(2026, 3, 31, 18), acknowledged_at=z(2026, 3, 31, 19),
                 team="team-ops", assignee="alice"),
        # resolved after as_of, so open: 21:00 -> 00:00 = 3h
        incident("W4", z(2026, 3, 31, 20), acknowledged_at=z(2026, 3, 31, 21),
                 resolved_at=z(2026, 4, 1, 3), team="team-dba", assignee="carol"),
        # a team no record defines, nobody assigned: 10:00 -> 11:00 = 1h
        incident("W5", z(2026, 3, 5, 10), resolved_at=z(2026, 3, 5, 11), team="team-ghost"),
        # no team: 10:15 -> 10:45 = 30m
        incident("W6", z(2026, 3, 6, 10), acknowledged_at=z(2026, 3, 6, 10, 15),
                 resolved_at=z(2026, 3, 6, 10, 45), assignee="erin"),
    ]
    assert handling_time(handled[3], AS_OF) == 3 * H
    teams = [t for t in RECORDS if isinstance(t, Team)]
    result = workload(handled, teams, AS_OF)
    assert result.teams == (
        TeamLoad("team-dba", None, 1, True, Load(1, 1, 3 * H)),
        TeamLoad("team-ghost", None, None, False, Load(1, 0, H)),
        TeamLoad("team-idle", None, 2, False, Load(0, 0, timedelta(0))),
        TeamLoad("team-ops", None, 2, False, Load(3, 1, 10 * H)),  # 2h + 3h + 5h
    )
    assert result.teams[3].time_per_member == 5 * H
    assert result.teams[3].load.hours == 10.0
    assert result.people == (
        PersonLoad("alice", ("team-ops",), Load(2, 1, 7 * H)),  # 2h + 5h
        PersonLoad("bob", ("team-ops",), Load(1, 0, 3 * H)),
        PersonLoad("carol", ("team-dba",), Load(1, 1, 3 * H)),
        PersonLoad("dave", ("team-idle",), Load(0, 0, timedelta(0))),
        PersonLoad("erin", ("team-idle",), Load(1, 0, 30 * M)),
    )
    assert (result.without_team, result.without_assignee) == (1, 1)


# -------------------------------------------------------------------- together


def test_incident_kpis_of_a_repository() -> None:
    targets = record(kind="kpi-targets", id="kpi", targets={},
                     recurring_incidents={"count": 2, "days": 30})
    records = [*RECORDS, *MARCH, *OUTSIDE, R1, R2, targets, RUNNING]
    repo = Repository(records={r.id: r for r in records})
    result = incident_kpis(repo, *PERIOD)
    assert result.as_of == AS_OF
    assert len(result.incidents) == 8  # MARCH (5), R1, R2, RUNNING
    assert result.metrics.overall.incidents == 8
    # R1 and R2 (14 days apart) recur on srv-intra and svc-intranet with count 2 from
    # kpi-targets; on app-shop and the services it carries INC-A..INC-E (2 Mar 10:00
    # -> 31 Mar 23:00) plus INC-F (28 Feb, within 30 days before the period; INC-G is
    # after it); RUNNING alone on pay-gw does not recur
    assert [(r.subject, len(r.incidents)) for r in result.recurring] == [
        ("app-shop", 6), ("srv-intra", 2), ("svc-intranet", 2), ("svc-shop", 6),
        ("svc-web", 6)]
    assert result.recurring[0].incidents[0] == "INC-F"
    # MARCH on app-shop: sla-gold; RUNNING on pay-gw: sla-247; R1, R2: no SLA -> 6 x 2
    assert len(result.clocks) == 12
    # A, B (P1) and C, D (P2) within their targets (D: Thu 11:00-18:00 CET = 7h <= 8h);
    # INC-E, reported 01:00 CEST, acknowledged 01:30: 0 business time, met; its
    # resolution and RUNNING's run on -> 10 met, 2 running
    assert result.sla_compliance.overall == Compliance(met=10, running=2)
    assert result.workload.without_team == 8
