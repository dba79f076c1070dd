"""``opsascode calendar``: export the change schedule as text or iCalendar."""

from __future__ import annotations

import sys
from datetime import date
from typing import TextIO

from opsascode.errors import UsageError
from opsascode.loader import load
from opsascode.report import schedule as report
from opsascode.schedule import change_schedule
from opsascode.workspace import Options, find_root, open_cache, open_tree, require_readable


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
    require_readable(repo)
    schedule = change_schedule(repo, since, until, maintenance=maintenance)
    if fmt == "ics":
        # The bytes carry their own CRLF line endings, as RFC 5545 wants.
        out.write(report.as_ics(schedule).decode("utf-8"))
    else:
        print(report.as_text(schedule), file=out)
    return 0

