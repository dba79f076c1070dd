from __future__ import annotations

from opsascode.cli import main

raise SystemExit(main())
