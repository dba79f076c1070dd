from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsascode.availability import Downtime, ServiceAvailability, availability
from opsascode.graph import DependencyGraph
from opsascode.impact import blast_radius
from opsascode.records import Record, record_adapter
from opsascode.records.assets import AssetBase
from opsascode.repository import Repository
from opsascode.timelines import Segment, effect_timelines

# The period is 1,000 minutes, so every minute of downtime costs 0.1 percentage points.
SINCE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(minutes=1000)

# svc (SLA 99.5) <- app <- cl-db (db-1 on srv-1, db-2 on srv-2; 1 of 2 needed)
#     svc -connects_through-> lb;  app -uses-> cache;  app -monitored_by-> mon
# svc3 <- cl-3 (n-1, n-2, n-3; 2 of 3 needed)
INVENTORY: tuple[dict[str, Any], ...] = (
    {"id": "svc", "kind": "service", "tier": 1, "sla": "sla-gold", "name": "Shop",
     "depends_on": ["app", {"id": "lb", "relation": "connects_through"}]},
    {"id": "app", "kind": "application",
     "depends_on": ["cl-db", {"id": "cache", "relation": "uses"},
                    {"id": "mon", "relation": "monitored_by"}]},
    {"id": "lb", "kind": "load-balancer"},
    {"id": "cache", "kind": "cache"},
    {"id": "mon", "kind": "application"},
    {"id": "cl-db", "kind": "cluster", "members": ["db-1", "db-2"], "min_available": 1},
    {"id": "db-1", "kind": "database", "depends_on": [{"id": "srv-1", "relation": "runs_on"}]},
    {"id": "db-2", "kind": "database", "depends_on": [{"id": "srv-2", "relation": "runs_on"}]},
    {"id": "srv-1", "kind": "server"},
    {"id": "srv-2", "kind": "server"},
    {"id": "svc3", "kind": "service", "tier": 2, "depends_on": ["cl-3"]},
    {"id": "cl-3", "kind": "cluster", "members": ["n-1", "n-2", "n-3"], "min_available": 2},
    {"id": "n-1", "kind": "server"},
    {"id": "n-2", "kind": "server"},
    {"id": "n-3", "kind": "server"},
)


def at(minute: int) -> datetime:
    return SINCE + timedelta(minutes=minute)


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def incident(id: str, *outages: tuple[str, int, int | None] | tuple[str, int, int | None, str]
             ) -> dict[str, Any]:
    """An incident with outages (asset, start minute, end minute or None[, effect])."""
    return {"id": id, "kind": "incident", "title": id, "reported_at": at(0), "impact": "high",
            "urgency": "high",
            "outages": [{"asset": o[0], "start": at(o[1]), "end": None if o[2] is None
                         else at(o[2]), "effect": o[3] if len(o) > 3 else "outage"}
                        for o in outages]}


def change(id: str, target: str, start: int, end: int, status: str = "approved",
           effect: str = "outage") -> dict[str, Any]:
    return {"id": id, "kind": "change", "title": id, "type": "normal", "requester": "carol",
            "team": "team", "targets": [target], "action": "upgrade", "effect": effect,
            "window": {"start": at(start), "end": at(end)}, "status": status}


def repository(*records: dict[str, Any]) -> Repository:
    adapter = record_adapter()
    sla = {"id": "sla-gold", "kind": "sla", "availability": 99.5}
    assets = [{"owner": "team", **asset} for asset in INVENTORY]
    loaded: list[Record] = [adapter.validate_python(r) for r in (*assets, sla, *records)]
    return Repository(records={record.id: record for record in loaded})


def measure(*records: dict[str, Any], since: datetime = SINCE,
            until: datetime = UNTIL) -> dict[str, ServiceAvailability]:
    repo = repository(*records)
    graph = DependencyGraph.build(repo.assets())
    return {row.id: row for row in availability(repo, graph, since, until)}


def test_a_quiet_period_is_fully_available() -> None:
    result = measure()
    assert list(result) == ["svc", "svc3"]
    shop = result["svc"]
    assert (shop.name, shop.tier, shop.sla, shop.target) == ("Shop", 1, "sla-gold", 99.5)
    assert shop.period == minutes(1000) and shop.period_seconds == 60_000
    assert (shop.unplanned, shop.planned, shop.degraded) == (timedelta(), timedelta(),
                                                             timedelta())
    assert (shop.availability, shop.availability_with_planned, shop.met) == (100, 100, True)
    assert result["svc3"].met is None  # no SLA, no verdict


def test_one_cluster_member_down_is_no_downtime_but_degraded_time() -> None:
    shop = measure(incident("INC-1", ("srv-1", 0, 100)))["svc"]
    assert shop.unplanned == timedelta() and shop.availability == 100
    assert shop.degraded == minutes(100)


def test_both_members_down_count_only_while_they_overlap() -> None:
    # db-1 down 100-130, db-2 down (its server) 120-140: the cluster is out 120-130.
    shop = measure(incident("INC-1", ("db-1", 100, 130)),
                   incident("INC-2", ("srv-2", 120, 140)))["svc"]
    assert shop.unplanned == minutes(10)
    assert shop.degraded == minutes(20 + 10)  # 100-120 and 130-140: one member left
    assert shop.availability == pytest.approx(99.0)  # 1 - 10/1000
    assert shop.met is False  # 99.0 < 99.5
    assert shop.outages == (Downtime(at(120), at(130), ("INC-1", "INC-2")),)


def test_two_of_three_needed_fails_when_two_are_down_together() -> None:
    # n-1 down 0-60, n-2 down 30-90: two down (one left, two needed) for 30-60.
    row = measure(incident("INC-1", ("n-1", 0, 60)), incident("INC-2", ("n-2", 30, 90)))["svc3"]
    assert row.unplanned == minutes(30)
    assert row.degraded == minutes(30 + 30)
    assert row.availability == pytest.approx(97.0)


def test_two_of_three_needed_survives_one_member_down() -> None:
    row = measure(incident("INC-1", ("n-3", 0, 500)))["svc3"]
    assert (row.unplanned, row.degraded) == (timedelta(), minutes(500))


def test_a_soft_dependency_only_degrades() -> None:
    shop = measure(incident("INC-1", ("cache", 0, 100)))["svc"]
    assert (shop.unplanned, shop.degraded, shop.availability) == (timedelta(), minutes(100), 100)


def test_a_degraded_outage_record_is_never_downtime() -> None:
    shop = measure(incident("INC-1", ("app", 0, 50, "degraded")))["svc"]
    assert (shop.unplanned, shop.degraded) == (timedelta(), minutes(50))


def test_monitoring_outage_changes_nothing() -> None:
    shop = measure(incident("INC-1", ("mon", 0, 100)))["svc"]
    assert (shop.unplanned, shop.degraded) == (timedelta(), timedelta())


def test_overlapping_incidents_under_one_service_count_each_minute_once() -> None:
    # app down 100-160 and lb down 130-190: down 100-190, 90 minutes, not 120.
    shop = measure(incident("INC-A", ("app", 100, 160)), incident("INC-B", ("lb", 130, 190)),
                   incident("INC-C", ("app", 110, 120)))["svc"]
    assert shop.unplanned == minutes(90)
    assert shop.availability == pytest.approx(91.0)
    assert shop.outages == (Downtime(at(100), at(190), ("INC-A", "INC-B", "INC-C")),)


def test_separate_outages_stay_separate_intervals() -> None:
    shop = measure(incident("INC-A", ("app", 100, 110), ("svc", 200, 205)))["svc"]
    assert shop.outages == (Downtime(at(100), at(110), ("INC-A",)),
                            Downtime(at(200), at(205), ("INC-A",)))
    assert shop.unplanned == minutes(15)


def test_downtime_inside_an_approved_change_window_is_planned() -> None:
    # app down 100-160; the approved change's window on app is 100-130.
    shop = measure(incident("INC-1", ("app", 100, 160)), change("CHG-1", "app", 90, 130))["svc"]
    assert (shop.unplanned, shop.planned) == (minutes(30), minutes(30))
    assert shop.availability == pytest.approx(97.0)  # planned downtime excluded
    assert shop.availability_with_planned == pytest.approx(94.0)
    assert shop.planned_outages == (Downtime(at(100), at(130), ("INC-1",), ("CHG-1",)),)
    assert shop.outages == (Downtime(at(130), at(160), ("INC-1",)),)


@pytest.mark.parametrize("status", ["requested", "cancelled"])
def test_a_change_not_approved_plans_nothing(status: str) -> None:
    shop = measure(incident("INC-1", ("app", 100, 160)),
                   change("CHG-1", "app", 90, 130, status=status))["svc"]
    assert (shop.unplanned, shop.planned) == (minutes(60), timedelta())


def test_a_change_whose_blast_radius_misses_the_service_plans_nothing() -> None:
    shop = measure(incident("INC-1", ("app", 100, 160)), change("CHG-1", "mon", 90, 130),
                   change("CHG-2", "app", 90, 130, effect="none"))["svc"]
    assert (shop.unplanned, shop.planned) == (minutes(60), timedelta())


def test_a_change_on_one_cluster_member_still_reaches_the_service() -> None:
    # Its blast radius reaches svc (degraded): downtime in its window is planned.
    shop = measure(incident("INC-1", ("app", 100, 160)),
                   change("CHG-1", "db-1", 150, 200, status="completed"))["svc"]
    assert (shop.unplanned, shop.planned) == (minutes(50), minutes(10))


def test_an_open_outage_runs_to_the_end_of_the_period() -> None:
    shop = measure(incident("INC-1", ("app", 980, None)))["svc"]
    assert shop.unplanned == minutes(20)
    assert shop.outages == (Downtime(at(980), UNTIL, ("INC-1",)),)


def test_outages_are_clipped_to_the_period() -> None:
    shop = measure(incident("INC-1", ("app", -60, 10), ("lb", 990, 1100)),
                   incident("INC-2", ("app", -90, -30), ("app", 1010, None)))["svc"]
    assert shop.unplanned == minutes(20)


def test_an_empty_period_is_fully_available() -> None:
    shop = measure(incident("INC-1", ("app", 0, None)), since=SINCE, until=SINCE)["svc"]
    assert (shop.period, shop.unplanned, shop.availability, shop.met) == (
        timedelta(), timedelta(), 100, True)


def test_a_period_that_ends_before_it_starts_is_an_error() -> None:
    with pytest.raises(ValueError, match="ends"):
        measure(since=UNTIL, until=SINCE)


def test_sla_is_met_at_exactly_the_target() -> None:
    assert measure(incident("INC-1", ("app", 0, 5)))["svc"].met is True  # 99.5 >= 99.5
    assert measure(incident("INC-1", ("app", 0, 6)))["svc"].met is False  # 99.4


def test_an_outage_on_an_unknown_asset_is_skipped() -> None:
    repo = repository()
    graph = DependencyGraph.build(repo.assets())
    own = {"ghost": [Segment(0, 10, "outage", frozenset({"INC-1"}))]}
    assert effect_timelines(graph, own) == {}


# ------------------------------------------- the sweep agrees with impact, instant by instant


def _random_inventory(rng: random.Random) -> list[AssetBase]:
    """A small random layered graph: leaves l-*, middle m-* (some clusters), services."""
    relations = ["depends_on", "runs_on", "uses", "monitored_by"]
    leaves = [f"l-{i}" for i in range(6)]
    records: list[dict[str, Any]] = [{"id": leaf, "kind": "server"} for leaf in leaves]
    middle: list[str] = []
    for i in range(5):
        if rng.random() < 0.5:
            members = rng.sample(leaves, rng.randint(2, 3))
            records.append({"id": f"m-{i}", "kind": "cluster", "members": members,
                            "min_available": rng.randint(1, len(members))})
        else:
            deps = [{"id": d, "relation": rng.choice(relations)}
                    for d in rng.sample(leaves + middle, rng.randint(1, 3))]
            records.append({"id": f"m-{i}", "kind": "application", "depends_on": deps})
        middle.append(f"m-{i}")
    for i in range(3):
        deps = [{"id": d, "relation": rng.choice(relations)}
                for d in rng.sample(middle, rng.randint(1, 3))]
        records.append({"id": f"s-{i}", "kind": "service", "tier": 1, "depends_on": deps})
    adapter = record_adapter()
    return [adapter.validate_python({"owner": "team", **r}) for r in records]


@pytest.mark.parametrize("seed", range(40))
def test_sweep_matches_the_blast_radius_at_every_instant(seed: int) -> None:
    rng = random.Random(seed)
    assets = _random_inventory(rng)
    graph = DependencyGraph.build(assets)
    by_id = {asset.id: asset for asset in assets}
    own: dict[str, list[Segment]] = {}
    for n in range(rng.randint(1, 6)):
        start = rng.randrange(0, 20)
        own.setdefault(f"l-{rng.randrange(6)}", []).append(Segment(
            start, start + rng.randint(1, 10), rng.choice(["outage", "degraded"]),
            frozenset({f"INC-{n}"})))
    timelines = effect_timelines(graph, own)
    for instant in range(32):
        targets: dict[str, str] = {}
        for asset, segments in own.items():
            effects = {s.effect for s in segments if s.start <= instant < s.end}
            if effects:
                targets[asset] = "outage" if "outage" in effects else "degraded"
        expected = {i.id: i.effect for i in blast_radius(graph, by_id, targets).impacted}
        actual = {node: s.effect for node, timeline in timelines.items()
                  for s in timeline if s.start <= instant < s.end}
        assert actual == expected, f"at {instant}"
