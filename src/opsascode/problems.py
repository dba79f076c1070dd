"""Problems: the frozen, sortable values every check and loader step reports.

A problem is data, never an exception, so one run reports every file. Positions are
1-based. While a check runs it often knows only the path of the failing field inside
its file (``loc``); :mod:`opsascode.positions` turns that into a line and column for
the few files that have problems, so the fast path never pays for positions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

Loc = tuple[str | int, ...]

#: Last element of a ``loc`` that points at a mapping entry's key, not its value.
KEY = "<key>"


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    column: int
    level: Level
    code: str
    message: str
    #: Path of the failing node inside the file, used to find line/column when
    #: they are still 0; not part of the public output.
    loc: Loc | None = field(default=None, compare=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def located(self, line: int, column: int) -> Problem:
        return replace(self, line=line, column=column, loc=None)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.level.value}: {self.message} [{self.code}]"


def error(file: str, code: str, message: str, *, line: int = 0, column: int = 0,
          loc: Loc | None = None) -> Problem:
    return Problem(file, line, column, Level.ERROR, code, message, loc)


def warning(file: str, code: str, message: str, *, line: int = 0, column: int = 0,
            loc: Loc | None = None) -> Problem:
    return Problem(file, line, column, Level.WARNING, code, message, loc)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)


def counts(problems: Iterable[Problem]) -> dict[str, int]:
    result = {"error": 0, "warning": 0}
    for p in problems:
        result[p.level.value] += 1
    return result


def a(word: str) -> str:
    """``word`` with its indefinite article: "a server", "an asset", "an SLA"."""
    vowel_sound = word[:1].lower() in "aeiou" or (word[:1] in "FHLMNRSX" and word.isupper())
    return f"{'an' if vowel_sound else 'a'} {word}"
