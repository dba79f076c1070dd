"""The gate: a plan, the BASE revision's policy and teams, and the approvals, turned
into one decision per change request plus the decisions every pull request needs
(protected paths, undeclared modifications, invalid records).

Trust: the approval policy, the teams (membership, roles, signing keys) come from
the base revision, so a branch cannot weaken the rules that judge it; only the
facts of the change (targets, window, risk) come from the head.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from opsascode import problems as P
from opsascode.approvals import ApprovalSet
from opsascode.plan import ChangePlan, Plan
from opsascode.policy.context import AssetFacts, RuleContext
from opsascode.policy.evaluate import evaluate_change, evaluate_rule_named
from opsascode.policy.predicates.changed_paths import matches
from opsascode.policy.result import Result, Status
from opsascode.records import ApprovalPolicy, Team
from opsascode.records.assets import AssetBase
from opsascode.records.policies import ProtectedPaths
from opsascode.repository import Repository

#: What every repository protects, whatever the policy says: the rules, the gate,
#: the settings and the tool (changes to them need the policy's protected rule).
DEFAULT_PROTECTED = ("policies/**", ".github/**", "opsascode.yaml", "action.yml",
                     ".pre-commit-hooks.yaml", "pyproject.toml", "src/**", ".ci/**")


@dataclass
class Decision:
    subject: str  # a change id, or: protected paths, undeclared modifications, validation
    result: Result


@dataclass
class GateResult:
    status: str  # approved | pending | disapproved | error
    decisions: list[Decision]
    approvals: ApprovalSet
    plan: Plan
    errors: list[str] = field(default_factory=list)


def decide(plan: Plan, base: Repository, head: Repository, approvals: ApprovalSet
           ) -> GateResult:
    policy = next(iter(base.approval_policies()), None)
    # Code-host handles are case-insensitive (GitHub logins): compare them lower-cased.
    teams = {t.id: t.model_copy(update={"members": [m.lower() for m in t.members]})
             for t in base.teams()}
    approvals = _relevant(_lowercased(approvals), {c.change.id for c in plan.changes})
    assets = {a.id: a for a in head.assets()}
    decisions = [Decision(item.change.id, evaluate_change(
                     policy, _context(item, plan, assets, teams, approvals)))
                 for item in plan.changes]
    decisions += _protected(plan, policy, teams, approvals)
    decisions += _findings(plan)
    errors = [e for d in decisions for r in d.result.walk() if (e := r.error)]
    return GateResult(_overall(decisions, errors), decisions, approvals, plan, errors)


def _relevant(found: ApprovalSet, changes: set[str]) -> ApprovalSet:
    """Approvals of this branch's change requests (or of the whole pull request); an
    approval of a change the branch does not touch has nothing to say here."""
    def mine(change: str | None) -> bool:
        return change is None or change in changes

    return ApprovalSet(found.facts, [a for a in found.approvals if mine(a.change)],
                       [n for n in found.not_counted if mine(n.approval.change)])


def _lowercased(found: ApprovalSet) -> ApprovalSet:
    facts = replace(found.facts, author=found.facts.author.lower() if found.facts.author
                    else None, contributors={c.lower() for c in found.facts.contributors})
    return ApprovalSet(facts, [replace(a, by=a.by.lower()) for a in found.approvals],
                       found.not_counted)


def _overall(decisions: list[Decision], errors: list[str]) -> str:
    if errors:
        return "error"
    statuses = {d.result.status for d in decisions}
    if Status.DISAPPROVED in statuses:
        return "disapproved"
    return "pending" if Status.PENDING in statuses else "approved"


def _context(item: ChangePlan, plan: Plan, assets: dict[str, AssetBase],
             teams: dict[str, Team], approvals: ApprovalSet) -> RuleContext:
    change = item.change
    facts = [AssetFacts.of(assets[i.id]) for i in item.radius.impacted if i.id in assets]
    kinds = {c.kind for c in item.conflicts}
    template = None
    if change.type == "standard" and change.template:
        template = not any(p.code == "template-mismatch" for p in item.problems)
    return RuleContext(
        change=change, facts=approvals.facts, teams=teams, approvals=approvals.approvals,
        risk_level=item.risk.level,
        targets=[AssetFacts.of(assets[t]) for t in change.targets if t in assets],
        impacted=facts,
        impacted_services=[f for f in facts if f.kind == "service"],
        changed_paths=plan.changed_paths, in_freeze="freeze" in kinds,
        outside_maintenance="maintenance" in kinds,
        lead_time=(change.window.start - change.requested_at) if change.requested_at else None,
        matches_template=template,
    )


def protected_changes(plan: Plan, section: ProtectedPaths | None) -> list[str]:
    """Protected files the branch changes, and team records (trust anchors: who
    may approve, with which keys)."""
    patterns = [*DEFAULT_PROTECTED, *(section.paths if section else [])]
    found = [path for path in plan.changed_paths if matches(path, patterns)]
    found += [f"team {d.id} ({d.file})" for d in plan.diff if d.kind == "team"]
    return found


def _protected(plan: Plan, policy: ApprovalPolicy | None, teams: dict[str, Team],
               approvals: ApprovalSet) -> list[Decision]:
    section = policy.protected_paths if policy else None
    touched = protected_changes(plan, section)
    if not touched:
        return []
    subject = "protected paths"
    shown = ", ".join(touched[:5]) + (f" (+{len(touched) - 5} more)" if len(touched) > 5 else "")
    if policy is None or section is None:
        return [Decision(subject, Result(subject, Status.PENDING, f"changes {shown}",
                                         error="the branch changes protected files "
                                         f"({shown}) but the base policy names no "
                                         "`protected_paths.rule` for them (fail closed)"))]
    ctx = RuleContext(change=None, facts=approvals.facts, teams=teams,
                      approvals=approvals.approvals, changed_paths=plan.changed_paths)
    result = evaluate_rule_named(policy, section.rule, ctx)
    if result.status is Status.SKIPPED:
        result.status, result.reason = Status.PENDING, "pending: the protected rule must apply"
    wrapped = Result(subject, result.status, f"changes {shown}: {result.reason}",
                     children=[result], missing=result.missing)
    return [Decision(subject, wrapped)]


def _findings(plan: Plan) -> list[Decision]:
    decisions = []
    if plan.undeclared:
        lines = "; ".join(f"{p.file}:{p.line}" for p in plan.undeclared[:5])
        decisions.append(Decision("undeclared modifications", Result(
            "undeclared modifications", Status.DISAPPROVED,
            f"{len(plan.undeclared)} asset or team changes with no change request: {lines}")))
    invalid = [p for p in plan.problems if p.is_error]
    if invalid:
        decisions.append(Decision("validation", Result(
            "validation", Status.PENDING, f"{len(invalid)} invalid records",
            error=f"the head revision has {len(invalid)} validation errors; first: "
            f"{invalid[0]}")))
    return decisions


def all_problems(result: GateResult) -> list[P.Problem]:
    """Problems to annotate: validation errors and undeclared modifications."""
    return sorted([*result.plan.problems, *result.plan.undeclared])
