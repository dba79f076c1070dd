"""Git-native approvals: which approval commits count, end to end on real git repos."""

from __future__ import annotations

import shutil
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from opsascode.approvals import ApprovalSet
from opsascode.approvals.gitnative import GitApprovals, handle_of
from opsascode.commands.approve import approve
from opsascode.git import GitRepo
from opsascode.loader import load
from opsascode.tree import GitTree
from opsascode.workspace import Options
from testing.repos import (
    CHANGE_FILE,
    MINIMAL,
    change_branch,
    commit_as,
    configure_signing,
    git,
    identity,
    ssh_key,
    write,
)

NOW = datetime(2026, 11, 21, 10, 0, 5, tzinfo=timezone(timedelta(hours=1)))
needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None,
    reason="signing tests need ssh-keygen (apt-get install openssh-client)")


def become(monkeypatch: pytest.MonkeyPatch, handle: str) -> None:
    for key, value in identity(handle).items():
        monkeypatch.setenv(key, value)


def approve_as(root: Path, monkeypatch: pytest.MonkeyPatch, handle: str, *,
               sign: bool = False) -> str:
    become(monkeypatch, handle)
    assert approve(Options(root), "CHG-2026-0001", sign, handle, None, now=NOW) == 0
    return git(root, "rev-parse", "HEAD").strip()


def collect(root: Path, base: str, keys: dict[str, list[str]] | None = None,
            require_signed: bool = False) -> ApprovalSet:
    return GitApprovals(root, base, "HEAD", keys, require_signed).collect()


def reasons(found: ApprovalSet) -> dict[str, str]:
    return {n.approval.by: n.reason for n in found.not_counted}


def append(root: Path, path: str, text: str) -> None:
    with (root / path).open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_an_approval_commit_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = change_branch(tmp_path)
    commit = approve_as(tmp_path, monkeypatch, "alice")
    found = collect(tmp_path, base)
    [approval] = found.approvals
    assert (approval.by, approval.change, approval.commit, approval.source) == (
        "alice", "CHG-2026-0001", commit, "git")
    assert (approval.at, approval.fresh, approval.signed) == (NOW, True, False)
    assert found.not_counted == []
    assert (found.facts.author, found.facts.contributors) == ("carol", {"carol"})
    assert (found.facts.base, found.facts.head) == (base, commit)


def test_an_approval_followed_by_a_content_commit_is_stale(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    base = change_branch(tmp_path)
    approve_as(tmp_path, monkeypatch, "alice")
    append(tmp_path, CHANGE_FILE, "description: widened after the approval\n")
    commit_as(tmp_path, "dave", "more work")
    found = collect(tmp_path, base)
    [approval] = found.approvals
    assert (approval.by, approval.fresh) == ("alice", False)
    assert found.facts.contributors == {"carol", "dave"}


def test_an_entry_written_in_someone_elses_name_is_forged(tmp_path: Path) -> None:
    base = change_branch(tmp_path)
    path = tmp_path / CHANGE_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(
        "approvals: []", "approvals:\n  - by: alice\n    at: 2026-11-21T10:00:00Z"),
        encoding="utf-8")
    commit = commit_as(tmp_path, "bob", "approve for alice")
    found = collect(tmp_path, base)
    assert found.approvals == []
    [forged] = found.not_counted
    assert forged.approval.commit == commit
    assert forged.reason == (f"forged: the entry names alice, but the commit that added it "
                             f"({commit[:12]}) is authored by bob")


def test_handles_compare_exactly_as_the_policy_compares_them(tmp_path: Path) -> None:
    base = change_branch(tmp_path)
    path = tmp_path / CHANGE_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(
        "approvals: []", "approvals:\n  - by: Carol\n    at: 2026-11-21T10:00:00Z"),
        encoding="utf-8")
    commit_as(tmp_path, "carol", "the author approves under another spelling")
    assert reasons(collect(tmp_path, base))["Carol"].startswith("forged: the entry names Carol")


def test_a_commit_that_approves_and_changes_a_target_does_not_count(tmp_path: Path) -> None:
    base = change_branch(tmp_path)
    path = tmp_path / CHANGE_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(
        "approvals: []", "approvals:\n  - by: alice\n    at: 2026-11-21T10:00:00Z").replace(
        "targets: [db-shop]", "targets: [db-shop, app-shop]"), encoding="utf-8")
    commit = commit_as(tmp_path, "alice", "approve, and one more target")
    assert reasons(collect(tmp_path, base)) == {"alice": (
        f"the commit that added it ({commit[:12]}) changes CHG-2026-0001 beyond its "
        "approvals; an approval commit changes nothing but approvals (`opsascode approve` "
        "makes one)")}


def test_a_commit_that_approves_and_changes_another_file_does_not_count(tmp_path: Path
                                                                        ) -> None:
    base = change_branch(tmp_path)
    path = tmp_path / CHANGE_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(
        "approvals: []", "approvals:\n  - by: alice\n    at: 2026-11-21T10:00:00Z"),
        encoding="utf-8")
    append(tmp_path, "inventory/assets.yaml", "- {id: db-new, kind: database, owner: team-ops}\n")
    commit_as(tmp_path, "alice", "approve, and an asset")
    assert "also changes inventory/assets.yaml" in reasons(collect(tmp_path, base))["alice"]


def test_an_entry_already_in_the_base_revision_does_not_count(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    change_branch(tmp_path)
    approve_as(tmp_path, monkeypatch, "alice")
    git(tmp_path, "checkout", "-q", "main")
    git(tmp_path, "merge", "-q", "--ff-only", "feature")
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    git(tmp_path, "checkout", "-q", "-b", "follow-up")
    append(tmp_path, CHANGE_FILE, "status: completed\n")
    commit_as(tmp_path, "carol", "completed")
    assert reasons(collect(tmp_path, base))["alice"].startswith(
        "given before this branch (the base revision has it)")


def test_a_merge_commit_makes_earlier_approvals_stale(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    base = change_branch(tmp_path)
    approve_as(tmp_path, monkeypatch, "alice")
    git(tmp_path, "checkout", "-q", "-b", "side", base)
    write(tmp_path, {"inventory/side.yaml": "- {id: db-side, kind: database, owner: team-ops}\n"})
    commit_as(tmp_path, "dave", "side work")
    git(tmp_path, "checkout", "-q", "feature")
    git(tmp_path, "merge", "-q", "--no-edit", "side", env=identity("carol"))
    [approval] = collect(tmp_path, base).approvals
    assert approval.fresh is False


def test_an_entry_added_by_a_merge_commit_does_not_count(tmp_path: Path) -> None:
    base = change_branch(tmp_path)
    git(tmp_path, "checkout", "-q", "-b", "side")
    write(tmp_path, {"inventory/side.yaml": "- {id: db-side, kind: database, owner: team-ops}\n"})
    commit_as(tmp_path, "dave", "side work")
    git(tmp_path, "checkout", "-q", "feature")
    git(tmp_path, "merge", "-q", "--no-ff", "--no-commit", "side")
    path = tmp_path / CHANGE_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(
        "approvals: []", "approvals:\n  - by: alice\n    at: 2026-11-21T10:00:00Z"),
        encoding="utf-8")
    commit_as(tmp_path, "alice", "merge, and approve in passing")
    assert reasons(collect(tmp_path, base))["alice"].startswith(
        "not added by an ordinary commit of this branch (it came with a merge commit")


def test_comment_only_edits_in_an_approval_commit_still_count(tmp_path: Path) -> None:
    base = change_branch(tmp_path)
    path = tmp_path / CHANGE_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(
        "approvals: []           # git-native approvals",
        "# reviewed the plan\napprovals:\n  - by: alice\n    at: 2026-11-21T10:00:00Z"),
        encoding="utf-8")
    commit_as(tmp_path, "alice", "approve by hand")
    found = collect(tmp_path, base)
    assert [a.by for a in found.approvals] == ["alice"]
    assert found.not_counted == []


@pytest.mark.parametrize(("name", "email", "handle"), [
    ("Alice Liddell", "1234+alice@users.noreply.github.com", "alice"),
    ("Alice Liddell", "alice@users.noreply.github.com", "alice"),
    ("alice", "alice@example.com", "alice"),
    ("Alice Liddell", "alice@example.com", "Alice Liddell"),
])
def test_a_git_identity_maps_to_a_handle(name: str, email: str, handle: str) -> None:
    assert handle_of(name, email) == handle


# ------------------------------------------------------------------ signing


def teams_with_keys(keys: dict[str, str]) -> str:
    entries = "".join(f"\n    - member: {m}\n      key: {k}" for m, k in keys.items())
    return textwrap.dedent(MINIMAL["inventory/teams.yaml"]) + f"  signing_keys:{entries}\n"


def base_keys(root: Path, base: str) -> dict[str, list[str]]:
    """Member -> keys from the BASE revision's teams, as the gate reads them."""
    teams = load(GitTree(GitRepo(root), base)).teams()
    keys: dict[str, list[str]] = {}
    for team in teams:
        for key in team.signing_keys:
            keys.setdefault(key.member, []).append(key.key)
    return keys


@pytest.fixture
def signing_repo(tmp_path: Path) -> tuple[Path, str, Path, dict[str, list[str]]]:
    """A branch whose base teams hold alice's key; (root, base, alice's key, keys)."""
    key, public = ssh_key(tmp_path / "keys", "alice")
    root = tmp_path / "repo"
    root.mkdir()
    base = change_branch(root, {"inventory/teams.yaml": teams_with_keys({"alice": public})})
    keys = base_keys(root, base)
    assert keys == {"alice": [public]}
    return root, base, key, keys


@needs_ssh_keygen
def test_an_unsigned_approval_does_not_count_where_signing_is_required(
        signing_repo: tuple[Path, str, Path, dict[str, list[str]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root, base, _key, keys = signing_repo
    commit = approve_as(root, monkeypatch, "alice")
    found = collect(root, base, keys, require_signed=True)
    assert found.approvals == []
    assert reasons(found) == {"alice": (
        f"not signed: the commit that added it ({commit[:12]}) has no signature that "
        "verifies with a key of the base revision's teams")}


@needs_ssh_keygen
def test_a_signed_approval_with_a_key_of_the_base_teams_counts(
        signing_repo: tuple[Path, str, Path, dict[str, list[str]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root, base, key, keys = signing_repo
    configure_signing(root, key)
    approve_as(root, monkeypatch, "alice", sign=True)
    found = collect(root, base, keys, require_signed=True)
    assert [(a.by, a.signed, a.fresh) for a in found.approvals] == [("alice", True, True)]
    assert found.not_counted == []


@needs_ssh_keygen
def test_a_signature_by_a_key_added_on_the_branch_does_not_count(
        signing_repo: tuple[Path, str, Path, dict[str, list[str]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root, base, _alice_key, keys = signing_repo
    new_key, new_public = ssh_key(root.parent / "keys", "alice-new")
    write(root, {"inventory/teams.yaml": teams_with_keys({"alice": new_public})})
    commit_as(root, "carol", "alice has a new key")
    configure_signing(root, new_key)
    approve_as(root, monkeypatch, "alice", sign=True)
    found = collect(root, base, keys, require_signed=True)
    assert found.approvals == []
    assert "no signature that verifies with a key of the base revision" in reasons(found)["alice"]


@needs_ssh_keygen
def test_a_signature_by_another_members_key_is_not_the_approvers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bob_key, bob_public = ssh_key(tmp_path / "keys", "bob")
    _alice_key, alice_public = ssh_key(tmp_path / "keys", "alice")
    root = tmp_path / "repo"
    root.mkdir()
    base = change_branch(root, {"inventory/teams.yaml": teams_with_keys(
        {"alice": alice_public, "bob": bob_public})})
    configure_signing(root, bob_key)
    approve_as(root, monkeypatch, "alice", sign=True)
    found = collect(root, base, base_keys(root, base), require_signed=True)
    assert "is signed with bob's key" in reasons(found)["alice"]
    # Without require_signed it counts, and says it is not signed by alice.
    [approval] = collect(root, base, {"bob": [bob_public]}).approvals
    assert approval.signed is False
