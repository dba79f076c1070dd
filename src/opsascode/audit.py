"""The audit trail: for a period, what changed on the main line, who approved it under
which policy, and everything that bypassed the process, from git alone.

The main line is read in one ``git log`` pass (:mod:`opsascode.history`); only the
merges of the period are replayed through the gate (:mod:`opsascode.mergegate`), so
the cost grows with the history's length only by that one pass. A commit is in the
period when it reached the main line (its commit time) from the first day to the last
(included); deadlines are judged as of the end of the period, or now when that is
earlier. Violations and policy changes are defined in :mod:`opsascode.audit_findings`,
timelines in :mod:`opsascode.change_history`, an asset's history in
:mod:`opsascode.asset_history`.

Approvals are the git-native ones (``opsascode approve``), or with ``--approvals
github`` the reviews of each merge's pull request as they stood when it merged (reviews
are not in git: without it, a repository gated by them has its merges reported as
unapproved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from opsascode import lifetime
from opsascode.audit_findings import (
    TEAM_TEXT,
    Guard,
    PolicyChange,
    Violation,
    direct_push,
    emergency_overdue,
    merge_policy_change,
    push_policy_change,
    unapproved_merge,
)
from opsascode.change_history import (
    ChangeHistory,
    ChangeTimeline,
    author,
    caused_incidents,
)
from opsascode.errors import FatalError, UsageError
from opsascode.git import GitRepo, HistoryCommit, LogPass
from opsascode.history import (
    FoldersOf,
    History,
    MainLine,
    RecordVersion,
    is_record_file,
    record_versions,
    shallow_note,
)
from opsascode.loader import Loader
from opsascode.mergegate import MergeJudge, MergeVerdict
from opsascode.parallel import Forked, worth_a_fork
from opsascode.records import Change
from opsascode.records.settings import Settings
from opsascode.tree import SETTINGS_FILE, GitTree

if TYPE_CHECKING:
    from opsascode.approvals.github import MergedPulls
    from opsascode.asset_history import AssetHistory
    from opsascode.replay import Replay


@dataclass(frozen=True)
class Period:
    start: datetime | None  # first moment, None: from the start of the history
    end: datetime | None  # first moment after the period, None: up to the tip
    as_of: datetime  # when deadlines are judged: the end, or now if earlier


def period_of(settings: Settings, since: date | None, until: date | None, now: datetime
              ) -> Period:
    """Days in the repository's timezone, ``until`` included."""
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    zone = ZoneInfo(settings.timezone)
    start = datetime.combine(since, time(), tzinfo=zone) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=zone) if until else None
    return Period(start, end, min(end, now) if end else now)


@dataclass(frozen=True)
class MergeRow:
    commit: str
    at: datetime
    by: str
    status: str  # the gate's, replayed: approved | pending | disapproved | error | unknown
    policy_rev: str
    changes: tuple[str, ...]
    error: str | None
    via: str = "merge"  # merge | squash merge


@dataclass
class MergesPart:
    """What some of the period's merges add to the report (judged by one process)."""

    rows: list[MergeRow]
    notes: list[str]
    changes: list[ChangeTimeline]
    unapproved: list[Violation]
    policy_changes: list[PolicyChange]

    def then(self, later: MergesPart) -> MergesPart:
        """This part followed by the part of the merges after it."""
        return MergesPart(self.rows + later.rows, self.notes + later.notes,
                          self.changes + later.changes, self.unapproved + later.unapproved,
                          self.policy_changes + later.policy_changes)


#: Below this many merges, judging them in two processes costs more than it saves.
MIN_SPLIT = 8
#: The merges this process keeps beyond half: it also looks for direct pushes, and the
#: copy's first full load, of a later revision, is the larger.
_SPLIT_BIAS = 4
#: And these more when it has looked for the direct pushes before the copy is made
#: (while the parse-ahead worker finished): that search is worth about two merges.
_PUSHES_BIAS = 4


def _worth_a_split(merges: list[HistoryCommit]) -> bool:
    return len(merges) >= MIN_SPLIT and worth_a_fork()


@dataclass
class AuditReport:
    branch: str
    tip: str
    period: Period
    baseline: str
    graft: str | None
    commits: int  # main-line commits in the period
    merges: list[MergeRow] = field(default_factory=list)
    changes: list[ChangeTimeline] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    policy_changes: list[PolicyChange] = field(default_factory=list)
    replay: Replay | None = None
    asset: AssetHistory | None = None
    notes: list[str] = field(default_factory=list)


def open_history(git: GitRepo, loader: Loader, log: LogPass | None = None
                 ) -> tuple[Settings, History]:
    """The settings of HEAD and the history of the branch they name (its default
    branch, else ``origin/<it>``, else HEAD), from ``log`` when it read that branch
    (started early, on a guess), else from a new pass."""
    commits = log.commits() if log is not None else None
    history = (History(git, log.rev, commits, Settings().max_file_size)
               if log is not None and commits else None)
    # HEAD on the branch just read is its tip: no need to ask git.
    on_it = history is not None and git.head_branch() == history.line.branch
    head = history.line.tip.sha if history is not None and on_it else git.head()
    tree = history.file_tree(head, SETTINGS_FILE) if history and head in history.by_sha else None
    if head is None:
        raise FatalError("the repository has no commits yet: nothing to audit")
    # The settings only: the tip is never loaded whole (the merges' revisions are).
    settings = loader.load(FoldersOf(tree or GitTree(git, head), ())).settings
    name = settings.default_branch
    if history is None or history.line.branch != name:
        for rev in (name, f"origin/{name}", "HEAD"):
            commits = LogPass(git.top, rev).commits()
            if commits:
                history = History(git, rev, commits, settings.max_file_size)
                break
    assert history is not None  # HEAD has commits
    history.reader.max_size = settings.max_file_size
    history.reader.ahead = loader.ahead
    return settings, history


class Auditor:
    """One audit: the main line read once, revisions loaded once, merges judged once."""

    def __init__(self, git: GitRepo, loader: Loader, since: date | None, until: date | None,
                 now: datetime, log: LogPass | None = None,
                 reviews: MergedPulls | None = None) -> None:
        self.git = git
        self.settings, self.history = open_history(git, loader, log)
        self.judge = MergeJudge(git, loader, self.history, reviews)
        self.period = period = period_of(self.settings, since, until, now)
        self.line: MainLine = self.history.line.until(period.end)
        self.reader = self.history.reader
        self.guard = Guard(self.line, self.settings, self.judge)
        self.in_period = [c for c in self.line.since(period.start)
                          if c.sha != self.line.baseline.sha]
        changes = (self.settings.folders.changes,)
        self.change_versions = record_versions(
            self.line.changing(lambda path: is_record_file(path, changes)), self.reader,
            changes)
        self._firsts: dict[str, RecordVersion] = {}
        for version in self.change_versions:
            self._firsts.setdefault(version.id, version)
        self._pushes: list[tuple[HistoryCommit, list[str]]] | None = None
        self._squashes: list[HistoryCommit] = []
        self._squashed: dict[str, bool] = {}
        self._rules: list[PolicyChange] | None = None

    def report(self, asset: str | None = None, replay: str | None = None) -> AuditReport:
        line = self.line
        report = AuditReport(line.branch, line.tip.sha, self.period, line.baseline.sha,
                             line.graft, len(self.in_period))
        report.notes += [n for n in [shallow_note(line)] if n]
        squashes: set[str] = set()
        if self.judge.reviews is not None:  # GitHub tells squash merges from pushes
            self._direct_pushes()
            squashes = {c.sha for c in self._squashes}
        merges = [c for c in self.in_period if c.is_merge or c.sha in squashes]
        ids = self._change_ids()
        if replay is None and self.judge.reviews is None and _worth_a_split(merges):
            part = self._split(merges, ids)
        else:
            self.judge.prepare(merges, self.settings.folders.all())
            self._holidays_ahead()
            verdicts = [self.judge.verdict(m) for m in merges]
            part = self._part(verdicts, ids)
            if replay is not None:
                from opsascode.replay import replay_merges  # --replay only

                report.replay = replay_merges(self.judge, replay, verdicts)
        report.merges = part.rows
        report.notes += part.notes + self.judge.notes
        report.changes = sorted(part.changes, key=lambda c: c.id)
        report.violations = self._violations(part.unapproved, report.changes)
        report.policy_changes = self._policy_changes(part.policy_changes)
        if asset is not None:
            _narrow(report, self._asset(asset))
        return report

    def _split(self, merges: list[HistoryCommit], ids: set[str]) -> MergesPart:
        """The merges judged on two cores: the later ones (and the timelines of the
        change requests they brought) by a forked copy of this process, the others
        here; the copy's part comes back as plain data. Each process loads the
        revisions of its own merges, starting with one full load."""
        ahead = self.judge.loader.ahead
        if ahead is not None and not ahead.finished():
            # The loads wait for the parse-ahead worker: meanwhile, this process looks
            # for the direct pushes, and those that changed rules.
            self._pushed_rules()
        cut = (len(merges) + _SPLIT_BIAS + (0 if self._rules is None else _PUSHES_BIAS)) // 2
        mine, theirs = merges[:cut], merges[cut:]
        later = {m.sha for m in theirs}
        their_ids = {i for i in ids if self._firsts[i].commit.sha in later}
        folders = self.settings.folders.all()
        known = len(self.judge.notes)
        self.judge.prepare(mine, folders)
        # What the parse-ahead worker found is taken before the copy is made.
        self.judge.loader.take_ahead()
        self.history.reader.take_ahead()
        self._holidays_ahead()

        def let_go() -> None:
            self.git.let_go()
            self.judge.loader.ahead = self.history.reader.ahead = None

        def judge_theirs() -> MergesPart:
            self.judge.prepare(theirs, folders)
            return self._part([self.judge.verdict(m) for m in theirs], their_ids)

        def in_the_copy() -> MergesPart:
            part = judge_theirs()
            part.notes += self.judge.notes[known:]  # what the copy's replays noted
            return part

        other = Forked(in_the_copy, let_go)
        try:
            part = self._part([self.judge.verdict(m) for m in mine], ids - their_ids)
            self._pushed_rules()  # meanwhile: the direct pushes, and those that changed rules
            found = other.result()
        finally:
            other.close()
        return part.then(judge_theirs() if found is None else found)  # None: the copy failed

    def _holidays_ahead(self) -> None:
        """Take what the parse-ahead worker's last job found (whether the holidays
        library knows the countries of the tip's calendars): the replays' validation
        asks it, and the library is then not loaded here."""
        if self.judge.loader.ahead is not None:
            self.judge.loader.ahead.holidays(wait=True)

    def _part(self, verdicts: list[MergeVerdict], ids: set[str]) -> MergesPart:
        """What ``verdicts`` and the timelines of ``ids`` add to the report."""
        return MergesPart(
            rows=[self._merge_row(v) for v in verdicts],
            notes=[f"merge {v.merge.sha[:12]} could not be judged: {v.error}"
                   for v in verdicts if v.error],
            changes=self._timelines([v.merge for v in verdicts], ids),
            unapproved=[_violation(v.merge, *unapproved_merge(v)) for v in verdicts
                        if v.gate is not None and not v.approved],
            policy_changes=[p for v in verdicts if (p := merge_policy_change(v)) is not None])

    # ------------------------------------------------------------ change requests

    def _change_ids(self) -> set[str]:
        """The change requests with a timeline: those changed in the period, and the
        emergency changes whose retro-approval fell due in it."""
        period = {c.sha for c in self.in_period}
        return ({v.id for v in self.change_versions if v.commit.sha in period}
                | self._emergencies_before())

    def _timelines(self, merges: list[HistoryCommit], ids: set[str]
                   ) -> list[ChangeTimeline]:
        firsts = [self._firsts[i] for i in ids]
        wanted = [v.commit for v in firsts if v.commit.is_merge and v.commit.sha in self.line]
        brought = {m.sha: self.history.brought(m) for m in [*merges, *wanted]}
        history = ChangeHistory(self.line, self.change_versions, self.judge, brought,
                                self.period.as_of, self._caused(ids), self.squashed)
        found = [history.timeline(i) for i in sorted(ids)]
        return [t for t in found if t is not None]

    def _caused(self, change_ids: set[str]) -> dict[str, set[str]]:
        folder = self.settings.folders.incidents
        files = (self.history.tree(self.line.tip.sha) or {}) if change_ids else {}
        return caused_incidents(self.reader, [blob for path, (_mode, blob) in files.items()
                                              if is_record_file(path, (folder,))], change_ids)

    def _emergencies_before(self) -> set[str]:
        """Emergency changes merged before the period whose retro-approval fell due in
        it (the deadline from the policy in force at their merge)."""
        start = self.period.start
        if start is None:
            return set()
        found = set()
        for change_id, first in self._firsts.items():
            commit = first.commit
            if (first.after is None or first.after.get("type") != "emergency"
                    or commit.committed_at >= start
                    or not (commit.is_merge or self.squashed(commit))):
                continue
            due = self._retro_due(commit, first.after)
            if due is not None and start <= due < self.period.as_of:
                found.add(change_id)
        return found

    def _retro_due(self, merge: HistoryCommit, record: dict[str, Any]) -> datetime | None:
        policy = next(iter(self.judge.repository(merge.parents[0]).approval_policies()), None)
        try:
            change = Change.model_validate(record)
        except ValidationError:
            return None
        if policy is None or policy.emergency is None:
            return None
        return change.window.end + policy.emergency.retro_approval_within

    # ----------------------------------------------------------------- violations

    def _violations(self, unapproved: list[Violation], changes: list[ChangeTimeline]
                    ) -> list[Violation]:
        found = [_violation(c, *direct_push(c, g)) for c, g in self._direct_pushes()]
        found += unapproved
        start = self.period.start
        for item in changes:
            retro, merged = item.retro, item.merged
            if (retro is None or merged is None or retro.met or retro.due > self.period.as_of
                    or (start is not None and retro.due < start and merged.at < start)):
                continue
            found.append(_violation(self.line.commits[self.line.index(merged.commit)],
                                    *emergency_overdue(item)))
        return sorted(found, key=lambda v: (v.at, v.commit, v.code))

    def _direct_pushes(self) -> list[tuple[HistoryCommit, list[str]]]:
        """Non-merge commits of the period that change guarded files (once), but for
        squash merges (with GitHub reviews: those are judged as merges)."""
        if self._pushes is None:
            self._pushes = []
            for commit, guarded in self.guard.pushes(self.in_period):
                if self.guard.is_approval(commit):
                    continue
                if self.squashed(commit):
                    self._squashes.append(commit)
                else:
                    self._pushes.append((commit, guarded))
        return self._pushes

    def squashed(self, commit: HistoryCommit) -> bool:
        """Whether a main-line commit with one parent is a squash merge: with GitHub
        reviews, GitHub names it as a merged pull request's merge commit (asked once
        per commit; only of commits that change what the gate guards)."""
        reviews = self.judge.reviews
        if reviews is None or commit.is_merge or commit.sha == self.line.baseline.sha:
            return False
        if commit.sha not in self._squashed:
            self._squashed[commit.sha] = reviews.squashed(commit.sha) is not None
        return self._squashed[commit.sha]

    def _policy_changes(self, merged: list[PolicyChange]) -> list[PolicyChange]:
        return sorted([*merged, *self._pushed_rules()], key=lambda p: (p.at, p.commit))

    def _pushed_rules(self) -> list[PolicyChange]:
        """The direct pushes that changed protected files or team records (once)."""
        if self._rules is None:
            pushes = self._direct_pushes()
            inventory = (self.settings.folders.inventory,)
            teams: dict[str, set[str]] = {}
            for version in record_versions([c for c, _ in pushes], self.reader, inventory,
                                           TEAM_TEXT):
                if "team" in ((version.before or {}).get("kind"),
                              (version.after or {}).get("kind")):
                    teams.setdefault(version.commit.sha, set()).add(version.id)
            self._rules = []
            for commit, guarded in pushes:
                files = self.guard.protected(commit, guarded)
                changed = teams.get(commit.sha, set())
                if files or changed:
                    self._rules.append(push_policy_change(commit, files, sorted(changed)))
        return self._rules

    # ---------------------------------------------------------------------- other

    def _merge_row(self, verdict: MergeVerdict) -> MergeRow:
        merge = verdict.merge
        changes = tuple(sorted(c.change.id for c in verdict.gate.plan.changes)
                        if verdict.gate else ())
        return MergeRow(merge.sha, merge.committed_at, author(merge), verdict.status,
                        verdict.policy_rev, changes, verdict.error,
                        "merge" if merge.is_merge else "squash merge")

    def _asset(self, asset_id: str) -> AssetHistory:
        from opsascode.asset_history import asset_history  # --asset only

        history = asset_history(asset_id, self.line, self.reader,
                                (self.settings.folders.inventory,), self.change_versions,
                                self.squashed)
        if not history.events:
            raise UsageError(f"no record {asset_id!r} in the history of {self.line.branch}")
        return history


def _violation(commit: HistoryCommit, code: str, message: str) -> Violation:
    return Violation(commit.sha, code, message, commit.committed_at, author(commit))


def _narrow(report: AuditReport, history: AssetHistory) -> None:
    """Keep what concerns one asset: its history, the change requests that target it,
    and the findings on the commits that changed it or merged those requests."""
    report.asset = history
    declared = {c for e in history.events for c in e.changes}
    report.changes = [c for c in report.changes if c.id in declared or history.id in c.targets]
    commits = history.commits | {c.merged.commit for c in report.changes if c.merged}
    report.violations = [v for v in report.violations if v.commit in commits]
    report.policy_changes = [p for p in report.policy_changes if p.commit in commits]


def run_audit(git: GitRepo, loader: Loader, since: date | None, until: date | None,
              now: datetime, *, asset: str | None = None, replay: str | None = None,
              log: LogPass | None = None, reviews: MergedPulls | None = None
              ) -> AuditReport:
    """The audit of the default branch's main line from ``since`` to ``until``
    (days, included; None: from the start of the history, up to now). ``log``: the
    history pass, when the caller started it early; ``reviews``: judge merges by their
    pull requests' GitHub reviews instead of git-native approvals."""
    auditor = Auditor(git, loader, since, until, now, log, reviews)
    lifetime.keep(auditor)  # its history, loads and verdicts: freed by the process's end
    return auditor.report(asset, replay)
