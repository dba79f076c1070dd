"""Approvals from GitHub pull request reviews, judged the way policy-bot judges them.

It owns turning a pull request's reviews and commits into an :class:`ApprovalSet`:
the latest review of each person counts, a comment does not undo an approval, a
dismissal withdraws it, and every review not counted is listed with its reason.
Whether a stale (``fresh=False``) approval counts is the rule's business
(``invalidate_on_push``). The Actions event is read by
:mod:`opsascode.approvals.github_event` (re-exported here), HTTP lives in
:mod:`opsascode.approvals.github_api`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from opsascode.approvals import (
    APPROVED,
    CHANGES_REQUESTED,
    Approval,
    ApprovalSet,
    NotCounted,
    PullRequestFacts,
)
from opsascode.approvals.github_api import (
    DEFAULT_API_URL,
    PERMISSIONS_HINT,
    GitHubClient,
    Transport,
)
from opsascode.approvals.github_event import (
    SUPPORTED_EVENTS,
    GitHubEvent,
    commit_id,
    event_revisions,
    is_repository_name,
    load_event,
    login_of,
    parse_event,
    required,
)
from opsascode.errors import FatalError

__all__ = [
    "SUPPORTED_EVENTS",
    "GitHubApprovals",
    "GitHubEvent",
    "MergedPulls",
    "commit_contributors",
    "event_revisions",
    "judge_reviews",
    "load_event",
    "parse_event",
]

#: GitHub's pull request commits endpoint lists no more than this many commits.
MAX_LISTED_COMMITS = 250
#: GitHub's committer for commits made in its web interface: not a person.
WEB_FLOW = "web-flow"
MISSING_TOKEN = (
    "GITHUB_TOKEN is not set; pass it to the step (`env: GITHUB_TOKEN: "
    "${{ secrets.GITHUB_TOKEN }}`) and grant it read access: " + PERMISSIONS_HINT
)

_REVIEW_STATES = {"APPROVED": APPROVED, "CHANGES_REQUESTED": CHANGES_REQUESTED}


class GitHubApprovals:
    """The reviews of the pull request an Actions event is about."""

    name = "github"

    def __init__(self, client: GitHubClient, event: GitHubEvent) -> None:
        self.client = client
        self.event = event

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> GitHubApprovals:
        """The source for the running Actions job: its event, token and API URL."""
        env = os.environ if environ is None else environ
        token = _token(env)
        event = load_event(env)
        return cls(GitHubClient(token, _api_url(env), transport, sleep), event)

    def collect(self) -> ApprovalSet:
        pulls = f"/repos/{self.event.repository}/pulls/{self.event.number}"
        pull = _object(self.client, pulls)
        head = self._reviewed_head(pull)
        commits = _list(self.client, f"{pulls}/commits")
        _check_complete(commits, pull, head)
        reviews = _list(self.client, f"{pulls}/reviews")
        approvals, not_counted = judge_reviews(reviews, head)
        facts = _facts(pull, commits, head, self.event.base, self.event.number)
        return ApprovalSet(facts, approvals, not_counted)

    def _reviewed_head(self, pull: Mapping[str, Any]) -> str:
        """The commit a review must be on to be fresh."""
        head = commit_id(required(pull, "head", "sha", where="GitHub's pull request"),
                         "the pull request's head.sha")
        expected = self.event.pull_head
        if expected is not None and head != expected:
            # Judging the event's commit with another commit's reviews and
            # contributors would mix two states; the newer commit's run decides.
            raise FatalError(
                f"pull request #{self.event.number} moved from {expected[:12]} to "
                f"{head[:12]} while this check ran; the check of {head[:12]} decides"
            )
        return head


class MergedPulls:
    """The reviews of merged pull requests, for ``audit --approvals github``.

    A merge commit's pull request is the one GitHub's merge subject names ("Merge
    pull request #7 from ..."), else the one the API associates with the commit as
    its merge commit. A squash merge is a single-parent commit the API names as a
    merged pull request's merge commit (never a subject's say-so: anyone can write
    "(#7)"). Its reviews are judged as the gate saw them when it merged: only those
    submitted by the merge's time count (``until``); those submitted after it are
    the late approvals an emergency change may owe (``after``). Each pull request is
    fetched once.
    """

    name = "github"

    def __init__(self, client: GitHubClient, repository: str) -> None:
        if not is_repository_name(repository):
            raise FatalError(f"{repository!r} is not a GitHub repository (OWNER/NAME)")
        self.client = client
        self.repository = repository
        self._pulls: dict[int, tuple[dict[str, Any], list[dict[str, Any]],
                                     list[dict[str, Any]]]] = {}
        self._squashed: dict[str, int | None] = {}

    @classmethod
    def from_environment(
        cls,
        repository: str | None = None,
        environ: Mapping[str, str] | None = None,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> MergedPulls:
        """The reviews of ``repository`` (else ``GITHUB_REPOSITORY``), with the token
        and API URL of the environment."""
        env = os.environ if environ is None else environ
        token = _token(env)
        name = repository or env.get("GITHUB_REPOSITORY", "").strip()
        if not name:
            raise FatalError("which GitHub repository? pass --repository OWNER/NAME (in "
                             "GitHub Actions, GITHUB_REPOSITORY names it)")
        return cls(GitHubClient(token, _api_url(env), transport, sleep), name)

    def number(self, merge: str, subject: str) -> int | None:
        """The pull request a merge commit merged; None when it merged none."""
        found = _MERGE_SUBJECT.match(subject)
        if found:
            return int(found.group(1))
        path = f"/repos/{self.repository}/commits/{commit_id(merge, 'the merge')}/pulls"
        for pull in _list(self.client, path):
            number = pull.get("number")
            if pull.get("merge_commit_sha") == merge and isinstance(number, int):
                return number
        return None

    def squashed(self, commit: str) -> int | None:
        """The pull request GitHub merged by making ``commit``, a commit with one parent
        (a squash merge); None when it is no pull request's merge (a direct push, one
        GitHub may not even have: not pushed yet)."""
        if commit not in self._squashed:
            path = f"/repos/{self.repository}/commits/{commit_id(commit, 'the commit')}/pulls"
            self._squashed[commit] = next(
                (number for pull in _list(self.client, path, empty=(422,))
                 if pull.get("merge_commit_sha") == commit and pull.get("merged_at")
                 and isinstance(number := pull.get("number"), int)), None)
        return self._squashed[commit]

    def approvals(self, number: int, base: str, head: str, *, until: datetime | None = None,
                  after: datetime | None = None, squash: bool = False) -> ApprovalSet:
        """The reviews of pull request ``number`` submitted by ``until`` (or after
        ``after``), judged against ``head``, the commit it merged; ``squash``: ``head``
        is the commit GitHub made of it, and the reviews are judged against the pull
        request's own head."""
        pull, commits, reviews = self._pull(number)
        if squash:
            sha = (pull.get("head") or {}).get("sha")
            head = sha if isinstance(sha, str) else head
        chosen = [r for r in reviews
                  if (at := _timestamp(r.get("submitted_at"))) is None
                  or ((until is None or at <= until) and (after is None or at > after))]
        approvals, not_counted = judge_reviews(chosen, head)
        return ApprovalSet(_facts(pull, commits, head, base, number), approvals, not_counted)

    def _pull(self, number: int) -> tuple[dict[str, Any], list[dict[str, Any]],
                                           list[dict[str, Any]]]:
        if number not in self._pulls:
            path = f"/repos/{self.repository}/pulls/{number}"
            self._pulls[number] = (_object(self.client, path),
                                   _list(self.client, f"{path}/commits"),
                                   _list(self.client, f"{path}/reviews"))
        return self._pulls[number]


_MERGE_SUBJECT = re.compile(r"Merge pull request #([0-9]{1,9}) from ")


def _token(env: Mapping[str, str]) -> str:
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise FatalError(MISSING_TOKEN)
    return token


def _api_url(env: Mapping[str, str]) -> str:
    return env.get("GITHUB_API_URL") or DEFAULT_API_URL


def _object(client: GitHubClient, path: str) -> dict[str, Any]:
    found = client.get_json(path)
    if not isinstance(found, dict):
        raise FatalError(f"GET {path}: expected a JSON object from GitHub")
    return found


def _list(client: GitHubClient, path: str, empty: tuple[int, ...] = ()
          ) -> list[dict[str, Any]]:
    return _objects(client.get_paginated(path, empty=empty), path)


def _facts(pull: Mapping[str, Any], commits: list[dict[str, Any]], head: str,
           base: str | None, number: int) -> PullRequestFacts:
    return PullRequestFacts(
        author=login_of(pull.get("user")), contributors=commit_contributors(commits),
        head=head, base=base, number=number,
        title=pull.get("title") if isinstance(pull.get("title"), str) else None,
    )


def judge_reviews(
    reviews: Iterable[Mapping[str, Any]], head: str
) -> tuple[list[Approval], list[NotCounted]]:
    """The latest approving or blocking review of each person, and all the rest.

    A comment-only review leaves a person's earlier verdict standing; a dismissed
    one withdraws it. A review on another commit than ``head`` is not fresh.
    """
    current: dict[str, Approval] = {}
    not_counted: list[NotCounted] = []
    for review in sorted(reviews, key=_review_order):
        approval = _approval(review, head)
        ignored = _ignored_reason(review)
        if ignored is not None:
            not_counted.append(NotCounted(approval, ignored))
            continue
        key = approval.by.casefold()  # GitHub logins are case-insensitive
        previous = current.pop(key, None)
        if previous is not None:
            not_counted.append(NotCounted(previous, _superseded(approval)))
        if approval.state == "dismissed":
            not_counted.append(NotCounted(approval, "review was dismissed"))
        else:
            current[key] = approval
    approvals = sorted(current.values(), key=lambda a: a.by.casefold())
    return approvals, sorted(not_counted, key=_not_counted_order)


def commit_contributors(commits: Iterable[Mapping[str, Any]]) -> set[str]:
    """Logins of everyone who authored or committed one of the commits."""
    contributors: set[str] = set()
    for commit in commits:
        author, committer = login_of(commit.get("author")), login_of(commit.get("committer"))
        if author:
            contributors.add(author)
        if committer and committer != WEB_FLOW:
            contributors.add(committer)
    return contributors


def _approval(review: Mapping[str, Any], head: str) -> Approval:
    raw_state = str(review.get("state", "")).upper()
    commit = review.get("commit_id") if isinstance(review.get("commit_id"), str) else None
    return Approval(
        by=login_of(review.get("user")) or "ghost",  # GitHub's name for a deleted account
        at=_timestamp(review.get("submitted_at")),
        state=_REVIEW_STATES.get(raw_state, raw_state.lower()),
        source="github",
        commit=commit,
        fresh=commit == head,
    )


def _ignored_reason(review: Mapping[str, Any]) -> str | None:
    """Why a review can never count, whoever wrote it and whatever came later."""
    user = review.get("user")
    state = str(review.get("state", "")).upper()
    if not isinstance(user, dict) or not login_of(user):
        return "review by a deleted account"
    if user.get("type") == "Bot" or str(user.get("login")).endswith("[bot]"):
        return "review by a bot account; bots cannot approve"
    if state == "COMMENTED":
        return "comment-only review: neither approves nor requests changes"
    if state == "PENDING" or review.get("submitted_at") is None:
        return "review not submitted yet"
    if state not in (*_REVIEW_STATES, "DISMISSED"):
        return f"unknown review state {state!r}"
    return None


def _superseded(later: Approval) -> str:
    when = f" at {later.at.isoformat()}" if later.at else ""
    if later.state == "dismissed":
        return f"withdrawn: {later.by}'s later review{when} was dismissed"
    return f"superseded by {later.by}'s later review{when}"


def _review_order(review: Mapping[str, Any]) -> tuple[datetime, int]:
    at = _timestamp(review.get("submitted_at")) or datetime.max.replace(tzinfo=UTC)
    number = review.get("id")
    return at, number if isinstance(number, int) else 0


def _not_counted_order(item: NotCounted) -> tuple[str, datetime]:
    return item.approval.by.casefold(), item.approval.at or datetime.min.replace(tzinfo=UTC)


def _objects(items: list[Any], path: str) -> list[dict[str, Any]]:
    if not all(isinstance(item, dict) for item in items):
        raise FatalError(f"GET {path}: expected a list of JSON objects from GitHub")
    return items


def _check_complete(commits: list[dict[str, Any]], pull: Mapping[str, Any], head: str) -> None:
    """Fail closed when the listed commits may miss a contributor."""
    total = pull.get("commits")
    if isinstance(total, int) and total > len(commits):
        limit = f"; GitHub lists at most {MAX_LISTED_COMMITS}" if total > MAX_LISTED_COMMITS else ""
        raise FatalError(
            f"GitHub listed {len(commits)} of the pull request's {total} commits{limit}; "
            "its contributors cannot be determined"
        )
    if not any(commit.get("sha") == head for commit in commits):
        raise FatalError(
            f"the head commit {head[:12]} is missing from the pull request's commits "
            "(a push while this check ran?); re-run the check"
        )


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # GitHub always sends UTC ("Z"); a bare time is read as UTC rather than local.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
