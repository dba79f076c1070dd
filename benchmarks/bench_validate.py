"""Benchmark ``opsascode validate`` against the bare libyaml parse and check-jsonschema.

Generates a synthetic repository (``benchmarks/synthetic.py``) into
``benchmarks/.data/`` (kept between runs, regenerated when the generator or the
parameters change), commits it to a fresh git repository so the parsed-file cache
(``.git/opsascode``) is available, and then measures, in one run and each in a fresh
subprocess (imports, start-up and memory counted honestly):

- floor: ``yaml.load(open(f, 'rb'), Loader=yaml.CSafeLoader)`` over the record files;
- cold: ``opsascode --no-cache validate --format json``;
- warm: ``opsascode validate --format json`` with the cache filled by a previous run;
- check-jsonschema with the schema of ``opsascode schema records``.

Wall time is the best of ``--repeat`` runs (check-jsonschema runs once); peak memory
is the child's maximum resident set size (``os.wait4``), the largest over the runs.
The exit status is 1 when a target is missed (0 with ``--no-fail``), 2 when the
measurement itself is invalid (the generated repository does not validate cleanly,
check-jsonschema rejects it, a tool is missing). See benchmarks/README.md.

    .venv/bin/python benchmarks/bench_validate.py [--assets 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import synthetic

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
GIB = 1024**3

# Targets from the performance issue, for 100,000 assets (~36 MB, ~1,000 files).
MAX_COLD_OVER_FLOOR = 1.3
MIN_JSONSCHEMA_OVER_COLD = 6.0
MAX_PEAK_RSS = 1 * GIB

FLOOR = """\
import sys
import yaml
with open(sys.argv[1]) as listing:
    paths = listing.read().splitlines()
for f in paths:
    yaml.load(open(f, 'rb'), Loader=yaml.CSafeLoader)
"""
FLOOR_GC_OFF = "import gc\ngc.disable()\n" + FLOOR
# What opsascode's loader does for parsing alone: its resolver and constructor, GC off.
PARSE_ONLY = """\
import gc
import sys
from pathlib import Path
from opsascode import yamlio
paths = Path(sys.argv[1]).read_text().splitlines()
gc.disable()
for f in paths:
    yamlio.parse(Path(f).read_bytes())
"""


@dataclass
class Run:
    """One measured step: best wall time over the repeats, largest peak RSS."""

    name: str
    command: list[str]
    wall: float = float("inf")
    cpu: float = 0.0
    rss: int = 0
    runs: int = 0
    walls: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float, rss: int) -> None:
        self.walls.append(round(wall, 3))
        self.runs += 1
        self.rss = max(self.rss, rss)
        if wall < self.wall:
            self.wall, self.cpu = wall, cpu


class BenchError(Exception):
    """The measurement is not valid (exit status 2)."""


# ------------------------------------------------------------- the repository


#: A child process that runs one opsascode command under cProfile (argv: the text
#: report, the binary profile, then the command's arguments); prints its wall time.
PROFILE = """\
import cProfile
import gc
import io
import pstats
import sys
import time

from opsascode.cli import main

text, binary, *argv = sys.argv[1:]
gc.disable()  # as the command line runs
profiler = cProfile.Profile()
sys.stdout = io.StringIO()  # the command's own report is not wanted
started = time.perf_counter()
profiler.enable()
try:
    code = main(argv)
finally:
    profiler.disable()
    sys.stdout = sys.__stdout__
wall = time.perf_counter() - started
profiler.dump_stats(binary)
with open(text, "w") as out:
    out.write(f"opsascode {' '.join(argv)}\\nexit {code}, {wall:.2f} s wall under cProfile\\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    out.write("\\n--- top 30 by own time ---\\n")
    stats.sort_stats("tottime").print_stats(30)
print(f"{wall:.2f}")
"""

def _stamp(args: argparse.Namespace) -> dict[str, Any]:
    source = Path(synthetic.__file__).read_bytes()
    return {
        "generator": hashlib.sha256(source).hexdigest()[:16],
        "assets": args.assets,
        "seed": args.seed,
        "changes": args.changes,
        "incidents": args.incidents,
        "anchor": synthetic.anchor_date().isoformat(),
    }


def prepare_repository(args: argparse.Namespace) -> Path:
    """The generated repository, reused when the stamp (generator and parameters) matches."""
    name = f"assets{args.assets}-seed{args.seed}-c{args.changes}-i{args.incidents}"
    root = args.data / name
    stamp_file = args.data / f"{name}.stamp.json"
    stamp = _stamp(args)
    if reusable(root, stamp_file, stamp):
        return root
    print(f"generating {args.assets:,} assets into {root} ...", flush=True)
    started = time.perf_counter()
    # In a subprocess: Linux counts the memory a child had before exec (ours, at the
    # fork) in its peak RSS, so this process stays small.
    subprocess.run([sys.executable, synthetic.__file__, str(root), "--assets", str(args.assets),
                    "--seed", str(args.seed), "--changes", str(args.changes),
                    "--incidents", str(args.incidents), "--today", stamp["anchor"]],
                   check=True, stdout=subprocess.DEVNULL)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "synthetic repository")
    print(f"  generated and committed in {time.perf_counter() - started:.1f} s")
    stamp_file.write_text(json.dumps(stamp, indent=2) + "\n")
    return root


def reusable(root: Path, stamp_file: Path, stamp: dict[str, Any]) -> bool:
    """Whether ``root`` holds the repository ``stamp`` describes (generator and
    parameters); when it does not, it is cleared, to be generated again."""
    if root.is_dir() and stamp_file.is_file() and json.loads(stamp_file.read_text()) == stamp:
        print(f"using the cached repository {root}")
        return True
    shutil.rmtree(root, ignore_errors=True)
    stamp_file.unlink(missing_ok=True)
    return False


def git(root: Path, *args: str, env: dict[str, str] | None = None,
        stdin: bytes | None = None) -> str:
    """A git command in a generated repository, as the benchmarks' author; its output."""
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "user.name=bench",
         "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=root, check=True, capture_output=True, input=stdin,
        env={**os.environ, **(env or {})})
    return done.stdout.decode().strip()


def expect_json(step: str, out: Path, code: int, allowed: tuple[int, ...] = (0,)
                ) -> dict[str, Any]:
    """The JSON report a measured step printed; a BenchError when it exited otherwise
    than ``allowed`` or printed none."""
    if code not in allowed:
        err = out.with_suffix(".err").read_text()[-3000:]
        raise BenchError(f"{step} exited with {code}:\n{err}")
    try:
        report: dict[str, Any] = json.loads(out.read_text())
    except ValueError:
        err = out.with_suffix(".err").read_text()[-3000:]
        raise BenchError(f"{step} printed no JSON report:\n{err}") from None
    return report


def record_files(root: Path) -> list[Path]:
    """The YAML files ``validate`` reads (opsascode.yaml aside), in its order."""
    found = []
    for folder in synthetic.GENERATED_FOLDERS:
        for dirpath, dirnames, filenames in os.walk(root / folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found += [Path(dirpath) / n for n in sorted(filenames)
                      if n.endswith((".yaml", ".yml")) and not n.startswith(".")]
    return found


# --------------------------------------------------------------- measuring


def measure(command: Sequence[str], cwd: Path, out: Path, env: dict[str, str] | None = None
            ) -> tuple[float, float, int, int]:
    """Run ``command``; return (wall s, user+sys s, peak RSS bytes, exit code)."""
    with out.open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=stderr, env=env)
        # wait4 gives this child's own resource usage, unlike RUSAGE_CHILDREN.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = code = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale, code


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def _env(cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OPSASCODE_CACHE", None)
    if not cache:
        env["OPSASCODE_CACHE"] = "0"
    return env


def _check_validate_output(out: Path, step: str) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(out.read_text())
    except ValueError:
        err = out.with_suffix(".err").read_text()[-2000:]
        raise BenchError(f"{step}: validate printed no JSON report:\n{err}") from None
    if report["counts"]["error"]:
        first = "\n".join(f"  {p['file']}:{p['line']}: {p['message']}"
                          for p in report["problems"][:10])
        raise BenchError(f"{step}: the generated repository has {report['counts']['error']} "
                         f"errors; the benchmark needs a clean repository:\n{first}")
    return report


def jsonschema_schema(opsascode: list[str], work: Path, dispatch: bool) -> tuple[Path, list[str]]:
    """The schema check-jsonschema gets, and the adjustments made to it (explained)."""
    text = subprocess.run([*opsascode, "schema", "records"], check=True, capture_output=True,
                          text=True).stdout
    schema = json.loads(text)
    notes = []
    if _accept_bare_dependency_ids(schema):
        notes.append("published schema rejects bare ids in depends_on (validate accepts "
                     "them); the benchmark lets depends_on items be an id or a Dependency")
    if dispatch:
        _dispatch_on_kind(schema)
        notes.append("records dispatched on `kind` with if/then (one branch validated per "
                     "record) instead of the published oneOf (every branch validated)")
    path = work / ("records-dispatch.schema.json" if dispatch else "records.schema.json")
    path.write_text(json.dumps(schema, indent=1))
    return path, notes


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _accept_bare_dependency_ids(schema: dict[str, Any]) -> bool:
    """Make ``depends_on`` items ``id | Dependency`` when the schema allows only objects.

    Returns whether anything had to change (the published schema is then narrower
    than what validate accepts: a schema bug, reported by the benchmark).
    """
    dependency = schema["$defs"].get("Dependency")
    if dependency is None:
        return False
    bare_id = {k: v for k, v in dependency["properties"]["id"].items()
               if k not in ("description", "title")}
    changed = False
    for node in _walk(schema):
        prop = node.get("depends_on")
        if isinstance(prop, dict) and prop.get("items") == {"$ref": "#/$defs/Dependency"}:
            prop["items"] = {"anyOf": [bare_id, {"$ref": "#/$defs/Dependency"}]}
            changed = True
    return changed


def _dispatch_on_kind(schema: dict[str, Any]) -> None:
    """Replace the record ``oneOf`` (plus OpenAPI ``discriminator``, which JSON Schema
    validators ignore) by if/then on ``kind``: a fairer, faster schema for them."""
    for record in [n for n in _walk(schema) if "discriminator" in n and "oneOf" in n]:
        mapping = record["discriminator"]["mapping"]
        branches = [{"if": {"properties": {"kind": {"const": kind}}},
                     "then": {"$ref": ref}} for kind, ref in sorted(mapping.items())]
        replacement = {"type": "object", "required": ["kind"],
                       "properties": {"kind": {"enum": sorted(mapping)}}, "allOf": branches}
        record.clear()
        record.update(copy.deepcopy(replacement))


# ------------------------------------------------------------------- driving


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    root = prepare_repository(args)
    work = args.data / f"{root.name}.work"
    work.mkdir(exist_ok=True)
    files = record_files(root)
    listing = work / "files.txt"
    listing.write_text("\n".join(str(f) for f in files) + "\n")
    size = sum(len(f.read_bytes()) for f in files)  # also warms the page cache
    print(f"{len(files):,} record files, {size / 1e6:.1f} MB")

    opsascode = [_tool("opsascode") or sys.executable, *([] if _tool("opsascode")
                                                          else ["-m", "opsascode"])]
    steps = {
        "floor": Run("floor: CSafeLoader yaml.load", [sys.executable, "-c", FLOOR, str(listing)]),
        "cold": Run("cold: opsascode --no-cache validate",
                    [*opsascode, "-C", str(root), "--no-cache", "validate", "--format", "json"]),
        "warm": Run("warm: opsascode validate (cache)",
                    [*opsascode, "-C", str(root), "validate", "--format", "json"]),
    }
    if args.detail:
        steps["floor_gc_off"] = Run("info: floor with GC off",
                                    [sys.executable, "-c", FLOOR_GC_OFF, str(listing)])
        steps["parse_only"] = Run("info: opsascode yamlio.parse, GC off",
                                  [sys.executable, "-c", PARSE_ONLY, str(listing)])
    report = _run_validate_once(steps["warm"], root, work)  # fills the cache, checks output
    for repetition in range(args.repeat):
        for key, step in steps.items():
            out = work / f"{key}.out"
            wall, cpu, rss, code = measure(step.command, root, out, _env(key != "cold"))
            if code != 0:
                err = out.with_suffix(".err").read_text()[-2000:]
                raise BenchError(f"{step.name} exited with {code}:\n{err}")
            if key in ("cold", "warm"):
                _check_validate_output(out, step.name)
            step.add(wall, cpu, rss)
            print(f"  [{repetition + 1}/{args.repeat}] {step.name}: {wall:.2f} s, "
                  f"{rss / 2**20:.0f} MiB", flush=True)
    jsonschema_notes: list[str] = []
    if not args.skip_check_jsonschema:
        jsonschema_notes = _run_check_jsonschema(steps, opsascode, work, files, root, args)
    return {
        "parameters": {"assets": args.assets, "seed": args.seed, "changes": args.changes,
                       "incidents": args.incidents, "repeat": args.repeat},
        "data": {"files": len(files), "bytes": size, "records": report["records"],
                 "warnings": report["counts"]["warning"]},
        "environment": _environment(),
        "steps": {key: asdict(step) for key, step in steps.items()},
        "jsonschema_notes": jsonschema_notes,
    }


def _run_validate_once(step: Run, root: Path, work: Path) -> dict[str, Any]:
    out = work / "fill.out"
    wall, _, _, _ = measure(step.command, root, out, _env(True))
    report = _check_validate_output(out, "validate (filling the cache)")
    print(f"  filled the cache in {wall:.2f} s: {report['records']:,} records, "
          f"{report['counts']['warning']} warnings")
    return report


def _run_check_jsonschema(steps: dict[str, Run], opsascode: list[str], work: Path,
                          files: list[Path], root: Path, args: argparse.Namespace) -> list[str]:
    tool = args.check_jsonschema or _tool("check-jsonschema")
    if tool is None:
        raise BenchError("check-jsonschema is not installed: `.venv/bin/pip install -e "
                         "'.[bench]'`, or pass --skip-check-jsonschema")
    schema, notes = jsonschema_schema(opsascode, work, args.jsonschema_dispatch)
    step = steps["jsonschema"] = Run("check-jsonschema --schemafile records",
                                     [tool, "--schemafile", str(schema), *map(str, files)])
    print(f"  {step.name}: running once (minutes at 100k assets) ...", flush=True)
    out = work / "jsonschema.out"
    wall, cpu, rss, code = measure(step.command, root, out)
    if code != 0:
        text = out.read_text()[-3000:] + out.with_suffix(".err").read_text()[-2000:]
        raise BenchError(f"check-jsonschema rejected the repository (exit {code}), so the "
                         f"comparison is not fair:\n{text}")
    step.add(wall, cpu, rss)
    print(f"  {step.name}: {wall:.2f} s, {rss / 2**20:.0f} MiB", flush=True)
    backend = _jsonschema_backend(tool)
    notes.append(f"ran {backend}")
    if "pure" in backend:
        notes.append("that is its default install; with ruamel.yaml.clib (ruamel.yaml["
                     "oldlibyaml]) it parses ~3x faster: see benchmarks/README.md")
    return notes


_BACKEND = """\
from importlib import metadata
import ruamel.yaml.main as main
print(f"check-jsonschema {metadata.version('check-jsonschema')}, ruamel.yaml "
      f"{metadata.version('ruamel.yaml')} " + ("C parser" if main.CParser else "pure Python"))
"""


def _jsonschema_backend(tool: str) -> str:
    """Which YAML parser the check-jsonschema at ``tool`` uses (its own interpreter)."""
    first = Path(tool).read_bytes()[:200].split(b"\n", 1)[0].decode(errors="replace")
    python = shlex.split(first[2:]) if first.startswith("#!") else [sys.executable]
    try:
        found = subprocess.run([*python, "-c", _BACKEND], capture_output=True, text=True)
    except OSError:
        return "an unknown YAML parser"
    return found.stdout.strip() or "an unknown YAML parser"


def _environment() -> dict[str, str]:
    from importlib import metadata

    import yaml

    versions = {}
    for package in ("opsascode", "PyYAML", "pydantic"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {"python": platform.python_version(), "cpus": str(os.cpu_count()),
            "libyaml": str(getattr(yaml, "__with_libyaml__", False)),
            "date": date.today().isoformat(), **versions}


# ------------------------------------------------------------------ reporting


def evaluate(result: dict[str, Any]) -> list[tuple[str, float | None, str, bool | None]]:
    """(what, value, target, met) for each ratio; met is None for information only."""
    steps = result["steps"]
    floor, cold, warm = (steps[k]["wall"] for k in ("floor", "cold", "warm"))
    peak = max(steps["cold"]["rss"], steps["warm"]["rss"])
    rows: list[tuple[str, float | None, str, bool | None]] = [
        ("cold validate / floor", cold / floor, f"<= {MAX_COLD_OVER_FLOOR}",
         cold / floor <= MAX_COLD_OVER_FLOOR),
    ]
    if "jsonschema" in steps:
        ratio = steps["jsonschema"]["wall"] / cold
        rows.append(("check-jsonschema / cold validate", ratio,
                     f">= {MIN_JSONSCHEMA_OVER_COLD:g}", ratio >= MIN_JSONSCHEMA_OVER_COLD))
    rows += [
        ("peak RSS of validate (GiB)", peak / GIB, f"<= {MAX_PEAK_RSS / GIB:g}",
         peak <= MAX_PEAK_RSS),
        ("warm / cold", warm / cold, "(info)", None),
    ]
    if "parse_only" in steps:
        rows.append(("yamlio.parse GC off / floor", steps["parse_only"]["wall"] / floor,
                     "(info)", None))
        rows.append(("cold validate / floor GC off", cold / steps["floor_gc_off"]["wall"],
                     "(info)", None))
    return rows


def add_estate_options(parser: argparse.ArgumentParser, *, changes: int = 0,
                       incidents: int = 0, repeat: int = 1) -> None:
    """The synthetic estate (``synthetic.py``) a benchmark generates, and its repeats."""
    parser.add_argument("--assets", type=int, default=100_000, help="assets to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changes", type=int, default=changes, help="change records to add")
    parser.add_argument("--incidents", type=int, default=incidents,
                        help="incident records to add")
    parser.add_argument("--repeat", type=int, default=repeat, help="take the best of K runs")


def add_outcome_options(parser: argparse.ArgumentParser, data: Path) -> None:
    """--no-fail, --json and --data: what every benchmark of this folder takes."""
    parser.add_argument("--no-fail", action="store_true", help="report only; exit 0 on a miss")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--data", type=Path, default=data, help="where repositories are kept")


def run_main(args: argparse.Namespace, name: str, run: Callable[[argparse.Namespace], Any],
             report: Callable[[Any], bool], *, errors: tuple[type[Exception], ...] = (),
             timed: bool = False, missed: str | None = "at least one target is missed") -> int:
    """A benchmark's whole run: the data folder ready, ``run``, then ``report`` (and
    the JSON); exit status 0 when the targets are met (or ``--no-fail``), 1 when one
    is missed, 2 when the measurement is not valid (``BenchError`` or ``errors``)."""
    args.repeat = max(1, args.repeat)
    args.data = args.data.resolve()
    args.data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        result = run(args)
    except (BenchError, *errors) as exc:
        detail = getattr(exc, "stderr", None) or ""
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        print(f"{name}: {exc}{detail and chr(10) + str(detail)}", file=sys.stderr)
        return 2
    ok = report(result)
    if timed:
        print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if not ok and missed:
        print(f"\n{missed}" + (" (--no-fail: exit 0)" if args.no_fail else ""))
    return 0 if ok or args.no_fail else 1


def print_verdicts(rows: Iterable[tuple[str, float | None, str, bool | None]],
                   width: int = 44) -> bool:
    """Print (what, value, target, met) rows with PASS/MISS; True when none is missed
    (met None: information only)."""
    ok = True
    for what, value, target, met in rows:
        verdict = "" if met is None else ("PASS" if met else "MISS")
        ok = ok and met is not False
        shown = "-" if value is None else f"{value:.2f}"
        print(f"{what:<{width}} {shown:>8}  target {target:<8} {verdict}")
    return ok


def print_report(result: dict[str, Any]) -> bool:
    data, env = result["data"], result["environment"]
    print()
    print(f"opsascode validate benchmark: {result['parameters']['assets']:,} assets, "
          f"{data['records']:,} records, {data['files']:,} files, {data['bytes'] / 1e6:.1f} MB")
    print("  " + ", ".join(f"{k} {v}" for k, v in env.items()))
    print()
    print(f"{'step':<40} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'x floor':>8}  runs (s)")
    floor = result["steps"]["floor"]["wall"]
    for step in result["steps"].values():
        print(f"{step['name']:<40} {step['wall']:8.2f} {step['cpu']:8.2f} "
              f"{step['rss'] / 2**20:9.0f} {step['wall'] / floor:8.2f}  "
              f"{', '.join(f'{w:.2f}' for w in step['walls'])}")
    print()
    ok = print_verdicts(evaluate(result), width=40)
    for note in result["jsonschema_notes"]:
        print(f"note (check-jsonschema): {note}")
    if result["data"]["warnings"]:
        print(f"note: the generated repository has {result['data']['warnings']} warnings")
    return ok


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_estate_options(parser)
    parser.add_argument("--skip-check-jsonschema", action="store_true")
    parser.add_argument("--check-jsonschema", metavar="PATH", default=None,
                        help="the check-jsonschema to run (default: the one beside python)")
    parser.add_argument("--jsonschema-dispatch", action="store_true",
                        help="give check-jsonschema a kind-dispatched (if/then) schema")
    parser.add_argument("--detail", action="store_true",
                        help="also measure the floor with GC off and opsascode's parse alone")
    add_outcome_options(parser, DATA)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(_parser().parse_args(argv), "bench_validate", run_benchmark, print_report,
                    errors=(ValueError,))


if __name__ == "__main__":
    sys.exit(main())
