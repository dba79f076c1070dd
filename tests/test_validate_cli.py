from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsascode.report.escape import workflow_data, workflow_property
from testing.repos import MINIMAL, Result, run_cli, write


def validate(capsys: Any, root: Path, *extra: str) -> Result:
    return run_cli(capsys, "-C", str(root), "--no-cache", "validate", "--format", "json", *extra)


def test_minimal_repository_is_valid(tmp_path: Path, capsys: Any) -> None:
    write(tmp_path, MINIMAL)
    result = validate(capsys, tmp_path)
    assert result.code == 0, result.out
    assert result.json()["ok"] is True
    assert result.json()["counts"] == {"error": 0, "warning": 0}


def test_problems_carry_file_line_column_code(tmp_path: Path, capsys: Any) -> None:
    write(tmp_path, {**MINIMAL, "inventory/extra.yaml": """
        - id: srv-1
          kind: server
          owner: team-ops
          version: 15.10
          colour: blue
        """})
    result = validate(capsys, tmp_path)
    assert result.code == 1
    found = {(p["file"], p["line"], p["column"], p["code"]) for p in result.json()["problems"]}
    assert ("inventory/extra.yaml", 4, 12, "wrong-type") in found
    assert ("inventory/extra.yaml", 5, 3, "unknown-field") in found
    messages = [p["message"] for p in result.json()["problems"]]
    assert any("quote it: '15.10'" in m for m in messages)


def test_github_format_escapes_annotations(tmp_path: Path, capsys: Any) -> None:
    write(tmp_path, {**MINIMAL, "inventory/bad.yaml": "- id: x\n  kind: 'a,b%\\nc'\n"})
    result = run_cli(capsys, "-C", str(tmp_path), "validate", "--format", "github")
    assert result.code == 1
    line = next(x for x in result.out.splitlines() if x.startswith("::error"))
    assert line.startswith("::error file=inventory/bad.yaml,line=2,col=9,title=unknown-kind::")
    assert "%25" in line
    assert len([x for x in result.out.splitlines() if x.startswith("::")]) == 1


def test_workflow_command_escaping() -> None:
    assert workflow_data("50%\r\nx") == "50%25%0D%0Ax"
    assert workflow_property("a:b,c\n") == "a%3Ab%2Cc%0A"


def test_github_format_is_chosen_on_actions(tmp_path: Path, capsys: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {**MINIMAL, "inventory/bad.yaml": "- id: x\n  kind: nope\n"})
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = run_cli(capsys, "-C", str(tmp_path), "validate")
    assert result.out.startswith("::error file=inventory/bad.yaml")


def test_text_output_is_plain_when_piped(tmp_path: Path, capsys: Any) -> None:
    write(tmp_path, {**MINIMAL, "inventory/bad.yaml": "- id: x\n  kind: nope\n"})
    result = run_cli(capsys, "-C", str(tmp_path), "validate")
    assert result.code == 1
    assert "\x1b[" not in result.out
    assert "inventory/bad.yaml:2:9: error: unknown kind 'nope'" in result.out
    assert result.out.rstrip().endswith("1 errors, 0 warnings")


def test_missing_directory_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    result = run_cli(capsys, "-C", str(tmp_path / "nope"), "validate")
    assert result.code == 2
    assert "not a directory" in result.err


def test_schema_of_a_kind(capsys: Any) -> None:
    result = run_cli(capsys, "schema", "database")
    schema = result.json()
    assert result.code == 0
    one, many = schema["anyOf"]
    assert one["properties"]["kind"] == {"const": "database", "type": "string"}
    assert one["additionalProperties"] is False
    assert many == {"type": "array", "items": one}
    assert one["properties"]["depends_on"]["items"]["anyOf"][0]["type"] == "string"


def test_schema_of_unknown_kind_is_a_usage_error(capsys: Any) -> None:
    result = run_cli(capsys, "schema", "databse")
    assert result.code == 2
    assert "did you mean 'database'" in result.err


def test_policy_mistakes_list_the_allowed_names(tmp_path: Path, capsys: Any) -> None:
    write(tmp_path, {**MINIMAL, "policies/approvals.yaml": """
        id: p
        kind: approval-policy
        policy: {approval: [r]}
        approval_rules:
          - name: r
            if: {chnge_type: [normal], risk_level_at_least: extreme}
            requires: {count: 1, teams: [team-ops]}
        """})
    problems = validate(capsys, tmp_path).json()["problems"]
    by_code = {p["code"]: p for p in problems}
    assert by_code["unknown-field"]["line"] == 6
    assert "did you mean 'change_type'?" in by_code["unknown-field"]["message"]
    assert "'low', 'medium', 'high' or 'critical'" in by_code["invalid-value"]["message"]
