"""What a command builds is held until its process ends, in the command line only."""

from __future__ import annotations

import pytest

from opsascode import lifetime
from testing.repos import fresh_python


def test_objects_are_kept_only_in_a_process_that_ends_with_exit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifetime, "_kept", [])
    monkeypatch.setattr(lifetime, "_ends_with_exit", False)
    built = object()
    lifetime.keep(built)
    assert lifetime._kept == []  # a library's caller frees what it no longer holds
    lifetime.process_ends_with_exit()
    lifetime.keep(built)
    assert lifetime._kept == [built]


def test_the_command_line_says_its_process_ends_with_exit() -> None:
    probe = ("import sys\n"
             "from opsascode import cli, lifetime\n"
             "sys.argv = ['opsascode', '--version']\n"
             "try:\n"
             "    cli.run()\n"
             "except SystemExit:\n"
             "    pass\n")
    # --version exits through argparse (SystemExit), after run() has said so.
    assert fresh_python(probe + "print(lifetime._ends_with_exit)\n")[-1] == "True"


def test_a_kept_git_process_is_waited_for_unless_the_process_ends_with_exit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from opsascode import git

    class Kept:
        def __init__(self) -> None:
            self.stdin, self.stdout = io.BytesIO(), io.BytesIO()
            self.waited = False

        def wait(self, timeout: float | None = None) -> int:
            self.waited = True
            return 0

    monkeypatch.setattr(lifetime, "_ends_with_exit", False)
    kept = Kept()
    git._stop(kept)  # type: ignore[arg-type]
    assert kept.stdin.closed and kept.stdout.closed and kept.waited
    lifetime.process_ends_with_exit()
    assert lifetime.ends_with_exit()
    monkeypatch.setattr(lifetime, "_last_things", [])
    kept = Kept()
    git._stop(kept)  # type: ignore[arg-type]
    assert kept.stdin.closed and kept.stdout.closed and not kept.waited
    lifetime.end()  # waited for at the very end, so its time is counted
    assert kept.waited


def test_forked_copies_are_reaped_when_the_command_ends(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from opsascode import parallel

    monkeypatch.setattr(lifetime, "_last_things", [])
    copy = parallel.Forked(lambda: os.getpid())
    pid = copy.result()
    assert pid is not None
    lifetime.end()
    assert pid not in parallel._UNREAPED
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
