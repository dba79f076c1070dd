from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from opsascode import cli
from testing.repos import MINIMAL, commit_all, init_git, run_cli, write


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    result = subprocess.run([sys.executable, "-m", "opsascode", "-C", str(tmp_path),
                             "validate"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "validate ok: 2 files, 4 records, 0 errors, 0 warnings" in result.stdout


def test_validate_a_revision(tmp_path: Path, capsys: Any) -> None:
    root = init_git(write(tmp_path, MINIMAL))
    commit_all(root)
    (root / "inventory" / "assets.yaml").write_text("broken: [\n")
    assert run_cli(capsys, "-C", str(root), "validate", "--rev", "HEAD").code == 0
    assert run_cli(capsys, "-C", str(root), "validate").code == 1
    result = run_cli(capsys, "-C", str(root), "validate", "--rev", "nope")
    assert result.code == 2
    assert "unknown revision 'nope'" in result.err


def test_runs_from_a_subdirectory_of_the_repository(tmp_path: Path, capsys: Any) -> None:
    write(tmp_path, {**MINIMAL, "opsascode.yaml": "version: 1\n"})
    result = run_cli(capsys, "-C", str(tmp_path / "inventory"), "validate", "--format", "json")
    assert result.json()["records"] == 4


def test_cache_can_be_switched_off_by_environment(tmp_path: Path, capsys: Any,
                                                  monkeypatch: Any) -> None:
    root = init_git(write(tmp_path, MINIMAL))
    monkeypatch.setenv("OPSASCODE_CACHE", "0")
    assert run_cli(capsys, "-C", str(root), "validate").code == 0
    assert not (root / ".git" / "opsascode").exists()
    monkeypatch.delenv("OPSASCODE_CACHE")
    assert run_cli(capsys, "-C", str(root), "validate").code == 0
    assert (root / ".git" / "opsascode").is_dir()


def test_unexpected_errors_exit_3_with_a_report_hint(capsys: Any, monkeypatch: Any) -> None:
    import opsascode.commands.schema as schema_command

    def boom(*args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(schema_command, "schema", boom)
    result = run_cli(capsys, "schema")
    assert result.code == 3
    assert "this is a bug, please report it" in result.err


def test_console_entry_exits_with_the_command_code(tmp_path: Path) -> None:
    write(tmp_path, {**MINIMAL, "inventory/bad.yaml": "- id: x\n  kind: nope\n"})
    result = subprocess.run([sys.executable, "-m", "opsascode", "-C", str(tmp_path),
                             "validate"], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "unknown kind 'nope'" in result.stdout  # flushed before the fast exit


# ------------------------------------------------ the parser, for one command


@pytest.mark.parametrize(("argv", "command"), [
    (["audit", "--format", "json"], "audit"),
    (["-C", "validate", "plan"], "plan"),  # -C takes a value, even a command's name
    (["--no-cache", "-Cdir", "kpi"], "kpi"),
    (["--version"], None),
    (["bogus", "validate"], None),  # not a command: the whole parser says so
    (["-C"], None),
    ([], None),
])
def test_the_command_is_found_after_the_global_options(argv: list[str],
                                                       command: str | None) -> None:
    assert cli._command_in(argv) == command


@pytest.mark.parametrize("command", sorted(cli._COMMANDS))
def test_a_commands_parser_is_the_whole_parsers_for_it(command: str) -> None:
    def subparser(parser: argparse.ArgumentParser, name: str) -> str:
        actions = [a for a in parser._actions if a.choices and name in a.choices]
        return str(actions[0].choices[name].format_help())

    whole, alone = cli._parser(), cli._parser(command)
    assert subparser(alone, command) == subparser(whole, command)
    assert alone.format_help() == whole.format_help()  # every command still listed
    others = [name for name in cli._COMMANDS if name != command]
    assert all("-h, --help" in subparser(alone, name) for name in others)
