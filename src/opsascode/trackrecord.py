"""Track record: a transparent success score from the repository's own history.

Every implemented change (completed, failed or rolled back) with a review counts
once: ``success`` scores 1, ``success_with_issues`` 0.5, ``failed`` and
``rolled_back`` 0, and a change that caused an incident (its review lists one, or an
incident names it in ``caused_by``) scores 0 whatever its review says. The score of a
team or of a set of assets is the mean over their changes, shown with the counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from opsascode.records.changes import IMPLEMENTED_STATUSES
from opsascode.repository import Repository

_POINTS = {"success": 1.0, "success_with_issues": 0.5, "failed": 0.0, "rolled_back": 0.0}


@dataclass(frozen=True)
class Outcome:
    change: str
    team: str
    targets: frozenset[str]
    result: str
    caused_incidents: bool

    @property
    def points(self) -> float:
        return 0.0 if self.caused_incidents else _POINTS[self.result]


@dataclass(frozen=True)
class Tally:
    """The counts behind a success score."""

    changes: tuple[str, ...]
    success: int
    with_issues: int
    failed: int
    rolled_back: int
    caused_incidents: int
    points: float

    @property
    def score(self) -> float | None:
        """0..1, or None without history."""
        return self.points / len(self.changes) if self.changes else None

    def summary(self) -> str:
        if not self.changes:
            return "no implemented changes yet"
        return (f"{len(self.changes)} implemented: {self.success} successful, "
                f"{self.with_issues} with issues, {self.failed} failed, "
                f"{self.rolled_back} rolled back; {self.caused_incidents} caused incidents")


def tally(outcomes: Iterable[Outcome]) -> Tally:
    items = sorted(outcomes, key=lambda o: o.change)
    return Tally(
        changes=tuple(o.change for o in items),
        success=sum(o.result == "success" for o in items),
        with_issues=sum(o.result == "success_with_issues" for o in items),
        failed=sum(o.result == "failed" for o in items),
        rolled_back=sum(o.result == "rolled_back" for o in items),
        caused_incidents=sum(o.caused_incidents for o in items),
        points=sum(o.points for o in items),
    )


class TrackRecords:
    """Outcomes of the repository's implemented changes, by team and by asset."""

    def __init__(self, repo: Repository) -> None:
        caused: dict[str, set[str]] = {}
        for incident in repo.incidents():
            if incident.caused_by:
                caused.setdefault(incident.caused_by, set()).add(incident.id)
        self.outcomes = [
            Outcome(c.id, c.team, frozenset(c.targets), c.review.result,
                    bool(caused.get(c.id) or c.review.incidents))
            for c in repo.changes()
            if c.status in IMPLEMENTED_STATUSES and c.review is not None
        ]

    def of_team(self, team: str, excluding: str | None = None) -> Tally:
        return tally(o for o in self.outcomes if o.team == team and o.change != excluding)

    def of_assets(self, assets: Iterable[str], excluding: str | None = None) -> Tally:
        wanted = frozenset(assets)
        return tally(o for o in self.outcomes if o.targets & wanted and o.change != excluding)
