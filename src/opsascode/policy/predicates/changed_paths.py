"""``changed_paths: ["policies/**"]``: any file the branch changes matches a glob
(``**`` crosses folders, ``*`` does not)."""

from __future__ import annotations

import re
from functools import lru_cache

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult

KEY = "changed_paths"


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def matches(path: str, patterns: list[str]) -> bool:
    return any(glob_regex(p).match(path) for p in patterns)


def evaluate(expected: list[str], ctx: RuleContext) -> PredicateResult:
    hits = [p for p in ctx.changed_paths if matches(p, expected)]
    if hits:
        more = f" (+{len(hits) - 3} more)" if len(hits) > 3 else ""
        return PredicateResult(KEY, True, f"changed files match {', '.join(expected)}: "
                               f"{', '.join(hits[:3])}{more}")
    return PredicateResult(KEY, False, f"no changed file matches {', '.join(expected)}")
