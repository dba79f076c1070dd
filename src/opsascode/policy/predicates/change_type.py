"""``change_type: [normal, emergency]``: the change is of one of these types."""

from __future__ import annotations

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult

KEY = "change_type"


def evaluate(expected: list[str], ctx: RuleContext) -> PredicateResult:
    actual = ctx.change.type if ctx.change else None
    return PredicateResult(KEY, actual in expected,
                           f"change type is {actual or 'none'} (rule: {', '.join(expected)})")
