"""`opsascode kpi` on the bundled example, every number worked out by hand from the
example's YAML files (the comments show the arithmetic)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from testing.example import copy_example
from testing.repos import run_cli, write

PERIOD = ("--since", "2026-06-01", "--until", "2026-11-26")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("example"))


def kpi(capsys: Any, root: Path, *args: str) -> Any:
    result = run_cli(capsys, "-C", str(root), "--no-cache", "kpi", *args)
    assert result.code == 0, result.err
    return result


def seconds(minutes: float) -> float:
    return timedelta(minutes=minutes).total_seconds()


def test_incident_numbers_match_hand_calculation(example: Path, capsys: Any) -> None:
    metrics = kpi(capsys, example, *PERIOD, "--format", "json").json()["metrics"]
    # INC-0001..0012 reported in the period (INC-0013 on 11-27 is outside it).
    # minutes to acknowledge: 5.333 8 6 7 1 2 15 6 2.5 7.5 13 3 -> sum 76.333 / 12
    assert metrics["mtta"]["overall"]["count"] == 12
    assert metrics["mtta"]["overall"]["mean_seconds"] == pytest.approx(seconds(76.3333 / 12),
                                                                       abs=1)
    # minutes to resolve: 51.333 393 36 91 17 56 245 52 25.5 74.5 66 38 -> 1145.333 / 12
    assert metrics["mttr"]["overall"]["mean_seconds"] == pytest.approx(
        seconds(1145.3333 / 12), abs=1)
    # sorted: 17 25.5 36 38 51.3 52 | 56 66 74.5 91 245 393 -> median (52 + 56) / 2
    assert metrics["mttr"]["overall"]["median_seconds"] == seconds(54)
    # P1: INC-0005 (1 min) and INC-0012 (3 min) -> mean 2 min
    assert metrics["mtta"]["by_priority"]["P1"]["mean_seconds"] == seconds(2)
    # rated: all but INC-0010 (11); rated 4 or 5: all but INC-0003 (3) and INC-0005 (2)
    assert metrics["satisfaction"]["rated"] == 11
    assert metrics["satisfaction"]["satisfied"] == 9
    assert metrics["satisfaction"]["percent"] == pytest.approx(100 * 9 / 11)


def test_change_numbers_match_hand_calculation(example: Path, capsys: Any) -> None:
    document = kpi(capsys, example, *PERIOD, "--format", "json").json()
    rate = document["metrics"]["change_failure_rate"]
    # implemented (completed, failed, rolled back): CHG-0001..0010 = 10; failed:
    # 0003 (caused INC-0003), 0005 (failed, INC-0005), 0006 (rolled back, INC-0006)
    assert rate["implemented"] == [f"CHG-2026-00{n:02d}" for n in range(1, 11)]
    assert rate["failed"] == ["CHG-2026-0003", "CHG-2026-0005", "CHG-2026-0006"]
    assert rate["percent"] == 30.0
    # team-appops: 0003 (with issues but caused an incident: 0), 0004 (1), 0010 (1)
    assert document["metrics"]["success_score"]["team-appops"]["score"] == pytest.approx(2 / 3)
    target = next(t for t in document["targets"] if t["metric"] == "change_failure_rate")
    assert (target["actual"], target["met"]) == ("30%", False)  # target: at most 15%


def test_every_target_has_a_verdict_in_every_format(example: Path, capsys: Any) -> None:
    targets = kpi(capsys, example, *PERIOD, "--format", "json").json()["targets"]
    assert {t["metric"] for t in targets} == {
        "availability", "mtta", "mttr", "change_failure_rate", "lead_time", "sla_compliance",
        "satisfaction", "cost"}
    text = kpi(capsys, example, *PERIOD).out
    markdown = kpi(capsys, example, *PERIOD, "--format", "markdown").out
    html = kpi(capsys, example, *PERIOD, "--format", "html").out
    for target in targets:
        assert target["metric"] in text and target["metric"] in html
        assert target["metric"].replace("_", "\\_") in markdown  # Markdown-escaped
    assert "KPIs from 2026-06-01 to 2026-11-26" in text
    assert "NOT MET" in text and html.startswith("<!DOCTYPE html>")
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_empty_period_has_no_data_rather_than_passes(example: Path, capsys: Any) -> None:
    document = kpi(capsys, example, "--since", "2025-01-01", "--until", "2025-01-31",
                   "--format", "json").json()
    assert document["incidents"] == []
    verdicts = {t["metric"]: t["met"] for t in document["targets"]}
    assert verdicts["mttr"] is None and verdicts["change_failure_rate"] is None
    assert verdicts["availability"] is True  # no downtime at all


def test_an_open_incident_at_the_end_of_the_period(example: Path, capsys: Any) -> None:
    document = kpi(capsys, example, "--since", "2026-11-27", "--until", "2026-11-27",
                   "--format", "json").json()
    assert document["incidents"] == ["INC-2026-0013"]
    assert document["metrics"]["mttr"]["unresolved"] == 1
    assert document["metrics"]["mttr"]["overall"]["count"] == 0


def test_html_escapes_repository_text(tmp_path: Path, capsys: Any) -> None:
    root = copy_example(tmp_path / "ops")
    problem = (root / "problems" / "PRB-2026-0001.yaml").read_text()
    write(root, {"problems/PRB-2026-0001.yaml": problem.replace(
        "title: ", "title: <script>alert(1)</script> ", 1)})
    html = kpi(capsys, root, *PERIOD, "--format", "html").out
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_availability_and_cost_match_hand_calculation(example: Path, capsys: Any) -> None:
    metrics = kpi(capsys, example, *PERIOD, "--format", "json").json()["metrics"]
    services = {s["id"]: s for s in metrics["availability"]}
    # 2026-06-01 00:00+02:00 .. 2026-11-27 00:00+01:00 = 179 days + 1 hour (the clocks
    # went back on 10-25) = 257,820 minutes.
    period = 257_820
    # INC-2026-0011: svc-intranet out 08:47-09:58 (71 min), svc-customer-support out
    # 08:47-09:40 (53 min); nothing else took them down.
    assert services["svc-intranet"]["unplanned"] == 71 * 60
    assert services["svc-intranet"]["availability"] == pytest.approx(100 * (1 - 71 / period))
    assert services["svc-customer-support"]["availability"] == pytest.approx(
        100 * (1 - 53 / period))
    # 36 costs per month summing 132,850 EUR (one yearly cost counted /12);
    # months = 257,820 min / 30.4375 days (43,830 min)
    total = metrics["cost"]["total"]["EUR"]
    assert total == pytest.approx(132_850 * period / 43_830)
