"""Each risk factor alone: its points and its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsascode.impact import BlastRadius, ImpactedService
from opsascode.records import Change, ChangeTemplate, RiskModel, record_adapter
from opsascode.records.assets import AssetBase
from opsascode.records.policies import RiskThresholds
from opsascode.risk import RiskInputs, assess, level_for
from opsascode.trackrecord import Outcome, tally

START = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def change(**fields: Any) -> Change:
    data = {"id": "CHG-1", "kind": "change", "title": "t", "type": "normal", "requester": "a",
            "team": "team", "targets": ["db"], "action": "modify", "effect": "none",
            "window": {"start": START, "end": START + timedelta(hours=1)},
            "rollback_plan": "undo", **fields}
    result: Change = record_adapter().validate_python(data)
    return result


def asset(**fields: Any) -> AssetBase:
    result: AssetBase = record_adapter().validate_python(
        {"id": "db", "kind": "database", "owner": "team", "environment": "test", **fields})
    return result


def service(sid: str, tier: int, users: int, effect: str = "outage") -> ImpactedService:
    return ImpactedService(sid, None, tier, users, effect, 2, ("db", sid))


def radius(*services: ImpactedService) -> BlastRadius:
    return BlastRadius(("db",), (), services)


MODEL: RiskModel = record_adapter().validate_python({
    "id": "risk", "kind": "risk-model",
    "weights": {
        "tier": {0: 40, 1: 20, 2: 10, 3: 0}, "per_impacted_service": 4,
        "impacted_services_max": 10, "per_1000_users": 2, "users_max": 8,
        "environment": {"production": 10, "staging": 3, "test": 0, "development": 0},
        "change_type": {"standard": 0, "normal": 0, "emergency": 20},
        "action": {"decommission": 25}, "effect": {"outage": 15, "degraded": 5, "none": 0},
        "business_hours": 11, "peak": 12,
        "lead_time": [{"below": "24h", "points": 14}, {"below": "72h", "points": 6}],
        "no_rollback_plan": 17, "redundancy_lost": 13, "per_conflict": 9, "freeze": 30,
        "track_record_max": 10, "degraded_share": 0.5,
    },
    "thresholds": {"medium": 20, "high": 50, "critical": 80},
})


def points(inputs: RiskInputs) -> dict[str, tuple[int, str]]:
    return {f.name: (f.points, f.reason) for f in assess(inputs, MODEL).factors}


def baseline(**overrides: Any) -> RiskInputs:
    return RiskInputs(change=overrides.pop("change", change()),
                      radius=overrides.pop("radius", radius()),
                      targets=overrides.pop("targets", [asset()]), **overrides)


def test_baseline_scores_nothing() -> None:
    result = assess(baseline(), MODEL)
    assert (result.score, result.level) == (0, "low")
    assert len(result.factors) == 15
    assert all(f.reason for f in result.factors)


@pytest.mark.parametrize(("inputs", "name", "expected"), [
    (baseline(radius=radius(service("s", 0, 0))), "tier", 40),
    (baseline(radius=radius(service("s", 0, 0, "degraded"))), "tier", 20),
    (baseline(radius=radius(service("a", 2, 0), service("b", 1, 0, "degraded"))), "tier", 10),
    (baseline(radius=radius(service("a", 3, 0), service("b", 3, 0))), "impacted_services", 8),
    (baseline(radius=radius(*(service(f"s{i}", 3, 0) for i in range(5)))),
     "impacted_services", 10),
    (baseline(radius=radius(service("a", 3, 2500))), "users", 4),
    (baseline(radius=radius(service("a", 3, 2500, "degraded"))), "users", 2),
    (baseline(radius=radius(service("a", 3, 99000))), "users", 8),
    (baseline(targets=[asset(), asset(id="x", environment="production")]), "environment", 10),
    (baseline(change=change(type="emergency")), "change_type", 20),
    (baseline(change=change(action="decommission")), "action", 25),
    (baseline(change=change(effect="degraded")), "effect", 5),
    (baseline(in_business_hours=True), "business_hours", 11),
    (baseline(peaks=["xmas (svc)"]), "peak", 12),
    (baseline(change=change(requested_at=START - timedelta(hours=5))), "lead_time", 14),
    (baseline(change=change(requested_at=START - timedelta(hours=48))), "lead_time", 6),
    (baseline(change=change(requested_at=START - timedelta(days=9))), "lead_time", 0),
    (baseline(change=change(rollback_plan=None)), "rollback_plan", 17),
    (baseline(change=change(rollback_plan="   ")), "rollback_plan", 17),
    (baseline(redundancy=["cl has no spare"]), "redundancy", 13),
    (baseline(conflicts=["a", "b"]), "conflicts", 18),
    (baseline(freezes=["year-end"]), "freeze", 30),
])
def test_each_factor_alone(inputs: RiskInputs, name: str, expected: int) -> None:
    found = points(inputs)
    assert found[name][0] == expected, found[name]
    # the factor alone moves the score (an impacted service also counts for the
    # service and user factors, which are measured on the same services)
    coupled = _SERVICE_FACTORS if name in _SERVICE_FACTORS else {name}
    others = {k: v[0] for k, v in found.items() if k not in coupled}
    assert set(others.values()) == {0}


_SERVICE_FACTORS = {"tier", "impacted_services", "users"}


def test_track_record_uses_the_worse_score_and_shows_counts() -> None:
    team = tally([Outcome("C1", "t", frozenset({"db"}), "success", False),
                  Outcome("C2", "t", frozenset({"db"}), "success_with_issues", False)])
    targets = tally([Outcome("C3", "t", frozenset({"db"}), "success", True)])
    score, reason = points(baseline(team_record=team, asset_record=targets))["track_record"]
    assert score == 10  # targets: the only change caused an incident -> 0% -> full points
    assert "team: 2 implemented: 1 successful, 1 with issues" in reason
    assert "1 caused incidents" in reason


def test_no_history_is_neutral() -> None:
    empty = tally([])
    assert points(baseline(team_record=empty, asset_record=empty))["track_record"] == (
        0, "team: no implemented changes yet; targets: no implemented changes yet")


def test_score_is_capped_and_levelled() -> None:
    everything = baseline(change=change(type="emergency", action="decommission",
                                        effect="outage", rollback_plan=None),
                          freezes=["f"], conflicts=["c"] * 5, in_business_hours=True)
    result = assess(everything, MODEL)
    assert (result.score, result.level) == (100, "critical")


@pytest.mark.parametrize(("score", "level"), [(0, "low"), (19, "low"), (20, "medium"),
                                              (49, "medium"), (50, "high"), (80, "critical")])
def test_levels_follow_the_thresholds(score: int, level: str) -> None:
    assert level_for(score, MODEL.thresholds) == level


def test_defaults_apply_without_a_model() -> None:
    result = assess(baseline(freezes=["f"]), None)  # default weights: freeze 25, normal 5
    assert result.score == 30 and result.level == level_for(30, RiskThresholds())


def test_template_scores_a_matching_standard_change() -> None:
    template: ChangeTemplate = record_adapter().validate_python(
        {"id": "tpl", "kind": "change-template", "title": "t", "actions": ["restart"],
         "risk_score": 7})
    result = assess(baseline(template=template, conflicts=["c"]), MODEL)
    assert [(f.name, f.points) for f in result.factors] == [
        ("template", 7), ("conflicts", 9), ("freeze", 0)]
    assert result.score == 16
