"""Work on the second core: parsing is most of a cold run, and an audit replays many
merges, while a machine's second core is otherwise mostly idle.

:func:`parse_many` parses many files in two halves: a forked worker parses one half
while this process parses the other. :class:`Forked` runs any work in a forked copy
of this process (:mod:`opsascode.parseahead` parses a revision's files in one
started before they are needed). Results come back pickled (plain data, far cheaper
to unpickle than to make again). Without ``fork`` (not on Linux), with one core, with
``OPSASCODE_WORKERS=1``, or for a handful of files, everything is done here, in order.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import time
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

    ``then``, if given, runs in the copy once the result is written, and its own result
    comes back the same way (:meth:`later`): a second job that should not hold back
    the first one's hand-over.

    The copy says on a pipe when each result is written: this process takes it then,
    while the copy goes on (or tears down its memory, milliseconds for a large one),
    and reaps it later."""

    def __init__(self, work: Callable[[], T], before: Callable[[], object] | None = None,
                 then: Callable[[], object] | None = None) -> None:
        import tempfile

        _reap_finished()
        self._pid: int | None = None
        self._heard = b""  # what the copy said: "+" its result is written, "*" then's
        self._ended = False  # nothing more will be said
        self._stages = b"+*" if then is not None else b"+"
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by result and close
        self._then_out = tempfile.TemporaryFile() if then is not None else None  # noqa: SIM115
        self._said = said = -1
        try:
            self._said, said = os.pipe()
            pid = os.fork()
        except OSError:
            if said >= 0:
                os.close(said)
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
                if then is not None and self._then_out is not None:
                    pickle.dump(then(), self._then_out, protocol=pickle.HIGHEST_PROTOCOL)
                    self._then_out.flush()
                    os.write(said, b"*")
                code = 0
            finally:
                os._exit(code)
        os.close(said)
        self._pid = pid

    def done(self, timeout: float | None = None) -> bool:
        """Whether the copy's result is written (or the copy ended without one),
        waiting ``timeout`` seconds at most (None: until then)."""
        return self._hear(b"+", timeout) or self._ended

    def result(self) -> T | None:
        """Wait for the copy's result, and take it (once)."""
        found: T | None = None
        if self._hear(b"+", None) and not self._out.closed:
            found = _load(self._out)
        self._out.close()
        if self._then_out is None:
            self._let_be()
        return found

    def later(self, timeout: float | None = 0.0) -> object | None:
        """``then``'s result, once written (waiting ``timeout`` seconds at most; taken
        once): None when there is none, or not yet."""
        if self._then_out is None or not self._hear(b"*", timeout):
            return None
        found: object = _load(self._then_out)
        self._then_out.close()
        self._then_out = None
        self._let_be()
        return found

    def close(self) -> None:
        """Stop the copy if it has not given every result (this process gave up on
        them)."""
        if self._pid is not None and not self._ended and not all(
                stage in self._heard for stage in self._stages):
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
        self._close_pipe()
        self._out.close()
        if self._then_out is not None:
            self._then_out.close()
            self._then_out = None
        self._let_be()

    def _hear(self, stage: bytes, timeout: float | None) -> bool:
        """Whether the copy said ``stage`` (its result written), listening ``timeout``
        seconds at most (None: until it says so or ends)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while stage not in self._heard and not self._ended:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._said], [], [], left)[0]:
                return False
            try:
                said = os.read(self._said, 2)
            except OSError:
                said = b""
            self._heard += said
            if not said or all(s in self._heard for s in self._stages):
                self._close_pipe()  # it ended, or said all it has to say
        return stage in self._heard

    def _let_be(self) -> None:
        """Leave the copy to end on its own: it is reaped once it has (here, later, or
        when the command ends)."""
        if self._pid is not None:
            _UNREAPED.append(self._pid)
            self._pid = None
            _reap_finished()
            lifetime.before_exit(_reap_all)

    def _close_pipe(self) -> None:
        """Stop listening (nothing more will be heard)."""
        self._ended = True
        if self._said >= 0:
            with contextlib.suppress(OSError):
                os.close(self._said)
            self._said = -1


#: Copies that gave their result (or were stopped) and may not have ended yet.
_UNREAPED: list[int] = []


def _load(file: Any) -> Any:
    """A copy's pickled result (this program's own copy: trusted); None when it
    cannot be read (a copy that failed)."""
    with contextlib.suppress(Exception):
        file.seek(0)
        return pickle.load(file)
    return None


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
