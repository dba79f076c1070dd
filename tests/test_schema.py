from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opsascode.commands.schema import render
from opsascode.schema import schema_names
from testing.repos import run_cli

SCHEMAS = Path(__file__).parent.parent / "schemas"


@pytest.mark.parametrize("name", schema_names())
def test_committed_schemas_are_current(name: str) -> None:
    # Editors read schemas/ through the yaml-language-server comment in each file;
    # regenerate with `opsascode schema --output-dir schemas`.
    assert (SCHEMAS / f"{name}.json").read_text() == render(name)


def test_output_dir_writes_every_schema(tmp_path: Path, capsys: Any) -> None:
    result = run_cli(capsys, "schema", "--output-dir", str(tmp_path))
    assert result.code == 0
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(schema_names())
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_records_schema_accepts_one_record_or_a_list() -> None:
    schema = json.loads(render("records"))
    assert schema["anyOf"][1]["type"] == "array"
    assert "discriminator" in json.dumps(schema) or "oneOf" in json.dumps(schema)


def test_field_descriptions_reach_the_schema() -> None:
    change = json.loads(render("change"))["anyOf"][0]
    assert "undo" in change["properties"]["rollback_plan"]["description"]
    assert change["additionalProperties"] is False
