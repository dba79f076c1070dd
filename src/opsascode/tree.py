"""Where record files come from: the working directory or a git revision.

A source yields :class:`SourceFile` values: the bytes of each YAML file under the
repository's folders, or a problem saying why the file cannot be read (too large,
binary, not UTF-8, a symlink leaving the repository). Reading never follows a link
out of the repository and never checks a revision out.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from opsascode import problems as P
from opsascode.blobs import blob_id
from opsascode.git import SYMLINK_MODE, GitRepo, TreeEntry, clean_index_blobs
from opsascode.roots import SETTINGS_FILE as SETTINGS_FILE

YAML_SUFFIXES = (".yaml", ".yml")


def is_loaded(path: str) -> bool:
    """A file the loader reads (under its folders): YAML, not hidden."""
    name = path.rsplit("/", 1)[-1]
    return name.endswith(YAML_SUFFIXES) and not name.startswith(".")


@dataclass(frozen=True)
class SourceFile:
    """One file of a tree. ``data`` is None when the file was refused (``problem``)
    or not read yet: then ``read()`` reads it, so a loader that already knows the
    blob (by its id) never pays for reading it again."""

    path: str  # relative, with / separators
    blob_id: str
    data: bytes | None
    problem: P.Problem | None = None
    reader: Callable[[], SourceFile] | None = field(default=None, compare=False)

    def read(self) -> SourceFile:
        if self.data is not None or self.problem is not None or self.reader is None:
            return self
        return self.reader()


class Tree(Protocol):
    """A snapshot of the repository's files."""

    label: str

    def read_settings(self) -> SourceFile | None: ...

    def files(self, folders: tuple[str, ...], max_size: int) -> Iterator[SourceFile]: ...


def check_content(path: str, data: bytes) -> P.Problem | None:
    """Refuse binary and non-UTF-8 content with the position of the first bad byte."""
    if b"\0" in data:
        line, column = _position(data, data.index(b"\0"))
        return P.error(path, "binary-file", "the file is binary (it contains NUL bytes); "
                       "only UTF-8 YAML files belong here", line=line, column=column)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        return P.error(path, "not-utf8", f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} "
                       "cannot be decoded); save it as UTF-8", line=line, column=column)
    return None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _too_large(path: str, size: int, max_size: int) -> P.Problem:
    return P.error(path, "file-too-large", f"the file is {size:,} bytes, over the limit of "
                   f"{max_size:,}; split it, or raise `max_file_size` in opsascode.yaml",
                   line=1, column=1)


def _outside(path: str, target: str) -> P.Problem:
    return P.error(path, "symlink-outside", f"the file is a symbolic link to {target!r}, "
                   "outside the repository; copy the file in instead", line=1, column=1)


class WorkingTree:
    """The files on disk under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.label = "working tree"

    def read_settings(self) -> SourceFile | None:
        path = self.root / SETTINGS_FILE
        if not path.is_file():
            return None
        return self._read(SETTINGS_FILE, path, 10 * 1024 * 1024)

    def files(self, folders: tuple[str, ...], max_size: int) -> Iterator[SourceFile]:
        paths = [path for folder in folders for path in self._yaml_files(self.root / folder)]
        read = {path.resolve() for path in paths if not path.is_symlink()}
        # Files git knows unmodified are read only if their blob is not cached.
        known = clean_index_blobs(self.root, folders)
        for path in paths:
            # A link to a file that is read anyway would only add duplicates.
            if path.is_symlink() and path.resolve() in read:
                continue
            rel = path.relative_to(self.root).as_posix()
            if rel in known and not path.is_symlink() and path.stat().st_size <= max_size:
                yield SourceFile(rel, known[rel], None,
                                 reader=partial(self._read, rel, path, max_size))
            else:
                yield self._read(rel, path, max_size)

    @staticmethod
    def _yaml_files(base: Path) -> Iterator[Path]:
        if not base.is_dir() or base.is_symlink():
            return
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                    yield Path(dirpath) / name

    def _read(self, rel: str, path: Path, max_size: int) -> SourceFile:
        if path.is_symlink():
            target = os.path.realpath(path)
            if not Path(target).is_relative_to(self.root):
                return SourceFile(rel, "", None, _outside(rel, str(path.readlink())))
        try:
            size = path.stat().st_size
            if size > max_size:
                return SourceFile(rel, "", None, _too_large(rel, size, max_size))
            data = path.read_bytes()
        except OSError as exc:
            reason = "a broken symbolic link" if path.is_symlink() else exc.strerror
            return SourceFile(rel, "", None, P.error(rel, "unreadable-file",
                                                     f"cannot read the file: {reason}",
                                                     line=1, column=1))
        bad = check_content(rel, data)
        return SourceFile(rel, blob_id(data), None if bad else data, bad)


class GitTree:
    """The files of one git revision, read from the object database."""

    def __init__(self, repo: GitRepo, rev: str) -> None:
        repo.require_at_top()
        self.repo = repo
        self.rev = rev
        self.commit = repo.resolve(rev)
        self.label = f"revision {rev}"

    def entries(self, folders: tuple[str, ...]) -> list[TreeEntry]:
        """The files under ``folders`` (literal paths: files or folders)."""
        return self.repo.tree(self.commit, folders)

    def snapshot(self) -> dict[str, tuple[str, str]] | None:
        """path -> (mode, blob id) of every file, when known at once (else None)."""
        return None

    def listing(self, folders: tuple[str, ...]) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob id) of the files under ``folders``."""
        return {e.path: (e.mode, e.blob_id) for e in self.entries(folders)}

    def blob(self, blob_id: str) -> bytes:
        return self.repo.read_blob(blob_id)

    def read_settings(self) -> SourceFile | None:
        entries = self.entries((SETTINGS_FILE,))
        return self._read(entries[0], 10 * 1024 * 1024) if entries else None

    def files(self, folders: tuple[str, ...], max_size: int) -> Iterator[SourceFile]:
        entries = self.entries(folders)
        by_path = {e.path: e for e in entries}
        for entry in sorted(entries, key=lambda e: e.path):
            if not is_loaded(entry.path):
                continue
            if entry.mode == SYMLINK_MODE:
                if self._link_target(entry) in by_path:
                    continue  # a link to a file that is read anyway: no duplicates
                yield self._read(entry, max_size)
            else:
                yield self.source(entry, max_size)

    def source(self, entry: TreeEntry, max_size: int) -> SourceFile:
        """A regular file of the tree, read when first needed."""
        if entry.size > max_size:
            return SourceFile(entry.path, "", None, _too_large(entry.path, entry.size, max_size))
        return SourceFile(entry.path, entry.blob_id, None,
                          reader=partial(self._read, entry, max_size))

    def _link_target(self, entry: TreeEntry) -> str:
        target = self.blob(entry.blob_id).decode("utf-8", "replace")
        if target.startswith("/"):
            return "/"
        return posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), target))

    def _read(self, entry: TreeEntry, max_size: int) -> SourceFile:
        if entry.mode == SYMLINK_MODE:
            resolved = self._link_target(entry)
            found = [] if resolved == "/" or resolved.startswith("..") else [
                e for e in self.entries((resolved,)) if e.path == resolved]
            if not found or found[0].mode == SYMLINK_MODE:
                target = self.blob(entry.blob_id).decode("utf-8", "replace")
                return SourceFile(entry.path, "", None, _outside(entry.path, target))
            entry = TreeEntry(entry.path, found[0].mode, found[0].blob_id, found[0].size)
        if entry.size > max_size:
            return SourceFile(entry.path, "", None, _too_large(entry.path, entry.size, max_size))
        data = self.blob(entry.blob_id)
        if len(data) > max_size:  # a tree listed without sizes
            return SourceFile(entry.path, "", None, _too_large(entry.path, len(data), max_size))
        bad = check_content(entry.path, data)
        return SourceFile(entry.path, entry.blob_id, None if bad else data, bad)
