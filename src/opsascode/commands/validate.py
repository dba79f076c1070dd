"""``opsascode validate``: load and check the whole repository."""

from __future__ import annotations

import sys
from datetime import date
from typing import TextIO

from opsascode.checks import run_checks
from opsascode.loader import Progress, load, locate
from opsascode.problems import counts
from opsascode.report import problems as report
from opsascode.workspace import Options, find_root, open_cache, open_tree


def validate(options: Options, fmt: str, rev: str | None = None, today: date | None = None,
             out: TextIO | None = None) -> int:
    out = out or sys.stdout
    root = find_root(options.directory)
    tree = open_tree(root, rev)
    with _progress() as tick:
        repo = load(tree, cache=open_cache(root, options), progress=tick)
    found = repo.problems + locate(repo, run_checks(repo, today or date.today()))
    totals = counts(found)
    if fmt == "json":
        print(report.as_json(found, {"files": repo.files, "records": len(repo.records)}),
              file=out)
    elif fmt == "github":
        text = report.github_annotations(found)
        if text:
            print(text, file=out)
        print(_summary(repo.files, len(repo.records), totals), file=out)
    else:
        report.write_text(found, _summary(repo.files, len(repo.records), totals), out,
                          color=out.isatty())
    return 1 if totals["error"] else 0


def _summary(files: int, records: int, totals: dict[str, int]) -> str:
    verdict = "ok" if totals["error"] == 0 else "failed"
    return (f"validate {verdict}: {files} files, {records} records, "
            f"{totals['error']} errors, {totals['warning']} warnings")


class _progress:
    """A spinner on stderr, only when stderr is a terminal."""

    def __enter__(self) -> Progress | None:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.status import Status

        self._status = Status("loading…", console=Console(stderr=True))
        self._status.start()
        return self._tick

    def _tick(self, done: int) -> None:
        if done % 20 == 0:
            self._status.update(f"loading… {done} files")

    def __exit__(self, *exc: object) -> None:
        status = getattr(self, "_status", None)
        if status is not None:
            status.stop()
