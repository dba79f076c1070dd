"""Work on the second core: parsing is most of a cold run, and an audit replays many
merges, while a machine's second core is otherwise mostly idle.

:func:`parse_many` parses many files in two halves: a forked worker parses one half
while this process parses the other. :class:`ParseAhead` parses a revision's files in
a worker started before they are needed. :class:`Forked` runs any work in a forked
copy of this process. Results come back pickled (plain data, far cheaper to unpickle
than to make again). Without ``fork`` (not on Linux), with one core, with
``OPSASCODE_WORKERS=1``, or for a handful of files, everything is done here, in order.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from opsascode import countries, lifetime, yamlio
from opsascode.countries import Place

if TYPE_CHECKING:
    from opsascode.cache import ParseCache

Parsed = tuple[bool, Any, list[yamlio.YamlIssue]]
T = TypeVar("T")

#: Below these, a worker process costs more than it saves.
MIN_FILES = 8
MIN_BYTES = 2 * 1024 * 1024


def parse_one(data: bytes, max_expansion: int) -> Parsed:
    try:
        value, issues = yamlio.parse(data, max_expansion=max_expansion)
    except yamlio.YamlError as exc:
        return False, None, [exc.issue]
    return True, value, issues


def _parse_all(datas: Sequence[bytes], max_expansion: int) -> list[Parsed]:
    return [parse_one(data, max_expansion) for data in datas]


def _worth_a_worker(datas: Sequence[bytes]) -> bool:
    return (len(datas) >= MIN_FILES and sum(map(len, datas)) >= MIN_BYTES
            and hasattr(os, "fork") and (os.cpu_count() or 1) >= 2
            and os.environ.get("OPSASCODE_WORKERS", "2") != "1")


def parse_many(datas: Sequence[bytes], max_expansion: int) -> list[Parsed]:
    """Parse every file; results in the same order as ``datas``."""
    if not _worth_a_worker(datas):
        return _parse_all(datas, max_expansion)
    theirs, mine = datas[1::2], datas[0::2]
    worker = Forked(partial(_parse_all, theirs, max_expansion))
    try:
        parsed_here = _parse_all(mine, max_expansion)
        parsed_there = worker.result()
    finally:
        worker.close()
    if parsed_there is None:  # no process could be started, or it failed: here then
        parsed_there = _parse_all(theirs, max_expansion)
    result: list[Parsed] = []
    for index in range(len(datas)):
        result.append(parsed_here[index // 2] if index % 2 == 0 else parsed_there[index // 2])
    return result


#: A parse ahead gives up on trees with more YAML than this: they get the two-core
#: parse of :func:`parse_many` when they are loaded.
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
    audit's history need not rebuild them from every commit. So does what the
    holidays library says of the revision's calendars (:mod:`opsascode.countries`).
    """

    def __init__(self, top: Path, rev: str, cache: ParseCache | None = None) -> None:
        self._found: _Found | None = None
        self._waited = False
        # Last in line for the CPU: git's history pass and this process's start-up
        # come first (a load never waits long for this worker).
        self._worker = (Forked(partial(_parse_revision, top, rev, cache), partial(os.nice, 19))
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
            self._found = found or _Found({}, {}, {}, None)
            countries.remember(self._found.holidays)
        return self._found


@dataclass
class _Found:
    """What a parse-ahead worker hands back."""

    parsed: dict[str, Parsed]
    texts: dict[str, bytes]
    #: What the holidays library says of the countries of the revision's calendars.
    holidays: dict[Place, str | None]
    #: The revision's commit and its files.
    tip: tuple[str, dict[str, tuple[str, str]]] | None


def _parse_revision(top: Path, rev: str, cache: ParseCache | None) -> _Found:
    """The worker's job: every YAML blob of ``rev`` a loader may parse as it is, the
    text of every YAML blob it read, whether the holidays library knows the countries
    of the calendars among them, and the revision's files."""
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
        return _Found({}, {}, {}, (commit, files))
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
    return _Found(found, texts, _holiday_answers(found.values()), (commit, files))


def _holiday_answers(parsed: Iterable[Parsed]) -> dict[Place, str | None]:
    """What validation will ask the holidays library about these calendars (loading
    it is 15 ms of the main process's time, spent here instead). Only a help: an
    answer that cannot be had is asked for again where it is needed."""
    try:
        return countries.answers(countries.calendar_countries(
            value for ok, value, _issues in parsed if ok))
    except Exception:  # the library's own failure is met where it matters
        return {}


class Forked(Generic[T]):
    """``work()`` run in a forked copy of this process, at the same time as whatever
    this process does next; its result comes back pickled (through an unnamed file, so
    the copy never waits on this process). ``before`` runs first in the copy (to let
    go of what it must not share: a git process's pipes; to lower its priority). The
    copy is this program's own, so its result is trusted. :meth:`result` is None when
    the copy could not be made or failed: the caller then does the work itself, and
    meets the same error, if any, where it would have.

    The copy says on a pipe when its result is written: this process takes it then,
    while the copy is still tearing down its memory (milliseconds, for a large one),
    and reaps it later."""

    def __init__(self, work: Callable[[], T],
                 before: Callable[[], object] | None = None) -> None:
        import tempfile

        _reap_finished()
        self._pid: int | None = None
        self._ready: bool | None = None  # None: not known yet; False: no result
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by result and close
        self._said = -1
        try:
            self._said, said = os.pipe()
            pid = os.fork()
        except OSError:
            self._ready = False
            self._close_pipe()
            return
        if pid == 0:  # the copy: never returns
            code = 1
            try:
                os.close(self._said)
                if before is not None:
                    before()
                pickle.dump(work(), self._out, protocol=pickle.HIGHEST_PROTOCOL)
                self._out.flush()
                os.write(said, b"+")
                code = 0
            finally:
                os._exit(code)
        os.close(said)
        self._pid = pid

    def done(self, timeout: float | None = None) -> bool:
        """Whether the copy's result is written (or the copy ended without one),
        waiting ``timeout`` seconds at most (None: until then)."""
        if self._ready is None:
            if not select.select([self._said], [], [], timeout)[0]:
                return False
            try:
                self._ready = os.read(self._said, 1) == b"+"
            except OSError:
                self._ready = False
            self._close_pipe()
        return True

    def result(self) -> T | None:
        """Wait for the copy's result, and take it (once)."""
        found: T | None = None
        if self.done() and self._ready and not self._out.closed:
            with contextlib.suppress(Exception):  # a copy that failed: None
                self._out.seek(0)
                found = pickle.load(self._out)  # this program's own copy: trusted
        self._out.close()
        self._let_be()
        return found

    def close(self) -> None:
        """Stop the copy if it has not given its result (this process gave up on it)."""
        if self._ready is None and self._pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            self._close_pipe()
            self._ready = False
        self._out.close()
        self._let_be()

    def _let_be(self) -> None:
        """Leave the copy to end on its own: it is reaped once it has (here, later, or
        when the command ends)."""
        if self._pid is not None:
            _UNREAPED.append(self._pid)
            self._pid = None
            _reap_finished()
            lifetime.before_exit(_reap_all)

    def _close_pipe(self) -> None:
        if self._said >= 0:
            with contextlib.suppress(OSError):
                os.close(self._said)
            self._said = -1


#: Copies that gave their result (or were stopped) and may not have ended yet.
_UNREAPED: list[int] = []


def _reap_all() -> None:
    """Wait for the copies still ending, and reap them."""
    for pid in list(_UNREAPED):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        _UNREAPED.remove(pid)


def _reap_finished() -> None:
    """Reap the copies that have ended (a long-lived process keeps no zombies)."""
    for pid in list(_UNREAPED):
        try:
            reaped, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere
            reaped = pid
        if reaped:
            _UNREAPED.remove(pid)


def worth_a_fork() -> bool:
    """Whether work can go to a forked process on another core (Linux with two cores
    or more, and not ``OPSASCODE_WORKERS=1``)."""
    return (hasattr(os, "fork") and sys.platform == "linux" and (os.cpu_count() or 1) >= 2
            and os.environ.get("OPSASCODE_WORKERS", "2") != "1")
