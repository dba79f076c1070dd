from __future__ import annotations

from pathlib import Path

import pytest

from opsascode.cache import ParseCache
from opsascode.errors import FatalError
from opsascode.git import GitRepo
from opsascode.loader import load
from opsascode.records import Change, Service
from opsascode.tree import GitTree, WorkingTree
from testing.repos import MINIMAL, commit_all, git, init_git, write


def test_loads_records_and_origins(tmp_path: Path) -> None:
    repo = load(WorkingTree(write(tmp_path, MINIMAL)))
    assert repo.problems == []
    assert sorted(repo.records) == ["app-shop", "db-shop", "svc-shop", "team-ops"]
    assert isinstance(repo.records["svc-shop"], Service)
    assert repo.origins["db-shop"].file == "inventory/assets.yaml"
    assert repo.origins["db-shop"].loc == (2,)
    app = repo.records["app-shop"]
    assert [(d.id, d.relation) for d in app.depends_on] == [("db-shop", "stores_data_in")]


def test_single_record_file_has_an_empty_loc(tmp_path: Path) -> None:
    write(tmp_path, {**MINIMAL, "changes/CHG-1.yaml": """
        id: CHG-1
        kind: change
        title: Restart
        type: normal
        requester: alice
        team: team-ops
        targets: [app-shop]
        action: restart
        effect: degraded
        window: {start: 2026-12-01T22:00:00+01:00, end: 2026-12-01T23:00:00+01:00}
        rollback_plan: start it again
        """})
    repo = load(WorkingTree(tmp_path))
    assert isinstance(repo.records["CHG-1"], Change)
    assert repo.origins["CHG-1"].loc == ()


def test_invalid_records_are_dropped_but_their_ids_are_known(tmp_path: Path) -> None:
    write(tmp_path, {**MINIMAL, "inventory/more.yaml": """
        - id: db-bad
          kind: database
          owner: team-ops
          tier: nine
        """})
    repo = load(WorkingTree(tmp_path))
    assert "db-bad" not in repo.records
    assert repo.exists("db-bad")
    assert [(p.code, p.line, p.column) for p in repo.problems] == [("wrong-type", 4, 9)]


def test_duplicate_ids_name_the_first_definition(tmp_path: Path) -> None:
    write(tmp_path, {**MINIMAL, "inventory/z.yaml": "- id: db-shop\n  kind: database\n"
                     "  owner: team-ops\n"})
    repo = load(WorkingTree(tmp_path))
    (problem,) = repo.problems
    assert (problem.file, problem.line, problem.code) == ("inventory/z.yaml", 1, "duplicate-id")
    assert "inventory/assets.yaml line 11" in problem.message


def test_settings_change_folders_and_limits(tmp_path: Path) -> None:
    write(tmp_path, {
        "opsascode.yaml": "folders: {inventory: cmdb}\nmax_file_size: 100\n",
        "cmdb/teams.yaml": MINIMAL["inventory/teams.yaml"],
        "cmdb/big.yaml": "# " + "x" * 200 + "\n",
        "inventory/ignored.yaml": "not: [valid\n",
    })
    repo = load(WorkingTree(tmp_path))
    assert list(repo.records) == ["team-ops"]
    assert [(p.file, p.code) for p in repo.problems] == [("cmdb/big.yaml", "file-too-large")]


def test_bad_settings_are_reported_and_defaults_used(tmp_path: Path) -> None:
    write(tmp_path, {**MINIMAL, "opsascode.yaml": "version: 1\nfolderz: {}\n"})
    repo = load(WorkingTree(tmp_path))
    assert [(p.file, p.line, p.code) for p in repo.problems] == [
        ("opsascode.yaml", 2, "unknown-field")]
    assert repo.settings.folders.inventory == "inventory"


def test_symlink_to_a_file_read_anyway_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    (tmp_path / "inventory" / "link.yaml").symlink_to("teams.yaml")
    repo = load(WorkingTree(tmp_path))
    assert repo.problems == []
    assert repo.origins["team-ops"].file == "inventory/teams.yaml"


def test_symlink_inside_the_repository_is_followed(tmp_path: Path) -> None:
    write(tmp_path, {**MINIMAL, "shared/team.yaml": "- id: team-x\n  kind: team\n"
                     "  members: [x]\n"})
    (tmp_path / "inventory" / "link.yaml").symlink_to("../shared/team.yaml")
    repo = load(WorkingTree(tmp_path))
    assert repo.problems == []
    assert repo.origins["team-x"].file == "inventory/link.yaml"


def test_git_symlinks_inside_the_repository(tmp_path: Path) -> None:
    root = _git_repo(tmp_path)
    write(root, {"shared/team.yaml": "- id: team-x\n  kind: team\n  members: [x]\n"})
    (root / "inventory" / "link.yaml").symlink_to("../shared/team.yaml")
    (root / "inventory" / "same.yaml").symlink_to("teams.yaml")
    commit_all(root, "links")
    repo = load(GitTree(GitRepo(root), "HEAD"))
    assert repo.problems == []
    assert repo.origins["team-x"].file == "inventory/link.yaml"


def test_symlink_leaving_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("- id: x\n  kind: team\n  members: [a]\n")
    root = write(tmp_path / "repo", MINIMAL)
    (root / "inventory" / "evil.yaml").symlink_to(outside)
    repo = load(WorkingTree(root))
    assert [(p.file, p.code) for p in repo.problems] == [
        ("inventory/evil.yaml", "symlink-outside")]
    assert "x" not in repo.records


def _git_repo(tmp_path: Path) -> Path:
    root = init_git(write(tmp_path, MINIMAL))
    commit_all(root, "first")
    return root


def test_loads_a_git_revision_without_checking_it_out(tmp_path: Path) -> None:
    root = _git_repo(tmp_path)
    (root / "inventory" / "assets.yaml").write_text("- id: db-shop\n  kind: nope\n")
    from_rev = load(GitTree(GitRepo(root), "HEAD"))
    assert from_rev.problems == []
    assert "svc-shop" in from_rev.records
    assert load(WorkingTree(root)).problems  # the working tree differs


def test_git_symlink_leaving_the_repository_is_refused(tmp_path: Path) -> None:
    root = _git_repo(tmp_path)
    (root / "inventory" / "evil.yaml").symlink_to("/etc/passwd")
    commit_all(root, "link")
    repo = load(GitTree(GitRepo(root), "HEAD"))
    assert [(p.file, p.code) for p in repo.problems] == [
        ("inventory/evil.yaml", "symlink-outside")]


@pytest.mark.parametrize("rev", ["nope", "--output=/tmp/x", "HEAD~5"])
def test_unknown_revision_is_a_fatal_error(tmp_path: Path, rev: str) -> None:
    root = _git_repo(tmp_path)
    with pytest.raises(FatalError, match="unknown revision"):
        GitTree(GitRepo(root), rev)


def test_shallow_clone_says_how_to_fetch(tmp_path: Path) -> None:
    root = _git_repo(tmp_path / "origin")
    commit_all(root, "second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{root}", str(clone))
    with pytest.raises(FatalError, match="shallow clone"):
        GitRepo(clone).resolve("HEAD~1")


def test_cache_is_keyed_by_blob_and_reused(tmp_path: Path) -> None:
    root = _git_repo(tmp_path)
    cache = ParseCache(root / ".git")
    first = load(WorkingTree(root), cache=cache)
    entries = list(cache.root.rglob("*"))
    assert len([e for e in entries if e.is_file()]) == 2
    second = load(WorkingTree(root), cache=cache)
    assert second.records == first.records


def test_cache_entries_are_never_executed(tmp_path: Path) -> None:
    import pickle

    root = _git_repo(tmp_path)
    cache = ParseCache(root / ".git")
    load(WorkingTree(root), cache=cache)
    entry = next(e for e in cache.root.rglob("*") if e.is_file())

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    entry.write_bytes(pickle.dumps(Evil()))
    repo = load(WorkingTree(root), cache=cache)  # the tampered entry is a miss
    assert repo.problems == []
    assert len(repo.records) == 4


def test_cached_problems_are_reported_again(tmp_path: Path) -> None:
    root = _git_repo(tmp_path)
    (root / "inventory" / "bad.yaml").write_text("a: no\n")
    cache = ParseCache(root / ".git")
    first = load(WorkingTree(root), cache=cache)
    second = load(WorkingTree(root), cache=cache)
    assert [p.code for p in first.problems] == [p.code for p in second.problems]
    assert "ambiguous-scalar" in [p.code for p in second.problems]


def test_a_loader_parses_each_blob_once_across_revisions(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from opsascode import loader as loader_module
    from opsascode import yamlio

    root = _git_repo(tmp_path)
    (root / "inventory" / "assets.yaml").write_text(
        (root / "inventory" / "assets.yaml").read_text().replace("1.2", "1.3"))
    commit_all(root, "bump")
    parsed: list[bytes] = []
    real_parse = yamlio.parse

    def counting_parse(data: bytes, **kwargs: int) -> object:
        parsed.append(data)
        return real_parse(data, **kwargs)

    monkeypatch.setattr(loader_module.yamlio, "parse", counting_parse)
    shared = loader_module.Loader()
    base = shared.load(GitTree(GitRepo(root), "HEAD~1"))
    head = shared.load(GitTree(GitRepo(root), "HEAD"))
    assert len(parsed) == 3  # two files in base, one changed file in head
    assert base.records["team-ops"] is head.records["team-ops"]
    assert base.records["app-shop"] != head.records["app-shop"]


def test_ids_of_a_file_that_does_not_parse_are_not_dangling(tmp_path: Path) -> None:
    from datetime import date

    from opsascode.checks import run_checks

    write(tmp_path, {**MINIMAL, "inventory/teams.yaml": MINIMAL["inventory/teams.yaml"]
                     + "  broken: [\n"})
    repo = load(WorkingTree(tmp_path))
    assert [p.code for p in repo.problems] == ["yaml-syntax"]
    assert "team-ops" in repo.invalid_ids
    assert [p.code for p in run_checks(repo, date(2026, 11, 27))] == []


def test_a_binary_file_in_a_revision_is_refused_with_the_cache_on(tmp_path: Path) -> None:
    root = _git_repo(tmp_path)
    (root / "inventory" / "logo.yaml").write_bytes(b"id: x\n\x00\x01")
    commit_all(root, "binary")
    repo = load(GitTree(GitRepo(root), "HEAD"), cache=ParseCache(root / ".git"))
    assert [(p.file, p.code) for p in repo.problems] == [("inventory/logo.yaml", "binary-file")]


def test_files_git_knows_unmodified_are_not_read_when_cached(tmp_path: Path) -> None:
    root = _git_repo(tmp_path)
    cache = ParseCache(root / ".git")
    load(WorkingTree(root), cache=cache)  # fills the cache
    sources = list(WorkingTree(root).files(("inventory",), 10_000))
    assert [s.data for s in sources] == [None, None]  # read lazily, by blob id
    (root / "inventory" / "assets.yaml").write_text("- id: x\n  kind: nope\n")
    sources = list(WorkingTree(root).files(("inventory",), 10_000))
    assert [s.data is None for s in sources] == [False, True]  # the edited one is read
    assert [p.code for p in load(WorkingTree(root), cache=cache).problems] == ["unknown-kind"]
