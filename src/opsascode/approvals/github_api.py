"""The GitHub REST client: authenticated GET requests, pagination, polite retries.

It owns everything HTTP: the ``GITHUB_API_URL`` base (GitHub Enterprise Server
too), the token, timeouts, the ``Link`` header, rate limits and 5xx retries, and
turning failures into a :class:`FatalError` that names the path and the status,
never the token. It knows nothing about reviews (:mod:`opsascode.approvals.github`).

The network sits behind a :data:`Transport`, so tests pass a fake one and never
touch the network; sleeping and the clock are injectable for the same reason.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from opsascode.errors import FatalError

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30.0
MAX_BODY_BYTES = 20 * 1024 * 1024
#: A rate limit that lifts later than this is reported rather than waited for.
MAX_WAIT_SECONDS = 60.0
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
USER_AGENT = "opsascode"
PERMISSIONS_HINT = "the job needs `permissions: pull-requests: read, contents: read`"

_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class HttpResponse(NamedTuple):
    status: int
    headers: Mapping[str, str]
    body: bytes


#: Sends one request and returns the response, whatever its status; raises
#: ``OSError`` (``URLError``, timeouts) or ``http.client.HTTPException`` only when
#: no complete response arrived.
Transport = Callable[[urllib.request.Request], HttpResponse]


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the same scheme and host.

    The token is an unredirected header, so urllib never forwards it; refusing
    other hosts outright also keeps a redirect from leaving the API silently.
    """

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str,
        headers: Any, newurl: str,
    ) -> urllib.request.Request | None:
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            return None  # the 3xx then comes back as a response and fails clearly
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class UrllibTransport:
    """The real transport: ``urllib`` with a timeout on every request."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_SameOriginRedirects)

    def __call__(self, request: urllib.request.Request) -> HttpResponse:
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return HttpResponse(response.status, dict(response.headers.items()),
                                    _read_limited(response))
        except urllib.error.HTTPError as error:
            with error:
                body = _read_limited(error) if error.fp is not None else b""
                return HttpResponse(error.code, dict(error.headers.items()), body)


def _read_limited(stream: Any) -> bytes:
    body: bytes = stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise FatalError(f"GitHub API response larger than {MAX_BODY_BYTES} bytes")
    return body


class _Token:
    """Holds the token so that no repr, traceback or log line can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def header(self) -> str:
        return f"Bearer {self._value}"

    def __repr__(self) -> str:
        return "<token hidden>"

    __str__ = __repr__


class GitHubClient:
    """Authenticated GET requests against one GitHub (or GHES) REST API."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not token:
            raise FatalError(f"GITHUB_TOKEN is empty; {PERMISSIONS_HINT}")
        self._token = _Token(token)
        self.api_url = _checked_api_url(api_url)
        self._transport = transport or UrllibTransport()
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.api_url!r})"

    def get_json(self, path: str) -> Any:
        """The decoded JSON of ``GET {api_url}{path}``."""
        return self._get(self.api_url + path)[0]

    def get_paginated(self, path: str, per_page: int = 100, *,
                      empty: tuple[int, ...] = ()) -> list[Any]:
        """Every item of a list endpoint, following ``Link: <...>; rel="next"``; a
        status in ``empty`` means there is none (GitHub's 422 for a commit it does not
        have, when asked for the pull requests of a commit)."""
        separator = "&" if "?" in path else "?"
        url: str | None = f"{self.api_url}{path}{separator}per_page={per_page}"
        items: list[Any] = []
        while url is not None:
            page, headers = self._get(url, empty)
            if not isinstance(page, list):
                raise FatalError(f"GET {self._path(url)}: expected a JSON list from GitHub")
            items.extend(page)
            url = self._next_page(headers)
        return items

    def _get(self, url: str, empty: tuple[int, ...] = ()) -> tuple[Any, Mapping[str, str]]:
        response = self._send_with_retries(url)
        if response.status in empty:
            return [], {}
        if response.status != 200:
            raise FatalError(_status_message(self._path(url), response))
        try:
            return json.loads(response.body), response.headers
        except ValueError:
            raise FatalError(f"GET {self._path(url)}: GitHub returned invalid JSON") from None

    def _send_with_retries(self, url: str) -> HttpResponse:
        rate_limited = server_errors = 0
        while True:
            response = self._send(url, allow_failure=server_errors < SERVER_ERROR_RETRIES)
            wait = self._rate_limit_wait(response)
            if wait is not None:
                self._wait_for_rate_limit(url, wait, attempt=rate_limited)
                rate_limited += 1
            elif _is_transient(response) and server_errors < SERVER_ERROR_RETRIES:
                server_errors += 1
                self._sleep(2.0 ** (server_errors - 1))  # 1 s, then 2 s
            else:
                return response

    def _send(self, url: str, allow_failure: bool) -> HttpResponse:
        request = urllib.request.Request(url, method="GET", headers={
            "Accept": "application/vnd.github+json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Api-Version": "2022-11-28",
        })
        # Unredirected: urllib drops it if the request is redirected anywhere.
        request.add_unredirected_header("Authorization", self._token.header())
        try:
            response = self._transport(request)
        except (OSError, http.client.HTTPException) as error:
            if allow_failure:
                # A network failure is retried like a 5xx: status 0 marks it.
                return HttpResponse(0, {}, b"")
            reason = getattr(error, "reason", None) or type(error).__name__
            raise FatalError(f"GET {self._path(url)}: no response from GitHub ({reason})") from None
        headers = {name.lower(): value for name, value in response.headers.items()}
        return HttpResponse(response.status, headers, response.body)

    def _rate_limit_wait(self, response: HttpResponse) -> float | None:
        """Seconds to wait before retrying, or None when it is not a rate limit."""
        headers = response.headers
        retry_after = headers.get("retry-after")
        limited = response.status == 429 or (response.status == 403 and (
            retry_after is not None or headers.get("x-ratelimit-remaining") == "0"))
        if not limited:
            return None
        if retry_after is not None and retry_after.strip().isdigit():
            return float(retry_after)
        reset = headers.get("x-ratelimit-reset", "")
        if reset.strip().isdigit():
            return max(0.0, float(reset) - self._clock()) + 1.0
        return MAX_WAIT_SECONDS  # GitHub's advice for secondary limits: wait a minute

    def _wait_for_rate_limit(self, url: str, wait: float, attempt: int) -> None:
        if attempt >= RATE_LIMIT_RETRIES:
            raise FatalError(
                f"GET {self._path(url)}: GitHub API rate limit still exceeded after "
                f"{RATE_LIMIT_RETRIES} retries; re-run the check later"
            )
        if wait > MAX_WAIT_SECONDS:
            # Waiting longer than a CI job should idle helps nobody: say when to re-run.
            raise FatalError(
                f"GET {self._path(url)}: GitHub API rate limit exceeded; it lifts in "
                f"{wait:.0f} s, re-run the check after that"
            )
        self._sleep(wait)

    def _next_page(self, headers: Mapping[str, str]) -> str | None:
        match = _NEXT_LINK.search(headers.get("link", ""))
        if match is None:
            return None
        url = match.group(1)
        if not url.startswith(self.api_url + "/"):
            # The token goes with every request: never follow a link off the API.
            raise FatalError(f"GitHub returned a next-page link outside {self.api_url}")
        return url

    def _path(self, url: str) -> str:
        """The part of ``url`` worth showing: the path below the API root."""
        return url[len(self.api_url):] if url.startswith(self.api_url) else url


def _checked_api_url(api_url: str) -> str:
    parts = urllib.parse.urlsplit(api_url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise FatalError(f"GITHUB_API_URL is not an http(s) URL: {api_url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise FatalError("GITHUB_API_URL must be a plain URL (no credentials or query)")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _is_transient(response: HttpResponse) -> bool:
    return response.status == 0 or 500 <= response.status <= 599


def _status_message(path: str, response: HttpResponse) -> str:
    if response.status == 0:
        return f"GET {path}: no response from GitHub after retries"
    text = f"GET {path} failed with HTTP {response.status}"
    detail = _github_message(response.body)
    if detail:
        text += f" ({detail})"
    if response.status in (401, 403, 404):
        text += (": the token may lack access to this repository or pull request; "
                 f"{PERMISSIONS_HINT}")
    return text


def _github_message(body: bytes) -> str:
    """GitHub's one-line ``message``, if the error body has one."""
    try:
        message = json.loads(body).get("message", "")
    except (ValueError, AttributeError):
        return ""
    return " ".join(str(message).split())[:200]
