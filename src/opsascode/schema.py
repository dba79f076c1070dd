"""JSON Schema of the records, for editors (yaml-language-server) and other tools."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from opsascode.records import MODELS, AnyRecord
from opsascode.records.base import ID_PATTERN
from opsascode.records.settings import Settings

SCHEMA_BASE = "https://opsascode.dev/schema/"
SPECIAL = ("record", "records", "settings")


def schema_names() -> tuple[str, ...]:
    return tuple(sorted((*MODELS, *SPECIAL)))


def json_schema(name: str) -> dict[str, Any]:
    """The schema for ``settings`` (``opsascode.yaml``), ``record`` (any one record),
    ``records`` (a file of any records) or one kind. A file may hold one record or a
    list, so the per-kind schemas accept both."""
    if name == "settings":
        schema = Settings.model_json_schema(by_alias=True)
    elif name in ("record", "records"):
        schema = TypeAdapter(AnyRecord).json_schema(by_alias=True)
        if name == "records":
            schema = _one_or_list(schema)
    else:
        schema = MODELS[name].model_json_schema(by_alias=True)
        schema["properties"]["kind"] = {"const": name, "type": "string"}
        schema = _one_or_list(schema)
    _allow_bare_dependency_ids(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{SCHEMA_BASE}{name}.json"
    return schema


def _one_or_list(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.pop("$defs", {})
    return {"anyOf": [schema, {"type": "array", "items": schema}], "$defs": defs}


def _allow_bare_dependency_ids(node: Any) -> None:
    """``depends_on`` entries may be a bare id (shorthand for ``{id: ...}``)."""
    if isinstance(node, dict):
        deps = node.get("properties", {}).get("depends_on")
        if deps and "items" in deps:
            deps["items"] = {"anyOf": [{"type": "string", "pattern": ID_PATTERN},
                                       deps["items"]]}
        for value in node.values():
            _allow_bare_dependency_ids(value)
    elif isinstance(node, list):
        for value in node:
            _allow_bare_dependency_ids(value)
