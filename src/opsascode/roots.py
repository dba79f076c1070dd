"""Where the operations repository is (the directory holding ``opsascode.yaml``), and
the global options of a command.

A light module (no record model): the command line parses its arguments, and
``audit`` finds the repository and starts reading git history, before the rest of
the program is loaded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from opsascode.errors import FatalError

SETTINGS_FILE = "opsascode.yaml"


@dataclass(frozen=True)
class Options:
    """Global options, filled by the CLI."""

    directory: Path
    use_cache: bool = True


def cache_enabled(options: Options) -> bool:
    """Whether the parsed-file cache is used (``--no-cache`` and ``OPSASCODE_CACHE=0``
    turn it off)."""
    return options.use_cache and os.environ.get("OPSASCODE_CACHE", "1") not in ("0", "")


def find_root(start: Path) -> Path:
    """The directory holding ``opsascode.yaml`` at or above ``start``; else ``start``."""
    if not start.is_dir():
        raise FatalError(f"{start} is not a directory")
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / SETTINGS_FILE).is_file():
            return candidate
    return start


def branch_named(root: Path) -> str:
    """The ``default_branch`` that ``opsascode.yaml`` in ``root`` names, read without
    the record model; "main" when it names none or does not read. Only a guess, to
    start early: the settings are validated later, and a wrong guess costs a second
    read of the history. A plain ``default_branch: NAME`` line is read as it is (git
    starts before the YAML library is loaded); anything else, with that library."""
    try:
        text = (root / SETTINGS_FILE).read_bytes()
    except OSError:
        return "main"
    plain: list[bytes] = _PLAIN_BRANCH.findall(text)
    if len(plain) == 1 and text.count(b"default_branch") == 1:
        return plain[0].decode()
    if b"default_branch" not in text:
        return "main"
    import yaml

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (ValueError, RecursionError, yaml.YAMLError):
        return "main"
    name = data.get("default_branch") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else "main"


#: A top-level ``default_branch: NAME`` line (a branch name: no spaces, quotes, ``#``).
_PLAIN_BRANCH = re.compile(rb"^default_branch:[ \t]+([A-Za-z0-9._/-]+)[ \t]*(?:#[^\n]*)?\r?$",
                           re.MULTILINE)
