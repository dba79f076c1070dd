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
)


class Outage(Model):
    asset: AssetId = Field(description="The asset that was down or degraded.")
    start: Timestamp
    end: Timestamp | None = Field(default=None, description="Open-ended while ongoing.")
    effect: Effect = "outage"


class Pause(Model):
    """An interval the SLA clock stops (e.g. waiting for the user)."""

    start: Timestamp
    end: Timestamp
    reason: str | None = None


#: The timestamps of an incident, in the order they must happen.
INCIDENT_CLOCK: tuple[str, ...] = (
    "detected_at",
    "reported_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
)


class Incident(Record):
    kind: Literal["incident"]
    id: RecordId
    title: str = Field(min_length=1)
    status: Literal["open", "acknowledged", "resolved", "closed"] = "open"
    reported_by: Handle | None = None
    detected_at: Timestamp | None = None
    reported_at: Timestamp
    acknowledged_at: Timestamp | None = None
    resolved_at: Timestamp | None = None
    closed_at: Timestamp | None = None
    impact: Level3 = Field(description="How widely the business is hit.")
    urgency: Level3 = Field(description="How fast it must be fixed.")
    priority: Priority | None = Field(
        default=None, description="Optional; must agree with the priority matrix."
    )
    team: AssetId | None = Field(default=None, description="Team handling the incident.")
    assignee: Handle | None = None
    affected: list[AssetId] = Field(default_factory=list)
    outages: list[Outage] = Field(default_factory=list)
    paused: list[Pause] = Field(default_factory=list)
    caused_by: RecordId | None = Field(default=None, description="Change that caused it.")
    problem: RecordId | None = None
    description: str | None = None
    root_cause: str | None = None
    resolution: str | None = None
    lessons: str | None = None
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="User rating 1-5.")


class Problem(Record):
    kind: Literal["problem"]
    id: RecordId
    title: str = Field(min_length=1)
    status: Literal["open", "known_error", "resolved", "closed"] = "open"
    owner: AssetId | None = Field(default=None, description="Team that owns the problem.")
    opened_at: Timestamp
    resolved_at: Timestamp | None = None
    incidents: list[RecordId] = Field(default_factory=list)
    affected: list[AssetId] = Field(default_factory=list)
    root_cause: str | None = None
    known_error: bool = False
    workaround: str | None = None
    fixed_by: RecordId | None = Field(default=None, description="The change that fixes it.")
