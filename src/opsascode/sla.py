"""SLA clocks: which SLAs an incident is measured against, and how it fared.

Definitions (the README quotes them):

- **Priority** comes from the priority matrix (``impact`` x ``urgency``); a declared
  ``priority`` must agree (``validate`` reports it when not), so the matrix is used.
- **Services an incident impacts**: its ``affected`` ids that are services, plus every
  service in the blast radius of its affected assets and outage assets. An asset named
  by outages carries its worst outage ``effect``; an affected asset without an outage
  record counts as ``degraded`` (an incident is at least a degradation of what it
  affects). Which services are reached does not depend on that choice.
- **Clocks**: an incident is measured against the SLA of *every* service it impacts that
  has one; services sharing an SLA share one clock per kind, so each
  ``(incident, sla, kind)`` is one clock. Each SLA has two clocks:
  ``response`` (until ``acknowledged_at``, or ``resolved_at`` when the incident was
  resolved without being acknowledged) and ``resolution`` (until ``resolved_at``).
- **Clock start**: the earlier of ``detected_at`` and ``reported_at``. ITIL starts the
  clock when the service organisation knows of the incident, and a monitoring alert
  reaches it before the user's call is logged; a slow report must not hide time the
  user already lost.
- **Elapsed**: business time on the SLA's calendar (no calendar: 24x7) from the start
  to the stop, minus the ``paused`` intervals (overlapping pauses count once; a pause
  outside business hours removes nothing, as no business time runs then).
- **As of**: a report looks at the world as of ``as_of`` (usually the period end): a
  timestamp after it has not happened yet, so an open clock runs until ``as_of``.
- **Status**: ``not_measured`` when the SLA has no target for the priority (or names an
  unknown calendar); else ``met`` when the clock stopped within its target (equal
  counts as met), ``breached`` when it stopped later or is still running and already
  over, with ``over`` = elapsed - target; else ``running``.
- **Compliance**: percent of the *decided* clocks (met + breached) that were met;
  running and unmeasured clocks are counted but left out of the percent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from opsascode.calendars import BusinessCalendar, utc
from opsascode.graph import DependencyGraph
from opsascode.impact import RANK, blast_radius
from opsascode.records import Incident, PriorityMatrix, Service, Sla
from opsascode.records.assets import AssetBase
from opsascode.records.policies import DEFAULT_PRIORITY_MATRIX
from opsascode.repository import Repository

ClockKind = Literal["response", "resolution"]
ClockStatus = Literal["met", "breached", "running", "not_measured"]
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
CLOCK_KINDS: tuple[ClockKind, ...] = ("response", "resolution")
#: impact -> urgency -> priority; ``Any`` keys take a record's ``Level3`` literals too.
PriorityTable = Mapping[Any, Mapping[Any, str]]
_NOTHING = timedelta(0)
_24X7 = BusinessCalendar(None)


@dataclass(frozen=True)
class IncidentContext:
    """What incident KPIs read besides the incidents: assets and their graph, SLAs
    and calendars by id, and the priority matrix (impact -> urgency -> priority)."""

    assets: Mapping[str, AssetBase]
    graph: DependencyGraph
    slas: Mapping[str, Sla]
    calendars: Mapping[str, BusinessCalendar]
    matrix: PriorityTable

    @classmethod
    def from_repository(cls, repo: Repository) -> IncidentContext:
        """The context of a loaded repository; the first priority matrix (as
        ``validate`` uses it), else ``DEFAULT_PRIORITY_MATRIX``."""
        assets = {a.id: a for a in repo.assets()}
        matrix = next(iter(repo.priority_matrices()), None)
        return cls(assets=assets, graph=repo.graph(),
                   slas={s.id: s for s in repo.slas()},
                   calendars={c.id: BusinessCalendar(c) for c in repo.calendars()},
                   matrix=matrix.matrix if matrix is not None else DEFAULT_PRIORITY_MATRIX)


def priority_of(incident: Incident,
                matrix: PriorityMatrix | PriorityTable | None = None) -> str:
    """The incident's priority: ``matrix[impact][urgency]`` (default matrix if None)."""
    if isinstance(matrix, PriorityMatrix):
        return matrix.priority(incident.impact, incident.urgency)
    return (matrix or DEFAULT_PRIORITY_MATRIX)[incident.impact][incident.urgency]


def impacted_services(incident: Incident, assets: Mapping[str, AssetBase],
                      graph: DependencyGraph) -> tuple[Service, ...]:
    """The services the incident impacts (see the module docstring), sorted by id."""
    targets = dict.fromkeys(incident.affected, "degraded")
    targets.update(dict.fromkeys((o.asset for o in incident.outages), "none"))
    for outage in incident.outages:
        if RANK[outage.effect] > RANK[targets[outage.asset]]:
            targets[outage.asset] = outage.effect
    # An asset whose outages all had no effect is no target (and blocks nothing).
    hit = {asset: effect for asset, effect in targets.items() if effect != "none"}
    reached = {i.id for i in blast_radius(graph, assets, hit).impacted}
    found = {a for a in (*incident.affected, *reached) if isinstance(assets.get(a), Service)}
    return tuple(s for a in sorted(found) if isinstance(s := assets[a], Service))


def clock_start(incident: Incident) -> datetime:
    """When the SLA clocks start: the earlier of ``detected_at`` and ``reported_at``."""
    stamps = [utc(incident.reported_at)]
    if incident.detected_at is not None:
        stamps.append(utc(incident.detected_at))
    return min(stamps)


def clock_stop(incident: Incident, kind: ClockKind, as_of: datetime) -> datetime | None:
    """When the clock of ``kind`` stopped by ``as_of``, or None while it runs."""
    stamps = [incident.resolved_at]
    if kind == "response":
        stamps.append(incident.acknowledged_at)
    happened = [utc(s) for s in stamps if s is not None and utc(s) <= utc(as_of)]
    return min(happened, default=None)


@dataclass(frozen=True)
class SlaClock:
    """One clock: the response or resolution time of an incident under one SLA.

    ``services`` are the impacted services held to this SLA; ``start`` and ``stop``
    are in UTC (``stop`` is ``as_of`` while the clock runs); ``elapsed``, ``target`` and
    ``over`` are business time on ``calendar`` (its id, or ``24x7``); ``over`` is set
    only when breached; ``reason`` says why a clock is not measured."""

    incident: str
    sla: str
    services: tuple[str, ...]
    priority: str
    kind: ClockKind
    elapsed: timedelta
    target: timedelta | None
    status: ClockStatus
    over: timedelta | None
    start: datetime
    stop: datetime
    calendar: str
    reason: str | None = None


def sla_clocks(incident: Incident, context: IncidentContext,
               as_of: datetime) -> list[SlaClock]:
    """Every clock of the incident as of ``as_of``: per SLA of the services it impacts,
    a response and a resolution clock; sorted by SLA id, then kind."""
    by_sla: dict[str, list[str]] = {}
    for service in impacted_services(incident, context.assets, context.graph):
        if service.sla is not None and service.sla in context.slas:
            by_sla.setdefault(service.sla, []).append(service.id)
    priority = priority_of(incident, context.matrix)
    return [_clock(incident, context.slas[sla], tuple(services), priority, kind,
                   context.calendars, as_of)
            for sla, services in sorted(by_sla.items()) for kind in CLOCK_KINDS]


def _clock(incident: Incident, sla: Sla, services: tuple[str, ...], priority: str,
           kind: ClockKind, calendars: Mapping[str, BusinessCalendar],
           as_of: datetime) -> SlaClock:
    start = clock_start(incident)
    stopped = clock_stop(incident, kind, as_of)
    stop = stopped if stopped is not None else max(start, utc(as_of))
    calendar = calendars.get(sla.calendar, _24X7) if sla.calendar is not None else _24X7
    pauses = [(p.start, p.end) for p in incident.paused]
    elapsed = calendar.business_duration(start, stop, pauses)
    targets = sla.response if kind == "response" else sla.resolution
    target = next((t for p, t in targets.items() if p == priority), None)
    status, over, reason = _judge(elapsed, target, stopped is not None)
    if sla.calendar is not None and sla.calendar not in calendars:
        status, over = "not_measured", None
        reason = f"{sla.id} names calendar {sla.calendar!r}, which does not exist"
    elif reason is not None:
        reason = f"{sla.id} has no {kind} target for {priority}"
    return SlaClock(incident=incident.id, sla=sla.id, services=services, priority=priority,
                    kind=kind, elapsed=elapsed, target=target, status=status, over=over,
                    start=start, stop=stop, calendar=calendar.id, reason=reason)


def _judge(elapsed: timedelta, target: timedelta | None,
           stopped: bool) -> tuple[ClockStatus, timedelta | None, str | None]:
    if target is None:
        return "not_measured", None, "no target"
    if elapsed > target:
        return "breached", elapsed - target, None
    return ("met" if stopped else "running"), None, None


@dataclass(frozen=True)
class Compliance:
    """Clock counts by status; ``percent`` = met / (met + breached) x 100, or None
    when no clock was decided."""

    met: int = 0
    breached: int = 0
    running: int = 0
    not_measured: int = 0

    @property
    def measured(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return 100 * self.met / self.measured if self.measured else None


@dataclass(frozen=True)
class SlaCompliance:
    """Compliance overall, per priority (P1-P4, always all four) and per clock kind."""

    overall: Compliance
    by_priority: dict[str, Compliance]
    by_kind: dict[str, Compliance]


def compliance(clocks: Iterable[SlaClock]) -> Compliance:
    """Count the clocks by status."""
    counts = dict.fromkeys(("met", "breached", "running", "not_measured"), 0)
    for clock in clocks:
        counts[clock.status] += 1
    return Compliance(**counts)


def sla_compliance(clocks: Iterable[SlaClock]) -> SlaCompliance:
    """SLA compliance of the clocks: each ``(incident, sla, kind)`` clock counts once."""
    clocks = list(clocks)
    return SlaCompliance(
        overall=compliance(clocks),
        by_priority={p: compliance(c for c in clocks if c.priority == p) for p in PRIORITIES},
        by_kind={k: compliance(c for c in clocks if c.kind == k) for k in CLOCK_KINDS})
