"""Who may approve under a rule, and which approvals count.

An approval counts for a rule when it is an approval (not a request for changes),
for this change or the whole pull request, by someone the rule names (users, team
members, holders of a role, members of the teams owning the targets or the impacted
services), and the rule's options allow it: not by the author unless
``allow_author``, not by a contributor unless ``allow_contributors``, not stale when
``invalidate_on_push`` (the default), and signed when ``require_signed``. Each
person counts once. Every approval not counted is listed with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsascode.approvals import APPROVED, Approval
from opsascode.policy.context import RuleContext
from opsascode.records.policies import Requirements, RuleOptions


@dataclass(frozen=True)
class Eligible:
    """The people a requirement accepts, and how to name them to a human."""

    people: frozenset[str] | None  # None: anyone
    names: tuple[str, ...]  # "team-cab (carl, cora)", "user alice", ...


def eligible(req: Requirements, ctx: RuleContext) -> Eligible:
    if not (req.users or req.teams or req.roles or req.owners_of):
        return Eligible(None, ("anyone other than the author",))
    people: set[str] = {u.lower() for u in req.users}
    names = [f"user {u}" for u in req.users]
    teams = list(req.teams)
    for which in req.owners_of:
        assets = ctx.targets if which == "targets" else ctx.impacted_services
        teams += sorted({a.owner for a in assets if a.owner})
    for team in dict.fromkeys(teams):
        members = sorted(ctx.members([team]))
        people.update(members)
        names.append(f"{team} ({', '.join(members)})")
    for role in req.roles:
        holders = sorted(ctx.holders([role]))
        people.update(holders)
        names.append(f"role {role} ({', '.join(holders)})")
    return Eligible(frozenset(people), tuple(names))


def refusal(approval: Approval, who: Eligible, options: RuleOptions,
            ctx: RuleContext) -> str | None:
    """Why this approval does not count for the rule, or None when it does."""
    facts = ctx.facts
    if approval.state != APPROVED:
        return "requests changes"
    # An approval of one change request counts for that change; for the pull request
    # as a whole (protected paths), approving any change of the branch counts.
    if ctx.change is not None and approval.change not in (None, ctx.change.id):
        return f"approves {approval.change}, not {ctx.label}"
    if approval.by == facts.author and not options.allow_author:
        return "the author cannot approve their own change"
    if approval.by in facts.contributors and approval.by != facts.author and (
            not options.allow_contributors):
        return "contributors to the branch cannot approve it"
    if not approval.fresh and options.invalidate_on_push:
        return "given before the last push"
    if options.require_signed and not approval.signed:
        return "not signed (the rule requires a verified signature)"
    if who.people is not None and approval.by not in who.people:
        return f"not one of {'; '.join(who.names)}"
    return None
