"""Helpers shared by the predicates that test a property of assets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opsascode.policy.context import AssetFacts
from opsascode.policy.result import PredicateResult


def any_asset(key: str, expected: Sequence[Any], assets: list[AssetFacts], what: str,
              attribute: Callable[[AssetFacts], Any]) -> PredicateResult:
    """Satisfied when any of ``assets`` has one of the ``expected`` values."""
    wanted = ", ".join(str(e) for e in expected)
    hits = sorted(a.id for a in assets if attribute(a) in expected)
    if hits:
        return PredicateResult(key, True, f"{what} {', '.join(hits[:5])} "
                               f"{'is' if len(hits) == 1 else 'are'} in {wanted}")
    return PredicateResult(key, False, f"no {what} is in {wanted}")
