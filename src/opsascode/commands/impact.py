"""``opsascode impact ID...``: the blast radius of assets, or of a change."""

from __future__ import annotations

import difflib
import sys
from typing import TextIO

from opsascode.errors import UsageError
from opsascode.impact import blast_radius
from opsascode.loader import load
from opsascode.records import Change
from opsascode.records.assets import AssetBase
from opsascode.report import impact as report
from opsascode.repository import Repository
from opsascode.workspace import Options, find_root, open_cache, open_tree, require_readable


def targets_of(repo: Repository, ids: list[str], effect: str) -> dict[str, str]:
    """Asset ids (with ``effect``) or change ids (with the change's own effect)."""
    targets: dict[str, str] = {}
    for given in ids:
        record = repo.records.get(given)
        if isinstance(record, Change):
            for target in record.targets:
                targets[target] = record.effect
        elif isinstance(record, AssetBase):
            targets[given] = effect
        else:
            known = sorted(a.id for a in repo.assets()) + sorted(c.id for c in repo.changes())
            close = difflib.get_close_matches(given, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{given!r} is not an asset or change id{hint}")
    return targets


def impact(options: Options, ids: list[str], fmt: str, effect: str = "outage",
           rev: str | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    root = find_root(options.directory)
    repo = load(open_tree(root, rev), cache=open_cache(root, options))
    require_readable(repo)
    targets = targets_of(repo, ids, effect)
    assets = {a.id: a for a in repo.assets()}
    radius = blast_radius(repo.graph(), assets, targets)
    if fmt == "json":
        text = report.as_json(radius)
    elif fmt == "mermaid":
        text = report.as_mermaid(radius)
    elif fmt == "dot":
        text = report.as_dot(radius)
    else:
        text = report.as_text(radius)
    print(text, file=out)
    return 0

