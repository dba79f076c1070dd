"""Turn pydantic validation errors into problems that say how to fix them."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from opsascode import problems as P
from opsascode.problems import KEY, Loc
from opsascode.records import KINDS, MODELS
from opsascode.records.base import (
    ID_MAX_LENGTH,
    ID_PATTERN,
    ID_RULE,
    RECORD_ID_PATTERN,
    RECORD_ID_RULE,
)

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
#: What pydantic puts in a path for the key (not the value) of a mapping entry.
_PYDANTIC_KEY = "[key]"


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
                        model: type[BaseModel] | None = None) -> list[P.Problem]:
    """One problem per pydantic error; ``loc`` is the failing field's path in the file.

    ``model`` is given when ``raw`` was validated against one model (``opsascode.yaml``)
    rather than the union of all record kinds.
    """
    label = "opsascode.yaml" if model is not None else _record_label(raw)
    if model is None and isinstance(raw, dict) and isinstance(raw.get("kind"), str):
        model = MODELS.get(raw["kind"])
    result = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if loc and isinstance(raw, dict) and loc[0] == raw.get("kind") and (
                label != "opsascode.yaml"):
            loc = loc[1:]  # the discriminated union puts the kind first
        code, message, loc = _explain(err, loc, raw, label, model)
        result.append(P.error(file, code, message, loc=(*prefix, *loc)))
    return result


def _explain(err: Any, loc: Loc, raw: Any, label: str, model: type[BaseModel] | None
             ) -> tuple[str, str, Loc]:
    kind, where, value = err["type"], describe_field(loc), err.get("input")
    non_string_extra = kind == "extra_forbidden" and loc and not isinstance(loc[-1], str)
    if _PYDANTIC_KEY in loc or kind == "invalid_key" or non_string_extra:
        return _non_string_key(loc, label)
    if kind == "extra_forbidden":
        return "unknown-field", _unknown_field(loc, label, model), (*loc, KEY)
    if kind == "missing":
        return "missing-field", f"{label} is missing the required field {where!r}", loc
    if kind == "union_tag_not_found" or (kind == "union_tag_invalid" and raw.get("kind") in
                                         (None, "")):
        return "missing-kind", (f"{label} has no `kind`; set it to one of: "
                                f"{', '.join(KINDS)}"), loc
    if kind == "union_tag_invalid":
        tag = raw.get("kind")
        close = difflib.get_close_matches(str(tag), KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return "unknown-kind", f"unknown kind {tag!r}{hint}; kinds are: {', '.join(KINDS)}", (
            "kind",)
    if kind == "timezone_aware":
        return "naive-timestamp", (
            f"{where} of {label} has no timezone; add the offset, "
            "e.g. 2026-12-01T22:00:00+01:00 (or Z for UTC)"), loc
    if _is_id_error(err):
        rule = ID_RULE if err.get("ctx", {}).get("pattern") == ID_PATTERN else RECORD_ID_RULE
        if kind == "string_too_long":
            rule = ID_RULE
        return "invalid-id", f"{where} of {label}: '{value}' is not a valid id: use {rule}", loc
    if kind in _TYPE_NAMES:
        return "wrong-type", (
            f"{where} of {label} must be {_TYPE_NAMES[kind]}, not {_type_name(value)}"), loc
    message = err["msg"].removeprefix("Value error, ")
    return "invalid-value", (f"{where} of {label}: {message}" if loc else
                             f"{label}: {message}"), loc


def _is_id_error(err: Any) -> bool:
    ctx = err.get("ctx") or {}
    if err["type"] == "string_pattern_mismatch":
        return ctx.get("pattern") in (ID_PATTERN, RECORD_ID_PATTERN)
    return err["type"] == "string_too_long" and ctx.get("max_length") == ID_MAX_LENGTH


def _non_string_key(loc: Loc, label: str) -> tuple[str, str, Loc]:
    path = tuple(step for step in loc if step != _PYDANTIC_KEY)
    key = path[-1] if path else "?"
    return "wrong-type", (
        f"the key {key!r} in {label} is not a string; field names and mapping keys are "
        f"strings: quote it ('{key}')"), (*path, KEY)


def _model_at(model: type[BaseModel] | None, path: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``path`` inside ``model``."""
    for step in path:
        if model is None:
            return None
        if isinstance(step, int):
            continue  # a list item: the element type was taken with the field
        field = next((f for n, f in model.model_fields.items() if step in (n, f.alias)), None)
        model = _model_in(field.annotation) if field is not None else None
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _unknown_field(loc: Loc, label: str, model: type[BaseModel] | None) -> str:
    name = str(loc[-1]) if loc else "?"
    inner = _model_at(model, loc[:-1]) if loc else None
    allowed = sorted(f.alias or n for n, f in inner.model_fields.items()) if inner else []
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    place = f" in {describe_field(loc[:-1])}" if len(loc) > 1 else ""
    fields = f" (fields: {', '.join(allowed)})" if allowed else ""
    if label == "opsascode.yaml":
        return f"unknown setting {name!r}{place} in opsascode.yaml: {hint}check the " \
               f"spelling{fields}"
    free_form = ", or put free-form data under `attributes`" if "attributes" in allowed else ""
    return f"unknown field {name!r}{place} of {label}: {hint}check the spelling{free_form}{fields}"


def quote_hint(message: str, text: str | None) -> str:
    """Add "quote it" when YAML read a number or boolean where a string belongs."""
    if text is not None and "must be a string, not the number" in message:
        return f"{message}; quote it: '{text}'"
    if text is not None and "must be a string, not a boolean" in message:
        return f"{message}; quote it: '{text}'"
    return message
