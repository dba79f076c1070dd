"""Where the operations repository is, and how a command opens it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from opsascode.cache import ParseCache
from opsascode.errors import FatalError
from opsascode.git import git_dir_of
from opsascode.tree import SETTINGS_FILE, GitTree, Tree, WorkingTree


@dataclass(frozen=True)
class Options:
    """Global options, filled by the CLI."""

    directory: Path
    use_cache: bool = True


def find_root(start: Path) -> Path:
    """The directory holding ``opsascode.yaml`` at or above ``start``; else ``start``."""
    if not start.is_dir():
        raise FatalError(f"{start} is not a directory")
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / SETTINGS_FILE).is_file():
            return candidate
    return start


def cache_enabled(options: Options) -> bool:
    return options.use_cache and os.environ.get("OPSASCODE_CACHE", "1") not in ("0", "")


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
