"""``opsascode check``: the gate. Plan the branch, judge it by the BASE revision's
policy and teams, count the approvals, and exit 0 only when it is approved."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from opsascode.approvals import ApprovalSet, ApprovalSource
from opsascode.commands.plan import Branch, keep, load_branch
from opsascode.errors import FatalError
from opsascode.gate import GateResult, decide
from opsascode.report import check as report
from opsascode.workspace import Options

EXIT = {"approved": 0, "pending": 1, "disapproved": 1, "error": 2}


def event_range() -> tuple[str | None, str | None]:
    """Base and head from the GitHub Actions event, when running there."""
    path, name = os.environ.get("GITHUB_EVENT_PATH"), os.environ.get("GITHUB_EVENT_NAME")
    if not path or not name:
        return None, None
    from opsascode.approvals.github import event_revisions

    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FatalError(f"cannot read the event payload {path}: {exc}") from None
    base, head = event_revisions(name, payload)
    return base, head


def approval_source(spec: str, branch: Branch) -> ApprovalSource:
    if spec == "github":
        from opsascode.approvals.github import GitHubApprovals

        return GitHubApprovals.from_environment()
    if spec == "git":
        from opsascode.approvals.gitnative import GitApprovals, requires_signed, signing_keys

        # Keys and the signing rule come from the BASE revision only.
        return GitApprovals(branch.git.top, branch.plan.base, branch.plan.head,
                            signing_keys(branch.base), requires_signed(branch.base))
    from opsascode.approvals.jsonfile import FileApprovals

    return FileApprovals(Path(spec))


def run_gate(options: Options, base: str | None, head: str | None, approvals: str,
             today: date | None = None) -> GateResult:
    if base is None and head is None:
        base, head = event_range()
    branch = keep(load_branch(options, base, head, today=today))
    collected: ApprovalSet = approval_source(approvals, branch).collect()
    return decide(branch.plan, branch.base, branch.head, collected)


def check(options: Options, fmt: str, base: str | None, head: str | None,
          approvals: str, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    gate = run_gate(options, base, head, approvals)
    if fmt == "github":
        _write_summary(report.as_markdown(gate))
        print(report.as_github(gate), file=out)
    elif fmt == "json":
        print(report.as_json(gate), file=out)
    elif fmt == "markdown":
        print(report.as_markdown(gate), file=out)
    else:
        print(report.as_text(gate), file=out)
    return EXIT[gate.status]


def _write_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
