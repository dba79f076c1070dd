"""Availability per business service over a period, against its SLA target.

Definitions (the README repeats them):

* **Period**: ``[since, until)``, timezone-aware; its length is the denominator.
* **Outages**: every ``outages`` entry of every incident, on any asset. An open one
  (no ``end``) runs to ``until``; each is clipped to the period; effect ``none``
  counts for nothing; an asset the graph does not know is skipped.
* **Propagation**: over time, with the rules of :mod:`opsascode.impact` (see
  :mod:`opsascode.timelines`): an outage reaches a dependent over ``outage``
  relations, only degrades it over ``uses``, and never crosses ``monitored_by``,
  ``backed_up_to`` or ``replicates_to``; a cluster is out only while fewer than
  ``min_available`` members are available *at the same time*, else degraded.
* **Downtime** of a service: the time it is out, each instant counted once however
  many incidents overlap. **Degraded time**: the time it is degraded but not out; it
  never counts as downtime (not split into planned and unplanned).
* **Planned downtime**: the part of the downtime inside the window of a change whose
  status is approved, scheduled, implementing, completed, failed or rolled_back (not
  requested or cancelled), whose effect is not ``none``, and whose blast radius
  (``impact.blast_radius`` of its targets with its effect) reaches the service, with
  any effect. The rest of the downtime is **unplanned**.
* **Availability** = 100 x (1 - unplanned downtime / period length), in percent:
  planned downtime is excluded, as SLAs usually exclude announced maintenance, but
  it is reported, and ``availability_with_planned`` = 100 x (1 - (unplanned +
  planned) / period length) counts it. A period without outages, or of length zero,
  is 100 %.
* **Met**: availability >= the availability of the service's SLA; None when the
  service names no SLA, or one that does not exist.
* The downtime intervals are listed merged (touching or overlapping ones joined),
  each with the incidents that caused it and, when planned, the changes whose
  windows cover it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from opsascode.graph import DependencyGraph
from opsascode.impact import blast_radius
from opsascode.records import Change, Incident, Service, Sla
from opsascode.repository import Repository
from opsascode.timelines import Segment, Timeline, effect_timelines, normalise

#: Change statuses whose window makes downtime planned: approved and onwards.
PLANNED_STATUSES: frozenset[str] = frozenset(
    {"approved", "scheduled", "implementing", "completed", "failed", "rolled_back"})
_TICK = timedelta(microseconds=1)  # internal times: microseconds since `since`


@dataclass(frozen=True)
class Downtime:
    """A merged interval in which a service was out, and why."""

    start: datetime
    end: datetime
    incidents: tuple[str, ...]
    #: The approved changes whose windows cover it; empty for unplanned downtime.
    changes: tuple[str, ...] = ()

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class ServiceAvailability:
    """One business service's availability over a period."""

    id: str
    name: str | None
    tier: int
    sla: str | None
    #: The SLA's availability in percent; None without an SLA.
    target: float | None
    period: timedelta
    unplanned: timedelta
    planned: timedelta
    degraded: timedelta
    #: Percent, planned downtime excluded (the SLA figure).
    availability: float
    #: Percent, planned downtime counted as downtime too.
    availability_with_planned: float
    #: availability >= target; None without a target.
    met: bool | None
    outages: tuple[Downtime, ...]
    planned_outages: tuple[Downtime, ...]

    @property
    def period_seconds(self) -> float:
        return self.period.total_seconds()


def availability(repo: Repository, graph: DependencyGraph, since: datetime,
                 until: datetime) -> list[ServiceAvailability]:
    """The availability of every business service (kind ``service``), by id."""
    if until < since:
        raise ValueError(f"the period ends ({until}) before it starts ({since})")
    timelines = effect_timelines(graph, outage_segments(repo.incidents(), since, until))
    windows = planned_windows(repo, graph, since, until)
    slas = {sla.id: sla for sla in repo.slas()}
    return [_measure(service, slas, timelines.get(service.id, []),
                     windows.get(service.id, []), since, until)
            for service in sorted(repo.services(), key=lambda s: s.id)]


def outage_segments(incidents: Iterable[Incident], since: datetime,
                    until: datetime) -> dict[str, list[Segment]]:
    """Each asset's own outage segments, clipped to the period, caused by incidents."""
    result: dict[str, list[Segment]] = {}
    for incident in incidents:
        for outage in incident.outages:
            start, end = max(outage.start, since), min(outage.end or until, until)
            if outage.effect != "none" and end > start:
                result.setdefault(outage.asset, []).append(Segment(
                    _tick(start, since), _tick(end, since), outage.effect,
                    frozenset({incident.id})))
    return result


def planned_windows(repo: Repository, graph: DependencyGraph, since: datetime,
                    until: datetime) -> dict[str, Timeline]:
    """Per service, the windows of the approved changes that reach it, as one timeline
    whose causes are change ids."""
    assets = {asset.id: asset for asset in repo.assets()}
    windows: dict[str, list[Segment]] = {}
    for change in repo.changes():
        start, end = max(change.window.start, since), min(change.window.end, until)
        if not _plans_downtime(change) or end <= start:
            continue
        radius = blast_radius(graph, assets, dict.fromkeys(change.targets, change.effect))
        for service in radius.services:
            windows.setdefault(service.id, []).append(Segment(
                _tick(start, since), _tick(end, since), "outage", frozenset({change.id})))
    return {service: normalise(segments) for service, segments in windows.items()}


def _plans_downtime(change: Change) -> bool:
    return change.status in PLANNED_STATUSES and change.effect != "none"


def _measure(service: Service, slas: Mapping[str, Sla], timeline: Timeline,
             windows: Timeline, since: datetime, until: datetime) -> ServiceAvailability:
    down = [segment for segment in timeline if segment.effect == "outage"]
    unplanned, planned = split_planned(down, windows)
    period = until.astimezone(UTC) - since.astimezone(UTC)
    unplanned_time = _total(segment for segment, _ in unplanned)
    planned_time = _total(segment for segment, _ in planned)
    sla = slas.get(service.sla) if service.sla else None
    target = sla.availability if sla else None
    percent = _percent(unplanned_time, period)
    return ServiceAvailability(
        id=service.id, name=service.name, tier=service.tier, sla=service.sla, target=target,
        period=period, unplanned=unplanned_time, planned=planned_time,
        degraded=_total(s for s in timeline if s.effect == "degraded"),
        availability=percent,
        availability_with_planned=_percent(unplanned_time + planned_time, period),
        met=None if target is None else percent >= target,
        outages=_downtimes(unplanned, since),
        planned_outages=_downtimes(planned, since))


def split_planned(down: Timeline, windows: Timeline
                  ) -> tuple[list[tuple[Segment, frozenset[str]]],
                             list[tuple[Segment, frozenset[str]]]]:
    """Cut downtime segments at the planned windows: (unplanned, planned) pieces, each
    with the change ids whose windows cover it (none for unplanned pieces)."""
    unplanned: list[tuple[Segment, frozenset[str]]] = []
    planned: list[tuple[Segment, frozenset[str]]] = []
    first = 0
    for segment in down:
        while first < len(windows) and windows[first].end <= segment.start:
            first += 1
        cursor = segment.start
        for window in windows[first:]:
            if window.start >= segment.end:
                break
            if window.start > cursor:
                unplanned.append((segment._replace(start=cursor, end=window.start), frozenset()))
            cursor = min(window.end, segment.end)
            piece = segment._replace(start=max(window.start, segment.start), end=cursor)
            planned.append((piece, window.causes))
        if cursor < segment.end:
            unplanned.append((segment._replace(start=cursor), frozenset()))
    return unplanned, planned


def _downtimes(pieces: list[tuple[Segment, frozenset[str]]], since: datetime
               ) -> tuple[Downtime, ...]:
    """Touching or overlapping pieces merged, incidents and changes joined."""
    merged: list[tuple[int, int, frozenset[str], frozenset[str]]] = []
    for segment, changes in pieces:
        if merged and merged[-1][1] >= segment.start:
            start, end, incidents, covering = merged[-1]
            merged[-1] = (start, max(end, segment.end), incidents | segment.causes,
                          covering | changes)
        else:
            merged.append((segment.start, segment.end, segment.causes, changes))
    return tuple(Downtime(since + start * _TICK, since + end * _TICK, tuple(sorted(incidents)),
                          tuple(sorted(covering)))
                 for start, end, incidents, covering in merged)


def _total(segments: Iterable[Segment]) -> timedelta:
    return sum(segment.end - segment.start for segment in segments) * _TICK


def _percent(down: timedelta, period: timedelta) -> float:
    # (period - down) x 100 / period: one division of whole microseconds, so that
    # 5 minutes in 1,000 give exactly 99.5, not 99.49999999999999.
    return 100.0 if not period else (period - down) * 100 / period


def _tick(moment: datetime, since: datetime) -> int:
    # In UTC: two times in one zone subtract as wall-clock time, losing DST hours.
    return (moment.astimezone(UTC) - since.astimezone(UTC)) // _TICK
