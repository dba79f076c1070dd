"""``opsascode audit``: the audit trail of the default branch over a period: change
request timelines, approvals, violations, policy changes, an asset's history, and
the period's merges judged again under another revision's policy."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from typing import TextIO

from opsascode.audit import AuditReport, run_audit
from opsascode.git import GitRepo
from opsascode.loader import Loader
from opsascode.report import audit as report
from opsascode.workspace import Options, find_root, open_cache


def build_audit(options: Options, since: date | None, until: date | None,
                asset: str | None = None, replay: str | None = None,
                now: datetime | None = None) -> AuditReport:
    """The audit as data (for ``demo`` and other callers); ``now`` defaults to the
    current time."""
    root = find_root(options.directory)
    git = GitRepo(root)
    loader = Loader(open_cache(root, options))
    return run_audit(git, loader, since, until, now or datetime.now(UTC), asset=asset,
                     replay=replay)


def audit(options: Options, fmt: str, since: date | None, until: date | None,
          asset: str | None, replay: str | None, strict: bool, out: TextIO | None = None,
          *, now: datetime | None = None) -> int:
    """Print the audit; with ``strict``, exit 1 when there are violations."""
    result = build_audit(options, since, until, asset, replay, now)
    render = {"json": report.as_json, "markdown": report.as_markdown,
              "html": report.as_html}.get(fmt, report.as_text)
    print(render(result), file=out or sys.stdout)
    return 1 if strict and result.violations else 0
