from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opsascode.cost import AVERAGE_MONTH, CostReport, UnallocatedCost, cost, months_in
from opsascode.graph import DependencyGraph
from opsascode.records import Record, record_adapter
from opsascode.repository import Repository

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
ONE_MONTH = SINCE + AVERAGE_MONTH

# svc-a (100) -> app-1 (60) -> cl-db (no cost) -> db-1 (40), db-2 (20)
# svc-b        -> app-1, app-2 (30) -> vm-1 (12 a year)
# app-1 -monitored_by-> mon (50): monitoring takes no share of anything
SHOP: tuple[dict[str, Any], ...] = (
    {"id": "svc-a", "kind": "service", "tier": 1, "cost": {"amount": 100},
     "depends_on": ["app-1"]},
    {"id": "svc-b", "kind": "service", "tier": 2, "depends_on": ["app-1", "app-2"]},
    {"id": "app-1", "kind": "application", "cost": {"amount": 60},
     "depends_on": ["cl-db", {"id": "mon", "relation": "monitored_by"}]},
    {"id": "app-2", "kind": "application", "cost": {"amount": 30},
     "depends_on": [{"id": "vm-1", "relation": "runs_on"}]},
    {"id": "vm-1", "kind": "vm", "cost": {"amount": 12, "period": "year"}},
    {"id": "cl-db", "kind": "cluster", "members": ["db-1", "db-2"]},
    {"id": "db-1", "kind": "database", "cost": {"amount": 40}},
    {"id": "db-2", "kind": "database", "cost": {"amount": 20}},
    {"id": "mon", "kind": "application", "cost": {"amount": 50}},
)


def budget(amount: float, within: float = 0, period: str = "month",
           currency: str = "EUR") -> dict[str, Any]:
    return {"id": "kpi", "kind": "kpi-targets", "targets": {"cost": {
        "budget": amount, "currency": currency, "period": period, "within_percent": within}}}


def report(*records: dict[str, Any], until: datetime = ONE_MONTH) -> CostReport:
    adapter = record_adapter()
    loaded: list[Record] = [adapter.validate_python({"owner": "team", **r}
                                                    if r["kind"] != "kpi-targets" else r)
                            for r in records]
    repo = Repository(records={record.id: record for record in loaded})
    return cost(repo, DependencyGraph.build(repo.assets()), SINCE, until)


def by_service(result: CostReport) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    return {row.id: (row.own, row.total) for row in result.services}


def test_cost_is_shared_equally_up_to_the_services() -> None:
    result = report(*SHOP)
    assert result.months == pytest.approx(1.0)
    # cl-db collects 40 + 20 = 60 and passes it to app-1: 60 + 60 = 120, split between
    # svc-a and svc-b (60 each). app-2: 30 + vm-1's 12/12 = 31, all to svc-b.
    assert by_service(result) == {
        "svc-a": ({"EUR": 100}, {"EUR": pytest.approx(160)}),
        "svc-b": ({}, {"EUR": pytest.approx(91)}),
    }
    assert result.services[0].shared == {"EUR": pytest.approx(60)}
    assert (result.services[0].name, result.services[0].tier) == (None, 1)


def test_cost_reaching_no_service_is_unallocated_and_still_in_the_total() -> None:
    result = report(*SHOP)
    assert result.unallocated_assets == (UnallocatedCost("mon", "EUR", pytest.approx(50)),)
    assert result.allocated == {"EUR": pytest.approx(251)}
    assert result.unallocated == {"EUR": pytest.approx(50)}
    assert result.total == {"EUR": pytest.approx(301)}  # 100+60+30+1+40+20+50
    assert result.currencies == ("EUR",)
    assert result.budget is None  # no kpi-targets


def test_a_soft_dependency_takes_a_share_a_backup_target_does_not() -> None:
    result = report(
        {"id": "svc-1", "kind": "service", "tier": 1, "depends_on": ["app"]},
        {"id": "svc-2", "kind": "service", "tier": 1,
         "depends_on": [{"id": "cache", "relation": "uses"}]},
        {"id": "app", "kind": "application",
         "depends_on": ["cache", {"id": "backup", "relation": "backed_up_to"}]},
        {"id": "cache", "kind": "cache", "cost": {"amount": 10}},
        {"id": "backup", "kind": "storage", "cost": {"amount": 7}},
    )
    assert by_service(result) == {"svc-1": ({}, {"EUR": 5}), "svc-2": ({}, {"EUR": 5})}
    assert result.unallocated == {"EUR": 7}


def test_a_cluster_with_its_own_cost_passes_it_on_with_its_members() -> None:
    result = report(
        {"id": "svc", "kind": "service", "tier": 1, "depends_on": ["cl"]},
        {"id": "cl", "kind": "cluster", "members": ["a", "b"], "cost": {"amount": 5}},
        {"id": "a", "kind": "server", "cost": {"amount": 10}},
        {"id": "b", "kind": "server", "cost": {"amount": 10}},
    )
    assert by_service(result) == {"svc": ({}, {"EUR": 25})}


def test_a_service_keeps_what_it_gets_and_passes_nothing_to_services_above() -> None:
    result = report(
        {"id": "portal", "kind": "service", "tier": 1, "cost": {"amount": 1},
         "depends_on": ["shop"]},
        {"id": "shop", "kind": "service", "tier": 1, "cost": {"amount": 8},
         "depends_on": ["db"]},
        {"id": "db", "kind": "database", "cost": {"amount": 2}},
    )
    assert by_service(result) == {"portal": ({"EUR": 1}, {"EUR": 1}),
                                  "shop": ({"EUR": 8}, {"EUR": 10})}


def test_a_dependency_cycle_keeps_its_cost_unallocated() -> None:
    result = report(
        {"id": "svc", "kind": "service", "tier": 1, "depends_on": ["x"]},
        {"id": "x", "kind": "application", "cost": {"amount": 3}, "depends_on": ["y"]},
        {"id": "y", "kind": "application", "cost": {"amount": 4}, "depends_on": ["x"]},
    )
    assert by_service(result) == {"svc": ({}, {})}
    assert result.unallocated == {"EUR": 7}


def test_monthly_and_yearly_amounts_over_three_average_months() -> None:
    until = SINCE + 3 * AVERAGE_MONTH
    assert months_in(SINCE, until) == pytest.approx(3.0)
    assert AVERAGE_MONTH.total_seconds() == 30.4375 * 86400
    result = report(
        {"id": "svc", "kind": "service", "tier": 1, "cost": {"amount": 100},
         "depends_on": ["db"]},
        {"id": "db", "kind": "database", "cost": {"amount": 1200, "period": "year"}},
        until=until)
    # 100 a month x 3 + 1200 a year / 12 x 3
    assert by_service(result) == {"svc": ({"EUR": pytest.approx(300)},
                                          {"EUR": pytest.approx(600)})}


def test_an_empty_period_costs_nothing() -> None:
    result = report(*SHOP, until=SINCE)
    assert result.months == 0 and result.total == {"EUR": 0}


def test_a_period_that_ends_before_it_starts_is_an_error() -> None:
    with pytest.raises(ValueError, match="ends"):
        months_in(ONE_MONTH, SINCE)


def test_each_currency_is_summed_on_its_own_and_not_compared() -> None:
    result = report(
        {"id": "svc", "kind": "service", "tier": 1, "cost": {"amount": 100},
         "depends_on": ["saas"]},
        {"id": "saas", "kind": "other", "type": "saas",
         "cost": {"amount": 50, "currency": "USD"}},
        budget(1000))
    assert by_service(result) == {"svc": ({"EUR": 100}, {"EUR": 100, "USD": 50})}
    assert result.total == {"EUR": 100, "USD": 50}
    assert result.currencies == ("EUR", "USD")
    assert result.budget is not None
    assert (result.budget.met, result.budget.actual) == (None, None)
    assert result.budget.note is not None and "several currencies (EUR, USD)" in \
        result.budget.note


def test_costs_in_another_currency_than_the_budget_are_not_compared() -> None:
    result = report({"id": "svc", "kind": "service", "tier": 1,
                     "cost": {"amount": 1, "currency": "USD"}}, budget(1000))
    assert result.budget is not None and result.budget.met is None
    assert result.budget.note == "costs are in USD but the budget is in EUR: not compared"


@pytest.mark.parametrize(("amount", "within", "period", "met"), [
    (301, 0, "month", True),  # 301 <= 301
    (300, 0, "month", False),  # 301 > 300
    (300, 1, "month", True),  # 301 <= 303
    (290, 3, "month", False),  # 301 > 298.7
    (3612, 0, "year", True),  # 3612 / 12 = 301
    (3600, 0, "year", False),  # 300 a month
])
def test_the_total_against_the_budget_within_percent(amount: float, within: float,
                                                     period: str, met: bool) -> None:
    result = report(*SHOP, budget(amount, within, period))
    assert result.budget is not None
    assert result.budget.actual == pytest.approx(301)
    assert result.budget.limit == pytest.approx(amount / (12 if period == "year" else 1)
                                                * (1 + within / 100))
    assert result.budget.met is met and result.budget.note is None


def test_the_budget_is_normalised_to_the_period() -> None:
    result = report(*SHOP, budget(100, 10), until=SINCE + 2 * AVERAGE_MONTH)
    assert result.budget is not None
    assert (result.budget.budget, result.budget.limit) == (pytest.approx(200),
                                                           pytest.approx(220))
    assert result.budget.actual == pytest.approx(602) and result.budget.met is False
