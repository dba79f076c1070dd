"""``outside_maintenance_window: true``: a target's maintenance windows do not hold
the change window."""

from __future__ import annotations

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult

KEY = "outside_maintenance_window"


def evaluate(expected: bool, ctx: RuleContext) -> PredicateResult:
    state = ("outside a target's maintenance windows" if ctx.outside_maintenance
             else "inside the targets' maintenance windows (or none apply)")
    return PredicateResult(KEY, ctx.outside_maintenance == expected, f"the window is {state}")
