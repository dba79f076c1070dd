"""A folder setting with an absolute path (written at test time: it depends on tmp_path)."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "leak.yaml").write_text("- id: svc-leak\n  kind: service\n", encoding="utf-8")
    (root / "opsascode.yaml").write_text(f"folders:\n  policies: {outside}\n", encoding="utf-8")
