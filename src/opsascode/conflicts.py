"""Schedule conflicts of a change: other changes whose windows overlap and whose
blast radii intersect, targets outside their maintenance windows, and freezes.

Two changes conflict only when both hold: their windows overlap *and* what they can
take down overlaps; a change on a different corner of the estate at the same time
is not a conflict, and neither is one on the same asset next week.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from opsascode.calendars import BusinessCalendar
from opsascode.impact import BlastRadius
from opsascode.records import Change
from opsascode.records.assets import AssetBase

#: Statuses of changes that may still happen, and so may still collide.
ACTIVE = frozenset({"requested", "approved", "scheduled", "implementing"})
_SHOWN = 8


@dataclass(frozen=True)
class Conflict:
    kind: str  # change | maintenance | freeze
    subject: str  # the other change, the asset, or the freeze
    message: str


def overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def active_changes(changes: Iterable[Change]) -> list[Change]:
    """The changes that may still collide with another, in id order (worked out once
    for all the changes a plan judges)."""
    return sorted((c for c in changes if c.status in ACTIVE), key=lambda c: c.id)


def change_conflicts(change: Change, radius: BlastRadius, others: Iterable[Change],
                     radius_of: Callable[[Change], BlastRadius]) -> list[Conflict]:
    """Conflicts with ``others`` (as :func:`active_changes` gives them: active, in id
    order)."""
    found = []
    mine = radius.ids()
    for other in others:
        if other.id == change.id:
            continue
        if not overlap(change.window.start, change.window.end, other.window.start,
                       other.window.end):
            continue
        common = mine & radius_of(other).ids()
        if not common:
            continue
        shared = sorted(common)
        more = f" (+{len(shared) - _SHOWN} more)" if len(shared) > _SHOWN else ""
        found.append(Conflict("change", other.id,
                              f"{other.id} ({other.status}) runs at the same time "
                              f"({other.window.start.isoformat()} to "
                              f"{other.window.end.isoformat()}) and shares the blast radius: "
                              f"{', '.join(shared[:_SHOWN])}{more}"))
    return found


def maintenance_conflicts(change: Change, targets: list[AssetBase],
                          calendar: BusinessCalendar) -> list[Conflict]:
    found = []
    for asset in targets:
        inside = calendar.inside_maintenance(change.window.start, change.window.end, asset)
        if inside is False:
            names = ", ".join(sorted(w.name for w in calendar.maintenance_for(asset)))
            found.append(Conflict("maintenance", asset.id,
                                  f"the window is outside {asset.id}'s maintenance windows "
                                  f"({names})"))
    return found


def freeze_conflicts(change: Change, targets: list[AssetBase],
                     calendar: BusinessCalendar) -> list[Conflict]:
    names: dict[str, list[str]] = {}
    for asset in targets:
        for freeze in calendar.freezes_overlapping(change.window.start, change.window.end,
                                                   asset):
            names.setdefault(freeze.name, []).append(asset.id)
    return [Conflict("freeze", name, f"the window is inside freeze {name!r} "
                     f"(applies to {', '.join(sorted(ids))})")
            for name, ids in sorted(names.items())]
