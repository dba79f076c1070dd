"""Render a blast radius: a text tree, JSON, Mermaid or Graphviz DOT."""

from __future__ import annotations

import json
from typing import Any

from opsascode.impact import BlastRadius, Impacted


def as_dict(radius: BlastRadius) -> dict[str, Any]:
    return {
        "targets": list(radius.targets),
        "impacted": [
            {"id": i.id, "kind": i.kind, "distance": i.distance, "path": list(i.path),
             "effect": i.effect}
            for i in radius.impacted
        ],
        "services": [
            {"id": s.id, "name": s.name, "tier": s.tier, "users": s.users, "effect": s.effect,
             "distance": s.distance, "path": list(s.path)}
            for s in radius.services
        ],
    }


def as_json(radius: BlastRadius, extra: dict[str, Any] | None = None) -> str:
    """Indented for people; a large radius is written compactly, because Python's
    indenting encoder is several times slower (same data, same key order)."""
    indent = 2 if len(radius.impacted) <= 2000 else None
    return json.dumps({**as_dict(radius), **(extra or {})}, indent=indent, sort_keys=True,
                      ensure_ascii=False)


def _children(radius: BlastRadius) -> dict[str, list[Impacted]]:
    children: dict[str, list[Impacted]] = {}
    for item in radius.impacted:
        if len(item.path) > 1:
            children.setdefault(item.path[-2], []).append(item)
    for items in children.values():
        items.sort(key=lambda i: i.id)
    return children


def as_text(radius: BlastRadius) -> str:
    children = _children(radius)
    lines: list[str] = []

    def walk(item: Impacted, prefix: str, last: bool, root: bool) -> None:
        branch = "" if root else ("└── " if last else "├── ")
        lines.append(f"{prefix}{branch}{item.id} ({item.kind}): {item.effect}")
        below = children.get(item.id, [])
        deeper = prefix if root else prefix + ("    " if last else "│   ")
        for index, child in enumerate(below):
            walk(child, deeper, index == len(below) - 1, False)

    for item in radius.impacted:
        if item.distance == 0:
            walk(item, "", True, True)
    lines.append("")
    if radius.services:
        lines.append("Impacted business services:")
        for s in radius.services:
            users = f"{s.users:,} users" if s.users is not None else "users unknown"
            lines.append(f"  {s.id}  tier {s.tier}  {users}  {s.effect}  "
                         f"via {' -> '.join(s.path)}")
    else:
        lines.append("No business service is impacted.")
    total = len(radius.impacted) - len(radius.targets)
    lines.append(f"{total} impacted assets beyond the {len(radius.targets)} target(s), "
                 f"{len(radius.services)} business services")
    return "\n".join(lines)


def _label(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "#quot;")


def as_mermaid(radius: BlastRadius, limit: int = 60) -> str:
    """A Mermaid flowchart of the blast radius, bounded to ``limit`` nodes (the
    nearest ones; the rest are summarised) so a pull-request page stays readable."""
    shown = list(radius.impacted[:limit])
    names = {item.id: f"n{index}" for index, item in enumerate(shown)}
    lines = ["flowchart BT"]
    for item in shown:
        lines.append(f'  {names[item.id]}["{_label(item.id)}<br/>{_label(item.kind)}"]:::'
                     f"{item.effect}")
    for item in shown:
        if len(item.path) > 1 and item.path[-2] in names:
            lines.append(f"  {names[item.path[-2]]} --> {names[item.id]}")
    hidden = len(radius.impacted) - len(shown)
    if hidden:
        lines.append(f'  more["… and {hidden} more impacted assets"]')
    lines.append("  classDef outage fill:#f8d7da,stroke:#b02a37")
    lines.append("  classDef degraded fill:#fff3cd,stroke:#997404")
    return "\n".join(lines)


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def as_dot(radius: BlastRadius) -> str:
    colours = {"outage": "#f8d7da", "degraded": "#fff3cd"}
    lines = ["digraph impact {", "  rankdir=BT;", "  node [shape=box, style=filled];"]
    for item in radius.impacted:
        label = _dot_id(f"{item.id}\\n{item.kind}").replace("\\\\n", "\\n")
        lines.append(f"  {_dot_id(item.id)} [label={label}, fillcolor=\"{colours[item.effect]}\"];")
    for item in radius.impacted:
        if len(item.path) > 1:
            lines.append(f"  {_dot_id(item.path[-2])} -> {_dot_id(item.id)};")
    lines.append("}")
    return "\n".join(lines)
