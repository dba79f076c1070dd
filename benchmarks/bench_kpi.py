"""Benchmark ``opsascode kpi`` against a cold ``validate`` of the same repository.

Generates (or reuses) a synthetic repository under ``benchmarks/.data/kpi/`` with
``benchmarks/synthetic.py``: N assets (about 40 % with a running cost), change
requests and incidents (outages on applications and on the lower-layer assets that
caused them, SLA clock pauses, satisfaction ratings, priorities, teams and
assignees; changes with reviews, ``implemented_at`` and incidents they caused), and
KPI targets. It is committed with a git history that gives lead times: one commit
with everything but ``changes/``, then ``--batches`` branches that add the change
requests in two commits each and are merged with ``--no-ff`` merges spread over the
period. Then it measures, in one run and each command in a fresh subprocess
(imports, start-up and memory counted honestly):

- validate, cold: ``opsascode --no-cache validate --format json``, the yardstick;
- kpi, cold: ``opsascode --no-cache kpi --since FIRST --until LAST --format json``,
  FIRST and LAST being the first and last day of any timestamp in the change and
  incident records (one day of margin each side), so every incident, change window,
  implementation and merge falls in the period;
- phases (information): a fresh process that loads the repository and times the
  parts of the KPI report one by one (``--no-phases`` skips it);
- a profile: ``kpi`` once under cProfile (``--no-profile`` skips it), into
  ``benchmarks/.data/kpi/<repo>.work/profile-kpi_cold.{txt,prof}``.

Wall time is the best of ``--repeat`` runs (interleaved); peak memory is the child's
maximum resident set size (``os.wait4``), the largest over the runs. The exit status
is 1 when the target is missed (0 with ``--no-fail``), 2 when the measurement itself
is invalid (the repository does not validate without errors, kpi fails or its
period misses records). See benchmarks/README.md.

    .venv/bin/python benchmarks/bench_kpi.py [--assets 100000] [--changes 20000]
        [--incidents 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import bench_validate as bv
import synthetic

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "kpi"

# Target from the KPI performance issue: 100,000 assets, 20,000 changes, 5,000 incidents.
MAX_KPI_OVER_VALIDATE = 1.5  # cold kpi / cold validate, same repository, same run

#: Version of the git history built here; part of the stamp, so a change to
#: ``build_history`` regenerates the repository.
HISTORY_VERSION = 1
_STAMP = re.compile(rb"\b(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}")

# Runs in a fresh process: loads the repository and times the parts of the KPI report
# in the order ``kpi_report`` computes them (the trends: the same three calls per
# month that ``kpi._month`` makes, each summed over the months). Prints JSON. It
# reaches into opsascode's modules, so it reports an error instead of failing the
# benchmark when they change.
PHASES = """\
import gc
import json
import sys
import time
import traceback
from datetime import date
from pathlib import Path

gc.disable()  # as the command line runs
phases = {}


def timed(name, function, *args):
    started = time.perf_counter()
    result = function(*args)
    phases[name] = phases.get(name, 0.0) + time.perf_counter() - started
    return result


try:
    started = time.perf_counter()
    from opsascode import kpi as K
    from opsascode.availability import availability
    from opsascode.change_metrics import change_metrics
    from opsascode.commands import kpi as command
    from opsascode.cost import cost
    from opsascode.incidents import incident_kpis
    from opsascode.loader import load
    from opsascode.report import kpi as report
    from opsascode.workspace import Options, open_cache, open_tree
    phases["imports"] = time.perf_counter() - started

    root = Path(sys.argv[1])
    first, last = date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3])
    options = Options(directory=root, use_cache=False)
    repo = timed("load (read, parse, validate records)",
                 lambda: load(open_tree(root, None), cache=open_cache(root, options)))
    since, until = command.period(repo, first, last, date.today())
    graph = timed("dependency graph", repo.graph)
    leads = timed("lead times (git log x2)", command._lead_times, repo, options)
    result = K.KpiReport(
        since, until,
        availability=timed("availability", availability, repo, graph, since, until),
        incidents=timed("incident KPIs", incident_kpis, repo, since, until),
        changes=timed("change metrics", change_metrics, repo, since, until, leads),
        cost=timed("cost", cost, repo, graph, since, until))
    result.targets = timed("targets", K.judge, result, next(iter(repo.kpi_targets()), None))
    months = K.months(since, until)
    for start, end in months:
        timed("trends: incident KPIs per month", incident_kpis, repo, start, end)
        timed("trends: change metrics per month", change_metrics, repo, start, end, leads)
        timed("trends: availability per month", availability, repo, graph, start, end)
    timed("change workload (_change_workload)", K._change_workload, result, repo)
    text = timed("render JSON (without trends)", report.as_json, result)
    print(json.dumps({"phases": phases, "months": len(months), "records": len(repo.records),
                      "json_bytes": len(text)}))
except Exception:
    print(json.dumps({"error": traceback.format_exc()[-3000:], "phases": phases}))
"""

# One command under cProfile, in a fresh process: the stats go to a .prof file and
# the top 40 by cumulative time (and the top 30 by own time) to a text file.


# ------------------------------------------------------------- the repository


def _stamp(args: argparse.Namespace) -> dict[str, Any]:
    return {**bv._stamp(args), "costs": True, "history": HISTORY_VERSION,
            "batches": args.batches}


def prepare_repository(args: argparse.Namespace) -> Path:
    """The generated repository with its history, reused while the stamp matches."""
    name = f"assets{args.assets}-seed{args.seed}-c{args.changes}-i{args.incidents}"
    data: Path = args.data
    root, stamp_file = data / name, data / f"{name}.stamp.json"
    stamp = _stamp(args)
    if bv.reusable(root, stamp_file, stamp):
        return root
    print(f"generating {args.assets:,} assets, {args.changes:,} changes and "
          f"{args.incidents:,} incidents into {root} ...", flush=True)
    started = time.perf_counter()
    # In a subprocess: Linux counts the memory a child had before exec (ours, at the
    # fork) in its peak RSS, so this process stays small.
    subprocess.run([sys.executable, synthetic.__file__, str(root), "--assets", str(args.assets),
                    "--seed", str(args.seed), "--changes", str(args.changes),
                    "--incidents", str(args.incidents), "--today", stamp["anchor"],
                    "--costs"], check=True, stdout=subprocess.DEVNULL)
    anchor = date.fromisoformat(stamp["anchor"])
    merges = build_history(root, period_of(root)[0], anchor, args.batches)
    print(f"  generated and committed ({merges} merges) in "
          f"{time.perf_counter() - started:.1f} s")
    stamp_file.write_text(json.dumps(stamp, indent=2) + "\n")
    return root


def _dated(moment: datetime) -> dict[str, str]:
    stamp = f"@{int(moment.timestamp())} +0000"
    return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}


def build_history(root: Path, first: date, anchor: date, batches: int) -> int:
    """Commit the repository on ``main``: everything but ``changes/`` first, then the
    change requests on ``batches`` branches, each of two commits and merged with a
    merge commit (no fast-forward); merges spread over [first, anchor). Plumbing with
    a temporary index, so the working tree is never touched. Returns the merges."""
    bv.git(root, "init", "-q")
    start = datetime.combine(first, clock(), UTC) + timedelta(hours=12)
    end = datetime.combine(anchor, clock(), UTC)
    bv.git(root, "add", "-A", "--", ".", ":(exclude)changes")
    bv.git(root, "commit", "-q", "-m", "Inventory, policies and incidents", env=_dated(start))
    files = sorted(p.relative_to(root).as_posix() for p in (root / "changes").glob("*.yaml"))
    index = {"GIT_INDEX_FILE": str(root / ".git" / "bench-history.index")}
    merges = 0
    for batch in range(batches):
        chunk = files[batch::batches]
        if not chunk:
            continue
        merged = start + (end - start) * (batch + 1) / (batches + 1)
        begun = merged - timedelta(days=1 + batch % 9, hours=batch % 7)
        halfway = begun + (merged - begun) / 2
        bv.git(root, "read-tree", "main", env=index)
        parent = bv.git(root, "rev-parse", "main")
        head = parent
        for part, moment in ((chunk[: len(chunk) // 2 or 1], begun),
                             (chunk[len(chunk) // 2 or 1:], halfway)):
            if not part:
                continue
            bv.git(root, "add", "--pathspec-from-file=-", "--pathspec-file-nul", env=index,
                 stdin="\0".join(part).encode())
            tree = bv.git(root, "write-tree", env=index)
            head = bv.git(root, "commit-tree", tree, "-p", head, "-m",
                        f"Change requests, batch {batch + 1}", env=_dated(moment))
        tree = bv.git(root, "write-tree", env=index)
        merge = bv.git(root, "commit-tree", tree, "-p", parent, "-p", head, "-m",
                     f"Merge branch 'changes-{batch + 1}'", env=_dated(merged))
        bv.git(root, "update-ref", "refs/heads/main", merge)
        merges += 1
    Path(index["GIT_INDEX_FILE"]).unlink(missing_ok=True)
    bv.git(root, "read-tree", "main")  # the real index: the working tree is clean
    left = bv.git(root, "status", "--porcelain")
    if left:
        raise bv.BenchError(f"the generated history leaves changes behind:\n{left[:2000]}")
    return merges


def period_of(root: Path) -> tuple[date, date]:
    """The first and last day of every timestamp in the change and incident records,
    widened by a day each side (the timestamps carry offsets; the period is days in
    the repository's timezone)."""
    days: set[bytes] = set()
    for folder in ("changes", "incidents"):
        for path in (root / folder).glob("*.yaml"):
            days.update(_STAMP.findall(path.read_bytes()))
    if not days:
        raise bv.BenchError(f"{root} has no change or incident with a timestamp")
    first, last = (date.fromisoformat(d.decode()) for d in (min(days), max(days)))
    return first - timedelta(days=1), last + timedelta(days=1)


# --------------------------------------------------------------- measuring


def check_kpi(report: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """What kpi computed; refuses a period that leaves incidents out."""
    metrics = report["metrics"]
    if len(report["incidents"]) != args.incidents:
        raise bv.BenchError(f"kpi counted {len(report['incidents'])} incidents in the period, "
                            f"not {args.incidents}: the period misses records")
    services = metrics["availability"]
    cost = metrics["cost"]
    return {
        "incidents": len(report["incidents"]),
        "sla_clocks": len(report["sla_clocks"]),
        "sla_compliance": metrics["sla_compliance"]["overall"],
        "recurring_groups": len(report["recurring"]),
        "services": len(services),
        "services_with_downtime": sum(1 for s in services if s["outages"]),
        "services_with_planned_downtime": sum(1 for s in services if s["planned_outages"]),
        "least_availability": min((s["availability"] for s in services), default=None),
        "implemented_changes": len(metrics["change_failure_rate"]["implemented"]),
        "failed_changes": len(metrics["change_failure_rate"]["failed"]),
        "lead_times": len(metrics["lead_time"]["changes"]),
        "lead_time_median_h": (metrics["lead_time"]["median_seconds"] or 0) / 3600,
        "cost_total": cost["total"],
        "cost_unallocated_assets": len(cost["unallocated_assets"]),
        "months": len(report["trends"]),
        "targets": {t["metric"]: t["met"] for t in report["targets"]},
    }


def phases(root: Path, work: Path, first: date, last: date) -> dict[str, Any]:
    out = work / "phases.out"
    wall, _, rss, code = bv.measure([sys.executable, "-c", PHASES, str(root), first.isoformat(),
                                     last.isoformat()], root, out, bv._env(False))
    if code != 0:
        return {"error": f"exit {code}: {out.with_suffix('.err').read_text()[-2000:]}"}
    found: dict[str, Any] = json.loads(out.read_text())
    found["wall"], found["rss"] = wall, rss
    return found


def profile(command: list[str], root: Path, work: Path) -> dict[str, Any]:
    """Run kpi once under cProfile; where the stats went."""
    argv = command[command.index("-C"):]  # opsascode's own arguments
    text, binary = work / "profile-kpi_cold.txt", work / "profile-kpi_cold.prof"
    out = work / "profile-kpi_cold.out"
    _, _, _, code = bv.measure([sys.executable, "-c", bv.PROFILE, str(text), str(binary), *argv],
                               root, out, bv._env(False))
    if code != 0:
        err = out.with_suffix(".err").read_text()[-3000:]
        raise bv.BenchError(f"profiling kpi exited with {code}:\n{err}")
    return {"text": str(text), "prof": str(binary), "wall": float(out.read_text().strip())}


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    root = prepare_repository(args)
    work = args.data / f"{root.name}.work"
    work.mkdir(exist_ok=True)
    files = bv.record_files(root)
    size = sum(len(f.read_bytes()) for f in files)  # also warms the page cache
    first, last = period_of(root)
    commits = bv.git(root, "rev-list", "--count", "HEAD")
    print(f"{len(files):,} record files, {size / 1e6:.1f} MB, {commits} commits; "
          f"period {first} to {last}")

    opsascode = [bv._tool("opsascode") or sys.executable,
                 *([] if bv._tool("opsascode") else ["-m", "opsascode"])]
    cold = [*opsascode, "-C", str(root), "--no-cache"]
    steps = {
        "validate_cold": bv.Run("validate (cold)", [*cold, "validate", "--format", "json"]),
        "kpi_cold": bv.Run(f"kpi {first}..{last} (cold)",
                           [*cold, "kpi", "--since", first.isoformat(), "--until",
                            last.isoformat(), "--format", "json"]),
    }
    checked: dict[str, Any] = {}
    for repetition in range(args.repeat):
        for key, step in steps.items():
            out = work / f"{key}.out"
            wall, cpu, rss, code = bv.measure(step.command, root, out, bv._env(False))
            report = bv.expect_json(step.name, out, code)
            if key == "validate_cold":
                if report["counts"]["error"]:
                    raise bv.BenchError(f"the repository has {report['counts']['error']} "
                                        "errors; the benchmark needs one without errors")
                checked["validate"] = {"records": report["records"], **report["counts"]}
            else:
                checked["kpi"] = check_kpi(report, args)
                checked["kpi"]["json_bytes"] = out.stat().st_size
            step.add(wall, cpu, rss)
            print(f"  [{repetition + 1}/{args.repeat}] {step.name}: {wall:.2f} s, "
                  f"{rss / 2**20:.0f} MiB", flush=True)

    split: dict[str, Any] = {}
    if not args.no_phases:
        print("  timing the phases of kpi in one process ...", flush=True)
        split = phases(root, work, first, last)
    profiled: dict[str, Any] = {}
    if not args.no_profile:
        print("  profiling kpi (cold) ...", flush=True)
        profiled = profile(steps["kpi_cold"].command, root, work)
        print(f"    {profiled['wall']:.2f} s under cProfile -> {profiled['text']}")
    return {
        "parameters": {"assets": args.assets, "seed": args.seed, "changes": args.changes,
                       "incidents": args.incidents, "repeat": args.repeat,
                       "batches": args.batches},
        "data": {"files": len(files), "bytes": size, "commits": int(commits),
                 "since": first.isoformat(), "until": last.isoformat()},
        "environment": bv._environment(),
        "outputs": checked,
        "steps": {key: asdict(step) for key, step in steps.items()},
        "phases": split,
        "profile": profiled,
    }


# ------------------------------------------------------------------ reporting


Row = tuple[str, float, str, bool | None]


def evaluate(result: dict[str, Any]) -> list[Row]:
    """(what, value, target, met) for each target; met is None for information only."""
    steps = result["steps"]
    kpi, validate = steps["kpi_cold"], steps["validate_cold"]
    ratio = kpi["wall"] / validate["wall"]
    return [
        ("cold kpi / cold validate", ratio, f"<= {MAX_KPI_OVER_VALIDATE:g}",
         ratio <= MAX_KPI_OVER_VALIDATE),
        ("cold kpi - cold validate (s)", kpi["wall"] - validate["wall"], "(info)", None),
        ("peak RSS kpi / validate", kpi["rss"] / validate["rss"], "(info)", None),
    ]


def print_report(result: dict[str, Any]) -> bool:
    data, env, params = result["data"], result["environment"], result["parameters"]
    outputs = result["outputs"]
    print()
    print(f"opsascode kpi benchmark: {params['assets']:,} assets, {params['changes']:,} "
          f"changes, {params['incidents']:,} incidents; {outputs['validate']['records']:,} "
          f"records, {data['files']:,} files, {data['bytes'] / 1e6:.1f} MB, "
          f"{data['commits']} commits")
    print("  " + ", ".join(f"{k} {v}" for k, v in env.items()))
    print(f"  validate: {outputs['validate']['error']} errors, "
          f"{outputs['validate']['warning']} warnings")
    found = outputs["kpi"]
    print(f"  kpi {data['since']}..{data['until']}: {found['incidents']:,} incidents, "
          f"{found['sla_clocks']:,} SLA clocks {found['sla_compliance']}, "
          f"{found['recurring_groups']:,} recurring groups; {found['services']:,} services, "
          f"{found['services_with_downtime']:,} with downtime, "
          f"{found['services_with_planned_downtime']:,} with planned downtime, least "
          f"available {found['least_availability']:.3f}%")
    print(f"  {found['implemented_changes']:,} changes implemented, "
          f"{found['failed_changes']:,} failed, {found['lead_times']:,} lead times (median "
          f"{found['lead_time_median_h']:.1f} h); cost {found['cost_total']}, "
          f"{found['cost_unallocated_assets']:,} assets with unallocated cost; "
          f"{found['months']} months; {found['json_bytes'] / 1e6:.1f} MB of JSON")
    print("  targets: " + ", ".join(f"{k} {'met' if v else 'no data' if v is None else 'missed'}"
                                    for k, v in found["targets"].items()))
    print()
    print(f"{'step':<44} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  runs (s)")
    for step in result["steps"].values():
        print(f"{step['name']:<44} {step['wall']:8.2f} {step['cpu']:8.2f} "
              f"{step['rss'] / 2**20:9.0f}  {', '.join(f'{w:.2f}' for w in step['walls'])}")
    split = result["phases"]
    if split.get("phases"):
        total = sum(split["phases"].values())
        print()
        print(f"{'phase of kpi (one process, GC off)':<44} {'s':>8} {'share':>8}")
        for name, seconds in split["phases"].items():
            print(f"  {name:<42} {seconds:8.2f} {seconds / total:8.0%}")
        print(f"  {'total':<42} {total:8.2f}   ({split.get('months', '?')} months of trends)")
    if split.get("error"):
        print(f"\nphase timing failed (opsascode's internals changed?):\n{split['error']}")
    print()
    ok = bv.print_verdicts(evaluate(result))
    if result["profile"]:
        print(f"profile of kpi: {result['profile']['text']}")
    return ok


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bv.add_estate_options(parser, changes=20_000, incidents=5_000)
    parser.add_argument("--batches", type=int, default=24,
                        help="merged branches the change requests arrive on (lead times)")
    parser.add_argument("--no-phases", action="store_true",
                        help="skip the in-process timing of kpi's phases")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    bv.add_outcome_options(parser, DATA)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.batches = max(1, args.batches)
    return bv.run_main(args, "bench_kpi", run_benchmark, print_report,
                       errors=(ValueError, subprocess.CalledProcessError), timed=True,
                       missed="the target is missed")


if __name__ == "__main__":
    sys.exit(main())
