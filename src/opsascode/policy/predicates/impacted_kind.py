"""``impacted_kind: [...]``: any impacted asset has one of these kinds."""

from __future__ import annotations

from typing import Any

from opsascode.policy.context import RuleContext
from opsascode.policy.predicates._common import any_asset
from opsascode.policy.result import PredicateResult

KEY = "impacted_kind"


def evaluate(expected: list[Any], ctx: RuleContext) -> PredicateResult:
    return any_asset(KEY, expected, ctx.impacted, "impacted asset", lambda a: a.kind)
