"""The dependency graph (networkx lives here and nowhere else).

Nodes are assets and clusters; an edge ``a -> b`` means *a needs b*, with the
relation type on the edge. A cluster has a ``member`` edge to each member. Later
stages (impact, availability) walk the reverse edges.

The everyday questions (who needs this, what does it need, is there a cycle) are
answered from plain adjacency dictionaries, which cost a fraction of a networkx graph
to build for 100,000 assets; networkx is brought in to take apart the part of the
graph that does hold a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opsascode.records.assets import RELATION_TYPES, AssetBase, Cluster

MEMBER = "member"


#: Relations over which an outage passes nothing (members always count).
PASSIVE = frozenset(r for r, rule in RELATION_TYPES.items() if rule == "none")


def _active(relation: str) -> bool:
    """Does an outage pass over this relation (members always count)?"""
    return relation not in PASSIVE


class DependencyGraph:
    def __init__(self) -> None:
        self._kind: dict[str, str] = {}
        self._needs: dict[str, dict[str, str]] = {}  # node -> {dependency: relation}
        self._needed_by: dict[str, dict[str, str]] = {}  # node -> {dependent: relation}
        #: cluster id -> (members, min_available), for redundancy rules
        self.clusters: dict[str, tuple[tuple[str, ...], int]] = {}
        self._cycles: list[list[str]] | None = None
        #: Blast radii worked out on this graph, by their targets and effects (see
        #: ``plan``): valid for every revision with these assets.
        self.radii: dict[tuple[tuple[str, str], ...], Any] = {}

    @classmethod
    def build(cls, assets: Iterable[AssetBase]) -> DependencyGraph:
        self = cls()
        assets = list(assets)
        kinds, needs, needed_by = self._kind, self._needs, self._needed_by
        for asset in assets:
            kinds[asset.id] = asset.kind
            needs[asset.id] = {}
            needed_by[asset.id] = {}
        for asset in assets:  # the hot loop of every load: no method call per edge
            source, out = asset.id, needs[asset.id]
            for dep in asset.depends_on:
                target = dep.id
                if target in kinds:
                    out[target] = needed_by[target][source] = dep.relation
            if isinstance(asset, Cluster):
                members = tuple(dict.fromkeys(m for m in asset.members if m in kinds))
                self.clusters[source] = (members, asset.min_available)
                for member in members:
                    out[member] = needed_by[member][source] = MEMBER
        return self

    def __contains__(self, node: str) -> bool:
        return node in self._kind

    def dependents(self, node: str) -> list[str]:
        """Assets that need ``node`` directly."""
        return sorted(self._needed_by[node])

    def dependencies(self, node: str) -> list[str]:
        return sorted(self._needs[node])

    def dependents_by_relation(self, node: str) -> list[tuple[str, str]]:
        """``(dependent, relation)`` for every asset that needs ``node`` directly."""
        return sorted(self._needed_by[node].items())

    def dependencies_by_relation(self, node: str) -> list[tuple[str, str]]:
        """``(dependency, relation)`` for everything ``node`` needs directly."""
        return sorted(self._needs[node].items())

    def relation(self, source: str, target: str) -> str:
        return self._needs[source][target]

    def kind(self, node: str) -> str:
        return self._kind[node]

    def nodes(self) -> list[str]:
        return sorted(self._kind)

    def in_degree(self, node: str) -> int:
        return len(self._needed_by[node])

    def cycles(self) -> list[list[str]]:
        """One cycle per strongly connected component that has one, each rotated to
        start at its smallest id; empty for a DAG.

        Only relations that pass an outage on count: a monitoring system that runs on
        the cluster it monitors (``monitored_by``), a backup target or a replica
        closes no real loop. Kahn's algorithm peels off everything acyclic first, so
        only the nodes caught in or behind a cycle ever reach networkx. Worked out
        once: a graph does not change once built (revisions with the same assets
        share one)."""
        if self._cycles is None:
            self._cycles = self._find_cycles()
        return [list(cycle) for cycle in self._cycles]

    def _find_cycles(self) -> list[list[str]]:
        remaining = self._not_peeled()
        if not remaining:
            return []
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_edges_from((source, target) for source in remaining
                             for target, relation in self._needs[source].items()
                             if target in remaining and _active(relation))
        result = []
        for component in nx.strongly_connected_components(graph):
            if len(component) == 1 and not graph.has_edge(*component, *component):
                continue
            edges = nx.find_cycle(graph.subgraph(component), source=min(component))
            cycle = [u for u, _ in edges]
            pivot = cycle.index(min(cycle))
            result.append(cycle[pivot:] + cycle[:pivot])
        return sorted(result)

    def _not_peeled(self) -> set[str]:
        """Nodes left after repeatedly removing those no active edge points to."""
        active = {node: [t for t, r in targets.items() if r not in PASSIVE]
                  for node, targets in self._needs.items()}
        pointed = dict.fromkeys(self._kind, 0)
        for targets in active.values():
            for target in targets:
                pointed[target] += 1
        ready = [node for node, count in pointed.items() if count == 0]
        while ready:
            for target in active[ready.pop()]:
                pointed[target] -= 1
                if not pointed[target]:
                    ready.append(target)
        return {node for node, count in pointed.items() if count > 0}
