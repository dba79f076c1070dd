"""Lead time for changes, from git: the first commit of a change's branch to the
merge that brought its change request onto the main line.

For each change request file, the main-line commit that first added it is its
merge. When that commit is a merge, the branch's first commit is the oldest commit
(by author time) reachable from the merged parent but not from the main line; when
it is a plain commit (a squash or a direct push), its own author time stands for the
branch's first commit. Lead time = merge commit time - that author time. One
``git log`` for the commit graph and one for the main line's files, whatever the
number of changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from opsascode.git import GitRepo


@dataclass(frozen=True)
class LeadTime:
    change: str
    first_commit: datetime
    merged_at: datetime
    merge: str

    @property
    def lead_time(self) -> timedelta:
        return self.merged_at - self.first_commit


def lead_times(git: GitRepo, rev: str, change_files: Mapping[str, str],
               folder: str = "changes") -> dict[str, LeadTime]:
    """``change_files``: path of each change request file -> change id."""
    graph = git.commit_graph(rev)
    mainline = git.mainline_files(rev, (folder,))
    on_mainline = _first_parents(graph, git.resolve(rev))
    found: dict[str, LeadTime] = {}
    for sha, files in reversed(mainline):  # oldest first: the first merge wins
        for path in files:
            change = change_files.get(path)
            if change is None or change in found:
                continue
            parents, _, committed = graph[sha]
            first = _branch_start(graph, parents[1], on_mainline) if len(parents) > 1 else (
                graph[sha][1])
            found[change] = LeadTime(change, _utc(first), _utc(committed), sha)
    return found


def _first_parents(graph: Mapping[str, tuple[tuple[str, ...], int, int]], tip: str
                   ) -> set[str]:
    line, sha = set(), tip
    while sha in graph and sha not in line:
        line.add(sha)
        parents = graph[sha][0]
        if not parents:
            break
        sha = parents[0]
    return line


def _branch_start(graph: Mapping[str, tuple[tuple[str, ...], int, int]], tip: str,
                  mainline: set[str]) -> int:
    """The oldest author time among the branch's own commits."""
    oldest, seen, stack = graph[tip][1], {tip}, [tip]
    while stack:
        sha = stack.pop()
        parents, authored, _ = graph[sha]
        oldest = min(oldest, authored)
        for parent in parents:
            if parent not in seen and parent not in mainline and parent in graph:
                seen.add(parent)
                stack.append(parent)
    return oldest


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
