"""``opsascode audit --approvals github``: merges judged by their pull requests' GitHub
reviews, as they stood when each merged; a fake transport, never the network."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opsascode import cli
from opsascode.approvals.github import MergedPulls
from opsascode.approvals.github_api import GitHubClient, HttpResponse
from opsascode.commands.audit import audit
from opsascode.errors import FatalError
from opsascode.workspace import Options
from testing import estate
from testing.repos import git, identity, init_git, write

API = "https://api.github.com"
REPO = "acme/ops"
TOKEN = "ghs_0123456789abcdefABCDEF0123456789abcd"
NOW = datetime(2026, 12, 31, tzinfo=UTC)
LOW = estate.change("CHG-2", targets="[svc-report]", effect="none", action="config",
                    title="Tune the reports")
EMERGENCY = estate.change("CHG-9", type="emergency", targets="[srv-1]", action="restart",
                          title="Restart srv-1")


def commit_on(root: Path, who: str, message: str, when: str) -> str:
    env = {**identity(who), "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    git(root, "add", "-A", env=env)
    git(root, "commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", message, env=env)
    return git(root, "rev-parse", "HEAD").strip()


def merge(root: Path, branch: str, message: str, when: str) -> str:
    env = {**identity("web-flow"), "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    git(root, "checkout", "-q", "main", env=env)
    git(root, "merge", "--no-ff", "-q", "--no-gpg-sign", "-m", message, branch, env=env)
    return git(root, "rev-parse", "HEAD").strip()


def pull_request(root: Path, number: int, change: str, text: str, merged_at: str,
                 subject: str | None = None) -> tuple[str, str]:
    """A branch with one change request by dora, merged as pull request ``number``;
    (head, merge)."""
    git(root, "checkout", "-q", "-b", f"chg-{number}", "main")
    write(root, {f"changes/{change}.yaml": text})
    head = commit_on(root, "dora", change, "2026-12-05T20:00:00+01:00")
    message = subject or f"Merge pull request #{number} from acme/chg-{number}"
    return head, merge(root, f"chg-{number}", message, merged_at)


def review(login: str, state: str, head: str, at: str, number: int = 1) -> dict[str, Any]:
    return {"id": number, "user": {"login": login, "type": "User"}, "state": state,
            "commit_id": head, "submitted_at": at}


def routes(number: int, head: str, reviews: list[dict[str, Any]]
           ) -> dict[str, list[HttpResponse]]:
    pull = f"{API}/repos/{REPO}/pulls/{number}"
    return {
        pull: [ok({"number": number, "title": "a change", "user": {"login": "dora"},
                   "head": {"sha": head}, "commits": 1})],
        f"{pull}/commits?per_page=100": [ok([{"sha": head, "author": {"login": "dora"},
                                              "committer": {"login": "web-flow"}}])],
        f"{pull}/reviews?per_page=100": [ok(reviews)],
    }


def ok(body: Any) -> HttpResponse:
    return HttpResponse(200, {}, json.dumps(body).encode())


class Fake:
    def __init__(self, served: dict[str, list[HttpResponse]]) -> None:
        self.served = served
        self.urls: list[str] = []

    def __call__(self, request: Any) -> HttpResponse:
        self.urls.append(request.full_url)
        assert request.full_url in self.served, f"unexpected request {request.full_url}"
        return self.served[request.full_url][0]


def report(root: Path, served: dict[str, list[HttpResponse]]) -> tuple[dict[str, Any], Fake]:
    fake = Fake(served)
    result: dict[str, Any] = json.loads(audit_text(root, served, "json", fake))
    return result, fake


def audit_text(root: Path, served: dict[str, list[HttpResponse]], fmt: str = "text",
               fake: Fake | None = None) -> str:
    reviews = MergedPulls(GitHubClient(TOKEN, API, fake or Fake(served),
                                       sleep=lambda _: None), REPO)
    out = io.StringIO()
    code = audit(Options(root, use_cache=False), fmt, None, None, None, None, False, out,
                 now=NOW, reviews=reviews)
    assert code == 0
    return out.getvalue()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_git(write(tmp_path / "ops", estate.gated_files()))
    commit_on(root, "maintainer", "the operations repository", "2026-11-01T09:00:00+01:00")
    return root


def violations(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v["code"], v["commit"]) for v in result["violations"]]


def test_a_review_given_before_the_merge_approves_it(repo: Path) -> None:
    head, merged = pull_request(repo, 7, "CHG-2", LOW, "2026-12-06T10:00:00+01:00")
    result, fake = report(repo, routes(7, head, [
        review("olga", "APPROVED", head, "2026-12-06T08:00:00Z")]))
    assert violations(result) == []
    assert [(m["commit"], m["status"]) for m in result["merges"]] == [(merged, "approved")]
    [item] = result["changes"]
    [step] = item["approvals"]
    assert (step["by"], step["source"], step["commit"], step["counted"], step["stage"]) == (
        "olga", "github", head, True, "before merge")
    assert f"{API}/repos/{REPO}/pulls/7" in fake.urls


def test_a_review_given_after_the_merge_does_not_approve_it(repo: Path) -> None:
    head, merged = pull_request(repo, 7, "CHG-2", LOW, "2026-12-06T10:00:00+01:00")
    result, _ = report(repo, routes(7, head, [
        review("olga", "APPROVED", head, "2026-12-06T10:00:01Z")]))  # 09:00 UTC merge
    assert violations(result) == [("unapproved-merge", merged)]
    assert result["changes"][0]["approvals"] == []


def test_the_pull_request_of_a_merge_with_its_own_subject_is_asked_of_github(repo: Path
                                                                              ) -> None:
    head, merged = pull_request(repo, 8, "CHG-2", LOW, "2026-12-06T10:00:00+01:00",
                                subject="Tune the reports")
    served = routes(8, head, [review("olga", "APPROVED", head, "2026-12-06T08:00:00Z")])
    served[f"{API}/repos/{REPO}/commits/{merged}/pulls?per_page=100"] = [ok([
        {"number": 3, "merge_commit_sha": "f" * 40}, {"number": 8, "merge_commit_sha": merged}])]
    result, _ = report(repo, served)
    assert violations(result) == []


def test_a_merge_without_a_pull_request_is_judged_without_reviews(repo: Path) -> None:
    _head, merged = pull_request(repo, 9, "CHG-2", LOW, "2026-12-06T10:00:00+01:00",
                                 subject="merged by hand")
    result, _ = report(repo, {f"{API}/repos/{REPO}/commits/{merged}/pulls?per_page=100":
                              [ok([])]})
    assert violations(result) == [("unapproved-merge", merged)]
    assert any(f"merge {merged[:12]} names no pull request" in n for n in result["notes"])


def test_an_emergency_change_is_retro_approved_by_later_reviews(repo: Path) -> None:
    head, merged = pull_request(repo, 11, "CHG-9", EMERGENCY, "2026-12-05T21:30:00+01:00")
    before = review("olga", "APPROVED", head, "2026-12-05T20:10:00Z", 1)
    late = [review("carl", "APPROVED", head, "2026-12-07T08:00:00Z", 2),
            review("cora", "APPROVED", head, "2026-12-07T09:00:00Z", 3)]
    result, _ = report(repo, routes(11, head, [before]))
    assert violations(result) == [("emergency-overdue", merged)]
    result, _ = report(repo, routes(11, head, [before, *late]))
    assert violations(result) == []
    [item] = result["changes"]
    assert item["retro"]["met"] is True
    assert [(a["by"], a["stage"], a["counted"]) for a in item["approvals"]] == [
        ("olga", "before merge", True), ("carl", "after merge", True),
        ("cora", "after merge", True)]


def squash_merged(root: Path, number: int, change: str, text: str, merged_at: str,
                  subject: str | None = None) -> tuple[str, str]:
    """A branch with one change request by dora, squash-merged by GitHub as pull
    request ``number``: one commit on main with one parent; (head, squash)."""
    git(root, "checkout", "-q", "-b", f"chg-{number}", "main")
    write(root, {f"changes/{change}.yaml": text})
    head = commit_on(root, "dora", change, "2026-12-05T20:00:00+01:00")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "--squash", "-q", f"chg-{number}")
    squash = commit_on(root, "web-flow", subject or f"{change} (#{number})", merged_at)
    return head, squash


def squash_routes(number: int, head: str, squash: str, reviews: list[dict[str, Any]]
                  ) -> dict[str, list[HttpResponse]]:
    served = routes(number, head, reviews)
    served[f"{API}/repos/{REPO}/commits/{squash}/pulls?per_page=100"] = [ok([
        {"number": number, "merge_commit_sha": squash, "merged_at": "2026-12-06T09:00:00Z"}])]
    return served


def test_a_squash_merge_is_judged_as_its_pull_requests_merge(repo: Path) -> None:
    head, squash = squash_merged(repo, 7, "CHG-2", LOW, "2026-12-06T10:00:00+01:00")
    approved = [review("olga", "APPROVED", head, "2026-12-06T08:00:00Z")]
    result, _ = report(repo, squash_routes(7, head, squash, approved))
    assert violations(result) == []
    assert [(m["commit"], m["status"], m["via"]) for m in result["merges"]] == [
        (squash, "approved", "squash merge")]
    [item] = result["changes"]
    assert (item["merged"]["via"], item["merged"]["commit"], item["decision"]) == (
        "squash merge", squash, "approved")
    [step] = item["approvals"]
    assert (step["by"], step["source"], step["commit"], step["counted"]) == (
        "olga", "github", head, True)
    # Not approved by the time it merged: an unapproved merge, not a direct push.
    result, _ = report(repo, squash_routes(7, head, squash, []))
    assert violations(result) == [("unapproved-merge", squash)]
    for fmt in ("text", "markdown", "html"):
        assert "(squash merge)" in audit_text(repo, squash_routes(7, head, squash, approved),
                                              fmt)


def test_only_github_makes_a_commit_a_squash_merge(repo: Path) -> None:
    """A subject is anyone's words: a commit GitHub does not name as a pull request's
    merge commit (or names as a pull request's commit only) is a direct push."""
    head, forged = squash_merged(repo, 7, "CHG-2", LOW, "2026-12-06T10:00:00+01:00",
                                 subject="Merge pull request #7 from acme/chg-7")
    edit = repo / "inventory/assets.yaml"
    edit.write_text(edit.read_text().replace('version: "12"', 'version: "13"'))
    pushed = commit_on(repo, "mallory", "quick fix (#7)", "2026-12-07T10:00:00+01:00")
    served = routes(7, head, [review("olga", "APPROVED", head, "2026-12-06T08:00:00Z")])
    served[f"{API}/repos/{REPO}/commits/{forged}/pulls?per_page=100"] = [ok([])]
    served[f"{API}/repos/{REPO}/commits/{pushed}/pulls?per_page=100"] = [ok([
        {"number": 7, "merge_commit_sha": forged, "merged_at": "2026-12-06T09:00:00Z"}])]
    write(repo, {"inventory/teams.yaml": (repo / "inventory/teams.yaml").read_text()
                 .replace("members: [carl, cora, chris]", "members: [carl, cora]")})
    local = commit_on(repo, "mallory", "not pushed yet", "2026-12-08T10:00:00+01:00")
    served[f"{API}/repos/{REPO}/commits/{local}/pulls?per_page=100"] = [HttpResponse(
        422, {}, b'{"message": "No commit found for SHA: ' + local.encode() + b'"}')]
    result, _ = report(repo, served)
    assert violations(result) == [("direct-push", forged), ("direct-push", pushed),
                                  ("direct-push", local)]
    assert result["merges"] == []
    assert [c["merged"]["via"] for c in result["changes"]] == ["direct push"]


def test_a_squash_merged_emergency_change_is_retro_approved_by_later_reviews(repo: Path
                                                                          ) -> None:
    head, squash = squash_merged(repo, 11, "CHG-9", EMERGENCY, "2026-12-05T21:30:00+01:00")
    before = review("olga", "APPROVED", head, "2026-12-05T20:10:00Z", 1)
    late = [review("carl", "APPROVED", head, "2026-12-07T08:00:00Z", 2),
            review("cora", "APPROVED", head, "2026-12-07T09:00:00Z", 3)]
    result, _ = report(repo, squash_routes(11, head, squash, [before]))
    assert violations(result) == [("emergency-overdue", squash)]
    result, _ = report(repo, squash_routes(11, head, squash, [before, *late]))
    assert violations(result) == []
    [item] = result["changes"]
    assert item["retro"]["met"] is True


def test_the_command_line_needs_a_token_and_a_repository(repo: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    assert cli.main(["-C", str(repo), "audit", "--approvals", "github"]) == 2
    assert "GITHUB_TOKEN is not set" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert cli.main(["-C", str(repo), "audit", "--approvals", "github"]) == 2
    assert "--repository OWNER/NAME" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["-C", str(repo), "audit", "--repository", REPO])
    assert "--repository goes with --approvals github" in capsys.readouterr().err
    with pytest.raises(FatalError, match="not a GitHub repository"):
        MergedPulls.from_environment("acme/ops/../x", {"GITHUB_TOKEN": TOKEN})
