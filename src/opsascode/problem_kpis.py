"""Problem-management KPIs: recurring incidents that call for a problem record, and
known errors with the incidents still open on them.

Definitions (the README quotes them):

- **Recurring incidents**: ``count`` (default 3, ``kpi-targets.recurring_incidents``)
  or more incidents on the same subject whose ``reported_at`` lie within ``days``
  (default 30) of each other, counting only incidents no problem links
  (``incident.problem`` unset and no problem lists them). An incident's subjects are
  its affected assets, its outage assets and the services it impacts (``sla``). A
  group is reported when its last incident is reported in ``[since, until)``; earlier
  ones may precede ``since`` by up to ``days``. Overlapping windows form one group.
- **Known errors**: problems with ``known_error: true`` or ``status: known_error``
  (whatever their status otherwise, so a resolved one still shows), with their
  workaround and their incidents open as of ``as_of`` (reported by then and not
  resolved by then).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsascode.calendars import utc
from opsascode.records import Incident, KpiTargets, Problem
from opsascode.sla import IncidentContext, impacted_services
from opsascode.workload import is_open


@dataclass(frozen=True)
class RecurrenceRule:
    """``count`` or more unlinked incidents within ``days`` call for a problem record."""

    count: int = 3
    days: int = 30

    @classmethod
    def from_targets(cls, targets: KpiTargets | None) -> RecurrenceRule:
        given = targets.recurring_incidents if targets is not None else {}
        return cls(count=given.get("count", cls.count), days=given.get("days", cls.days))


@dataclass(frozen=True)
class Recurrence:
    """Incidents recurring on one subject (an asset or service), by report time."""

    subject: str
    incidents: tuple[str, ...]
    first: datetime
    last: datetime


def linked_to_problems(incidents: Iterable[Incident], problems: Iterable[Problem]) -> set[str]:
    """Ids of incidents that name a problem or that a problem lists."""
    listed = {i for p in problems for i in p.incidents}
    return listed | {i.id for i in incidents if i.problem is not None}


def incident_subjects(incident: Incident, context: IncidentContext) -> set[str]:
    """What an incident is on: affected assets, outage assets and impacted services."""
    services = impacted_services(incident, context.assets, context.graph)
    return {*incident.affected, *(o.asset for o in incident.outages), *(s.id for s in services)}


def recurring_incidents(incidents: Iterable[Incident], problems: Iterable[Problem],
                        context: IncidentContext, since: datetime, until: datetime,
                        rule: RecurrenceRule | None = None) -> list[Recurrence]:
    """Groups of recurring unlinked incidents (see the module docstring), by subject,
    then by first report."""
    rule = rule or RecurrenceRule()
    incidents = list(incidents)
    linked = linked_to_problems(incidents, problems)
    window = timedelta(days=rule.days)
    earliest, until = utc(since) - window, utc(until)
    by_subject: dict[str, list[tuple[datetime, str]]] = {}
    for incident in incidents:
        reported = utc(incident.reported_at)
        if incident.id not in linked and earliest <= reported < until:
            for subject in incident_subjects(incident, context):
                by_subject.setdefault(subject, []).append((reported, incident.id))
    return [Recurrence(subject, tuple(i for _, i in group), group[0][0], group[-1][0])
            for subject, seen in sorted(by_subject.items())
            for group in _bursts(sorted(seen), rule.count, window, utc(since))]


def _bursts(seen: list[tuple[datetime, str]], count: int, window: timedelta,
            since: datetime) -> list[list[tuple[datetime, str]]]:
    # Slide a window ending at each incident; qualifying windows that share
    # incidents merge into one burst.
    spans: list[tuple[int, int]] = []
    first = 0
    for last, (at, _) in enumerate(seen):
        while at - seen[first][0] > window:
            first += 1
        if last - first + 1 >= count and at >= since:
            if spans and first <= spans[-1][1]:
                spans[-1] = (spans[-1][0], last)
            else:
                spans.append((first, last))
    return [seen[a:b + 1] for a, b in spans]


@dataclass(frozen=True)
class KnownError:
    """A known error: its problem, workaround and the incidents still open on it."""

    problem: str
    title: str
    status: str
    workaround: str | None
    open_incidents: tuple[str, ...]


def known_errors(problems: Iterable[Problem], incidents: Iterable[Incident],
                 as_of: datetime) -> list[KnownError]:
    """Problems that are known errors, by id, with their incidents open as of ``as_of``."""
    incidents = sorted(incidents, key=lambda i: i.id)
    result = []
    for problem in sorted(problems, key=lambda p: p.id):
        if not (problem.known_error or problem.status == "known_error"):
            continue
        open_ones = tuple(i.id for i in incidents
                          if (i.problem == problem.id or i.id in problem.incidents)
                          and is_open(i, as_of)
                          and utc(i.reported_at) <= utc(as_of))
        result.append(KnownError(problem.id, problem.title, problem.status,
                                 problem.workaround, open_ones))
    return result
