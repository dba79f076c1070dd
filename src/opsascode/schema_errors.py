"""Turn pydantic validation errors into problems that say how to fix them."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from opsascode import problems as P
from opsascode.problems import Loc
from opsascode.records import KINDS, MODELS

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "datetime_type": "a timestamp with a timezone, e.g. 2026-12-01T22:00:00+01:00",
    "datetime_parsing": "a timestamp with a timezone, e.g. 2026-12-01T22:00:00+01:00",
    "date_type": "a date, e.g. 2026-12-01",
    "date_from_datetime_inexact": "a date, e.g. 2026-12-01",
}


def describe_field(loc: Loc) -> str:
    text = ""
    for step in loc:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "the record"


def _record_label(raw: Any) -> str:
    if isinstance(raw, dict):
        kind, rid = raw.get("kind"), raw.get("id")
        if isinstance(kind, str) and isinstance(rid, str):
            return f"{kind} {rid!r}"
        if isinstance(rid, str):
            return f"record {rid!r}"
    return "the record"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing (null)"
    return f"a {type(value).__name__}"


def problems_from_error(file: str, prefix: Loc, raw: Any, exc: ValidationError,
                        model_kind: str | None = None) -> list[P.Problem]:
    """One problem per pydantic error; ``loc`` is the failing field's path in the file."""
    result = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if model_kind is None and loc and isinstance(raw, dict) and loc[0] == raw.get("kind"):
            loc = loc[1:]  # the discriminated union puts the kind first
        if err["type"] == "union_tag_invalid":
            loc = ("kind",)
        code, message = _explain(err, loc, raw)
        result.append(P.error(file, code, message, loc=(*prefix, *loc)))
    return result


def _explain(err: Any, loc: Loc, raw: Any) -> tuple[str, str]:
    kind, label, where = err["type"], _record_label(raw), describe_field(loc)
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown-field", _unknown_field(loc, raw, label)
    if kind == "missing":
        return "missing-field", f"{label} is missing the required field {where!r}"
    if kind == "union_tag_not_found":
        return "missing-kind", f"{label} has no `kind`; set it to one of: {', '.join(KINDS)}"
    if kind == "union_tag_invalid":
        tag = raw.get("kind") if isinstance(raw, dict) else None
        close = difflib.get_close_matches(str(tag), KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return "unknown-kind", f"unknown kind {tag!r}{hint}; kinds are: {', '.join(KINDS)}"
    if kind == "timezone_aware":
        return "naive-timestamp", (
            f"{where} of {label} has no timezone; add the offset, "
            "e.g. 2026-12-01T22:00:00+01:00 (or Z for UTC)"
        )
    if kind == "string_pattern_mismatch" and loc and loc[-1] in ("id", "owner", "team"):
        return "invalid-id", (
            f"{where} of {label} is {value!r}, not a valid id: use 1-63 characters of "
            "[a-z0-9] separated by single - _ or . (changes, incidents and problems may "
            "use upper case, e.g. CHG-2026-0042)"
        )
    if kind in _TYPE_NAMES:
        return "wrong-type", (
            f"{where} of {label} must be {_TYPE_NAMES[kind]}, not {_type_name(value)}"
        )
    message = err["msg"].removeprefix("Value error, ")
    return "invalid-value", f"{where} of {label}: {message}"


def _unknown_field(loc: Loc, raw: Any, label: str) -> str:
    name = str(loc[-1]) if loc else "?"
    allowed: list[str] = []
    if len(loc) == 1 and isinstance(raw, dict) and raw.get("kind") in MODELS:
        model = MODELS[raw["kind"]]
        allowed = sorted(f.alias or n for n, f in model.model_fields.items())
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    where = describe_field(loc[:-1])
    place = f" in {where}" if len(loc) > 1 else ""
    fields = f" (fields: {', '.join(allowed)})" if allowed else ""
    return (
        f"unknown field {name!r}{place} of {label}: {hint}check the spelling, or put "
        f"free-form data under `attributes`{fields}"
    )


def quote_hint(message: str, text: str | None) -> str:
    """Add "quote it" when YAML read a number or boolean where a string belongs."""
    if text is not None and "must be a string, not the number" in message:
        return f"{message}; quote it: '{text}'"
    if text is not None and "must be a string, not a boolean" in message:
        return f"{message}; quote it: '{text}'"
    return message
