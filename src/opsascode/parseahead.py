"""The parse-ahead worker: a revision's files read, parsed and listed on the second
core while the main process does other work (``audit`` starts one with its history
pass). It needs nothing but git and the YAML library, so it is forked while the
process is still small, before the record model loads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from opsascode import countries
from opsascode.countries import Place
from opsascode.parallel import MIN_BYTES, Forked, Parsed, parse_one, worth_a_fork

if TYPE_CHECKING:
    from opsascode.cache import ParseCache

#: A parse ahead gives up on trees with more YAML than this: they get the two-core
#: parse of :func:`~opsascode.parallel.parse_many` when they are loaded.
AHEAD_MAX_BYTES = MIN_BYTES
#: How long a load waits for a parse ahead still at work before parsing itself (s).
AHEAD_WAIT = 0.025


class ParseAhead:
    """The YAML files of one revision, parsed by a forked worker on the second core
    while this process does other work. ``audit`` starts it with its history pass,
    before it loads the rest of the program (a small process forks cheaply); at the
    lowest priority, the worker parses once ``git log`` is done and the second core
    is idle, while this process reads the history and sets up.

    Only results that cannot differ from this process's own parse come back: files
    that are plain UTF-8 text without aliases (``max_alias_expansion`` is a setting
    the worker does not know), not in ``cache``. The loader takes the
    :meth:`results` before it parses; anything the worker did not parse is parsed as
    usual, so a worker that fails, or never starts, only costs the time it would have
    saved. The files' text comes back too (:meth:`texts`): what reads blobs need not
    ask git again; and the revision's files as git lists them (:meth:`tip`): the
    audit's history need not rebuild them from every commit. Then, as a job of its
    own handed over when done (:meth:`holidays`), the worker asks the holidays library
    about the revision's calendars (:mod:`opsascode.countries`).
    """

    def __init__(self, top: Path, rev: str, cache: ParseCache | None = None) -> None:
        self._found: _Found | None = None
        self._waited = False
        # Last in line for the CPU: git's history pass and this process's start-up
        # come first (a load never waits long for this worker).
        job = _Job(top, rev, cache)
        self._worker = (Forked(job.files, partial(os.nice, 19), then=job.holidays)
                        if worth_a_fork() else None)

    def results(self, *, wait: bool) -> dict[str, Parsed]:
        """The worker's results by blob id, handed over once it is done (and once).
        ``wait``: give a worker still at work up to :data:`AHEAD_WAIT` seconds to
        finish, once (on a busy machine, the lowest priority may not get it there: the
        files are then parsed here); without it, only results already there."""
        found = self._collected(AHEAD_WAIT if wait and not self._waited else 0.0)
        self._waited |= wait
        if found is None:
            return {}
        parsed, found.parsed = found.parsed, {}
        return parsed

    def finished(self) -> bool:
        """Whether the worker is done (its results are then here; never waits)."""
        return self._collected(0.0) is not None

    def texts(self) -> dict[str, bytes]:
        """The text of every blob the worker read, by id, once it is done (handed
        over once; empty while it is at work)."""
        found = self._collected(0.0)
        if found is None:
            return {}
        texts, found.texts = found.texts, {}
        return texts

    def tip(self) -> tuple[str, dict[str, tuple[str, str]]] | None:
        """The revision's commit and its files (path -> (mode, blob id)), as ``git
        ls-tree`` listed them, once the worker is done (handed over once)."""
        found = self._collected(0.0)
        if found is None:
            return None
        tip, found.tip = found.tip, None
        return tip

    def close(self) -> None:
        """Stop the worker if it still runs (the command ended before it needed it)."""
        if self._worker is not None:
            self._worker.close()

    def _collected(self, timeout: float) -> _Found | None:
        """The worker's results, once it has finished (taken after waiting ``timeout``
        seconds at most); None while it is at work."""
        if self._found is None:
            if self._worker is not None and not self._worker.done(timeout):
                return None
            found = self._worker.result() if self._worker is not None else None
            self._found = found or _Found({}, {}, None)
        return self._found

    def holidays(self, *, wait: bool) -> bool:
        """Take what the holidays library told the worker of the revision's calendars
        (its last job; :func:`opsascode.countries.remember`), waiting up to
        :data:`AHEAD_WAIT` seconds with ``wait``; whether it has."""
        found = self._worker.later(AHEAD_WAIT if wait else 0.0) if self._worker else None
        if isinstance(found, dict):
            countries.remember(found)
        return found is not None


@dataclass
class _Found:
    """What a parse-ahead worker hands back."""

    parsed: dict[str, Parsed]
    texts: dict[str, bytes]
    #: The revision's commit and its files.
    tip: tuple[str, dict[str, tuple[str, str]]] | None


class _Job:
    """The worker's two jobs, handed over one after the other: the revision's files,
    then what the holidays library says of the calendars among them."""

    def __init__(self, top: Path, rev: str, cache: ParseCache | None) -> None:
        self.top, self.rev, self.cache = top, rev, cache
        self._parsed: list[Parsed] = []

    def files(self) -> _Found:
        found = _parse_revision(self.top, self.rev, self.cache)
        self._parsed = list(found.parsed.values())
        return found

    def holidays(self) -> dict[Place, str | None]:
        return _holiday_answers(self._parsed)


def _parse_revision(top: Path, rev: str, cache: ParseCache | None) -> _Found:
    """The worker's first job: every YAML blob of ``rev`` a loader may parse as it is,
    the text of every YAML blob it read, and the revision's files."""
    import subprocess

    from opsascode.tree import check_content

    def git(*args: str, data: bytes | None = None) -> bytes:
        return subprocess.run(["git", *args], cwd=top, capture_output=True, check=True,
                              input=data).stdout

    commit = git("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}").decode().strip()
    files: dict[str, tuple[str, str]] = {}
    paths: dict[str, str] = {}
    total = 0
    for entry in git("ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options",
                     commit).split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) != 4:
            continue
        path, blob = name.decode("utf-8", "replace"), fields[2].decode()
        files[path] = (fields[0].decode(), blob)
        if (fields[1] != b"blob" or not fields[0].startswith(b"100")
                or not name.endswith((b".yaml", b".yml"))
                or blob in paths or (cache is not None and cache.has(blob))):
            continue
        total += int(fields[3])
        paths[blob] = path
    if total > AHEAD_MAX_BYTES:
        return _Found({}, {}, (commit, files))
    out = git("cat-file", "--batch", data="".join(f"{b}\n" for b in paths).encode())
    found: dict[str, Parsed] = {}
    texts: dict[str, bytes] = {}
    at = 0
    for blob, path in paths.items():
        end = out.index(b"\n", at)
        header = out[at:end].split()
        if len(header) != 3:  # "<id> missing"
            at = end + 1
            continue
        size = int(header[2])
        data = texts[blob] = out[end + 1:end + 1 + size]
        at = end + 1 + size + 1
        if b"*" not in data and check_content(path, data) is None:
            found[blob] = parse_one(data, 0)
    return _Found(found, texts, (commit, files))


def _holiday_answers(parsed: Iterable[Parsed]) -> dict[Place, str | None]:
    """What validation will ask the holidays library about these calendars (loading
    it is 15 ms of the main process's time, spent here instead). Only a help: an
    answer that cannot be had is asked for again where it is needed."""
    try:
        return countries.answers(countries.calendar_countries(
            value for ok, value, _issues in parsed if ok))
    except Exception:  # the library's own failure is met where it matters
        return {}


