"""``opsascode audit``: the audit trail of the default branch over a period: change
request timelines, approvals, violations, policy changes, an asset's history, and
the period's merges judged again under another revision's policy.

:func:`start` runs first, before the rest of the program is imported: git reads the
history on the second core while Python loads.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from opsascode.git import GitRepo, LogPass
from opsascode.roots import branch_named, find_root

if TYPE_CHECKING:
    from opsascode.approvals.github import MergedPulls
    from opsascode.audit import AuditReport
    from opsascode.roots import Options

#: A started audit: the operations repository's root, its git repository and its
#: history pass, under way.
Started = tuple[Path, GitRepo, LogPass]


def start(directory: Path) -> Started:
    """Find the repository and start the one ``git log`` pass of its default branch."""
    root = find_root(directory)
    git = GitRepo(root)
    return root, git, LogPass(git.top, branch_named(root))


def build_audit(options: Options, since: date | None, until: date | None,
                asset: str | None = None, replay: str | None = None,
                now: datetime | None = None, started: Started | None = None,
                reviews: MergedPulls | None = None) -> AuditReport:
    """The audit as data (for ``demo`` and other callers); ``now`` defaults to the
    current time; ``reviews``: judge merges by GitHub reviews."""
    from opsascode.audit import run_audit
    from opsascode.loader import Loader
    from opsascode.workspace import open_cache

    root, git, log = started or start(options.directory)
    try:
        loader = Loader(open_cache(root, options))
        return run_audit(git, loader, since, until, now or datetime.now(UTC), asset=asset,
                         replay=replay, log=log, reviews=reviews)
    finally:
        log.close()
        git.close()


def audit(options: Options, fmt: str, since: date | None, until: date | None,
          asset: str | None, replay: str | None, strict: bool, out: TextIO | None = None,
          *, now: datetime | None = None, started: Started | None = None,
          reviews: MergedPulls | None = None) -> int:
    """Print the audit; with ``strict``, exit 1 when there are violations."""
    result = build_audit(options, since, until, asset, replay, now, started, reviews)
    from opsascode.report import audit as report

    render = {"json": report.as_json, "markdown": report.as_markdown,
              "html": report.as_html}.get(fmt, report.as_text)
    print(render(result), file=out or sys.stdout)
    return 1 if strict and result.violations else 0
