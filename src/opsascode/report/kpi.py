"""Render the KPI report: text, JSON, Markdown and one self-contained HTML page."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from opsascode.kpi import KpiReport
from opsascode.records.base import format_duration
from opsascode.report import plain
from opsascode.report.charts import bar_chart
from opsascode.report.markdown import render


def _stats(stats: Any) -> dict[str, Any]:
    return {"count": stats.count, "mean_seconds": plain(stats.mean),
            "median_seconds": plain(stats.median)}


def as_dict(report: KpiReport) -> dict[str, Any]:
    inc, ch = report.incidents, report.changes
    by_priority = inc.metrics.by_priority
    return {
        "since": report.since.isoformat(), "until": report.until.isoformat(),
        "metrics": {
            "availability": [plain(s) for s in report.availability],
            "mtta": {"overall": _stats(inc.metrics.overall.mtta),
                     "by_priority": {p: _stats(t.mtta) for p, t in by_priority.items()}},
            "mttr": {"overall": _stats(inc.metrics.overall.mttr),
                     "by_priority": {p: _stats(t.mttr) for p, t in by_priority.items()},
                     "unresolved": inc.metrics.overall.unresolved},
            "change_failure_rate": {"percent": ch.failure_rate, "failed": ch.failed,
                                    "implemented": ch.implemented},
            "success_score": {team: {"score": t.score, "changes": list(t.changes),
                                     "summary": t.summary()} for team, t in ch.teams.items()},
            "lead_time": {"mean_seconds": plain(ch.lead_time_mean),
                          "median_seconds": plain(ch.lead_time_median),
                          "changes": [plain(t) for t in ch.lead_times]},
            "volume": ch.volume,
            "sla_compliance": plain(inc.sla_compliance),
            "satisfaction": plain(inc.satisfaction),
            "cost": plain(report.cost),
            "workload": {**plain(inc.workload), "changes_by_team": report.changes_by_team,
                         "changes_by_person": report.changes_by_person},
        },
        "incidents": list(inc.incidents),
        "sla_clocks": [plain(c) for c in inc.clocks],
        "recurring": [plain(r) for r in inc.recurring],
        "known_errors": [plain(k) for k in inc.known_errors],
        "targets": [plain(t) for t in report.targets],
        "trends": [plain(m) for m in report.trends],
    }


def as_json(report: KpiReport) -> str:
    return json.dumps(as_dict(report), indent=2, sort_keys=True, ensure_ascii=False)


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: "no data"}[met]


def as_text(report: KpiReport) -> str:
    lines = [f"KPIs from {report.first_day} to {report.last_day} "
             f"({len(report.incidents.incidents)} incidents, "
             f"{len(report.changes.implemented)} changes implemented)", "", "Targets:"]
    for t in report.targets:
        detail = f" ({t.detail})" if t.detail else ""
        lines.append(f"  {t.metric:<20} {t.actual or '-':>16}  {t.target:<28} "
                     f"{_verdict(t.met)}{detail}")
    lines += ["", "Availability per business service (unplanned downtime; SLA target):"]
    for s in report.availability:
        target = f"{s.target:g}%" if s.target is not None else "no SLA"
        lines.append(f"  {s.id:<28} {s.availability:8.3f}%  target {target:<8} "
                     f"{_verdict(s.met)}  down {format_duration(s.unplanned)}, planned "
                     f"{format_duration(s.planned)}, degraded {format_duration(s.degraded)}")
    lines += ["", *_incident_lines(report), "", *_change_lines(report), "",
              *_workload_lines(report), "", "Monthly trends:"]
    for m in report.trends:
        mttr = f"{m.mttr_hours:.1f}h" if m.mttr_hours is not None else "-"
        cfr = f"{m.change_failure_rate:.0f}%" if m.change_failure_rate is not None else "-"
        worst = f"{m.worst_availability:.3f}%" if m.worst_availability is not None else "-"
        lines.append(f"  {m.month}  incidents {m.incidents:>3}  MTTR {mttr:>7}  changes "
                     f"{m.changes_implemented:>3}  failure rate {cfr:>4}  worst availability "
                     f"{worst}")
    return "\n".join(lines)


def _incident_lines(report: KpiReport) -> list[str]:
    inc = report.incidents
    lines = ["Incidents (MTTA / MTTR mean, median, count) per priority:"]
    for name, times in [("all", inc.metrics.overall), *sorted(inc.metrics.by_priority.items())]:
        lines.append(f"  {name:<4} MTTA {_d(times.mtta.mean)} / {_d(times.mtta.median)} "
                     f"({times.mtta.count})   MTTR {_d(times.mttr.mean)} / "
                     f"{_d(times.mttr.median)} ({times.mttr.count})")
    for priority, c in sorted(inc.sla_compliance.by_priority.items()):
        percent = f"{c.percent:.1f}%" if c.percent is not None else "-"
        lines.append(f"  SLA {priority}: {percent} met ({c.met} met, {c.breached} breached, "
                     f"{c.running} running)")
    for clock in inc.clocks:
        if clock.status == "breached":
            lines.append(f"  breach: {clock.incident} {clock.kind} on {clock.sla} over by "
                         f"{_d(clock.over)}")
    for r in inc.recurring:
        lines.append(f"  recurring: {len(r.incidents)} incidents on {r.subject} "
                     f"({', '.join(r.incidents)}), no problem linked")
    for k in inc.known_errors:
        workaround = " ".join((k.workaround or "-").split())
        lines.append(f"  known error {k.problem}: {k.title}; workaround: {workaround}"
                     f"; open incidents: {', '.join(k.open_incidents) or 'none'}")
    return lines


def _change_lines(report: KpiReport) -> list[str]:
    ch = report.changes
    lines = [f"Changes: failure rate {_pct(ch.failure_rate)} ({len(ch.failed)} of "
             f"{len(ch.implemented)}: {', '.join(ch.failed) or 'none'}); lead time mean "
             f"{_d(ch.lead_time_mean)}, median {_d(ch.lead_time_median)} "
             f"({len(ch.lead_times)} merged)"]
    for team, tally in ch.teams.items():
        score = _pct(100 * tally.score) if tally.score is not None else "-"
        lines.append(f"  success score {team}: {score} ({tally.summary()})")
    for kind, row in sorted(ch.volume.items()):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(row.items()))
        lines.append(f"  volume {kind}: {counts}")
    return lines


def _workload_lines(report: KpiReport) -> list[str]:
    load = report.incidents.workload
    lines = ["Workload (incidents handled, open, hours; changes implemented):"]
    for team in load.teams:
        flag = "  SINGLE-PERSON TEAM" if team.single_person else ""
        lines.append(f"  {team.team:<20} incidents {team.load.incidents:>3} open "
                     f"{team.load.open:>2} hours {team.load.hours:7.1f} changes "
                     f"{report.changes_by_team.get(team.team, 0):>3}{flag}")
    for person in load.people:
        if person.load.incidents or report.changes_by_person.get(person.person):
            lines.append(f"  {person.person:<20} incidents {person.load.incidents:>3} hours "
                         f"{person.load.hours:7.1f} changes "
                         f"{report.changes_by_person.get(person.person, 0):>3}")
    return lines


def _d(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else "-"


def _pct(value: float | None) -> str:
    return f"{value:.1f}%" if value is not None else "-"


def charts(report: KpiReport) -> dict[str, str]:
    labels = [m.month for m in report.trends]
    return {
        "incidents": bar_chart("Incidents per month", labels,
                               [float(m.incidents) for m in report.trends]),
        "mttr": bar_chart("MTTR per month (hours)", labels,
                          [m.mttr_hours for m in report.trends], " h"),
        "failure_rate": bar_chart("Change failure rate per month (%)", labels,
                                  [m.change_failure_rate for m in report.trends], " %"),
    }


def as_markdown(report: KpiReport) -> str:
    return render("kpi.md.j2", report=report, verdict=_verdict, d=_d, pct=_pct)


def as_html(report: KpiReport) -> str:
    from opsascode.report.html import render_html

    return render_html("kpi.html.j2", report=report, verdict=_verdict, d=_d, pct=_pct,
                       charts=charts(report))
