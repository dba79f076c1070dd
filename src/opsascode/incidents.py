"""Incident KPIs over a period: MTTA, MTTR and satisfaction here, and everything
incident-side of ``opsascode kpi`` at once (``incident_kpis``): SLA clocks and
compliance (``sla``), recurring incidents and known errors (``problem_kpis``) and
workload (``workload``).

Definitions (the README quotes them):

- **Period** ``[since, until)``: an incident belongs to it when its ``reported_at``
  does; each incident counts once, whatever and however many services it impacts.
- **As of** (default: ``until``): the moment the report looks from; a timestamp after
  it has not happened yet (an incident resolved after ``as_of`` is still open).
- **MTTA** (time to acknowledge): ``reported_at`` -> ``acknowledged_at``, or
  ``resolved_at`` when it was resolved without an acknowledgement. **MTTR** (time to
  resolve): ``reported_at`` -> ``resolved_at``. Both are wall-clock time (24x7), as
  users live it; business-hours time is what the SLA clocks measure. An incident not
  yet acknowledged (resolved) as of ``as_of`` is left out of the MTTA (MTTR) sample,
  whose ``count`` shows the sample size; ``unresolved`` counts those not resolved.
  Mean and median (the mean of the two middle values for an even count), overall and
  per priority; None when there is nothing to average.
- **SLA compliance**: see ``sla``: each ``(incident, sla, kind)`` clock counts once.
- **Satisfaction**: of the incidents with a ``satisfaction`` rating (1-5), the percent
  rated 4 or 5, the mean rating and the number rated.
- **Recurring incidents** and **known errors**: see ``problem_kpis``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsascode.calendars import utc
from opsascode.problem_kpis import (
    KnownError,
    Recurrence,
    RecurrenceRule,
    known_errors,
    recurring_incidents,
)
from opsascode.records import Incident, PriorityMatrix
from opsascode.repository import Repository
from opsascode.sla import (
    PRIORITIES,
    IncidentContext,
    PriorityTable,
    SlaClock,
    SlaCompliance,
    sla_clocks,
    sla_compliance,
)
from opsascode.sla import priority_of as priority_of  # re-exported: KPIs start from it
from opsascode.workload import Workload, workload

_NOTHING = timedelta(0)


def incidents_in(incidents: Iterable[Incident], since: datetime,
                 until: datetime) -> list[Incident]:
    """The incidents reported in ``[since, until)``, once each, by report time and id."""
    chosen = {i.id: i for i in incidents if utc(since) <= utc(i.reported_at) < utc(until)}
    return sorted(chosen.values(), key=lambda i: (utc(i.reported_at), i.id))


@dataclass(frozen=True)
class DurationStats:
    """How many durations, their mean and their median (None when there are none)."""

    count: int
    mean: timedelta | None
    median: timedelta | None


def duration_stats(values: Iterable[timedelta]) -> DurationStats:
    values = sorted(values)
    if not values:
        return DurationStats(0, None, None)
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    return DurationStats(len(values), sum(values, _NOTHING) / len(values), median)


def _happened(stamp: datetime | None, as_of: datetime) -> datetime | None:
    return utc(stamp) if stamp is not None and utc(stamp) <= utc(as_of) else None


def time_to_acknowledge(incident: Incident, as_of: datetime) -> timedelta | None:
    """Wall-clock time from report to acknowledgement (or resolution), None if neither
    happened by ``as_of``."""
    stops = [s for s in (_happened(incident.acknowledged_at, as_of),
                         _happened(incident.resolved_at, as_of)) if s is not None]
    return max(min(stops) - utc(incident.reported_at), _NOTHING) if stops else None


def time_to_resolve(incident: Incident, as_of: datetime) -> timedelta | None:
    """Wall-clock time from report to resolution, None if not resolved by ``as_of``."""
    resolved = _happened(incident.resolved_at, as_of)
    return max(resolved - utc(incident.reported_at), _NOTHING) if resolved else None


@dataclass(frozen=True)
class IncidentTimes:
    """MTTA and MTTR of a set of incidents; ``unresolved``: not resolved as of ``as_of``."""

    incidents: int
    unresolved: int
    mtta: DurationStats
    mttr: DurationStats


@dataclass(frozen=True)
class IncidentMetrics:
    """MTTA and MTTR overall and per priority (P1-P4, always all four)."""

    overall: IncidentTimes
    by_priority: dict[str, IncidentTimes]


def incident_times(incidents: Sequence[Incident], as_of: datetime) -> IncidentTimes:
    resolve = [time_to_resolve(i, as_of) for i in incidents]
    return IncidentTimes(
        incidents=len(incidents), unresolved=sum(1 for r in resolve if r is None),
        mtta=duration_stats(t for i in incidents if (t := time_to_acknowledge(i, as_of))
                            is not None),
        mttr=duration_stats(r for r in resolve if r is not None))


def incident_metrics(incidents: Sequence[Incident],
                     matrix: PriorityMatrix | PriorityTable | None,
                     as_of: datetime) -> IncidentMetrics:
    """MTTA/MTTR of the given incidents (pass ``incidents_in(...)`` for a period)."""
    return IncidentMetrics(
        overall=incident_times(incidents, as_of),
        by_priority={p: incident_times([i for i in incidents if priority_of(i, matrix) == p],
                                       as_of) for p in PRIORITIES})


@dataclass(frozen=True)
class Satisfaction:
    """Ratings: how many, how many 4 or 5, that as a percent, and the mean rating."""

    rated: int
    satisfied: int
    percent: float | None
    mean: float | None


def satisfaction(incidents: Iterable[Incident]) -> Satisfaction:
    ratings = [i.satisfaction for i in incidents if i.satisfaction is not None]
    if not ratings:
        return Satisfaction(0, 0, None, None)
    satisfied = sum(1 for r in ratings if r >= 4)
    return Satisfaction(len(ratings), satisfied, 100 * satisfied / len(ratings),
                        sum(ratings) / len(ratings))


# ---------------------------------------------------------------- everything


@dataclass(frozen=True)
class IncidentKpis:
    """The incident side of ``opsascode kpi`` for one period."""

    since: datetime
    until: datetime
    as_of: datetime
    incidents: tuple[str, ...]
    metrics: IncidentMetrics
    clocks: tuple[SlaClock, ...]
    sla_compliance: SlaCompliance
    satisfaction: Satisfaction
    recurring: tuple[Recurrence, ...]
    known_errors: tuple[KnownError, ...]
    workload: Workload


def incident_kpis(repo: Repository, since: datetime, until: datetime,
                  as_of: datetime | None = None) -> IncidentKpis:
    """Every incident KPI of ``repo`` for ``[since, until)``, as of ``as_of`` (default
    ``until``); the recurrence rule comes from the first ``kpi-targets`` record."""
    as_of = utc(as_of if as_of is not None else until)
    context = IncidentContext.from_repository(repo)
    every = list(repo.incidents())
    problems = list(repo.problem_records())
    chosen = incidents_in(every, since, until)
    clocks = [c for i in chosen for c in sla_clocks(i, context, as_of)]
    rule = RecurrenceRule.from_targets(next(iter(repo.kpi_targets()), None))
    return IncidentKpis(
        since=utc(since), until=utc(until), as_of=as_of,
        incidents=tuple(i.id for i in chosen),
        metrics=incident_metrics(chosen, context.matrix, as_of),
        clocks=tuple(clocks), sla_compliance=sla_compliance(clocks),
        satisfaction=satisfaction(chosen),
        recurring=tuple(recurring_incidents(every, problems, context, since, until, rule)),
        known_errors=tuple(known_errors(problems, every, as_of)),
        workload=workload(chosen, list(repo.teams()), as_of))
