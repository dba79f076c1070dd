"""One asset's history (``audit --asset ID``): every change of its record on the main
line, field by field, with the commit, its author and date, and the change request
that declared it.

The record is followed by its id, not by its path: when it moves to another file
(a rename, a split of a file) the same commit removes it from one file and adds it to
another, and that is one event, ``moved``. Only the files whose text holds the id are
parsed. A change is *declared* by the change requests the same main-line commit adds
or modifies (for a merge: those of the merged branch) that target the asset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from opsascode.change_history import Squashed, author, how_landed, no_squash
from opsascode.history import (
    MainLine,
    RecordReader,
    RecordVersion,
    is_record_file,
    record_versions,
)
from opsascode.records import record_adapter


@dataclass(frozen=True)
class FieldEdit:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class AssetEvent:
    commit: str
    at: datetime
    by: str
    what: str  # added | modified | moved | removed
    file: str | None
    old_file: str | None
    via: str  # merge | squash merge | direct push | baseline
    fields: tuple[FieldEdit, ...] = ()
    #: Change requests of the same commit that target the asset.
    changes: tuple[str, ...] = ()


@dataclass
class AssetHistory:
    id: str
    kind: str | None
    file: str | None  # where the record is at the end of the period
    events: list[AssetEvent] = field(default_factory=list)

    @property
    def commits(self) -> set[str]:
        return {e.commit for e in self.events}


def asset_history(asset_id: str, line: MainLine, reader: RecordReader,
                  folders: tuple[str, ...], changes: list[RecordVersion],
                  squashed: Squashed = no_squash) -> AssetHistory:
    """``folders``: where assets live (inventory/); ``changes``: the main line's
    versions of change records."""
    wanted = re.compile(re.escape(asset_id).encode())
    changing = line.changing(lambda path: is_record_file(path, folders))
    versions = [v for v in record_versions(changing, reader, folders, wanted)
                if v.id == asset_id]
    declared = _declared(changes, asset_id)
    history = AssetHistory(asset_id, None, None)
    for version in versions:
        record = version.after or version.before or {}
        history.kind = str(record.get("kind")) if record.get("kind") else history.kind
        history.file = version.new_file
        history.events.append(_event(line, version, declared.get(version.commit.sha, ()),
                                     squashed))
    return history


def _event(line: MainLine, version: RecordVersion, changes: tuple[str, ...],
           squashed: Squashed) -> AssetEvent:
    commit = version.commit
    what = ("added" if version.before is None else "removed" if version.after is None
            else "moved" if version.old_file != version.new_file else "modified")
    via = how_landed(line, commit, squashed)
    fields = tuple(_compare(_plain(version.before), _plain(version.after), ""))
    return AssetEvent(commit.sha, commit.committed_at, author(commit), what,
                      version.new_file or version.old_file, version.old_file, via,
                      fields if what in ("modified", "moved") else (), changes)


def _declared(changes: list[RecordVersion], asset_id: str) -> dict[str, tuple[str, ...]]:
    """Main-line commit -> the change requests it adds or modifies that target the asset."""
    found: dict[str, list[str]] = {}
    for version in changes:
        targets = (version.after or {}).get("targets")
        if isinstance(targets, list) and asset_id in targets:
            found.setdefault(version.commit.sha, []).append(version.id)
    return {sha: tuple(sorted(ids)) for sha, ids in found.items()}


def _plain(record: dict[str, Any] | None) -> Any:
    """A record as JSON-ready data: validated when it validates (durations, dates and
    defaults as the tool sees them), else as written."""
    if record is None:
        return None
    try:
        return record_adapter().validate_python(record).model_dump(mode="json", by_alias=True)
    except ValidationError:
        return _json_ready(record)


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value.isoformat() if hasattr(value, "isoformat") else value)


def _compare(old: Any, new: Any, prefix: str) -> Iterator[FieldEdit]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if old.get(key) != new.get(key):
                yield from _compare(old.get(key), new.get(key),
                                    f"{prefix}.{key}" if prefix else str(key))
    elif old != new:
        yield FieldEdit(prefix, old, new)
