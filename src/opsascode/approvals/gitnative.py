"""Git-native approvals: commits that add an entry to a change request's ``approvals``.

An entry of the head revision counts only when the commit that added it

- is authored by the approver the entry names (else it is *forged*);
- changes nothing but ``approvals`` entries of change files (compared as data, with
  the loader's YAML parser: comments and formatting do not matter);
- with ``require_signed``, carries an SSH signature that ``git verify-commit``
  verifies against the keys of the BASE revision's teams, by the approver's key.

An entry added before the last other commit of the branch is returned with
``fresh=False``: the policy's ``invalidate_on_push`` decides whether it still counts.

Identities: a commit's author is a code-host handle through its email,
``ID+handle@users.noreply.github.com`` or ``handle@users.noreply.github.com``,
else through its name, which must then equal the handle (exactly: the policy
compares handles exactly, so this does too). Anyone can write any name and email
into a commit: without signatures, an approval is only as trustworthy as the rules
of who may push to the repository. Signatures verified against the base revision's
keys are the strong form.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from opsascode import yamlio
from opsascode.approvals import APPROVED, Approval, ApprovalSet, NotCounted, PullRequestFacts
from opsascode.approvals.signers import Signatures
from opsascode.git import CommitInfo, FileChange, GitRepo
from opsascode.loader import Loader
from opsascode.records.changes import Approval as Entry
from opsascode.tree import YAML_SUFFIXES, GitTree

if TYPE_CHECKING:
    from opsascode.repository import Repository

#: An approval entry as data: (change id, by, at, comment, signed).
EntryKey = tuple[str, str, datetime, str | None, bool]
Records = dict[str, dict[str, Any]]

_NOREPLY = re.compile(r"^(?:[0-9]+\+)?([A-Za-z0-9][A-Za-z0-9-]{0,38})@users\.noreply\.github\.com$",
                      re.IGNORECASE)
_REGULAR_MODES = frozenset({"100644", "100755", "000000"})


def handle_of(name: str, email: str) -> str:
    """The code-host handle of a git identity: from a GitHub no-reply email, else
    the name."""
    found = _NOREPLY.match(email.strip())
    return found.group(1) if found else name.strip()


def same_handle(a: str | None, b: str | None) -> bool:
    """Handles compare exactly, as the policy compares them with team members and the
    author: an entry ``by: Carol`` committed by ``carol`` would otherwise slip past the
    policy's "not the author" rule. A difference in case fails closed."""
    return a is not None and a == b


def entry_key(change_id: str, entry: Entry) -> EntryKey:
    return (change_id, entry.by, entry.at, entry.comment, entry.signed)


@dataclass(frozen=True)
class Step:
    """One commit of the branch, judged: does it change nothing but approvals?"""

    commit: CommitInfo
    index: int
    #: What else the commit does ("also changes inventory/x.yaml"); None for an
    #: approval commit.
    other: str | None
    #: The approval entries the commit adds.
    added: frozenset[EntryKey]

    @property
    def author(self) -> str:
        return handle_of(self.commit.author_name, self.commit.author_email)

    @property
    def short(self) -> str:
        return self.commit.sha[:12]


def signing_keys(repo: Repository) -> dict[str, list[str]]:
    """Member -> SSH public keys, from one revision's teams (the gate: the base's)."""
    keys: dict[str, list[str]] = {}
    for team in repo.teams():
        for key in team.signing_keys:
            keys.setdefault(key.member, []).append(key.key)
    return keys


def requires_signed(repo: Repository) -> bool:
    """Whether a rule of one revision's approval policies asks for signed approvals."""
    return any(rule.options.require_signed for policy in repo.approval_policies()
               for rule in policy.approval_rules)


class GitApprovals:
    """Approvals recorded as commits on the branch ``base_rev..head_rev``.

    ``signing_keys`` (member -> SSH public keys) must come from the BASE revision's
    teams. ``base_rev`` None walks the whole history of ``head_rev``. A ``loader``
    shares parsed files with the caller.
    """

    name = "git"

    def __init__(self, repo_root: Path, base_rev: str | None, head_rev: str,
                 signing_keys: dict[str, list[str]] | None, require_signed: bool,
                 *, loader: Loader | None = None) -> None:
        self.repo_root = repo_root
        self.base_rev = base_rev
        self.head_rev = head_rev
        self.signing_keys = signing_keys
        self.require_signed = require_signed
        self.loader = loader

    def collect(self) -> ApprovalSet:
        git = GitRepo(self.repo_root)
        head = git.resolve(self.head_rev)
        base = git.resolve(self.base_rev) if self.base_rev else None
        head_repo = (self.loader or Loader()).load(GitTree(git, head))
        walk = BranchWalk(git, head_repo.settings.folders.changes,
                          head_repo.settings.max_file_size)
        return approvals_of(walk, git.branch_commits(base, head), head_repo, base, head,
                            self.signing_keys, self.require_signed)


def approvals_of(walk: BranchWalk, commits: Sequence[CommitInfo], head_repo: Repository,
                 base: str | None, head: str, signing_keys: dict[str, list[str]] | None,
                 require_signed: bool, only: Collection[str] | None = None) -> ApprovalSet:
    """The approval entries of ``head_repo`` (of the changes ``only`` names, when
    given: the gate looks at no others) judged against the branch's ``commits``
    (``base..head``, parents first)."""
    steps = walk.steps(commits)
    result = ApprovalSet(facts(steps, base, head))
    changes = sorted((c for c in head_repo.changes() if only is None or c.id in only),
                     key=lambda c: c.id)
    with contextlib.ExitStack() as stack:
        # The team keys go to a file for ssh-keygen; without keys, no file is needed.
        folder = (Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="opsascode-signers-"))) if signing_keys else Path())
        judge = _Judge(walk, steps, base, Signatures(walk.git, signing_keys, folder),
                       require_signed)
        for change in changes:
            path = head_repo.origins[change.id].file
            for entry in change.approvals:
                verdict = judge(change.id, path, entry)
                if isinstance(verdict, NotCounted):
                    result.not_counted.append(verdict)
                else:
                    result.approvals.append(verdict)
    return result


def facts(steps: list[Step], base: str | None, head: str) -> PullRequestFacts:
    """Author: the first commit's; contributors: authors and committers of every
    commit that is not an approval commit."""
    people = set()
    for step in steps:
        if step.other is not None:
            c = step.commit
            people |= {handle_of(c.author_name, c.author_email),
                       handle_of(c.committer_name, c.committer_email)}
    return PullRequestFacts(author=steps[0].author if steps else None,
                            contributors={p for p in people if p}, head=head, base=base)


class Objects(Protocol):
    """Where a walk reads blobs and a revision's files (default: git itself; the audit
    passes its history, read in one pass)."""

    def read(self, blob_id: str, max_size: int) -> bytes | None:
        """A blob's content; None when it is larger than ``max_size``."""
        ...

    def blob_at(self, rev: str, path: str) -> str | None: ...


class GitObjects:
    def __init__(self, git: GitRepo) -> None:
        self.git = git

    def read(self, blob_id: str, max_size: int) -> bytes | None:
        return None if self.git.blob_size(blob_id) > max_size else self.git.read_blob(blob_id)

    def blob_at(self, rev: str, path: str) -> str | None:
        found = [e for e in self.git.tree(rev, (path,)) if e.path == path]
        return found[0].blob_id if found else None


class BranchWalk:
    """Reads the change files a commit touches, before and after it."""

    def __init__(self, git: GitRepo, changes_folder: str, max_size: int,
                 objects: Objects | None = None) -> None:
        self.git = git
        self.prefix = changes_folder.rstrip("/") + "/"
        self.max_size = max_size
        self.objects = objects or GitObjects(git)
        self._records: dict[str, Records | None] = {}

    def steps(self, commits: Sequence[CommitInfo]) -> list[Step]:
        return [self.step(index, commit) for index, commit in enumerate(commits)]

    def step(self, index: int, commit: CommitInfo) -> Step:
        if commit.is_merge:
            return Step(commit, index, "is a merge commit", frozenset())
        if not commit.files:
            return Step(commit, index, "changes no file", frozenset())
        before: Records = {}
        after: Records = {}
        other = None
        for change in commit.files:
            if not self._is_change_file(change):
                other = other or f"also changes {change.path}"
                continue
            old, new = self.records(change.old_blob), self.records(change.new_blob)
            if old is None or new is None or not _merge(before, old) or not _merge(after, new):
                other = other or f"changes {change.path}, which does not read as records"
        return Step(commit, index, other or content_difference(before, after),
                    added_entries(before, after))

    def records(self, blob: str | None) -> Records | None:
        """The records of a file by id ({} when there is no file); None when the
        file cannot be read as records. Each blob is read once per walk (a walk may
        serve many branches: the audit's replays)."""
        if blob is None:
            return {}
        if blob not in self._records:
            self._records[blob] = self._read_records(blob)
        return self._records[blob]

    def _read_records(self, blob: str) -> Records | None:
        data = self.objects.read(blob, self.max_size)
        if data is None:
            return None
        try:
            value, _issues = yamlio.parse(data)
        except yamlio.YamlError:
            return None
        return _by_id([] if value is None else value if isinstance(value, list) else [value])

    def _is_change_file(self, change: FileChange) -> bool:
        return (change.path.startswith(self.prefix) and change.path.endswith(YAML_SUFFIXES)
                and {change.old_mode, change.new_mode} <= _REGULAR_MODES)


def _by_id(items: list[Any]) -> Records | None:
    records: Records = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return None
        if item["id"] in records:
            return None
        records[item["id"]] = item
    return records


def _merge(into: Records, records: Records) -> bool:
    """Add records to one side of a commit; False when an id is there twice."""
    if into.keys() & records.keys():
        return False
    into.update(records)
    return True


def _without_approvals(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("kind") != "change":
        return record
    return {k: v for k, v in record.items() if k != "approvals"}


def content_difference(before: Records, after: Records) -> str | None:
    """What a commit changes besides approvals, or None."""
    moved = sorted(before.keys() ^ after.keys())
    if moved:
        return f"adds or removes records ({', '.join(moved[:3])})"
    for record_id in sorted(before):
        if _without_approvals(before[record_id]) != _without_approvals(after[record_id]):
            return f"changes {record_id} beyond its approvals"
    return None


def entry_keys(change_id: str, record: dict[str, Any] | None) -> set[EntryKey]:
    """The valid approval entries of a change record, as data."""
    if record is None or record.get("kind") != "change":
        return set()
    items = record.get("approvals")
    keys = set()
    for item in items if isinstance(items, list) else []:
        try:
            keys.add(entry_key(change_id, Entry.model_validate(item)))
        except ValidationError:
            continue  # invalid entries never reach the head's records
    return keys


def added_entries(before: Records, after: Records) -> frozenset[EntryKey]:
    added: set[EntryKey] = set()
    for record_id, record in after.items():
        added |= entry_keys(record_id, record) - entry_keys(record_id, before.get(record_id))
    return frozenset(added)


class _Judge:
    """Decides whether one approval entry of the head revision counts."""

    def __init__(self, walk: BranchWalk, steps: list[Step], base: str | None,
                 signatures: Signatures, require_signed: bool) -> None:
        self.walk = walk
        self.base = base
        self.signatures = signatures
        self.require_signed = require_signed
        self.adders = {key: step for step in steps for key in step.added}  # the last wins
        self.last_other = max((s.index for s in steps if s.other is not None), default=-1)

    def __call__(self, change_id: str, path: str, entry: Entry) -> Approval | NotCounted:
        approval = Approval(by=entry.by, at=entry.at, state=APPROVED, source="git",
                            change=change_id)
        step = self.adders.get(entry_key(change_id, entry))
        if step is None:
            return NotCounted(approval, self._unattributed(change_id, path, entry))
        approval = replace(approval, commit=step.commit.sha, fresh=step.index > self.last_other)
        if not same_handle(step.author, entry.by):
            return NotCounted(approval, f"forged: the entry names {entry.by}, but the commit "
                              f"that added it ({step.short}) is authored by {step.author}")
        if step.other is not None:
            return NotCounted(approval, f"the commit that added it ({step.short}) {step.other}; "
                              "an approval commit changes nothing but approvals "
                              "(`opsascode approve` makes one)")
        signer = self.signatures.signer(step.commit.sha)
        approval = replace(approval, signed=same_handle(signer, entry.by))
        if self.require_signed and not approval.signed:
            return NotCounted(approval, self.signatures.refusal(step.short, signer, entry.by))
        return approval

    def _unattributed(self, change_id: str, path: str, entry: Entry) -> str:
        if self.base is not None and self._in_base(change_id, path, entry):
            return ("given before this branch (the base revision has it): it approved an "
                    "earlier version of the change; approve again on this branch")
        return ("not added by an ordinary commit of this branch (it came with a merge "
                "commit, or from the base revision under another file name); approve again "
                "with `opsascode approve`")

    def _in_base(self, change_id: str, path: str, entry: Entry) -> bool:
        assert self.base is not None
        found = self.walk.objects.blob_at(self.base, path)
        records = self.walk.records(found) if found else None
        record = (records or {}).get(change_id)
        return entry_key(change_id, entry) in entry_keys(change_id, record)
