"""Expected failures that end a command: usage and input errors (exit code 2)."""

from __future__ import annotations


class FatalError(Exception):
    """An input or usage error the user can fix; the message says how."""

    exit_code = 2


class UsageError(FatalError):
    """Bad command-line usage: an unknown id, a bad revision, a missing argument."""
