"""``kpi``: every KPI of the operations service plan over a period, against the
targets in ``policies/`` (``kpi-targets``).

The parts are computed in their own modules (availability, incidents and SLA
clocks, changes, cost, workload); this module joins them, judges each target, and
cuts monthly trends. How a target is judged:

* **availability**: the *least* available business service (unplanned downtime only)
  must reach ``at_least``; every service is also held to its own SLA target.
* **mtta**, **mttr**: the mean over the period's incidents, at most ``at_most``.
* **change_failure_rate**: percent, at most ``at_most``.
* **lead_time**: the median lead time for changes, at most ``at_most``.
* **sla_compliance**: percent of decided SLA clocks met, at least ``at_least``.
* **satisfaction**: percent of rated incidents rated 4 or 5, at least ``at_least``.
* **cost**: the total within the budget plus ``within_percent``.

A metric without data (no incident, nothing implemented) is reported as such:
``met`` is None, never a pass.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opsascode.availability import ServiceAvailability, availability
from opsascode.change_metrics import ChangeMetrics, change_metrics, implemented_at
from opsascode.cost import CostReport, cost
from opsascode.incidents import IncidentKpis, incident_kpis, incident_times
from opsascode.leadtime import LeadTime
from opsascode.records import KpiTargets
from opsascode.records.base import format_duration
from opsascode.repository import Repository


@dataclass(frozen=True)
class TargetResult:
    metric: str
    target: str
    actual: str | None
    met: bool | None
    detail: str = ""


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    incidents: int
    mttr_hours: float | None
    changes_implemented: int
    change_failure_rate: float | None
    worst_availability: float | None


@dataclass
class KpiReport:
    since: datetime
    until: datetime
    availability: list[ServiceAvailability]
    incidents: IncidentKpis
    changes: ChangeMetrics
    cost: CostReport
    targets: list[TargetResult] = field(default_factory=list)
    trends: list[Month] = field(default_factory=list)
    changes_by_team: dict[str, int] = field(default_factory=dict)
    changes_by_person: dict[str, int] = field(default_factory=dict)

    @property
    def first_day(self) -> str:
        return self.since.date().isoformat()

    @property
    def last_day(self) -> str:
        """The last day included (``until`` is the start of the day after)."""
        return (self.until - timedelta(seconds=1)).date().isoformat()


def kpi_report(repo: Repository, since: datetime, until: datetime,
               lead_times: dict[str, LeadTime] | None = None) -> KpiReport:
    graph = repo.graph()
    report = KpiReport(
        since, until,
        availability=availability(repo, graph, since, until),
        incidents=incident_kpis(repo, since, until),
        changes=change_metrics(repo, since, until, lead_times),
        cost=cost(repo, graph, since, until),
    )
    report.targets = judge(report, next(iter(repo.kpi_targets()), None))
    report.trends = _trends(report, repo, until)
    _change_workload(report, repo)
    return report


def _change_workload(report: KpiReport, repo: Repository) -> None:
    implemented = set(report.changes.implemented)
    handled = [c for c in repo.changes() if c.id in implemented]
    report.changes_by_team = dict(sorted(Counter(c.team for c in handled).items()))
    people = Counter(p for c in handled for p in {c.assignee or c.requester})
    report.changes_by_person = dict(sorted(people.items()))


def months(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """Calendar months (in ``since``'s timezone) cut to the period."""
    result, start = [], since
    while start < until:
        following = (start.replace(day=1) + timedelta(days=32)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0)
        end = min(following, until)
        result.append((start, end))
        start = end
    return result


def _trends(report: KpiReport, repo: Repository, as_of: datetime) -> list[Month]:
    """Monthly figures cut from the period's own results (nothing is recomputed from
    the whole repository per month)."""
    changes = {c.id: c for c in repo.changes()}
    failed = set(report.changes.failed)
    incidents = {i.id: i for i in repo.incidents()}
    result = []
    for start, end in months(report.since, report.until):
        inside = [incidents[i] for i in report.incidents.incidents
                  if start <= incidents[i].reported_at < end]
        mttr = incident_times(inside, as_of).mttr.mean
        done = [c for c in report.changes.implemented
                if start <= implemented_at(changes[c]) < end]
        rate = 100 * sum(c in failed for c in done) / len(done) if done else None
        result.append(Month(start.strftime("%Y-%m"), len(inside),
                            mttr.total_seconds() / 3600 if mttr is not None else None,
                            len(done), rate, _worst_availability(report, start, end)))
    return result


def _worst_availability(report: KpiReport, start: datetime, end: datetime) -> float | None:
    """The least availability of a month, from the period's unplanned downtime."""
    length = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    if not report.availability or length <= 0:
        return None
    worst = max(sum(max(0.0, (min(d.end, end) - max(d.start, start)).total_seconds())
                    for d in service.outages) for service in report.availability)
    return 100 * (1 - worst / length)


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f}%".replace(".000%", "%")


def _duration(value: timedelta | None) -> str | None:
    return None if value is None else format_duration(value)


def judge(report: KpiReport, targets: KpiTargets | None) -> list[TargetResult]:
    if targets is None:
        return []
    t, found = targets.targets, []
    worst = min(report.availability, key=lambda s: s.availability, default=None)
    if t.availability is not None:
        actual = worst.availability if worst else None
        found.append(_at_least("availability", t.availability.at_least, actual, "%",
                               f"least available service: {worst.id}" if worst else ""))
    times = report.incidents.metrics.overall
    for metric, target, value in (("mtta", t.mtta, times.mtta.mean),
                                  ("mttr", t.mttr, times.mttr.mean),
                                  ("lead_time", t.lead_time, report.changes.lead_time_median)):
        if target is not None:
            met = None if value is None else value <= target.at_most
            found.append(TargetResult(metric, f"at most {format_duration(target.at_most)}",
                                      _duration(value), met))
    if t.change_failure_rate is not None:
        rate = report.changes.failure_rate
        found.append(TargetResult(
            "change_failure_rate", f"at most {t.change_failure_rate.at_most:g}%",
            _percent(rate), None if rate is None else rate <= t.change_failure_rate.at_most,
            f"{len(report.changes.failed)} of {len(report.changes.implemented)} implemented"))
    if t.sla_compliance is not None:
        found.append(_at_least("sla_compliance", t.sla_compliance.at_least,
                               report.incidents.sla_compliance.overall.percent, "%"))
    if t.satisfaction is not None:
        found.append(_at_least("satisfaction", t.satisfaction.at_least,
                               report.incidents.satisfaction.percent, "%",
                               "percent of rated incidents rated 4 or 5"))
    if t.cost is not None and report.cost.budget is not None:
        budget = report.cost.budget
        found.append(TargetResult(
            "cost", f"within {budget.within_percent:g}% of {budget.budget:,.2f} "
            f"{budget.currency}", None if budget.actual is None else
            f"{budget.actual:,.2f} {budget.currency}", budget.met, budget.note or ""))
    return found


def _at_least(metric: str, target: float, actual: float | None, unit: str,
              detail: str = "") -> TargetResult:
    return TargetResult(metric, f"at least {target:g}{unit}", _percent(actual),
                        None if actual is None else actual >= target, detail)
