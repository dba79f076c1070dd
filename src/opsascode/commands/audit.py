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
from typing import TYPE_CHECKING, NamedTuple, TextIO

from opsascode import lifetime
from opsascode.git import GitRepo, LogPass
from opsascode.roots import Options, branch_named, cache_enabled, find_root

if TYPE_CHECKING:
    from opsascode.approvals.github import MergedPulls
    from opsascode.audit import AuditReport
    from opsascode.cache import ParseCache
    from opsascode.parseahead import ParseAhead


class Started(NamedTuple):
    """A started audit: the operations repository's root, its git repository, its
    parse cache, and the work under way on the second core: the history pass, then
    the parse of the branch tip's files."""

    root: Path
    git: GitRepo
    cache: ParseCache | None
    log: LogPass
    ahead: ParseAhead

    def close(self) -> None:
        self.ahead.close()
        self.log.close()
        self.git.close()


def start(options: Options) -> Started:
    """Find the repository, start the one ``git log`` pass of its default branch and
    a worker that parses the files of its tip (it waits for git, at a low priority).
    git starts first: it finds its repository from the operations repository's root,
    and its paths are from the top of it, wherever it runs."""
    root = find_root(options.directory)
    log = LogPass(root, branch_named(root))
    try:
        git = GitRepo(root)
        git.require_at_top()
    except BaseException:
        log.close()
        raise
    from opsascode.cache import ParseCache
    from opsascode.parseahead import ParseAhead

    cache = ParseCache(git.git_dir) if cache_enabled(options) else None
    return Started(root, git, cache, log, ParseAhead(git.top, log.rev, cache))


def build_audit(options: Options, since: date | None, until: date | None,
                asset: str | None = None, replay: str | None = None,
                now: datetime | None = None, started: Started | None = None,
                reviews: MergedPulls | None = None) -> AuditReport:
    """The audit as data (for ``demo`` and other callers); ``now`` defaults to the
    current time; ``reviews``: judge merges by GitHub reviews."""
    from opsascode.audit import run_audit
    from opsascode.loader import Loader

    started = started or start(options)
    lifetime.keep(started)  # the history read and the worker's results
    try:
        loader = Loader(started.cache)
        # The revisions the merges' replays load share most of their files with the tip.
        loader.ahead = started.ahead
        return run_audit(started.git, loader, since, until, now or datetime.now(UTC),
                         asset=asset, replay=replay, log=started.log, reviews=reviews)
    finally:
        started.close()


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
