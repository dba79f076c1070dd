"""Incident workload per team and per person: who carries the incidents.

Definitions (the README quotes them):

- An incident is **handled** by its ``team`` and by its ``assignee``.
- **Time in an incident** (wall clock): from ``acknowledged_at`` (or ``reported_at``
  when it was not acknowledged) to ``resolved_at``; an incident still open as of
  ``as_of`` runs to ``as_of``. A timestamp after ``as_of`` has not happened yet.
- Every team record is listed, with its member count, even without incidents, so
  idle, overloaded and **single-person** teams (one member: no cover) all show; a team
  id that no record defines is listed with ``members`` None. Every team member and
  every assignee is listed as a person, with the teams that list them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsascode.calendars import utc
from opsascode.records import Incident, Team

_NOTHING = timedelta(0)
_HOUR = timedelta(hours=1)


def handling_time(incident: Incident, as_of: datetime) -> timedelta:
    """Wall-clock time spent in the incident up to ``as_of`` (see the module docstring)."""
    as_of = utc(as_of)
    acknowledged, resolved = incident.acknowledged_at, incident.resolved_at
    start = utc(acknowledged) if acknowledged and utc(acknowledged) <= as_of else None
    end = utc(resolved) if resolved and utc(resolved) <= as_of else as_of
    return max(end - (start or utc(incident.reported_at)), _NOTHING)


def is_open(incident: Incident, as_of: datetime) -> bool:
    """Not resolved as of ``as_of``."""
    return incident.resolved_at is None or utc(incident.resolved_at) > utc(as_of)


@dataclass(frozen=True)
class Load:
    """Incidents handled, how many are still open, and the time spent in them."""

    incidents: int
    open: int
    time: timedelta

    @property
    def hours(self) -> float:
        return self.time / _HOUR


@dataclass(frozen=True)
class TeamLoad:
    """A team's load; ``members`` from its team record (None: no such record)."""

    team: str
    name: str | None
    members: int | None
    single_person: bool
    load: Load

    @property
    def time_per_member(self) -> timedelta | None:
        return self.load.time / self.members if self.members else None


@dataclass(frozen=True)
class PersonLoad:
    """A person's load as assignee, and the teams that list them as a member."""

    person: str
    teams: tuple[str, ...]
    load: Load


@dataclass(frozen=True)
class Workload:
    """Load per team and per person (sorted by id), and incidents nobody holds."""

    teams: tuple[TeamLoad, ...]
    people: tuple[PersonLoad, ...]
    without_team: int
    without_assignee: int


def load_of(incidents: Sequence[Incident], as_of: datetime) -> Load:
    return Load(incidents=len(incidents),
                open=sum(1 for i in incidents if is_open(i, as_of)),
                time=sum((handling_time(i, as_of) for i in incidents), _NOTHING))


def workload(incidents: Iterable[Incident], teams: Iterable[Team],
             as_of: datetime) -> Workload:
    """Workload of the given incidents (pass ``incidents_in(...)`` for a period)."""
    incidents = list(incidents)
    records = {t.id: t for t in teams}
    team_ids = sorted(set(records) | {i.team for i in incidents if i.team is not None})
    people = sorted({m for t in records.values() for m in t.members}
                    | {i.assignee for i in incidents if i.assignee is not None})
    return Workload(
        teams=tuple(_team_load(t, records.get(t), incidents, as_of) for t in team_ids),
        people=tuple(PersonLoad(p, tuple(t for t in sorted(records) if p in records[t].members),
                                load_of([i for i in incidents if i.assignee == p], as_of))
                     for p in people),
        without_team=sum(1 for i in incidents if i.team is None),
        without_assignee=sum(1 for i in incidents if i.assignee is None))


def _team_load(team_id: str, record: Team | None, incidents: Sequence[Incident],
               as_of: datetime) -> TeamLoad:
    members = len(set(record.members)) if record is not None else None
    return TeamLoad(team=team_id, name=record.name if record is not None else None,
                    members=members, single_person=members == 1,
                    load=load_of([i for i in incidents if i.team == team_id], as_of))
