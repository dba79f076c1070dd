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
    start: Timestamp = Field(description="Start, with a timezone.")
    end: Timestamp = Field(description="End, with a timezone; after start.")


class Review(Model):
    """Post-implementation review."""

    result: ReviewResult
    reviewed_by: Handle | None = None
    reviewed_at: Timestamp | None = None
    incidents: list[RecordId] = Field(
        default_factory=list, description="Incidents the change caused."
    )
    notes: str | None = None


class Approval(Model):
    """A git-native approval, written by ``opsascode approve``."""

    by: Handle = Field(description="Approver's handle; must be the author of the commit.")
    at: Timestamp
    comment: str | None = None
    signed: bool = Field(default=False, description="Whether the approval commit is signed.")


class Change(Record):
    """A change request."""

    kind: Literal["change"]
    id: RecordId
    title: str = Field(min_length=1)
    type: ChangeType
    template: AssetId | None = Field(
        default=None, description="Standard changes only: the pre-approved template."
    )
    requester: Handle
    team: AssetId = Field(description="Implementing team.")
    assignee: Handle | None = None
    targets: list[AssetId] = Field(min_length=1, description="Assets the change touches.")
    action: Action
    effect: Effect = Field(description="Expected effect on the targets.")
    window: Window
    requested_at: Timestamp | None = Field(
        default=None, description="When the change was requested (lead time)."
    )
    description: str | None = None
    justification: str | None = None
    implementation_plan: str | None = None
    test_plan: str | None = None
    rollback_plan: str | None = Field(
        default=None,
        description="How to undo the change; required for normal and emergency changes.",
    )
    status: ChangeStatus = "requested"
    implemented_at: Timestamp | None = None
    review: Review | None = None
    approvals: list[Approval] = Field(default_factory=list)
