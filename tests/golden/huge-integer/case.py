"""users: a 5,000-digit number."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    record = "- id: svc-big\n  kind: service\n  owner: team-ops\n  tier: 3\n"
    text = record + "  users: " + "9" * 5000 + "\n"
    (root / "inventory" / "big.yaml").write_text(text, encoding="utf-8")
