"""Symbolic links that leave the repository are refused, absolute or relative;
a link to a file inside the repository is read like any file."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "secrets.yaml").write_text("- id: svc-secret\n  kind: service\n", encoding="utf-8")
    inventory = root / "inventory"
    (inventory / "absolute.yaml").symlink_to(outside / "secrets.yaml")
    (inventory / "relative.yaml").symlink_to(Path("..", "..", "outside", "secrets.yaml"))
    (inventory / "inside.yaml").symlink_to(Path("..", "shared", "services.yaml"))
