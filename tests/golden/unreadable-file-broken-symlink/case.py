"""A link to a file that does not exist (inside the repository) cannot be read."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    (root / "inventory" / "gone.yaml").symlink_to("deleted.yaml")
