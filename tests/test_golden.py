"""Acceptance suite: golden operations repositories, valid and invalid.

Every folder under ``tests/golden/`` is a small operations repository (``inventory/``,
``policies/``, ``changes/``, ``incidents/``, ``problems/``, maybe ``opsascode.yaml``)
plus files that are not copied into it:

``expected.txt``
    every problem ``opsascode validate`` must report, one per line,
    ``LEVEL CODE FILE:LINE:COLUMN``, in the tool's order (file, line, column, level,
    code); empty for the ``valid-*`` repositories.
``case.py`` (optional)
    ``prepare(root)`` writes what does not belong in git: symbolic links, binary and
    non-UTF-8 bytes, paths that depend on ``tmp_path``.
``messages.txt`` (optional)
    ``FILE:LINE:COLUMN REGEX`` lines: the message of the problem reported there must
    match the regular expression.
``xfail.txt`` (optional)
    a known bug. The case states what SHOULD be reported and is expected to fail
    (strictly: it fails the suite once the bug is fixed, so the marker gets removed).

The comparison is exact: a case must report its problems and nothing else.
"""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest

from opsascode.codes import CODES
from testing.repos import run_cli

GOLDEN = Path(__file__).parent / "golden"
CASE_FILES = {"expected.txt", "case.py", "messages.txt", "xfail.txt", "__pycache__"}
LINE = re.compile(r"^(error|warning) ([a-z0-9]+(?:-[a-z0-9]+)*) (\S+):([1-9][0-9]*):([1-9][0-9]*)$")


def _cases() -> list[Any]:
    params = []
    for case in sorted(p for p in GOLDEN.iterdir() if p.is_dir()):
        xfail = case / "xfail.txt"
        marks = (
            [pytest.mark.xfail(strict=True, reason=xfail.read_text(encoding="utf-8").strip())]
            if xfail.exists()
            else []
        )
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def _expected(case: Path) -> list[str]:
    text = (case / "expected.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def _sort_key(line: str) -> tuple[str, int, int, str, str]:
    match = LINE.match(line)
    assert match, f"malformed expected line: {line!r}"
    level, code, file, row, column = match.groups()
    return file, int(row), int(column), level, code


def _copy_repository(case: Path, root: Path) -> Path:
    def ignore(directory: str, names: list[str]) -> list[str]:
        return [n for n in names if n in CASE_FILES] if Path(directory) == case else []

    shutil.copytree(case, root, ignore=ignore)
    script = case / "case.py"
    if script.exists():
        # run_path compiles without writing __pycache__ into the golden folder.
        runpy.run_path(str(script))["prepare"](root)
    return root


def _as_line(problem: dict[str, Any]) -> str:
    return (f"{problem['level']} {problem['code']} "
            f"{problem['file']}:{problem['line']}:{problem['column']}")


@pytest.mark.parametrize("case", _cases())
def test_golden_repository(case: Path, tmp_path: Path, capsys: Any) -> None:
    root = _copy_repository(case, tmp_path / "repo")
    result = run_cli(capsys, "-C", str(root), "--no-cache", "validate", "--format", "json")

    assert result.code != 3, f"validate crashed:\n{result.err}"
    assert "Traceback" not in result.err, result.err
    problems = result.json()["problems"]
    actual = [_as_line(p) for p in problems]
    expected = _expected(case)
    assert actual == expected, "\n".join(
        f"{_as_line(p)}  # {p['message']}" for p in problems) or "(no problems)"
    has_errors = any(line.startswith("error ") for line in expected)
    assert result.code == (1 if has_errors else 0)
    _check_messages(case, problems)


def _check_messages(case: Path, problems: list[dict[str, Any]]) -> None:
    path = case / "messages.txt"
    if not path.exists():
        return
    by_place: dict[str, list[str]] = {}
    for p in problems:
        by_place.setdefault(f"{p['file']}:{p['line']}:{p['column']}", []).append(p["message"])
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        place, pattern = line.split(" ", 1)
        messages = by_place.get(place, [])
        assert any(re.search(pattern, m) for m in messages), (
            f"no message at {place} matches {pattern!r}: {messages}")


# ----------------------------------------------------------- the suite itself


def test_expected_files_are_well_formed_and_sorted() -> None:
    for case in sorted(p for p in GOLDEN.iterdir() if p.is_dir()):
        lines = _expected(case)
        assert lines == sorted(lines, key=_sort_key), f"{case.name}/expected.txt is not sorted"


def test_valid_repositories_expect_nothing() -> None:
    valid = [p for p in GOLDEN.iterdir() if p.name.startswith("valid-")]
    assert len(valid) >= 3
    for case in valid:
        assert _expected(case) == [], case.name


# Codes only `plan` can report: they need two revisions, validate sees one; and those
# only `audit` reports, from the history (tests/test_audit.py covers them).
NOT_FROM_VALIDATE = {"undeclared-modification", "template-mismatch", "direct-push",
                     "unapproved-merge", "emergency-overdue", "policy-change"}


def test_every_problem_code_has_a_golden_case() -> None:
    covered = {_sort_key(line)[4] for case in GOLDEN.iterdir() if case.is_dir()
               for line in _expected(case)}
    assert set(CODES) - NOT_FROM_VALIDATE - covered == set(), "codes without a golden case"
    assert covered - set(CODES) == set(), "golden cases expect codes that do not exist"
