"""Render a list of problems: text (coloured on a terminal), JSON, GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from opsascode.problems import Level, Problem, counts
from opsascode.report.escape import workflow_data, workflow_property


def as_json(problems: Sequence[Problem], extra: dict[str, Any] | None = None) -> str:
    totals = counts(problems)
    document = {
        "ok": totals["error"] == 0,
        "problems": [p.as_dict() for p in sorted(problems)],
        "counts": totals,
        **(extra or {}),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)


def github_annotations(problems: Sequence[Problem]) -> str:
    lines = []
    for p in sorted(problems):
        command = "error" if p.level is Level.ERROR else "warning"
        props = [f"file={workflow_property(p.file)}"]
        if p.line:
            props += [f"line={p.line}", f"col={p.column}"]
        props.append(f"title={workflow_property(p.code)}")
        lines.append(f"::{command} {','.join(props)}::{workflow_data(p.message)}")
    return "\n".join(lines)


def write_text(problems: Sequence[Problem], summary: str, out: TextIO, *, color: bool) -> None:
    """``file:line:col: level: message [code]`` per problem, then a summary line."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(file=out, force_terminal=color, no_color=not color, highlight=False,
                      soft_wrap=True, width=10_000 if not color else None)
    styles = {Level.ERROR: "bold red", Level.WARNING: "yellow"}
    for p in sorted(problems):
        where = f"{p.file}:{p.line}:{p.column}" if p.line else p.file
        console.print(f"[bold]{escape(where)}[/]: [{styles[p.level]}]{p.level.value}[/]: "
                      f"{escape(p.message)} [dim]\\[{escape(p.code)}][/]")
    console.print(summary)
