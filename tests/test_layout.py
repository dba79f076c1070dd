"""Where the operations repository sits in its git repository.

Revisions are read from the top of the git repository. An operations repository in a
folder below it (``ops/opsascode.yaml`` in a larger repository) would be read as
empty, and a gate that reads no records sees nothing to judge: every command that
reads git revisions refuses it instead (fail closed), and says why. Any folder of an
operations repository at the top will do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opsascode import cli
from testing import estate
from testing.repos import commit_all, git, init_git, write

REVISION_COMMANDS = [
    ["validate", "--rev", "HEAD"],
    ["plan", "--base", "main", "--head", "change"],
    ["check", "--base", "main", "--head", "change", "--approvals", "git"],
    ["audit"],
    ["impact", "db-2", "--rev", "HEAD"],
    ["approve", "CHG-1", "--by", "olga"],
]


def with_a_change(top: Path, ops: Path) -> None:
    """The gated estate (with its settings file) committed on main, then a branch
    ``change`` with CHG-1."""
    write(ops, {**estate.gated_files(), "opsascode.yaml": "version: 1\ndefault_branch: main\n"})
    commit_all(top, "the operations repository")
    git(top, "checkout", "-q", "-b", "change")
    write(ops, {"changes/CHG-1.yaml": estate.change("CHG-1")})
    commit_all(top, "CHG-1")
    git(top, "checkout", "-q", "main")


@pytest.mark.parametrize("command", REVISION_COMMANDS, ids=lambda c: c[0])
def test_an_operations_repository_below_the_git_top_is_refused(
        tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    top = init_git(tmp_path)
    with_a_change(top, tmp_path / "ops")
    assert cli.main(["-C", str(tmp_path / "ops"), *command]) == 2
    err = capsys.readouterr().err
    assert "the operations repository (ops/opsascode.yaml) is below the top of its git " \
           "repository" in err
    # The working tree is read where it is.
    assert cli.main(["-C", str(tmp_path / "ops"), "validate"]) == 0


@pytest.mark.parametrize("command", REVISION_COMMANDS, ids=lambda c: c[0])
def test_at_the_top_any_folder_of_it_will_do(tmp_path: Path, command: list[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    top = init_git(tmp_path)
    with_a_change(top, top)
    if command[0] == "approve":  # on the change's branch, as the approver
        git(top, "checkout", "-q", "change")
        for who in ("AUTHOR", "COMMITTER"):
            monkeypatch.setenv(f"GIT_{who}_NAME", "olga")
            monkeypatch.setenv(f"GIT_{who}_EMAIL", "olga@example.com")
    assert cli.main(["-C", str(top / "inventory"), *command]) in (0, 1)
