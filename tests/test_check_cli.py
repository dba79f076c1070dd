"""`opsascode check` end to end: real git repositories, approvals given with
`opsascode approve` (git-native) or a file, and every scenario in text, json and
github formats."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opsascode.commands.approve import approve
from opsascode.workspace import Options
from testing import estate
from testing.repos import commit_as, git, identity, init_git, run_cli, write

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
LOW = estate.change("CHG-1", targets="[svc-report]", effect="none", action="config",
                    title="Tune the report")
HIGH = estate.change("CHG-1")
CRITICAL = estate.change(
    "CHG-1", targets="[db-1, db-2]",
    window="{start: 2026-12-07T10:00:00+01:00, end: 2026-12-07T11:00:00+01:00}")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPSASCODE_CACHE", "0")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    root = init_git(write(tmp_path / "ops", estate.gated_files()))
    commit_as(root, "olga", "the operations repository")
    git(root, "checkout", "-q", "-b", "work")
    return root


def propose(root: Path, files: dict[str, str], author: str = "dora") -> None:
    write(root, files)
    commit_as(root, author, "propose a change")


def approve_as(root: Path, monkeypatch: pytest.MonkeyPatch, handle: str,
               change: str = "CHG-1") -> None:
    for key, value in identity(handle).items():
        monkeypatch.setenv(key, value)
    assert approve(Options(root), change, False, handle, None, io.StringIO(), now=NOW) == 0


def check(capsys: Any, root: Path, fmt: str = "json", approvals: str = "git") -> Any:
    return run_cli(capsys, "-C", str(root), "check", "--base", "main",
                   "--approvals", approvals, "--format", fmt)


def status(capsys: Any, root: Path, approvals: str = "git") -> tuple[int, str]:
    result = check(capsys, root, approvals=approvals)
    return result.code, result.json()["status"]


def every_format(capsys: Any, root: Path, code: int, word: str,
                 approvals: str = "git") -> dict[str, Any]:
    """The same decision in text, json and github formats; returns the JSON."""
    text = check(capsys, root, "text", approvals)
    assert (text.code, text.out.splitlines()[0].split(":")[1].split()[0]) == (code, word.upper())
    github = check(capsys, root, "github", approvals)
    assert github.code == code
    assert f"title=opsascode gate::{word}" in github.out
    result = check(capsys, root, "json", approvals)
    assert (result.code, result.json()["status"]) == (code, word)
    document: dict[str, Any] = result.json()
    return document


def not_counted(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(a["by"], a["reason"]) for a in document["approvals"] if not a["counted"]}


def test_low_risk_change_approved_by_its_owner(repo: Path, capsys: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    propose(repo, {"changes/CHG-1.yaml": LOW})
    every_format(capsys, repo, 1, "pending")
    approve_as(repo, monkeypatch, "olga")
    document = every_format(capsys, repo, 0, "approved")
    assert {(a["by"], a["counted"]) for a in document["approvals"]} >= {("olga", True)}


def test_high_risk_change_pending_until_the_cab_approves(repo: Path, capsys: Any,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    propose(repo, {"changes/CHG-1.yaml": HIGH})
    approve_as(repo, monkeypatch, "carl")
    document = every_format(capsys, repo, 1, "pending")
    assert document["required"] == ["CHG-1: 1 more from role cab (carl, chris, cora)"]
    approve_as(repo, monkeypatch, "cora")
    every_format(capsys, repo, 0, "approved")


def test_critical_change_needs_operations_management(repo: Path, capsys: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    propose(repo, {"changes/CHG-1.yaml": CRITICAL})
    approve_as(repo, monkeypatch, "carl")
    approve_as(repo, monkeypatch, "cora")
    document = every_format(capsys, repo, 1, "pending")
    assert document["required"] == ["CHG-1: 1 more from role management (olga, oscar)"]
    approve_as(repo, monkeypatch, "oscar")
    every_format(capsys, repo, 0, "approved")


def test_the_author_approving_their_own_change(repo: Path, capsys: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    propose(repo, {"changes/CHG-1.yaml": LOW}, author="olga")
    approve_as(repo, monkeypatch, "olga")
    document = every_format(capsys, repo, 1, "pending")
    assert ("olga", "the author cannot approve their own change") in not_counted(document)


def test_an_approval_followed_by_a_new_push(repo: Path, capsys: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    propose(repo, {"changes/CHG-1.yaml": LOW})
    approve_as(repo, monkeypatch, "olga")
    edited = (repo / "changes" / "CHG-1.yaml").read_text().replace("Tune the report",
                                                                    "Tune it again")
    propose(repo, {"changes/CHG-1.yaml": edited})
    document = every_format(capsys, repo, 1, "pending")
    assert ("olga", "given before the last push") in not_counted(document)


def test_an_approval_forged_in_someone_elses_name(repo: Path, capsys: Any) -> None:
    propose(repo, {"changes/CHG-1.yaml": LOW})
    forged = LOW + "approvals:\n  - {by: olga, at: 2026-11-27T12:00:00+00:00}\n"
    write(repo, {"changes/CHG-1.yaml": forged})
    commit_as(repo, "dora", "approve on olga's behalf")
    document = every_format(capsys, repo, 1, "pending")
    assert any(by == "olga" and "forged" in reason for by, reason in not_counted(document))


def test_an_unsigned_approval_where_signing_is_required(tmp_path: Path, capsys: Any,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setenv("OPSASCODE_CACHE", "0")
    signed = estate.APPROVAL_POLICY.replace(
        "    requires: {count: 1, owners_of: [targets]}",
        "    requires: {count: 1, owners_of: [targets]}\n    options: {require_signed: true}")
    root = init_git(write(tmp_path / "ops", {**estate.gated_files(),
                                             "policies/approvals.yaml": signed}))
    commit_as(root, "olga", "base")
    git(root, "checkout", "-q", "-b", "work")
    propose(root, {"changes/CHG-1.yaml": LOW})
    approve_as(root, monkeypatch, "olga")
    document = every_format(capsys, root, 1, "pending")
    assert any(by == "olga" and "sign" in reason for by, reason in not_counted(document))


def test_a_branch_that_weakens_the_policy(repo: Path, capsys: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    weak = estate.APPROVAL_POLICY.replace("{count: 2, roles: [cab]}", "{count: 0, roles: [cab]}")
    weak = weak.replace("{count: 2, teams: [team-ops]}", "{count: 0, teams: [team-ops]}")
    propose(repo, {"changes/CHG-1.yaml": HIGH, "policies/approvals.yaml": weak})
    document = every_format(capsys, repo, 1, "pending")
    assert "CHG-1: 2 more from role cab (carl, chris, cora)" in document["required"]
    assert "protected paths: 2 more from team-ops (olga, oscar)" in document["required"]


def test_an_inventory_edit_without_a_change_request(repo: Path, capsys: Any) -> None:
    assets = (repo / "inventory" / "assets.yaml").read_text()
    propose(repo, {"inventory/assets.yaml": assets.replace('"12"', '"13"', 1)})
    document = every_format(capsys, repo, 1, "disapproved")
    assert [p["code"] for p in document["problems"]] == ["undeclared-modification"]
    github = check(capsys, repo, "github")
    assert "::error file=inventory/assets.yaml,line=43,col=12,title=undeclared-modification" in (
        github.out)


def test_a_change_inside_a_freeze(repo: Path, capsys: Any,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    propose(repo, {"changes/CHG-1.yaml": LOW.replace(
        "2026-12-06T02:30:00+01:00, end: 2026-12-06T04:00:00+01:00",
        "2026-12-22T02:30:00+01:00, end: 2026-12-22T04:00:00+01:00")})
    approve_as(repo, monkeypatch, "olga")
    document = every_format(capsys, repo, 1, "disapproved")
    assert document["decisions"][0]["reason"] == (
        "denied: no normal changes during the year-end freeze")


def test_an_emergency_change(repo: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    propose(repo, {"changes/CHG-9.yaml": estate.change(
        "CHG-9", type="emergency", targets="[srv-1]", action="restart")})
    every_format(capsys, repo, 1, "pending")
    approve_as(repo, monkeypatch, "oscar", "CHG-9")
    document = every_format(capsys, repo, 0, "approved")
    (owed,) = document["required"]
    assert owed.startswith("CHG-9: retro-approval under 'emergency retro' by 2026-12-08T")
    assert "emergency change: passes under the reduced rule" in check(capsys, repo, "text").out


def test_changes_requested_blocks(repo: Path, capsys: Any, tmp_path: Path) -> None:
    propose(repo, {"changes/CHG-1.yaml": LOW})
    reviews = tmp_path / "reviews.json"
    reviews.write_text(json.dumps({"author": "dora", "approvals": [
        {"by": "olga"}, {"by": "carl", "state": "changes_requested"}]}))
    document = every_format(capsys, repo, 1, "disapproved", approvals=str(reviews))
    assert document["decisions"][0]["reason"] == "changes requested by carl"
    reviews.write_text(json.dumps({"author": "dora", "approvals": [{"by": "olga"}]}))
    every_format(capsys, repo, 0, "approved", approvals=str(reviews))


def test_github_format_writes_the_step_summary(repo: Path, capsys: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    propose(repo, {"changes/CHG-1.yaml": LOW.replace("Tune the report",
                                                     "Tune <b>it</b> for @everyone")})
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert check(capsys, repo, "github").code == 1
    text = summary.read_text()
    assert text.startswith("## opsascode gate: pending")
    assert "CHG-1" in text and "<b>" not in text and "@everyone" not in text
