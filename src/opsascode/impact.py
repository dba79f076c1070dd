"""Blast radius: what an outage (or degradation) of some assets takes down.

Propagation walks from the affected assets to their dependents. Each relation type
has a rule (``RELATION_TYPES``): ``outage`` passes the effect on as it is,
``degraded`` passes on at most a degradation, ``none`` stops it. A cluster is hit
the iTop way: it is *out* only when fewer than ``min_available`` members remain
available, and merely *degraded* (redundancy reduced) while enough remain; members
taken down together by one change or outage count together.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from opsascode.graph import MEMBER, DependencyGraph
from opsascode.records.assets import RELATION_TYPES, AssetBase, Service

RANK = {"none": 0, "degraded": 1, "outage": 2}


@dataclass(frozen=True)
class Impacted:
    id: str
    kind: str
    distance: int
    #: From a target to this asset, each step a dependency edge walked backwards.
    path: tuple[str, ...]
    effect: str  # outage | degraded


@dataclass(frozen=True)
class ImpactedService:
    id: str
    name: str | None
    tier: int
    users: int | None
    effect: str
    distance: int
    path: tuple[str, ...]


@dataclass(frozen=True)
class BlastRadius:
    targets: tuple[str, ...]
    impacted: tuple[Impacted, ...]
    services: tuple[ImpactedService, ...]

    def ids(self) -> frozenset[str]:
        found: frozenset[str] | None = self.__dict__.get("_ids")
        if found is None:  # worked out once (conflicts ask for it again and again)
            found = self.__dict__["_ids"] = frozenset(i.id for i in self.impacted)
        return found


def propagate(effect: str, relation: str) -> str:
    """The effect on a dependent when what it needs over ``relation`` has ``effect``."""
    rule = RELATION_TYPES.get(relation, "outage")
    if rule == "none" or effect == "none":
        return "none"
    return "degraded" if rule == "degraded" else effect


def cluster_effect(members: tuple[str, ...], min_available: int,
                   effects: Mapping[str, str]) -> str:
    down = sum(1 for m in members if effects.get(m) == "outage")
    if len(members) - down < min_available:
        return "outage"
    return "degraded" if any(effects.get(m, "none") != "none" for m in members) else "none"


def blast_radius(graph: DependencyGraph, assets: Mapping[str, AssetBase],
                 targets: Mapping[str, str]) -> BlastRadius:
    """Everything the given targets (id -> effect) impact, with distance and path."""
    effects: dict[str, str] = {}
    found: dict[str, Impacted] = {}
    queue: deque[str] = deque()
    for target, effect in sorted(targets.items()):
        if target in graph and effect != "none":
            effects[target] = effect
            found[target] = Impacted(target, graph.kind(target), 0, (target,), effect)
            queue.append(target)
    while queue:
        node = queue.popleft()
        here = found[node]
        for dependent, relation in graph.dependents_by_relation(node):
            if dependent in targets:
                continue  # a target's own effect is what the change declares
            if relation == MEMBER:
                members, min_available = graph.clusters[dependent]
                effect = cluster_effect(members, min_available, effects)
            else:
                effect = propagate(here.effect, relation)
            if RANK[effect] <= RANK[effects.get(dependent, "none")]:
                continue
            effects[dependent] = effect
            found[dependent] = Impacted(dependent, graph.kind(dependent), here.distance + 1,
                                        (*here.path, dependent), effect)
            queue.append(dependent)
    impacted = tuple(sorted(found.values(), key=lambda i: (i.distance, i.id)))
    return BlastRadius(tuple(sorted(targets)), impacted, _services(impacted, assets))


def _services(impacted: tuple[Impacted, ...], assets: Mapping[str, AssetBase]
              ) -> tuple[ImpactedService, ...]:
    result = []
    for item in impacted:
        asset = assets.get(item.id)
        if isinstance(asset, Service):
            result.append(ImpactedService(asset.id, asset.name, asset.tier, asset.users,
                                          item.effect, item.distance, item.path))
    return tuple(sorted(result, key=lambda s: (s.tier, -(s.users or 0), s.id)))
