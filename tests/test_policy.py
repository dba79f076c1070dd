"""The policy engine with plain values: no git, no GitHub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsascode.approvals import Approval, PullRequestFacts
from opsascode.policy.context import AssetFacts, RuleContext
from opsascode.policy.evaluate import evaluate_change, evaluate_policy, evaluate_rule
from opsascode.policy.predicates import REGISTRY
from opsascode.policy.result import Status
from opsascode.records import ApprovalPolicy, Change, Team, record_adapter
from opsascode.records.policies import ApprovalRule, Predicates

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def team(tid: str, members: list[str], roles: list[str] | None = None) -> Team:
    result: Team = record_adapter().validate_python(
        {"id": tid, "kind": "team", "members": members, "roles": roles or []})
    return result


TEAMS = {t.id: t for t in (
    team("team-dba", ["dora", "dan"]),
    team("team-ops", ["olga", "oscar"], ["management"]),
    team("team-cab", ["carl", "cora", "chris"], ["cab"]),
)}


def change(**fields: Any) -> Change:
    data = {"id": "CHG-1", "kind": "change", "title": "t", "type": "normal",
            "requester": "dora", "team": "team-dba", "targets": ["db-1"], "action": "upgrade",
            "effect": "outage", "rollback_plan": "undo",
            "window": {"start": NOW + timedelta(days=3), "end": NOW + timedelta(days=3, hours=1)},
            **fields}
    result: Change = record_adapter().validate_python(data)
    return result


def approval(by: str, **fields: Any) -> Approval:
    return Approval(**{"by": by, "at": NOW, "state": "approved", "source": "file",
                       **fields})


def context(*approvals: Approval, **fields: Any) -> RuleContext:
    values: dict[str, Any] = {
        "change": change(), "facts": PullRequestFacts(author="dora", contributors={"dora"}),
        "teams": TEAMS, "approvals": list(approvals), "risk_level": "medium",
        "targets": [AssetFacts("db-1", "database", "production", 1, "team-dba")],
        "impacted_services": [AssetFacts("svc-pay", "service", "production", 0, "team-ops")],
        **fields}
    return RuleContext(**values)


def rule(**data: Any) -> ApprovalRule:
    return ApprovalRule.model_validate({"name": "r", **data})


def policy(**data: Any) -> ApprovalPolicy:
    result: ApprovalPolicy = record_adapter().validate_python(
        {"id": "p", "kind": "approval-policy", **data})
    return result


CAB_POLICY = policy(
    policy={"approval": [{"or": ["low risk", "high risk"]}]},
    approval_rules=[
        {"name": "low risk", "if": {"risk_level_at_most": "medium"},
         "requires": {"count": 1, "owners_of": ["targets"]}},
        {"name": "high risk", "if": {"risk_level_at_least": "high"},
         "requires": {"count": 2, "roles": ["cab"]}},
    ],
    deny=[{"name": "no decommissioning tier 0 in a freeze",
           "if": {"action": ["decommission"], "in_freeze": True},
           "message": "decommissioning during a freeze is not allowed"}],
    emergency={"rule": "emergency", "retro_approval_within": "48h", "retro_rule": "high risk"},
)


def test_registry_matches_the_predicate_fields() -> None:
    assert set(REGISTRY) == set(Predicates.model_fields)


@pytest.mark.parametrize(("conditions", "fields", "expected"), [
    ({"change_type": ["normal"]}, {}, True),
    ({"change_type": ["emergency"]}, {}, False),
    ({"action": ["upgrade", "patch"]}, {}, True),
    ({"risk_level_at_least": "high"}, {"risk_level": "critical"}, True),
    ({"risk_level_at_least": "high"}, {"risk_level": "medium"}, False),
    ({"risk_level_at_most": "low"}, {"risk_level": "medium"}, False),
    ({"target_tier": [0, 1]}, {}, True),
    ({"target_kind": ["server"]}, {}, False),
    ({"target_environment": ["production"]}, {}, True),
    ({"impacted_tier": [0]}, {}, True),
    ({"impacted_kind": ["database"]}, {"impacted": [AssetFacts("a", "database", "test", 2,
                                                               None)]}, True),
    ({"impacted_environment": ["staging"]}, {}, False),
    ({"changed_paths": ["policies/**"]}, {"changed_paths": ["policies/a/b.yaml"]}, True),
    ({"changed_paths": ["policies/*.yaml"]}, {"changed_paths": ["policies/a/b.yaml"]}, False),
    ({"in_freeze": True}, {"in_freeze": True}, True),
    ({"outside_maintenance_window": True}, {}, False),
    ({"lead_time_below": "48h"}, {"lead_time": timedelta(hours=5)}, True),
    ({"lead_time_below": "48h"}, {"lead_time": timedelta(days=5)}, False),
    ({"author_in_team": ["team-dba"]}, {}, True),
    ({"author_in_team": ["team-cab"]}, {}, False),
    ({"matches_template": True}, {"matches_template": True}, True),
    ({"matches_template": True}, {}, False),
])
def test_each_predicate_says_what_it_found(conditions: dict[str, Any], fields: dict[str, Any],
                                           expected: bool) -> None:
    (key,) = conditions
    value = getattr(Predicates.model_validate(conditions), key)
    result = REGISTRY[key](value, context(**fields))
    assert result.satisfied is expected
    assert result.key == key and result.sentence


def test_owner_approval_satisfies_a_low_risk_change() -> None:
    result = evaluate_policy(CAB_POLICY, context(approval("dan")))
    assert result.status is Status.APPROVED


@pytest.mark.parametrize(("given", "reason"), [
    (approval("dora"), "the author cannot approve their own change"),
    (approval("carl"), "not one of team-dba (dan, dora)"),
    (approval("dan", fresh=False), "given before the last push"),
    (approval("dan", state="changes_requested"), "requests changes"),
    (approval("dan", change="CHG-9"), "approves CHG-9, not CHG-1"),
])
def test_approvals_not_counted_say_why(given: Approval, reason: str) -> None:
    result = evaluate_rule(CAB_POLICY.approval_rules[0], context(given))
    assert result.status is Status.PENDING
    assert [(c.by, c.counted, c.reason) for c in result.approvals] == [(given.by, False, reason)]
    assert result.missing == ["1 more from team-dba (dan, dora)"]


def test_contributors_and_signatures_follow_the_options() -> None:
    strict = rule(requires={"count": 1, "teams": ["team-dba"]},
                  options={"require_signed": True})
    ctx = context(approval("dan"), facts=PullRequestFacts(author="olga",
                                                          contributors={"olga", "dan"}))
    assert evaluate_rule(strict, ctx).approvals[0].reason == (
        "contributors to the branch cannot approve it")
    lenient = rule(requires={"count": 1, "teams": ["team-dba"]},
                   options={"allow_contributors": True, "require_signed": True})
    assert evaluate_rule(lenient, ctx).approvals[0].reason.startswith("not signed")
    signed = context(approval("dan", signed=True), facts=ctx.facts)
    assert evaluate_rule(lenient, signed).status is Status.APPROVED


def test_stale_approvals_count_when_pushes_do_not_invalidate() -> None:
    keep = rule(requires={"count": 1, "teams": ["team-dba"]},
                options={"invalidate_on_push": False})
    assert evaluate_rule(keep, context(approval("dan", fresh=False))).status is Status.APPROVED


def test_each_person_counts_once() -> None:
    result = evaluate_policy(CAB_POLICY, context(approval("carl"), approval("carl"),
                                                 risk_level="high"))
    assert result.status is Status.PENDING
    assert "1 more from role cab (carl, chris, cora)" in [
        m for r in result.walk() for m in r.missing]


def test_high_risk_needs_two_from_the_cab() -> None:
    ctx = context(approval("carl"), approval("cora"), risk_level="high")
    result = evaluate_policy(CAB_POLICY, ctx)
    assert result.status is Status.APPROVED
    skipped = next(r for r in result.walk() if r.name == "low risk")
    assert skipped.status is Status.SKIPPED
    assert skipped.reason == "does not apply: risk is high (rule: at most medium)"


def test_no_rule_applies_fails_closed() -> None:
    narrow = policy(policy={"approval": ["only standard"]}, approval_rules=[
        {"name": "only standard", "if": {"change_type": ["standard"]},
         "requires": {"teams": ["team-dba"]}}])
    result = evaluate_policy(narrow, context(approval("dan")))
    assert result.status is Status.PENDING
    assert result.error is not None and "fail closed" in result.error


def test_missing_policy_fails_closed() -> None:
    assert evaluate_policy(None, context()).has_error


def test_deny_rules_win() -> None:
    ctx = context(approval("dan"), change=change(action="decommission"), in_freeze=True)
    result = evaluate_policy(CAB_POLICY, ctx)
    assert result.status is Status.DISAPPROVED
    assert result.reason == "denied: decommissioning during a freeze is not allowed"


def test_changes_requested_by_a_team_member_blocks() -> None:
    ctx = context(approval("dan"), approval("carl", state="changes_requested"))
    result = evaluate_policy(CAB_POLICY, ctx)
    assert (result.status, result.reason) == (Status.DISAPPROVED, "changes requested by carl")


def test_disapproval_section_limits_who_can_block() -> None:
    limited = policy(policy={"approval": ["any"], "disapproval": {
        "requires": {"teams": ["team-ops"]}}},
        approval_rules=[{"name": "any", "requires": {"teams": ["team-dba"]}}])
    ctx = context(approval("dan"), approval("carl", state="changes_requested"))
    assert evaluate_policy(limited, ctx).status is Status.APPROVED
    ctx.approvals.append(approval("olga", state="changes_requested"))
    assert evaluate_policy(limited, ctx).status is Status.DISAPPROVED


def test_and_needs_every_applicable_rule() -> None:
    both = policy(policy={"approval": [{"and": ["owners", "management"]}]}, approval_rules=[
        {"name": "owners", "requires": {"owners_of": ["targets"]}},
        {"name": "management", "if": {"impacted_tier": [0]},
         "requires": {"roles": ["management"]}}])
    assert evaluate_policy(both, context(approval("dan"))).status is Status.PENDING
    assert evaluate_policy(both, context(approval("dan"), approval("olga"))).status is (
        Status.APPROVED)


def test_emergency_passes_with_the_reduced_rule_and_states_the_deadline() -> None:
    with_emergency = policy(
        policy={"approval": ["high risk"]},
        approval_rules=[
            {"name": "high risk", "requires": {"count": 2, "roles": ["cab"]}},
            {"name": "emergency", "if": {"change_type": ["emergency"]},
             "requires": {"count": 1, "roles": ["management"]}}],
        emergency={"rule": "emergency", "retro_approval_within": "48h"})
    urgent = change(type="emergency")
    result = evaluate_change(with_emergency, context(approval("olga"), change=urgent))
    assert result.status is Status.APPROVED
    assert "emergency change: passes under the reduced rule 'emergency'" in result.reason
    due = (urgent.window.end + timedelta(hours=48)).isoformat()
    assert result.missing == [f"retro-approval under 'the full policy' by {due}"]
    assert evaluate_change(with_emergency, context(change=urgent)).status is Status.PENDING
    normal = evaluate_change(with_emergency, context(approval("olga")))
    assert normal.status is Status.PENDING


def test_emergency_with_a_retro_rule_owes_until_it_is_met() -> None:
    urgent = change(type="emergency")
    with_retro = policy(
        policy={"approval": [{"or": ["duty manager", "normal"]}]},
        approval_rules=[
            {"name": "duty manager", "if": {"change_type": ["emergency"]},
             "requires": {"count": 1, "roles": ["management"]}},
            {"name": "normal", "if": {"change_type": ["normal"]},
             "requires": {"count": 1, "teams": ["team-dba"]}},
            {"name": "retro", "if": {"change_type": ["emergency"]},
             "requires": {"count": 2, "roles": ["cab"]}}],
        emergency={"rule": "duty manager", "retro_approval_within": "48h", "retro_rule": "retro"})
    owed = evaluate_change(with_retro, context(approval("olga"), change=urgent))
    assert owed.status is Status.APPROVED and "needs retro-approval under 'retro'" in owed.reason
    done = evaluate_change(with_retro, context(approval("olga"), approval("carl"),
                                               approval("cora"), change=urgent))
    assert done.status is Status.APPROVED and not done.missing
