"""`opsascode check --approvals github` end to end: a real git repository, real
payload shapes of the three events the gate runs on, and recorded API responses
served by a fake transport (never the network)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from opsascode.approvals import github as github_source
from opsascode.approvals.github_api import HttpResponse
from testing import estate
from testing.repos import commit_as, git, init_git, run_cli, write

API = "https://api.github.com"
FROM_ENVIRONMENT = github_source.GitHubApprovals.from_environment.__func__  # type: ignore[attr-defined]
PULL = f"{API}/repos/acme/ops/pulls/7"


def respond(body: Any) -> HttpResponse:
    return HttpResponse(200, {}, json.dumps(body).encode())


def routes(head: str, base: str, reviews: list[dict[str, Any]]) -> dict[str, HttpResponse]:
    return {
        PULL: respond({"number": 7, "title": "Tune the report", "user": {"login": "dora"},
                       "head": {"sha": head}, "base": {"sha": base}, "commits": 1}),
        f"{PULL}/commits?per_page=100": respond([{
            "sha": head, "author": {"login": "dora", "type": "User"},
            "committer": {"login": "dora", "type": "User"}}]),
        f"{PULL}/reviews?per_page=100": respond(reviews),
    }


def review(login: str, state: str, commit: str, number: int = 1) -> dict[str, Any]:
    return {"id": number, "user": {"login": login, "type": "User"}, "state": state,
            "commit_id": commit, "submitted_at": f"2026-11-27T1{number}:00:00Z"}


def payload(event: str, base: str, head: str) -> dict[str, Any]:
    repository = {"full_name": "acme/ops", "id": 1}
    if event == "merge_group":
        return {"action": "checks_requested", "repository": repository, "merge_group": {
            "head_sha": head, "base_sha": base, "base_ref": "refs/heads/main",
            "head_ref": f"refs/heads/gh-readonly-queue/main/pr-7-{base}"}}
    pull = {"number": 7, "user": {"login": "dora"}, "head": {"sha": head, "ref": "work"},
            "base": {"sha": base, "ref": "main"}, "title": "Tune the report"}
    body: dict[str, Any] = {"action": "submitted" if event == "pull_request_review"
                            else "synchronize", "repository": repository, "pull_request": pull}
    if event == "pull_request_review":
        body["review"] = {"id": 1, "state": "approved", "user": {"login": "olga"}}
    return body


@pytest.fixture
def branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    monkeypatch.setenv("OPSASCODE_CACHE", "0")
    root = init_git(write(tmp_path / "ops", estate.gated_files()))
    base = commit_as(root, "olga", "base")
    git(root, "checkout", "-q", "-b", "work")
    write(root, {"changes/CHG-1.yaml": estate.change(
        "CHG-1", targets="[svc-report]", effect="none", action="config")})
    head = commit_as(root, "dora", "propose")
    return root, base, head


def run_check(capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, root: Path,
              event: str, served: dict[str, HttpResponse], base: str, head: str) -> Any:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(payload(event, base, head)))
    for key, value in {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(event_file),
                       "GITHUB_TOKEN": "ghs_secret", "GITHUB_ACTIONS": "true",
                       "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}.items():
        monkeypatch.setenv(key, value)

    def transport(request: urllib.request.Request) -> HttpResponse:
        assert request.full_url in served, request.full_url
        return served[request.full_url]

    monkeypatch.setattr(github_source.GitHubApprovals, "from_environment", classmethod(
        lambda cls, environ=None, transport_=None, sleep=None: FROM_ENVIRONMENT(
            cls, environ, transport)))
    return run_cli(capsys, "-C", str(root), "check", "--approvals", "github")


@pytest.mark.parametrize("event", ["pull_request_target", "pull_request_review",
                                   "merge_group"])
def test_an_owner_review_approves_on_every_event(
        event: str, branch: tuple[Path, str, str], capsys: Any,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root, base, head = branch
    served = routes(head, base, [review("olga", "APPROVED", head)])
    result = run_check(capsys, monkeypatch, tmp_path, root, event, served, base, head)
    assert result.code == 0, result.out
    assert "::notice title=opsascode gate::approved" in result.out
    assert "ghs_secret" not in result.out + result.err
    assert (tmp_path / "summary.md").read_text().startswith("## opsascode gate: approved")


def test_a_stale_review_and_a_request_for_changes(
        branch: tuple[Path, str, str], capsys: Any, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    root, base, head = branch
    served = routes(head, base, [review("olga", "APPROVED", base, 1)])
    result = run_check(capsys, monkeypatch, tmp_path, root, "pull_request_target", served,
                       base, head)
    assert result.code == 1
    assert "given before the last push" in (tmp_path / "summary.md").read_text()
    served = routes(head, base, [review("olga", "APPROVED", head, 1),
                                 review("carl", "CHANGES_REQUESTED", head, 2)])
    result = run_check(capsys, monkeypatch, tmp_path, root, "pull_request_target", served,
                       base, head)
    assert result.code == 1
    assert "::error title=opsascode gate::disapproved" in result.out
