"""Work on the second core: parsing is most of a cold run, and an audit replays many
merges, while a machine's second core is otherwise mostly idle.

:func:`parse_many` parses many files in two halves: a forked worker parses one half
while this process parses the other. :class:`Forked` runs any work in a forked copy
of this process (:mod:`opsascode.parseahead` parses a revision's files in one
started before they are needed). Results come back pickled (plain data, far cheaper to unpickle
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
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

from opsascode import lifetime, yamlio

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
