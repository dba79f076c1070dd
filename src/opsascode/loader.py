"""Load a tree into a :class:`Repository`: read, parse, validate; problems as data.

The fast path parses with libyaml (through :mod:`opsascode.yamlio`) with the garbage
collector off, reuses parsed files from the blob-id cache, and validates records
with pydantic. Positions are recovered afterwards, only for files with problems.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from opsascode import problems as P
from opsascode import yamlio
from opsascode.cache import ParseCache
from opsascode.problems import Loc
from opsascode.records import record_adapter
from opsascode.records.settings import Settings
from opsascode.repository import Origin, Repository
from opsascode.schema_errors import problems_from_error, quote_hint
from opsascode.tree import SourceFile, Tree

Progress = Callable[[int], None]


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Parsing allocates millions of small objects and no cycles; the cyclic
    # collector would scan them over and over (it doubles parse time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(tree: Tree, *, cache: ParseCache | None = None, progress: Progress | None = None
         ) -> Repository:
    repo = Repository()
    repo.settings = _load_settings(tree, repo, cache)
    adapter = record_adapter()
    with _gc_paused():
        for source in tree.files(repo.settings.folders.all(), repo.settings.max_file_size):
            repo.files += 1
            _load_file(source, repo, adapter, cache)
            if progress:
                progress(repo.files)
    repo.problems = locate(repo, repo.problems)
    return repo


def _parse(source: SourceFile, repo: Repository, cache: ParseCache | None
           ) -> tuple[bool, Any]:
    """Parse one file; returns (ok, data) and records parse problems."""
    assert source.data is not None
    cached = cache.get(source.blob_id) if cache else None
    if cached is None:
        try:
            value, issues = yamlio.parse(source.data,
                                         max_expansion=repo.settings.max_alias_expansion)
        except yamlio.YamlError as exc:
            issues, value = [exc.issue], None
            if cache:
                cache.put(source.blob_id, (False, None, issues))
            _add_issues(source.path, issues, repo)
            return False, None
        if cache:
            cache.put(source.blob_id, (True, value, issues))
        cached = (True, value, issues)
    ok, value, issues = cached
    _add_issues(source.path, issues, repo)
    return ok, value


def _add_issues(path: str, issues: list[yamlio.YamlIssue], repo: Repository) -> None:
    for issue in issues:
        repo.problems.append(P.error(path, issue.code, issue.message, line=issue.line,
                                     column=issue.column))


def _load_settings(tree: Tree, repo: Repository, cache: ParseCache | None) -> Settings:
    source = tree.read_settings()
    if source is None:
        return Settings()
    if source.problem:
        repo.problems.append(source.problem)
        return Settings()
    repo.sources[source.path] = source.data or b""
    ok, value = _parse(source, repo, cache)
    if not ok:
        return Settings()
    if value is None:
        return Settings()
    try:
        return Settings.model_validate(value)
    except ValidationError as exc:
        repo.problems.extend(problems_from_error(source.path, (), value, exc, "settings"))
        return Settings()


def _load_file(source: SourceFile, repo: Repository, adapter: Any,
               cache: ParseCache | None) -> None:
    if source.problem or source.data is None:
        if source.problem:
            repo.problems.append(source.problem)
        return
    repo.sources[source.path] = source.data
    ok, value = _parse(source, repo, cache)
    if not ok:
        return
    if value is None:
        repo.problems.append(P.warning(source.path, "empty-file",
                                       "the file holds no records; remove it", line=1, column=1))
        return
    if isinstance(value, dict):
        _add_record(source.path, (), value, repo, adapter)
    elif isinstance(value, list):
        for index, raw in enumerate(value):
            _add_record(source.path, (index,), raw, repo, adapter)
    else:
        repo.problems.append(P.error(source.path, "not-a-record", _NOT_A_RECORD, loc=()))


_NOT_A_RECORD = (
    "a record is a mapping with `id` and `kind`; a file holds one record or a list of them"
)


def _add_record(path: str, loc: Loc, raw: Any, repo: Repository, adapter: Any) -> None:
    if not isinstance(raw, dict):
        repo.problems.append(P.error(path, "not-a-record", _NOT_A_RECORD, loc=loc))
        return
    raw_id = raw.get("id")
    try:
        record = adapter.validate_python(raw)
    except ValidationError as exc:
        repo.problems.extend(problems_from_error(path, loc, raw, exc))
        if isinstance(raw_id, str):
            repo.invalid_ids.add(raw_id)
        return
    first = repo.origins.get(record.id)
    if first is not None:
        repo.problems.append(P.error(
            path, "duplicate-id",
            f"id {record.id!r} is already used by the record in {first.file}"
            f"{_line_suffix(repo, first)}; ids are unique across the repository, rename one",
            loc=(*loc, "id")))
        return
    repo.records[record.id] = record
    repo.origins[record.id] = Origin(path, loc)


def _line_suffix(repo: Repository, origin: Origin) -> str:
    data = repo.sources.get(origin.file)
    if data is None:
        return ""
    return f" line {yamlio.Document(data).locate((*origin.loc, 'id')).line}"


def locate(repo: Repository, problems: list[P.Problem]) -> list[P.Problem]:
    """Give every problem that has only a path its line and column.

    Each file with such problems is composed once; the others cost nothing.
    """
    documents: dict[str, yamlio.Document] = {}
    flagged = {(p.file, p.line, p.column) for p in problems if p.code == "ambiguous-scalar"}
    result = []
    for problem in problems:
        if problem.loc is None:
            result.append(problem)
            continue
        data = repo.sources.get(problem.file)
        if data is None:
            result.append(problem.located(1, 1))
            continue
        if problem.code == "unknown-field" and problem.loc:
            line, column = yamlio.key_position(data, problem.loc)
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
