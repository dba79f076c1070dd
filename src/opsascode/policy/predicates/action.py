"""``action: [upgrade, migrate]``: the change's action is one of these."""

from __future__ import annotations

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult

KEY = "action"


def evaluate(expected: list[str], ctx: RuleContext) -> PredicateResult:
    actual = ctx.change.action if ctx.change else None
    return PredicateResult(KEY, actual in expected,
                           f"action is {actual or 'none'} (rule: {', '.join(expected)})")
