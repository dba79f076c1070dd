from __future__ import annotations

from opsascode.cli import run

run()
