"""``risk_level_at_most: medium``: the assessed risk is this level or below."""

from __future__ import annotations

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult
from opsascode.records.policies import RISK_LEVELS

KEY = "risk_level_at_most"


def evaluate(expected: str, ctx: RuleContext) -> PredicateResult:
    if ctx.risk_level is None:
        return PredicateResult(KEY, False, "risk is not assessed")
    ok = RISK_LEVELS.index(ctx.risk_level) <= RISK_LEVELS.index(expected)
    return PredicateResult(KEY, ok, f"risk is {ctx.risk_level} (rule: at most {expected})")
