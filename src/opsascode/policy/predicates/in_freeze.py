"""``in_freeze: true``: the change window is inside a freeze that applies."""

from __future__ import annotations

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult

KEY = "in_freeze"


def evaluate(expected: bool, ctx: RuleContext) -> PredicateResult:
    state = "inside a freeze" if ctx.in_freeze else "outside every freeze"
    return PredicateResult(KEY, ctx.in_freeze == expected, f"the window is {state}")
