"""Approvals from a JSON file (what-if runs of the gate)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsascode.approvals import Approval
from opsascode.approvals.jsonfile import FileApprovals
from opsascode.errors import FatalError


def collect(tmp_path: Path, text: str) -> FileApprovals:
    path = tmp_path / "approvals.json"
    path.write_text(text, encoding="utf-8")
    return FileApprovals(path)


def test_a_list_of_approvals_with_defaults(tmp_path: Path) -> None:
    found = collect(tmp_path, '[{"by": "alice"}, {"by": "bob", "at": "2026-11-20T12:00:00Z", '
                    '"state": "changes_requested", "change": "CHG-1", "fresh": false, '
                    '"signed": true}]').collect()
    assert found.approvals == [
        Approval("alice", None, "approved", "file"),
        Approval("bob", datetime(2026, 11, 20, 12, tzinfo=UTC), "changes_requested",
                 "file", change="CHG-1", fresh=False, signed=True),
    ]
    assert found.facts.author is None
    assert found.not_counted == []


def test_an_object_gives_the_facts_too(tmp_path: Path) -> None:
    found = collect(tmp_path, '{"author": "carol", "contributors": ["carol", "dave"], '
                    '"approvals": [{"by": "alice"}]}').collect()
    assert (found.facts.author, found.facts.contributors) == ("carol", {"carol", "dave"})
    assert [a.by for a in found.approvals] == ["alice"]


@pytest.mark.parametrize(("text", "message"), [
    ('[{"by": "alice",}]', r"approvals.json:1:17: invalid JSON: Expecting property name"),
    ('[{"by": "alice"},\n {"by": "bob", "at": "2026-11-20T12:00:00"}]',
     r"approvals.json:2:22: \[1\].at: Input should have timezone info"),
    ('{"approvals": [{"by": "alice", "fresh": "yes"}]}',
     r"approvals.json:1:41: approvals\[0\].fresh: Input should be a valid boolean"),
    ('{"approvals": [{"by": "alice", "state": "lgtm"}]}',
     r"approvals.json:1:41: approvals\[0\].state: Input should be 'approved' or "
     r"'changes_requested'"),
    ('{"aproved": []}', r"approvals.json:1:2: aproved: Extra inputs are not permitted"),
    ('[{"who": "alice"}]', r"approvals.json:1:2: \[0\].by: Field required \(and 1 more "
                           r"problem\)"),
    ('"alice"', r"approvals.json:1:1: the approvals file holds a list of approvals or an "
                r"object"),
])
def test_bad_files_are_errors_with_the_position(tmp_path: Path, text: str, message: str
                                                ) -> None:
    with pytest.raises(FatalError, match=message):
        collect(tmp_path, text).collect()


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="cannot read the approvals file"):
        FileApprovals(tmp_path / "nowhere.json").collect()
