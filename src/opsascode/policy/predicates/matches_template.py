"""``matches_template: true``: a standard change stays inside its template."""

from __future__ import annotations

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult

KEY = "matches_template"


def evaluate(expected: bool, ctx: RuleContext) -> PredicateResult:
    if ctx.matches_template is None:
        return PredicateResult(KEY, not expected, "not a standard change with a template")
    state = "matches its template" if ctx.matches_template else "does not match its template"
    return PredicateResult(KEY, ctx.matches_template == expected, f"the change {state}")
