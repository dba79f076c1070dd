"""``audit --replay REV``: the period's merges judged again by the approval policy and
teams of another revision (the plan, its risk and the approvals stay those of the
merge), and every decision that would differ: "CHG-1: approved then, pending under
REV because ...".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opsascode.gate import GateResult
from opsascode.mergegate import MergeJudge, MergeVerdict, still_missing
from opsascode.policy.result import Result


@dataclass(frozen=True)
class ReplayDifference:
    merge: str
    subject: str  # a change id, or: protected paths, undeclared modifications, validation
    then: str
    now: str
    reason: str

    def sentence(self, revision: str) -> str:
        return (f"{self.subject}: {self.then} then, {self.now} under {revision} "
                f"because {self.reason}")


@dataclass
class Replay:
    revision: str  # as given on the command line
    commit: str
    merges: int  # merges judged again
    differences: list[ReplayDifference] = field(default_factory=list)


def replay_merges(judge: MergeJudge, revision: str, verdicts: list[MergeVerdict]) -> Replay:
    commit = judge.git.resolve(revision)
    policy = judge.repository(commit)
    replay = Replay(revision, commit, 0)
    for verdict in verdicts:
        pairs = judge.under(verdict, policy)
        replay.merges += 1 if pairs else 0
        for then, now in pairs:
            replay.differences += _differences(verdict, then, now)
    return replay


def _differences(verdict: MergeVerdict, then: GateResult, now: GateResult
                 ) -> list[ReplayDifference]:
    before = {d.subject: d.result for d in then.decisions}
    after = {d.subject: d.result for d in now.decisions}
    found = []
    for subject in sorted(before.keys() | after.keys()):
        old, new = before.get(subject), after.get(subject)
        if _status(old) != _status(new):
            found.append(ReplayDifference(verdict.merge.sha, subject, _status(old),
                                          _status(new), _why(new, old)))
    return found


def _status(result: Result | None) -> str:
    if result is None:
        return "not judged"
    return "error" if result.has_error else result.status.label


def _why(new: Result | None, old: Result | None) -> str:
    result = new or old
    if result is None:  # pragma: no cover - one side always exists
        return "-"
    errors = [r.error for r in result.walk() if r.error]
    need = still_missing(result)
    missing = f"; missing: {'; '.join(need)}" if need else ""
    error = f"; error: {errors[0]}" if errors else ""
    prefix = "" if new is not None else "the subject is no longer judged; it was: "
    return f"{prefix}{result.reason}{missing}{error}"
