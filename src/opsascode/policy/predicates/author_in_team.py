"""``author_in_team: [team-dba]``: the pull request's author is in one of these teams."""

from __future__ import annotations

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult

KEY = "author_in_team"


def evaluate(expected: list[str], ctx: RuleContext) -> PredicateResult:
    author = ctx.facts.author
    teams = ctx.teams_of(author) if author else []
    hits = sorted(set(teams) & set(expected))
    if hits:
        return PredicateResult(KEY, True, f"author {author} is in {', '.join(hits)}")
    return PredicateResult(KEY, False, f"author {author or 'unknown'} is in none of "
                           f"{', '.join(expected)}")
