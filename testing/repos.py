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


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True,
                          text=True).stdout


def init_git(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    return root


def commit_all(root: Path, message: str = "commit") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


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
