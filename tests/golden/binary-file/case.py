"""A file with NUL bytes (a binary, or UTF-16 text) is refused at the first NUL."""

from __future__ import annotations

from pathlib import Path


def prepare(root: Path) -> None:
    inventory = root / "inventory"
    logo = b"- id: svc-logo\n  kind: service\n  data: \x89PNG\x00\x1a\n"
    (inventory / "logo.yaml").write_bytes(logo)
    (inventory / "utf16.yaml").write_bytes("- id: svc-blog\n".encode("utf-16-le"))
