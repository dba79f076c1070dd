from __future__ import annotations

from datetime import date
from pathlib import Path

from opsascode.checks import run_checks
from opsascode.loader import load, locate
from opsascode.problems import Problem
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
