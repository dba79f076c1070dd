"""An unclosed flow sequence at the very end of a file without a final newline
(written here: editors and git hooks like to add the newline)."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    text = "- id: svc-blog\n  kind: service\n  depends_on: [svc-shop"
    (root / "inventory" / "blog.yaml").write_text(text, encoding="utf-8")
