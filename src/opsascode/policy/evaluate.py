"""Evaluate an approval policy for one change: rules, the and/or tree, disapproval
and deny rules, failing closed when no rule applies."""

from __future__ import annotations

from opsascode.approvals import CHANGES_REQUESTED
from opsascode.policy.context import RuleContext
from opsascode.policy.predicates import REGISTRY
from opsascode.policy.requirements import eligible, refusal
from opsascode.policy.result import Counted, PredicateResult, Result, Status
from opsascode.records import ApprovalPolicy
from opsascode.records.policies import AndNode, ApprovalNode, ApprovalRule, Predicates


def predicates(conditions: Predicates | None, ctx: RuleContext) -> list[PredicateResult]:
    if conditions is None:
        return []
    given = conditions.model_dump(exclude_none=True, by_alias=False)
    return [REGISTRY[key](getattr(conditions, key), ctx) for key in sorted(given)]


def evaluate_rule(rule: ApprovalRule, ctx: RuleContext) -> Result:
    tested = predicates(rule.if_, ctx)
    if not all(p.satisfied for p in tested):
        failed = next(p for p in tested if not p.satisfied)
        return Result(rule.name, Status.SKIPPED, f"does not apply: {failed.sentence}",
                      rule.description, tested)
    who = eligible(rule.requires, ctx)
    counted, seen, notes = [], set(), []
    for approval in sorted(ctx.approvals, key=lambda a: (a.by, str(a.at))):
        reason = refusal(approval, who, rule.options, ctx)
        if reason is None and approval.by in seen:
            reason = "already counted (each person counts once)"
        if reason is None:
            seen.add(approval.by)
        notes.append(Counted(approval.by, reason is None, reason or "counted", approval.source))
        counted.append(reason is None)
    have, need = sum(counted), rule.requires.count
    if have >= need:
        return Result(rule.name, Status.APPROVED, f"approved: {have} of {need} approvals",
                      rule.description, tested, approvals=notes)
    missing = [f"{need - have} more from {' or '.join(who.names)}"]
    return Result(rule.name, Status.PENDING, f"pending: {have} of {need} approvals",
                  rule.description, tested, approvals=notes, missing=missing)


def _combine(name: str, op: str, children: list[Result]) -> Result:
    statuses = [c.status for c in children]
    applied = [s for s in statuses if s is not Status.SKIPPED]
    if not applied:
        status = Status.SKIPPED
    elif Status.DISAPPROVED in applied:
        status = Status.DISAPPROVED
    elif op == "and":
        status = Status.PENDING if Status.PENDING in applied else Status.APPROVED
    else:
        status = Status.APPROVED if Status.APPROVED in applied else Status.PENDING
    word = {"and": "all of", "or": "one of"}[op]
    return Result(name, status, f"{status.label}: needs {word} the rules that apply",
                  children=children)


def evaluate_node(node: ApprovalNode, rules: dict[str, ApprovalRule], ctx: RuleContext
                  ) -> Result:
    if isinstance(node, str):
        if node not in rules:
            return Result(node, Status.PENDING, "unknown rule", error=f"no rule named {node!r}")
        return evaluate_rule(rules[node], ctx)
    op, children = ("and", node.and_) if isinstance(node, AndNode) else ("or", node.or_)
    return _combine(op, op, [evaluate_node(child, rules, ctx) for child in children])


def _deny(policy: ApprovalPolicy, ctx: RuleContext) -> Result | None:
    for deny in policy.deny:
        tested = predicates(deny.if_, ctx)
        if all(p.satisfied for p in tested):
            return Result(deny.name, Status.DISAPPROVED, f"denied: {deny.message}",
                          predicates=tested)
    return None


def _disapproval(policy: ApprovalPolicy, ctx: RuleContext) -> Result | None:
    """A request for changes blocks, from anyone the disapproval section names
    (without one: from anyone in a team other than the author)."""
    section = policy.policy.disapproval
    blockers = [a for a in ctx.approvals if a.state == CHANGES_REQUESTED
                and a.change in (None, ctx.change.id if ctx.change else None)]
    if section is not None:
        who = eligible(section.requires, ctx)
        blockers = [a for a in blockers if who.people is None or a.by in who.people]
    else:
        everyone = {m for t in ctx.teams.values() for m in t.members}
        blockers = [a for a in blockers if a.by in everyone and a.by != ctx.facts.author]
    if not blockers:
        return None
    names = ", ".join(sorted({a.by for a in blockers}))
    return Result("disapproval", Status.DISAPPROVED, f"changes requested by {names}",
                  approvals=[Counted(a.by, False, "requests changes", a.source)
                             for a in blockers])


def evaluate_policy(policy: ApprovalPolicy | None, ctx: RuleContext) -> Result:
    """The decision for one change. A policy that is missing, or whose rules all
    skip the change, fails closed: the result carries an error."""
    if policy is None:
        return Result(ctx.label, Status.PENDING, "no approval policy",
                      error="the base revision has no approval policy (kind: approval-policy); "
                      "the gate fails closed without one")
    rules = {rule.name: rule for rule in policy.approval_rules}
    tree = _combine("approval", "and",
                    [evaluate_node(node, rules, ctx) for node in policy.policy.approval])
    blocks = [r for r in (_deny(policy, ctx), _disapproval(policy, ctx)) if r is not None]
    children = [*blocks, tree]
    if blocks:
        return Result(ctx.label, Status.DISAPPROVED, blocks[0].reason, children=children)
    if tree.status is Status.SKIPPED:
        return Result(ctx.label, Status.PENDING, "no rule applies", children=children,
                      error=f"no approval rule applies to {ctx.label}; the policy must cover "
                      "every change (fail closed)")
    return Result(ctx.label, tree.status, tree.reason, children=children)


def evaluate_rule_named(policy: ApprovalPolicy, name: str, ctx: RuleContext) -> Result:
    """One rule by name (for protected paths and emergency rules)."""
    rule = next((r for r in policy.approval_rules if r.name == name), None)
    if rule is None:
        return Result(name, Status.PENDING, "unknown rule", error=f"no rule named {name!r}")
    return evaluate_rule(rule, ctx)


def evaluate_change(policy: ApprovalPolicy | None, ctx: RuleContext) -> Result:
    """:func:`evaluate_policy`, plus the emergency path. An emergency change may pass
    with the policy's reduced rule (``emergency.rule``) when nothing denies or blocks
    it; until the retro-approval rule (``emergency.retro_rule``, else the full
    policy) is met, the result says plainly that retro-approval is owed, and by when."""
    result = evaluate_policy(policy, ctx)
    change, emergency = ctx.change, policy.emergency if policy else None
    if (policy is None or emergency is None or change is None or change.type != "emergency"
            or result.status is Status.DISAPPROVED or result.has_error):
        return result
    retro = (evaluate_rule_named(policy, emergency.retro_rule, ctx) if emergency.retro_rule
             else result)
    if retro.status is Status.APPROVED:
        return result  # fully approved: nothing is owed
    reduced = evaluate_rule_named(policy, emergency.rule, ctx)
    if reduced.status is not Status.APPROVED:
        result.children.append(reduced)
        return result
    due = change.window.end + emergency.retro_approval_within
    owed = emergency.retro_rule or "the full policy"
    reason = (f"emergency change: passes under the reduced rule {emergency.rule!r}; it still "
              f"needs retro-approval under {owed!r} by {due.isoformat()}")
    children = [reduced, *([retro] if retro is not result else []), *result.children]
    return Result(ctx.label, Status.APPROVED, reason, children=children,
                  missing=[f"retro-approval under {owed!r} by {due.isoformat()}"])
