"""Signed approval commits: an allowed-signers file from the BASE revision's team keys,
and ``git verify-commit`` against it.

Only SSH signatures are checked (``gpg.format=ssh``): the principal ssh-keygen
reports is the member the key belongs to. A key listed for two members proves
neither, so such keys are left out of the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from opsascode.git import GitRepo

_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
_KEY_TYPE = re.compile(r"^[a-z0-9][a-z0-9@.-]*$")
_KEY_DATA = re.compile(r"^[A-Za-z0-9+/]+={0,3}$")


def allowed_signers(keys: dict[str, list[str]]) -> str:
    """The text of an allowed-signers file (``principal namespaces="git" key``)."""
    owners: dict[str, set[str]] = {}
    for member, member_keys in keys.items():
        if not _HANDLE.match(member):
            continue
        for key in member_keys:
            parts = key.split()
            # Type and data only: a comment or a line break must not become options.
            if len(parts) >= 2 and _KEY_TYPE.match(parts[0]) and _KEY_DATA.match(parts[1]):
                owners.setdefault(f"{parts[0]} {parts[1]}", set()).add(member)
    lines = [f'{next(iter(members))} namespaces="git" {key}'
             for key, members in owners.items() if len(members) == 1]
    return "".join(f"{line}\n" for line in sorted(lines))


class Signatures:
    """Verifies commits against the team keys; one ``verify-commit`` per commit."""

    def __init__(self, git: GitRepo, keys: dict[str, list[str]] | None, workdir: Path) -> None:
        self.git = git
        self.has_keys = bool(keys)
        self.file: Path | None = None
        if keys:
            self.file = workdir / "allowed_signers"
            self.file.write_text(allowed_signers(keys), encoding="utf-8")
        self._signers: dict[str, str | None] = {}

    def signer(self, commit: str) -> str | None:
        """The member whose key signed the commit, or None."""
        if self.file is None:
            return None
        if commit not in self._signers:
            self._signers[commit] = self.git.verified_signer(commit, self.file)
        return self._signers[commit]

    def refusal(self, commit: str, signer: str | None, approver: str) -> str:
        """Why an approval commit is not signed by its approver."""
        if not self.has_keys:
            return ("not signed: signing is required, but the base revision's teams list "
                    "no signing keys")
        if signer is None:
            return (f"not signed: the commit that added it ({commit}) has no signature that "
                    "verifies with a key of the base revision's teams")
        return f"not signed by {approver}: the commit ({commit}) is signed with {signer}'s key"
