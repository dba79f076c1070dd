"""Timelines of change requests, from the main line's versions of their records.

A change request *lands* with the first main-line commit that adds its record: a
merge (the gate judged it: :mod:`opsascode.mergegate`), a direct push, or the
baseline (the history's first commit). Its timeline: requested (``requested_at`` and
the branch commit that added the file), each approval with the commit that added it,
counted or not and why, the merge (by whom, when, under which policy, with the
gate's decision), implemented, reviewed, the incidents it caused.

Emergency changes may merge with the policy's reduced rule; the retro-approval rule
(``emergency.retro_rule``, else the full policy, from the policy in force at the merge)
is due ``retro_approval_within`` after the window ends. Approvals added after the
merge count from the moment they reach the main line, with the facts of the original
branch (its author still cannot approve); later commits do not make them stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from pydantic import ValidationError

from opsascode.approvals import Approval, ApprovalSet, PullRequestFacts
from opsascode.approvals.gitnative import entry_keys, handle_of
from opsascode.gate import GateResult, decide
from opsascode.git import HistoryCommit
from opsascode.history import MainLine, RecordReader, RecordVersion
from opsascode.mergegate import MergeJudge, MergeVerdict, still_missing
from opsascode.policy.result import Result, Status
from opsascode.records import Change, record_adapter
from opsascode.repository import Repository


@dataclass(frozen=True)
class ApprovalStep:
    by: str
    at: datetime | None
    commit: str | None
    counted: bool
    reason: str
    stage: str  # before merge | after merge
    source: str = "git"  # git (an approval commit) | github (a review)


@dataclass(frozen=True)
class Landing:
    """The main-line commit that brought the change request."""

    commit: str
    by: str
    at: datetime
    via: str  # merge | squash merge | direct push | baseline


@dataclass(frozen=True)
class Retro:
    """An emergency change's retro-approval: due when, met by then or not."""

    due: datetime
    rule: str
    met: bool  # by the deadline
    late: bool  # met after the deadline (by the end of the period)
    missing: list[str]


@dataclass
class ChangeTimeline:
    id: str
    title: str
    type: str
    status: str
    file: str | None
    requester: str
    requested_at: datetime | None
    targets: tuple[str, ...] = ()
    #: The commit that added the change file (on its branch), its author and date.
    added_in: str | None = None
    added_by: str | None = None
    added_at: datetime | None = None
    approvals: list[ApprovalStep] = field(default_factory=list)
    merged: Landing | None = None
    decision: str | None = None  # the gate's status for this change at the merge
    reason: str | None = None
    missing: list[str] = field(default_factory=list)
    policy_rev: str | None = None  # the first parent whose policy judged it
    implemented_at: datetime | None = None
    review: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    incidents: list[str] = field(default_factory=list)
    retro: Retro | None = None


def author(commit: HistoryCommit) -> str:
    return handle_of(commit.author_name, commit.author_email)


#: Whether a main-line commit with one parent is a squash merge (``audit --approvals
#: github`` asks GitHub; without it, none is).
Squashed = Callable[[HistoryCommit], bool]


def no_squash(_commit: HistoryCommit) -> bool:
    return False


def how_landed(line: MainLine, commit: HistoryCommit, squashed: Squashed = no_squash) -> str:
    """How a main-line commit brought its changes: ``baseline`` (the first commit read),
    ``merge``, ``squash merge`` or ``direct push``."""
    return ("baseline" if commit.sha == line.baseline.sha else
            "merge" if commit.is_merge else
            "squash merge" if squashed(commit) else "direct push")


def landing(line: MainLine, version: RecordVersion, squashed: Squashed = no_squash
            ) -> Landing:
    commit = version.commit
    return Landing(commit.sha, author(commit), commit.committed_at,
                   how_landed(line, commit, squashed))


class ChangeHistory:
    """Builds timelines; ``versions`` are the main line's versions of change records."""

    def __init__(self, line: MainLine, versions: list[RecordVersion], judge: MergeJudge,
                 branches: dict[str, list[HistoryCommit]], as_of: datetime,
                 caused: dict[str, set[str]], squashed: Squashed = no_squash) -> None:
        self.line = line
        self.judge = judge
        self.squashed = squashed
        self.branches = branches
        self.caused = caused
        self.as_of = as_of
        self.versions: dict[str, list[RecordVersion]] = {}
        for version in versions:
            self.versions.setdefault(version.id, []).append(version)

    def first(self, change_id: str) -> RecordVersion:
        return self.versions[change_id][0]

    def verdict(self, change_id: str) -> MergeVerdict | None:
        first = self.first(change_id).commit
        if how_landed(self.line, first, self.squashed) not in ("merge", "squash merge"):
            return None
        return self.judge.verdict(first)

    def timeline(self, change_id: str) -> ChangeTimeline | None:
        change = self._record(change_id)
        if change is None:
            return None
        first, last = self.first(change_id), self.versions[change_id][-1]
        item = ChangeTimeline(change.id, change.title, change.type, change.status,
                              last.new_file or last.old_file, change.requester,
                              change.requested_at, tuple(change.targets),
                              merged=landing(self.line, first, self.squashed),
                              implemented_at=change.implemented_at)
        self._added(item, first)
        self._outcome(item, change)
        verdict = self.verdict(change_id)
        judged = verdict.branch_of(change_id) if verdict is not None else None
        if verdict is not None and judged is not None:
            self._decision(item, judged[0], verdict.policy_rev)
            self._retro(item, verdict, *judged)
        elif item.merged is not None and item.merged.via == "direct push":
            item.reason = "reached the main line without a merge: the gate never judged it"
        return item

    def _record(self, change_id: str) -> Change | None:
        """The change as it stands at the end of the period (its last version; the one
        before it was removed, if it was)."""
        last = next((v.after or v.before for v in reversed(self.versions[change_id])), None)
        try:
            record = record_adapter().validate_python(last)
        except ValidationError:
            return None
        return record if isinstance(record, Change) else None

    def _added(self, item: ChangeTimeline, first: RecordVersion) -> None:
        commits = self.branches.get(first.commit.sha, [])
        path = first.new_file
        added = next((c for c in commits for f in c.files
                      if f.path == path and f.old_blob is None), None)
        added = added or next((c for c in commits for f in c.files if f.path == path),
                              first.commit)
        item.added_in, item.added_by, item.added_at = added.sha, author(added), added.authored_at

    def _outcome(self, item: ChangeTimeline, change: Change) -> None:
        if change.review is not None:
            item.review = change.review.result
            item.reviewed_by = change.review.reviewed_by
            item.reviewed_at = change.review.reviewed_at
        caused = self.caused.get(change.id, set())
        item.incidents = sorted(caused | set(change.review.incidents if change.review else []))

    def _decision(self, item: ChangeTimeline, gate: GateResult, policy_rev: str) -> None:
        item.policy_rev = policy_rev
        result = _result(gate, item.id)
        if result is not None:
            item.decision, item.reason = result.status.label, result.reason
            item.missing = still_missing(result)
        item.approvals = _steps(gate.approvals, result, item.id, "before merge")

    def _retro(self, item: ChangeTimeline, verdict: MergeVerdict, gate: GateResult,
               head: Repository) -> None:
        base = verdict.policy
        assert base is not None
        policy = next(iter(base.approval_policies()), None)
        change = head.get(item.id, Change)
        if policy is None or policy.emergency is None or change is None or (
                change.type != "emergency"):
            return
        due = change.window.end + policy.emergency.retro_approval_within
        later = self._later_approvals(verdict, item.id)
        landed = self._landed(item.id)

        def judged(moment: datetime) -> Result | None:
            # An entry whose arrival is unknown counts only at the end of the period.
            arrived = [a for a in later.approvals
                       if landed.get((a.by, a.at), _arrival(a, self.as_of)) <= moment]
            approvals = [*gate.approvals.approvals, *arrived]
            again = decide(gate.plan, base, head, ApprovalSet(gate.approvals.facts, approvals))
            return _result(again, item.id)

        by_due, by_end = judged(min(due, self.as_of)), judged(self.as_of)
        item.retro = Retro(due, policy.emergency.retro_rule or "the full policy",
                           _fully_approved(by_due), not _fully_approved(by_due)
                           and _fully_approved(by_end) and due <= self.as_of,
                           _owed(by_end))
        item.approvals += _steps(later, by_end, item.id, "after merge")

    def _later_approvals(self, verdict: MergeVerdict, change_id: str) -> ApprovalSet:
        """Approvals after the merge: approval commits on the main line or on branches
        merged later; with GitHub reviews, the pull request's reviews after it."""
        assert verdict.policy is not None
        tip = self.line.tip.sha
        if tip == verdict.merge.sha and self.judge.reviews is None:
            return ApprovalSet(PullRequestFacts())
        found = self.judge.later_approvals(verdict, tip)
        # A review approves the whole pull request (change None); an entry, one change.
        mine = [replace(a, fresh=True) for a in found.approvals if a.change in (change_id, None)]
        return ApprovalSet(found.facts, mine, [n for n in found.not_counted
                                               if n.approval.change in (change_id, None)
                                               and n.approval.commit])

    def _landed(self, change_id: str) -> dict[tuple[str, datetime | None], datetime]:
        """When each approval entry first reached the main line."""
        landed: dict[tuple[str, datetime | None], datetime] = {}
        for version in self.versions.get(change_id, []):
            for _id, by, at, _comment, _signed in entry_keys(change_id, version.after):
                landed.setdefault((by, at), version.commit.committed_at)
        return landed


def caused_incidents(reader: RecordReader, blobs: list[str], change_ids: set[str]
                     ) -> dict[str, set[str]]:
    """Change id -> the incidents (in ``blobs``: the incident files at the end of the
    period) whose ``caused_by`` names it. Only files that mention a change are parsed."""
    found: dict[str, set[str]] = {}
    if not change_ids:
        return found
    reader.prefetch(blobs)
    mention = re.compile(b"|".join(re.escape(i.encode()) for i in sorted(change_ids)))
    for blob in blobs:
        if not mention.search(reader.data(blob)):
            continue
        for record_id, record in (reader.records(blob) or {}).items():
            cause = record.get("caused_by")
            if record.get("kind") == "incident" and cause in change_ids:
                found.setdefault(str(cause), set()).add(record_id)
    return found


def _result(gate: GateResult, subject: str) -> Result | None:
    return next((d.result for d in gate.decisions if d.subject == subject), None)


def _fully_approved(result: Result | None) -> bool:
    """Approved with nothing owed (an emergency change passing under the reduced rule
    still owes its retro-approval: ``missing`` says so)."""
    return result is not None and result.status is Status.APPROVED and not result.missing


def _owed(result: Result | None) -> list[str]:
    """Who must still approve for the retro rule: the pending rules' missing approvers
    (else what the result says is owed)."""
    if result is None or _fully_approved(result):
        return []
    pending = [m for r in result.walk()[1:] if r.status is Status.PENDING for m in r.missing]
    return list(dict.fromkeys(pending)) or still_missing(result)


def _arrival(approval: Approval, otherwise: datetime) -> datetime:
    """When an approval not found on the main line arrived: a review, when it was
    submitted; anything else only at the end of the period."""
    return approval.at if approval.source == "github" and approval.at else otherwise


def _steps(found: ApprovalSet, result: Result | None, change_id: str, stage: str
           ) -> list[ApprovalStep]:
    steps = [ApprovalStep(n.approval.by, n.approval.at, n.approval.commit, False, n.reason,
                          stage, n.approval.source)
             for n in found.not_counted if n.approval.change in (None, change_id)]
    for approval in found.approvals:
        if approval.change in (None, change_id):
            counted, reason = _rule_verdict(approval, result)
            steps.append(ApprovalStep(approval.by, approval.at, approval.commit, counted,
                                      reason, stage, approval.source))
    return sorted(steps, key=lambda s: (str(s.at), s.by))


def _rule_verdict(approval: Approval, result: Result | None) -> tuple[bool, str]:
    """Whether a rule that applied counted the approval, and why (not)."""
    seen = [(r.name, c) for r in (result.walk() if result else []) for c in r.approvals
            if c.by == approval.by.lower()]
    counted = next((name for name, c in seen if c.counted), None)
    if counted is not None:
        return True, f"counted by rule {counted!r}"
    if seen:
        name, first = seen[0]
        return False, f"{first.reason} (rule {name!r})"
    return False, "no rule that applies to the change asks for it"
