"""600 nested lists (libyaml accepts up to 1000) in a file that also uses an alias."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    depth = 600
    text = (
        "- id: svc-deep\n  kind: service\n  owner: team-ops\n  tier: 3\n"
        "  name: &name Deep\n  description: *name\n"
        "  attributes: {x: " + "[" * depth + "]" * depth + "}\n"
    )
    (root / "inventory" / "deep.yaml").write_text(text, encoding="utf-8")
