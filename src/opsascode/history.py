"""The history reader: the audit trail, from git alone (every git call is in git.py).

The *main line* is the first-parent history of the default branch (``default_branch``
of opsascode.yaml, else ``origin/<it>``, else HEAD), read in ONE ``git log`` pass with
the files each commit changes relative to its first parent: for a merge, everything
its branch brought. The commits of the merged branches are read only when needed, in
one more pass for all of them. Record files are read from their blobs in one
``git cat-file --batch`` and parsed once per blob id, so following a record through
time costs only the versions of the files that held it, and a record is followed by
its id, whatever file it moves to.

A shallow clone's history stops at its graft: :attr:`MainLine.graft` says where. The
oldest commit of the main line (the root, or the graft) is the *baseline*: the state
the audit starts from, never judged.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opsascode import yamlio
from opsascode.errors import FatalError
from opsascode.git import GitRepo, HistoryCommit
from opsascode.tree import YAML_SUFFIXES, SourceFile, Tree

#: The records of one file by id, as parsed (plain data).
Records = dict[str, dict[str, Any]]


def default_branch(git: GitRepo, name: str) -> str:
    """The branch whose main line is audited: ``name``, else ``origin/<name>``, else
    HEAD (a detached checkout in CI)."""
    for candidate in (name, f"origin/{name}"):
        try:
            git.resolve(candidate)
        except FatalError:
            continue
        return candidate
    return "HEAD"


class FoldersOf:
    """A tree seen through some of its folders only: the loader reads no others
    (``opsascode.yaml`` alone, when none)."""

    def __init__(self, tree: Tree, folders: tuple[str, ...]) -> None:
        self.tree = tree
        self.folders = folders
        self.label = tree.label

    def read_settings(self) -> SourceFile | None:
        return self.tree.read_settings()

    def files(self, folders: tuple[str, ...], max_size: int) -> Iterator[SourceFile]:
        kept = tuple(f for f in folders if f in self.folders)
        return self.tree.files(kept, max_size) if kept else iter(())


@dataclass
class MainLine:
    """The main line, oldest commit first."""

    branch: str
    commits: list[HistoryCommit]
    #: The commit where a shallow clone's history is cut (None: the history is whole).
    graft: str | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {c.sha: i for i, c in enumerate(self.commits)}

    @property
    def tip(self) -> HistoryCommit:
        return self.commits[-1]

    @property
    def baseline(self) -> HistoryCommit:
        """The oldest commit read: the root, or the graft of a shallow clone."""
        return self.commits[0]

    def index(self, sha: str) -> int:
        return self._index[sha]

    def __contains__(self, sha: object) -> bool:
        return sha in self._index

    def until(self, end: datetime | None) -> MainLine:
        """The main line as it stood at ``end`` (commit times; None: as it is)."""
        if end is None:
            return self
        last = next((i for i in range(len(self.commits) - 1, -1, -1)
                     if self.commits[i].committed_at < end), None)
        if last is None:
            first = self.baseline.committed_at.isoformat()
            raise FatalError(f"the main line ({self.branch}) has no commit before {end:%Y-%m-%d}; "
                             f"its history starts on {first}")
        return MainLine(self.branch, self.commits[:last + 1], self.graft)

    def since(self, start: datetime | None) -> list[HistoryCommit]:
        """The commits of the period from ``start`` (all when None), oldest first."""
        return [c for c in self.commits if start is None or c.committed_at >= start]


def read_mainline(git: GitRepo, branch: str) -> MainLine:
    """The first-parent history of ``branch``: one ``git log`` call."""
    commits = git.history([branch], first_parent=True)
    commits.reverse()
    shallow = git.shallow_commits()
    graft = commits[0].sha if commits and commits[0].sha in shallow else None
    return MainLine(branch, commits, graft)


def shallow_note(line: MainLine) -> str | None:
    """What an audit of a shallow clone misses, in one sentence."""
    if line.graft is None:
        return None
    return (f"history starts at {line.graft[:12]} (shallow clone); run git fetch --unshallow "
            "for the full audit")


def merged_branches(git: GitRepo, line: MainLine, merges: Iterable[HistoryCommit],
                    paths: tuple[str, ...]) -> dict[str, list[HistoryCommit]]:
    """The commits each merge brought to the main line (reachable from its other
    parents, not from its first parent), parents first, with their files under
    ``paths``; ONE ``git log`` for all.

    The log also lists the main line since the oldest merge (git cannot leave it
    out without leaving out the older branches too), which costs little with the
    files limited to ``paths``. Every merge between the oldest and the newest asked
    for is walked in main-line order, so a commit belongs to the first merge that
    brought it."""
    wanted = sorted({m.sha for m in merges}, key=line.index)
    if not wanted:
        return {}
    first, last = line.index(wanted[0]), line.index(wanted[-1])
    span = [c for c in line.commits[first:last + 1] if c.is_merge]
    tips = [p for m in span if m.sha in wanted for p in m.parents[1:]]
    fetched = git.history(tips, exclude=[line.commits[first].parents[0]], paths=paths)
    order = {c.sha: i for i, c in enumerate(fetched)}
    by_sha = {c.sha: c for c in fetched}
    taken: set[str] = set()
    found: dict[str, list[HistoryCommit]] = {}
    for merge in span:
        shas = _walk(merge.parents[1:], by_sha, line, taken)
        if merge.sha in wanted:
            found[merge.sha] = [by_sha[s] for s in sorted(shas, key=order.__getitem__,
                                                          reverse=True)]
    return found


def _walk(tips: tuple[str, ...], by_sha: dict[str, HistoryCommit], line: MainLine,
          taken: set[str]) -> set[str]:
    """Commits reachable from ``tips`` among those read, stopping at the main line
    and at commits an earlier merge brought."""
    seen: set[str] = set()
    stack = [t for t in tips if t in by_sha]
    while stack:
        sha = stack.pop()
        if sha in seen or sha in taken or sha in line:
            continue
        seen.add(sha)
        stack += [p for p in by_sha[sha].parents if p in by_sha]
    taken |= seen
    return seen


class RecordReader:
    """The records of blobs by id: read in batches, parsed once per blob."""

    def __init__(self, git: GitRepo, max_size: int) -> None:
        self.git = git
        self.max_size = max_size
        self._data: dict[str, bytes] = {}
        self._records: dict[str, Records | None] = {}

    def prefetch(self, blob_ids: Iterable[str | None]) -> None:
        missing = {b for b in blob_ids if b is not None and b not in self._data}
        self._data.update(self.git.read_blobs(missing))

    def data(self, blob_id: str) -> bytes:
        if blob_id not in self._data:
            self.prefetch([blob_id])
        return self._data.get(blob_id, b"")

    def records(self, blob_id: str | None) -> Records | None:
        """The records of a file ({} when there is no file); None when it does not
        read as records (the loader reports why)."""
        if blob_id is None:
            return {}
        if blob_id not in self._records:
            self._records[blob_id] = _parse(self.data(blob_id), self.max_size)
        return self._records[blob_id]


def _parse(data: bytes, max_size: int) -> Records | None:
    if len(data) > max_size:
        return None
    try:
        value, _issues = yamlio.parse(data)
    except yamlio.YamlError:
        return None
    items = [] if value is None else value if isinstance(value, list) else [value]
    records: Records = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            records.setdefault(item["id"], item)
    return records


@dataclass(frozen=True)
class RecordVersion:
    """A record as one main-line commit changed it: added (``before`` None), removed
    (``after`` None), modified, or moved to another file."""

    commit: HistoryCommit
    id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    old_file: str | None
    new_file: str | None


def record_versions(commits: Iterable[HistoryCommit], reader: RecordReader,
                    folders: tuple[str, ...], wanted: re.Pattern[bytes] | None = None
                    ) -> list[RecordVersion]:
    """Every change to the records of ``folders`` made by ``commits``, in their order.
    With ``wanted``, only files whose text matches it are parsed (a record id, a kind):
    the rest cannot hold the records asked for."""
    touched = [(c, [f for f in c.files if is_record_file(f.path, folders)]) for c in commits]
    touched = [(c, files) for c, files in touched if files]
    reader.prefetch(b for _, files in touched for f in files for b in (f.old_blob, f.new_blob))
    found: list[RecordVersion] = []
    for commit, files in touched:
        before, old_files = _side(reader, [(f.old_blob, f.path) for f in files], wanted)
        after, new_files = _side(reader, [(f.new_blob, f.path) for f in files], wanted)
        for record_id in sorted(before.keys() | after.keys()):
            old, new = before.get(record_id), after.get(record_id)
            old_file, new_file = old_files.get(record_id), new_files.get(record_id)
            if old != new or old_file != new_file:
                found.append(RecordVersion(commit, record_id, old, new, old_file, new_file))
    return found


def _side(reader: RecordReader, blobs: list[tuple[str | None, str]],
          wanted: re.Pattern[bytes] | None) -> tuple[Records, dict[str, str]]:
    """The records on one side of a commit, and the file each is in."""
    records: Records = {}
    files: dict[str, str] = {}
    for blob, path in blobs:
        if blob is None or (wanted is not None and not wanted.search(reader.data(blob))):
            continue
        for record_id, record in (reader.records(blob) or {}).items():
            records.setdefault(record_id, record)
            files.setdefault(record_id, path)
    return records, files


def is_record_file(path: str, folders: tuple[str, ...]) -> bool:
    """A YAML file the loader reads, under one of ``folders``."""
    name = path.rsplit("/", 1)[-1]
    return (path.endswith(YAML_SUFFIXES) and not name.startswith(".")
            and any(path.startswith(f.rstrip("/") + "/") for f in folders))


def newest_before(positions: list[int], index: int) -> int | None:
    """The largest of the sorted ``positions`` below ``index``."""
    at = bisect.bisect_left(positions, index)
    return positions[at - 1] if at else None
