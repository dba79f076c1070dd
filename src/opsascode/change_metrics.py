"""Change KPIs: change failure rate, success score per team, lead time, volume.

Definitions (the README repeats them):

* A change is *implemented* when its status is completed, failed or rolled_back; it
  counts in the period that holds its ``implemented_at`` (else its window's end).
* **Change failure rate** = implemented changes that failed / implemented changes. A
  change failed when its review says ``failed`` or ``rolled_back``, or it caused an
  incident (an incident names it in ``caused_by``, or its review lists one). Each
  change is counted once, in both numerator and denominator, by its id: a change
  that caused three incidents is one failure, never three.
* **Success score** per implementing team: see :mod:`opsascode.trackrecord`
  (success 1, success with issues 0.5, failed, rolled back or causing an incident 0),
  over the period's implemented changes.
* **Lead time** (from git, :mod:`opsascode.leadtime`): first commit of the branch to
  the merge of the change request, for changes merged in the period; mean and median.
* **Volume**: changes whose window starts in the period, by type and outcome (the
  review's result once reviewed, else the status).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opsascode.leadtime import LeadTime
from opsascode.records import Change
from opsascode.records.changes import IMPLEMENTED_STATUSES
from opsascode.repository import Repository
from opsascode.trackrecord import Outcome, Tally, tally


@dataclass
class ChangeMetrics:
    implemented: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    teams: dict[str, Tally] = field(default_factory=dict)
    lead_times: list[LeadTime] = field(default_factory=list)
    volume: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def failure_rate(self) -> float | None:
        """Percent, or None when nothing was implemented."""
        return 100 * len(self.failed) / len(self.implemented) if self.implemented else None

    @property
    def lead_time_mean(self) -> timedelta | None:
        values = [t.lead_time for t in self.lead_times]
        return sum(values, timedelta()) / len(values) if values else None

    @property
    def lead_time_median(self) -> timedelta | None:
        values = sorted(t.lead_time.total_seconds() for t in self.lead_times)
        return timedelta(seconds=statistics.median(values)) if values else None


_UNREVIEWED = {"completed": "success", "failed": "failed", "rolled_back": "rolled_back"}


def implemented_at(change: Change) -> datetime:
    return change.implemented_at or change.window.end


def change_metrics(repo: Repository, since: datetime, until: datetime,
                   lead_times: dict[str, LeadTime] | None = None) -> ChangeMetrics:
    caused = {i.caused_by for i in repo.incidents() if i.caused_by}
    metrics = ChangeMetrics()
    outcomes: list[Outcome] = []
    for change in sorted(repo.changes(), key=lambda c: c.id):
        if since <= change.window.start < until:
            outcome = change.review.result if change.review else change.status
            row = metrics.volume.setdefault(change.type, {})
            row[outcome] = row.get(outcome, 0) + 1
        if change.status not in IMPLEMENTED_STATUSES or not (
                since <= implemented_at(change) < until):
            continue
        metrics.implemented.append(change.id)
        # Without a review (validate reports that) the status speaks for the outcome.
        review = change.review.result if change.review else _UNREVIEWED[change.status]
        harmed = change.id in caused or bool(change.review and change.review.incidents)
        if harmed or review in ("failed", "rolled_back"):
            metrics.failed.append(change.id)
        outcomes.append(Outcome(change.id, change.team, frozenset(change.targets), review,
                                harmed))
    for team in sorted({o.team for o in outcomes}):
        metrics.teams[team] = tally(o for o in outcomes if o.team == team)
    metrics.lead_times = sorted((t for t in (lead_times or {}).values()
                                 if since <= t.merged_at < until), key=lambda t: t.change)
    return metrics


def volume_totals(metrics: ChangeMetrics) -> Counter[str]:
    return Counter({kind: sum(row.values()) for kind, row in metrics.volume.items()})
