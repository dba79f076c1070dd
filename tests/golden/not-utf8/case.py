"""Latin-1 text is refused with the position of the first byte that is not UTF-8."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    text = "- id: svc-cafe\n  kind: service\n  owner: team-ops\n  tier: 3\n  name: Caf\u00e9\n"
    (root / "inventory" / "cafe.yaml").write_bytes(text.encode("latin-1"))
