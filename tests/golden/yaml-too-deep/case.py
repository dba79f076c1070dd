"""1,200 nested flow sequences: more than any parser should follow."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    depth = 1200
    text = "- id: svc-deep\n  kind: service\n  attributes: {x: " + "[" * depth + "]" * depth + "}\n"
    (root / "inventory" / "deep.yaml").write_text(text, encoding="utf-8")
