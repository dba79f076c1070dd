"""JSON Schema of the records, for editors (yaml-language-server) and other tools."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from opsascode.records import MODELS, AnyRecord
from opsascode.records.settings import Settings

SCHEMA_BASE = "https://opsascode.dev/schema/"
SPECIAL = ("record", "records", "settings")


def schema_names() -> tuple[str, ...]:
    return tuple(sorted((*MODELS, *SPECIAL)))


def json_schema(name: str) -> dict[str, Any]:
    """The schema for one kind, ``record`` (any record), ``records`` (a file: one
    record or a list) or ``settings`` (``opsascode.yaml``)."""
    if name == "settings":
        schema = Settings.model_json_schema(by_alias=True)
    elif name in ("record", "records"):
        schema = TypeAdapter(AnyRecord).json_schema(by_alias=True)
        if name == "records":
            defs = schema.pop("$defs", {})
            schema = {"anyOf": [schema, {"type": "array", "items": schema}], "$defs": defs}
    else:
        schema = MODELS[name].model_json_schema(by_alias=True)
        schema["properties"]["kind"] = {"const": name, "type": "string"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{SCHEMA_BASE}{name}.json"
    return schema
