"""``opsascode approve``: an approval entry in a commit of its own, on real git repos."""

from __future__ import annotations

import io
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from opsascode.commands.approve import approve
from opsascode.errors import FatalError, UsageError
from opsascode.workspace import Options
from testing.repos import CHANGE, CHANGE_FILE, change_branch, commit_as, git, identity, write

NOW = datetime(2026, 11, 21, 10, 0, 5, 250_000, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    change_branch(tmp_path)
    become(monkeypatch, "alice")
    monkeypatch.delenv("OPSASCODE_USER", raising=False)
    return tmp_path


def become(monkeypatch: pytest.MonkeyPatch, handle: str, email: str | None = None) -> None:
    """Make git (run by the library, from os.environ) use this identity."""
    for key, value in identity(handle, email).items():
        monkeypatch.setenv(key, value)


def run(root: Path, change: str = "CHG-2026-0001", *, by: str | None = "alice",
        comment: str | None = None, sign: bool = False) -> str:
    out = io.StringIO()
    assert approve(Options(root), change, sign, by, comment, out, now=NOW) == 0
    return out.getvalue()


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def test_approve_adds_an_entry_in_a_commit_of_its_own_and_keeps_comments(repo: Path) -> None:
    before = head(repo)
    message = run(repo, comment='ship it: "tested" on staging')
    expected = textwrap.dedent(CHANGE).lstrip("\n").replace(
        "approvals: []           # git-native approvals\n",
        "approvals:           # git-native approvals\n"
        "  - by: alice\n"
        "    at: 2026-11-21T10:00:05+01:00\n"
        '    comment: "ship it: \\"tested\\" on staging"\n')
    assert (repo / CHANGE_FILE).read_text(encoding="utf-8") == expected
    assert git(repo, "rev-parse", "HEAD~1").strip() == before
    assert git(repo, "show", "--format=%an%n%s", "--name-only", "HEAD").split() == [
        "alice", "Approve", "CHG-2026-0001", CHANGE_FILE]
    assert git(repo, "status", "--porcelain") == ""
    assert message.startswith("alice approved CHG-2026-0001: commit ")


def test_approve_appends_to_a_block_list_and_adds_a_missing_list(repo: Path,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    write(repo, {"changes/more.yaml": """
        - id: CHG-2
          kind: change
          title: two
          type: normal
          requester: carol
          team: team-ops
          targets:
          - db-shop
          action: restart
          effect: degraded
          window: {start: 2026-12-02T22:00:00Z, end: 2026-12-02T23:00:00Z}
          rollback_plan: |
            start it again
          # the end of CHG-2
        - id: CHG-3
          kind: change
          title: three
          type: normal
          requester: carol
          team: team-ops
          targets: [db-shop]
          action: restart
          effect: degraded
          window: {start: 2026-12-03T22:00:00Z, end: 2026-12-03T23:00:00Z}
          rollback_plan: none needed
          approvals:
          -   by: zed     # an odd indentation, kept
              at: 2026-11-01T00:00:00Z
        """})
    commit_as(repo, "carol", "two more changes")
    run(repo, "CHG-2")
    become(monkeypatch, "bob")
    run(repo, "CHG-3", by="bob")
    text = (repo / "changes/more.yaml").read_text(encoding="utf-8")
    assert ("    start it again\n"
            "  approvals:\n"
            "    - by: alice\n"
            "      at: 2026-11-21T10:00:05+01:00\n"
            "  # the end of CHG-2\n") in text
    assert text.endswith("  -   by: zed     # an odd indentation, kept\n"
                         "      at: 2026-11-01T00:00:00Z\n"
                         "  -   by: bob\n"
                         "      at: 2026-11-21T10:00:05+01:00\n")


def test_approve_refuses_with_other_staged_changes(repo: Path) -> None:
    write(repo, {"notes.txt": "unrelated\n"})
    git(repo, "add", "notes.txt")
    before = head(repo)
    with pytest.raises(FatalError, match=r"changes are staged \(notes.txt\)"):
        run(repo)
    assert head(repo) == before
    assert "approvals: []" in (repo / CHANGE_FILE).read_text(encoding="utf-8")


def test_approve_refuses_a_change_file_with_uncommitted_edits(repo: Path) -> None:
    path = repo / CHANGE_FILE
    path.write_text(path.read_text(encoding="utf-8") + "description: more\n", encoding="utf-8")
    with pytest.raises(FatalError, match="has uncommitted changes"):
        run(repo)
    assert path.read_text(encoding="utf-8").endswith("description: more\n")


def test_approve_refuses_the_same_person_twice_at_the_same_head(repo: Path) -> None:
    run(repo)
    with pytest.raises(FatalError, match="alice already approved CHG-2026-0001 at the current"):
        run(repo)
    write(repo, {"inventory/extra.yaml": "- {id: db-extra, kind: database, owner: team-ops}\n"})
    commit_as(repo, "carol", "a new push: the approval is stale")
    run(repo)
    assert (repo / CHANGE_FILE).read_text(encoding="utf-8").count("- by: alice") == 2


def test_approve_unknown_change_suggests_a_known_one(repo: Path) -> None:
    with pytest.raises(UsageError, match=r"'CHG-2026-001' is not a change id \(did you mean "
                                         r"'CHG-2026-0001'\?\)"):
        run(repo, "CHG-2026-001")


def test_approver_comes_from_the_environment_then_git_config(repo: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    with pytest.raises(UsageError, match=r"who approves.*OPSASCODE_USER.*opsascode\.user"):
        run(repo, by=None)
    git(repo, "config", "github.user", "alice")
    assert run(repo, by=None).startswith("alice approved")
    monkeypatch.setenv("OPSASCODE_USER", "not a handle")
    with pytest.raises(UsageError, match="from OPSASCODE_USER"):
        run(repo, by=None)


def test_approve_refuses_when_git_would_author_the_commit_as_someone_else(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    become(monkeypatch, "Alice Liddell", "alice@example.com")
    with pytest.raises(FatalError, match=r"your git identity Alice Liddell <alice@example.com> "
                                         r"is not alice.*users.noreply.github.com"):
        run(repo)
    assert git(repo, "status", "--porcelain") == ""


def test_approve_refuses_a_layout_it_cannot_edit_and_writes_nothing(repo: Path) -> None:
    flow = ("- {id: CHG-9, kind: change, title: flow, type: normal, requester: carol, "
            "team: team-ops, targets: [db-shop], action: restart, effect: none, window: "
            "{start: 2026-12-02T22:00:00Z, end: 2026-12-02T23:00:00Z}, rollback_plan: none}\n")
    write(repo, {"changes/flow.yaml": flow})
    commit_as(repo, "carol", "a flow-style change")
    before = head(repo)
    with pytest.raises(FatalError, match="nothing was written"):
        run(repo, "CHG-9")
    assert (repo / "changes/flow.yaml").read_text(encoding="utf-8") == flow
    assert head(repo) == before


def test_a_failed_signed_commit_leaves_the_file_as_it_was(repo: Path) -> None:
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", str(repo / "no-such-key"))
    with pytest.raises(FatalError, match=r"git commit failed.*gpg.format ssh"):
        run(repo, sign=True)
    assert "approvals: []" in (repo / CHANGE_FILE).read_text(encoding="utf-8")
    assert git(repo, "status", "--porcelain") == ""


def test_approve_keeps_crlf_line_ends_and_adds_a_list_where_there_is_none(repo: Path) -> None:
    path = repo / CHANGE_FILE
    text = textwrap.dedent(CHANGE).lstrip("\n").replace(
        "approvals: []           # git-native approvals\n", "")
    path.write_bytes(text.rstrip("\n").replace("\n", "\r\n").encode("utf-8"))
    commit_as(repo, "carol", "windows line ends, no final line end, no approvals")
    run(repo)
    assert path.read_bytes().decode("utf-8").endswith(
        "rollback_plan: restore the snapshot\r\n"
        "approvals:\r\n"
        "  - by: alice\r\n"
        "    at: 2026-11-21T10:00:05+01:00\r\n")


def test_approve_keeps_the_file_mode(repo: Path) -> None:
    path = repo / CHANGE_FILE
    path.chmod(0o644)
    run(repo)
    assert path.stat().st_mode & 0o777 == 0o644


def test_approve_on_the_default_branch_itself(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    change_branch(tmp_path)
    git(tmp_path, "checkout", "-q", "main")
    git(tmp_path, "merge", "-q", "--ff-only", "feature")
    become(monkeypatch, "alice")
    run(tmp_path)
    with pytest.raises(FatalError, match="already approved"):
        run(tmp_path)
