"""``opsascode kpi``: KPIs against targets over a period."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from opsascode.errors import UsageError
from opsascode.kpi import kpi_report
from opsascode.leadtime import LeadTime, lead_times
from opsascode.loader import load
from opsascode.report import kpi as report
from opsascode.repository import Repository
from opsascode.workspace import Options, find_root, open_cache, open_tree, require_readable


def period(repo: Repository, since: date | None, until: date | None, today: date
           ) -> tuple[datetime, datetime]:
    """Days in the repository's timezone; ``until`` is included. Defaults: the twelve
    months up to and including today."""
    zone = ZoneInfo(repo.settings.timezone)
    last = until or today
    first = since or (last.replace(day=1) - timedelta(days=335)).replace(day=1)
    if first > last:
        raise UsageError(f"--since {first} is after --until {last}")
    return (datetime.combine(first, time(), tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time(), tzinfo=zone))


def _lead_times(root_repo: Repository, options: Options) -> dict[str, LeadTime]:
    from opsascode.errors import FatalError
    from opsascode.git import GitRepo

    try:
        git = GitRepo(find_root(options.directory))
        files = {o.file: record_id for record_id, o in root_repo.origins.items()
                 if root_repo.records[record_id].kind == "change"}
        return lead_times(git, "HEAD", files, root_repo.settings.folders.changes)
    except FatalError:
        return {}  # not a git repository (or no commits): no lead times


def kpi(options: Options, fmt: str, since: date | None, until: date | None,
        today: date | None = None, out: TextIO | None = None) -> int:
    root = find_root(options.directory)
    repo = load(open_tree(root, None), cache=open_cache(root, options))
    require_readable(repo)
    start, end = period(repo, since, until, today or date.today())
    result = kpi_report(repo, start, end, _lead_times(repo, options))
    render = {"json": report.as_json, "markdown": report.as_markdown,
              "html": report.as_html}.get(fmt, report.as_text)
    print(render(result), file=out or sys.stdout)
    return 0
