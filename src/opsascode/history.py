"""The history reader: the audit trail, from git alone (every git call is in git.py).

Everything reachable from the default branch (``default_branch`` of opsascode.yaml,
else ``origin/<it>``, else HEAD) is read in ONE ``git log`` pass, started before the
rest of the program loads, with the files each commit changes relative to its first
parent (for a merge: everything its branch brought). The *main line* is the
first-parent chain from the tip. Any revision's files are rebuilt from those
changes, and merge bases and branch ranges are worked out on the commit graph, so
replaying the gate on a merge asks git for nothing but the blobs, read for all merges
in one ``git cat-file --batch`` and parsed once per blob id. Following a record
through time costs only the versions of the files that held it, and a record is
followed by its id, whatever file it moves to.

A shallow clone's history stops at its graft: :attr:`MainLine.graft` says where. The
oldest commit of the main line (the root, or the graft) is the *baseline*: the state
the audit starts from, never judged.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from opsascode import yamlio
from opsascode.errors import FatalError
from opsascode.git import GONE_MODE, SYMLINK_MODE, GitRepo, HistoryCommit, TreeEntry, raw_new_side
from opsascode.tree import SETTINGS_FILE, GitTree, SourceFile, Tree, is_loaded

if TYPE_CHECKING:
    from opsascode.parseahead import ParseAhead

#: The records of one file by id, as parsed (plain data).
Records = dict[str, dict[str, Any]]


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
    _by_path: dict[str, list[int]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._index = {c.sha: i for i, c in enumerate(self.commits)}

    def paths_changed(self) -> dict[str, list[int]]:
        """Every path the main line changes -> the positions of the commits that change
        it, in order (made once): the audit's questions about paths are then asked
        once per path, not once per commit and path."""
        if self._by_path is None:
            by_path: defaultdict[str, list[int]] = defaultdict(list)
            for position, commit in enumerate(self.commits):
                for path in commit.paths:
                    by_path[path].append(position)
            self._by_path = dict(by_path)
        return self._by_path

    def changing(self, wanted: Callable[[str], bool]) -> list[HistoryCommit]:
        """The commits, in order, that change a path ``wanted`` accepts."""
        positions = {i for path, found in self.paths_changed().items() if wanted(path)
                     for i in found}
        return [self.commits[i] for i in sorted(positions)]

    @property
    def tip(self) -> HistoryCommit:
        return self.commits[-1]

    @property
    def baseline(self) -> HistoryCommit:
        """The oldest commit read: the root, or the graft of a shallow clone."""
        return self.commits[0]

    def index(self, sha: str) -> int:
        return self._index[sha]

    def positions(self, commits: Iterable[HistoryCommit]) -> list[int]:
        """The indexes of main-line ``commits`` (a period's ten thousand, at once)."""
        index = self._index
        return [index[c.sha] for c in commits]

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
        if last == len(self.commits) - 1:
            return self  # (and what it has indexed)
        return MainLine(self.branch, self.commits[:last + 1], self.graft)

    def since(self, start: datetime | None) -> list[HistoryCommit]:
        """The commits of the period from ``start`` (all when None), oldest first."""
        return [c for c in self.commits if start is None or c.committed_at >= start]


def shallow_note(line: MainLine) -> str | None:
    """What an audit of a shallow clone misses, in one sentence."""
    if line.graft is None:
        return None
    return (f"history starts at {line.graft[:12]} (shallow clone); run git fetch --unshallow "
            "for the full audit")


#: (mode, blob id) by path: a revision's files.
Snapshot = dict[str, tuple[str, str]]
#: Every so many main-line commits, the files are kept, so that going back to an
#: older revision rebuilds from a near one rather than from the first commit.
_CHECKPOINT = 256


class History:
    """Everything reachable from the audited branch, from ONE ``git log`` pass
    (:class:`~opsascode.git.LogPass`): the main line, the commits each merge brought,
    and any revision's files, rebuilt from the commits' changes (the first commit's
    lists them all) instead of one ``git ls-tree`` per revision. Merge bases and
    branch ranges are worked out on the commit graph; git is asked only for shapes
    this does not cover (a criss-cross merge, a branch with merges of its own)."""

    def __init__(self, git: GitRepo, branch: str, commits: list[HistoryCommit],
                 max_size: int) -> None:
        self.git = git
        self.by_sha = {c.sha: c for c in commits}
        self._commits = commits  # git's order: newest first
        line: list[HistoryCommit] = []
        at: HistoryCommit | None = commits[0] if commits else None
        while at is not None:
            line.append(at)
            at = self.by_sha.get(at.parents[0]) if at.parents else None
        line.reverse()
        if not line:
            raise FatalError(f"{branch} has no commits")
        graft = line[0].sha if line[0].sha in git.shallow_commits() else None
        self.line = MainLine(branch, line, graft)
        self.reader = RecordReader(git, max_size)
        self._owner: dict[str, int] | None = None
        self._order: dict[str, int] | None = None
        self._brought: dict[str, list[HistoryCommit]] = {}
        self._trees: dict[str, Snapshot] = {}
        #: The newest main-line files rebuilt, and those of every index asked for.
        self._cursor: tuple[int, Snapshot] = (-1, {})
        self._indexed: dict[int, Snapshot] = {}

    # ------------------------------------------------------------------ the graph

    @property
    def owner(self) -> dict[str, int]:
        """Commit -> index of the main-line commit that brought it to the main line
        (its own, for a main-line commit): a commit is an ancestor of the main-line
        commit ``i`` exactly when its owner is at most ``i``."""
        if self._owner is None:
            owner = {c.sha: i for i, c in enumerate(self.line.commits)}
            for i, merge in enumerate(self.line.commits):
                if merge.is_merge:
                    found = self._reach(merge.parents[1:], lambda sha: sha in owner) or set()
                    owner.update(dict.fromkeys(found, i))
                    self._brought[merge.sha] = self._parents_first(found)
            self._owner = owner
        return self._owner

    def brought(self, merge: HistoryCommit) -> list[HistoryCommit]:
        """The commits a main-line merge brought, parents first."""
        _ = self.owner
        return self._brought.get(merge.sha, [])

    def _reach(self, tips: Iterable[str], stop: Callable[[str], bool]) -> set[str] | None:
        """Commits reachable from ``tips`` without passing ``stop``; None when the walk
        leaves the commits read (a shallow clone's cut)."""
        seen: set[str] = set()
        stack = list(tips)
        while stack:
            sha = stack.pop()
            if sha in seen or stop(sha):
                continue
            commit = self.by_sha.get(sha)
            if commit is None:
                return None
            seen.add(sha)
            stack += commit.parents
        return seen

    def _parents_first(self, shas: set[str] | None) -> list[HistoryCommit]:
        """``shas`` in an order where every commit comes after its parents (older
        first where the graph leaves it open)."""
        if not shas:
            return []
        done: set[str] = set()
        found: list[HistoryCommit] = []
        if self._order is None:
            self._order = {c.sha: i for i, c in enumerate(self._commits)}
        for sha in sorted(shas, key=self._order.__getitem__, reverse=True):
            stack = [(sha, False)]
            while stack:
                at, ready = stack.pop()
                if ready:
                    found.append(self.by_sha[at])
                    continue
                if at in done:
                    continue
                done.add(at)
                stack.append((at, True))
                stack += [(p, False) for p in reversed(self.by_sha[at].parents)
                          if p in shas and p not in done]
        return found

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of the main-line commit ``a`` and ``b`` (git's
        answer, from git itself for the shapes the graph alone cannot settle)."""
        if a in self.line and b in self.by_sha:
            owner, limit = self.owner, self.line.index(a)
            common: list[str] = []

            def reached(sha: str) -> bool:
                if owner.get(sha, limit + 1) > limit:
                    return False
                common.append(sha)
                return True

            seen = self._reach([b], reached)
            if seen is not None and common:
                best = max(owner[sha] for sha in common)
                if self.line.commits[best].sha in common:
                    return self.line.commits[best].sha
        return self.git.merge_base(a, b)

    def between(self, base: str, head: str) -> list[HistoryCommit] | None:
        """``git log --reverse --topo-order base..head`` for a main-line ``base`` and a
        linear range (None otherwise: ask git)."""
        if base not in self.line or head not in self.by_sha:
            return None
        owner, limit = self.owner, self.line.index(base)
        found = self._reach([head], lambda sha: owner.get(sha, limit + 1) <= limit)
        if found is None:
            return None
        commits = self._parents_first(found)
        linear = all(len(c.parents) == 1 for c in commits) and all(
            c.parents[0] == p.sha for p, c in pairwise(commits))
        return commits if linear else None

    # ------------------------------------------------------------------ the trees

    def tree(self, sha: str) -> Snapshot | None:
        """The files of a commit of the history (None: not read, e.g. beyond a
        shallow clone's graft)."""
        if sha in self._trees:
            return self._trees[sha]
        if sha not in self.by_sha:
            return None
        if sha in self.line:
            self.reader.take_ahead()
            tip = self.reader.tip
            # The tip as git listed it, else rebuilt (ten thousand commits: 5 ms).
            found = tip[1] if tip and tip[0] == sha else self._main_tree(self.line.index(sha))
        else:
            chain: list[HistoryCommit] = []
            at = self.by_sha.get(sha)
            while at is not None and at.sha not in self.line:
                chain.append(at)
                at = self.by_sha.get(at.parents[0]) if at.parents else None
                if at is None and chain[-1].parents:
                    return None  # cut off by a shallow clone
            found = dict(self.tree(at.sha) or {}) if at is not None else {}
            for commit in reversed(chain):
                commit.apply(found)
        self._trees[sha] = found
        return found

    def _main_tree(self, index: int) -> Snapshot:
        at, files = self._cursor
        if index < at:  # start again from the nearest older revision rebuilt
            at = max((i for i in self._indexed if i <= index), default=-1)
            files = self._indexed.get(at, {})
        files = dict(files)
        for position in range(at + 1, index + 1):
            self.line.commits[position].apply(files)
            if position % _CHECKPOINT == 0 and position not in self._indexed:
                self._indexed[position] = dict(files)  # to start from, going back
        if index >= self._cursor[0]:
            self._cursor = (index, files)
        self._indexed[index] = files
        return files

    def changed_paths(self, a: str, b: str) -> list[str]:
        """Files that differ between two commits (as ``git diff --name-only``)."""
        old, new = self.tree(a), self.tree(b)
        if old is None or new is None:
            return self.git.changed_paths(a, b)
        return sorted({p for p, entry in old.items() if new.get(p) != entry}
                      | {p for p in new if p not in old})

    def file_tree(self, sha: str, path: str) -> Tree | None:
        """A commit's tree holding just ``path`` (when the commit has it), found in the
        newest commit up its first parents that changed it: reading one file (the
        settings) does not rebuild every file. None when the history read does not
        reach back far enough (a shallow clone's cut)."""
        if sha in self._trees:
            entry = self._trees[sha].get(path)
            return SnapshotTree(self, sha, {path: entry} if entry else {})
        at = self.by_sha.get(sha)
        if sha in self.line:  # the newest commit to change it, by the main line's index
            positions = self.line.paths_changed().get(path, [])
            found = bisect.bisect_right(positions, self.line.index(sha))
            if found:
                at = self.line.commits[positions[found - 1]]
            elif self.line.baseline.parents:  # cut off before its first commit
                return None
            else:  # never changed since the first commit, which lists every file
                return SnapshotTree(self, sha, {})
        while at is not None:
            if path in at.paths:
                mode, blob = next(raw_new_side(m) for m, p in at.raw_files() if p == path)
                return SnapshotTree(self, sha, {} if mode == GONE_MODE else {path: (mode, blob)})
            if not at.parents:  # the first commit (or a graft): it lists all its files
                return SnapshotTree(self, sha, {})
            at = self.by_sha.get(at.parents[0])
        return None

    def snapshot_tree(self, sha: str) -> Tree | None:
        files = self.tree(sha)
        return None if files is None else SnapshotTree(self, sha, files)

    def prefetch(self, shas: Iterable[str], folders: tuple[str, ...],
                 blobs: Iterable[str] = (),
                 parsed: Callable[[set[str]], set[str]] | None = None) -> None:
        """Read, in one ``git cat-file``, every record file (and opsascode.yaml) of
        these revisions, and ``blobs``, that is not read yet; ``parsed``: which of the
        record files' blobs are parsed already (their text is not needed)."""
        entries: set[tuple[str, tuple[str, str]]] = set()
        # Oldest first: the main line's files are rebuilt going forward.
        line, last = self.line, len(self.line.commits)
        for sha in sorted(shas, key=lambda sha: line.index(sha) if sha in line else last):
            entries.update((self.tree(sha) or {}).items())
        records = {blob for path, (mode, blob) in entries
                   if mode != SYMLINK_MODE and is_record_file(path, folders)}
        settings = {blob for path, (_mode, blob) in entries if path == SETTINGS_FILE}
        self.reader.prefetch([*blobs, *settings,
                              *(records - parsed(records) if parsed else records)])

    # --------------------------------------- what approvals read (BranchWalk)

    def read(self, blob_id: str, max_size: int) -> bytes | None:
        data = self.reader.data(blob_id)
        return None if len(data) > max_size else data

    def blob_at(self, rev: str, path: str) -> str | None:
        files = self.tree(rev)
        if files is None:
            found = [e for e in self.git.tree(rev, (path,)) if e.path == path]
            return found[0].blob_id if found else None
        entry = files.get(path)
        return entry[1] if entry else None


class SnapshotTree(GitTree):
    """A revision's files as :class:`History` rebuilt them (no ``ls-tree``); blobs
    come from its reader (read in batches)."""

    def __init__(self, history: History, sha: str, files: Snapshot) -> None:
        self.repo = history.git
        self.rev = self.commit = sha
        self.label = f"revision {sha}"
        self._files = files
        self._reader = history.reader

    def entries(self, folders: tuple[str, ...]) -> list[TreeEntry]:
        return [TreeEntry(path, mode, blob, 0)
                for path, (mode, blob) in self.listing(folders).items()]

    def snapshot(self) -> dict[str, tuple[str, str]]:
        return self._files

    def listing(self, folders: tuple[str, ...]) -> dict[str, tuple[str, str]]:
        """The regular files and links under ``folders`` (files or folders)."""
        files = self._files
        wanted = tuple(f.rstrip("/") for f in folders)
        if all(f in files for f in wanted):  # files, not folders: no need to look further
            found = {f: files[f] for f in wanted}
        else:
            under = tuple(f"{f}/" for f in wanted)
            found = {path: entry for path, entry in files.items()
                     if path.startswith(under) or path in wanted}
        return {path: entry for path, entry in found.items()
                if entry[0].startswith(("100", "120"))}

    def blob(self, blob_id: str) -> bytes:
        return self._reader.data(blob_id)


class RecordReader:
    """The records of blobs by id: read in batches, parsed once per blob."""

    def __init__(self, git: GitRepo, max_size: int) -> None:
        self.git = git
        self.max_size = max_size
        self._data: dict[str, bytes] = {}
        self._records: dict[str, Records | None] = {}
        #: A worker reading (and parsing) the tip's files: what it read is not read again.
        self.ahead: ParseAhead | None = None
        #: The branch tip's commit and files, as git listed them for that worker.
        self.tip: tuple[str, Snapshot] | None = None

    def take_ahead(self) -> None:
        """Take the text of the blobs the parse-ahead worker read, and the tip's
        files, if it is done."""
        if self.ahead is not None and self.ahead.finished():
            self._data.update(self.ahead.texts())
            self.tip = self.ahead.tip()
            self.ahead = None

    def prefetch(self, blob_ids: Iterable[str | None]) -> None:
        self.take_ahead()
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
    under = tuple(f.rstrip("/") + "/" for f in folders)
    touched = [(c, [f for f in c.files if is_record_file(f.path, folders)]) for c in commits
               if any(p.startswith(under) and is_record_file(p, folders) for p in c.paths)]
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
    """A YAML file the loader reads, under one of ``folders`` (remembered by path: a
    long history names the same paths again and again)."""
    memo = _RECORD_FILES.get(folders)
    if memo is None:
        memo = _RECORD_FILES[folders] = {}
    found = memo.get(path)
    if found is None:
        found = memo[path] = (is_loaded(path) and path.startswith(
            tuple(f.rstrip("/") + "/" for f in folders)))
    return found


_RECORD_FILES: dict[tuple[str, ...], dict[str, bool]] = {}


def newest_before(positions: list[int], index: int) -> int | None:
    """The largest of the sorted ``positions`` below ``index``."""
    at = bisect.bisect_left(positions, index)
    return positions[at - 1] if at else None
