"""What a new change, incident or problem holds: its next id, its defaults, and the
values given on the command line, read by the type of their field.

Text fields (titles, ids, handles, choices) take a value as it is written, so a
title ``no`` or ``15.10`` stays a string; list fields take ``a,b`` or a YAML flow
list; other fields (timestamps, numbers, ``window``, ``outages``) take YAML, read by
:func:`opsascode.yamlio.parse` with its checks. Nothing here reads files or prints.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from opsascode import yamlio
from opsascode.problems import a
from opsascode.records import MODELS, Change, ChangeTemplate, Incident, Record, Team
from opsascode.records import Problem as ProblemRecord
from opsascode.records.assets import AssetBase
from opsascode.repository import Repository

KINDS: tuple[str, ...] = ("change", "incident", "problem")
PREFIXES: dict[str, str] = {"change": "CHG", "incident": "INC", "problem": "PRB"}
#: The field a shortcut flag fills when the kind names it differently.
ALIASES: dict[str, dict[str, str]] = {"problem": {"team": "owner"}}

Shape = Literal["text", "list", "yaml"]

#: Top-level fields that refer to other records: what they must be.
_REFERENCES: dict[str, tuple[type[Record], str]] = {
    "team": (Team, "team"),
    "owner": (Team, "team"),
    "targets": (AssetBase, "asset"),
    "affected": (AssetBase, "asset"),
    "template": (ChangeTemplate, "change template"),
    "incidents": (Incident, "incident"),
    "caused_by": (Change, "change"),
    "problem": (ProblemRecord, "problem"),
    "fixed_by": (Change, "change"),
}


# ------------------------------------------------------------------------ ids


def next_id(kind: str, year: int, taken: Iterable[str]) -> str:
    """``CHG-2026-0016``: one more than the highest number of ``year`` in ``taken``
    (gaps are not filled: a number once used may be referred to from history)."""
    prefix = f"{PREFIXES[kind]}-{year}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$", re.IGNORECASE)
    numbers = (int(found.group(1)) for name in taken if (found := pattern.match(name)))
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


# --------------------------------------------------------------- given values


@cache
def _properties(kind: str) -> dict[str, Any]:
    properties: dict[str, Any] = MODELS[kind].model_json_schema()["properties"]
    return properties


def field_names(kind: str) -> list[str]:
    """The fields of ``kind``, in the model's order."""
    return list(MODELS[kind].model_fields)


def shape(kind: str, name: str) -> Shape:
    """How a value given for the field is read: as text, as a list of text, or as YAML."""
    schema = _properties(kind)[name]
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    if len(options) != 1:
        return "yaml"
    option = options[0]
    if option.get("type") == "string" and "format" not in option:
        return "text"
    items = option.get("items", {})
    if option.get("type") == "array" and items.get("type") == "string" and "format" not in items:
        return "list"
    return "yaml"


def read_value(kind: str, name: str, raw: str) -> Any:
    """The value of field ``name`` given as ``raw``; ValueError says what is wrong."""
    how = shape(kind, name)
    if how == "text":
        return raw
    if how == "list" and not raw.lstrip().startswith("["):
        return [item.strip() for item in raw.split(",") if item.strip()]
    try:
        value, issues = yamlio.parse(raw.encode("utf-8"))
    except yamlio.YamlError as exc:
        raise ValueError(f"{raw!r} is not valid YAML: {exc}") from None
    if issues:
        raise ValueError(issues[0].message)
    return value


def given_values(kind: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """The values of ``fields`` (field name -> text), each read by its field's shape;
    ValueError lists every field that is unknown or cannot be read."""
    names = [name for name in field_names(kind) if name != "kind"]
    aliases = ALIASES.get(kind, {})
    unknown = [given for given in fields if aliases.get(given, given) not in names]
    problems = [_unknown_field(kind, given, names) for given in unknown]
    if unknown:
        problems.append(f"the fields of {a(kind)}: {', '.join(names)}")
    values: dict[str, Any] = {}
    for given, raw in fields.items():
        name = aliases.get(given, given)
        if given in unknown:
            continue
        if name in values:
            problems.append(f"{given}: {name} is given twice; give it once")
            continue
        try:
            values[name] = read_value(kind, name, raw)
        except ValueError as exc:
            problems.append(f"{given}: {exc}")
    if problems:
        raise ValueError("\n".join(problems))
    return values


def _unknown_field(kind: str, given: str, names: list[str]) -> str:
    if given == "kind":
        return "kind: the command chooses the kind (new change|incident|problem)"
    close = difflib.get_close_matches(given, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{a(kind)} has no field {given!r}{hint}"


# ------------------------------------------------------------------- defaults


def local_now(now: datetime | None, timezone: str) -> datetime:
    """Now in the repository's timezone, to the second (a naive ``now`` is local)."""
    when = now or datetime.now(ZoneInfo(timezone))
    when = when if when.tzinfo else when.astimezone()
    return when.astimezone(ZoneInfo(timezone)).replace(microsecond=0)


def default_window(now: datetime) -> dict[str, datetime]:
    """Tomorrow 22:00 to 23:00, in ``now``'s timezone, with the offset of each end."""
    tz = now.tzinfo
    start = datetime.combine(now.date() + timedelta(days=1), time(22), tzinfo=tz)
    end = (start.astimezone(ZoneInfo("UTC")) + timedelta(hours=1)).astimezone(tz)
    return {"start": start, "end": end}


def defaults(kind: str, now: datetime, template: ChangeTemplate | None = None
             ) -> dict[str, Any]:
    """What a new record holds when nothing else is given (``now`` is local and aware)."""
    if kind == "change":
        return {"type": "standard" if template else "normal",
                "action": template.actions[0] if template else "modify",
                "effect": template.effects[0] if template else "outage",
                "window": default_window(now), "requested_at": now,
                "status": "requested", "approvals": []}
    if kind == "incident":
        return {"status": "open", "reported_at": now, "impact": "medium", "urgency": "medium"}
    return {"status": "open", "opened_at": now}


def ordered(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` in the order of the model's fields (the order of the file)."""
    return {name: values[name] for name in field_names(kind) if name in values}


def missing_fields(kind: str, values: Mapping[str, Any]) -> list[str]:
    """Required fields with no value."""
    fields = MODELS[kind].model_fields
    return [name for name, info in fields.items() if info.is_required() and name not in values]


# ----------------------------------------------------------------- references


def unknown_references(repo: Repository, values: Mapping[str, Any]) -> list[str]:
    """What the references among ``values`` get wrong, with a did-you-mean each."""
    found: list[str] = []
    for name, (cls, what) in _REFERENCES.items():
        value = values.get(name)
        ids = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        found.extend(message for target in ids
                     if (message := _reference_problem(repo, name, target, cls, what)))
    return found


def _reference_problem(repo: Repository, name: str, target: str, cls: type[Record],
                       what: str) -> str | None:
    record = repo.records.get(target)
    if record is None and target in repo.invalid_ids:
        return None  # it exists, but is invalid: `validate` reports it there
    if record is not None and not isinstance(record, cls):
        return f"{name}: {target!r} is {a(record.kind)}, not {a(what)}"
    if record is not None:
        return None
    known = sorted(r.id for r in repo.of_type(cls))
    close = difflib.get_close_matches(target, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{name}: there is no {what} {target!r}{hint}"
