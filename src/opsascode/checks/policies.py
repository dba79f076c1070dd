"""Policy files are checked here, although later stages evaluate them: a mistake in
a rule must surface in ``validate``, with file and line, not when the gate runs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from opsascode import problems as P
from opsascode.problems import Loc, Problem
from opsascode.records import ApprovalPolicy, Record, Team
from opsascode.records.policies import (
    AndNode,
    ApprovalNode,
    Calendar,
    Predicates,
    Requirements,
    Scope,
)
from opsascode.repository import Repository

if TYPE_CHECKING:
    from opsascode.checks import Context

_SINGLETONS = frozenset({"approval-policy", "risk-model", "priority-matrix", "kpi-targets"})


def check_policies(repo: Repository, context: Context) -> Iterable[Problem]:
    yield from _singletons(repo)
    for policy in repo.approval_policies():
        yield from _approval_policy(repo, policy)
    for calendar in repo.calendars():
        yield from _calendar(repo, calendar)
    yield from _window_names(repo)


def _singletons(repo: Repository) -> Iterator[Problem]:
    seen: dict[str, Record] = {}
    # one quick pass over every record (incidents are most of them), then the few
    for record in [r for r in repo.records.values() if r.kind in _SINGLETONS]:
        if record.kind in seen:
            origin, first = repo.origins[record.id], seen[record.kind]
            yield P.error(origin.file, "duplicate-policy",
                          f"there is already a {record.kind} ({first.id!r} in "
                          f"{repo.origins[first.id].file}); keep one", loc=(*origin.loc, "id"))
        else:
            seen[record.kind] = record


def _approval_policy(repo: Repository, policy: ApprovalPolicy) -> Iterator[Problem]:
    origin = repo.origins[policy.id]

    def err(code: str, message: str, *path: str | int) -> Problem:
        return P.error(origin.file, code, message, loc=(*origin.loc, *path))

    names: dict[str, int] = {}
    for i, rule in enumerate(policy.approval_rules):
        if rule.name in names:
            yield err("duplicate-rule", f"two approval rules are named {rule.name!r}; "
                      "rule names must be unique", "approval_rules", i, "name")
        names.setdefault(rule.name, i)
        base = ("approval_rules", i)
        yield from _requirements(repo, origin.file, (*origin.loc, *base), rule.requires)
        if rule.if_ is not None:
            yield from _predicates(repo, origin.file, (*origin.loc, *base, "if"), rule.if_)
    for path, node, depth in _walk(policy.policy.approval, ("policy", "approval"),
                                   policy.max_depth):
        if isinstance(node, str) and node not in names:
            yield err("unknown-rule", f"the approval tree names rule {node!r}, which is not "
                      f"defined; rules are: {', '.join(sorted(names)) or 'none'}", *path)
        if depth > policy.max_depth:
            yield err("policy-too-deep", f"this and/or is nested {depth} levels deep, more "
                      f"than max_depth {policy.max_depth}; flatten the tree", *path)
    if policy.policy.disapproval:
        yield from _requirements(repo, origin.file, (*origin.loc, "policy", "disapproval"),
                                 policy.policy.disapproval.requires)
    for i, deny in enumerate(policy.deny):
        yield from _predicates(repo, origin.file, (*origin.loc, "deny", i, "if"), deny.if_)
    for field, section in (("protected_paths", policy.protected_paths),
                           ("emergency", policy.emergency)):
        if section is not None and section.rule not in names:
            yield err("unknown-rule", f"{field}.rule names {section.rule!r}, which is not an "
                      "approval rule", field, "rule")
    if policy.emergency and policy.emergency.retro_rule not in (None, *names):
        yield err("unknown-rule", f"emergency.retro_rule names {policy.emergency.retro_rule!r}, "
                  "which is not an approval rule", "emergency", "retro_rule")


def _walk(nodes: list[ApprovalNode], path: Loc, limit: int, depth: int = 0
          ) -> Iterator[tuple[Loc, ApprovalNode, int]]:
    """Every node with the number of and/or nodes down to it (itself included);
    nothing below a node that is already too deep."""
    for i, node in enumerate(nodes):
        here = (*path, i)
        if isinstance(node, str):
            yield here, node, depth
            continue
        yield here, node, depth + 1
        if depth + 1 <= limit:
            key, children = ("and", node.and_) if isinstance(node, AndNode) else ("or", node.or_)
            yield from _walk(children, (*here, key), limit, depth + 1)


def _requirements(repo: Repository, file: str, loc: Loc, req: Requirements
                  ) -> Iterator[Problem]:
    found = list(_named_approvers(repo, file, loc, req))
    yield from found
    if found:
        return  # counting people is meaningless while some of them are unknown
    teams = {t.id: t for t in repo.teams()}
    people = set(req.users)
    people.update(m for t in req.teams for m in teams[t].members)
    people.update(m for t in teams.values() if set(t.roles) & set(req.roles) for m in t.members)
    if req.count > 0 and not (req.users or req.teams or req.roles or req.owners_of):
        yield P.error(file, "no-approvers", f"the rule requires {req.count} approval(s) but "
                      "names nobody who can give them; add users, teams, roles or owners_of",
                      loc=(*loc, "requires"))
    elif req.count > len(people) and not req.owners_of:
        yield P.error(file, "unsatisfiable-rule", f"the rule requires {req.count} approvals but "
                      f"only {len(people)} people can give them", loc=(*loc, "requires", "count"))


def _named_approvers(repo: Repository, file: str, loc: Loc, req: Requirements
                     ) -> Iterator[Problem]:
    """Teams, roles and users a requirement names that do not exist."""
    teams = {t.id: t for t in repo.teams()}
    for i, team_id in enumerate(req.teams):
        if team_id not in teams:
            yield P.error(file, "unknown-reference", f"the rule requires team {team_id!r}, "
                          "which does not exist", loc=(*loc, "requires", "teams", i))
    for i, role in enumerate(req.roles):
        if not any(role in t.roles for t in teams.values()):
            yield P.error(file, "unknown-role", f"the rule requires role {role!r}, but no team "
                          "has it; add it to a team's `roles`", loc=(*loc, "requires", "roles", i))
    members = {m for t in teams.values() for m in t.members}
    for i, user in enumerate(req.users):
        if user not in members:
            yield P.error(file, "unknown-user", f"the rule names user {user!r}, who is in no "
                          "team; add them to a team", loc=(*loc, "requires", "users", i))


def _predicates(repo: Repository, file: str, loc: Loc, pred: Predicates) -> Iterator[Problem]:
    for i, team_id in enumerate(pred.author_in_team or []):
        if repo.get(team_id, Team) is None:
            yield P.error(file, "unknown-reference", f"author_in_team names team {team_id!r}, "
                          "which does not exist", loc=(*loc, "author_in_team", i))


def _calendar(repo: Repository, calendar: Calendar) -> Iterator[Problem]:
    # dateutil and holidays live behind these modules, imported only when needed
    from opsascode.calendars import rrule_error
    from opsascode.countries import holiday_error

    origin = repo.origins[calendar.id]
    for i, freeze in enumerate(calendar.freeze):
        if freeze.end <= freeze.start:
            yield P.error(origin.file, "window-ends-before-start",
                          f"freeze {freeze.name!r} does not end after it starts; fix its `end`",
                          loc=(*origin.loc, "freeze", i, "end"))
    for field in ("maintenance", "peak"):
        for i, window in enumerate(getattr(calendar, field)):
            here = (*origin.loc, field, i)
            if window.end is not None and window.end <= window.start:
                yield P.error(origin.file, "window-ends-before-start",
                              f"{field} window {window.name!r} does not end after it starts",
                              loc=(*here, "end"))
            if window.rrule is not None and (bad := rrule_error(window.rrule, window.start)):
                yield P.error(origin.file, "invalid-rrule",
                              f"rrule of {field} window {window.name!r} is invalid: {bad}; "
                              "write an RFC 5545 rule such as FREQ=WEEKLY;BYDAY=SU",
                              loc=(*here, "rrule"))
    holidays = calendar.holidays
    if holidays.country and (bad := holiday_error(holidays.country, None)):
        yield P.error(origin.file, "unknown-country", bad,
                      loc=(*origin.loc, "holidays", "country"))
    elif holidays.country and (bad := holiday_error(holidays.country, holidays.subdivision)):
        yield P.error(origin.file, "unknown-country", bad,
                      loc=(*origin.loc, "holidays", "subdivision"))
    for path, scope in _scopes(calendar):
        for i, asset_id in enumerate(scope.assets):
            if not repo.exists(asset_id):
                yield P.error(origin.file, "unknown-reference",
                              f"calendar {calendar.id!r} scopes a window to asset {asset_id!r}, "
                              "which does not exist", loc=(*origin.loc, *path, "assets", i))


def _scopes(calendar: Calendar) -> Iterator[tuple[Loc, Scope]]:
    for i, freeze in enumerate(calendar.freeze):
        yield ("freeze", i, "applies_to"), freeze.applies_to
    for field in ("maintenance", "peak"):
        for i, window in enumerate(getattr(calendar, field)):
            yield (field, i, "applies_to"), window.applies_to


def _window_names(repo: Repository) -> Iterator[Problem]:
    maintenance = {w.name for c in repo.calendars() for w in c.maintenance}
    peaks = {w.name for c in repo.calendars() for w in c.peak}
    for asset in repo.assets():
        if asset.maintenance_windows:
            origin = repo.origins[asset.id]
            for i, name in enumerate(asset.maintenance_windows):
                if name not in maintenance:
                    yield P.error(origin.file, "unknown-reference",
                                  f"{asset.kind} {asset.id!r} names maintenance window "
                                  f"{name!r}, which no calendar defines",
                                  loc=(*origin.loc, "maintenance_windows", i))
    for service in repo.services():
        origin = repo.origins[service.id]
        for i, name in enumerate(service.peak_hours):
            if name not in peaks:
                yield P.error(origin.file, "unknown-reference",
                              f"service {service.id!r} names peak window {name!r}, which no "
                              "calendar defines", loc=(*origin.loc, "peak_hours", i))
