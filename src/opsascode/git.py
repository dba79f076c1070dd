"""Every git call lives here; failures become :class:`FatalError` with a hint.

Trees are read from the object database (``ls-tree`` and a persistent
``cat-file --batch`` through GitPython), never by checking a revision out.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from opsascode import lifetime
from opsascode.errors import FatalError
from opsascode.roots import SETTINGS_FILE

SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    blob_id: str
    size: int


def _locate(root: Path) -> tuple[Path, Path]:
    """(top of the working tree, common git directory) of the repository that holds
    ``root``: one ``git rev-parse``."""
    try:
        done = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--show-toplevel",
                               "--git-common-dir"], cwd=root, capture_output=True, text=True,
                              check=False)
    except (OSError, ValueError):
        done = None
    lines = done.stdout.splitlines() if done is not None and done.returncode == 0 else []
    if len(lines) != 2:
        said = (done.stderr.strip().splitlines() or [""])[0] if done is not None else ""
        why = "" if not said or "not a git repository" in said else f" (git: {said})"
        raise FatalError(
            f"{root} is not inside a git repository{why}; run `git init` or pass -C DIR"
        )
    return Path(lines[0]), Path(lines[1])


def _repo(root: Path) -> Any:
    import git  # GitPython costs ~0.2 s to import: only when git is needed

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise FatalError(
            f"{root} is not inside a git repository; run `git init` or pass -C DIR"
        ) from None


#: What never changes about a repository's objects, shared by every :class:`GitRepo`
#: of the process (``audit`` replays many merges, and each approval source opens its
#: own): the commit ids known to exist, and tree listings by commit.
_KNOWN_COMMITS: dict[str, set[str]] = {}
#: (object database, commit) -> (the paths listed, the entries under them). A commit
#: is listed once with every path asked for so far in the process (``opsascode.yaml``
#: and the record folders), so loading a revision costs one ``ls-tree``, not two.
_TREES: dict[tuple[str, str], tuple[frozenset[str], list[TreeEntry]]] = {}
_ASKED: dict[str, set[str]] = {}
_MAX_TREES = 256
#: What forked copies of this process let go of (:meth:`GitRepo.let_go`).
_LET_GO: list[tuple[Any, Any]] = []
_FULL_ID = re.compile(r"^[0-9a-f]{40}$")


class GitRepo:
    """A git repository, opened once per command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.top, self.git_dir = _locate(root)
        self._objects = str(self.git_dir.resolve())
        self._known = _KNOWN_COMMITS.setdefault(self._objects, set())
        self._gitpython: Any = None
        self._batch: subprocess.Popen[bytes] | None = None
        self._stop_batch: weakref.finalize[Any, Any] | None = None

    def require_at_top(self) -> None:
        """Fail closed when the operations repository (the folder holding
        ``opsascode.yaml``) is below the top of its git repository: a revision's files
        are read from the top, where its folders are not, and a gate reading no
        records would see nothing to judge."""
        if not (self.root / SETTINGS_FILE).is_file():
            return
        try:
            below = Path(os.path.realpath(self.root)).relative_to(os.path.realpath(self.top))
        except ValueError:
            below = Path(self.root)
        if below != Path():
            raise FatalError(
                f"the operations repository ({below.as_posix()}/{SETTINGS_FILE}) is below the "
                f"top of its git repository ({self.top}); commands that read git revisions "
                "need it at the top of a git repository of its own")

    @property
    def _repo(self) -> Any:
        """GitPython's view of the repository, opened when first needed (importing
        GitPython costs more than many a command's whole work)."""
        if self._gitpython is None:
            self._gitpython = _repo(self.top)
        return self._gitpython

    def resolve(self, rev: str) -> str:
        """The commit id of ``rev``, or a FatalError that says how to get it."""
        if rev in self._known:
            return rev  # a commit id already seen: commits never change
        # ``--end-of-options``: a revision that starts with "-" is not an option.
        done = self._plain("rev-parse", "--verify", "--quiet", "--end-of-options",
                           f"{rev}^{{commit}}")
        out = done.stdout.strip()
        if done.returncode == 0 and out:
            if _FULL_ID.match(rev) and out == rev:
                self._known.add(rev)
            return out
        hint = ""
        if self.shallow_commits():
            hint = " (this is a shallow clone: `git fetch --unshallow` or a deeper fetch)"
        raise FatalError(f"unknown revision {rev!r}{hint}")

    def head_branch(self) -> str | None:
        """The branch HEAD is on, read from the HEAD file (no git process); None when
        detached or unreadable."""
        dot_git = self.top / ".git"
        try:
            if dot_git.is_file():  # a linked worktree: "gitdir: <its own git directory>"
                pointer = dot_git.read_text(encoding="utf-8").strip()
                dot_git = (self.top / pointer.removeprefix("gitdir:").strip()).resolve()
            text = (dot_git / "HEAD").read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return text.removeprefix("ref: refs/heads/") if text.startswith("ref: refs/heads/") \
            else None

    def head(self) -> str | None:
        """The commit HEAD is at; None in a repository without commits."""
        try:
            return self.resolve("HEAD")
        except FatalError:
            return None

    def _plain(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run git without GitPython; never raises on a failed command."""
        return subprocess.run(["git", *args], cwd=self.top, capture_output=True, text=True,
                              check=False)

    def tree(self, rev: str, folders: tuple[str, ...]) -> list[TreeEntry]:
        """The files of ``rev`` under ``folders`` (literal paths: files or folders)."""
        commit = self.resolve(rev)
        if not folders:
            out = self._repo.git.ls_tree("-r", "-l", "--full-tree", "-z", commit, "--")
            return list(_parse_ls_tree(out))
        key = (self._objects, commit)
        listed, entries = _TREES.get(key, (frozenset(), []))
        if not listed.issuperset(folders):
            asked = _ASKED.setdefault(self._objects, set())
            asked.update(folders)
            listed = frozenset(asked)
            out = self._repo.git.ls_tree("-r", "-l", "--full-tree", "-z", commit, "--",
                                         *sorted(listed))
            entries = list(_parse_ls_tree(out))
            if len(_TREES) >= _MAX_TREES:
                _TREES.clear()
            _TREES[key] = (listed, entries)
        wanted = tuple(f.rstrip("/") for f in folders)
        return [e for e in entries if e.path in wanted
                or e.path.startswith(tuple(f"{f}/" for f in wanted))]

    def merge_base(self, a: str, b: str) -> str | None:
        import git

        try:
            return str(self._repo.git.merge_base(self.resolve(a), self.resolve(b))).strip()
        except git.GitCommandError:
            return None

    def default_base(self, default_branch: str) -> str:
        """The merge base of HEAD with the default branch (local, else origin's)."""
        for candidate in (default_branch, f"origin/{default_branch}"):
            try:
                self.resolve(candidate)
            except FatalError:
                continue
            base = self.merge_base(candidate, "HEAD")
            if base:
                return base
        raise FatalError(
            f"cannot find the default branch {default_branch!r} (nor origin/{default_branch}) "
            "to compare with; pass --base REV, or fetch it (`git fetch origin "
            f"{default_branch}`; in a shallow clone also `git fetch --deepen=100`)"
        )

    def changed_paths(self, base: str, head: str) -> list[str]:
        """Files that differ between two commits (renames as delete + add)."""
        out = self._repo.git.diff("--name-only", "--no-renames", "-z", self.resolve(base),
                                  self.resolve(head), "--")
        return sorted(p for p in str(out).split("\0") if p)

    def read_blob(self, blob_id: str) -> bytes:
        stream = self._repo.odb.stream(bytes.fromhex(blob_id))
        data: bytes = stream.read()
        return data

    def blob_size(self, blob_id: str) -> int:
        size: int = self._repo.odb.info(bytes.fromhex(blob_id)).size
        return size

    # --------------------------------------------- branch history, for approvals

    def branch_commits(self, base: str | None, head: str) -> list[CommitInfo]:
        """The commits of ``base..head`` (all of ``head``'s history when base is None),
        parents before children, with the files each changes: one ``git log`` call."""
        revs = f"{self.resolve(base)}..{self.resolve(head)}" if base else self.resolve(head)
        out = self._repo.git.log(
            "--reverse", "--topo-order", "-z", "--raw", "--no-abbrev", "--no-renames",
            "--no-color", "--no-show-signature", "--no-ext-diff", f"--format={_LOG_FORMAT}",
            revs, "--")
        return _parse_log(str(out).split("\0"))

    def commit_graph(self, rev: str) -> dict[str, tuple[tuple[str, ...], int, int]]:
        """Every commit reachable from ``rev``: sha -> (parents, author time, commit
        time), in seconds since the epoch; one ``git log`` call."""
        out = self._repo.git.log("--format=%H %P%x00%at %ct", self.resolve(rev), "--")
        graph: dict[str, tuple[tuple[str, ...], int, int]] = {}
        for line in str(out).splitlines():
            shas, _, times = line.partition("\0")
            sha, *parents = shas.split()
            author, committer = times.split()
            graph[sha] = (tuple(parents), int(author), int(committer))
        return graph

    def mainline_files(self, rev: str, paths: tuple[str, ...]) -> list[tuple[str, list[str]]]:
        """The first-parent history of ``rev`` (newest first), each commit with the
        files under ``paths`` it changes relative to its first parent; one call."""
        out = self._repo.git.log("--first-parent", "--diff-merges=first-parent",
                                 "--name-only", "--no-renames", "-z", "--format=%x01%H",
                                 self.resolve(rev), "--", *paths)
        result = []
        for chunk in str(out).split("\x01")[1:]:
            sha, *files = [p.strip() for p in chunk.replace("\n", "\0").split("\0") if p.strip()]
            result.append((sha, files))
        return result

    # ------------------------------------------------ the audit trail, for `audit`

    def read_blobs(self, blob_ids: Collection[str]) -> dict[str, bytes]:
        """Many blobs through one ``git cat-file --batch`` process, kept for the
        repository's lifetime (missing ones are left out): reading a thousand small
        files costs one process, not a thousand, and reading again costs none."""
        ids = sorted(set(blob_ids))
        if not ids:
            return {}
        process = self._batch_process()
        assert process.stdin is not None and process.stdout is not None
        # Written from a thread while this one reads: neither side waits on a full pipe.
        writer = threading.Thread(target=_write_ids, args=(process.stdin, ids), daemon=True)
        writer.start()
        found: dict[str, bytes] = {}
        for _ in ids:
            header = process.stdout.readline().split()
            if not header:
                raise FatalError(f"git cat-file stopped: {self._batch_error()}")
            if len(header) == 3:  # "<id> <type> <size>"; "<id> missing" otherwise
                found[header[0].decode()] = process.stdout.read(int(header[2]))
                process.stdout.read(1)
        writer.join()
        return found

    def _batch_process(self) -> subprocess.Popen[bytes]:
        if self._batch is None or self._batch.poll() is not None:
            self._batch = subprocess.Popen(
                ["git", f"--git-dir={self.git_dir}", "cat-file", "--batch"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self._stop_batch = weakref.finalize(self, _stop, self._batch)
        return self._batch

    def _batch_error(self) -> str:
        code = self._batch.wait() if self._batch is not None else None
        return f"exit status {code}"

    def let_go(self) -> None:
        """In a forked copy of this process: leave the processes this repository keeps
        to the original (their pipes are shared) without stopping them; the copy starts
        its own when it needs them."""
        _LET_GO.append((self._batch, self._gitpython))  # never collected: no finalizer runs
        if self._stop_batch is not None:
            self._stop_batch.detach()
        self._batch = self._stop_batch = self._gitpython = None

    def close(self) -> None:
        """Stop the processes this repository keeps (``git cat-file --batch``)."""
        if self._stop_batch is not None:
            self._stop_batch()
            self._batch = self._stop_batch = None

    def shallow_commits(self) -> set[str]:
        """The commits a shallow clone's history is cut at (empty when complete)."""
        try:
            return set((self.git_dir / "shallow").read_text(encoding="ascii").split())
        except FileNotFoundError:
            return set()

    def verified_signer(self, commit: str, allowed_signers: Path) -> str | None:
        """The principal whose SSH key in ``allowed_signers`` signed ``commit``; None
        when the commit is unsigned, the signature is bad or the key is not allowed."""
        status, _out, err = self._run(
            "-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed_signers}",
            "verify-commit", "--raw", commit)
        found = _SSH_GOOD.search(err)
        return found.group(1) if status == 0 and found else None

    # ------------------------------------------- the working tree, for `approve`

    def config_value(self, key: str) -> str | None:
        """A git configuration value, or None when it is not set."""
        status, out, _err = self._run("config", "--get", key)
        return out.strip() or None if status == 0 else None

    def author_identity(self) -> tuple[str, str]:
        """(name, email) git would write as the author of a new commit."""
        status, out, err = self._run("var", "GIT_AUTHOR_IDENT")
        found = _IDENT.match(out.strip()) if status == 0 else None
        if found is None:
            reason = err.strip().splitlines()[0] if err.strip() else "no identity"
            raise FatalError(f"git cannot tell who you are ({reason}); set "
                             "`git config user.name` and `git config user.email`")
        return found.group(1), found.group(2)

    def staged_paths(self) -> list[str]:
        """Paths with changes in the index (staged for the next commit)."""
        status, out, err = self._run("diff", "--cached", "--name-only", "--no-renames", "-z")
        if status:
            raise FatalError(f"cannot list staged changes: {err.strip()}")
        return sorted(p for p in out.split("\0") if p)

    def file_status(self, path: Path) -> str:
        """``git status`` code of one file: "" when it is tracked and unchanged, "??"
        untracked, "!!" ignored, else modified (e.g. " M", "M ")."""
        status, out, err = self._run("status", "--porcelain=v1", "-z", "--ignored",
                                     "--untracked-files=all", "--", str(path))
        if status:
            raise FatalError(f"cannot read the status of {path}: {err.strip()}")
        return out[:2] if out else ""

    def commit_only(self, path: Path, message: str, *, sign: bool) -> str:
        """Commit the working-tree content of ``path`` alone (``git commit --only``),
        signed with the user's signing configuration when ``sign``; the new commit id."""
        status, _out, err = self._run("commit", "-q", *(["-S"] if sign else []),
                                      "-m", message, "--only", "--", str(path))
        if status:
            hint = _SIGNING_HINT if sign else ""
            raise FatalError(f"git commit failed: {' '.join(err.split())}{hint}")
        return self.resolve("HEAD")

    def _run(self, *args: str) -> tuple[int, str, str]:
        """Run git; (exit status, stdout, stderr), never raising on a failed command."""
        status, out, err = self._repo.git.execute(
            ["git", *args], with_extended_output=True, with_exceptions=False,
            strip_newline_in_stdout=False)
        return int(status), str(out), str(err)


#: ``git log`` header of one commit: sha, parents, author and committer identities.
_LOG_FORMAT = "%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce"
_HEADER_FIELDS = 6
#: The same, then author and committer dates (strict ISO 8601) and the subject.
_HISTORY_FORMAT = _LOG_FORMAT + "%x00%aI%x00%cI%x00%s"
#: What ``git verify-commit --raw`` prints (ssh-keygen's words) for a good signature
#: by a key of the allowed-signers file.
_SSH_GOOD = re.compile(r'^Good "git" signature for (\S+) with ', re.MULTILINE)
_IDENT = re.compile(r"^(.*) <(.*)> \d+ [+-]\d{4}$")
_SIGNING_HINT = (
    "; to sign with SSH: `git config gpg.format ssh` and "
    "`git config user.signingkey ~/.ssh/id_ed25519.pub` (the key in your team's "
    "signing_keys)")


class FileChange(NamedTuple):
    """One file a commit changes; a blob id is None where the file does not exist."""

    path: str
    old_mode: str
    new_mode: str
    old_blob: str | None
    new_blob: str | None


class CommitInfo:
    """A commit of a branch: who made it and which files it changes (parsed from the
    raw diff lines when first asked for: a long history's files are mostly never
    looked at one by one)."""

    __slots__ = (
        "_files",
        "_paths",
        "_raw",
        "author_email",
        "author_name",
        "committer_email",
        "committer_name",
        "parents",
        "sha",
    )

    def __init__(self, sha: str, parents: tuple[str, ...], author_name: str,
                 author_email: str, committer_name: str, committer_email: str,
                 files: tuple[FileChange, ...] | None = (), raw: list[str] | None = None
                 ) -> None:
        self.sha = sha
        self.parents = parents
        self.author_name = author_name
        self.author_email = author_email
        self.committer_name = committer_name
        self.committer_email = committer_email
        self._files = files
        #: ``git log -z --raw`` tokens after the header: raw diff line, path, raw diff
        #: line, path...
        self._raw = raw
        self._paths: list[str] | None = None

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def files(self) -> tuple[FileChange, ...]:
        """What the commit changes (a merge of the audit trail: relative to its first
        parent; a merge of ``branch_commits``: nothing, git does not diff them)."""
        if self._files is None:
            self._files = tuple(_file_change(meta, path) for meta, path in self.raw_files())
        return self._files

    @property
    def paths(self) -> list[str]:
        """The paths of the files the commit changes (cheaper than ``files``; made
        once: an audit goes through them several times)."""
        if self._paths is None:
            self._paths = ([f.path for f in self.files] if self._raw is None
                           else self._raw[1::2])
        return self._paths

    def raw_files(self) -> list[tuple[str, str]]:
        """(raw diff line, path) of each file the commit changes, unparsed (the log
        pass checked their shape: pairs, then an empty token)."""
        if self._raw is None:  # a commit made with its files (``branch_commits``)
            return [(f":{f.old_mode} {f.new_mode} {f.old_blob or _ZERO} "
                     f"{f.new_blob or _ZERO} M", f.path) for f in self.files]
        metas = self._raw[0::2]
        if metas:
            metas[0] = metas[0].lstrip("\n")  # the first follows the header's newline
        return list(zip(metas, self._raw[1::2], strict=True))

    def apply(self, files: dict[str, tuple[str, str]]) -> None:
        """Apply the commit's changes to ``files`` (path -> (mode, blob id)) of its
        first parent: rebuilding a revision's files runs this for every commit of a
        long history, so it reads the raw lines in place."""
        pairs = (self.raw_files() if self._raw is None
                 else zip(self._raw[0::2], self._raw[1::2], strict=True))
        for meta, path in pairs:
            # ":100644 100644 <40> <40> M", after a newline for the first file
            if len(meta) in (98, 99):
                mode, blob = meta[-90:-84], meta[-42:-2]
            else:
                mode, blob = raw_new_side(meta.lstrip("\n"))
            if mode == GONE_MODE:
                files.pop(path, None)
            else:
                files[path] = (mode, blob)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.sha[:12]})"


class HistoryCommit(CommitInfo):
    """A commit of the audit trail: :class:`CommitInfo` with its dates (parsed when
    first asked for) and subject; a merge's ``files`` are what it changes relative
    to its first parent."""

    __slots__ = ("_authored", "_committed", "subject")

    def __init__(self, sha: str, parents: tuple[str, ...], author_name: str,
                 author_email: str, committer_name: str, committer_email: str,
                 files: tuple[FileChange, ...] | None, authored: str | datetime,
                 committed: str | datetime, subject: str, raw: list[str] | None = None
                 ) -> None:
        super().__init__(sha, parents, author_name, author_email, committer_name,
                         committer_email, files, raw)
        self._authored = authored
        self._committed = committed
        self.subject = subject

    @property
    def authored_at(self) -> datetime:
        if isinstance(self._authored, str):
            self._authored = datetime.fromisoformat(self._authored)
        return self._authored

    @property
    def committed_at(self) -> datetime:
        if isinstance(self._committed, str):
            self._committed = datetime.fromisoformat(self._committed)
        return self._committed


C = TypeVar("C", bound=CommitInfo)
_ZERO = "0" * 40
#: The mode of a file that is not there (a raw line's new side when it is deleted).
GONE_MODE = "000000"


def _commit_info(fields: list[str], files: tuple[FileChange, ...]) -> CommitInfo:
    sha, parents, an, ae, cn, ce = fields
    return CommitInfo(sha, tuple(parents.split()), an, ae, cn, ce, files)


def _parse_log(tokens: list[str]) -> list[CommitInfo]:
    """Parse ``git log -z --raw --format=_LOG_FORMAT``."""
    return _parse_commits(tokens, _HEADER_FIELDS, _commit_info)


def _parse_commits(tokens: list[str], size: int,
                   make: Callable[[list[str], tuple[FileChange, ...]], C]) -> list[C]:
    """Parse ``git log -z --raw --format=...``: each commit's ``size`` header fields,
    then pairs of (raw diff line, path), all separated by NUL; ``make`` builds a
    commit from its fields and files."""
    commits: list[C] = []
    at, end = 0, len(tokens)
    while at < end:
        token = tokens[at].lstrip("\n")
        if not token:
            at += 1
            continue
        fields = [token, *tokens[at + 1:at + size]]
        at += size
        files = []
        while at + 1 < end and tokens[at].lstrip("\n").startswith(":"):
            files.append(_file_change(tokens[at].lstrip("\n"), tokens[at + 1]))
            at += 2
        commits.append(make(fields, tuple(files)))
    return commits


class LogPass:
    """The audit trail's one ``git log``: every commit reachable from ``rev`` with its
    dates, subject and raw file changes (merges: relative to their first parent),
    started in the background at once, so git walks the history while Python loads
    the rest of the program. A shallow clone's history simply stops at its graft."""

    def __init__(self, top: Path, rev: str) -> None:
        self.rev = rev
        self._read: tuple[list[HistoryCommit] | None] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        # Output to unnamed files, not pipes: git must not stall on a full pipe while
        # this process is busy elsewhere (a long history is megabytes).
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by commits()
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - closed by commits()
        try:
            self._process = subprocess.Popen(
                ["git", "log", "--diff-merges=first-parent", "--root", "-z", "--raw",
                 "--no-abbrev", "--no-renames", "--no-color", "--no-show-signature",
                 "--no-ext-diff", f"--format=%x01{_HISTORY_FORMAT}", "--end-of-options",
                 rev, "--"],
                cwd=top, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err)
        except OSError as exc:
            self._error = f"cannot run git: {exc}"

    def close(self) -> None:
        """Stop git if it still runs (the audit failed before it needed the history)."""
        if self._process is not None and self._read is None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._read = (None,)
        self._out.close()
        self._err.close()

    def commits(self) -> list[HistoryCommit] | None:
        """The commits, ``rev`` first (None when git does not know ``rev``)."""
        if self._process is None:
            raise FatalError(self._error)
        if self._read is not None:
            return self._read[0]
        self._process.wait()
        with self._out, self._err:
            self._out.seek(0)
            out = self._out.read()
            self._err.seek(0)
            err = self._err.read()
        if self._process.returncode:
            said = err.decode(errors="replace").strip()
            if not _UNKNOWN_REV.search(said):
                raise FatalError(f"git log {self.rev} failed: {said.splitlines()[-1:] or ''}")
            self._read = (None,)
        else:
            self._read = (_parse_pass(out.decode("utf-8", "replace")),)
        return self._read[0]


_UNKNOWN_REV = re.compile(r"unknown revision|bad revision|ambiguous argument|"
                          r"does not have any commits")


def _parse_pass(text: str) -> list[HistoryCommit]:
    """Parse the pass's output by position: NUL-separated header fields (names and
    subjects are anyone's text, so no character in them is trusted as a separator),
    then (raw diff line, path) pairs. Output that does not have this shape is an
    error, never a silently shifted history. (Ten thousand commits: the commits are
    made without calling their constructors.)"""
    tokens = text.split("\0")
    commits: list[HistoryCommit] = []
    append, new, start = commits.append, object.__new__, _COMMIT_START.match
    at, end = 0, len(tokens) - 1  # the output ends with a NUL
    while at < end:
        head = tokens[at]
        if head[:1] == "\n":
            head = head[1:]
        if at + 9 > end or not start(head):
            raise FatalError(f"cannot read the output of git log near {head[:60]!r}")
        first = at = at + 9
        if at < end and tokens[at][:2] == "\n:":  # the first raw line follows a newline
            at += 2
            while at < end and tokens[at][:1] == ":":
                at += 2
        commit = new(HistoryCommit)
        parents = tokens[first - 8]  # one id, mostly: no need to split it
        commit.sha = head[1:]
        commit.parents = (parents,) if len(parents) in (40, 64) else tuple(parents.split())
        (commit.author_name, commit.author_email, commit.committer_name,
         commit.committer_email, commit._authored, commit._committed,
         commit.subject) = tokens[first - 7:first]
        commit._files = commit._paths = None
        commit._raw = tokens[first:at]
        append(commit)
    return commits


_COMMIT_START = re.compile(r"\x01[0-9a-f]{40}(?:[0-9a-f]{24})?\Z")


def raw_new_side(meta: str) -> tuple[str, str]:
    """(new mode, new blob id) of a raw diff line (``000000`` and zeros: deleted)."""
    if len(meta) == 98:  # ":100644 100644 <40> <40> M", the common case, by position
        return meta[8:14], meta[56:96]
    _old_mode, new_mode, _old, new, *_status = meta[1:].split()
    return new_mode, new


def _file_change(raw: str, path: str) -> FileChange:
    # ":100644 100644 <old id> <new id> M": an all-zero id means no file on that side.
    old_mode, new_mode, old, new, _status = raw[1:].split()
    return FileChange(path, old_mode, new_mode, old if old.strip("0") else None,
                      new if new.strip("0") else None)


def _write_ids(stream: Any, ids: list[str]) -> None:
    try:
        stream.write("\n".join(ids).encode() + b"\n")
        stream.flush()
    except (BrokenPipeError, ValueError):  # git stopped: the reader says so
        pass


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End a kept ``git cat-file --batch``: closing its input ends it (in a process
    about to end itself, git is waited for only at its very end)."""
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    if lifetime.ends_with_exit():
        lifetime.before_exit(process.wait)
        return
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _parse_ls_tree(out: str) -> Iterator[TreeEntry]:
    for record in out.split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, blob_id, size = meta.split()
        if kind == "blob":
            yield TreeEntry(path, mode, blob_id, int(size) if size != "-" else 0)


def git_dir_of(root: Path) -> Path | None:
    """The common git directory above ``root``, or None outside git (cheap: no GitPython)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out) if out else None


def clean_index_blobs(root: Path, folders: tuple[str, ...]) -> dict[str, str]:
    """Blob ids, from git's index, of the files under ``folders`` (relative to
    ``root``) whose working-tree copy git sees as unmodified; empty outside git.
    Two quick git calls instead of reading and hashing every file."""
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=True).stdout

    try:
        staged = run("ls-files", "--stage", "-z", "--", *folders)
        modified = set(run("diff-files", "--name-only", "--relative", "-z", "--",
                           *folders).split("\0"))
    except (OSError, subprocess.CalledProcessError):
        return {}
    blobs = {}
    for entry in staged.split("\0"):
        if "\t" in entry:
            meta, path = entry.split("\t", 1)
            mode, blob, stage = meta.split()
            if stage == "0" and mode.startswith("100") and path not in modified:
                blobs[path] = blob
    return blobs


def work_tree_top(directory: Path) -> Path | None:
    """The top of the git working tree that holds ``directory``; None outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=directory,
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out) if out else None


def init_repository(directory: Path, branch: str) -> None:
    """``git init`` in ``directory``, with ``branch`` as the (unborn) first branch."""
    try:
        subprocess.run(["git", "init", "--quiet", f"--initial-branch={branch}"], cwd=directory,
                       capture_output=True, text=True, check=True)
    except OSError as exc:
        raise FatalError(f"cannot run git ({exc.strerror or exc}); install git, then run "
                         f"`git init -b {branch}` in {directory}") from None
    except subprocess.CalledProcessError as exc:
        reason = " ".join(str(exc.stderr).split()) or f"exit status {exc.returncode}"
        raise FatalError(f"`git init -b {branch}` failed in {directory}: {reason}") from None
