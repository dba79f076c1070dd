"""``opsascode demo``: the whole flow on the bundled example, in a throwaway repository.

It copies the example (shipped as package data) into a temporary git repository,
opens a branch with a risky change request, and runs validate, plan, check (pending),
the approvals, check (approved), the merge, kpi and audit, printing each step.
Nothing outside the temporary directory is touched (``--keep`` leaves it for a look).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import TextIO

from opsascode.errors import FatalError
from opsascode.workspace import Options

BRANCH = "upgrade-payments-primary"
CHANGE_ID = "CHG-2026-0016"
CHANGE = """\
# yaml-language-server: $schema=../schemas/change.json
id: CHG-2026-0016
kind: change
title: Update the payments PostgreSQL primary pg-payments-1 to 15.10
type: normal
requester: ehartmann
team: team-dba
assignee: ehartmann
targets: [pg-payments-1]
action: upgrade
effect: outage
requested_at: 2026-11-27T10:00:00+01:00
window: {start: 2026-12-08T22:00:00+01:00, end: 2026-12-08T23:30:00+01:00}
description: Second half of the 15.10 update, after a switchover to pg-payments-2.
implementation_plan: Switch over to pg-payments-2, update pg-payments-1, switch back.
test_plan: A synthetic payment with a test card succeeds during and after the restart.
rollback_plan: Downgrade the packages to 15.8 and restart the node.
status: requested
"""
#: Who approves, in order: the database owner's lead and CAB members, then
#: operations management (critical changes need them too).
APPROVERS = ("cwolf", "tkeller", "mhoffmann")


def example_source() -> Path:
    """The bundled example: package data, or the source tree's top level."""
    packaged = Path(str(resources.files("opsascode") / "example"))
    if (packaged / "inventory").is_dir():
        return packaged
    raise FatalError("the bundled example is missing from this installation; reinstall "
                     "opsascode (pip install --force-reinstall opsascode)")


def identity(handle: str) -> dict[str, str]:
    email = f"{handle}@users.noreply.github.com"
    return {"GIT_AUTHOR_NAME": handle, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": handle, "GIT_COMMITTER_EMAIL": email}


@contextlib.contextmanager
def acting_as(handle: str) -> Iterator[None]:
    """Run git (and in-process commands) as ``handle``."""
    saved = {key: os.environ.get(key) for key in identity(handle)}
    os.environ.update(identity(handle))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def git(root: Path, *args: str, who: str = "mhoffmann") -> str:
    env = {**os.environ, **identity(who), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise FatalError(f"git {' '.join(args)} failed in the demo repository: "
                         f"{done.stderr.strip()}")
    return done.stdout


class Demo:
    def __init__(self, root: Path, out: TextIO) -> None:
        self.root, self.out, self.step = root, out, 0

    def say(self, title: str) -> None:
        self.step += 1
        print(f"\n== {self.step}. {title}", file=self.out)

    def run(self, *argv: str, show: Callable[[str], str] = lambda s: s) -> int:
        """Run an opsascode command in the demo repository, showing its output."""
        from opsascode.cli import main

        print(f"$ opsascode {' '.join(argv)}", file=self.out)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = main(["-C", str(self.root), *argv])
        print(show(buffer.getvalue()).rstrip(), file=self.out)
        print(f"(exit {code})", file=self.out)
        return code


def _first_lines(count: int) -> Callable[[str], str]:
    def cut(text: str) -> str:
        lines = text.splitlines()
        more = f"\n  ... ({len(lines) - count} more lines)" if len(lines) > count else ""
        return "\n".join(lines[:count]) + more
    return cut


def _decision(text: str) -> str:
    """The status line, who still has to approve, and the approvals that counted."""
    lines = text.splitlines()
    kept = lines[:1]
    section = False
    for line in lines[1:]:
        if line.startswith("Still to approve:"):
            section = True
        elif not line.strip():
            section = False
        if section or line.startswith("  counted"):
            kept.append(line)
    return "\n".join(kept)


def prepare(root: Path) -> None:
    source = example_source()
    for entry in sorted(source.iterdir()):
        target = root / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target)
        else:
            shutil.copy2(entry, target)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Northwind Commerce operations repository")


def open_branch(root: Path) -> None:
    git(root, "checkout", "-q", "-b", BRANCH, who="ehartmann")
    (root / "changes" / f"{CHANGE_ID}.yaml").write_text(CHANGE, encoding="utf-8")
    databases = root / "inventory" / "databases.yaml"
    text = databases.read_text(encoding="utf-8")
    start = text.index("- id: pg-payments-1")
    at = text.index('version: "15.8"', start)
    databases.write_text(text[:at] + 'version: "15.10"' + text[at + 15:], encoding="utf-8")
    git(root, "add", "-A", who="ehartmann")
    git(root, "commit", "-q", "-m", f"{CHANGE_ID}: update pg-payments-1 to 15.10",
        who="ehartmann")


def approve_until_done(demo: Demo) -> int:
    from opsascode.commands.approve import approve

    code = 1
    for handle in APPROVERS:
        demo.say(f"{handle} approves {CHANGE_ID} (a git-native approval commit)")
        with acting_as(handle):
            approve(Options(demo.root), CHANGE_ID, False, handle, None, demo.out)
        code = demo.run("check", "--base", "main", "--approvals", "git", show=_decision)
        if code == 0:
            break
    return code


def demo(keep: bool = False, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="opsascode-demo-"))
    root = tmp / "northwind-ops"
    root.mkdir()
    try:
        print(f"opsascode demo: the bundled example in a temporary repository, {root}",
              file=out)
        prepare(root)
        flow = Demo(root, out)
        flow.say("validate the operations repository")
        flow.run("validate", show=_first_lines(5))
        flow.say(f"ehartmann opens branch {BRANCH} with {CHANGE_ID} (pg-payments-1 to 15.10)")
        open_branch(root)
        print(f"$ git log --oneline -1\n{git(root, 'log', '--oneline', '-1').strip()}", file=out)
        flow.say("plan: blast radius, risk and conflicts")
        flow.run("plan", "--base", "main", show=_first_lines(28))
        flow.say("check: the gate, before anyone approved")
        flow.run("check", "--base", "main", "--approvals", "git", show=_decision)
        code = approve_until_done(flow)
        flow.say("merge the approved branch")
        git(root, "checkout", "-q", "main")
        git(root, "merge", "-q", "--no-ff", "-m", f"Merge {BRANCH}: {CHANGE_ID}", BRANCH)
        print(f"$ git merge --no-ff {BRANCH}\n{git(root, 'log', '--oneline', '-1').strip()}",
              file=out)
        flow.say("kpi: the numbers against the targets")
        flow.run("kpi", "--since", "2026-06-01", "--until", "2026-11-30",
                 show=_first_lines(12))
        _audit(flow)
        elapsed = time.monotonic() - started
        verdict = "approved and merged" if code == 0 else "not approved"
        print(f"\nDone in {elapsed:.1f} s: {CHANGE_ID} {verdict}.", file=out)
        if keep:
            print(f"The demo repository stays in {root}", file=out)
        return 0 if code == 0 else 1
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def _audit(flow: Demo) -> None:
    """The audit of the period, when this installation has it."""
    from importlib.util import find_spec

    if find_spec("opsascode.commands.audit") is None:
        return
    flow.say("audit: who changed what, approved by whom, and what bypassed the process")
    flow.run("audit", "--since", "2026-06-01", show=_first_lines(20))
