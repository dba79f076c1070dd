"""opsascode.yaml itself may not be a link out of the repository."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    outside = root.parent / "outside.yaml"
    outside.write_text("max_file_size: 1\n", encoding="utf-8")
    (root / "opsascode.yaml").symlink_to(outside)
