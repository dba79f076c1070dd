from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

from opsascode.git import GitRepo
from opsascode.leadtime import lead_times
from testing.repos import GIT_ENV, git, init_git, write


def commit(root: Path, message: str, when: str, *extra: str) -> None:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    git(root, "add", "-A")
    subprocess.run(["git", "commit", "-q", "--allow-empty", *extra, "-m", message], cwd=root,
                   env=env, check=True)


def test_merged_branch_counts_from_its_first_commit(tmp_path: Path) -> None:
    root = init_git(write(tmp_path, {"inventory/a.yaml": "[]\n"}))
    commit(root, "start", "2026-11-01T09:00:00+00:00")
    git(root, "checkout", "-q", "-b", "work")
    write(root, {"notes.txt": "plan\n"})
    commit(root, "first work", "2026-11-02T10:00:00+00:00")
    write(root, {"changes/CHG-1.yaml": "id: CHG-1\n"})
    commit(root, "the change request", "2026-11-03T10:00:00+00:00")
    git(root, "checkout", "-q", "main")
    write(root, {"inventory/b.yaml": "[]\n"})
    commit(root, "meanwhile on main", "2026-11-03T12:00:00+00:00")
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": "2026-11-04T16:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-11-04T16:00:00+00:00"}
    subprocess.run(["git", "merge", "-q", "--no-ff", "-m", "merge", "work"], cwd=root, env=env,
                   check=True)
    found = lead_times(GitRepo(root), "main", {"changes/CHG-1.yaml": "CHG-1"})
    assert found["CHG-1"].lead_time == timedelta(days=2, hours=6)  # 11-02 10:00 -> 11-04 16:00


def test_squashed_change_counts_from_its_author_time(tmp_path: Path) -> None:
    root = init_git(write(tmp_path, {"inventory/a.yaml": "[]\n"}))
    commit(root, "start", "2026-11-01T09:00:00+00:00")
    write(root, {"changes/CHG-2.yaml": "id: CHG-2\n"})
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": "2026-11-05T08:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-11-05T20:00:00+00:00"}
    git(root, "add", "-A")
    subprocess.run(["git", "commit", "-q", "-m", "squash"], cwd=root, env=env, check=True)
    write(root, {"changes/CHG-2.yaml": "id: CHG-2\ntitle: later edit\n"})
    commit(root, "edit", "2026-11-09T08:00:00+00:00")
    found = lead_times(GitRepo(root), "main", {"changes/CHG-2.yaml": "CHG-2"})
    assert found["CHG-2"].lead_time == timedelta(hours=12)  # the first add, not the edit
