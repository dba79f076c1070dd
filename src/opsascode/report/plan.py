"""Render a plan: text for a terminal, JSON for scripts, Markdown for a pull request."""

from __future__ import annotations

import json
from typing import Any

from opsascode.diff import RecordChange
from opsascode.plan import ChangePlan, Plan
from opsascode.report.impact import as_dict as radius_dict
from opsascode.report.impact import as_mermaid
from opsascode.report.markdown import Trusted, render

MERMAID_NODES = 40


def _change_dict(item: ChangePlan) -> dict[str, Any]:
    change, radius = item.change, radius_dict(item.radius)
    return {
        "id": change.id, "title": change.title, "type": change.type, "status": item.status,
        "file": item.file, "action": change.action, "effect": change.effect,
        "window": {"start": change.window.start.isoformat(),
                   "end": change.window.end.isoformat()},
        "targets": list(change.targets),
        "impacted": radius["impacted"], "services": radius["services"],
        "risk": {"score": item.risk.score, "level": item.risk.level,
                 "factors": [{"name": f.name, "points": f.points, "reason": f.reason}
                             for f in item.risk.factors]},
        "conflicts": [{"kind": c.kind, "subject": c.subject, "message": c.message}
                      for c in item.conflicts],
        "problems": [p.as_dict() for p in item.problems],
    }


def _diff_dict(item: RecordChange) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "status": item.status, "file": item.file,
            "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in item.fields]}


def as_json(plan: Plan) -> str:
    document = {
        "base": plan.base, "head": plan.head,
        "changed_paths": plan.changed_paths,
        "diff": [_diff_dict(d) for d in plan.diff],
        "changes": [_change_dict(c) for c in plan.changes],
        "undeclared": [p.as_dict() for p in plan.undeclared],
        "new_single_points": [{"service": s.service, "asset": s.asset}
                              for s in plan.new_single_points],
        "problems": [p.as_dict() for p in plan.problems],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def as_markdown(plan: Plan) -> str:
    mermaid = {c.change.id: Trusted(as_mermaid(c.radius, MERMAID_NODES))
               for c in plan.changes if len(c.radius.impacted) > 1}
    return render("plan.md.j2", plan=plan, mermaid=mermaid)


def as_text(plan: Plan) -> str:
    lines = [f"plan: base {plan.base[:12]} .. head {plan.head[:12]}: "
             f"{len(plan.diff)} records changed, {len(plan.changes)} change requests"]
    for item in plan.changes:
        lines += ["", *_change_text(item)]
    if plan.undeclared:
        lines += ["", "Undeclared modifications:"]
        lines += [f"  {p}" for p in plan.undeclared]
    if plan.new_single_points:
        lines += ["", "New single points of failure:"]
        lines += [f"  {s.asset} for {s.service}" for s in plan.new_single_points]
    if plan.problems:
        lines += ["", "Validation problems:"]
        lines += [f"  {p}" for p in plan.problems]
    return "\n".join(lines)


def _change_text(item: ChangePlan) -> list[str]:
    c, risk = item.change, item.risk
    lines = [f"{c.id}: {c.title} [{item.status}]",
             f"  {c.type} change, {c.action}, effect {c.effect}, window "
             f"{c.window.start.isoformat()} to {c.window.end.isoformat()}",
             f"  targets: {', '.join(c.targets)}",
             f"  impacted: {len(item.radius.impacted)} assets"]
    for s in item.radius.services:
        lines.append(f"    {s.id} (tier {s.tier}, {s.effect}) via {' -> '.join(s.path)}")
    lines.append(f"  risk: {risk.score}/100 {risk.level}")
    width = max(len(f.name) for f in risk.factors)
    lines += [f"    {f.points:+4d} {f.name:<{width}}  {f.reason}" for f in risk.factors]
    if item.conflicts:
        lines.append("  conflicts:")
        lines += [f"    {x.kind}: {x.message}" for x in item.conflicts]
    if item.problems:
        lines.append("  problems:")
        lines += [f"    {p}" for p in item.problems]
    return lines
