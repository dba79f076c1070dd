"""What a branch changes: records added, removed and modified, field by field, and
the modifications no change request in the branch declares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from opsascode import problems as P
from opsascode.loader import locate
from opsascode.records import Change, Record, Team
from opsascode.records.assets import AssetBase
from opsascode.repository import Repository


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RecordChange:
    id: str
    kind: str
    status: str  # added | removed | modified
    file: str
    fields: tuple[FieldChange, ...] = ()

    def field_names(self) -> list[str]:
        return [f.field for f in self.fields]


def diff_repositories(base: Repository, head: Repository) -> list[RecordChange]:
    """Every record that differs, sorted by id. Records shared by the two loads
    (unchanged files) are the same objects, so comparing them costs nothing."""
    result = []
    for record_id, new in head.records.items():
        old = base.records.get(record_id)
        if old is None:
            result.append(RecordChange(record_id, new.kind, "added",
                                       head.origins[record_id].file))
        elif old is not new and old != new:
            fields = tuple(field_changes(old, new))
            result.append(RecordChange(record_id, new.kind, "modified",
                                       head.origins[record_id].file, fields))
    for record_id, old in base.records.items():
        if record_id not in head.records:
            result.append(RecordChange(record_id, old.kind, "removed",
                                       base.origins[record_id].file))
    return sorted(result, key=lambda c: c.id)


def field_changes(old: Record, new: Record) -> Iterator[FieldChange]:
    yield from _compare(old.model_dump(mode="json", by_alias=True),
                        new.model_dump(mode="json", by_alias=True), "")


def _compare(old: Any, new: Any, prefix: str) -> Iterator[FieldChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if old.get(key) != new.get(key):
                name = f"{prefix}.{key}" if prefix else str(key)
                yield from _compare(old.get(key), new.get(key), name)
    elif old != new:
        yield FieldChange(prefix, old, new)


def branch_changes(diff: list[RecordChange], head: Repository) -> list[Change]:
    """The change requests the branch adds or modifies."""
    found = [head.records[c.id] for c in diff if c.kind == "change" and c.status != "removed"]
    return [c for c in found if isinstance(c, Change)]


def undeclared(diff: list[RecordChange], base: Repository, head: Repository,
               changes: list[Change]) -> list[P.Problem]:
    """Assets and teams the branch changes without a change request targeting them."""
    declared = {target for change in changes for target in change.targets}
    problems = []
    for item in diff:
        record = head.records.get(item.id) or base.records.get(item.id)
        if not isinstance(record, AssetBase | Team) or item.id in declared:
            continue
        repo = base if item.status == "removed" else head
        origin = repo.origins[item.id]
        what = {"added": "adds", "removed": "removes", "modified": "modifies"}[item.status]
        fields = f" (fields: {', '.join(item.field_names())})" if item.fields else ""
        problems += locate(repo, [P.error(
            origin.file, "undeclared-modification",
            f"the branch {what} {record.kind} {item.id!r} in {origin.file}{fields}, but no "
            "change request in the branch targets it; add a change request with "
            f"`targets: [{item.id}]`", loc=(*origin.loc, *_first_field(item)))])
    return sorted(problems)


def _first_field(item: RecordChange) -> tuple[str, ...]:
    """Point annotations at the first changed field (the record when added/removed)."""
    return (item.fields[0].field.split(".")[0],) if item.fields else ()
