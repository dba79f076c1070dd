from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from opsascode.commands.plan import make_plan
from opsascode.plan import ChangePlan, Plan
from opsascode.report import plan as report
from opsascode.workspace import Options
from testing import estate
from testing.repos import commit_all, git, init_git, write

TODAY = date(2026, 11, 27)
GOLDEN = Path(__file__).parent / "golden_outputs"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_git(write(tmp_path, estate.files()))
    commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "work")
    return root


def plan_of(root: Path, **kwargs: Any) -> Plan:
    return make_plan(Options(root, use_cache=False), kwargs.pop("base", "main"),
                     kwargs.pop("head", None), kwargs.pop("also", None), today=TODAY)


def only(plan: Plan) -> ChangePlan:
    (item,) = plan.changes
    return item


def factor(item: ChangePlan, name: str) -> tuple[int, str]:
    (found,) = [(f.points, f.reason) for f in item.risk.factors if f.name == name]
    return found


def test_cluster_member_upgrade_keeps_services_up_but_loses_redundancy(repo: Path) -> None:
    write(repo, {"changes/CHG-1.yaml": estate.change("CHG-1")})
    commit_all(repo, "upgrade db-2")
    item = only(plan_of(repo))
    effects = {i.id: i.effect for i in item.radius.impacted}
    assert effects == {"db-2": "outage", "cl-db": "degraded", "app-pay": "degraded",
                       "app-report": "degraded", "svc-pay": "degraded",
                       "svc-report": "degraded"}
    points, reason = factor(item, "redundancy")
    assert points == 15 and "cl-db has no spare member left: 1 of 2" in reason
    assert item.conflicts == []  # inside the Sunday maintenance window, outside the freeze


def test_undeclared_modification_names_asset_file_and_fields(repo: Path) -> None:
    assets = (repo / "inventory" / "assets.yaml").read_text()
    (repo / "inventory" / "assets.yaml").write_text(
        assets.replace('  version: "12"\n', '  version: "13"\n', 1))
    commit_all(repo, "silent upgrade")
    plan = plan_of(repo)
    (problem,) = plan.undeclared
    assert (problem.code, problem.file, problem.line) == (
        "undeclared-modification", "inventory/assets.yaml", 43)
    assert "server 'srv-1'" in problem.message and "(fields: version)" in problem.message
    assert plan.has_findings


def test_declared_modification_is_not_reported(repo: Path) -> None:
    assets = (repo / "inventory" / "assets.yaml").read_text()
    (repo / "inventory" / "assets.yaml").write_text(assets.replace('"15.4"', '"15.6"', 1))
    write(repo, {"changes/CHG-1.yaml": estate.change("CHG-1", targets="[db-1]")})
    commit_all(repo, "declared")
    plan = plan_of(repo)
    assert plan.undeclared == []
    assert [(d.id, d.status, d.field_names()) for d in plan.diff] == [
        ("CHG-1", "added", []), ("db-1", "modified", ["version"])]


def test_change_in_the_freeze_and_outside_maintenance(repo: Path) -> None:
    write(repo, {"changes/CHG-2.yaml": estate.change(
        "CHG-2", window="{start: 2026-12-22T10:00:00+01:00, end: 2026-12-22T11:00:00+01:00}")})
    commit_all(repo, "in freeze")
    item = only(plan_of(repo))
    kinds = sorted((c.kind, c.subject) for c in item.conflicts)
    assert kinds == [("freeze", "year-end"), ("maintenance", "db-2")]
    assert factor(item, "freeze")[0] == 25
    assert factor(item, "business_hours")[0] == 10
    assert factor(item, "conflicts") == (10, "1 conflicts x 10: the window is outside db-2's "
                                         "maintenance windows (db-sunday)")


def test_overlapping_changes_with_shared_blast_radius_conflict(repo: Path) -> None:
    write(repo, {"changes/CHG-1.yaml": estate.change("CHG-1"),
                 "changes/CHG-3.yaml": estate.change("CHG-3", targets="[srv-1]",
                                                     title="Reboot srv-1", action="restart")})
    commit_all(repo, "two at once")
    plan = plan_of(repo)
    first, second = plan.changes
    assert [c.subject for c in first.conflicts] == ["CHG-3"]
    assert "shares the blast radius: app-pay, app-report, cl-db" in first.conflicts[0].message
    # together the two changes would take both members down; each alone only degrades
    assert {i.id: i.effect for i in second.radius.impacted}["cl-db"] == "degraded"


def test_changes_on_other_branches_are_checked_with_also(repo: Path) -> None:
    write(repo, {"changes/CHG-1.yaml": estate.change("CHG-1")})
    commit_all(repo, "mine")
    git(repo, "checkout", "-q", "-b", "other", "main")
    write(repo, {"changes/CHG-9.yaml": estate.change("CHG-9", targets="[db-1]")})
    commit_all(repo, "theirs")
    git(repo, "checkout", "-q", "work")
    item = only(plan_of(repo, also=["other"]))
    assert [c.subject for c in item.conflicts] == ["CHG-9"]


def test_matching_standard_change_scores_from_its_template(repo: Path) -> None:
    write(repo, {"changes/CHG-4.yaml": estate.change(
        "CHG-4", type="standard", template="restart-db", action="restart")})
    commit_all(repo, "standard")
    item = only(plan_of(repo))
    assert [f.name for f in item.risk.factors] == ["template", "conflicts", "freeze"]
    assert (item.risk.score, item.risk.level) == (10, "low")


def test_standard_change_outside_its_template_is_scored_as_normal(repo: Path) -> None:
    write(repo, {"changes/CHG-4.yaml": estate.change(
        "CHG-4", type="standard", template="restart-db", action="upgrade")})
    commit_all(repo, "not standard")
    item = only(plan_of(repo))
    assert [p.code for p in item.problems] == ["template-mismatch"]
    assert "action upgrade is not one of restart" in item.problems[0].message
    assert len(item.risk.factors) == 15


def test_new_single_point_of_failure_is_flagged(repo: Path) -> None:
    assets = (repo / "inventory" / "assets.yaml").read_text()
    assets = assets.replace("members: [db-1, db-2]", "members: [db-1]")
    (repo / "inventory" / "assets.yaml").write_text(assets.replace(
        "- id: db-2\n  kind: database", "- id: db-2\n  kind: database\n  lifecycle: retired"))
    write(repo, {"changes/CHG-5.yaml": estate.change(
        "CHG-5", targets="[db-2, cl-db]", action="decommission", title="Retire db-2")})
    commit_all(repo, "retire")
    plan = plan_of(repo)
    assert [(p.service, p.asset) for p in plan.new_single_points] == [
        ("svc-pay", "db-1"), ("svc-pay", "srv-1")]
    assert "creates single point of failure db-1 for svc-pay" in factor(
        only(plan), "redundancy")[1]


def test_policies_come_from_the_base_revision(repo: Path) -> None:
    write(repo, {"changes/CHG-2.yaml": estate.change(
        "CHG-2", window="{start: 2026-12-22T10:00:00+01:00, end: 2026-12-22T11:00:00+01:00}")})
    calendar = (repo / "policies" / "calendar.yaml").read_text()
    (repo / "policies" / "calendar.yaml").write_text(calendar.replace("2026-12-18", "2026-12-28"))
    commit_all(repo, "move the freeze out of my way")
    item = only(plan_of(repo))
    assert factor(item, "freeze")[0] == 25  # judged by the base calendar


def test_missing_default_branch_says_how_to_fix(repo: Path) -> None:
    from opsascode.errors import FatalError

    git(repo, "branch", "-q", "-m", "main", "trunk")
    with pytest.raises(FatalError, match="pass --base REV"):
        make_plan(Options(repo, use_cache=False), None, None, today=TODAY)


def _scenario(repo: Path) -> Plan:
    assets = (repo / "inventory" / "assets.yaml").read_text()
    (repo / "inventory" / "assets.yaml").write_text(
        assets.replace('  version: "12"\n', '  version: "13"\n', 1))
    write(repo, {
        "changes/CHG-1.yaml": estate.change("CHG-1"),
        "changes/CHG-2.yaml": estate.change(
            "CHG-2", title="Patch <script>alert(1)</script> for @everyone | x",
            targets="[srv-2]", action="patch",
            window="{start: 2026-12-22T10:00:00+01:00, end: 2026-12-22T11:00:00+01:00}"),
    })
    commit_all(repo, "scenario")
    return plan_of(repo)


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("json", "json"),
                                             ("markdown", "md")])
def test_golden_outputs(repo: Path, fmt: str, suffix: str) -> None:
    plan = _scenario(repo)
    render = {"text": report.as_text, "json": report.as_json, "markdown": report.as_markdown}
    output = render[fmt](plan) + "\n"
    golden = GOLDEN / f"plan.{suffix}"
    if os.environ.get("OPSASCODE_UPDATE_GOLDEN"):
        golden.write_text(output)
    assert output == golden.read_text()


def test_markdown_escapes_untrusted_text(repo: Path) -> None:
    markdown = report.as_markdown(_scenario(repo))
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "@everyone" not in markdown and "@\u200beveryone" in markdown
    assert "\\| x" in markdown


def test_json_has_the_contract_keys(repo: Path) -> None:
    document = json.loads(report.as_json(_scenario(repo)))
    assert {"changes", "undeclared", "problems"} <= set(document)
    change = document["changes"][0]
    assert {"id", "risk", "impacted", "conflicts"} <= set(change)
    assert {"score", "level", "factors"} <= set(change["risk"])


def test_cached_check_results_follow_the_content(repo: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from opsascode.commands import plan as plan_command

    write(repo, {"changes/CHG-1.yaml": estate.change("CHG-1")})
    commit_all(repo, "a change")
    cached = Options(repo, use_cache=True)
    first = make_plan(cached, "main", None, today=TODAY)
    real_checks = plan_command.run_checks

    def not_again(*args: Any) -> Any:
        raise AssertionError("the same content was checked twice")

    monkeypatch.setattr(plan_command, "run_checks", not_again)
    assert make_plan(cached, "main", None, today=TODAY).problems == first.problems == []
    monkeypatch.setattr(plan_command, "run_checks", real_checks)
    write(repo, {"changes/CHG-1.yaml": estate.change("CHG-1", team="team-nope")})
    commit_all(repo, "a broken reference")
    later = make_plan(cached, "main", None, today=TODAY)
    assert [p.code for p in later.problems] == ["unknown-reference"]
