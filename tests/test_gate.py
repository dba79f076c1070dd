"""The gate's decisions on real git repositories, with approvals given as values
(the approval sources have their own tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from opsascode.approvals import Approval, ApprovalSet, PullRequestFacts
from opsascode.commands.plan import load_branch
from opsascode.gate import GateResult, decide
from opsascode.report import check as report
from opsascode.workspace import Options
from testing import estate
from testing.repos import commit_all, git, init_git, write

TODAY = date(2026, 11, 27)
AT = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_git(write(tmp_path, estate.gated_files()))
    commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "work")
    return root


def branch_with(root: Path, files: dict[str, str]) -> None:
    write(root, files)
    commit_all(root, "branch")


def gate(root: Path, *approvals: Approval, author: str = "dora") -> GateResult:
    branch = load_branch(Options(root, use_cache=False), "main", None, today=TODAY)
    facts = PullRequestFacts(author=author, contributors={author})
    return decide(branch.plan, branch.base, branch.head, ApprovalSet(facts, list(approvals)))


def ok(by: str, **fields: Any) -> Approval:
    return Approval(**{"by": by, "at": AT, "state": "approved", "source": "file", **fields})


LOW = {"changes/CHG-1.yaml": estate.change("CHG-1", targets="[svc-report]", effect="none",
                                           action="config", title="Tune the report")}
HIGH = {"changes/CHG-1.yaml": estate.change("CHG-1")}
CRITICAL = {"changes/CHG-1.yaml": estate.change(
    "CHG-1", targets="[db-1, db-2]",
    window="{start: 2026-12-07T10:00:00+01:00, end: 2026-12-07T11:00:00+01:00}")}


def test_low_risk_change_approved_by_its_owner(repo: Path) -> None:
    branch_with(repo, LOW)
    assert gate(repo).status == "pending"
    result = gate(repo, ok("olga"))
    assert result.status == "approved"
    assert report.as_dict(result)["required"] == []


def test_high_risk_change_pending_until_the_cab_approves(repo: Path) -> None:
    branch_with(repo, HIGH)
    pending = gate(repo, ok("carl"))
    assert pending.status == "pending"
    assert report.required(pending) == ["CHG-1: 1 more from role cab (carl, chris, cora)"]
    assert gate(repo, ok("carl"), ok("cora")).status == "approved"


def test_critical_change_needs_operations_management(repo: Path) -> None:
    branch_with(repo, CRITICAL)
    assert gate(repo, ok("carl"), ok("cora")).status == "pending"
    assert gate(repo, ok("carl"), ok("cora"), ok("oscar")).status == "approved"


def test_the_author_cannot_approve_their_own_change(repo: Path) -> None:
    branch_with(repo, LOW)
    result = gate(repo, ok("olga"), author="olga")
    assert result.status == "pending"
    reasons = {(a["by"], a["reason"]) for a in report.as_dict(result)["approvals"]}
    assert ("olga", "the author cannot approve their own change") in reasons


def test_an_approval_before_the_last_push_is_stale(repo: Path) -> None:
    branch_with(repo, LOW)
    result = gate(repo, ok("olga", fresh=False))
    assert result.status == "pending"
    assert "given before the last push" in report.as_text(result)


def test_changes_requested_blocks(repo: Path) -> None:
    branch_with(repo, LOW)
    result = gate(repo, ok("olga"), ok("carl", state="changes_requested"))
    assert result.status == "disapproved"


def test_inventory_edit_without_a_change_request_is_refused(repo: Path) -> None:
    assets = (repo / "inventory" / "assets.yaml").read_text()
    branch_with(repo, {"inventory/assets.yaml": assets.replace('"12"', '"13"', 1)})
    result = gate(repo, ok("olga"), ok("carl"), ok("cora"))
    assert result.status == "disapproved"
    assert result.decisions[-1].subject == "undeclared modifications"


def test_change_inside_the_freeze_is_denied(repo: Path) -> None:
    branch_with(repo, {"changes/CHG-1.yaml": estate.change(
        "CHG-1", targets="[svc-report]", effect="none", action="config",
        window="{start: 2026-12-22T02:00:00+01:00, end: 2026-12-22T03:00:00+01:00}")})
    result = gate(repo, ok("olga"), ok("carl"), ok("cora"))
    assert result.status == "disapproved"
    assert "denied: no normal changes during the year-end freeze" in report.as_text(result)


def test_emergency_change_passes_with_the_duty_manager_and_owes_retro_approval(
        repo: Path) -> None:
    branch_with(repo, {"changes/CHG-9.yaml": estate.change(
        "CHG-9", type="emergency", targets="[srv-1]", action="restart")})
    assert gate(repo).status == "pending"
    result = gate(repo, ok("olga"))
    assert result.status == "approved"
    (need,) = report.required(result)
    assert need.startswith("CHG-9: retro-approval under 'emergency retro' by 2026-12-08T")


def test_a_branch_cannot_weaken_the_policy_that_judges_it(repo: Path) -> None:
    weak = estate.APPROVAL_POLICY.replace("{count: 2, roles: [cab]}", "{count: 0, roles: [cab]}")
    weak = weak.replace("{count: 2, teams: [team-ops]}", "{count: 0, teams: [team-ops]}")
    branch_with(repo, {**HIGH, "policies/approvals.yaml": weak})
    result = gate(repo, ok("carl"), ok("cora"))
    assert result.status == "pending"  # base policy: protected rule needs two of team-ops
    protected = next(d for d in result.decisions if d.subject == "protected paths")
    assert protected.result.missing == ["2 more from team-ops (olga, oscar)"]
    assert gate(repo, ok("carl"), ok("cora"), ok("olga"), ok("oscar")).status == "approved"


def test_no_policy_in_the_base_fails_closed(tmp_path: Path) -> None:
    root = init_git(write(tmp_path, estate.files()))
    commit_all(root, "base without a policy")
    git(root, "checkout", "-q", "-b", "work")
    branch_with(root, LOW)
    result = gate(root, ok("olga"))
    assert result.status == "error"
    assert "fails closed" in result.errors[0]


def test_a_branch_with_nothing_to_approve_passes(repo: Path) -> None:
    branch_with(repo, {"incidents/INC-1.yaml": """
        id: INC-1
        kind: incident
        title: Slow reports
        reported_at: 2026-11-26T10:00:00+01:00
        impact: low
        urgency: low
        affected: [svc-report]
        """})
    assert gate(repo).status == "approved"


def test_invalid_records_in_the_head_are_an_error(repo: Path) -> None:
    branch_with(repo, {"changes/CHG-1.yaml": "id: CHG-1\nkind: change\n"})
    result = gate(repo)
    assert result.status == "error"
    assert any("validation errors" in e for e in result.errors)


def test_handles_compare_without_case(repo: Path) -> None:
    branch_with(repo, LOW)
    assert gate(repo, ok("Olga")).status == "approved"
    assert gate(repo, ok("OLGA"), author="olga").status == "pending"
