"""Load a tree into a :class:`Repository`: read, parse, validate; problems as data.

The fast path parses with libyaml (through :mod:`opsascode.yamlio`) with the garbage
collector paused, reuses parsed files from the blob-id cache on disk, and validates
records with pydantic. Each file becomes a :class:`FileResult`, kept in memory by
(path, blob id): loading a second revision (``plan`` loads base and head) costs only
the files that differ. Positions are recovered at the end, only for files that have
problems.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from pydantic import ValidationError

from opsascode import lifetime, yamlio
from opsascode import problems as P
from opsascode.cache import ParseCache
from opsascode.gcpause import gc_paused
from opsascode.git import SYMLINK_MODE, TreeEntry
from opsascode.parallel import MIN_FILES, Parsed, parse_many, parse_one
from opsascode.parseahead import ParseAhead
from opsascode.problems import Loc
from opsascode.records import Record, record_adapter, records_adapter
from opsascode.records.settings import Settings
from opsascode.repository import Origin, Repository
from opsascode.schema_errors import problems_from_error, quote_hint
from opsascode.tree import GitTree, SourceFile, Tree, is_loaded

Progress = Callable[[int], None]

_ID_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?id:[ \t]*[\"']?([A-Za-z0-9][A-Za-z0-9_.-]*)",
                      re.MULTILINE)
_NOT_A_RECORD = (
    "a record is a mapping with `id` and `kind`; a file holds one record or a list of them"
)


@dataclass
class FileResult:
    """What one file contributes: valid records, ids of invalid ones, problems."""

    records: list[tuple[Loc, Record]] = field(default_factory=list)
    invalid_ids: list[str] = field(default_factory=list)
    problems: list[P.Problem] = field(default_factory=list)


class Loader:
    """Loads trees; one instance shares parsed and validated files between trees."""

    def __init__(self, cache: ParseCache | None = None) -> None:
        self.cache = cache
        self._results: dict[tuple[str, str], FileResult] = {}
        self._parsed: dict[str, Parsed] = {}  # parsed ahead, by blob id
        #: A worker parsing a revision's files on the second core meanwhile.
        self.ahead: ParseAhead | None = None
        self._loaded: dict[str, bool] = {}  # path -> is_loaded(path)
        self._placements: dict[tuple[str, int], tuple[FileResult, _Pairs, _Origins]] = {}
        self._adapter = record_adapter()
        self._list_adapter = records_adapter()

    def load(self, tree: Tree, progress: Progress | None = None) -> Repository:
        repo = Repository()
        repo.settings = self._settings(tree, repo)
        limits = repo.settings
        with gc_paused():
            sources = self._parse_ahead(
                list(tree.files(limits.folders.all(), limits.max_file_size)), limits)
            for source in sources:
                repo.files += 1
                self._add(repo, source, self._result(source, limits))
                if progress:
                    progress(repo.files)
        repo.problems = locate(repo, repo.problems)
        repo.loaded_by = self
        if isinstance(tree, GitTree) and (snapshot := tree.snapshot()) is not None:
            repo.snapshot = snapshot
            repo.has_links = any(mode == SYMLINK_MODE for path, (mode, _blob) in snapshot.items()
                                 if path in repo.blobs)
        lifetime.keep(repo)  # a command's records: freed by its process's end
        return repo

    def derive(self, base: Repository, tree: GitTree) -> Repository:
        """``load(tree)`` for a revision close to the one ``base`` was loaded from (by
        this loader): only the files whose blob differs are read; the results of the
        others are shared. Replaying the gate on a thousand merges loads two thousand
        revisions that differ from one another by a file or two. A full load where
        sharing could change the outcome: other settings, duplicate ids, links."""
        settings_source = tree.read_settings()
        settings_blob = settings_source.blob_id if settings_source else None
        limits = base.settings
        if (settings_blob != base.settings_blob or settings_source is None
                or settings_source.problem is not None or base.settings_blob is None
                or any(p.code == "duplicate-id" for p in base.problems)):
            return self.load(tree)
        loaded = self._loaded
        folders = limits.folders.all()
        files, before = tree.snapshot(), base.snapshot
        by_snapshot = before is not None and files is not None
        if by_snapshot:
            assert before is not None and files is not None
            # Only what differs between the two snapshots is looked at (set
            # operations on their items, in C), not every file of the revision.
            under = tuple(f"{f.rstrip('/')}/" for f in folders)
            touched = {path for path, _entry in files.items() ^ before.items()
                       if path.startswith(under)}
            entries = {path: files[path] for path in touched
                       if path in files and files[path][0].startswith(("100", "120"))}
            links = base.has_links
        else:
            entries = tree.listing(folders)
            links = False
        entries = {path: entry for path, entry in entries.items()
                   if (loaded[path] if path in loaded
                       else loaded.setdefault(path, is_loaded(path)))}
        blobs = base.blobs
        changed = sorted(p for p, (_mode, blob) in entries.items() if blobs.get(p) != blob)
        if by_snapshot:
            removed = [p for p in touched if p in blobs and p not in entries]
        else:
            removed = [p for p in blobs if p not in entries]
        if base.loaded_by is not self or links or any(mode == SYMLINK_MODE
                                                      for mode, _blob in entries.values()):
            return self.load(tree)
        with gc_paused():
            sources = self._parse_ahead([tree.source(TreeEntry(p, *entries[p], 0),
                                                     limits.max_file_size)
                                         for p in changed], limits)
            fresh = {s.path: (s, self._result(s, limits)) for s in sources}
            return self._derived(base, tree, fresh, set(removed), settings_blob)

    def _derived(self, base: Repository, tree: GitTree,
                 fresh: dict[str, tuple[SourceFile, FileResult]], removed: set[str],
                 settings_blob: str | None) -> Repository:
        repo = Repository(settings=base.settings, settings_blob=settings_blob,
                          loaded_by=self, snapshot=tree.snapshot())
        # Looked up by path only: copies of the base's, patched.
        repo.blobs, repo.sources, repo.readers = (dict(base.blobs), dict(base.sources),
                                                  dict(base.readers))
        for path in removed | fresh.keys():
            repo.blobs.pop(path, None)
            repo.sources.pop(path, None)
            repo.readers.pop(path, None)
        for path, (source, _result) in fresh.items():
            repo.blobs[path] = source.blob_id
            if source.data is not None:
                repo.sources[path] = source.data
            elif source.reader is not None:
                repo.readers[path] = source.read
        # In file order, as a full load adds them: records, origins, invalid ids. The
        # base's layout is copied and patched where files differ; the two mappings
        # are then made in one C-level pass each.
        layout = self._layout_of(base).copy()
        for path in removed:
            layout.remove(path)
        for path, (_source, result) in fresh.items():
            layout.put(path, result, *self._placed(path, result))
        repo.layout = layout
        repo.files = len(layout.paths)
        repo.records.update(chain.from_iterable(layout.records))
        repo.origins.update(chain.from_iterable(layout.origins))
        if sum(map(len, layout.records)) != len(repo.records):  # a duplicate id
            return self.load(tree)  # the full load reports it
        repo.invalid_ids = {i for ids in layout.invalid.values() for i in ids}
        kept = [p for p in base.problems if p.file not in fresh and p.file not in removed]
        found = [p for _source, result in fresh.values() for p in result.problems]
        repo.problems = sorted([*kept, *locate(repo, found)])
        # The types of the records that differ; views of the others are the base's.
        before = [self._results.get((path, base.blobs[path])) for path in removed | fresh.keys()
                  if path in base.blobs]
        if all(result is not None for result in before):
            repo._like = (base, frozenset(
                type(record) for result in [*before, *(r for _s, r in fresh.values())]
                if result is not None for _loc, record in result.records))
        lifetime.keep(repo)
        return repo

    def _placed(self, path: str, result: FileResult) -> tuple[_Pairs, _Origins]:
        """A file's (id, record) and (id, origin) pairs (made once per file version)."""
        key = (path, id(result))
        found = self._placements.get(key)
        if found is None or found[0] is not result:  # (the result kept: ids stay unique)
            found = self._placements[key] = (
                result, tuple((record.id, record) for _loc, record in result.records),
                tuple((record.id, Origin(path, loc)) for loc, record in result.records))
        return found[1], found[2]

    def _layout_of(self, repo: Repository) -> Layout:
        """The layout of a repository this loader read in full (made once)."""
        if repo.layout is None:
            layout = Layout([], [], [], {})
            for path in sorted(repo.blobs):
                result = self._results.get((path, repo.blobs[path]), _NOTHING)
                layout.put(path, result, *self._placed(path, result))
            repo.layout = layout
        assert isinstance(repo.layout, Layout)
        return repo.layout

    def parsed_ahead(self, blob_ids: set[str]) -> set[str]:
        """Which of ``blob_ids`` need no reading: the parse-ahead worker parsed them
        (its results are taken now, waiting briefly for it if needed)."""
        self.take_ahead()
        return {b for b in blob_ids if b in self._parsed}

    def take_ahead(self, *, wait: bool = True) -> None:
        """Take the parse-ahead worker's results, if it is done (``wait``: waiting
        briefly for it); a forked copy of this process cannot collect them itself."""
        if self.ahead is not None:
            self._parsed.update(self.ahead.results(wait=wait))

    def _parse_ahead(self, sources: list[SourceFile], settings: Settings) -> list[SourceFile]:
        """Read the files that need parsing and parse them all at once (on two cores
        when it pays); the others stay unread."""
        def needed(source: SourceFile) -> bool:
            return (source.problem is None and (source.path, source.blob_id) not in self._results
                    and source.blob_id not in self._parsed
                    and not (self.cache and self.cache.has(source.blob_id)))

        if self.ahead is not None:  # a handful of files is parsed here rather than waited for
            self.take_ahead(wait=sum(1 for s in sources if needed(s)) >= MIN_FILES)
        sources = [s.read() if needed(s) else s for s in sources]
        todo = {s.blob_id: s.data for s in sources if needed(s) and s.data is not None}
        parsed = parse_many(list(todo.values()), settings.max_alias_expansion)
        self._parsed.update(zip(todo, parsed, strict=True))
        return sources

    def _result(self, source: SourceFile, settings: Settings) -> FileResult:
        key = (source.path, source.blob_id)
        if source.blob_id and key in self._results:
            return self._results[key]
        result = self._file_result(source, settings)
        if source.blob_id:
            self._results[key] = result
        return result

    def _add(self, repo: Repository, source: SourceFile, result: FileResult) -> None:
        repo.forget_indexes()
        repo.blobs[source.path] = source.blob_id
        if source.data is not None:
            repo.sources[source.path] = source.data
        elif source.reader is not None:
            repo.readers[source.path] = source.read
        repo.problems.extend(result.problems)
        repo.invalid_ids.update(result.invalid_ids)
        for loc, record in result.records:
            first = repo.origins.get(record.id)
            if first is not None:
                repo.problems.append(_duplicate(repo, source.path, loc, record.id, first))
                continue
            repo.records[record.id] = record
            repo.origins[record.id] = Origin(source.path, loc)

    def _parse(self, source: SourceFile, settings: Settings, result: FileResult) -> Any:
        """The file's data, or ``_FAILED`` (with the problems added to ``result``).
        A file whose blob is cached is never read."""
        cached = self._parsed.pop(source.blob_id, None)
        if cached is None and self.cache:
            cached = self.cache.get(source.blob_id)
        elif cached is not None and self.cache:
            self.cache.put(source.blob_id, cached)
        if cached is None:
            full = source.read()
            if full.problem is not None or full.data is None:  # binary, not UTF-8, ...
                result.problems.extend([full.problem] if full.problem else [])
                return _FAILED_UNREAD
            cached = parse_one(full.data, settings.max_alias_expansion)
            if self.cache:
                self.cache.put(source.blob_id, cached)
        ok, value, issues = cached
        result.problems.extend(
            P.error(source.path, i.code, i.message, line=i.line, column=i.column)
            for i in issues)
        return value if ok else _FAILED

    def _file_result(self, source: SourceFile, settings: Settings) -> FileResult:
        result = FileResult()
        if source.problem or (source.data is None and source.reader is None):
            result.problems.extend([source.problem] if source.problem else [])
            return result
        value = self._parse(source, settings, result)
        if value is _FAILED_UNREAD:
            return result
        if value is _FAILED:
            # The records of a file that does not parse are unknown, but their ids are
            # usually legible: knowing them avoids a flood of dangling references.
            data = source.read().data or b""
            result.invalid_ids.extend(_ID_LINE.findall(data.decode("utf-8", "replace")))
            return result
        if value is None or value == []:
            result.problems.append(P.warning(source.path, "empty-file",
                                             "the file holds no records; remove it",
                                             line=1, column=1))
        elif isinstance(value, dict):
            self._validate(source.path, (), value, result)
        elif isinstance(value, list):
            self._validate_list(source.path, value, result)
        else:
            result.problems.append(P.error(source.path, "not-a-record", _NOT_A_RECORD, loc=()))
        return result

    def _validate_list(self, path: str, items: list[Any], result: FileResult) -> None:
        """A whole file in one call (the fast path); record by record when anything in
        it is wrong, so every valid record is kept and every problem is found."""
        if all(isinstance(raw, dict) for raw in items):
            try:
                records = self._list_adapter.validate_python(items)
            except ValidationError:
                pass
            else:
                result.records.extend(((index,), r) for index, r in enumerate(records))
                return
        for index, raw in enumerate(items):
            self._validate(path, (index,), raw, result)

    def _validate(self, path: str, loc: Loc, raw: Any, result: FileResult) -> None:
        if not isinstance(raw, dict):
            result.problems.append(P.error(path, "not-a-record", _NOT_A_RECORD, loc=loc))
            return
        try:
            record = self._adapter.validate_python(raw)
        except ValidationError as exc:
            result.problems.extend(problems_from_error(path, loc, raw, exc))
            if isinstance(raw.get("id"), str):
                result.invalid_ids.append(raw["id"])
            return
        result.records.append((loc, record))

    def _settings(self, tree: Tree, repo: Repository) -> Settings:
        source = tree.read_settings()
        if source is None:
            return Settings()
        repo.settings_blob = source.blob_id or None
        result = FileResult()
        if source.problem or source.data is None:
            repo.problems.extend([source.problem] if source.problem else [])
            return Settings()
        repo.sources[source.path] = source.data
        value = self._parse(source, Settings(), result)
        repo.problems.extend(result.problems)
        if value is _FAILED or value is None:
            return Settings()
        try:
            return Settings.model_validate(value)
        except ValidationError as exc:
            repo.problems.extend(problems_from_error(source.path, (), value, exc, Settings))
            return Settings()


_FAILED = object()
_FAILED_UNREAD = object()
_NOTHING = FileResult()  # a file whose problem kept it from being read: no records
_Pairs = tuple[tuple[str, Record], ...]
_Origins = tuple[tuple[str, Origin], ...]


@dataclass
class Layout:
    """A loaded tree's files in path order and what each contributes: how a derived
    revision is put together from its base without going through every record."""

    paths: list[str]
    records: list[_Pairs]
    origins: list[_Origins]
    #: path -> ids of the records of the file that failed validation (few files).
    invalid: dict[str, list[str]]

    def copy(self) -> Layout:
        return Layout(list(self.paths), list(self.records), list(self.origins),
                      dict(self.invalid))

    def remove(self, path: str) -> None:
        at = bisect.bisect_left(self.paths, path)
        if at < len(self.paths) and self.paths[at] == path:
            for column in (self.paths, self.records, self.origins):
                del column[at]
        self.invalid.pop(path, None)

    def put(self, path: str, result: FileResult, records: _Pairs, origins: _Origins) -> None:
        at = bisect.bisect_left(self.paths, path)
        if at < len(self.paths) and self.paths[at] == path:
            self.records[at], self.origins[at] = records, origins
        else:
            self.paths.insert(at, path)
            self.records.insert(at, records)
            self.origins.insert(at, origins)
        if result.invalid_ids:
            self.invalid[path] = result.invalid_ids
        else:
            self.invalid.pop(path, None)


def load(tree: Tree, *, cache: ParseCache | None = None, progress: Progress | None = None
         ) -> Repository:
    """Load one tree (a convenience for commands that need only one)."""
    return Loader(cache).load(tree, progress)


def _duplicate(repo: Repository, path: str, loc: Loc, record_id: str, first: Origin
               ) -> P.Problem:
    data = repo.source(first.file)
    line = f" line {yamlio.Document(data).locate((*first.loc, 'id')).line}" if data else ""
    return P.error(path, "duplicate-id",
                   f"id {record_id!r} is already used by the record in {first.file}{line}; "
                   "ids are unique across the repository, rename one", loc=(*loc, "id"))


def locate(repo: Repository, problems: list[P.Problem]) -> list[P.Problem]:
    """Give every problem that has only a path its line and column.

    Each file with such problems is composed once; the others cost nothing.
    """
    documents: dict[str, yamlio.Document] = {}
    # A value already reported as ambiguous (``owner: no``) is not reported again as
    # a wrong type or a dangling reference: one mistake, one problem.
    flagged = {(p.file, p.line, p.column) for p in [*repo.problems, *problems]
               if p.code == "ambiguous-scalar"}
    result = []
    for problem in problems:
        if problem.loc is None:
            result.append(problem)
            continue
        data = repo.source(problem.file)
        if data is None:
            result.append(problem.located(1, 1))
            continue
        if problem.loc and problem.loc[-1] == P.KEY:
            line, column = yamlio.key_position(data, problem.loc[:-1])
            result.append(problem.located(line, column))
            continue
        document = documents.setdefault(problem.file, yamlio.Document(data))
        found = document.locate(problem.loc)
        if (problem.file, found.line, found.column) in flagged and problem.code != "missing-field":
            continue  # already reported as an ambiguous scalar at the same place
        message = quote_hint(problem.message, found.text)
        result.append(P.Problem(problem.file, found.line, found.column, problem.level,
                                problem.code, message))
    return sorted(result)
