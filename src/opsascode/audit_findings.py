"""The audit's findings: what bypassed the process, and who changed the rules.

Violations (stable codes, in codes.py):

* ``direct-push``: a main-line commit that is not a merge and changes what the gate
  guards (record files of inventory/, policies/ and changes/, opsascode.yaml, and the
  protected paths: the gate's defaults plus those of the policy in force), so no
  approved change request let it in. A commit that only adds approval entries
  (``opsascode approve``) is an approval, not a change. Squash and fast-forward merges
  leave no branch in git and look like direct pushes: use merge commits, or audit
  with GitHub reviews, which tell a squash merge from a push.
* ``unapproved-merge``: a merge the gate would have refused (pending, disapproved or
  an error), replayed with the policy in force at its first parent.
* ``emergency-overdue``: an emergency change whose retro-approval was not complete
  when it fell due.

``policy-change`` is informational: every change to the protected paths or to team
records (who may approve), with who made it, when, and who approved it under the
protected rule. It is listed apart, never as a violation: one that was not approved
already is one, as the ``direct-push`` or ``unapproved-merge`` its entry names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from opsascode.approvals.gitnative import BranchWalk
from opsascode.change_history import ChangeTimeline, author
from opsascode.gate import DEFAULT_PROTECTED, protected_changes
from opsascode.git import HistoryCommit
from opsascode.history import MainLine, is_record_file, newest_before
from opsascode.mergegate import MergeJudge, MergeVerdict, still_missing
from opsascode.policy.predicates.changed_paths import glob_regex, matches
from opsascode.policy.result import Status
from opsascode.records.settings import Settings
from opsascode.tree import SETTINGS_FILE

#: A file that may hold a team record (only such files are parsed for team changes).
TEAM_TEXT = re.compile(rb"kind:[ \t]*[\"']?team\b")


@dataclass(frozen=True)
class Violation:
    commit: str
    code: str
    message: str
    at: datetime
    by: str


@dataclass(frozen=True)
class PolicyChange:
    commit: str
    code: str
    message: str
    at: datetime
    by: str
    via: str  # merge | squash merge | direct push
    files: tuple[str, ...]
    teams: tuple[str, ...]
    approved: bool
    approved_by: tuple[str, ...]
    #: The violation that records a change of the rules made without approval.
    violation: str | None


def short(commit: HistoryCommit) -> str:
    return f"{commit.sha[:12]} by {author(commit)} on {commit.committed_at:%Y-%m-%d %H:%M %z}"


class Guard:
    """What the gate guards on the main line, commit by commit."""

    def __init__(self, line: MainLine, settings: Settings, judge: MergeJudge) -> None:
        folders = settings.folders
        self.line = line
        self.judge = judge
        self.records = (folders.inventory, folders.policies, folders.changes)
        self.policies = (folders.policies,)
        self.walk = BranchWalk(judge.git, folders.changes, settings.max_file_size,
                               judge.history)
        # One regular expression for the paths every policy protects: a 10,000-commit
        # history has tens of thousands of paths to test.
        self._always = _any_of([*DEFAULT_PROTECTED, SETTINGS_FILE])
        self._policy_commits = [line.index(c.sha) for c in line.changing(
            lambda path: is_record_file(path, self.policies))]
        #: path -> guarded whatever the policy says; policy revision -> its extra paths.
        self._usual: dict[str, bool] = {}
        self._extras: dict[int | None, re.Pattern[str] | None] = {}

    def pushes(self, commits: Iterable[HistoryCommit]
               ) -> Iterator[tuple[HistoryCommit, list[str]]]:
        """Those of ``commits`` (main-line commits) that are not merges and change
        guarded files, in main-line order, with those files. Each path the main line
        changes is judged once by the usual rules; only the others are then matched
        against the extra protected paths of the policy in force at each commit."""
        line, usual, records, always = self.line, self._usual, self.records, self._always
        wanted = set(line.positions(c for c in commits if len(c.parents) < 2))
        if not wanted:
            return
        hits: dict[int, list[str]] = {}
        others: list[tuple[str, list[int]]] = []
        for path, positions in line.paths_changed().items():
            guarded = usual.get(path)
            if guarded is None:
                guarded = usual[path] = bool(is_record_file(path, records) or always.match(path))
            if guarded:
                for position in positions:
                    if position in wanted:
                        hits.setdefault(position, []).append(path)
            else:
                others.append((path, positions))
        # The policy revisions in force over the commits asked about: the one before
        # the first, and every change of the policies up to the last.
        first, last = min(wanted), max(wanted)
        revisions = {newest_before(self._policy_commits, first),
                     *(i for i in self._policy_commits if first <= i < last)}
        extras = {at: self._extra(at) for at in revisions} if others else {}
        # Revisions mostly protect the same paths: each path is matched once per
        # distinct expression, and its commits looked at only when one matches.
        distinct = {p.pattern: p for p in extras.values() if p is not None}
        for path, positions in others:
            matching = {text for text, pattern in distinct.items() if pattern.match(path)}
            if not matching:
                continue
            for position in positions:
                pattern = extras.get(newest_before(self._policy_commits, position))
                if position in wanted and pattern is not None and pattern.pattern in matching:
                    hits.setdefault(position, []).append(path)
        for position in sorted(hits):
            yield line.commits[position], sorted(hits[position])

    def _policy_at(self, commit: HistoryCommit) -> int | None:
        """The main-line index of the last change to the policies before ``commit``."""
        return newest_before(self._policy_commits, self.line.index(commit.sha))

    def _extra(self, at: int | None) -> re.Pattern[str] | None:
        """The protected paths of the policy of revision ``at``, as one expression
        (once per policy revision)."""
        if at not in self._extras:
            paths = self._protected_at(at)
            self._extras[at] = _any_of(paths) if paths else None
        return self._extras[at]

    def protected_in_force(self, commit: HistoryCommit) -> list[str]:
        """The protected paths of the policy in force before ``commit`` (loaded only
        for commits that change files outside the usual ones)."""
        return self._protected_at(self._policy_at(commit))

    def _protected_at(self, at: int | None) -> list[str]:
        if at is None:
            return []
        repo = self.judge.repository(self.line.commits[at].sha)
        policy = next(iter(repo.approval_policies()), None)
        return list(policy.protected_paths.paths) if policy and policy.protected_paths else []

    def is_approval(self, commit: HistoryCommit) -> bool:
        """A commit that only adds approval entries to change requests."""
        return self.walk.step(0, commit).other is None

    def protected(self, commit: HistoryCommit, guarded: list[str]) -> list[str]:
        """The guarded files of a direct push that are rules, not records."""
        rules = [*DEFAULT_PROTECTED, SETTINGS_FILE, *self.protected_in_force(commit),
                 *(f"{f}/**" for f in self.policies)]
        return [p for p in guarded if matches(p, rules)]


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{glob_regex(p).pattern})" for p in patterns))


def direct_push(commit: HistoryCommit, guarded: list[str]) -> tuple[str, str]:
    shown = ", ".join(guarded[:3]) + (f" (+{len(guarded) - 3} more)" if len(guarded) > 3 else "")
    return "direct-push", (f"commit {short(commit)} changes {shown} directly on the main line, "
                           "not through a merge the gate approved")


def unapproved_merge(verdict: MergeVerdict) -> tuple[str, str]:
    assert verdict.gate is not None
    reasons = []
    for decision in verdict.gate.decisions:
        result = decision.result
        if result.status is Status.APPROVED and not result.has_error:
            continue
        need = still_missing(result)
        missing = f" (missing: {'; '.join(need)})" if need else ""
        errors = [r.error for r in result.walk() if r.error]
        error = f" (error: {errors[0]})" if errors else ""
        reasons.append(f"{decision.subject}: {result.reason}{missing}{error}")
    why = "; ".join(reasons[:3]) + (f"; +{len(reasons) - 3} more" if len(reasons) > 3 else "")
    return "unapproved-merge", (f"merge {short(verdict.merge)} was {verdict.status} under the "
                                f"policy of {verdict.policy_rev[:12]}: {why}")


def emergency_overdue(item: ChangeTimeline) -> tuple[str, str]:
    assert item.retro is not None and item.merged is not None
    retro = item.retro
    state = ("was retro-approved only after the deadline" if retro.late else
             f"is still not retro-approved (missing: {'; '.join(retro.missing) or 'approvals'})")
    return "emergency-overdue", (f"emergency change {item.id} (merged {item.merged.commit[:12]} "
                                 f"on {item.merged.at:%Y-%m-%d}) owed retro-approval under "
                                 f"{retro.rule!r} by {retro.due.isoformat()} and {state}")


def merge_policy_change(verdict: MergeVerdict) -> PolicyChange | None:
    """The protected files and team records a merge changed, and who approved them."""
    if verdict.gate is None or verdict.policy is None:
        return None
    policy = next(iter(verdict.policy.approval_policies()), None)
    touched = protected_changes(verdict.gate.plan, policy.protected_paths if policy else None)
    if not touched:
        return None
    decision = next((d for d in verdict.gate.decisions if d.subject == "protected paths"), None)
    approved = decision is not None and decision.result.status is Status.APPROVED
    by = tuple(sorted({c.by for r in decision.result.walk() for c in r.approvals if c.counted}
                      if decision else set()))
    teams = tuple(d.id for d in verdict.gate.plan.diff if d.kind == "team")
    files = tuple(t for t in touched if not t.startswith("team "))
    via = "merge" if verdict.merge.is_merge else "squash merge"
    return _policy_change(verdict.merge, via, files, teams, approved, by,
                          None if approved else "unapproved-merge")


def push_policy_change(commit: HistoryCommit, files: list[str], teams: list[str]
                       ) -> PolicyChange:
    return _policy_change(commit, "direct push", tuple(files), tuple(teams), False, (),
                          "direct-push")


def _policy_change(commit: HistoryCommit, via: str, files: tuple[str, ...],
                   teams: tuple[str, ...], approved: bool, by: tuple[str, ...],
                   violation: str | None) -> PolicyChange:
    code, message = _describe(commit, via, files, teams, by, violation)
    return PolicyChange(commit.sha, code, message, commit.committed_at, author(commit), via,
                        files, teams, approved, by, violation)


def _describe(commit: HistoryCommit, via: str, files: tuple[str, ...], teams: tuple[str, ...],
              by: tuple[str, ...], violation: str | None) -> tuple[str, str]:
    what = ", ".join([*files[:3], *(f"team {t}" for t in teams[:3])])
    verdict = (f"approved under the protected rule by {', '.join(by)}" if violation is None
               else f"not approved under the protected rule (see {violation})")
    return "policy-change", f"{via} {short(commit)} changes {what}: {verdict}"
