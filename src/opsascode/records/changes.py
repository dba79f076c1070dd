"""Change requests (``changes/``): one file per change."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from opsascode.records.base import (
    AssetId,
    Effect,
    Handle,
    Model,
    Record,
    RecordId,
    Timestamp,
    empty_list,
)

ChangeType = Literal["standard", "normal", "emergency"]
Action = Literal[
    "add", "modify", "upgrade", "patch", "restart", "migrate", "decommission", "config"
]
ChangeStatus = Literal[
    "requested",
    "approved",
    "scheduled",
    "implementing",
    "completed",
    "failed",
    "rolled_back",
    "cancelled",
]
#: Statuses after implementation: a post-implementation review is due.
IMPLEMENTED_STATUSES: frozenset[str] = frozenset({"completed", "failed", "rolled_back"})
ReviewResult = Literal["success", "success_with_issues", "failed", "rolled_back"]


class Window(Model):
    """When a change is carried out: timezone-aware start and end."""

    start: Timestamp = Field(description="Start, with a timezone.")
    end: Timestamp = Field(description="End, with a timezone; after start.")


class Review(Model):
    """Post-implementation review."""

    result: ReviewResult = Field(
        description="Outcome: success, success_with_issues, failed or rolled_back."
    )
    reviewed_by: Handle | None = Field(
        default=None, description="Handle of the person who did the review."
    )
    reviewed_at: Timestamp | None = Field(
        default=None, description="When the review was done, with a timezone."
    )
    incidents: list[RecordId] = Field(
        default_factory=empty_list, description="Incidents the change caused."
    )
    notes: str | None = Field(default=None, description="Findings and follow-ups of the review.")


class Approval(Model):
    """A git-native approval, written by ``opsascode approve``."""

    by: Handle = Field(description="Approver's handle; must be the author of the commit.")
    at: Timestamp = Field(description="When the approval was given, with a timezone.")
    comment: str | None = Field(default=None, description="The approver's comment.")
    signed: bool = Field(default=False, description="Whether the approval commit is signed.")


class Change(Record):
    """A change request."""

    kind: Literal["change"] = Field(description="Always `change`.")
    id: RecordId = Field(description="Unique change id, e.g. CHG-2026-0042; upper case allowed.")
    title: str = Field(min_length=1, description="One-line summary of the change.")
    type: ChangeType = Field(
        description="standard (from a pre-approved template), normal or emergency."
    )
    template: AssetId | None = Field(
        default=None, description="Standard changes only: the pre-approved template."
    )
    requester: Handle = Field(description="Handle of the person requesting the change.")
    team: AssetId = Field(description="Id of the implementing team.")
    assignee: Handle | None = Field(
        default=None, description="Handle of the engineer doing the work."
    )
    targets: list[AssetId] = Field(min_length=1, description="Assets the change touches.")
    action: Action = Field(
        description="What is done to the targets: add, modify, upgrade, patch, restart, "
        "migrate, decommission or config."
    )
    effect: Effect = Field(description="Expected effect on the targets: outage, degraded or none.")
    window: Window = Field(description="When the change is carried out: {start, end}.")
    requested_at: Timestamp | None = Field(
        default=None, description="When the change was requested (lead time)."
    )
    description: str | None = Field(default=None, description="What changes, in detail.")
    justification: str | None = Field(
        default=None, description="Why the change is needed (the business reason)."
    )
    implementation_plan: str | None = Field(
        default=None, description="The steps to carry out the change."
    )
    test_plan: str | None = Field(default=None, description="How to verify that the change works.")
    rollback_plan: str | None = Field(
        default=None,
        description="How to undo the change; required for normal and emergency changes.",
    )
    status: ChangeStatus = Field(
        default="requested",
        description="Progress: requested, approved, scheduled, implementing, completed, "
        "failed, rolled_back or cancelled.",
    )
    implemented_at: Timestamp | None = Field(
        default=None, description="When the change was implemented, with a timezone."
    )
    review: Review | None = Field(
        default=None,
        description="Post-implementation review; required once completed, failed or rolled back.",
    )
    approvals: list[Approval] = Field(
        default_factory=empty_list,
        description="Git-native approvals, written by `opsascode approve`."
    )
