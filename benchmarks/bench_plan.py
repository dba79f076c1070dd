"""Benchmark ``opsascode impact``, ``plan`` and ``check`` on a synthetic repository.

Generates (or reuses) a synthetic repository under ``benchmarks/.data/plan/`` with
``benchmarks/synthetic.py``, commits it on branch ``main``, and adds a branch
``bench-one-file`` off ``main`` that adds ONE change request
(``changes/CHG-BENCH-0001.yaml``: a normal change of a database, with a rollback
plan and a window in the future). Then it measures, in one run and each command in
a fresh subprocess (imports, start-up and memory counted honestly):

- impact, warm: ``opsascode impact HUB --format json`` with the blob cache filled,
  HUB being the low-layer asset (server, storage, network, ...) with the largest
  blast radius among the ten with the most direct dependents;
- plan, warm and cold: ``opsascode [--no-cache] plan --base main --head
  bench-one-file --format json``;
- check, warm and cold: the same with ``check --approvals FILE`` (an empty list of
  approvals: check exits 1, "pending", which is expected);
- validate, cold: ``opsascode --no-cache validate --format json`` of main, the
  yardstick of a cold plan;
- the blast radius of 100 changed assets, in-process: a fresh process loads the
  repository once, builds ``DependencyGraph`` and times
  ``opsascode.impact.blast_radius`` for 100 mid- and low-layer assets (best of
  ``--repeat``, at least 3; garbage collector off, as in the command line).

Wall time is the best of ``--repeat`` runs (interleaved); peak memory is the child's
maximum resident set size (``os.wait4``), the largest over the runs. Unless
``--no-profile``, the warm plan and the warm impact are also run once under cProfile
(top 25 by cumulative time, into ``benchmarks/.data/plan/<repo>.work/``). The exit
status is 1 when a target is missed (0 with ``--no-fail``), 2 when the measurement
itself is invalid. See benchmarks/README.md.

    .venv/bin/python benchmarks/bench_plan.py [--assets 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path
from typing import Any

import bench_validate as bv
import synthetic

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "plan"

# Targets from the performance issues, for 100,000 assets.
MAX_IMPACT_WARM = 2.0  # s wall, impact of a hub asset, blob cache warm
MAX_PLAN_WARM = 2.0  # s wall, plan of a one-file branch, blob cache warm
MAX_PLAN_COLD_OVER_VALIDATE_COLD = 1.2
MAX_BLAST_RADIUS_100 = 0.5  # s, in-process, 100 changed assets
MAX_CHECK_OVER_PLAN = 1.3  # warm check / warm plan

POLICY_PATH = "policies/approval-policy.yaml"
# The synthetic repository has no approval policy, and without one the gate fails
# closed (check exits 2, "error"): this one is committed on main before measuring.
# Owners of the targets and of the impacted services approve, the CAB too at high
# risk, so that check evaluates a rule over the whole blast radius.
POLICY = """\
# yaml-language-server: $schema=https://opsascode.dev/schema/records.json
# Added by benchmarks/bench_plan.py: the gate needs an approval policy.
id: change-approval
kind: approval-policy
description: Approval policy of the synthetic repository (benchmarks/bench_plan.py).
max_depth: 4
approval_rules:
  - name: owners
    description: The teams owning the targets and the impacted services approve.
    requires:
      count: 1
      owners_of: [targets, impacted_services]
  - name: high risk CAB
    if:
      change_type: [standard, normal]
      risk_level_at_least: high
    requires:
      count: 2
      roles: [cab]
    options:
      allow_author: false
      invalidate_on_push: true
  - name: emergency duty manager
    if:
      change_type: [emergency]
    requires:
      count: 1
      roles: [management]
  - name: policy change
    if:
      changed_paths: ["policies/**", "inventory/teams.yaml", "opsascode.yaml"]
    requires:
      count: 2
      roles: [management]
policy:
  approval:
    - owners
    - high risk CAB
    - emergency duty manager
    - policy change
  disapproval:
    requires:
      count: 1
      roles: [cab]
deny:
  - name: normal production changes need four hours notice
    if:
      change_type: [normal]
      target_environment: [production]
      lead_time_below: 4h
    message: A normal change to production must be requested four hours ahead.
protected_paths:
  paths: ["policies/**", "inventory/teams.yaml", "opsascode.yaml"]
  rule: policy change
emergency:
  rule: emergency duty manager
  retro_approval_within: 2d
  retro_rule: high risk CAB
"""

BRANCH = "bench-one-file"
BASE = "main"
CHANGE_ID = "CHG-BENCH-0001"
CHANGE_PATH = f"changes/{CHANGE_ID}.yaml"
SAMPLE = 100  # changed assets for the blast-radius step
HUB_CANDIDATES = 10
#: Low layers (servers and below) hold the hubs; mid and low layers (databases and
#: below) are what the 100 changed assets are drawn from.
LOW_KINDS = tuple(spec.kind for spec in synthetic.KINDS if spec.rank >= 6)
MID_LOW_KINDS = tuple(spec.kind for spec in synthetic.KINDS if spec.rank >= 3)

# Runs in a fresh process (so that this one stays small: Linux counts the parent's
# memory at fork in a child's peak RSS): picks the hub and the database the change
# targets, and times the blast radius of SAMPLE assets. Prints JSON.
PROBE = """\
import gc
import json
import random
import sys
import time
from pathlib import Path

from opsascode.graph import DependencyGraph
from opsascode.impact import blast_radius
from opsascode.loader import load
from opsascode.tree import WorkingTree
from opsascode.workspace import Options, open_cache

root = Path(sys.argv[1])
params = json.loads(sys.argv[2])
gc.disable()  # as the command line runs
started = time.perf_counter()
repo = load(WorkingTree(root), cache=open_cache(root, Options(root)))
loaded = time.perf_counter() - started
assets = {a.id: a for a in repo.assets()}
started = time.perf_counter()
graph = DependencyGraph.build(assets.values())
built = time.perf_counter() - started


def radius(ids):
    return blast_radius(graph, assets, dict.fromkeys(ids, "outage"))


def most_needed(kinds, count):
    ids = [i for i, a in assets.items() if a.kind in kinds]
    return sorted(ids, key=lambda i: (-graph.in_degree(i), i))[:count]


hubs = []
for hub in most_needed(set(params["low_kinds"]), params["hub_candidates"]):
    found = radius([hub])
    hubs.append({"id": hub, "kind": assets[hub].kind, "direct": graph.in_degree(hub),
                 "radius": len(found.impacted) - 1, "services": len(found.services)})
hubs.sort(key=lambda h: (-h["radius"], -h["direct"], h["id"]))
database = most_needed({"database"}, 1)[0]
db_radius = radius([database])



def timed(sample):
    walls, cpus = [], []
    for _ in range(params["repeat"]):
        wall, cpu = time.perf_counter(), time.process_time()
        found = radius(sample)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    best = min(range(len(walls)), key=walls.__getitem__)
    return {"kinds": sorted({assets[i].kind for i in sample}), "size": len(sample),
            "radius": len(found.impacted) - len(sample), "services": len(found.services),
            "walls": walls, "wall": walls[best], "cpu": cpus[best]}


mid_low = set(params["mid_low_kinds"])
pool = sorted(i for i, a in assets.items() if a.kind in mid_low)
random_sample = timed(random.Random(params["seed"]).sample(pool, params["sample"]))
worst_sample = timed(most_needed(mid_low, params["sample"]))
print(json.dumps({
    "records": len(repo.records), "assets": len(assets), "errors": sum(
        1 for p in repo.problems if p.is_error),
    "load_s": loaded, "graph_build_s": built,
    "hubs": hubs,
    "database": {"id": database, "direct": graph.in_degree(database),
                 "radius": len(db_radius.impacted) - 1, "services": len(db_radius.services)},
    "sample": random_sample, "worst_sample": worst_sample,
}))
"""

# One command under cProfile, in a fresh process: the stats go to a .prof file and
# the top 25 by cumulative time (and the top 15 by own time) to a text file.


# ------------------------------------------------------------- the repository


def change_text(target: str, team: str, members: list[str], anchor: datetime) -> str:
    """A valid normal change of ``target``, with its window in the future (40 days
    after the first day of the month: always ahead of today)."""
    zone = timezone(timedelta(hours=1))
    start = datetime.combine((anchor + timedelta(days=40)).date(), clock(22, 0), zone)
    end = start + timedelta(minutes=90)
    return (
        "# yaml-language-server: $schema=https://opsascode.dev/schema/records.json\n"
        f"id: {CHANGE_ID}\nkind: change\n"
        f"title: Upgrade {target} to the next minor version\n"
        "type: normal\n"
        f"requester: {members[0]}\nteam: {team}\nassignee: {members[-1]}\n"
        f"targets: [{target}]\naction: upgrade\neffect: outage\n"
        f"window:\n  start: {start.isoformat()}\n  end: {end.isoformat()}\n"
        f"requested_at: {anchor.isoformat().replace('+00:00', 'Z')}\n"
        "description: Minor version upgrade (benchmark change of bench_plan.py).\n"
        "implementation_plan: Drain connections, upgrade, run the health checks, re-enable.\n"
        "test_plan: Health checks green, replication lag under 5 s, smoke tests pass.\n"
        "rollback_plan: Restore the pre-change snapshot and restart on the previous version.\n"
        "status: requested\n"
    )


def _git_out(root: Path, *args: str, env: dict[str, str] | None = None,
             stdin: str | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
         "-c", "commit.gpgsign=false", *args],
        cwd=root, check=True, capture_output=True, text=True, input=stdin,
        env={**os.environ, **(env or {})})
    return done.stdout.strip()


def add_policy(root: Path) -> None:
    """Commit ``POLICY`` on ``BASE`` (the checked-out branch) unless it is there."""
    path = root / POLICY_PATH
    if path.is_file() and path.read_text() == POLICY and not _git_out(
            root, "status", "--porcelain", "--", POLICY_PATH):
        return
    path.write_text(POLICY)
    _git_out(root, "add", "--", POLICY_PATH)
    _git_out(root, "commit", "-q", "-m", "Approval policy for bench_plan.py", "--",
             POLICY_PATH)
    print(f"  committed {POLICY_PATH} on {BASE}")


def make_branch(root: Path, work: Path, text: str) -> str:
    """(Re)create ``BRANCH`` = ``BASE`` + the change file, without touching the
    working tree (which stays ``BASE``); returns the commit id."""
    blob = _git_out(root, "hash-object", "-w", "--stdin", stdin=text)
    index = {"GIT_INDEX_FILE": str(work / "bench-branch.index")}
    _git_out(root, "read-tree", BASE, env=index)
    _git_out(root, "update-index", "--add", "--cacheinfo", f"100644,{blob},{CHANGE_PATH}",
             env=index)
    tree = _git_out(root, "write-tree", env=index)
    fixed = "2000-01-01T00:00:00Z"  # same content, same commit id from run to run
    commit = _git_out(root, "commit-tree", tree, "-p", BASE, "-m", f"Add {CHANGE_ID}",
                      env={"GIT_AUTHOR_DATE": fixed, "GIT_COMMITTER_DATE": fixed})
    _git_out(root, "update-ref", f"refs/heads/{BRANCH}", commit)
    return commit


def first_team(root: Path) -> tuple[str, list[str]]:
    """The first team of inventory/teams.yaml and its members (no YAML import here)."""
    team, members = None, None
    for line in (root / "inventory" / "teams.yaml").read_text().splitlines():
        if line.startswith("- id: ") and team is None:
            team = line.removeprefix("- id: ").strip()
        elif line.strip().startswith("members: [") and members is None:
            members = [m.strip() for m in line.split("[", 1)[1].rstrip("]").split(",")]
        if team and members:
            return team, members
    raise bv.BenchError("inventory/teams.yaml has no team with members")


# --------------------------------------------------------------- measuring


def probe(root: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    params = {"low_kinds": LOW_KINDS, "mid_low_kinds": MID_LOW_KINDS, "seed": args.seed,
              "sample": SAMPLE, "hub_candidates": HUB_CANDIDATES,
              "repeat": max(3, args.repeat)}
    out = work / "probe.out"
    wall, _, rss, code = bv.measure([sys.executable, "-c", PROBE, str(root), json.dumps(params)],
                                    root, out, bv._env(True))
    if code != 0:
        err = out.with_suffix(".err").read_text()[-3000:]
        raise bv.BenchError(f"the in-process probe exited with {code}:\n{err}")
    found: dict[str, Any] = json.loads(out.read_text())
    if found["errors"]:
        raise bv.BenchError(f"the generated repository has {found['errors']} errors")
    found["probe_wall"], found["probe_rss"] = wall, rss
    return found


def check_output(key: str, out: Path, code: int) -> dict[str, Any]:
    """Refuse a run whose output says the measurement is not what it claims to be."""
    step = key.replace("_", " ")
    if key.startswith("impact"):
        return bv.expect_json(step, out, code)
    if key.startswith("plan"):
        report = bv.expect_json(step, out, code, (0, 1))
        if code == 1:
            raise bv.BenchError(f"{step} reports findings for the one-file branch (the "
                                f"benchmark change must be clean):\n{out.read_text()[:3000]}")
        return report
    if key.startswith("check"):
        # 1: pending, as expected without approvals
        report = bv.expect_json(step, out, code, (0, 1))
        if report.get("status") not in ("pending", "approved", "disapproved"):
            raise bv.BenchError(f"{step}: status {report.get('status')!r}:\n"
                                f"{out.read_text()[:3000]}")
        return report
    report = bv.expect_json(step, out, code)
    if report["counts"]["error"]:
        raise bv.BenchError(f"{step}: the repository has {report['counts']['error']} errors")
    return report


def profile(step: bv.Run, key: str, root: Path, work: Path) -> dict[str, Any]:
    """Run one opsascode command under cProfile; where the stats went."""
    argv = step.command[step.command.index("-C"):]  # opsascode's own arguments
    text, binary = work / f"profile-{key}.txt", work / f"profile-{key}.prof"
    out = work / f"profile-{key}.out"
    _, _, _, code = bv.measure([sys.executable, "-c", bv.PROFILE, str(text), str(binary), *argv],
                               root, out, bv._env(True))
    if code != 0:
        err = out.with_suffix(".err").read_text()[-3000:]
        raise bv.BenchError(f"profiling {step.name} exited with {code}:\n{err}")
    return {"step": key, "text": str(text), "prof": str(binary),
            "wall": float(out.read_text().strip())}


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    root = bv.prepare_repository(args)
    work = args.data / f"{root.name}.work"
    work.mkdir(exist_ok=True)
    if _git_out(root, "symbolic-ref", "--short", "HEAD") != BASE:
        raise bv.BenchError(f"{root} is not on branch {BASE}; remove it to regenerate")
    add_policy(root)
    files = bv.record_files(root)
    size = sum(len(f.read_bytes()) for f in files)  # also warms the page cache
    print(f"{len(files):,} record files, {size / 1e6:.1f} MB")

    print("probing (one process: load, graph, hub, blast radius of "
          f"{SAMPLE} assets) ...", flush=True)
    found = probe(root, work, args)
    hub, database = found["hubs"][0], found["database"]
    print(f"  hub: {hub['id']} ({hub['kind']}), {hub['direct']} direct dependents, blast "
          f"radius {hub['radius']:,} assets ({hub['services']} services)")
    print(f"  change target: {database['id']} (database), {database['direct']} direct "
          f"dependents, blast radius {database['radius']:,} assets")
    sample = found["sample"]
    for what, item in (("random", sample), ("most-needed", found["worst_sample"])):
        print(f"  blast radius of {SAMPLE} {what} mid/low-layer assets: "
              f"{item['wall'] * 1000:.0f} ms, {item['radius']:,} impacted beyond them "
              f"({item['services']} services)")

    team, members = first_team(root)
    anchor = datetime.combine(synthetic.anchor_date(), clock(), UTC)
    (work / f"{CHANGE_ID}.yaml").write_text(change_text(database["id"], team, members, anchor))
    commit = make_branch(root, work, (work / f"{CHANGE_ID}.yaml").read_text())
    print(f"  branch {BRANCH} = {BASE} + {CHANGE_PATH} ({commit[:10]})")
    approvals = work / "approvals.json"
    approvals.write_text("[]\n")

    opsascode = [bv._tool("opsascode") or sys.executable,
                 *([] if bv._tool("opsascode") else ["-m", "opsascode"])]
    at = [*opsascode, "-C", str(root)]
    cold = [*at, "--no-cache"]
    span = ["--base", BASE, "--head", BRANCH]
    check_args = ["check", *span, "--approvals", str(approvals), "--format", "json"]
    steps = {
        "impact_warm": bv.Run(f"impact {hub['id']} (warm)",
                              [*at, "impact", hub["id"], "--format", "json"]),
        "plan_warm": bv.Run("plan one-file branch (warm)", [*at, "plan", *span,
                                                            "--format", "json"]),
        "check_warm": bv.Run("check one-file branch (warm)", [*at, *check_args]),
        "plan_cold": bv.Run("plan one-file branch (cold)", [*cold, "plan", *span,
                                                            "--format", "json"]),
        "check_cold": bv.Run("check one-file branch (cold)", [*cold, *check_args]),
        "validate_cold": bv.Run("validate main (cold)", [*cold, "validate", "--format",
                                                          "json"]),
    }
    statuses: dict[str, Any] = {}
    for key in ("impact_warm", "plan_warm", "check_warm"):  # fill the cache, check output
        out = work / f"fill-{key}.out"
        wall, _, _, code = bv.measure(steps[key].command, root, out, bv._env(True))
        report = check_output(key, out, code)
        statuses[key] = _summary(key, report, code)
        print(f"  warming up: {steps[key].name} in {wall:.2f} s: {statuses[key]}", flush=True)

    for repetition in range(args.repeat):
        for key, step in steps.items():
            out = work / f"{key}.out"
            wall, cpu, rss, code = bv.measure(step.command, root, out,
                                              bv._env(not key.endswith("_cold")))
            check_output(key, out, code)
            step.add(wall, cpu, rss)
            print(f"  [{repetition + 1}/{args.repeat}] {step.name}: {wall:.2f} s, "
                  f"{rss / 2**20:.0f} MiB", flush=True)

    profiles = []
    if not args.no_profile:
        for key in ("plan_warm", "impact_warm"):
            print(f"  profiling {steps[key].name} ...", flush=True)
            profiles.append(profile(steps[key], key, root, work))
            print(f"    {profiles[-1]['wall']:.2f} s under cProfile -> {profiles[-1]['text']}")

    blast = _in_process(f"blast_radius, {SAMPLE} random", sample)
    worst = _in_process(f"blast_radius, {SAMPLE} most-needed", found["worst_sample"])
    return {
        "parameters": {"assets": args.assets, "seed": args.seed, "changes": args.changes,
                       "incidents": args.incidents, "repeat": args.repeat},
        "data": {"files": len(files), "bytes": size, "records": found["records"],
                 "assets": found["assets"]},
        "environment": bv._environment(),
        "hub": hub, "hub_candidates": found["hubs"], "change_target": database,
        "sample": sample, "worst_sample": found["worst_sample"],
        "load_s": found["load_s"], "graph_build_s": found["graph_build_s"],
        "outputs": statuses,
        "steps": {key: asdict(step) for key, step in steps.items()} | {
            "blast_radius_100": asdict(blast), "blast_radius_100_worst": asdict(worst)},
        "profiles": profiles,
    }


def _in_process(name: str, timing: dict[str, Any]) -> bv.Run:
    """A step timed inside the probe process (no peak memory of its own)."""
    step = bv.Run(f"{name} (in-process)", ["(in-process)"])
    for wall in timing["walls"]:
        step.add(wall, 0.0, 0)
    step.cpu = timing["cpu"]
    return step


def _summary(key: str, report: dict[str, Any], code: int) -> str:
    if key.startswith("impact"):
        return f"{len(report['impacted']):,} impacted, {len(report['services'])} services"
    if key.startswith("check"):
        return f"exit {code}, status {report['status']}"
    return f"exit {code}"


# ------------------------------------------------------------------ reporting


Row = tuple[str, float, str, bool | None]


def evaluate(result: dict[str, Any]) -> list[Row]:
    """(what, value, target, met) for each target; met is None for information only."""
    steps = {key: step["wall"] for key, step in result["steps"].items()}
    rows: list[Row] = [
        ("impact of a hub, warm (s)", steps["impact_warm"], f"<= {MAX_IMPACT_WARM:g}",
         steps["impact_warm"] <= MAX_IMPACT_WARM),
        ("plan of a one-file branch, warm (s)", steps["plan_warm"], f"<= {MAX_PLAN_WARM:g}",
         steps["plan_warm"] <= MAX_PLAN_WARM),
    ]
    ratio = steps["plan_cold"] / steps["validate_cold"]
    rows.append(("cold plan / cold validate", ratio, f"<= {MAX_PLAN_COLD_OVER_VALIDATE_COLD:g}",
                 ratio <= MAX_PLAN_COLD_OVER_VALIDATE_COLD))
    value = steps["blast_radius_100"]
    rows.append((f"blast radius of {SAMPLE} assets (s)", value, f"<= {MAX_BLAST_RADIUS_100:g}",
                 value <= MAX_BLAST_RADIUS_100))
    rows.append((f"  the {SAMPLE} most-needed instead (s)", steps["blast_radius_100_worst"],
                 "(info)", None))
    ratio = steps["check_warm"] / steps["plan_warm"]
    rows.append(("warm check / warm plan", ratio, f"<= {MAX_CHECK_OVER_PLAN:g}",
                 ratio <= MAX_CHECK_OVER_PLAN))
    rows.append(("cold check / cold plan", steps["check_cold"] / steps["plan_cold"],
                 "(info)", None))
    rows.append(("warm plan / cold plan", steps["plan_warm"] / steps["plan_cold"],
                 "(info)", None))
    return rows


def print_report(result: dict[str, Any]) -> bool:
    data, env, hub = result["data"], result["environment"], result["hub"]
    print()
    print(f"opsascode impact/plan/check benchmark: {result['parameters']['assets']:,} assets, "
          f"{data['records']:,} records, {data['files']:,} files, {data['bytes'] / 1e6:.1f} MB")
    print("  " + ", ".join(f"{k} {v}" for k, v in env.items()))
    target = result["change_target"]
    print(f"  hub {hub['id']} ({hub['kind']}): {hub['direct']} direct dependents, blast radius "
          f"{hub['radius']:,}; change {CHANGE_ID} targets {target['id']} (blast radius "
          f"{target['radius']:,})")
    print(f"  blast radius of {SAMPLE} random mid/low-layer assets "
          f"{result['sample']['radius']:,}, of the {SAMPLE} most-needed "
          f"{result['worst_sample']['radius']:,}")
    print()
    print(f"{'step':<44} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  runs (s)")
    for step in result["steps"].values():
        rss = f"{step['rss'] / 2**20:9.0f}" if step["rss"] else f"{'-':>9}"
        print(f"{step['name']:<44} {step['wall']:8.3f} {step['cpu']:8.2f} {rss}  "
              f"{', '.join(f'{w:.3f}' for w in step['walls'])}")
    print()
    ok = bv.print_verdicts(evaluate(result))
    for item in result["profiles"]:
        print(f"profile of {item['step']}: {item['text']}")
    return ok


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bv.add_estate_options(parser, repeat=3)
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the cProfile runs of the warm plan and impact")
    bv.add_outcome_options(parser, DATA)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return bv.run_main(_parser().parse_args(argv), "bench_plan", run_benchmark, print_report,
                       errors=(ValueError, subprocess.CalledProcessError), timed=True)


if __name__ == "__main__":
    sys.exit(main())
