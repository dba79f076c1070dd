"""Results of evaluating rules: an ordered status, sentences, and errors as data."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Status(enum.IntEnum):
    """Ordered like policy-bot's: a higher status wins when results combine."""

    SKIPPED = 0
    PENDING = 1
    APPROVED = 2
    DISAPPROVED = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class PredicateResult:
    key: str
    satisfied: bool
    sentence: str  # says what was tested and what was found


@dataclass(frozen=True)
class Counted:
    """An approval and whether a rule counted it (with the reason when not)."""

    by: str
    counted: bool
    reason: str
    source: str = ""


@dataclass
class Result:
    name: str
    status: Status
    reason: str
    description: str | None = None
    predicates: list[PredicateResult] = field(default_factory=list)
    children: list[Result] = field(default_factory=list)
    approvals: list[Counted] = field(default_factory=list)
    #: Who can still approve, by name: "1 more from team-cab (carl, cora)".
    missing: list[str] = field(default_factory=list)
    error: str | None = None

    def walk(self) -> list[Result]:
        found = [self]
        for child in self.children:
            found += child.walk()
        return found

    @property
    def has_error(self) -> bool:
        return any(r.error for r in self.walk())
