"""The gate, replayed on a merge of the past.

A main-line merge is judged as ``opsascode check --approvals git`` would have judged
its pull request when it merged: the plan of the merged branch (its other parent)
against its first parent, the approval policy, teams and signing keys in force at
that first parent, and the git-native approval commits found on the branch (or the
reviews of its pull request submitted by then: ``check --approvals github``). One
:class:`~opsascode.loader.Loader` is shared by every merge, and each revision is
derived from the one loaded before it, so it reads only the files that differ.

``--replay`` judges the same plan and approvals by the policy and teams of another
revision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from opsascode import problems as P
from opsascode.approvals import ApprovalSet, PullRequestFacts
from opsascode.approvals.gitnative import (
    BranchWalk,
    GitApprovals,
    approvals_of,
    requires_signed,
    signing_keys,
)
from opsascode.checks import CHECKS, Check, Context, graph_rules
from opsascode.checks import incidents as incident_checks
from opsascode.diff import diff_repositories
from opsascode.errors import FatalError
from opsascode.gate import GateResult, decide
from opsascode.git import GitRepo, HistoryCommit
from opsascode.history import History, is_record_file
from opsascode.loader import Loader, locate
from opsascode.plan import build_plan
from opsascode.policy.result import Result, Status
from opsascode.repository import Repository
from opsascode.tree import GitTree

if TYPE_CHECKING:
    from opsascode.approvals.github import MergedPulls

#: Worst first: the status a merge gets from the branches it merged.
_RANK = {"error": 3, "disapproved": 2, "pending": 1, "approved": 0}


@dataclass
class MergeVerdict:
    """What the gate would have said of one merge."""

    merge: HistoryCommit
    #: The first parent: the revision whose policy and teams judged the merge.
    policy_rev: str
    #: The gate of the merged branch (the worst one, for an octopus merge).
    gate: GateResult | None = None
    #: The base branch at the merge: its policy, teams and keys judged.
    policy: Repository | None = None
    #: Why the merge could not be replayed (a revision missing from a shallow clone).
    error: str | None = None
    #: The gate and head of each merged branch (an octopus merge has several).
    gates: list[tuple[GateResult, Repository]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.gate.status if self.gate else "unknown"

    def branch_of(self, subject: str) -> tuple[GateResult, Repository] | None:
        """The gate (and head) of the merged branch that judged ``subject``."""
        return next(((gate, head) for gate, head in self.gates
                     if any(d.subject == subject for d in gate.decisions)), None)

    @property
    def approved(self) -> bool:
        return self.status == "approved"


class MergeJudge:
    """Replays the gate on merges, once each, sharing one loader; revisions, merge
    bases and branches come from the history read in one pass (git itself only for
    what it does not hold)."""

    def __init__(self, git: GitRepo, loader: Loader, history: History | None = None,
                 reviews: MergedPulls | None = None) -> None:
        self.git = git
        self.loader = loader
        self.history = history
        #: GitHub reviews instead of git-native approvals (``audit --approvals github``).
        self.reviews = reviews
        #: What the replays could not find out (a merge without a pull request).
        self.notes: list[str] = []
        self._verdicts: dict[str, MergeVerdict] = {}
        self._repos: dict[str, Repository] = {}
        self._bases: dict[tuple[str, str], str | None] = {}
        self._last: Repository | None = None
        self._walks: dict[tuple[str, int], BranchWalk] = {}

    def repository(self, rev: str) -> Repository:
        """One revision, loaded once."""
        if rev not in self._repos:
            tree = self.history.snapshot_tree(rev) if self.history else None
            if isinstance(tree, GitTree) and self._last is not None:
                # Revisions replayed one after the other differ by a few files.
                self._repos[rev] = self.loader.derive(self._last, tree)
            else:
                self._repos[rev] = self.loader.load(tree or GitTree(self.git, rev))
            self._last = self._repos[rev]
        return self._repos[rev]

    def merge_base(self, a: str, b: str) -> str | None:
        if (a, b) not in self._bases:
            self._bases[a, b] = (self.history.merge_base(a, b) if self.history
                                 else self.git.merge_base(a, b))
        return self._bases[a, b]

    def prepare(self, merges: list[HistoryCommit], folders: tuple[str, ...]) -> None:
        """Read the files of every revision the merges' replays load, at once."""
        if self.history is None:
            return
        revs = {p for m in merges for p in m.parents}
        revs |= {b for m in merges for p in m.parents[1:]
                 if (b := self.merge_base(m.parents[0], p)) is not None}
        # and the versions of the change files the branches' commits touch (approvals)
        blobs = {b for m in merges for c in self.history.brought(m) for f in c.files
                 if is_record_file(f.path, folders) for b in (f.old_blob, f.new_blob) if b}
        self.history.prefetch(revs, folders, blobs, self.loader.parsed_ahead)

    def verdict(self, merge: HistoryCommit) -> MergeVerdict:
        if merge.sha not in self._verdicts:
            self._verdicts[merge.sha] = self._judge(merge)
        return self._verdicts[merge.sha]

    def _judge(self, merge: HistoryCommit) -> MergeVerdict:
        verdict = MergeVerdict(merge, merge.parents[0])
        try:
            verdict.policy = self.repository(merge.parents[0])
            # A squash merge (one parent) is its pull request's changes on its parent.
            for other in merge.parents[1:] or [merge.sha]:
                gate, head = self._gate(verdict.policy, merge.parents[0], other, merge)
                verdict.gates.append((gate, head))
                if verdict.gate is None or _RANK[gate.status] > _RANK[verdict.gate.status]:
                    verdict.gate = gate
        except FatalError as exc:
            verdict.error = str(exc)
        return verdict

    def _gate(self, policy: Repository, policy_rev: str, head_rev: str, merge: HistoryCommit
              ) -> tuple[GateResult, Repository]:
        """``plan`` + ``check`` of one merged branch, as it merged."""
        head = self.repository(head_rev)
        base_rev = self.merge_base(policy_rev, head_rev) or policy_rev
        base = self.repository(base_rev)
        problems = head.problems + locate(head, gate_checks(head, merge.committed_at.date()))
        changed = (self.history.changed_paths(base_rev, head_rev) if self.history
                   else self.git.changed_paths(base_rev, head_rev))
        plan = build_plan(base, head, diff_repositories(base, head), changed, base_rev=base_rev,
                          head_rev=head_rev, head_problems=problems, policy=policy)
        approvals = self.approvals(policy, base_rev, head_rev, merge,
                                   only={c.change.id for c in plan.changes})
        return decide(plan, policy, head, approvals), head

    def approvals(self, policy: Repository, base_rev: str, head_rev: str,
                  merge: HistoryCommit | None = None, only: set[str] | None = None
                  ) -> ApprovalSet:
        """The git-native approvals of ``base_rev..head_rev`` (of the changes ``only``
        names, when given), with the keys and the signing rule of ``policy``; with
        GitHub reviews, those of the pull request ``merge`` merged, submitted by the
        time it merged."""
        if self.reviews is not None:
            return self._reviews(base_rev, head_rev, merge)
        commits = self.history.between(base_rev, head_rev) if self.history else None
        if commits is None:
            return GitApprovals(self.git.top, base_rev, head_rev, signing_keys(policy),
                                requires_signed(policy), loader=self.loader).collect()
        head = self.repository(head_rev)
        return approvals_of(self._walk(head), commits, head, base_rev, head_rev,
                            signing_keys(policy), requires_signed(policy), only)

    def _walk(self, head: Repository) -> BranchWalk:
        """One walk for every branch with the same settings (it remembers the change
        files it read)."""
        assert self.history is not None
        key = (head.settings.folders.changes, head.settings.max_file_size)
        if key not in self._walks:
            self._walks[key] = BranchWalk(self.git, *key, self.history)
        return self._walks[key]

    def _reviews(self, base_rev: str, head_rev: str, merge: HistoryCommit | None,
                 after: datetime | None = None) -> ApprovalSet:
        assert self.reviews is not None
        squash = merge is not None and not merge.is_merge
        number = (None if merge is None else self.reviews.squashed(merge.sha) if squash
                  else self.reviews.number(merge.sha, merge.subject))
        if number is None or merge is None:
            if merge is not None and after is None:
                self.notes.append(f"merge {merge.sha[:12]} names no pull request on GitHub: "
                                  "judged without reviews")
            return ApprovalSet(PullRequestFacts(head=head_rev, base=base_rev))
        return self.reviews.approvals(number, base_rev, head_rev, squash=squash,
                                      until=None if after else merge.committed_at, after=after)

    def later_approvals(self, verdict: MergeVerdict, tip: str) -> ApprovalSet:
        """What was approved after a merge: approval commits on the main line or on
        branches merged later, up to ``tip``; with GitHub reviews, the reviews of its
        pull request submitted after it merged."""
        assert verdict.policy is not None
        gate = verdict.gate
        if self.reviews is not None:
            base, head = (gate.plan.base, gate.plan.head) if gate else (tip, tip)
            return self._reviews(base, head, verdict.merge, after=verdict.merge.committed_at)
        return self.approvals(verdict.policy, verdict.merge.sha, tip)

    def under(self, verdict: MergeVerdict, policy: Repository
              ) -> list[tuple[GateResult, GateResult]]:
        """Each merged branch judged then, and by another revision's policy and teams
        (and keys: the approvals are collected again when the signing set-up differs)."""
        if verdict.policy is None:
            return []
        same_keys = self.reviews is not None or (signing_keys(policy), requires_signed(
            policy)) == (signing_keys(verdict.policy), requires_signed(verdict.policy))
        pairs = []
        for gate, head in verdict.gates:
            approvals = gate.approvals if same_keys else self.approvals(
                policy, gate.plan.base, gate.plan.head)
            pairs.append((gate, decide(gate.plan, policy, head, approvals)))
        return pairs


#: Checks that can only warn. The gate decides on errors (a head with invalid records
#: is an error), so a replay skips these: on a repository with many incidents, the
#: search for recurring ones costs more than the rest of a merge's replay.
WARNINGS_ONLY: tuple[Check, ...] = (graph_rules.check_orphans, graph_rules.check_freshness,
                                    incident_checks.check_recurring)


def gate_checks(repo: Repository, day: date) -> list[P.Problem]:
    """The problems of ``repo`` that can change the gate's decision."""
    context = Context(today=day, graph=repo.graph())
    return [problem for check in CHECKS if check not in WARNINGS_ONLY
            for problem in check(repo, context)]


def still_missing(result: Result) -> list[str]:
    """Who still has to approve, by name: what an approved result still owes (an
    emergency change's retro-approval), else what every rule that applies lacks."""
    results = [result] if result.status is Status.APPROVED else result.walk()
    return list(dict.fromkeys(m for r in results if r.status is not Status.SKIPPED
                              for m in r.missing))
