from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from opsascode.checks import incidents as incident_checks
from opsascode.checks import references, run_checks
from opsascode.loader import load, locate
from opsascode.problems import Problem
from opsascode.records import Asset, Change, Incident, Record, Team
from opsascode.records import Problem as ProblemRecord
from opsascode.records.incidents import INCIDENT_CLOCK
from opsascode.records.policies import DEFAULT_PRIORITY_MATRIX
from opsascode.repository import Origin
from opsascode.tree import WorkingTree
from testing.repos import MINIMAL, write

TODAY = date(2026, 11, 27)


def check(tmp_path: Path, files: dict[str, str]) -> list[Problem]:
    repo = load(WorkingTree(write(tmp_path, {**MINIMAL, **files})))
    assert repo.problems == [], repo.problems
    return locate(repo, run_checks(repo, TODAY))


def codes(problems: list[Problem]) -> list[tuple[str, str, int]]:
    return [(p.code, p.file, p.line) for p in problems]


def test_minimal_repository_has_no_problems(tmp_path: Path) -> None:
    assert check(tmp_path, {}) == []


def test_cycle_is_printed_in_full(tmp_path: Path) -> None:
    found = check(tmp_path, {"inventory/loop.yaml": """
        - id: vm-a
          kind: vm
          owner: team-ops
          depends_on: [vm-b]
        - id: vm-b
          kind: vm
          owner: team-ops
          depends_on: [vm-c]
        - id: vm-c
          kind: vm
          owner: team-ops
          depends_on: [vm-a]
        """, "inventory/top.yaml": """
        - id: svc-x
          kind: service
          owner: team-ops
          tier: 3
          depends_on: [vm-a]
        """})
    (cycle,) = [p for p in found if p.code == "dependency-cycle"]
    assert "vm-a -> vm-b -> vm-c -> vm-a" in cycle.message
    assert (cycle.file, cycle.line) == ("inventory/loop.yaml", 4)


def test_acyclic_graph_with_shared_dependencies_is_not_a_cycle(tmp_path: Path) -> None:
    found = check(tmp_path, {"inventory/diamond.yaml": """
        - id: svc-x
          kind: service
          owner: team-ops
          tier: 3
          depends_on: [app-a, app-b]
        - id: app-a
          kind: application
          owner: team-ops
          depends_on: [db-shop]
        - id: app-b
          kind: application
          owner: team-ops
          depends_on: [db-shop]
        """})
    assert found == []


def test_stale_and_orphan_are_warnings(tmp_path: Path) -> None:
    found = check(tmp_path, {"inventory/old.yaml": """
        - id: srv-old
          kind: server
          owner: team-ops
          last_verified: 2025-01-01
        """})
    assert sorted((p.code, p.level.value) for p in found) == [
        ("orphan-asset", "warning"), ("stale-record", "warning")]


def test_stale_age_is_configurable(tmp_path: Path) -> None:
    found = check(tmp_path, {
        "opsascode.yaml": "stale_after_days: 1000\n",
        "inventory/old.yaml": """
        - id: srv-old
          kind: server
          owner: team-ops
          last_verified: 2025-01-01
        """})
    assert [p.code for p in found] == ["orphan-asset"]


def test_cluster_members_are_not_orphans_and_min_available_is_checked(tmp_path: Path) -> None:
    found = check(tmp_path, {"inventory/cluster.yaml": """
        - id: db-1
          kind: database
          owner: team-ops
        - id: db-2
          kind: database
          owner: team-ops
        - id: cl-db
          kind: cluster
          owner: team-ops
          members: [db-1, db-2]
          min_available: 3
        - id: svc-y
          kind: service
          owner: team-ops
          tier: 2
          depends_on: [cl-db]
        """})
    assert codes(found) == [("min-available-too-large", "inventory/cluster.yaml", 11)]


def test_incident_priority_must_agree_with_the_default_matrix(tmp_path: Path) -> None:
    found = check(tmp_path, {"incidents/INC-1.yaml": """
        id: INC-1
        kind: incident
        title: Shop down
        reported_at: 2026-11-01T10:00:00+01:00
        acknowledged_at: 2026-11-01T09:00:00+01:00
        impact: high
        urgency: high
        priority: P3
        affected: [svc-shop]
        """})
    assert codes(found) == [
        ("timestamps-out-of-order", "incidents/INC-1.yaml", 5),
        ("priority-mismatch", "incidents/INC-1.yaml", 8),
    ]
    assert "give P1" in found[1].message


# The incident and reference checks skip the common case with a quick test (the audit
# runs them on every merged branch); it must never hide a problem the rules report.
_STAMP = st.one_of(st.none(), st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 2),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))])))
_LEVEL = st.sampled_from(["high", "medium", "low"])
_IDS = st.sampled_from(["vm-a", "team-ops", "inc-1", "chg-1", "prb-1", "missing"])


@st.composite
def _incidents(draw: st.DrawFn) -> Incident:
    start = draw(_STAMP.filter(lambda s: s is not None))
    interval = st.fixed_dictionaries({"start": st.just(start), "end": _STAMP})
    return Incident.model_validate({
        "id": "INC-1", "kind": "incident", "title": "t", "reported_at": start,
        "status": draw(st.sampled_from(["open", "acknowledged", "resolved", "closed"])),
        **{name: draw(_STAMP) for name in INCIDENT_CLOCK if name != "reported_at"},
        "impact": draw(_LEVEL), "urgency": draw(_LEVEL),
        "priority": draw(st.one_of(st.none(), st.sampled_from(["P1", "P2", "P3", "P4"]))),
        "team": draw(st.one_of(st.none(), _IDS)), "affected": draw(st.lists(_IDS, max_size=2)),
        "caused_by": draw(st.one_of(st.none(), _IDS)), "problem": draw(st.one_of(st.none(), _IDS)),
        "outages": [{"asset": draw(_IDS), **o} for o in draw(st.lists(interval, max_size=2))],
        "paused": [{"start": p["start"], "end": p["end"] or start}
                   for p in draw(st.lists(interval, max_size=2))],
    })


def _records() -> dict[str, Record]:
    """One record of each kind an incident refers to (only their types matter here)."""
    kinds: list[tuple[type[Record], str]] = [
        (Asset, "vm-a"), (Team, "team-ops"), (Change, "chg-1"), (ProblemRecord, "prb-1")]
    return {record_id: cls.model_construct(id=record_id) for cls, record_id in kinds}


@settings(max_examples=300, deadline=None)
@given(incident=_incidents())
def test_quick_incident_test_never_hides_a_problem(incident: Incident) -> None:
    origin = Origin("incidents/i.yaml", (0,))
    levels = ["high", "medium", "low"]
    all_p4 = {impact: dict.fromkeys(levels, "P4") for impact in levels}
    for matrix in (DEFAULT_PRIORITY_MATRIX, all_p4):
        if incident_checks._looks_fine(incident, matrix):
            expected = matrix[incident.impact][incident.urgency]
            assert list(incident_checks._incident(origin, incident, expected)) == []


@settings(max_examples=300, deadline=None)
@given(incident=_incidents())
def test_quick_reference_test_never_hides_a_problem(incident: Incident) -> None:
    records = _records()
    if references._incident_refs_fine(incident, records):
        assert all(isinstance(records.get(target), types)
                   for _, target, types, _ in references._refs(incident))


@st.composite
def _changes(draw: st.DrawFn) -> Change:
    review = draw(st.one_of(st.none(), st.fixed_dictionaries({
        "result": st.just("success"), "incidents": st.lists(_IDS, max_size=2)})))
    return Change.model_validate({
        "id": "CHG-1", "kind": "change", "title": "t", "requester": "alice",
        "type": draw(st.sampled_from(["normal", "standard"])), "team": draw(_IDS),
        "targets": draw(st.lists(_IDS, min_size=1, max_size=3)),
        "template": draw(st.one_of(st.none(), st.sampled_from(["tpl-1", "vm-a", "missing"]))),
        "action": "restart", "effect": "none", "rollback_plan": "undo",
        "window": {"start": "2026-12-01T22:00:00+01:00", "end": "2026-12-01T23:00:00+01:00"},
        **({"review": {**review, "reviewed_by": "bob",
                       "reviewed_at": "2026-12-02T09:00:00+01:00"}} if review else {}),
    })


@settings(max_examples=300, deadline=None)
@given(change=_changes())
def test_quick_change_reference_test_never_hides_a_problem(change: Change) -> None:
    from opsascode.records.policies import ChangeTemplate

    records = {**_records(), "tpl-1": ChangeTemplate.model_construct(id="tpl-1"),
               "inc-1": Incident.model_construct(id="inc-1")}
    fine = references._change_refs_fine(change, records)
    every = all(isinstance(records.get(target), types)
                for _, target, types, _ in references._refs(change))
    assert fine == every


def test_a_change_record_checked_again_elsewhere_is_reported_where_it_is_now() -> None:
    from opsascode.checks.changes import _problems_of

    change = Change.model_validate({
        "id": "CHG-1", "kind": "change", "title": "t", "type": "standard",
        "requester": "alice", "team": "team-ops", "targets": ["a", "a"], "action": "restart",
        "effect": "none", "window": {"start": "2026-12-01T22:00:00+01:00",
                                     "end": "2026-12-01T23:00:00+01:00"}})
    here = _problems_of(change, Origin("changes/a.yaml", ()))
    assert sorted(p.code for p in here) == ["duplicate-target", "missing-template"]
    assert _problems_of(change, Origin("changes/a.yaml", ())) is here  # remembered
    there = _problems_of(change, Origin("changes/b.yaml", (3,)))
    assert {(p.file, p.loc[:1]) for p in there} == {("changes/b.yaml", (3,))}
    twin = change.model_copy()  # another record with the same content: checked anew
    assert _problems_of(twin, Origin("changes/a.yaml", ())) == here
