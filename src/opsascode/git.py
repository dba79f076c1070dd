"""Every git call lives here; failures become :class:`FatalError` with a hint.

Trees are read from the object database (``ls-tree`` and a persistent
``cat-file --batch`` through GitPython), never by checking a revision out.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsascode.errors import FatalError

SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    blob_id: str
    size: int


def _repo(root: Path) -> Any:
    import git  # GitPython costs ~0.2 s to import: only when git is needed

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise FatalError(
            f"{root} is not inside a git repository; run `git init` or pass -C DIR"
        ) from None


class GitRepo:
    """A git repository, opened once per command."""

    def __init__(self, root: Path) -> None:
        self._repo = _repo(root)
        self.top = Path(self._repo.working_tree_dir or root)
        self.git_dir = Path(self._repo.common_dir)

    def resolve(self, rev: str) -> str:
        """The commit id of ``rev``, or a FatalError that says how to get it."""
        import git

        try:
            # ``--end-of-options``: a revision that starts with "-" is not an option.
            out = self._repo.git.rev_parse("--verify", "--quiet", "--end-of-options",
                                           f"{rev}^{{commit}}")
            return str(out).strip()
        except git.GitCommandError:
            hint = ""
            if self._repo.git.rev_parse("--is-shallow-repository").strip() == "true":
                hint = " (this is a shallow clone: `git fetch --unshallow` or a deeper fetch)"
            raise FatalError(f"unknown revision {rev!r}{hint}") from None

    def tree(self, rev: str, folders: tuple[str, ...]) -> list[TreeEntry]:
        commit = self.resolve(rev)
        out = self._repo.git.ls_tree("-r", "-l", "--full-tree", "-z", commit, "--", *folders)
        return list(_parse_ls_tree(out))

    def merge_base(self, a: str, b: str) -> str | None:
        import git

        try:
            return str(self._repo.git.merge_base(self.resolve(a), self.resolve(b))).strip()
        except git.GitCommandError:
            return None

    def default_base(self, default_branch: str) -> str:
        """The merge base of HEAD with the default branch (local, else origin's)."""
        for candidate in (default_branch, f"origin/{default_branch}"):
            try:
                self.resolve(candidate)
            except FatalError:
                continue
            base = self.merge_base(candidate, "HEAD")
            if base:
                return base
        raise FatalError(
            f"cannot find the default branch {default_branch!r} (nor origin/{default_branch}) "
            "to compare with; pass --base REV, or fetch it (`git fetch origin "
            f"{default_branch}`; in a shallow clone also `git fetch --deepen=100`)"
        )

    def changed_paths(self, base: str, head: str) -> list[str]:
        """Files that differ between two commits (renames as delete + add)."""
        out = self._repo.git.diff("--name-only", "--no-renames", "-z", self.resolve(base),
                                  self.resolve(head), "--")
        return sorted(p for p in str(out).split("\0") if p)

    def read_blob(self, blob_id: str) -> bytes:
        stream = self._repo.odb.stream(bytes.fromhex(blob_id))
        data: bytes = stream.read()
        return data


def _parse_ls_tree(out: str) -> Iterator[TreeEntry]:
    for record in out.split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, blob_id, size = meta.split()
        if kind == "blob":
            yield TreeEntry(path, mode, blob_id, int(size) if size != "-" else 0)


def git_dir_of(root: Path) -> Path | None:
    """The common git directory above ``root``, or None outside git (cheap: no GitPython)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out) if out else None
