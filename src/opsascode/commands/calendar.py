"""``opsascode calendar``: export the change schedule as text or iCalendar."""

from __future__ import annotations

import sys
from datetime import date
from typing import TextIO

from opsascode.errors import FatalError, UsageError
from opsascode.loader import load
from opsascode.report import schedule as report
from opsascode.schedule import change_schedule
from opsascode.workspace import Options, find_root, open_cache, open_tree


def calendar(options: Options, fmt: str, since: date | None, until: date | None,
             out: TextIO | None = None, *, maintenance: bool = True) -> int:
    """Write the schedule of changes, freezes and (with ``maintenance``) maintenance
    window occurrences from ``since`` to ``until`` (days in the repository's timezone,
    both included)."""
    out = out or sys.stdout
    if since is not None and until is not None and until < since:
        raise UsageError(f"--until {until} is before --since {since}")
    root = find_root(options.directory)
    repo = load(open_tree(root, None), cache=open_cache(root, options))
    if any(p.is_error and p.code in _UNREADABLE for p in repo.problems):
        raise FatalError("the repository has files that cannot be read; run "
                         "`opsascode validate` and fix them first")
    schedule = change_schedule(repo, since, until, maintenance=maintenance)
    if fmt == "ics":
        # The bytes carry their own CRLF line endings, as RFC 5545 wants.
        out.write(report.as_ics(schedule).decode("utf-8"))
    else:
        print(report.as_text(schedule), file=out)
    return 0


_UNREADABLE = frozenset({"yaml-syntax", "file-too-large", "binary-file", "not-utf8"})
