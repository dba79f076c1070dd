"""Benchmark ``opsascode audit`` against a bare ``git log --name-status`` of the same
history.

Builds (or reuses) a repository under ``benchmarks/.data/audit/`` with ``git
fast-import`` (seconds, not minutes): the small gated estate of the tests
(``testing/estate.py``: 9 assets, 3 teams, an approval policy) on ``main``, then
``--commits`` commits (default 10,000) touching 1-3 files each, one every 50 minutes:
on the main line, runbooks under ``docs/`` (not guarded), new incident records and,
rarely, a direct edit of the inventory; and ``--merges`` branches (default 20), each a
change request and an approval commit (every fifth one unapproved), merged with
``--no-ff`` merges spread over the history. Then it measures, in one run and each in a
fresh process (interpreter start-up counted for all alike):

- git log: ``git log --name-status main`` alone (output to a file);
- git log, parsed: a Python process that runs it and parses every commit and file
  (the "one git log pass, parsed" of PERF-NOTES.md);
- the history reader alone: a Python process that reads the history as audit does
  (``opsascode.git.LogPass`` and ``opsascode.history.History``; information);
- audit: ``opsascode --no-cache audit --format json`` over the whole history (every
  merge of the history replayed through the gate);
- audit, one process: the same with ``OPSASCODE_WORKERS=1`` (no work on the second
  core but git's; information);
- audit, recent: the same with ``--since`` the last tenth of the history (information);
- audit, asset: the whole history of one database (``--asset db-2``, information).

Targets (issue 6): audit / bare git log at most 3 (same run); audit at most 5 s wall.
The audit / parsed git log ratio is shown for information. Python runs with its
bytecode cached, as an installed package does (``PYTHONDONTWRITEBYTECODE`` is dropped
for the measured processes, and one unrecorded round writes the bytecode first). The
audit's output is checked: exit 0, every merge judged, exactly the violations built
in (direct pushes and unapproved merges). Exit status 1 when a target is missed (0
with ``--no-fail``), 2 when the measurement is not valid.

    .venv/bin/python benchmarks/bench_audit.py [--commits 10000] [--merges 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bench_validate as bv

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from testing import estate  # noqa: E402 - the estate of the tests, importable from the root

DATA = HERE / ".data" / "audit"
MAX_AUDIT_OVER_GIT_LOG = 3.0  # audit / bare git log --name-status, same run
MAX_AUDIT_WALL = 5.0  # s, 10,000 commits, on the 2-core reference machine
GENERATOR_VERSION = 4
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=50)

# The audit through the command line when this installation has it, else through the
# function the command line calls (same process set-up as ``cli.run``: GC off).
DRIVER = """\
import gc, os, sys
from datetime import date
from pathlib import Path
from opsascode.commands.audit import audit
from opsascode.workspace import Options
gc.disable()
args = dict(a.split("=", 1) for a in sys.argv[1:])
code = audit(Options(Path("."), use_cache=False), "json",
             date.fromisoformat(args["since"]) if "since" in args else None, None,
             args.get("asset"), None, False)
sys.stdout.flush()
os._exit(code)
"""

# The yardstick: one git log pass, parsed into commits and their files.
PARSED_LOG = """\
import subprocess
out = subprocess.run(["git", "log", "--name-status", "-z", "--format=%x01%H%x00%P%x00%an%x00%aI",
                      "main", "--"], capture_output=True, check=True).stdout.decode()
commits = []
for chunk in out.split("\\x01")[1:]:
    sha, parents, author, date, *rest = chunk.split("\\x00")
    rest = [r.strip("\\n") for r in rest if r.strip("\\n")]
    commits.append((sha, parents.split(), author, date, list(zip(rest[::2], rest[1::2]))))
print(len(commits), sum(len(c[4]) for c in commits))
"""


# ------------------------------------------------------------- the repository


class Stream:
    """A ``git fast-import`` stream."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.moment = START

    def commit(self, ref: str, who: str, message: str, files: dict[str, str],
               parent: int | None, merge: int | None = None) -> int:
        self.mark += 1
        self.moment += STEP
        stamp = f"{int(self.moment.timestamp())} +0000"
        email = f"1234567+{who}@users.noreply.github.com"
        lines = [f"commit {ref}", f"mark :{self.mark}", f"author {who} <{email}> {stamp}",
                 f"committer {who} <{email}> {stamp}", _data(message)]
        lines += [f"from :{parent}"] if parent else []
        lines += [f"merge :{merge}"] if merge else []
        for path, text in files.items():
            lines += [f"M 100644 inline {path}", _data(text)]
        self.parts.append(("\n".join(lines) + "\n\n").encode())
        return self.mark


def _data(text: str) -> str:
    return f"data {len(text.encode())}\n{text}"


def build(root: Path, commits: int, merges: int, seed: int) -> dict[str, int]:
    """The repository; returns what the audit must find."""
    rng = random.Random(seed)
    stream = Stream()
    files = {path: _dedent(text) for path, text in estate.gated_files().items()}
    # The settings file marks the repository's root (the data folder is inside the
    # tool's own repository, whose example has one too).
    files["opsascode.yaml"] = "version: 1\nname: Audit benchmark\ntimezone: UTC\n"
    main = stream.commit("refs/heads/main", "maintainer", "the operations repository", files,
                         None)
    made, pushes, unapproved, index = 1, 0, 0, 0
    merge_at = {int(commits * (i + 1) / (merges + 1)) for i in range(merges)}
    version = 12
    while made < commits:
        if made in merge_at and made + 3 <= commits:
            index += 1
            main, bad = _merged_branch(stream, main, index)
            unapproved += bad
            made += 3
            continue
        if rng.random() < 0.01:
            version += 1
            changed = {"inventory/assets.yaml": _dedent(estate.ASSETS).replace(
                'version: "12"', f'version: "{version}"', 1)}
            pushes += 1
        else:
            changed = _everyday(rng, made)
        main = stream.commit("refs/heads/main", rng.choice(["olga", "dora", "dan"]),
                             f"commit {made}", changed, main)
        made += 1
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream.parts),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)
    return {"commits": made, "mainline": made - 2 * index, "merges": index,
            "direct_pushes": pushes, "unapproved_merges": unapproved}


def _merged_branch(stream: Stream, main: int, index: int) -> tuple[int, int]:
    """A branch with a change request and (unless every fifth) an approval; merged."""
    change_id = f"CHG-{index}"
    path = f"changes/{change_id}.yaml"
    text = estate.change(change_id, targets="[svc-report]", effect="none", action="config",
                         title=f"Tune the reports {index}")
    tip = stream.commit(f"refs/heads/chg-{index}", "dora", f"{change_id}", {path: text}, main)
    bad = index % 5 == 0
    approver = "dan" if bad else "olga"  # dan is no owner of svc-report
    approved = text + f"approvals:\n  - by: {approver}\n    at: 2026-11-21T10:00:00Z\n"
    tip = stream.commit(f"refs/heads/chg-{index}", approver, f"approve {change_id}",
                        {path: approved}, tip)
    # The merge brings the branch's change record to the main line (fast-import builds
    # a merge's tree from its first parent plus the files listed).
    return stream.commit("refs/heads/main", "maintainer", f"merge chg-{index}",
                         {path: approved}, main, merge=tip), int(bad)


def _everyday(rng: random.Random, n: int) -> dict[str, str]:
    found = {}
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.05:
            found[f"incidents/INC-{n}.yaml"] = _incident(n)
        else:
            found[f"docs/runbook-{rng.randrange(40)}.md"] = f"# Runbook\n\nrevision {n}\n"
    return found


def _incident(n: int) -> str:
    day = START + timedelta(minutes=50 * n)
    return (f"id: INC-{n}\nkind: incident\ntitle: Slow reports {n}\n"
            f"reported_at: {day:%Y-%m-%dT%H:%M:%S+00:00}\nimpact: low\nurgency: low\n"
            "affected: [svc-report]\n")


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).lstrip("\n")


def prepare(args: argparse.Namespace) -> tuple[Path, dict[str, int]]:
    name = f"commits{args.commits}-merges{args.merges}-seed{args.seed}-v{GENERATOR_VERSION}"
    root, expected_file = args.data / name, args.data / f"{name}.expected.json"
    if root.is_dir() and expected_file.is_file():
        print(f"using the cached repository {root}")
        return root, json.loads(expected_file.read_text())
    subprocess.run(["rm", "-rf", str(root)], check=True)
    started = time.perf_counter()
    expected = build(root, args.commits, args.merges, args.seed)
    print(f"built {expected['commits']:,} commits in {time.perf_counter() - started:.1f} s")
    expected_file.write_text(json.dumps(expected) + "\n")
    return root, expected


# The history reader alone (the one main-line pass audit makes), in a fresh process.
READER = """\
from pathlib import Path
from opsascode.git import GitRepo, LogPass
from opsascode.history import History
git = GitRepo(Path("."))
history = History(git, "main", LogPass(git.top, "main").commits() or [], 10 * 2**20)
line = history.line
print(len(line.commits), sum(len(c.paths) for c in line.commits))
"""


# ----------------------------------------------------------------- measuring


def _audit_command(extra: list[str]) -> list[str]:
    help_run = subprocess.run([sys.executable, "-m", "opsascode", "audit", "--help"],
                              capture_output=True, check=False)
    if help_run.returncode == 0:
        flags = [f"--{a.replace('=', ' ', 1)}" for a in extra]
        return [sys.executable, "-m", "opsascode", "--no-cache", "audit", "--format", "json",
                *" ".join(flags).split()]
    return [sys.executable, "-c", DRIVER, *extra]


def steps(root: Path, since: str) -> dict[str, bv.Run]:
    return {
        "git_log": bv.Run("git log --name-status main", ["git", "log", "--name-status",
                                                         "main", "--"]),
        "git_log_parsed": bv.Run("git log --name-status, parsed (python)",
                                 [sys.executable, "-c", PARSED_LOG]),
        "reader": bv.Run("history reader alone (main line, files)",
                         [sys.executable, "-c", READER]),
        "audit": bv.Run("audit --format json (whole history)", _audit_command([])),
        "audit_one": bv.Run("audit, one process (OPSASCODE_WORKERS=1)",
                            ["env", "OPSASCODE_WORKERS=1", *_audit_command([])]),
        "audit_recent": bv.Run(f"audit --since {since}", _audit_command([f"since={since}"])),
        "audit_asset": bv.Run("audit --asset db-2", _audit_command(["asset=db-2"])),
    }


def _recent(root: Path) -> str:
    out = subprocess.run(["git", "log", "-1", "--format=%cI", "main"], cwd=root,
                         capture_output=True, text=True, check=True).stdout.strip()
    last = datetime.fromisoformat(out)
    return f"{(last - (last - START) / 10):%Y-%m-%d}"


def run(args: argparse.Namespace) -> dict[str, Any]:
    root, expected = prepare(args)
    work = args.data / "work"
    work.mkdir(parents=True, exist_ok=True)
    found = steps(root, _recent(root))
    outputs: dict[str, Path] = {}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for round_ in range(args.repeat + 1):  # round 0 writes the bytecode, unrecorded
        for key, step in found.items():
            out = work / f"{key}.out"
            wall, cpu, rss, code = bv.measure(step.command, root, out, env)
            if code != 0:
                raise bv.BenchError(f"{step.name} exited {code}: "
                                    f"{out.with_suffix('.err').read_text()[-2000:]}")
            if round_:
                step.add(wall, cpu, rss)
            outputs[key] = out
    check(outputs["audit_one"], expected)
    return {"expected": expected, "checked": check(outputs["audit"], expected),
            "recent": _summary(outputs["audit_recent"]),
            "asset": _summary(outputs["audit_asset"]),
            "steps": {k: vars(s) for k, s in found.items()}}


def _summary(out: Path) -> dict[str, Any]:
    report = json.loads(out.read_text())
    events = len(report["asset"]["events"]) if report.get("asset") else None
    return {"merges": len(report["merges"]), "violations": len(report["violations"]),
            "commits": report["commits"], "asset_events": events}


def check(out: Path, expected: dict[str, int]) -> dict[str, Any]:
    report = json.loads(out.read_text())
    codes = [v["code"] for v in report["violations"]]
    found = {"commits": expected["commits"], "mainline": report["commits"] + 1,
             "merges": len(report["merges"]),
             "direct_pushes": codes.count("direct-push"),
             "unapproved_merges": codes.count("unapproved-merge")}
    if found != expected or len(codes) != found["direct_pushes"] + found["unapproved_merges"]:
        raise bv.BenchError(f"the audit found {found} ({len(codes)} violations), "
                            f"expected {expected}")
    return found


def evaluate(result: dict[str, Any]) -> Iterator[tuple[str, float, str, bool | None]]:
    s = result["steps"]
    audit, parsed, bare = s["audit"]["wall"], s["git_log_parsed"]["wall"], s["git_log"]["wall"]
    yield ("audit / bare git log", audit / bare, f"<= {MAX_AUDIT_OVER_GIT_LOG}",
           audit / bare <= MAX_AUDIT_OVER_GIT_LOG)
    yield "audit wall (s)", audit, f"<= {MAX_AUDIT_WALL}", audit <= MAX_AUDIT_WALL
    yield "audit / git log parsed", audit / parsed, "(info)", None
    yield "audit in one process / bare git log", s["audit_one"]["wall"] / bare, "(info)", None
    yield "history reader / bare git log", s["reader"]["wall"] / bare, "(info)", None
    yield "audit --since / bare git log", s["audit_recent"]["wall"] / bare, "(info)", None


def report(result: dict[str, Any]) -> bool:
    e, recent, asset = result["expected"], result["recent"], result["asset"]
    print(f"\nopsascode audit benchmark: {e['commits']:,} commits, {e['merges']} merges, "
          f"{e['direct_pushes']} direct pushes, {e['unapproved_merges']} unapproved merges "
          "(all found)")
    print(f"  recent period: {recent['commits']:,} commits, {recent['merges']} merges, "
          f"{recent['violations']} violations; db-2: {asset['asset_events']} events")
    print(f"\n{'step':<44} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  runs (s)")
    for step in result["steps"].values():
        print(f"{step['name']:<44} {step['wall']:8.2f} {step['cpu']:8.2f} "
              f"{step['rss'] / 2**20:9.0f}  {', '.join(f'{w:.2f}' for w in step['walls'])}")
    print()
    return bv.print_verdicts(evaluate(result))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--merges", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="best of K runs, interleaved")
    bv.add_outcome_options(parser, DATA)
    return bv.run_main(parser.parse_args(argv), "invalid measurement", run, report, missed=None)


if __name__ == "__main__":
    sys.exit(main())
