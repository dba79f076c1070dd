"""``plan``: what a branch changes and what it puts at risk.

Policy inputs (risk model, calendars, templates) come from the BASE revision, so a
branch cannot lower its own risk by editing them; the inventory, the changes and
their history come from HEAD, which is what would be merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opsascode import problems as P
from opsascode.calendars import BusinessCalendar, calendar_for
from opsascode.conflicts import (
    Conflict,
    active_changes,
    change_conflicts,
    freeze_conflicts,
    maintenance_conflicts,
)
from opsascode.diff import RecordChange, branch_changes, undeclared
from opsascode.impact import BlastRadius, blast_radius
from opsascode.records import Change, ChangeTemplate
from opsascode.records.assets import AssetBase
from opsascode.repository import Repository
from opsascode.risk import Assessment, RiskInputs, assess
from opsascode.spof import SinglePoints
from opsascode.templates import template_mismatch
from opsascode.trackrecord import TrackRecords


@dataclass(frozen=True)
class NewSinglePoint:
    service: str
    asset: str


@dataclass
class ChangePlan:
    change: Change
    status: str  # added | modified
    file: str
    radius: BlastRadius
    risk: Assessment
    conflicts: list[Conflict]
    problems: list[P.Problem]


@dataclass
class Plan:
    base: str
    head: str
    diff: list[RecordChange]
    changed_paths: list[str]
    changes: list[ChangePlan] = field(default_factory=list)
    undeclared: list[P.Problem] = field(default_factory=list)
    new_single_points: list[NewSinglePoint] = field(default_factory=list)
    problems: list[P.Problem] = field(default_factory=list)

    @property
    def has_findings(self) -> bool:
        return bool(self.undeclared) or P.has_errors(self.problems) or any(
            P.has_errors(c.problems) for c in self.changes)


class _Estate:
    """One revision's graph and assets, with blast radii cached per change."""

    def __init__(self, repo: Repository) -> None:
        self.assets = {a.id: a for a in repo.assets()}
        self.graph = repo.graph()
        self._radii: dict[str, BlastRadius] = {}

    def radius(self, change: Change) -> BlastRadius:
        if change.id not in self._radii:
            targets = {t: change.effect for t in change.targets if t in self.assets}
            # Kept with the graph: revisions that share it (no asset differs) share
            # the radii too, so replaying many merges works each one out once.
            key = tuple(sorted(targets.items()))
            found = self.graph.radii.get(key)
            if found is None:
                found = self.graph.radii[key] = blast_radius(self.graph, self.assets, targets)
            self._radii[change.id] = found
        return self._radii[change.id]

    def radius_of_assets(self, ids: set[str]) -> BlastRadius:
        return blast_radius(self.graph, self.assets, dict.fromkeys(ids & set(self.assets),
                                                                   "outage"))


def build_plan(base: Repository, head: Repository, diff: list[RecordChange],
               changed_paths: list[str], *, base_rev: str, head_rev: str,
               policy: Repository | None = None,
               head_problems: list[P.Problem], also: list[Change] | None = None) -> Plan:
    """``base`` is where the branch started (the diff's left side); ``policy`` is the
    base branch as it is now, whose risk model, calendars and templates judge the
    branch (the same revision when the branch is up to date)."""
    plan = Plan(base_rev, head_rev, diff, changed_paths, problems=head_problems)
    estate = _Estate(head)
    rules = policy or base
    calendar = calendar_for(rules)
    changes = branch_changes(diff, head)
    plan.undeclared = undeclared(diff, base, head, changes)
    plan.new_single_points = _new_single_points(diff, base, estate)
    others = active_changes([*head.changes(), *(also or [])])
    assets_of_rules: dict[str, AssetBase] | None = None
    history = TrackRecords(head)
    status = {c.id: c.status for c in diff}
    for change in sorted(changes, key=lambda c: c.id):
        radius = estate.radius(change)
        targets = [estate.assets[t] for t in change.targets if t in estate.assets]
        conflicts = [*change_conflicts(change, radius, others, estate.radius),
                     *maintenance_conflicts(change, targets, calendar)]
        freezes = freeze_conflicts(change, targets, calendar)
        inputs = _risk_inputs(change, radius, targets, calendar, conflicts, freezes, rules)
        inputs.redundancy = _redundancy(radius, estate, plan.new_single_points)
        inputs.team_record = history.of_team(change.team, excluding=change.id)
        inputs.asset_record = history.of_assets(change.targets, excluding=change.id)
        problems = [p for p in head_problems if p.file == head.origins[change.id].file]
        if assets_of_rules is None and change.type == "standard":
            assets_of_rules = {a.id: a for a in rules.assets()}
        template, mismatch = _template(change, rules, assets_of_rules or {})
        if mismatch:
            problems.append(P.error(head.origins[change.id].file, "template-mismatch",
                                    mismatch, line=1, column=1))
        inputs.template = template
        risk = assess(inputs, next(iter(rules.risk_models()), None))
        plan.changes.append(ChangePlan(change, status[change.id], head.origins[change.id].file,
                                       radius, risk, [*conflicts, *freezes], problems))
    return plan


def _risk_inputs(change: Change, radius: BlastRadius, targets: list[AssetBase],
                 calendar: BusinessCalendar, conflicts: list[Conflict],
                 freezes: list[Conflict], base: Repository) -> RiskInputs:
    start, end = change.window.start, change.window.end
    peaks = sorted({f"{w.name} ({s.id})" for s in radius.services
                    if (service := base.records.get(s.id)) is not None
                    and isinstance(service, AssetBase)
                    for w in calendar.peaks_overlapping(start, end, service)})
    return RiskInputs(
        change=change, radius=radius, targets=targets,
        in_business_hours=calendar.overlaps_business_hours(start, end),
        peaks=peaks, freezes=[f.subject for f in freezes],
        conflicts=[c.message for c in conflicts],
    )


def _template(change: Change, base: Repository, assets: dict[str, AssetBase]
              ) -> tuple[ChangeTemplate | None, str | None]:
    if change.type != "standard" or change.template is None:
        return None, None
    template = base.get(change.template, ChangeTemplate)
    if template is None:
        return None, (f"standard change {change.id!r} names template {change.template!r}, "
                      "which the base revision does not have; it is assessed as a normal change")
    reason = template_mismatch(change, template, assets)
    if reason:
        return None, (f"standard change {change.id!r} does not match template "
                      f"{template.id!r}: {reason}; it is assessed as a normal change")
    return template, None


def _redundancy(radius: BlastRadius, estate: _Estate,
                new_points: list[NewSinglePoint]) -> list[str]:
    reasons = []
    for item in radius.impacted:
        cluster = estate.graph.clusters.get(item.id)
        if cluster is None:
            continue
        members, minimum = cluster
        down = sum(1 for i in radius.impacted if i.id in members and i.effect == "outage")
        if down and len(members) - down <= minimum:
            left = len(members) - down
            state = "goes down" if left < minimum else "has no spare member left"
            reasons.append(f"{item.id} {state}: {left} of {len(members)} members available "
                           f"(min_available {minimum})")
    services = {s.id for s in radius.services}
    reasons += [f"creates single point of failure {p.asset} for {p.service}"
                for p in new_points if p.service in services]
    return reasons


def _new_single_points(diff: list[RecordChange], base: Repository, new: _Estate
                       ) -> list[NewSinglePoint]:
    touched = {c.id for c in diff if isinstance(base.records.get(c.id), AssetBase)
               or c.id in new.assets}
    if not touched:
        return []  # no asset changed: the base estate is not even built
    old = _Estate(base)
    services = {s.id for s in new.radius_of_assets(touched).services}
    services |= {s.id for s in old.radius_of_assets(touched).services}
    services &= set(new.assets)
    before, after = SinglePoints(old.graph), SinglePoints(new.graph)
    found = []
    for service in sorted(services):
        previous = before.of(service) if service in old.assets else frozenset()
        for asset in sorted(after.of(service) - previous):
            found.append(NewSinglePoint(service, asset))
    return found
