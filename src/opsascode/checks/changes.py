"""Rules for change requests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from opsascode import problems as P
from opsascode.problems import Problem
from opsascode.records.changes import IMPLEMENTED_STATUSES, Change
from opsascode.repository import Origin, Repository

if TYPE_CHECKING:
    from opsascode.checks import Context


def check_changes(repo: Repository, context: Context) -> Iterable[Problem]:
    for change in repo.changes():
        yield from _problems_of(change, repo.origins[change.id])


#: id(change) -> (the change, its origin, its problems): what the rules below find
#: depends on the record and where it is only, and the records of unchanged files
#: are the same objects from one revision to the next (the audit checks every merge).
_SEEN: dict[int, tuple[Change, Origin, tuple[Problem, ...]]] = {}


def _problems_of(change: Change, origin: Origin) -> tuple[Problem, ...]:
    found = _SEEN.get(id(change))
    if found is None or found[0] is not change or found[1] != origin:
        found = _SEEN[id(change)] = (change, origin, tuple(_rules(change, origin)))
    return found[2]


def _rules(change: Change, origin: Origin) -> Iterator[Problem]:
    label = f"change {change.id!r}"

    def err(code: str, message: str, *path: str | int) -> Problem:
        return P.error(origin.file, code, message, loc=(*origin.loc, *path))

    if change.window.end <= change.window.start:
        yield err("window-ends-before-start",
                  f"the window of {label} ends ({change.window.end.isoformat()}) no later "
                  f"than it starts ({change.window.start.isoformat()}); fix `window.end`",
                  "window", "end")
    if change.requested_at and change.requested_at > change.window.start:
        yield err("requested-after-window",
                  f"{label} was requested after its window started; fix `requested_at` "
                  "or the window", "requested_at")
    if change.status in IMPLEMENTED_STATUSES and change.review is None:
        yield err("missing-review",
                  f"{label} is {change.status} but has no post-implementation review; add "
                  "`review` with its `result`", "status")
    if change.type in ("normal", "emergency") and not (change.rollback_plan or "").strip():
        yield err("missing-rollback-plan",
                  f"{label} is {P.a(change.type)} change without a rollback plan; describe "
                  "how to undo it in `rollback_plan`",
                  *(("rollback_plan",) if change.rollback_plan is not None else ()))
    if change.type == "standard" and change.template is None:
        yield err("missing-template",
                  f"{label} is a standard change but names no `template`; standard changes "
                  "are pre-approved through a template in policies/")
    if change.type != "standard" and change.template is not None:
        yield err("template-not-standard",
                  f"{label} names a template but is {P.a(change.type)} change; only standard "
                  "changes use templates", "template")
    if len(set(change.targets)) != len(change.targets):
        yield err("duplicate-target", f"{label} lists a target twice", "targets")
