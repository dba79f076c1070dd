"""Render the audit: text, JSON, Markdown and one self-contained, escaped HTML page."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from opsascode.audit import AuditReport
from opsascode.change_history import ApprovalStep, ChangeTimeline
from opsascode.report import plain
from opsascode.report.markdown import render


def as_dict(report: AuditReport) -> dict[str, Any]:
    period = report.period
    codes: dict[str, int] = {}
    for v in report.violations:
        codes[v.code] = codes.get(v.code, 0) + 1
    return {
        "branch": report.branch, "tip": report.tip,
        "since": plain(period.start), "until": plain(period.end), "as_of": plain(period.as_of),
        "baseline": report.baseline, "shallow": report.graft is not None,
        "history_starts_at": report.graft,
        "commits": report.commits,
        "merges": plain(report.merges),
        "changes": plain(report.changes),
        "violations": plain(report.violations),
        "policy_changes": plain(report.policy_changes),
        "replay": _replay(report),
        "asset": plain(report.asset),
        "notes": list(report.notes),
        "counts": {"violations": len(report.violations), "by_code": codes,
                   "changes": len(report.changes), "merges": len(report.merges),
                   "policy_changes": len(report.policy_changes)},
    }


def _replay(report: AuditReport) -> dict[str, Any] | None:
    replay = report.replay
    if replay is None:
        return None
    return {"revision": replay.revision, "commit": replay.commit, "merges": replay.merges,
            "differences": [{**plain(d), "sentence": d.sentence(replay.revision)}
                            for d in replay.differences]}


def as_json(report: AuditReport) -> str:
    return json.dumps(as_dict(report), indent=2, sort_keys=True, ensure_ascii=False)


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M %z}" if value else "-"


def _one_line(text: object) -> str:
    """Untrusted text on one line (a title cannot forge a line of the report)."""
    return " ".join(str(text).split())


def heading(report: AuditReport) -> str:
    period = report.period
    since = f"{period.start:%Y-%m-%d}" if period.start else "the start of the history"
    until = f"{period.end:%Y-%m-%d} (excluded)" if period.end else "now"
    return (f"Audit of {report.branch} ({report.tip[:12]}) from {since} to {until}: "
            f"{report.commits} main-line commits, {len(report.merges)} merges, "
            f"{len(report.changes)} change requests, {len(report.violations)} violations")


def as_text(report: AuditReport) -> str:
    lines = [heading(report), *(f"note: {_one_line(n)}" for n in report.notes)]
    lines += ["", f"Violations ({len(report.violations)}):"]
    lines += [f"  {v.commit[:12]} {v.code}: {_one_line(v.message)}" for v in report.violations]
    lines += ["", f"Merges ({len(report.merges)}):"]
    lines += [f"  {m.commit[:12]} {_when(m.at)} by {m.by}"
              f"{' (squash merge)' if m.via == 'squash merge' else ''}: {m.status} under the "
              f"policy of {m.policy_rev[:12]}; {', '.join(m.changes) or 'no change request'}"
              for m in report.merges]
    lines += ["", f"Change requests ({len(report.changes)}):"]
    for item in report.changes:
        lines += _timeline_lines(item)
    lines += ["", f"Policy changes ({len(report.policy_changes)}):"]
    lines += [f"  {p.commit[:12]} {_one_line(p.message)}" for p in report.policy_changes]
    lines += _replay_lines(report) + _asset_lines(report)
    return "\n".join(lines)


def _timeline_lines(item: ChangeTimeline) -> list[str]:
    lines = [f"  {item.id} {_one_line(item.title)} ({item.type}, {item.status})"]
    lines.append(f"    requested    {_when(item.requested_at)} by {item.requester}; file added "
                 f"in {(item.added_in or '-')[:12]} by {item.added_by} on {_when(item.added_at)}")
    lines += [f"    approval     {_approval(a)}" for a in item.approvals]
    if item.merged:
        m = item.merged
        lines.append(f"    merged       {_when(m.at)} by {m.by} ({m.via} {m.commit[:12]})")
    if item.decision or item.reason:
        under = f" under the policy of {item.policy_rev[:12]}" if item.policy_rev else ""
        missing = f"; missing: {'; '.join(item.missing)}" if item.missing else ""
        lines.append(f"    gate         {item.decision or '-'}{under}: "
                     f"{_one_line(item.reason)}{missing}")
    if item.retro:
        r = item.retro
        state = "met" if r.met else "met late" if r.late else "NOT met"
        missing = f" (missing: {'; '.join(r.missing)})" if r.missing else ""
        lines.append(f"    retro        due {_when(r.due)} under {r.rule!r}: {state}{missing}")
    lines.append(f"    implemented  {_when(item.implemented_at)}; review "
                 f"{item.review or '-'}; incidents {', '.join(item.incidents) or 'none'}")
    return lines


def _approval(a: ApprovalStep) -> str:
    verdict = "counted" if a.counted else "not counted"
    origin = "review on" if a.source == "github" else "commit"
    return (f"{a.by} {_when(a.at)} ({a.stage}, {origin} {(a.commit or '-')[:12]}): {verdict}: "
            f"{_one_line(a.reason)}")


def _replay_lines(report: AuditReport) -> list[str]:
    replay = report.replay
    if replay is None:
        return []
    lines = ["", f"Replay under {replay.revision} ({replay.commit[:12]}): {replay.merges} "
             f"merges judged again, {len(replay.differences)} decisions differ"]
    return lines + [f"  {d.merge[:12]} {_one_line(d.sentence(replay.revision))}"
                    for d in replay.differences]


def _asset_lines(report: AuditReport) -> list[str]:
    asset = report.asset
    if asset is None:
        return []
    lines = ["", f"History of {asset.id} ({asset.kind}, now in {asset.file or 'no file'}):"]
    for e in asset.events:
        declared = f" declared by {', '.join(e.changes)}" if e.changes else " (no change request)"
        moved = f" from {e.old_file}" if e.what == "moved" else ""
        lines.append(f"  {e.commit[:12]} {_when(e.at)} by {e.by} ({e.via}): {e.what} in "
                     f"{e.file}{moved};{declared}")
        lines += [f"      {f.field}: {_one_line(json.dumps(f.old))} -> "
                  f"{_one_line(json.dumps(f.new))}" for f in e.fields]
    return lines


def as_markdown(report: AuditReport) -> str:
    return render("audit.md.j2", report=report, heading=heading(report), when=_when,
                  dump=json.dumps)


def as_html(report: AuditReport) -> str:
    from opsascode.report.html import render_html

    return render_html("audit.html.j2", report=report, heading=heading(report), when=_when,
                       dump=json.dumps)
