"""Rules over the dependency graph and the inventory as a whole."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from opsascode import problems as P
from opsascode.graph import MEMBER
from opsascode.problems import Problem
from opsascode.records import Cluster
from opsascode.records.assets import AssetBase
from opsascode.repository import Repository

if TYPE_CHECKING:
    from opsascode.checks import Context


def check_cycles(repo: Repository, context: Context) -> Iterable[Problem]:
    for cycle in context.graph.cycles():
        origin = repo.origins[cycle[0]]
        path = " -> ".join([*cycle, cycle[0]])
        yield P.error(origin.file, "dependency-cycle",
                      f"dependency cycle: {path}; an asset cannot (indirectly) depend on "
                      "itself, so remove one of these dependencies",
                      loc=(*origin.loc, *_edge_field(repo, context, cycle)))


def _edge_field(repo: Repository, context: Context, cycle: list[str]) -> tuple[str | int, ...]:
    """Where the cycle's first edge is written: a ``depends_on`` entry or a member."""
    source, target = cycle[0], cycle[(1 % len(cycle))]
    asset = repo.records.get(source)
    if context.graph.relation(source, target) == MEMBER and isinstance(asset, Cluster):
        return ("members", asset.members.index(target))
    if isinstance(asset, AssetBase):
        ids = [d.id for d in asset.depends_on]
        if target in ids:
            return ("depends_on", ids.index(target))
    return ("depends_on",)


def check_clusters(repo: Repository, context: Context) -> Iterable[Problem]:
    for cluster in repo.clusters():
        origin = repo.origins[cluster.id]
        members = len(set(cluster.members))
        if cluster.min_available > members:
            yield P.error(origin.file, "min-available-too-large",
                          f"cluster {cluster.id!r} needs {cluster.min_available} members "
                          f"available but has only {members}; lower `min_available` or add "
                          "members", loc=(*origin.loc, "min_available"))
        if members != len(cluster.members):
            yield P.error(origin.file, "duplicate-member",
                          f"cluster {cluster.id!r} lists a member twice; list each once",
                          loc=(*origin.loc, "members"))


def check_service_slas(repo: Repository, context: Context) -> Iterable[Problem]:
    for service in repo.services():
        if service.tier <= 1 and service.sla is None:
            origin = repo.origins[service.id]
            yield P.error(origin.file, "missing-sla",
                          f"service {service.id!r} is tier {service.tier} but has no SLA; "
                          "tier 0 and 1 services need `sla` (the id of an SLA in policies/)",
                          loc=origin.loc)


def check_orphans(repo: Repository, context: Context) -> Iterable[Problem]:
    for asset in repo.assets():
        if asset.kind == "service" or asset.lifecycle == "retired":
            continue
        if context.graph.in_degree(asset.id) == 0:
            origin = repo.origins[asset.id]
            yield P.warning(origin.file, "orphan-asset",
                            f"nothing depends on {asset.kind} {asset.id!r} and it is not a "
                            "service; add the dependency that uses it, or retire it",
                            loc=origin.loc)


def check_freshness(repo: Repository, context: Context) -> Iterable[Problem]:
    limit = context.today - timedelta(days=repo.settings.stale_after_days)
    for asset in repo.assets():
        if asset.last_verified is not None and asset.last_verified < limit:
            origin = repo.origins[asset.id]
            age = (context.today - asset.last_verified).days
            yield P.warning(origin.file, "stale-record",
                            f"{asset.kind} {asset.id!r} was last verified {age} days ago "
                            f"(limit {repo.settings.stale_after_days}); check it against "
                            "reality and update `last_verified`",
                            loc=(*origin.loc, "last_verified"))
