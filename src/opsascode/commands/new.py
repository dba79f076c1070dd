"""``opsascode new change|incident|problem``: scaffold a record that validates.

The record is made of defaults and the values given (:mod:`opsascode.scaffold`),
rendered from a template (:mod:`opsascode.report.scaffold`) and read back: the text
must parse to exactly the values meant, validate, refer only to records that exist
and pass the repository's checks, or nothing is written. The one exception is a
rollback plan still to write: the file says where, and the command lists it as a
to-do. The command never prompts; what is missing is named with its flag.
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from opsascode import atomic, scaffold, yamlio
from opsascode.checks import run_checks
from opsascode.errors import FatalError, UsageError
from opsascode.loader import Loader, locate
from opsascode.problems import Problem, a
from opsascode.records import ChangeTemplate, Record, record_adapter
from opsascode.report.scaffold import render_record
from opsascode.repository import Origin, Repository
from opsascode.schema_errors import problems_from_error
from opsascode.tree import YAML_SUFFIXES, WorkingTree
from opsascode.workspace import Options, find_root, open_cache, require_readable

#: Fields with a flag of their own (``--title``); every other field is ``--set``.
SHORTCUTS: tuple[str, ...] = ("id", "title", "type", "template", "team", "targets", "action",
                              "effect", "requester", "impact", "urgency", "affected")
#: Check problems a scaffold may leave for its author: written, listed as a to-do.
TO_FILL_IN = frozenset({"missing-rollback-plan"})

_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
_HOW_TO_NAME = ("--requester HANDLE (or set OPSASCODE_USER, or run "
                "`git config --global opsascode.user HANDLE`)")
_FLAGS = {"title": "--title TEXT", "team": "--team TEAM", "targets": "--targets ID,ID",
          "requester": _HOW_TO_NAME}
#: Who the record is from: the field each kind fills with the user's handle.
_PERSON = {"change": "requester", "incident": "reported_by"}


def new(options: Options, kind: str, fields: dict[str, str], force: bool,
        out: TextIO | None = None, *, now: datetime | None = None) -> int:
    out = out or sys.stdout
    if kind not in scaffold.KINDS:
        raise UsageError(f"cannot scaffold {kind!r}; choose one of {', '.join(scaffold.KINDS)}")
    root = find_root(options.directory)
    repo = Loader(open_cache(root, options)).load(WorkingTree(root))
    require_readable(repo)
    when = scaffold.local_now(now, repo.settings.timezone)
    folder: str = getattr(repo.settings.folders, f"{kind}s")
    data = record_data(repo, root, kind, given(kind, fields), when, folder)
    record = validated(data)
    require_references(repo, data)
    rel = f"{folder}/{data['id']}.yaml"
    path = target_path(root, rel, force)
    replacing = path.exists()
    require_free_id(repo, record.id, rel, replacing)
    text = render_record(kind, data, posixpath.relpath(f"schemas/{kind}.json", folder))
    verify_text(text, data)
    to_do = follow_ups(repo, record, rel, text, when.date())
    atomic.write_text(path, text)
    print(f"{'replaced' if replacing else 'created'} {rel}", file=out)
    for problem in to_do:
        what = "to do" if problem.is_error else "note"
        print(f"  {what}: {problem.file}:{problem.line}:{problem.column}: {problem.message}",
              file=out)
    return 0


# ------------------------------------------------------------- the arguments


def collect_fields(shortcuts: Mapping[str, str | None], assignments: Sequence[str]
                   ) -> dict[str, str]:
    """Fields from the flags (``--title T``, None when not given) and from
    ``--set FIELD=VALUE``; a field given twice is an error."""
    fields = {name: value for name, value in shortcuts.items() if value is not None}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise UsageError(f"--set {assignment!r}: write FIELD=VALUE, e.g. "
                             "--set assignee=carol or --set targets=[db-1,db-2]")
        if name in fields:
            raise UsageError(f"{name} is given twice; give it once")
        fields[name] = value
    return fields


def given(kind: str, fields: Mapping[str, str]) -> dict[str, Any]:
    try:
        return scaffold.given_values(kind, fields)
    except ValueError as exc:
        raise UsageError(f"cannot scaffold the {kind}; nothing was written:\n"
                         f"{_indented(str(exc))}") from None


# ----------------------------------------------------------------- the record


def record_data(repo: Repository, root: Path, kind: str, values: dict[str, Any],
                when: datetime, folder: str) -> dict[str, Any]:
    """Every field of the new record, in the order of the file."""
    values = dict(values)
    if "title" in values and isinstance(values["title"], str):
        require_one_line(values["title"])
    person = _PERSON.get(kind)
    if person and person not in values:
        found = whoami(root)
        if found:
            values[person] = found
    template = repo.get(values["template"], ChangeTemplate) if "template" in values else None
    record_id = values.get("id") or scaffold.next_id(kind, when.year, taken(repo, root, folder))
    data = scaffold.ordered(kind, {"id": record_id, "kind": kind,
                                   **scaffold.defaults(kind, when, template), **values})
    missing = scaffold.missing_fields(kind, data)
    if missing:
        flags = [_FLAGS.get(name, f"--set {name}=VALUE") for name in missing]
        raise UsageError(f"{a(kind)} needs {', '.join(flags)}; nothing was written")
    return data


def require_one_line(title: str) -> None:
    # Control characters, surrogates, and line and paragraph separators (U+2028/9).
    if any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in title):
        raise UsageError(f"the title {title!r} must be one line of text (no line breaks or "
                         "control characters); put details in `description`")


def whoami(root: Path) -> str | None:
    """The user's handle: OPSASCODE_USER, git config opsascode.user, github.user."""
    value = os.environ.get("OPSASCODE_USER")
    if value:
        return _checked_handle(value, "OPSASCODE_USER")
    from opsascode.git import GitRepo

    try:
        git = GitRepo(root)
    except FatalError:
        return None  # not a git repository: the user passes --requester
    for key in ("opsascode.user", "github.user"):
        value = git.config_value(key)
        if value:
            return _checked_handle(value, f"git config {key}")
    return None


def _checked_handle(value: str, source: str) -> str:
    if not _HANDLE.match(value):
        raise UsageError(f"{value!r} (from {source}) is not a code-host handle: 1-39 letters, "
                         "digits or -, starting with a letter or digit")
    return value


def taken(repo: Repository, root: Path, folder: str) -> set[str]:
    """Every id in use, valid or not, and the names of the files in ``folder``."""
    base = root / folder
    names = {p.name.rsplit(".", 1)[0] for p in base.iterdir()
             if p.name.endswith(YAML_SUFFIXES)} if base.is_dir() else set()
    return set(repo.records) | repo.invalid_ids | names


def validated(data: dict[str, Any]) -> Record:
    try:
        record: Record = record_adapter().validate_python(data)
    except ValidationError as exc:
        found = problems_from_error("", (), data, exc)
        raise UsageError(f"{data['kind']} {data['id']!r} would not be valid; nothing was "
                         f"written:\n{_indented(*(p.message for p in found))}") from None
    return record


def require_references(repo: Repository, data: Mapping[str, Any]) -> None:
    found = scaffold.unknown_references(repo, data)
    if found:
        raise UsageError(f"{data['kind']} {data['id']!r} refers to records that do not "
                         f"exist; nothing was written:\n{_indented(*found)}")


# ------------------------------------------------------------------ the file


def target_path(root: Path, rel: str, force: bool) -> Path:
    path = root / rel
    if not path.resolve().is_relative_to(root.resolve()):
        raise FatalError(f"{rel} leads out of the repository (a symbolic link); "
                         "nothing was written")
    if path.exists() and not force:
        raise FatalError(f"{rel} exists; pass --force to replace it")
    return path


def require_free_id(repo: Repository, record_id: str, rel: str, replacing: bool) -> None:
    """Ids are unique: only the record of the file being replaced may have it."""
    origin = repo.origins.get(record_id)
    if origin is not None and origin.file != rel:
        raise UsageError(f"the id {record_id} is taken by the record in {origin.file}; "
                         "leave out --id for the next free one")
    if origin is None and record_id in repo.invalid_ids and not replacing:
        raise UsageError(f"the id {record_id} is taken by an invalid record; fix or remove "
                         "it (`opsascode validate` shows where), or leave out --id")


def verify_text(text: str, data: Mapping[str, Any]) -> None:
    """The rendered text must read back as exactly ``data``: a template that drops,
    adds or changes a value is a bug, never a file."""
    try:
        back, issues = yamlio.parse(text.encode("utf-8"))
    except yamlio.YamlError as exc:
        raise RuntimeError(f"the scaffold of {data['id']} is not YAML: {exc}") from None
    if issues or back != dict(data):
        raise RuntimeError(f"the scaffold of {data['id']} does not read back as the values "
                           f"meant: {issues or back}")


def follow_ups(repo: Repository, record: Record, rel: str, text: str, today: date
               ) -> list[Problem]:
    """The repository's checks on the new file, as if written: errors other than
    :data:`TO_FILL_IN` refuse it; the rest are listed after writing."""
    after = with_record(repo, record, rel, text)
    found = locate(after, [p for p in run_checks(after, today) if p.file == rel])
    refused = [p for p in found if p.is_error and p.code not in TO_FILL_IN]
    if refused:
        raise UsageError(f"{record.kind} {record.id!r} would not pass `opsascode validate`; "
                         f"nothing was written:\n{_indented(*(p.message for p in refused))}")
    return found


def with_record(repo: Repository, record: Record, rel: str, text: str) -> Repository:
    """A new repository: ``repo`` with ``rel`` holding ``record`` (and nothing else)."""
    kept = {i: origin for i, origin in repo.origins.items() if origin.file != rel}
    return Repository(
        settings=repo.settings,
        records={**{i: repo.records[i] for i in kept}, record.id: record},
        origins={**kept, record.id: Origin(rel, ())},
        invalid_ids=set(repo.invalid_ids),
        sources={**repo.sources, rel: text.encode("utf-8")},
        readers={path: read for path, read in repo.readers.items() if path != rel},
    )


def _indented(*lines: str) -> str:
    return "\n".join(f"  {line}" for text in lines for line in text.splitlines())
