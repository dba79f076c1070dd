"""Cost per business service over a period, and the total against the budget.

Definitions (the README repeats them):

* **Period normalisation**: an average month is 365.25 / 12 = 30.4375 days; a
  period of length L holds ``months = L / 30.4375 days``. A ``cost`` of ``amount``
  per ``month`` costs ``amount x months`` over the period; per ``year``,
  ``amount / 12 x months``. The budget (kpi-targets ``cost``) is normalised the same
  way. Every asset with a ``cost`` counts, whatever its environment or lifecycle.
* **Sharing**: an asset's cost, plus whatever cost it has received, is split equally
  among its *sharing dependents*: the assets that need it directly over a relation
  that passes an outage on (rule ``outage`` or ``degraded``: ``depends_on``,
  ``runs_on``, ``hosted_on``, ``stores_data_in``, ``connects_through``, ``uses``), and
  the cluster it is a member of. ``backed_up_to``, ``monitored_by`` and
  ``replicates_to`` dependents get no share. A cluster has no cost of its own unless
  it carries one; it collects its members' costs and passes them on like any asset.
  This repeats until the cost reaches services.
* **Services keep their cost**: a service's own cost and every share it receives stay
  with it; a service passes nothing on, even to services that depend on it.
* **Unallocated**: cost that ends at an asset with no sharing dependent (or inside a
  dependency cycle, which ``validate`` reports) reaches no service; it is reported
  per asset where it stopped, and counts in the total.
* **Total** = the sum of every asset's normalised cost = allocated (the sum over
  services) + unallocated, per currency. Amounts are never converted: each currency
  is summed and shared on its own.
* **Budget**: met when total <= budget x (1 + within_percent / 100), both over the
  period, compared in the budget's currency (up to float rounding). When the costs
  are in more than one currency, or in another currency than the budget, nothing is
  compared: ``met`` is None and ``note`` says why.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from opsascode.graph import DependencyGraph
from opsascode.records import Service
from opsascode.records.assets import AssetBase, Cost
from opsascode.records.policies import CostTarget
from opsascode.repository import Repository
from opsascode.timelines import passes

#: The average Gregorian month (365.25 days / 12).
AVERAGE_MONTH = timedelta(days=365.25 / 12)

Money = dict[str, float]  # currency -> amount


@dataclass(frozen=True)
class ServiceCost:
    """A business service's cost over the period, per currency."""

    id: str
    name: str | None
    tier: int
    #: The service's own normalised cost.
    own: Money
    #: What it received from the assets it needs.
    shared: Money
    #: own + shared.
    total: Money


@dataclass(frozen=True)
class UnallocatedCost:
    """Cost that reached no service: where it stopped, and how much."""

    asset: str
    currency: str
    amount: float


@dataclass(frozen=True)
class Budget:
    """The kpi-targets cost budget over the period, and whether the total keeps to it."""

    currency: str
    #: The budget normalised to the period.
    budget: float
    within_percent: float
    #: budget x (1 + within_percent / 100).
    limit: float
    #: The total in the budget's currency; None when not compared.
    actual: float | None
    met: bool | None
    note: str | None = None


@dataclass(frozen=True)
class CostReport:
    """Cost per service, unallocated cost, the total and the budget over a period."""

    since: datetime
    until: datetime
    months: float
    currencies: tuple[str, ...]
    services: tuple[ServiceCost, ...]
    allocated: Money
    unallocated: Money
    unallocated_assets: tuple[UnallocatedCost, ...]
    total: Money
    budget: Budget | None


def months_in(since: datetime, until: datetime) -> float:
    """How many average months the period ``[since, until)`` holds."""
    if until < since:
        raise ValueError(f"the period ends ({until}) before it starts ({since})")
    # In UTC: two times in one zone subtract as wall-clock time, losing DST hours.
    return (until.astimezone(UTC) - since.astimezone(UTC)) / AVERAGE_MONTH


def normalised(cost: Cost | CostTarget, months: float) -> float:
    """An amount per month or per year, over ``months`` average months."""
    amount = cost.budget if isinstance(cost, CostTarget) else cost.amount
    per_month = amount if cost.period == "month" else amount / 12
    return per_month * months


def cost(repo: Repository, graph: DependencyGraph, since: datetime,
         until: datetime) -> CostReport:
    """Cost per business service over ``[since, until)``, shared up the graph."""
    months = months_in(since, until)
    services = {service.id: service for service in repo.services()}
    sources = _sources(repo.assets(), months)
    received: dict[str, Money] = {}
    stuck: list[UnallocatedCost] = []
    for currency, amounts in sorted(sources.items()):
        kept, left = share(graph, amounts, set(services))
        for node, amount in kept.items():
            received.setdefault(node, {})[currency] = amount
        stuck.extend(UnallocatedCost(node, currency, amount) for node, amount in left.items())
    rows = tuple(_service_cost(services[sid], sources, received.get(sid, {}))
                 for sid in sorted(services))
    allocated = _sum(row.total for row in rows)
    unallocated = _sum({u.currency: u.amount} for u in stuck)
    total = _sum((allocated, unallocated))
    return CostReport(since, until, months, tuple(sorted(sources)), rows, allocated,
                      unallocated, tuple(sorted(stuck, key=lambda u: (u.asset, u.currency))),
                      total, _budget(repo, months, total, sorted(sources)))


def share(graph: DependencyGraph, amounts: Mapping[str, float],
          services: set[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Share the ``amounts`` (asset -> cost, one currency) up the graph: what each
    service keeps, and what stops short of any service, per asset where it stopped."""
    feeds = _feeds(graph, amounts, services)
    waiting = dict.fromkeys(feeds, 0)
    for dependents in feeds.values():
        for dependent in dependents:
            waiting[dependent] += 1
    held = {node: amounts.get(node, 0.0) for node in feeds}
    ready = deque(sorted(node for node, count in waiting.items() if count == 0))
    kept: dict[str, float] = {}
    left: dict[str, float] = {}
    while ready:
        node = ready.popleft()
        del waiting[node]
        _pass_on(node, held.pop(node), feeds[node], node in services, held, kept, left)
        for dependent in feeds[node]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
    for node in sorted(waiting):  # held back by a dependency cycle
        if held[node]:
            left[node] = held[node]
    return kept, left


def _pass_on(node: str, amount: float, dependents: list[str], is_service: bool,
             held: dict[str, float], kept: dict[str, float], left: dict[str, float]) -> None:
    """Settle one asset's cost: kept by a service, split among the dependents, or
    left unallocated."""
    if is_service:
        kept[node] = amount
    elif dependents:
        for dependent in dependents:
            held[dependent] += amount / len(dependents)
    elif amount:
        left[node] = amount


def _feeds(graph: DependencyGraph, amounts: Mapping[str, float],
           services: set[str]) -> dict[str, list[str]]:
    """Every asset the cost of ``amounts`` flows through, with the dependents it
    shares its cost with (none for a service: the flow ends there)."""
    feeds: dict[str, list[str]] = {}
    queue = deque(sorted(node for node in amounts if node in graph))
    while queue:
        node = queue.popleft()
        if node in feeds:
            continue
        feeds[node] = [] if node in services else _sharing_dependents(graph, node)
        queue.extend(dependent for dependent in feeds[node] if dependent not in feeds)
    return feeds


def _sharing_dependents(graph: DependencyGraph, node: str) -> list[str]:
    """The direct dependents that take a share of ``node``'s cost."""
    return [dependent for dependent, relation in graph.dependents_by_relation(node)
            if passes(relation)]


def _sources(assets: Iterable[AssetBase], months: float) -> dict[str, dict[str, float]]:
    """Per currency, each asset's own cost over the period."""
    sources: dict[str, dict[str, float]] = {}
    for asset in assets:
        if asset.cost is not None:
            sources.setdefault(asset.cost.currency, {})[asset.id] = normalised(asset.cost,
                                                                              months)
    return sources


def _service_cost(service: Service, sources: Mapping[str, Mapping[str, float]],
                  total: Money) -> ServiceCost:
    own = {currency: amounts[service.id] for currency, amounts in sources.items()
           if service.id in amounts}
    shared = {currency: amount - own.get(currency, 0.0) for currency, amount in total.items()}
    return ServiceCost(service.id, service.name, service.tier, own, shared, dict(total))


def _sum(parts: Iterable[Mapping[str, float]]) -> Money:
    result: Money = {}
    for part in parts:
        for currency, amount in part.items():
            result[currency] = result.get(currency, 0.0) + amount
    return dict(sorted(result.items()))


def _budget(repo: Repository, months: float, total: Money,
            currencies: list[str]) -> Budget | None:
    """The total against the first kpi-targets record (by id) that sets a cost budget."""
    targets = [t.targets.cost for t in sorted(repo.kpi_targets(), key=lambda t: t.id)
               if t.targets.cost is not None]
    if not targets:
        return None
    target = targets[0]
    budget = normalised(target, months)
    limit = budget * (1 + target.within_percent / 100)
    note = _not_comparable(currencies, target.currency)
    if note:
        return Budget(target.currency, budget, target.within_percent, limit, None, None, note)
    actual = total.get(target.currency, 0.0)
    met = actual <= limit or math.isclose(actual, limit, rel_tol=1e-9)
    return Budget(target.currency, budget, target.within_percent, limit, actual, met)


def _not_comparable(currencies: list[str], budget_currency: str) -> str | None:
    """Why the total cannot be compared with the budget, or None when it can."""
    if len(currencies) > 1:
        return (f"costs are in several currencies ({', '.join(currencies)}): each is summed "
                "on its own and none is compared with the budget")
    if currencies and currencies[0] != budget_currency:
        return (f"costs are in {currencies[0]} but the budget is in {budget_currency}: "
                "not compared")
    return None
