"""Approvals from a JSON file, for what-if runs (``check --approvals FILE``).

The file holds a list of approvals, or an object with the facts too::

    {"author": "carol", "contributors": ["carol"],
     "approvals": [{"by": "alice", "at": "2026-11-20T12:00:00+01:00",
                    "state": "approved", "change": "CHG-2026-0042",
                    "fresh": true, "signed": false}]}

Only ``by`` is required. Every approval in the file is taken as given (nothing is
verified: the file is the user's own hypothesis). Bad JSON and bad fields are a
:class:`FatalError` with the file, line and column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from opsascode import yamlio
from opsascode.approvals import Approval, ApprovalSet, PullRequestFacts
from opsascode.errors import FatalError
from opsascode.records.base import Handle, Model, RecordId, Timestamp


class FileApproval(Model):
    """One approval (or request for changes) in the file."""

    model_config = ConfigDict(strict=False)

    by: Handle
    at: Timestamp | None = None
    state: Literal["approved", "changes_requested"] = "approved"
    change: RecordId | None = Field(default=None, description="None: the whole pull request.")
    fresh: bool = Field(default=True, strict=True)
    signed: bool = Field(default=False, strict=True)

    def to_approval(self) -> Approval:
        return Approval(by=self.by, at=self.at, state=self.state, source="file",
                        change=self.change, fresh=self.fresh, signed=self.signed)


class FileDocument(Model):
    """The object form: facts about the pull request and its approvals."""

    model_config = ConfigDict(strict=False)

    author: Handle | None = None
    contributors: list[Handle] = Field(default_factory=list)
    approvals: list[FileApproval] = Field(default_factory=list)


class FileApprovals:
    """Approvals read from a JSON file."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def collect(self) -> ApprovalSet:
        data, value = self._load()
        document = self._validate(data, value)
        facts = PullRequestFacts(author=document.author,
                                 contributors=set(document.contributors))
        return ApprovalSet(facts, [a.to_approval() for a in document.approvals])

    def _load(self) -> tuple[bytes, Any]:
        try:
            data = self.path.read_bytes()
            return data, json.loads(data.decode("utf-8"))
        except OSError as exc:
            raise FatalError(f"cannot read the approvals file {self.path}: "
                             f"{exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise FatalError(f"{self.path}: the approvals file is not UTF-8 (byte "
                             f"{exc.start}); save it as UTF-8") from None
        except json.JSONDecodeError as exc:
            raise FatalError(f"{self.path}:{exc.lineno}:{exc.colno}: invalid JSON: "
                             f"{exc.msg}") from None

    def _validate(self, data: bytes, value: Any) -> FileDocument:
        if not isinstance(value, list | dict):
            raise FatalError(f"{self.path}:1:1: the approvals file holds a list of approvals "
                             "or an object {author?, contributors?, approvals: [...]}")
        try:
            return FileDocument.model_validate({"approvals": value} if isinstance(value, list)
                                               else value)
        except ValidationError as exc:
            raise FatalError(self._describe(data, isinstance(value, list), exc)) from None

    def _describe(self, data: bytes, is_list: bool, exc: ValidationError) -> str:
        error = exc.errors()[0]
        loc: tuple[str | int, ...] = tuple(error["loc"])
        if is_list:
            loc = loc[1:]  # validated as {"approvals": [...]}: the file is the list
        # An unknown field is shown at its key; anything else at its value.
        if error["type"] == "extra_forbidden":
            line, column = yamlio.key_position(data, loc)
        else:
            found = yamlio.Document(data).locate(loc)
            line, column = found.line, found.column
        more = exc.error_count() - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        return f"{self.path}:{line}:{column}: {_path(loc)}: {error['msg']}{tail}"


def _path(loc: tuple[str | int, ...]) -> str:
    text = ""
    for step in loc:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else str(step)
    return text or "(top)"
