"""Where the operations repository is, and how a command opens it."""

from __future__ import annotations

from pathlib import Path

from opsascode.cache import ParseCache
from opsascode.errors import FatalError
from opsascode.git import git_dir_of
from opsascode.repository import Repository

# Re-exported: commands import them from here.
from opsascode.roots import Options as Options
from opsascode.roots import cache_enabled as cache_enabled
from opsascode.roots import find_root as find_root
from opsascode.tree import SETTINGS_FILE, GitTree, Tree, WorkingTree

#: Problems that make a tree unfit for commands other than ``validate``: a file
#: that could not be read may hold records the command would silently miss.
_UNREADABLE = frozenset({"yaml-syntax", "yaml-too-deep", "file-too-large", "binary-file",
                         "not-utf8", "unreadable-file", "symlink-outside", "alias-bomb",
                         "unsupported-tag", "invalid-scalar"})


def open_cache(root: Path, options: Options) -> ParseCache | None:
    if not cache_enabled(options):
        return None
    git_dir = git_dir_of(root)
    return ParseCache(git_dir) if git_dir is not None else None


def open_tree(root: Path, rev: str | None) -> Tree:
    if rev is None:
        return WorkingTree(root)
    from opsascode.git import GitRepo

    return GitTree(GitRepo(root), rev)


def require_readable(repo: Repository) -> None:
    """Refuse to work on a tree with unreadable files or a broken ``opsascode.yaml``."""
    for problem in sorted(repo.problems):
        if problem.is_error and (problem.code in _UNREADABLE or problem.file == SETTINGS_FILE):
            raise FatalError(f"{problem.file}:{problem.line}:{problem.column}: "
                             f"{problem.message}; fix it first (`opsascode validate` lists "
                             "every problem)")
