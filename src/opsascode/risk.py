"""Risk: an explainable score from 0 to 100 and a level, from the risk model.

Every factor is listed with its points and a one-line reason, including the ones
that add nothing, so a reviewer can see exactly why a change scored what it did.
The facts (calendar, conflicts, redundancy, track record) are worked out by the
caller; this module only weighs them, with the weights in ``policies/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from opsascode.impact import BlastRadius
from opsascode.records import Change, ChangeTemplate, RiskModel
from opsascode.records.assets import AssetBase
from opsascode.records.base import format_duration
from opsascode.records.policies import RiskThresholds, RiskWeights
from opsascode.trackrecord import Tally

LEVELS = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Factor:
    name: str
    points: int
    reason: str


@dataclass(frozen=True)
class Assessment:
    score: int
    level: str
    factors: tuple[Factor, ...]


@dataclass
class RiskInputs:
    """The facts about one change that the risk model weighs."""

    change: Change
    radius: BlastRadius
    targets: list[AssetBase]
    in_business_hours: bool = False
    peaks: list[str] = field(default_factory=list)  # "window (service)"
    freezes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    redundancy: list[str] = field(default_factory=list)
    team_record: Tally | None = None
    asset_record: Tally | None = None
    template: ChangeTemplate | None = None  # set when a standard change matches it


def level_for(score: int, thresholds: RiskThresholds) -> str:
    if score >= thresholds.critical:
        return "critical"
    if score >= thresholds.high:
        return "high"
    return "medium" if score >= thresholds.medium else "low"


def assess(inputs: RiskInputs, model: RiskModel | None) -> Assessment:
    weights = model.weights if model else RiskWeights()
    thresholds = model.thresholds if model else RiskThresholds()
    if inputs.template is not None:
        factors = [_template(inputs.template), *(f(inputs, weights) for f in _CONTEXT)]
    else:
        factors = [f(inputs, weights) for f in _FACTORS]
    score = max(0, min(100, sum(f.points for f in factors)))
    return Assessment(score, level_for(score, thresholds), tuple(factors))


def _template(template: ChangeTemplate) -> Factor:
    return Factor("template", template.risk_score,
                  f"standard change matching template {template.id!r}: scored by the template")


def _share(effect: str, w: RiskWeights) -> float:
    return 1.0 if effect == "outage" else w.degraded_share


def _tier(i: RiskInputs, w: RiskWeights) -> Factor:
    if not i.radius.services:
        return Factor("tier", 0, "no business service impacted")
    scored = [(round(w.tier.get(s.tier, 0) * _share(s.effect, w)), s) for s in i.radius.services]
    points, top = max(scored, key=lambda p: (p[0], -p[1].tier))
    note = "" if top.effect == "outage" else f" x {w.degraded_share:g}"
    return Factor("tier", points,
                  f"highest tier impacted: tier {top.tier} ({top.id}, {top.effect}{note})")


def _services(i: RiskInputs, w: RiskWeights) -> Factor:
    down = sum(s.effect == "outage" for s in i.radius.services)
    degraded = len(i.radius.services) - down
    weighted = down + degraded * w.degraded_share
    points = min(round(weighted * w.per_impacted_service), w.impacted_services_max)
    return Factor("impacted_services", points,
                  f"{down} services down and {degraded} degraded (x {w.degraded_share:g}), "
                  f"x {w.per_impacted_service} each (at most {w.impacted_services_max})")


def _users(i: RiskInputs, w: RiskWeights) -> Factor:
    users = sum((s.users or 0) * _share(s.effect, w) for s in i.radius.services)
    points = min(int(users // 1000) * w.per_1000_users, w.users_max)
    return Factor("users", points, f"{int(users):,} users affected (degraded services' users "
                  f"x {w.degraded_share:g}) x {w.per_1000_users} per 1,000 "
                  f"(at most {w.users_max})")


def _environment(i: RiskInputs, w: RiskWeights) -> Factor:
    envs = sorted({t.environment for t in i.targets}, key=lambda e: -w.environment.get(e, 0))
    if not envs:
        return Factor("environment", 0, "no known targets")
    return Factor("environment", w.environment.get(envs[0], 0),
                  f"targets in {', '.join(envs)}")


def _type(i: RiskInputs, w: RiskWeights) -> Factor:
    return Factor("change_type", w.change_type.get(i.change.type, 0),
                  f"{i.change.type} change")


def _action(i: RiskInputs, w: RiskWeights) -> Factor:
    return Factor("action", w.action.get(i.change.action, 0), f"action {i.change.action}")


def _effect(i: RiskInputs, w: RiskWeights) -> Factor:
    return Factor("effect", w.effect.get(i.change.effect, 0),
                  f"expected effect on the targets: {i.change.effect}")


def _business_hours(i: RiskInputs, w: RiskWeights) -> Factor:
    if i.in_business_hours:
        return Factor("business_hours", w.business_hours, "the window overlaps business hours")
    return Factor("business_hours", 0, "the window is outside business hours")


def _peak(i: RiskInputs, w: RiskWeights) -> Factor:
    if i.peaks:
        return Factor("peak", w.peak, f"the window overlaps peak time: {', '.join(i.peaks)}")
    return Factor("peak", 0, "no peak window of an impacted service overlaps")


def _lead_time(i: RiskInputs, w: RiskWeights) -> Factor:
    if i.change.requested_at is None:
        return Factor("lead_time", 0, "requested_at not given: lead time unknown")
    lead = i.change.window.start - i.change.requested_at
    shown = format_duration(lead) if lead.total_seconds() >= 0 else "negative"
    for step in sorted(w.lead_time, key=lambda s: s.below):
        if lead < step.below:
            return Factor("lead_time", step.points,
                          f"lead time {shown} is below {format_duration(step.below)}")
    return Factor("lead_time", 0, f"lead time {shown}")


def _rollback(i: RiskInputs, w: RiskWeights) -> Factor:
    if (i.change.rollback_plan or "").strip():
        return Factor("rollback_plan", 0, "a rollback plan is given")
    return Factor("rollback_plan", w.no_rollback_plan, "no rollback plan")


def _redundancy(i: RiskInputs, w: RiskWeights) -> Factor:
    if i.redundancy:
        return Factor("redundancy", w.redundancy_lost, "; ".join(i.redundancy))
    return Factor("redundancy", 0, "redundancy is kept")


def _conflicts(i: RiskInputs, w: RiskWeights) -> Factor:
    count = len(i.conflicts)
    return Factor("conflicts", count * w.per_conflict,
                  f"{count} conflicts x {w.per_conflict}" + (
                      f": {'; '.join(i.conflicts)}" if count else ""))


def _freeze(i: RiskInputs, w: RiskWeights) -> Factor:
    if i.freezes:
        return Factor("freeze", w.freeze, f"the window is inside freeze {', '.join(i.freezes)}")
    return Factor("freeze", 0, "no freeze applies")


def _track_record(i: RiskInputs, w: RiskWeights) -> Factor:
    parts, scores = [], []
    for label, record in (("team", i.team_record), ("targets", i.asset_record)):
        if record is not None:
            parts.append(f"{label}: {record.summary()}")
            if record.score is not None:
                scores.append(record.score)
    if not scores:
        return Factor("track_record", 0, "; ".join(parts) or "no history")
    worst = min(scores)
    points = round(w.track_record_max * (1 - worst))
    return Factor("track_record", points,
                  f"success score {worst:.0%} (the worse of team and targets); "
                  + "; ".join(parts))


_FACTORS: tuple[Callable[[RiskInputs, RiskWeights], Factor], ...] = (
    _tier, _services, _users, _environment, _type, _action, _effect, _business_hours, _peak,
    _lead_time, _rollback, _redundancy, _conflicts, _freeze, _track_record,
)
#: What a template cannot foresee: these still add to a matching standard change.
_CONTEXT: tuple[Callable[[RiskInputs, RiskWeights], Factor], ...] = (
    _conflicts, _freeze,
)
