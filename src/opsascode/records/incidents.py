"""Incidents and problems (``incidents/``, ``problems/``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from opsascode.records.base import (
    AssetId,
    Effect,
    Handle,
    Level3,
    Model,
    Priority,
    Record,
    RecordId,
    Timestamp,
    empty_list,
)


class Outage(Model):
    """An interval in which an asset was down or degraded."""

    asset: AssetId = Field(description="The asset that was down or degraded.")
    start: Timestamp = Field(description="When the outage began, with a timezone.")
    end: Timestamp | None = Field(
        default=None, description="When it ended, with a timezone; open-ended while ongoing."
    )
    effect: Effect = Field(
        default="outage", description="How bad it was: outage (down), degraded or none."
    )


class Pause(Model):
    """An interval the SLA clock stops (e.g. waiting for the user)."""

    start: Timestamp = Field(description="When the SLA clock stopped, with a timezone.")
    end: Timestamp = Field(description="When the SLA clock restarted, with a timezone.")
    reason: str | None = Field(
        default=None, description="Why the clock stopped, e.g. waiting for the user."
    )


#: The timestamps of an incident, in the order they must happen.
INCIDENT_CLOCK: tuple[str, ...] = (
    "detected_at",
    "reported_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
)


class Incident(Record):
    """An incident: an unplanned interruption or degradation of a service."""

    kind: Literal["incident"] = Field(description="Always `incident`.")
    id: RecordId = Field(description="Unique incident id, e.g. INC-2026-0007; upper case allowed.")
    title: str = Field(min_length=1, description="One-line summary of the incident.")
    status: Literal["open", "acknowledged", "resolved", "closed"] = Field(
        default="open", description="Progress: open, acknowledged, resolved or closed."
    )
    reported_by: Handle | None = Field(
        default=None, description="Handle of the person who reported the incident."
    )
    detected_at: Timestamp | None = Field(
        default=None, description="When the fault was first detected, e.g. by monitoring."
    )
    reported_at: Timestamp = Field(description="When the incident was reported, with a timezone.")
    acknowledged_at: Timestamp | None = Field(
        default=None, description="When someone took the incident on (for MTTA)."
    )
    resolved_at: Timestamp | None = Field(
        default=None,
        description="When service was restored (for MTTR); required once resolved or closed.",
    )
    closed_at: Timestamp | None = Field(
        default=None, description="When the incident was closed, with a timezone."
    )
    impact: Level3 = Field(description="How widely the business is hit: high, medium or low.")
    urgency: Level3 = Field(description="How fast it must be fixed: high, medium or low.")
    priority: Priority | None = Field(
        default=None, description="Optional; must agree with the priority matrix."
    )
    team: AssetId | None = Field(default=None, description="Team handling the incident.")
    assignee: Handle | None = Field(
        default=None, description="Handle of the engineer working on the incident."
    )
    affected: list[AssetId] = Field(
        default_factory=empty_list, description="Ids of the affected assets and services."
    )
    outages: list[Outage] = Field(
        default_factory=empty_list, description="Intervals in which assets were down or degraded."
    )
    paused: list[Pause] = Field(
        default_factory=empty_list, description="Intervals in which the SLA clock stops."
    )
    caused_by: RecordId | None = Field(
        default=None, description="Id of the change that caused the incident."
    )
    problem: RecordId | None = Field(
        default=None, description="Id of the problem record this incident belongs to."
    )
    description: str | None = Field(default=None, description="What happened, as reported.")
    root_cause: str | None = Field(default=None, description="Why it happened.")
    resolution: str | None = Field(default=None, description="How service was restored.")
    lessons: str | None = Field(default=None, description="Lessons learned and follow-up actions.")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="User rating 1-5.")


class Problem(Record):
    """A problem: the underlying cause of one or more incidents."""

    kind: Literal["problem"] = Field(description="Always `problem`.")
    id: RecordId = Field(description="Unique problem id, e.g. PRB-2026-0001; upper case allowed.")
    title: str = Field(min_length=1, description="One-line summary of the problem.")
    status: Literal["open", "known_error", "resolved", "closed"] = Field(
        default="open", description="Progress: open, known_error, resolved or closed."
    )
    owner: AssetId | None = Field(default=None, description="Team that owns the problem.")
    opened_at: Timestamp = Field(description="When the problem was opened, with a timezone.")
    resolved_at: Timestamp | None = Field(
        default=None, description="When the problem was resolved, with a timezone."
    )
    incidents: list[RecordId] = Field(
        default_factory=empty_list, description="Ids of the incidents this problem caused."
    )
    affected: list[AssetId] = Field(
        default_factory=empty_list, description="Ids of the affected assets and services."
    )
    root_cause: str | None = Field(default=None, description="The underlying cause, once found.")
    known_error: bool = Field(
        default=False, description="Whether the root cause is known and documented (a known error)."
    )
    workaround: str | None = Field(
        default=None, description="How to restore service until the fix is in."
    )
    fixed_by: RecordId | None = Field(default=None, description="The change that fixes it.")
