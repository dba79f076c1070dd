"""Checks over a loaded repository; each returns problems with stable codes.

Every check is a function ``(repo, context) -> Iterable[Problem]`` listed in
:data:`CHECKS`; problems carry a path (``loc``) and get their line and column from
:func:`opsascode.loader.locate` at the end, for the files that have any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from opsascode.checks import changes, graph_rules, incidents, policies, references
from opsascode.graph import DependencyGraph
from opsascode.problems import Problem
from opsascode.repository import Repository


@dataclass(frozen=True)
class Context:
    today: date
    graph: DependencyGraph


Check = Callable[[Repository, Context], Iterable[Problem]]

CHECKS: tuple[Check, ...] = (
    references.check_references,
    references.check_owners,
    references.check_teams,
    graph_rules.check_cycles,
    graph_rules.check_clusters,
    graph_rules.check_service_slas,
    graph_rules.check_orphans,
    graph_rules.check_freshness,
    changes.check_changes,
    incidents.check_incidents,
    incidents.check_problem_links,
    incidents.check_recurring,
    policies.check_policies,
)


def run_checks(repo: Repository, today: date) -> list[Problem]:
    context = Context(today=today, graph=repo.graph())
    found: list[Problem] = []
    for check in CHECKS:
        found.extend(check(repo, context))
    return found
