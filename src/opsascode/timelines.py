"""Effect timelines: the blast radius of outages, over time.

:mod:`opsascode.impact` answers "what does this outage take down?" for one moment.
Availability needs the same answer for every moment of a period, with outages that
start and end at different times: two members of a redundant cluster that fail at
different times take the cluster down only for the time they overlap.

A *timeline* is a sorted list of non-overlapping segments ``[start, end)`` (integer
times, e.g. microseconds from the start of a period), each with an effect
(``outage`` or ``degraded``; no segment means no effect) and the ids of what caused
it (incidents, or changes). At every instant an asset's effect is the worst of:

* its own outage records covering that instant;
* what each dependency passes on over its relation (``impact.propagate``: ``uses``
  passes at most a degradation; ``monitored_by``, ``backed_up_to`` and
  ``replicates_to`` pass nothing);
* for a cluster, ``impact.cluster_effect`` of its members' effects at that instant:
  out while fewer than ``min_available`` members stay available, else degraded while
  any member is out or degraded.

The causes of a segment are those of every input that has the winning effect (for a
cluster that is out: the members that are out). Only the assets an outage can reach
are visited, once each, dependencies first; an asset with a single input shares that
input's timeline instead of copying it. A dependency cycle (``validate`` reports it)
is cut where it closes: its assets see only the dependencies already computed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import NamedTuple

from opsascode.gcpause import gc_paused
from opsascode.graph import MEMBER, DependencyGraph
from opsascode.impact import RANK, cluster_effect, propagate

NONE = "none"


class Segment(NamedTuple):
    """``[start, end)`` with an effect (outage | degraded) and what caused it."""

    start: int
    end: int
    effect: str
    causes: frozenset[str]


Timeline = list[Segment]
#: One input of an asset: the member id when it comes from a cluster member (None
#: otherwise), and its timeline as seen by the asset.
Input = tuple[str | None, Timeline]


@cache
def passes(relation: str) -> bool:
    """Does an outage of a dependency reach the dependent over ``relation``?"""
    return relation == MEMBER or propagate("outage", relation) != NONE


def effect_timelines(graph: DependencyGraph,
                     own: Mapping[str, Sequence[Segment]]) -> dict[str, Timeline]:
    """The timeline of every asset that some outage reaches, from each asset's own
    outage segments (which may overlap). Assets that are never affected are absent."""
    with gc_paused():
        own = {node: segments for node, segments in own.items() if node in graph and segments}
        nodes = _reachable(graph, own)
        needs = {node: [(dep, relation) for dep, relation in graph.dependencies_by_relation(node)
                        if dep in nodes and passes(relation)] for node in nodes}
        result: dict[str, Timeline] = {}
        for node in _dependencies_first(needs):
            inputs = _inputs(needs[node], result)
            if node in own:
                inputs.append((None, normalise(own[node])))
            timeline = combine(inputs, graph.clusters.get(node))
            if timeline:
                result[node] = timeline
    return result


def normalise(segments: Sequence[Segment]) -> Timeline:
    """Overlapping segments as one timeline: the worst effect at each instant."""
    return combine([(None, [segment]) for segment in segments if segment.end > segment.start])


def combine(inputs: Sequence[Input],
            cluster: tuple[tuple[str, ...], int] | None = None) -> Timeline:
    """The timeline of an asset from the timelines of its inputs (a sweep over their
    boundaries); ``cluster`` is ``(members, min_available)`` for a cluster."""
    inputs = [item for item in inputs if item[1]]
    if cluster is None and len(inputs) == 1:
        return inputs[0][1]
    events = sorted((time, opens, index, segment)
                    for index, (_, timeline) in enumerate(inputs)
                    for segment in timeline
                    for time, opens in ((segment.start, 1), (segment.end, 0)))
    active: dict[int, Segment] = {}
    result: Timeline = []
    for position, (time, opens, index, segment) in enumerate(events):
        if opens:
            active[index] = segment
        else:
            del active[index]  # ends sort before starts: a touching successor is intact
        if position + 1 < len(events) and events[position + 1][0] > time:
            effect, causes = _state(inputs, active, cluster)
            if effect != NONE:
                append(result, Segment(time, events[position + 1][0], effect, causes))
    return result


def append(timeline: Timeline, segment: Segment) -> None:
    """Add a segment after the last one, merging the two when they touch and agree."""
    if timeline:
        last = timeline[-1]
        if (last.end == segment.start and last.effect == segment.effect
                and last.causes == segment.causes):
            timeline[-1] = last._replace(end=segment.end)
            return
    timeline.append(segment)


def _state(inputs: Sequence[Input], active: Mapping[int, Segment],
           cluster: tuple[tuple[str, ...], int] | None) -> tuple[str, frozenset[str]]:
    """The effect at one instant and its causes, from the inputs active then."""
    if cluster is None:
        candidates = list(active.values())
    else:
        candidates = [s for index, s in active.items() if inputs[index][0] is None]
        candidates.extend(_cluster_state(inputs, active, cluster))
    if not candidates:
        return NONE, frozenset()
    worst = max(candidates, key=lambda s: RANK[s.effect]).effect
    return worst, _union(s for s in candidates if s.effect == worst)


def _cluster_state(inputs: Sequence[Input], active: Mapping[int, Segment],
                   cluster: tuple[tuple[str, ...], int]) -> list[Segment]:
    """The cluster's effect from its members at one instant (none: an empty list),
    caused by the members that are out (or, when degraded, by every affected one)."""
    members = {key: s for index, s in active.items() if (key := inputs[index][0]) is not None}
    effect = cluster_effect(*cluster, {m: s.effect for m, s in members.items()})
    if not members or effect == NONE:
        return []
    counted = [s for s in members.values() if effect == "degraded" or s.effect == effect]
    return [Segment(0, 0, effect, _union(counted))]


def _union(segments: Iterable[Segment]) -> frozenset[str]:
    causes = [segment.causes for segment in segments]
    return causes[0] if len(causes) == 1 else frozenset().union(*causes)


def _inputs(needs: Sequence[tuple[str, str]], done: Mapping[str, Timeline]) -> list[Input]:
    """What an asset's computed dependencies (``needs``: dependency, relation) pass
    on to it."""
    inputs: list[Input] = []
    for dependency, relation in needs:
        timeline = done.get(dependency)
        if not timeline:
            continue
        if relation == MEMBER:
            inputs.append((dependency, timeline))
        else:
            inputs.append((None, _passed_on(timeline, relation)))
    return inputs


def _passed_on(timeline: Timeline, relation: str) -> Timeline:
    """A dependency's timeline as its dependent sees it over ``relation``."""
    if propagate("outage", relation) == "outage":
        return timeline  # passed on as it is: share, do not copy
    result: Timeline = []
    for segment in timeline:
        effect = propagate(segment.effect, relation)
        if effect != NONE:
            append(result, segment._replace(effect=effect))
    return result


def _reachable(graph: DependencyGraph, sources: Mapping[str, object]) -> set[str]:
    """Every asset an outage of some source can reach (the union of blast radii)."""
    seen = set(sources)
    queue = deque(sources)
    while queue:
        for dependent, relation in graph.dependents_by_relation(queue.popleft()):
            if dependent not in seen and passes(relation):
                seen.add(dependent)
                queue.append(dependent)
    return seen


def _dependencies_first(needs: Mapping[str, Sequence[tuple[str, str]]]) -> Iterator[str]:
    """The nodes of ``needs`` (node -> its dependencies among them) in an order that
    puts each after its dependencies (Kahn's algorithm); what a cycle holds back
    comes last, in id order."""
    waiting = {node: len(deps) for node, deps in needs.items()}
    feeds: dict[str, list[str]] = {}
    for node, deps in needs.items():
        for dep, _ in deps:
            feeds.setdefault(dep, []).append(node)
    ready = deque(sorted(node for node, count in waiting.items() if count == 0))
    while ready:
        node = ready.popleft()
        del waiting[node]
        yield node
        for dependent in feeds.get(node, ()):
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
    yield from sorted(waiting)


