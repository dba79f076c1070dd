"""Single points of failure: the assets whose outage alone takes a service down.

An asset's outage reaches a dependent over every relation whose rule is ``outage``;
a cluster goes down only when one failure takes out more members than it can spare
(``len(members) - min_available``). So a server that hosts both members of a
two-node cluster is a single point of failure even though the cluster is redundant.
"""

from __future__ import annotations

from collections.abc import Iterable

from opsascode.graph import MEMBER, DependencyGraph
from opsascode.records.assets import RELATION_TYPES


class SinglePoints:
    """Memoised single-point-of-failure sets over one graph (a DAG)."""

    def __init__(self, graph: DependencyGraph) -> None:
        self._graph = graph
        self._memo: dict[str, frozenset[str]] = {}

    def of(self, node: str) -> frozenset[str]:
        """Assets (other than ``node`` and clusters, which only fail through their
        members) whose single outage takes ``node`` down."""
        return frozenset(a for a in self._fails_with(node)
                         if a != node and a not in self._graph.clusters)

    def for_services(self, services: Iterable[str]) -> dict[str, frozenset[str]]:
        return {service: self.of(service) for service in sorted(services)}

    def _fails_with(self, node: str) -> frozenset[str]:
        # Iterative post-order so deep inventories do not hit the recursion limit.
        # A dependency cycle (reported by validate) is cut where it closes.
        stack, entered = [node], set()
        while stack:
            current = stack[-1]
            if current in self._memo:
                stack.pop()
                continue
            pending = [d for d in self._needs(current) if d not in self._memo and d not in entered]
            if current not in entered and pending:
                entered.add(current)
                stack.extend(pending)
                continue
            stack.pop()
            self._memo[current] = self._compute(current)
        return self._memo[node]

    def _needs(self, node: str) -> list[str]:
        return [dep for dep, relation in self._graph.dependencies_by_relation(node)
                if relation == MEMBER or RELATION_TYPES.get(relation, "outage") == "outage"]

    def _compute(self, node: str) -> frozenset[str]:
        result = {node}
        cluster = self._graph.clusters.get(node)
        spare = len(cluster[0]) - cluster[1] if cluster else 0
        counts: dict[str, int] = {}
        for dep, relation in self._graph.dependencies_by_relation(node):
            if relation == MEMBER:
                for asset in self._memo.get(dep, ()):
                    counts[asset] = counts.get(asset, 0) + 1
            elif RELATION_TYPES.get(relation, "outage") == "outage":
                result |= self._memo.get(dep, frozenset())
        result |= {asset for asset, hits in counts.items() if hits > spare}
        return frozenset(result)
