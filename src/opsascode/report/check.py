"""Render the gate's decision: text, JSON, Markdown, GitHub annotations + summary."""

from __future__ import annotations

import json
from typing import Any

from opsascode.gate import GateResult, all_problems
from opsascode.policy.result import Result, Status
from opsascode.report.escape import workflow_data
from opsascode.report.markdown import render
from opsascode.report.problems import github_annotations

_MARK = {Status.APPROVED: "✓", Status.PENDING: "…", Status.DISAPPROVED: "✗",
         Status.SKIPPED: "-"}


def _flatten(subject: str, result: Result, depth: int = 0) -> list[dict[str, Any]]:
    rows = [{
        "subject": subject, "name": result.name, "depth": depth,
        "status": result.status.label, "reason": result.reason,
        "description": result.description, "error": result.error,
        "missing": list(result.missing),
        "predicates": [{"key": p.key, "satisfied": p.satisfied, "sentence": p.sentence}
                       for p in result.predicates],
    }]
    for child in result.children:
        rows += _flatten(subject, child, depth + 1)
    return rows


def _approvals(gate: GateResult) -> list[dict[str, Any]]:
    rows = [{"by": n.approval.by, "counted": False, "reason": n.reason,
             "source": n.approval.source, "subject": n.approval.change, "rule": None}
            for n in gate.approvals.not_counted]
    for decision in gate.decisions:
        for result in decision.result.walk():
            rows += [{"by": c.by, "counted": c.counted, "reason": c.reason,
                      "source": c.source, "subject": decision.subject, "rule": result.name}
                     for c in result.approvals]
    return sorted(rows, key=lambda r: (r["by"], str(r["subject"]), str(r["rule"])))


def required(gate: GateResult) -> list[str]:
    """Who still has to approve, per subject, by name (for an approved subject, only
    what it still owes, such as an emergency change's retro-approval)."""
    found = []
    for d in gate.decisions:
        results = [d.result] if d.result.status is Status.APPROVED else d.result.walk()
        missing = (m for r in results if r.status is not Status.SKIPPED for m in r.missing)
        found += [f"{d.subject}: {m}" for m in dict.fromkeys(missing)]
    return found


def as_dict(gate: GateResult) -> dict[str, Any]:
    return {
        "status": gate.status,
        "base": gate.plan.base, "head": gate.plan.head,
        "decisions": [{"subject": d.subject, "status": d.result.status.label,
                       "reason": d.result.reason, "missing": list(d.result.missing)}
                      for d in gate.decisions],
        "rules": [row for d in gate.decisions for row in _flatten(d.subject, d.result)],
        "required": required(gate),
        "approvals": _approvals(gate),
        "errors": gate.errors,
        "problems": [p.as_dict() for p in all_problems(gate)],
    }


def as_json(gate: GateResult) -> str:
    return json.dumps(as_dict(gate), indent=2, sort_keys=True, ensure_ascii=False)


def as_text(gate: GateResult) -> str:
    lines = [f"check: {gate.status.upper()} (base {gate.plan.base[:12]} .. head "
             f"{gate.plan.head[:12]})"]
    for decision in gate.decisions:
        lines.append("")
        lines += _result_lines(decision.result, 0)
    if gate.errors:
        lines += ["", "Errors:", *(f"  {e}" for e in gate.errors)]
    if need := required(gate):
        lines += ["", "Still to approve:", *(f"  {n}" for n in need)]
    rows = _approvals(gate)
    if rows:
        lines += ["", "Approvals:"]
        lines += [f"  {'counted' if r['counted'] else 'not counted':<11} {r['by']} "
                  f"({r['source']}) {r['subject'] or ''} {r['rule'] or ''}: {r['reason']}"
                  for r in rows]
    return "\n".join(lines)


def _result_lines(result: Result, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [f"{pad}{_MARK[result.status]} {result.name}: {result.reason}"]
    lines += [f"{pad}    {'if' if p.satisfied else 'not'}: {p.sentence}"
              for p in result.predicates]
    if result.error:
        lines.append(f"{pad}    error: {result.error}")
    for child in result.children:
        lines += _result_lines(child, depth + 1)
    return lines


def as_markdown(gate: GateResult) -> str:
    return render("check.md.j2", gate=gate, rows=[
        (d.subject, row) for d in gate.decisions for row in _flatten(d.subject, d.result)],
        required=required(gate), approvals=_approvals(gate))


def as_github(gate: GateResult) -> str:
    """Annotations for the problems, and one line with the decision."""
    lines = [github_annotations(all_problems(gate))] if all_problems(gate) else []
    level = "notice" if gate.status == "approved" else "error"
    need = "; ".join(required(gate)[:5])
    summary = f"{gate.status}" + (f": still to approve: {need}" if need else "")
    if gate.errors:
        summary += f"; {gate.errors[0]}"
    lines.append(f"::{level} title=opsascode gate::{workflow_data(summary)}")
    return "\n".join(lines)
