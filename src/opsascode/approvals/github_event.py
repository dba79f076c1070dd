"""The GitHub Actions event the gate runs on, read from its payload.

It owns which events the gate supports (``pull_request``, ``pull_request_target``,
``pull_request_review``, ``merge_group``), the revisions each one asks the gate to
check, and validating what is taken from the payload (commit ids, repository name,
pull request number) before it reaches a URL or git.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsascode.errors import FatalError

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target", "pull_request_review")
SUPPORTED_EVENTS = (*PULL_REQUEST_EVENTS, "merge_group")

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
# refs/heads/gh-readonly-queue/<base branch>/pr-<number>-<sha>
_QUEUE_REF = re.compile(r"refs/heads/gh-readonly-queue/.+/pr-([0-9]+)-[0-9a-f]{40,64}")


@dataclass(frozen=True)
class GitHubEvent:
    """What the gate needs from an Actions event payload."""

    name: str
    repository: str  # owner/name
    number: int
    base: str  # the revision the gate compares against
    head: str  # the revision the gate checks
    #: The pull request's head when the event fired; None for merge_group, whose
    #: head is a temporary merge commit (the pull request's head comes from the API).
    pull_head: str | None = None
    author: str | None = None


def parse_event(event_name: str, payload: Mapping[str, Any]) -> GitHubEvent:
    """The gate's view of one event payload; FatalError for other events."""
    repository = _repository(required(payload, "repository", "full_name"))
    if event_name in PULL_REQUEST_EVENTS:
        head = _commit(payload, "pull_request", "head", "sha")
        return GitHubEvent(
            event_name, repository, _number(required(payload, "pull_request", "number")),
            base=_commit(payload, "pull_request", "base", "sha"), head=head,
            pull_head=head, author=login_of(required(payload, "pull_request").get("user")),
        )
    if event_name == "merge_group":
        head_ref = required(payload, "merge_group", "head_ref")
        return GitHubEvent(
            event_name, repository, _queued_pull_number(head_ref),
            base=_commit(payload, "merge_group", "base_sha"),
            head=_commit(payload, "merge_group", "head_sha"),
        )
    raise FatalError(
        f"the GitHub gate does not run on {event_name!r} events; "
        f"use one of: {', '.join(SUPPORTED_EVENTS)}"
    )


def event_revisions(event_name: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """The (base, head) commit ids the gate checks for this event."""
    event = parse_event(event_name, payload)
    return event.base, event.head


def load_event(environ: Mapping[str, str]) -> GitHubEvent:
    """The event of the running Actions job (``GITHUB_EVENT_NAME``/``_PATH``)."""
    name, path = environ.get("GITHUB_EVENT_NAME"), environ.get("GITHUB_EVENT_PATH")
    if not name or not path:
        raise FatalError(
            "GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set; GitHub approvals "
            "can only be read inside a GitHub Actions job"
        )
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FatalError(f"cannot read the event payload {path}: {error}") from None
    if not isinstance(payload, dict):
        raise FatalError(f"the event payload {path} is not a JSON object")
    return parse_event(name, payload)


def required(data: Any, *keys: str, where: str = "the event payload") -> Any:
    """``data[k1][k2]...``, or a FatalError naming the missing field."""
    for depth, key in enumerate(keys):
        if not isinstance(data, dict) or data.get(key) is None:
            raise FatalError(f"{where} lacks {'.'.join(keys[:depth + 1])}")
        data = data[key]
    return data


def commit_id(value: Any, what: str) -> str:
    """``value`` if it is a full commit id (SHA-1 or SHA-256), else a FatalError."""
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        raise FatalError(f"{what} is not a commit id: {value!r:.80}")
    return value


def _commit(payload: Mapping[str, Any], *keys: str) -> str:
    return commit_id(required(payload, *keys), ".".join(keys))


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise FatalError(f"pull request number is not a positive integer: {value!r:.40}")
    return value


def is_repository_name(value: Any) -> bool:
    """``owner/name``, each a GitHub name (not ``.`` or ``..``): safe in an API path."""
    return (isinstance(value, str) and _REPOSITORY.fullmatch(value) is not None
            and not any(part in (".", "..") for part in value.split("/")))


def _repository(value: Any) -> str:
    if not is_repository_name(value):
        raise FatalError(f"repository.full_name is not owner/name: {value!r:.100}")
    return str(value)


def _queued_pull_number(head_ref: Any) -> int:
    match = _QUEUE_REF.fullmatch(head_ref) if isinstance(head_ref, str) else None
    if match is None:
        raise FatalError(
            f"merge_group.head_ref {head_ref!r:.200} is not a merge queue branch "
            "(refs/heads/gh-readonly-queue/<base>/pr-<number>-<sha>)"
        )
    return _number(int(match.group(1)))


def login_of(user: Any) -> str | None:
    """The login of a GitHub user object, if it has one."""
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) and login else None
