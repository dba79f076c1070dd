"""``lead_time_below: 48h``: the change was requested less than this before its window."""

from __future__ import annotations

from datetime import timedelta

from opsascode.policy.context import RuleContext
from opsascode.policy.result import PredicateResult
from opsascode.records.base import format_duration

KEY = "lead_time_below"


def evaluate(expected: timedelta, ctx: RuleContext) -> PredicateResult:
    if ctx.lead_time is None:
        return PredicateResult(KEY, True, "lead time unknown (no requested_at): treated as short")
    shown = format_duration(max(ctx.lead_time, timedelta(0)))
    return PredicateResult(KEY, ctx.lead_time < expected,
                           f"lead time is {shown} (rule: below {format_duration(expected)})")
