"""The bundled example repository validates clean and stays realistic."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from opsascode.checks import run_checks
from opsascode.loader import load, locate
from opsascode.records.assets import AssetBase
from opsascode.tree import WorkingTree

EXAMPLE = Path(__file__).parent.parent
TODAY = date(2026, 11, 27)


def test_example_validates_clean() -> None:
    repo = load(WorkingTree(EXAMPLE))
    problems = repo.problems + locate(repo, run_checks(repo, TODAY))
    assert [str(p) for p in problems] == []


def test_example_covers_the_service_plan() -> None:
    repo = load(WorkingTree(EXAMPLE))
    assets = [r for r in repo.records.values() if isinstance(r, AssetBase)]
    kinds = Counter(a.kind for a in assets)
    assert len(assets) >= 80 and len(kinds) >= 10
    assert kinds["cluster"] >= 2
    roles = {role for team in repo.teams() for role in team.roles}
    assert {"management", "tech-support", "service-desk", "qa", "cab"} <= roles
    changes = list(repo.changes())
    assert {c.type for c in changes} == {"standard", "normal", "emergency"}
    assert {c.status for c in changes} == {"requested", "approved", "scheduled", "implementing",
                                           "completed", "failed", "rolled_back", "cancelled"}
    assert {c.review.result for c in changes if c.review} == {
        "success", "success_with_issues", "failed", "rolled_back"}
    incidents = list(repo.incidents())
    assert len(incidents) >= 8 and any(i.caused_by for i in incidents)
    assert len(list(repo.problem_records())) >= 2
    assert all(s.sla for s in repo.services() if s.tier <= 1)
    assert any(c.freeze for c in repo.calendars())
    assert any(c.holidays.country for c in repo.calendars())


def test_example_files_carry_the_schema_comment() -> None:
    for path in sorted(EXAMPLE.glob("*/*.yaml")):
        if path.parts[-2] in ("inventory", "policies", "changes", "incidents", "problems"):
            first = path.read_text().splitlines()[0]
            assert first.startswith("# yaml-language-server: $schema=../schemas/"), path
            assert (path.parent / first.split("=", 1)[1]).is_file(), path
