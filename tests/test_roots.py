"""Where the operations repository is, and the guess of its default branch that
lets ``audit`` start git before the rest of the program loads."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from opsascode.roots import branch_named


@pytest.mark.parametrize(("text", "expected"), [
    ("version: 1\ndefault_branch: trunk\n", "trunk"),
    ("default_branch: release/2026.1  # the CAB's branch\r\nversion: 1\r\n", "release/2026.1"),
    ("version: 1\ndefault_branch: 'quoted'\n", "quoted"),
    ("{version: 1, default_branch: flow}\n", "flow"),
    ("version: 1\n# default_branch: not-this\ndefault_branch: this\n", "this"),
    ("version: 1\n", "main"),
    ("version: 1\ndefault_branch: [not, a, name]\n", "main"),
    ("default_branch:glued\n", "main"),  # one plain scalar, not a mapping
    ("version: [1\ndefault_branch: [broken\n", "main"),  # does not parse
    ("", "main"),
])
def test_the_default_branch_is_guessed_as_yaml_reads_it(
        tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "opsascode.yaml").write_text(text, encoding="utf-8")
    assert branch_named(tmp_path) == expected


def test_a_plain_line_is_read_without_the_yaml_library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "opsascode.yaml").write_text("version: 1\ndefault_branch: trunk\n",
                                             encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)  # importing it would fail
    assert branch_named(tmp_path) == "trunk"
    assert branch_named(tmp_path / "missing") == "main"
