"""Rules for incidents and problems."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from opsascode import problems as P
from opsascode.problems import Loc, Problem
from opsascode.records import Incident
from opsascode.records import Problem as ProblemRecord
from opsascode.records.incidents import INCIDENT_CLOCK, Outage, Pause
from opsascode.records.policies import DEFAULT_PRIORITY_MATRIX
from opsascode.repository import Origin, Repository

if TYPE_CHECKING:
    from opsascode.checks import Context


def check_incidents(repo: Repository, context: Context) -> Iterable[Problem]:
    matrices = list(repo.priority_matrices())
    matrix = matrices[0].matrix if matrices else DEFAULT_PRIORITY_MATRIX
    for incident in repo.incidents():
        if not _looks_fine(incident, matrix):
            yield from _incident(repo.origins[incident.id], incident,
                                 matrix[incident.impact][incident.urgency])


_CLOCK = attrgetter(*INCIDENT_CLOCK)
_DONE = frozenset({"resolved", "closed"})
#: With this many timestamps unset, the one left cannot be out of order (a quick count
#: in C for the many incidents that are only reported).
_LONE_STAMP = len(INCIDENT_CLOCK) - 1


def _looks_fine(incident: Incident, matrix: Mapping[Any, Mapping[Any, str]]) -> bool:
    """The common case, quickly: nothing below applies to ``incident`` (the audit checks
    every incident of every merged branch again; the rules run only when this says no)."""
    stamps: tuple[datetime | None, ...] = _CLOCK(incident)
    return ((stamps.count(None) >= _LONE_STAMP or _in_order(stamps))
            and (incident.priority is None
                 or incident.priority == matrix[incident.impact][incident.urgency])
            and (incident.resolved_at is not None or incident.status not in _DONE)
            and not (incident.outages and _ends_before_start(incident.outages))
            and not (incident.paused and _ends_before_start(incident.paused)))


def _in_order(stamps: tuple[datetime | None, ...]) -> bool:
    present = [stamp for stamp in stamps if stamp is not None]
    return present == sorted(present)


def _ends_before_start(intervals: Sequence[Outage] | Sequence[Pause]) -> bool:
    return any(i.end is not None and i.end < i.start for i in intervals)


def _incident(origin: Origin, incident: Incident, expected: str) -> Iterator[Problem]:
    label = f"incident {incident.id!r}"
    stamps = [(name, getattr(incident, name)) for name in INCIDENT_CLOCK]
    present = [(name, value) for name, value in stamps if value is not None]
    for (first, a), (second, b) in pairwise(present):
        if b < a:
            yield P.error(origin.file, "timestamps-out-of-order",
                          f"{second} of {label} ({b.isoformat()}) is before {first} "
                          f"({a.isoformat()}); the order is {', '.join(INCIDENT_CLOCK)}",
                          loc=(*origin.loc, second))
    if incident.priority is not None and incident.priority != expected:
        yield P.error(origin.file, "priority-mismatch",
                      f"{label} declares priority {incident.priority} but impact "
                      f"{incident.impact} and urgency {incident.urgency} give {expected} "
                      "in the priority matrix; fix `priority` or drop it",
                      loc=(*origin.loc, "priority"))
    yield from _intervals(origin.file, origin.loc, label, incident)
    if incident.status in _DONE and incident.resolved_at is None:
        yield P.error(origin.file, "missing-resolved-at",
                      f"{label} is {incident.status} but has no `resolved_at`",
                      loc=(*origin.loc, "status"))


def _intervals(file: str, loc: Loc, label: str, incident: Incident) -> Iterable[Problem]:
    intervals = [("outages", i, o.start, o.end) for i, o in enumerate(incident.outages)]
    intervals += [("paused", i, p.start, p.end) for i, p in enumerate(incident.paused)]
    for field, i, start, end in intervals:
        if end is not None and end < start:
            yield P.error(file, "interval-ends-before-start",
                          f"{field}[{i}] of {label} ends before it starts; fix its `end`",
                          loc=(*loc, field, i, "end"))


def check_problem_links(repo: Repository, context: Context) -> Iterable[Problem]:
    """An incident that names a problem is listed by it, and the other way round."""
    for incident in repo.incidents():
        named = repo.get(incident.problem, ProblemRecord) if incident.problem else None
        if named is not None and incident.id not in named.incidents:
            origin = repo.origins[incident.id]
            yield P.error(origin.file, "inconsistent-link",
                          f"incident {incident.id!r} names problem {named.id!r}, which does not "
                          f"list it; add {incident.id} to the problem's `incidents`",
                          loc=(*origin.loc, "problem"))
    for record in repo.problem_records():
        origin = repo.origins[record.id]
        for i, incident_id in enumerate(record.incidents):
            listed = repo.get(incident_id, Incident)
            if listed is not None and listed.problem not in (None, record.id):
                yield P.error(origin.file, "inconsistent-link",
                              f"problem {record.id!r} lists incident {incident_id!r}, which "
                              f"names problem {listed.problem!r}; make them agree",
                              loc=(*origin.loc, "incidents", i))



def check_recurring(repo: Repository, context: Context) -> Iterable[Problem]:
    """Recurring incidents that no problem record links: a warning, so that problem
    management starts from data (the rule comes from ``kpi-targets``)."""
    from opsascode.problem_kpis import RecurrenceRule, recurring_incidents
    from opsascode.sla import IncidentContext

    rule = RecurrenceRule.from_targets(next(iter(repo.kpi_targets()), None))
    incidents = list(repo.incidents())
    if len(incidents) < rule.count:
        return
    first = min(i.reported_at for i in incidents)
    until = max(i.reported_at for i in incidents) + timedelta(seconds=1)
    groups = recurring_incidents(incidents, list(repo.problem_records()),
                                 IncidentContext.from_repository(repo), first, until, rule)
    subjects: dict[tuple[str, ...], list[str]] = {}
    for group in groups:  # the same incidents on an asset and on its service: one warning
        subjects.setdefault(tuple(group.incidents), []).append(group.subject)
    for ids, names in subjects.items():
        last = repo.origins[ids[-1]]
        yield P.warning(last.file, "recurring-incidents",
                        f"{len(ids)} incidents on {', '.join(sorted(names))} within "
                        f"{rule.days} days ({', '.join(ids)}) and no problem record links "
                        "them; open a problem (problems/) to find the cause", loc=last.loc)
