"""``opsascode plan``: diff, impact, risk and conflicts of a branch."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from opsascode import problems as P
from opsascode.cache import ParseCache, checks_key
from opsascode.checks import run_checks
from opsascode.diff import branch_changes, diff_repositories
from opsascode.git import GitRepo
from opsascode.loader import Loader, locate
from opsascode.plan import Plan, build_plan
from opsascode.records import Change
from opsascode.report import plan as report
from opsascode.repository import Repository
from opsascode.tree import GitTree
from opsascode.workspace import Options, find_root, open_cache


@dataclass
class Branch:
    """A branch as ``plan`` and ``check`` see it: both revisions and the plan."""

    git: GitRepo
    #: The base branch as it is now: its policy, teams and risk model judge.
    base: Repository
    head: Repository
    plan: Plan


#: Loaded trees the command keeps until the process ends: freeing 100,000 records
#: one by one costs a third of a second, and the console entry exits without it.
_KEPT: list[Branch] = []


def make_plan(options: Options, base: str | None, head: str | None,
              also: list[str] | None = None, today: date | None = None) -> Plan:
    return keep(load_branch(options, base, head, also, today)).plan


def load_branch(options: Options, base: str | None, head: str | None,
                also: list[str] | None = None, today: date | None = None) -> Branch:
    root = find_root(options.directory)
    git = GitRepo(root)
    loader = Loader(open_cache(root, options))
    head_rev = git.resolve(head or "HEAD")
    head_repo = loader.load(GitTree(git, head_rev))
    policy_rev = git.resolve(base) if base else git.default_base(
        head_repo.settings.default_branch)
    policy_repo = loader.load(GitTree(git, policy_rev))
    # The diff starts where the branch left the base: commits the base branch gained
    # since are not the branch's doing (the same commit when the branch is up to date).
    base_rev = git.merge_base(policy_rev, head_rev) or policy_rev
    base_repo = loader.load(GitTree(git, base_rev)) if base_rev != policy_rev else policy_repo
    head_problems = head_repo.problems + checked(head_repo, today or date.today(),
                                                 loader.cache)
    diff = diff_repositories(base_repo, head_repo)
    others: list[Change] = []
    for rev in also or []:
        other = loader.load(GitTree(git, rev))
        others += branch_changes(diff_repositories(base_repo, other), other)
    plan = build_plan(base_repo, head_repo, diff, git.changed_paths(base_rev, head_rev),
                      base_rev=base_rev, head_rev=head_rev, head_problems=head_problems,
                      also=others, policy=policy_repo)
    return Branch(git, policy_repo, head_repo, plan)


def checked(repo: Repository, today: date, cache: ParseCache | None) -> list[P.Problem]:
    """The checks' problems of a tree, from the cache when this very content was
    checked today by this very code (the gate runs again on every review of the same
    head), else computed and cached."""
    key = checks_key(repo, today) if cache else ""
    found = cache.get(f"checks-{key}") if cache else None
    if isinstance(found, list):
        return found
    problems = locate(repo, run_checks(repo, today))
    if cache:
        cache.put(f"checks-{key}", problems)
    return problems


def keep(branch: Branch) -> Branch:
    """Keep ``branch`` alive until the process ends (see ``_KEPT``)."""
    _KEPT.clear()  # one at a time: a long-lived caller (tests) does not accumulate them
    _KEPT.append(branch)
    return branch


def plan(options: Options, fmt: str, base: str | None, head: str | None,
         also: list[str] | None = None, out: TextIO | None = None) -> int:
    result = make_plan(options, base, head, also)
    render = {"json": report.as_json, "markdown": report.as_markdown}.get(fmt, report.as_text)
    print(render(result), file=out or sys.stdout)
    return 1 if result.has_findings else 0
