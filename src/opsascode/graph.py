"""The dependency graph (networkx lives here and nowhere else).

Nodes are assets and clusters; an edge ``a -> b`` means *a needs b*, with the
relation type as the edge's ``relation`` attribute. A cluster has a ``member`` edge to
each member. Later stages (impact, availability) walk the reverse edges.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from opsascode.records.assets import RELATION_TYPES, AssetBase, Cluster

MEMBER = "member"


class DependencyGraph:
    def __init__(self, assets: Iterable[AssetBase]) -> None:
        graph: Any = nx.DiGraph()
        for asset in assets:
            graph.add_node(asset.id, kind=asset.kind)
        self._graph = graph
        #: cluster id -> (members, min_available), for redundancy rules
        self.clusters: dict[str, tuple[tuple[str, ...], int]] = {}

    @classmethod
    def build(cls, assets: Iterable[AssetBase]) -> DependencyGraph:
        assets = list(assets)
        self = cls(assets)
        known = set(self._graph.nodes)
        for asset in assets:
            for dep in asset.depends_on:
                if dep.id in known:
                    self._graph.add_edge(asset.id, dep.id, relation=dep.relation)
            if isinstance(asset, Cluster):
                members = tuple(dict.fromkeys(m for m in asset.members if m in known))
                self.clusters[asset.id] = (members, asset.min_available)
                for member in asset.members:
                    if member in known:
                        self._graph.add_edge(asset.id, member, relation=MEMBER)
        return self

    def __contains__(self, node: str) -> bool:
        return node in self._graph

    def dependents(self, node: str) -> list[str]:
        """Assets that need ``node`` directly."""
        return sorted(self._graph.predecessors(node))

    def dependencies(self, node: str) -> list[str]:
        return sorted(self._graph.successors(node))

    def dependents_by_relation(self, node: str) -> list[tuple[str, str]]:
        """``(dependent, relation)`` for every asset that needs ``node`` directly."""
        edges = self._graph.in_edges(node, data="relation")
        return sorted((source, relation) for source, _, relation in edges)

    def dependencies_by_relation(self, node: str) -> list[tuple[str, str]]:
        """``(dependency, relation)`` for everything ``node`` needs directly."""
        edges = self._graph.out_edges(node, data="relation")
        return sorted((target, relation) for _, target, relation in edges)

    def relation(self, source: str, target: str) -> str:
        return str(self._graph.edges[source, target]["relation"])

    def kind(self, node: str) -> str:
        return str(self._graph.nodes[node]["kind"])

    def nodes(self) -> list[str]:
        return sorted(self._graph.nodes)

    def in_degree(self, node: str) -> int:
        return int(self._graph.in_degree(node))

    def cycles(self) -> list[list[str]]:
        """One cycle per strongly connected component that has one, each rotated
        to start at its smallest id; empty for a DAG (checked first: it is cheap,
        while searching for a cycle in a large acyclic graph is not).

        Only relations that pass an outage on count: a monitoring system that runs
        on the cluster it monitors (``monitored_by``), a backup target or a replica
        closes no real loop."""
        graph = self._graph
        passive = [(u, v) for u, v, r in graph.edges(data="relation")
                   if r != MEMBER and RELATION_TYPES.get(r, "outage") == "none"]
        if passive:
            graph = nx.restricted_view(graph, [], passive)
        if nx.is_directed_acyclic_graph(graph):
            return []
        result = []
        for component in nx.strongly_connected_components(graph):
            if len(component) == 1:
                (node,) = component
                if not graph.has_edge(node, node):
                    continue
            sub = graph.subgraph(component)
            start = min(component)
            edges = nx.find_cycle(sub, source=start)
            cycle = [u for u, _ in edges]
            pivot = cycle.index(min(cycle))
            result.append(cycle[pivot:] + cycle[:pivot])
        return sorted(result)
