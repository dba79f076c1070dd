"""Build operations repositories (and real git repositories) for tests."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsascode import cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2026-11-20T12:00:00+01:00",
    "GIT_COMMITTER_DATE": "2026-11-20T12:00:00+01:00",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write files (text is dedented) under root; returns root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in root with the pinned identity (or ``env``, e.g. :func:`identity`)."""
    full_env = {**os.environ, **(env or GIT_ENV)}
    return subprocess.run(["git", *args], cwd=root, env=full_env, check=True,
                          capture_output=True, text=True).stdout


def init_git(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    return root


def commit_all(root: Path, message: str = "commit") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def noreply(handle: str) -> str:
    """The GitHub no-reply email address of a handle."""
    return f"1234567+{handle}@users.noreply.github.com"


def identity(name: str, email: str | None = None) -> dict[str, str]:
    """GIT_ENV with another author and committer (email: the GitHub no-reply one)."""
    email = email or noreply(name)
    return {**GIT_ENV, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}


def commit_as(root: Path, name: str, message: str = "commit", *, email: str | None = None,
              sign: bool = False) -> str:
    """Commit everything as another person (signed with the repository's signing
    configuration when ``sign``); returns the commit id."""
    env = identity(name, email)
    git(root, "add", "-A", env=env)
    git(root, "commit", "-q", "--allow-empty", *(["-S"] if sign else ["--no-gpg-sign"]),
        "-m", message, env=env)
    return git(root, "rev-parse", "HEAD").strip()


def ssh_key(directory: Path, name: str) -> tuple[Path, str]:
    """A new ed25519 key pair (no passphrase): (private key file, public key text)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)],
                   check=True, capture_output=True)
    return path, path.with_suffix(".pub").read_text(encoding="utf-8").strip()


def configure_signing(root: Path, key: Path) -> None:
    """Sign the repository's commits with an SSH key (``gpg.format ssh``)."""
    git(root, "config", "gpg.format", "ssh")
    git(root, "config", "user.signingkey", str(key))
    git(root, "config", "commit.gpgsign", "true")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(capsys: Any, *argv: str) -> Result:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


MINIMAL = {
    "inventory/teams.yaml": """
        - id: team-ops
          kind: team
          members: [alice, bob]
          leads: [alice]
          roles: [management]
        """,
    "inventory/assets.yaml": """
        - id: svc-shop
          kind: service
          owner: team-ops
          tier: 2
          depends_on: [app-shop]
        - id: app-shop
          kind: application
          owner: team-ops
          version: "1.2"
          depends_on: [{id: db-shop, relation: stores_data_in}]
        - id: db-shop
          kind: database
          owner: team-ops
        """,
}


#: A change request as an engineer writes it: comments, `approvals: []`.
CHANGE = """
    # Change request for the shop database
    id: CHG-2026-0001
    kind: change
    title: Upgrade the shop database   # keep it short
    type: normal
    requester: carol
    team: team-ops
    targets: [db-shop]
    action: upgrade
    effect: outage
    window: {start: 2026-12-01T22:00:00+01:00, end: 2026-12-01T23:00:00+01:00}
    rollback_plan: restore the snapshot
    approvals: []           # git-native approvals
    """
CHANGE_FILE = "changes/chg-2026-0001.yaml"


def change_branch(root: Path, base_files: dict[str, str | bytes] | None = None,
                  branch: str = "feature") -> str:
    """A git repository: MINIMAL (plus ``base_files``) committed on main, then
    ``branch`` where carol commits CHANGE (as in a pull request); returns the id of
    the base commit."""
    write(root, {**MINIMAL, **(base_files or {})})
    init_git(root)
    base = commit_as(root, "maintainer", "the operations repository")
    git(root, "checkout", "-q", "-b", branch)
    write(root, {CHANGE_FILE: CHANGE})
    commit_as(root, "carol", "add the change request")
    return base


def fresh_python(code: str) -> list[str]:
    """The lines ``code`` prints in a new interpreter (what it imports and sets up is
    its own, not the test process's)."""
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.splitlines()
