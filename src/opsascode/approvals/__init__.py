"""Approvals and where they come from: GitHub reviews, git-native approval commits,
or a JSON file for what-if runs.

Every source returns the same values: the facts about the pull request the policy
needs (author, contributors, head), the approvals it found, and every approval it did
*not* count with the reason (a stale review, an entry forged in someone else's name,
an unsigned approval where signing is required...). Rules then decide which of the
counted ones satisfy which requirement (:mod:`opsascode.policy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

#: States of a review or approval entry.
APPROVED = "approved"
CHANGES_REQUESTED = "changes_requested"


@dataclass(frozen=True)
class Approval:
    """One approval (or request for changes) by one person."""

    by: str  # code-host handle
    at: datetime | None  # when it was given
    state: str  # approved | changes_requested
    source: str  # github | git | file
    #: The change request it approves; None approves the whole pull request
    #: (a GitHub review approves every change in the branch).
    change: str | None = None
    #: The commit the approval was given on (GitHub review) or added by (git-native).
    commit: str | None = None
    #: Given after the last push (False: a push came after it, so it may be stale).
    fresh: bool = True
    #: The signature of the approval commit verified against the approver's key.
    signed: bool = False


@dataclass(frozen=True)
class NotCounted:
    approval: Approval
    reason: str


@dataclass
class PullRequestFacts:
    """What the policy needs to know about the pull request (or branch)."""

    author: str | None = None
    #: Handles of everyone who authored or committed a commit of the branch.
    contributors: set[str] = field(default_factory=set)
    head: str | None = None
    base: str | None = None
    number: int | None = None
    title: str | None = None


@dataclass
class ApprovalSet:
    facts: PullRequestFacts
    approvals: list[Approval] = field(default_factory=list)
    not_counted: list[NotCounted] = field(default_factory=list)


class ApprovalSource(Protocol):
    """Collects the approvals of one pull request or branch."""

    name: str

    def collect(self) -> ApprovalSet: ...
