"""The history read in one ``git log`` pass answers as git itself does: every
revision's files, merge bases, branch ranges and changed paths, on a graph with the
awkward shapes (a branch that merged main back in, a criss-cross, a branch off a
branch, deletions, mode changes, links), and on a shallow clone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from opsascode.git import GitRepo, LogPass
from opsascode.history import History
from testing.repos import git, init_git, write

MAX = 10 * 2**20


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def merge(root: Path, other: str, message: str) -> str:
    git(root, "merge", "--no-ff", "-q", "--no-gpg-sign", "-m", message, other)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_git(tmp_path_factory.mktemp("messy"))
    write(root, {"opsascode.yaml": "version: 1\n", "inventory/a.yaml": "- id: a\n",
                 "docs/x.md": "x\n", "bin/run.sh": "echo\n"})
    commit(root, "root")
    git(root, "checkout", "-q", "-b", "feature")
    write(root, {"inventory/b.yaml": "- id: b\n"})
    commit(root, "feature 1")
    git(root, "checkout", "-q", "main")
    write(root, {"inventory/a.yaml": "- id: a\n  name: A\n"})
    (root / "docs/x.md").unlink()
    commit(root, "main 1")
    git(root, "checkout", "-q", "feature")
    merge(root, "main", "feature takes main in")  # a branch with a merge of its own
    write(root, {"inventory/c.yaml": "- id: c\n"})
    commit(root, "feature 2")
    git(root, "checkout", "-q", "-b", "sub", "feature")  # a branch off the branch
    write(root, {"changes/CHG-1.yaml": "id: CHG-1\n"})
    commit(root, "sub 1")
    git(root, "checkout", "-q", "main")
    (root / "bin/run.sh").chmod(0o755)
    (root / "inventory/link.yaml").symlink_to("a.yaml")
    commit(root, "main 2: mode and link")
    merge(root, "feature", "merge feature")
    git(root, "checkout", "-q", "-b", "linear", "main")
    write(root, {"changes/CHG-2.yaml": "id: CHG-2\n"})
    commit(root, "linear 1")
    write(root, {"changes/CHG-2.yaml": "id: CHG-2\napprovals: []\n"})
    commit(root, "linear 2")
    git(root, "checkout", "-q", "main")
    write(root, {"docs/y.md": "y\n"})
    commit(root, "main 3")
    merge(root, "linear", "merge linear")
    # A criss-cross: x and y each merge the other's first commit.
    git(root, "checkout", "-q", "-b", "x", "main")
    write(root, {"docs/x1.md": "1\n"})
    x1 = commit(root, "x1")
    git(root, "checkout", "-q", "-b", "y", "main")
    write(root, {"docs/y1.md": "1\n"})
    y1 = commit(root, "y1")
    git(root, "checkout", "-q", "x")
    merge(root, y1, "x takes y1")
    git(root, "checkout", "-q", "y")
    merge(root, x1, "y takes x1")
    git(root, "checkout", "-q", "main")
    merge(root, "x", "merge x")
    merge(root, "sub", "merge sub")
    return root


def history_of(root: Path, rev: str = "main") -> History:
    repo = GitRepo(root)
    commits = LogPass(repo.top, rev).commits()
    assert commits is not None
    return History(repo, rev, commits, MAX)


def ls_tree(root: Path, rev: str) -> dict[str, tuple[str, str]]:
    found = {}
    for line in git(root, "ls-tree", "-r", "--full-tree", rev).splitlines():
        meta, path = line.split("\t", 1)
        mode, _kind, blob = meta.split()
        found[path] = (mode, blob)
    return found


def test_every_revision_has_gits_files(messy: Path) -> None:
    history = history_of(messy)
    assert len(history.by_sha) == len(git(messy, "rev-list", "main").split())
    for sha in history.by_sha:
        assert history.tree(sha) == ls_tree(messy, sha), sha


def test_the_main_lines_paths_are_those_git_names_for_each_commit(messy: Path) -> None:
    line = history_of(messy).line
    by_path = line.paths_changed()
    for position, commit in enumerate(line.commits):
        named = git(messy, "diff-tree", "--no-commit-id", "-r", "--name-only", "--root",
                    "--no-renames", commit.sha, *(commit.parents[:1])).split()
        assert sorted(p for p, found in by_path.items() if position in found) == sorted(named)
    for wanted in (lambda p: p.startswith("inventory/"), lambda p: p.endswith(".md"),
                   lambda p: False):
        assert line.changing(wanted) == [c for c in line.commits if any(map(wanted, c.paths))]


def test_merge_bases_are_gits(messy: Path) -> None:
    history = history_of(messy)
    for a in history.line.commits:
        for b in history.by_sha:
            expected = git(messy, "merge-base", a.sha, b).strip()
            assert history.merge_base(a.sha, b) == expected, (a.subject, b)


def test_branch_ranges_are_gits_or_left_to_git(messy: Path) -> None:
    history = history_of(messy)
    linear = 0
    for merge_commit in [c for c in history.line.commits if c.is_merge]:
        base = history.merge_base(merge_commit.parents[0], merge_commit.parents[1])
        assert base is not None
        found = history.between(base, merge_commit.parents[1])
        expected = git(messy, "log", "--reverse", "--topo-order", "--format=%H",
                       f"{base}..{merge_commit.parents[1]}").split()
        if found is None:  # a shape the graph alone does not settle: git answers
            assert base not in history.line or any(
                len(history.by_sha[s].parents) > 1 for s in expected)
        else:
            linear += 1
            assert [c.sha for c in found] == expected
    assert linear == 1  # "merge linear"; feature and x have merges, sub a side base


def test_changed_paths_are_gits(messy: Path) -> None:
    history = history_of(messy)
    shas = list(history.by_sha)
    for a, b in zip(shas, shas[3:], strict=False):
        expected = sorted(git(messy, "diff", "--name-only", "--no-renames", a, b).split())
        assert history.changed_paths(a, b) == expected


def test_a_commit_brought_by_a_merge_belongs_to_the_first_merge(messy: Path) -> None:
    history = history_of(messy)
    merges = {c.subject: c for c in history.line.commits if c.is_merge}
    feature = [c.subject for c in history.brought(merges["merge feature"])]
    assert feature == ["feature 1", "feature takes main in", "feature 2"]
    # sub was branched from feature: only its own commit is left for its merge
    assert [c.subject for c in history.brought(merges["merge sub"])] == ["sub 1"]


def test_an_unknown_revision_reads_as_none(messy: Path) -> None:
    assert LogPass(GitRepo(messy).top, "no-such-branch").commits() is None
    history = history_of(messy)
    assert history.tree("0" * 40) is None


def test_a_shallow_clone_rebuilds_the_files_from_its_graft(messy: Path, tmp_path: Path
                                                            ) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "3", "--no-local", f"file://{messy}", str(clone))
    history = history_of(clone, "HEAD")
    assert history.line.graft is not None
    for sha in history.line.commits:
        assert history.tree(sha.sha) == ls_tree(clone, sha.sha)
    # a merge whose branch is cut off: its files are still known, its base is not
    tip = history.line.tip
    assert history.tree(tip.sha) == ls_tree(clone, tip.sha)
    # one file, found from the graft on
    fresh = history_of(clone, "HEAD")
    for commit in fresh.line.commits:
        for path in ("opsascode.yaml", "docs/x.md", "docs/y.md", "inventory/link.yaml"):
            tree = fresh.file_tree(commit.sha, path)
            assert tree is not None
            expected = {p: e for p, e in ls_tree(clone, commit.sha).items() if p == path}
            assert {e.path: (e.mode, e.blob_id) for e in tree.entries((path,))} == expected


def test_one_file_is_found_without_rebuilding_the_revision(messy: Path) -> None:
    history = history_of(messy)
    for sha in history.by_sha:
        for path in ("opsascode.yaml", "docs/x.md", "inventory/a.yaml", "bin/run.sh"):
            tree = history.file_tree(sha, path)
            assert tree is not None
            expected = {p: e for p, e in ls_tree(messy, sha).items() if p == path}
            assert {e.path: (e.mode, e.blob_id) for e in tree.entries((path,))} == expected


def test_names_subjects_and_paths_are_data_not_separators(tmp_path: Path) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    init_git(root)
    write(root, {"opsascode.yaml": "version: 1\n"})
    commit(root, "root")
    write(root, {":colon.yaml": "a\n", "new\nline.yaml": "b\n", "\x01start.yaml": "c\n"})
    env = {"GIT_AUTHOR_NAME": "Eve \x01 :100644", "GIT_AUTHOR_EMAIL": "eve@example.com",
           "GIT_COMMITTER_NAME": "Eve", "GIT_COMMITTER_EMAIL": "eve@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-gpg-sign", "-m",
        "\x01" + "0" * 40 + " looks like a commit\n\nbody :100644 100644", env=env)
    history = history_of(root)
    tip = history.line.tip
    assert tip.subject == "\x01" + "0" * 40 + " looks like a commit"
    assert tip.author_name.startswith("Eve")
    assert sorted(tip.paths) == sorted([":colon.yaml", "new\nline.yaml", "\x01start.yaml"])
    assert history.tree(tip.sha) == ls_tree_z(root, tip.sha)


def test_a_sha256_repository(tmp_path: Path) -> None:
    root = tmp_path / "sha256"
    root.mkdir()
    git(root, "init", "-q", "-b", "main", "--object-format=sha256")
    write(root, {"opsascode.yaml": "version: 1\n", "inventory/a.yaml": "- id: a\n"})
    commit(root, "root")
    write(root, {"inventory/a.yaml": "- id: a\n  name: A\n", "inventory/b.yaml": "- id: b\n"})
    (root / "opsascode.yaml").unlink()
    commit(root, "second")
    history = history_of(root)
    for sha in history.by_sha:
        assert len(sha) == 64
        assert history.tree(sha) == ls_tree_z(root, sha)
    assert history.changed_paths(*history.by_sha) == ["inventory/a.yaml", "inventory/b.yaml",
                                                      "opsascode.yaml"]


def ls_tree_z(root: Path, rev: str) -> dict[str, tuple[str, str]]:
    found = {}
    for record in git(root, "ls-tree", "-r", "-z", "--full-tree", rev).split("\0"):
        if record:
            meta, path = record.split("\t", 1)
            mode, _kind, blob = meta.split()
            found[path] = (mode, blob)
    return found


def test_the_branch_head_is_on_is_read_without_git(messy: Path, tmp_path: Path) -> None:
    assert GitRepo(messy).head_branch() == "main"
    worktree = tmp_path / "wt"
    git(messy, "worktree", "add", "-q", "-b", "wt-branch", str(worktree), "main")
    try:
        assert GitRepo(worktree).head_branch() == "wt-branch"
        git(worktree, "checkout", "-q", "--detach")
        assert GitRepo(worktree).head_branch() is None
    finally:
        git(messy, "worktree", "remove", "--force", str(worktree))
        git(messy, "branch", "-D", "wt-branch")


def test_the_tip_is_taken_as_the_parse_ahead_worker_listed_it(
        messy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker lists the tip with git; the history takes that listing (the same
    files it would rebuild from every commit) instead of rebuilding it."""
    from opsascode import parseahead

    monkeypatch.setattr(parseahead, "AHEAD_WAIT", 60.0)
    rebuilt = history_of(messy)
    tip = rebuilt.line.tip.sha
    ahead = parseahead.ParseAhead(messy, "main")
    ahead.results(wait=True)  # waits for the worker
    history = history_of(messy)
    history.reader.ahead = ahead
    assert history.tree(tip) == rebuilt.tree(tip) == ls_tree(messy, tip)
    assert history.reader.tip is not None and history.reader.tip[0] == tip
    assert history._cursor[0] == -1  # nothing rebuilt
    older = history.line.commits[-2].sha
    assert history.tree(older) == ls_tree(messy, older)  # the others are rebuilt
    # A listing of another commit (the branch moved meanwhile) is not taken for the tip.
    moved = history_of(messy)
    moved.reader.tip = (older, {"x": ("100644", "0" * 40)})
    assert moved.tree(tip) == ls_tree(messy, tip)
    ahead.close()
