from __future__ import annotations

from typing import Any

import pytest

from opsascode.graph import DependencyGraph
from opsascode.impact import blast_radius, cluster_effect, propagate
from opsascode.records import record_adapter
from opsascode.records.assets import AssetBase
from opsascode.spof import SinglePoints


def inventory(*records: dict[str, Any]) -> dict[str, AssetBase]:
    adapter = record_adapter()
    assets = [adapter.validate_python({"owner": "team", **r}) for r in records]
    return {a.id: a for a in assets}


def radius(assets: dict[str, AssetBase], **targets: str) -> dict[str, tuple[str, int]]:
    result = blast_radius(DependencyGraph.build(assets.values()), assets,
                          {k.replace("_", "-"): v for k, v in targets.items()})
    return {i.id: (i.effect, i.distance) for i in result.impacted}


# svc <- app <- cl-db (db-1, db-2, min 1) ; db-1, db-2 runs_on srv-1 / srv-2
SHOP = inventory(
    {"id": "svc", "kind": "service", "tier": 1, "sla": "x", "depends_on": ["app"]},
    {"id": "app", "kind": "application",
     "depends_on": ["cl-db", {"id": "cache", "relation": "uses"},
                    {"id": "mon", "relation": "monitored_by"}]},
    {"id": "cache", "kind": "cache"},
    {"id": "mon", "kind": "application"},
    {"id": "cl-db", "kind": "cluster", "members": ["db-1", "db-2"], "min_available": 1},
    {"id": "db-1", "kind": "database", "depends_on": [{"id": "srv-1", "relation": "runs_on"}]},
    {"id": "db-2", "kind": "database", "depends_on": [{"id": "srv-2", "relation": "runs_on"}]},
    {"id": "srv-1", "kind": "server"},
    {"id": "srv-2", "kind": "server"},
)


@pytest.mark.parametrize(("effect", "relation", "expected"), [
    ("outage", "depends_on", "outage"), ("outage", "runs_on", "outage"),
    ("outage", "uses", "degraded"), ("degraded", "depends_on", "degraded"),
    ("outage", "monitored_by", "none"), ("outage", "backed_up_to", "none"),
    ("outage", "replicates_to", "none"),
])
def test_each_relation_type_propagates_by_its_rule(effect: str, relation: str,
                                                   expected: str) -> None:
    assert propagate(effect, relation) == expected


def test_outage_climbs_the_whole_chain_with_distances() -> None:
    assert radius(SHOP, cache="outage") == {
        "cache": ("outage", 0), "app": ("degraded", 1), "svc": ("degraded", 2)}


def test_monitoring_outage_impacts_nothing_else() -> None:
    assert radius(SHOP, mon="outage") == {"mon": ("outage", 0)}


def test_one_cluster_member_down_only_degrades() -> None:
    assert radius(SHOP, srv_1="outage") == {
        "srv-1": ("outage", 0), "db-1": ("outage", 1), "cl-db": ("degraded", 2),
        "app": ("degraded", 3), "svc": ("degraded", 4)}


def test_several_members_down_together_take_the_cluster_down() -> None:
    result = radius(SHOP, db_1="outage", srv_2="outage")
    assert result["cl-db"] == ("outage", 2)  # established when db-2 (via srv-2) falls
    assert result["svc"] == ("outage", 4)


def test_min_available_two_of_three() -> None:
    assert cluster_effect(("a", "b", "c"), 2, {"a": "outage"}) == "degraded"
    assert cluster_effect(("a", "b", "c"), 2, {"a": "outage", "b": "outage"}) == "outage"
    assert cluster_effect(("a", "b", "c"), 2, {"a": "degraded"}) == "degraded"
    assert cluster_effect(("a", "b", "c"), 2, {}) == "none"


def test_paths_explain_each_impact() -> None:
    graph = DependencyGraph.build(SHOP.values())
    result = blast_radius(graph, SHOP, {"srv-1": "outage"})
    (service,) = result.services
    assert service.path == ("srv-1", "db-1", "cl-db", "app", "svc")
    assert (service.tier, service.effect) == (1, "degraded")


def test_single_points_of_failure_respect_redundancy() -> None:
    spof = SinglePoints(DependencyGraph.build(SHOP.values()))
    # the cache is a soft dependency, the databases are clustered
    assert spof.of("svc") == {"app"}


def test_shared_host_under_a_cluster_is_a_single_point_of_failure() -> None:
    shared = dict(SHOP)
    shared.update(inventory(
        {"id": "db-2", "kind": "database",
         "depends_on": [{"id": "srv-1", "relation": "runs_on"}]}))
    spof = SinglePoints(DependencyGraph.build(shared.values()))
    assert spof.of("svc") == {"app", "srv-1"}
