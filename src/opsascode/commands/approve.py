"""``opsascode approve CHANGE``: record a git-native approval in a commit of its own.

The entry ``{by, at, comment?}`` is added to the change's ``approvals`` by editing
the file's text, so its comments and layout stay; the new text is parsed again and
must differ from the old only by that entry, or nothing is written. The commit holds
that file alone (signed with ``--sign``), authored by the approver: that is what
:mod:`opsascode.approvals.gitnative` checks before it counts the approval.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from opsascode import atomic, yamlio
from opsascode.approvals.gitnative import GitApprovals, handle_of, same_handle
from opsascode.errors import FatalError, UsageError
from opsascode.git import GitRepo
from opsascode.loader import Loader
from opsascode.problems import Loc
from opsascode.records import Change, record_adapter
from opsascode.repository import Repository
from opsascode.tree import WorkingTree
from opsascode.workspace import Options, find_root, open_cache

_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
_LINE = re.compile(r"[^\n]*\n|[^\n]+$")
_EMPTY_LIST = re.compile(r"(approvals[ \t]*:[ \t]*)\[[ \t]*\]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}
_HOW_TO_NAME = ("pass --by HANDLE, set OPSASCODE_USER, or run "
                "`git config --global opsascode.user HANDLE` (github.user works too)")


def approve(options: Options, change_id: str, sign: bool, by: str | None,
            comment: str | None, out: TextIO | None = None, *,
            now: datetime | None = None) -> int:
    out = out or sys.stdout
    root = find_root(options.directory)
    git = GitRepo(root)
    git.require_at_top()  # what is approved already is read from the branch's history
    handle = approver(by, git)
    require_identity(git, handle)
    loader = Loader(open_cache(root, options))
    repo = loader.load(WorkingTree(root))
    change = find_change(repo, change_id)
    origin = repo.origins[change.id]
    path = root / origin.file
    require_only_this_file(git, path, origin.file)
    require_not_approved(git, loader, repo, change.id, handle)
    entry: dict[str, Any] = {"by": handle, "at": approval_time(now, repo.settings.timezone),
                             **({"comment": comment} if comment else {})}
    old = path.read_bytes()
    new = added_entry_text(old.decode("utf-8"), origin.loc, entry)
    verify_edit(old, new, origin.loc, entry, origin.file)
    sha = write_and_commit(git, path, old, new, commit_message(change.id, handle, comment), sign)
    how = "signed commit" if sign else "commit"
    print(f"{handle} approved {change.id}: {how} {sha[:12]} adds the entry to {origin.file}",
          file=out)
    return 0


# ------------------------------------------------------------------ refusals


def approver(by: str | None, git: GitRepo) -> str:
    """The approver's handle: --by, OPSASCODE_USER, opsascode.user, github.user."""
    for source, value in (("--by", by), ("OPSASCODE_USER", os.environ.get("OPSASCODE_USER"))):
        if value:
            return _checked_handle(value, source)
    for key in ("opsascode.user", "github.user"):
        value = git.config_value(key)
        if value:
            return _checked_handle(value, f"git config {key}")
    raise UsageError(f"who approves? {_HOW_TO_NAME}")


def _checked_handle(value: str, source: str) -> str:
    if not _HANDLE.match(value):
        raise UsageError(f"{value!r} (from {source}) is not a code-host handle: 1-39 letters, "
                         "digits or -, starting with a letter or digit")
    return value


def require_identity(git: GitRepo, handle: str) -> None:
    """The commit's author must be the approver, or the gate will not count it."""
    name, email = git.author_identity()
    if not same_handle(handle_of(name, email), handle):
        raise FatalError(
            f"your git identity {name} <{email}> is not {handle}, and an approval counts "
            "only when its commit is authored by the approver; set `git config user.email "
            f"ID+{handle}@users.noreply.github.com` (your GitHub no-reply address) or "
            f"`git config user.name {handle}`")


def find_change(repo: Repository, change_id: str) -> Change:
    change = repo.get(change_id, Change)
    if change is not None:
        return change
    if change_id in repo.invalid_ids:
        raise FatalError(f"{change_id} is not valid; fix it first (`opsascode validate` "
                         "lists the problems)")
    close = difflib.get_close_matches(change_id, sorted(c.id for c in repo.changes()), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(f"{change_id!r} is not a change id{hint}")


def require_only_this_file(git: GitRepo, path: Path, rel: str) -> None:
    """Nothing staged, and the change file committed as it is on disk."""
    staged = git.staged_paths()
    if staged:
        shown = ", ".join(staged[:3]) + (f" (+{len(staged) - 3} more)" if len(staged) > 3 else "")
        raise FatalError(f"changes are staged ({shown}); the approval commit must hold "
                         "nothing but the approval: commit them, or unstage them with "
                         "`git restore --staged PATH`, first")
    status = git.file_status(path)
    if status == "??":
        raise FatalError(f"{rel} is not committed yet: commit the change request first, "
                         "then approve it")
    if status == "!!":
        raise FatalError(f"{rel} is ignored by git (.gitignore); an approval must be a commit")
    if status:
        raise FatalError(f"{rel} has uncommitted changes; commit or stash them first, so "
                         "that the approval commit holds nothing else")


def require_not_approved(git: GitRepo, loader: Loader, repo: Repository, change_id: str,
                         handle: str) -> None:
    """Refuse a second approval by the same person with no new content since."""
    head = git.resolve("HEAD")
    try:
        base: str | None = git.default_base(repo.settings.default_branch)
    except FatalError:
        base = None
    source = GitApprovals(git.top, None if base == head else base, head, None, False,
                          loader=loader)
    for given in source.collect().approvals:
        if given.change == change_id and same_handle(given.by, handle) and given.fresh:
            raise FatalError(f"{handle} already approved {change_id} at the current head "
                             f"(commit {(given.commit or '')[:12]}); nothing to do")


# ------------------------------------------------------------ the text edit


def approval_time(now: datetime | None, timezone: str) -> datetime:
    """Now in the repository's timezone, to the second (a naive ``now`` is local)."""
    when = now or datetime.now(ZoneInfo(timezone))
    return (when if when.tzinfo else when.astimezone()).replace(microsecond=0)


def added_entry_text(text: str, loc: Loc, entry: dict[str, Any]) -> str:
    """``text`` with ``entry`` added to the approvals of the record at ``loc``: the
    lines of the entry inserted, or ``approvals: []`` turned into a block list.
    Columns here are 0-based."""
    data = text.encode("utf-8")
    value, _issues = yamlio.parse(data)
    record = value[loc[0]] if loc else value
    lines = _LINE.findall(text)  # str.splitlines also splits at \f, \v...: YAML does not
    newline = "\r\n" if "\r\n" in text else "\n"
    items = record.get("approvals")
    if items:
        last = yamlio.Document(data).locate((*loc, "approvals", len(items) - 1))
        field = last.column - 1
        dash = _dash_column(lines[last.line - 1], field)
        at = _block_end(lines, last.line - 1, dash + 1)
    else:
        key_line, key_column = yamlio.key_position(data, (*loc, "id"))
        dash, field = key_column + 1, key_column + 3  # two and four columns in
        if items == []:
            at = _drop_empty_list(lines, yamlio.key_position(data, (*loc, "approvals")))
        else:
            at = _block_end(lines, key_line - 1, key_column - 1)
            if not lines[at].endswith("\n"):
                lines[at] += newline
            lines.insert(at + 1, " " * (key_column - 1) + "approvals:" + newline)
            at += 1
    if not lines[at].endswith("\n"):
        lines[at] += newline
    lines.insert(at + 1, _entry_lines(entry, dash, field, newline))
    return "".join(lines)


def _drop_empty_list(lines: list[str], key: tuple[int, int]) -> int:
    """``approvals: []`` -> ``approvals:`` (a comment after it stays); its index."""
    index, column = key[0] - 1, key[1] - 1
    found = _EMPTY_LIST.match(lines[index], column)
    if found is None:
        raise FatalError("cannot add to `approvals` as it is written; write it as "
                         "`approvals: []` or as a block list")
    line = lines[index]
    lines[index] = line[:found.start()] + found.group(1).rstrip() + line[found.end():]
    return index


def _dash_column(line: str, field: int) -> int:
    """Column of the ``-`` of the list item whose first key is at ``field``."""
    before = line[:field].rstrip()
    if not before.endswith("-"):
        raise FatalError("cannot add to `approvals` as it is written (not a block list of "
                         "mappings); write it as a block list, `- by: ...`")
    return len(before) - 1


def _block_end(lines: list[str], first: int, indent: int) -> int:
    """Index of the last content line of the block that starts on line ``first``
    and goes on while lines are indented at least ``indent`` (comments skipped)."""
    end = first
    for index in range(first + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(lines[index]) - len(lines[index].lstrip(" ")) < indent or stripped in (
                "---", "..."):
            break
        end = index
    return end


def _entry_lines(entry: dict[str, Any], dash: int, field: int, newline: str) -> str:
    pairs = [("by", _plain_or_quoted(entry["by"])),
             ("at", entry["at"].isoformat(timespec="seconds"))]
    if "comment" in entry:
        pairs.append(("comment", _quoted(entry["comment"])))
    first = " " * dash + "-" + " " * (field - dash - 1)
    return "".join((first if i == 0 else " " * field) + f"{key}: {value}{newline}"
                   for i, (key, value) in enumerate(pairs))


def _plain_or_quoted(value: str) -> str:
    try:
        parsed, issues = yamlio.parse(value.encode("utf-8"))
    except yamlio.YamlError:
        return _quoted(value)
    return value if parsed == value and not issues else _quoted(value)


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (escapes: YAML's, for anything not printable)."""
    escaped = []
    for char in value:
        if char in _ESCAPES:
            escaped.append(_ESCAPES[char])
        elif char.isprintable():
            escaped.append(char)
        else:
            escaped.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
    return '"' + "".join(escaped) + '"'


def verify_edit(old: bytes, new: str, loc: Loc, entry: dict[str, Any], rel: str) -> None:
    """The new text must parse to the old data plus the entry, and stay valid."""
    before, old_issues = yamlio.parse(old)
    expected = copy.deepcopy(before)
    record = expected[loc[0]] if loc else expected
    record["approvals"] = [*(record.get("approvals") or []), entry]
    try:
        after, issues = yamlio.parse(new.encode("utf-8"))
        valid = record_adapter().validate_python(after[loc[0]] if loc else after) is not None
    except (yamlio.YamlError, ValueError, LookupError, TypeError):
        after, issues, valid = None, [], False
    if after != expected or len(issues) > len(old_issues) or not valid:
        raise FatalError(f"cannot add the approval to {rel} without changing something else "
                         "(its layout is unusual); nothing was written. Add the entry by "
                         f"hand: {entry['by']} at {entry['at'].isoformat(timespec='seconds')}")


def commit_message(change_id: str, handle: str, comment: str | None) -> str:
    body = f"\n\n{comment}" if comment else ""
    return f"Approve {change_id}\n\nApproved-by: {handle}{body}"


def write_and_commit(git: GitRepo, path: Path, old: bytes, new: str, message: str,
                     sign: bool) -> str:
    """Write the file atomically and commit it alone; restore it if the commit fails."""
    if path.read_bytes() != old:
        raise FatalError(f"{path} changed while the approval was prepared; run the "
                         "command again")
    atomic.write_text(path, new)  # keeps the file's permissions
    try:
        return git.commit_only(path, message, sign=sign)
    except FatalError:
        atomic.write_text(path, old.decode("utf-8"))
        raise
