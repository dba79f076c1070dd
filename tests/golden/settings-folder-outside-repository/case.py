"""A folder setting that climbs out of the repository."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "leak.yaml").write_text("- id: svc-leak\n  kind: service\n", encoding="utf-8")
