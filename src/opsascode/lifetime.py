"""What a command builds lives until its process ends.

The command line is a short-lived process that ends with ``os._exit``, skipping the
interpreter's teardown. The large graphs of objects a command builds (a history of
ten thousand commits, thousands of loaded records) would still be freed object by
object as the functions holding them return, just before the process ends: 12 ms of a
10,000-commit audit. :func:`keep` holds them until then, in that process only; in any
other (the tests, a program using opsascode as a library) it does nothing. Likewise,
the git processes such a process keeps are told to stop, and not waited for; its
forked copies are reaped just before it ends (:func:`end`).
"""

from __future__ import annotations

from collections.abc import Callable

_kept: list[object] = []
_ends_with_exit = False
_last_things: list[Callable[[], object]] = []


def process_ends_with_exit() -> None:
    """Say that this process ends with ``os._exit`` (the command line's entry point)."""
    global _ends_with_exit
    _ends_with_exit = True


def ends_with_exit() -> bool:
    """Whether this process ends with ``os._exit`` (the command line's)."""
    return _ends_with_exit


def keep(*objects: object) -> None:
    """Hold ``objects`` until the process ends, when it ends with ``os._exit``."""
    if _ends_with_exit:
        _kept.extend(objects)


def before_exit(action: Callable[[], object]) -> None:
    """Have ``action`` run when the command line ends (:func:`end`), once."""
    if action not in _last_things:
        _last_things.append(action)


def end() -> None:
    """What must be done before ``os._exit`` (the command line calls this): reaping
    the processes this one forked, so their time is counted as this command's."""
    for action in _last_things:
        action()
