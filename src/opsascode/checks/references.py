"""Every reference resolves; assets have owners; teams have members."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from opsascode import problems as P
from opsascode.problems import Problem
from opsascode.records import Change, Cluster, Incident, Record, Service, Sla, Team
from opsascode.records import Problem as ProblemRecord
from opsascode.records.assets import AssetBase
from opsascode.records.policies import Calendar, ChangeTemplate, PriorityMatrix
from opsascode.repository import Repository

if TYPE_CHECKING:
    from opsascode.checks import Context

# Which fields refer to what: (field path, expected types, what it should be).
_Ref = tuple[tuple[str | int, ...], str, tuple[type[Record], ...], str]


def _refs(record: Record) -> Iterator[_Ref]:
    if isinstance(record, AssetBase):
        if record.owner:
            yield ("owner",), record.owner, (Team,), "team"
        for i, dep in enumerate(record.depends_on):
            yield ("depends_on", i), dep.id, (AssetBase,), "asset"
        if isinstance(record, Cluster):
            for i, member in enumerate(record.members):
                yield ("members", i), member, (AssetBase,), "asset"
        if isinstance(record, Service) and record.sla:
            yield ("sla",), record.sla, (Sla,), "SLA"
    elif isinstance(record, Team) and record.parent:
        yield ("parent",), record.parent, (Team,), "team"
    elif isinstance(record, Change):
        yield from _change_refs(record)
    elif isinstance(record, Incident):
        yield from _incident_refs(record)
    elif isinstance(record, ProblemRecord):
        if record.owner:
            yield ("owner",), record.owner, (Team,), "team"
        for i, inc in enumerate(record.incidents):
            yield ("incidents", i), inc, (Incident,), "incident"
        for i, asset in enumerate(record.affected):
            yield ("affected", i), asset, (AssetBase,), "asset"
        if record.fixed_by:
            yield ("fixed_by",), record.fixed_by, (Change,), "change"
    elif isinstance(record, Sla) and record.calendar:
        yield ("calendar",), record.calendar, (Calendar,), "calendar"
    elif isinstance(record, ChangeTemplate) and record.owner:
        yield ("owner",), record.owner, (Team,), "team"
    elif isinstance(record, PriorityMatrix):
        for priority, teams in sorted(record.notify.items()):
            for i, team in enumerate(teams):
                yield ("notify", priority, i), team, (Team,), "team"


def _change_refs(change: Change) -> Iterator[_Ref]:
    yield ("team",), change.team, (Team,), "team"
    for i, target in enumerate(change.targets):
        yield ("targets", i), target, (AssetBase,), "asset"
    if change.template:
        yield ("template",), change.template, (ChangeTemplate,), "change template"
    if change.review:
        for i, inc in enumerate(change.review.incidents):
            yield ("review", "incidents", i), inc, (Incident,), "incident"


def _incident_refs(incident: Incident) -> Iterator[_Ref]:
    if incident.team:
        yield ("team",), incident.team, (Team,), "team"
    for i, asset in enumerate(incident.affected):
        yield ("affected", i), asset, (AssetBase,), "asset"
    for i, outage in enumerate(incident.outages):
        yield ("outages", i, "asset"), outage.asset, (AssetBase,), "asset"
    if incident.caused_by:
        yield ("caused_by",), incident.caused_by, (Change,), "change"
    if incident.problem:
        yield ("problem",), incident.problem, (ProblemRecord,), "problem"


def _asset_refs_fine(asset: AssetBase, records: dict[str, Record]) -> bool:
    """The common case, quickly: every reference of an asset resolves to the right
    kind of record (the full check below runs only when one does not)."""
    if asset.owner is not None and not isinstance(records.get(asset.owner), Team):
        return False
    if not all(isinstance(records.get(dep.id), AssetBase) for dep in asset.depends_on):
        return False
    if isinstance(asset, Cluster) and not all(
            isinstance(records.get(m), AssetBase) for m in asset.members):
        return False
    return not (isinstance(asset, Service) and asset.sla is not None
                and not isinstance(records.get(asset.sla), Sla))


def _incident_refs_fine(incident: Incident, records: dict[str, Record]) -> bool:
    """The same for an incident: most records of a repository are incidents."""
    if incident.team and not isinstance(records.get(incident.team), Team):
        return False
    for asset_id in incident.affected:
        if not isinstance(records.get(asset_id), AssetBase):
            return False
    for outage in incident.outages:
        if not isinstance(records.get(outage.asset), AssetBase):
            return False
    return not ((incident.caused_by and not isinstance(records.get(incident.caused_by), Change))
                or (incident.problem
                    and not isinstance(records.get(incident.problem), ProblemRecord)))


def _change_refs_fine(change: Change, records: dict[str, Record]) -> bool:
    """The same for a change request: a repository keeps every change it ever had."""
    if not isinstance(records.get(change.team), Team):
        return False
    for target in change.targets:
        if not isinstance(records.get(target), AssetBase):
            return False
    if change.template and not isinstance(records.get(change.template), ChangeTemplate):
        return False
    return not change.review or all(isinstance(records.get(i), Incident)
                                    for i in change.review.incidents)


def check_references(repo: Repository, context: Context) -> Iterable[Problem]:
    records = repo.records
    for record in records.values():
        if isinstance(record, Incident):
            if _incident_refs_fine(record, records):
                continue
        elif isinstance(record, Change):
            if _change_refs_fine(record, records):
                continue
        elif isinstance(record, AssetBase) and _asset_refs_fine(record, records):
            continue
        origin = repo.origins[record.id]
        for path, target, types, what in _refs(record):
            found = repo.records.get(target)
            if found is None and target in repo.invalid_ids:
                continue  # the target exists but is invalid; it has its own problem
            if found is None:
                yield P.error(origin.file, "unknown-reference",
                              f"{_label(record)} refers to {what} {target!r}, which does not "
                              f"exist; fix the id or add the {what}", loc=(*origin.loc, *path))
            elif not isinstance(found, types):
                yield P.error(origin.file, "wrong-reference",
                              f"{_label(record)} refers to {target!r} as {P.a(what)}, but it is "
                              f"{P.a(found.kind)}", loc=(*origin.loc, *path))


def _label(record: Record) -> str:
    return f"{record.kind} {record.id!r}"


def check_owners(repo: Repository, context: Context) -> Iterable[Problem]:
    for asset in repo.assets():
        if asset.owner is None:
            origin = repo.origins[asset.id]
            yield P.error(origin.file, "missing-owner",
                          f"{_label(asset)} has no owner; set `owner` to the id of the team "
                          "responsible for it", loc=origin.loc)


def check_teams(repo: Repository, context: Context) -> Iterable[Problem]:
    for team in repo.teams():
        origin = repo.origins[team.id]
        if not team.members:
            yield P.error(origin.file, "team-without-members",
                          f"team {team.id!r} has no members; list their code-host handles "
                          "under `members`", loc=origin.loc)
            continue
        members = set(team.members)
        for field, handles in (("leads", team.leads), ("on_call", [team.on_call] if
                                                        team.on_call else [])):
            for i, handle in enumerate(handles):
                if handle not in members:
                    path = (field, i) if field == "leads" else (field,)
                    yield P.error(origin.file, "unknown-member",
                                  f"{handle!r} in {field} of team {team.id!r} is not a member; "
                                  "add them to `members`", loc=(*origin.loc, *path))
        for i, key in enumerate(team.signing_keys):
            if key.member not in members:
                yield P.error(origin.file, "unknown-member",
                              f"signing key {i + 1} of team {team.id!r} belongs to "
                              f"{key.member!r}, who is not a member",
                              loc=(*origin.loc, "signing_keys", i, "member"))
