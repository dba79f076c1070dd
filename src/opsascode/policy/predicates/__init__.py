"""The predicate registry: one module per predicate, keyed by its YAML key.

A rule's ``if`` holds when every predicate it names holds. A test keeps this table
and the fields of :class:`opsascode.records.policies.Predicates` in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsascode.policy.context import RuleContext
from opsascode.policy.predicates import (
    action,
    author_in_team,
    change_type,
    changed_paths,
    impacted_environment,
    impacted_kind,
    impacted_tier,
    in_freeze,
    lead_time_below,
    matches_template,
    outside_maintenance_window,
    risk_level_at_least,
    risk_level_at_most,
    target_environment,
    target_kind,
    target_tier,
)
from opsascode.policy.result import PredicateResult

Predicate = Callable[[Any, RuleContext], PredicateResult]

REGISTRY: dict[str, Predicate] = {
    module.KEY: module.evaluate
    for module in (
        change_type, action, risk_level_at_least, risk_level_at_most, target_tier,
        target_kind, target_environment, impacted_tier, impacted_kind, impacted_environment,
        changed_paths, in_freeze, outside_maintenance_window, lead_time_below,
        author_in_team, matches_template,
    )
}
