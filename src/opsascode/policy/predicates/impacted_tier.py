"""``impacted_tier: [...]``: any impacted service has one of these tiers."""

from __future__ import annotations

from typing import Any

from opsascode.policy.context import RuleContext
from opsascode.policy.predicates._common import any_asset
from opsascode.policy.result import PredicateResult

KEY = "impacted_tier"


def evaluate(expected: list[Any], ctx: RuleContext) -> PredicateResult:
    return any_asset(KEY, expected, ctx.impacted_services, "impacted service", lambda a: a.tier)
