"""The bundled example operations repository, copied into a test's own git repo."""

from __future__ import annotations

import shutil
from pathlib import Path

from testing.repos import commit_all, init_git

ROOT = Path(__file__).parent.parent
PARTS = ("opsascode.yaml", "inventory", "policies", "changes", "incidents", "problems")


def copy_example(dest: Path) -> Path:
    """Copy the example into ``dest`` as a git repository with one commit on main."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part)
        else:
            shutil.copy2(source, dest / part)
    init_git(dest)
    commit_all(dest, "the example")
    return dest
