"""HTTP adapter: one conditional GET of a feed URL -> `FetchResult`.

The `Fetcher` wraps one `httpx.AsyncClient` shared by every feed and adds what
a polite, robust poller needs on top of it:

* conditional GET (``If-None-Match`` / ``If-Modified-Since``); a 304 comes back
  as a `FetchResult` with empty content and the validators kept;
* connect and read timeouts (httpx) plus a total deadline per attempt, body
  included, so a server dripping one byte a second cannot hold a slot forever;
* a body-size limit enforced while streaming (decoded bytes are counted) and
  an early rejection on a too large ``Content-Length``;
* at most ``max_redirects`` redirects;
* retries with exponential backoff and jitter (tenacity) on connect errors,
  5xx and 429, honouring ``Retry-After`` up to a ceiling; a server that
  answered and then was too slow (read timeout, total deadline) is not asked
  again in the same round;
* a budget per fetch: attempts and the waits between them together never
  take longer than ``budget_s``;
* a connection pool bounded overall and a semaphore per origin (host and
  port) for politeness;
* an address guard per fetch (`AddressGuard`, passed as ``guard``) checking
  every hop before it is sent and the address each response came from.

Every failure is raised as `FeedFetchError` naming the URL and the reason,
chained to the library exception.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential_jitter

from monitor.clock import Clock, SystemClock
from monitor.errors import FeedFetchError
from monitor.ingest.address_guard import AddressGuard
from monitor.models import FetchResult
from monitor.settings import (
    DEFAULT_BUDGET_S,
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_BYTES,
    DEFAULT_PER_HOST,
    DEFAULT_TIMEOUT_S,
    PollSettings,
)

logger = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_READ_TIMEOUT_S = 20.0
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_BASE_S = 1.0
DEFAULT_BACKOFF_MAX_S = 60.0
DEFAULT_MAX_RETRY_AFTER_S = 120.0

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, */*;q=0.8"
)
# Error bodies up to this size are read (and dropped) to keep the connection alive.
DRAIN_MAX_BYTES = 64 * 1024
# Statuses whose Retry-After header we honour (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})
# The request extension carrying a fetch's `AddressGuard`; httpx copies it to each redirect.
GUARD_EXTENSION = "monitor.address_guard"


@dataclass(frozen=True)
class FetchLimits:
    """Timeouts, sizes and retry policy of a `Fetcher`.

    Attributes:
        connect_timeout_s: Time allowed to open a connection.
        read_timeout_s: Longest silence allowed while reading the response.
        total_timeout_s: Deadline for one attempt, from request to last body byte.
        budget_s: Deadline for the whole fetch: every attempt and every wait.
        max_bytes: Largest decoded body accepted.
        max_redirects: Redirects followed before giving up.
        max_connections: Connections open at once, all hosts together.
        max_per_host: Requests in flight at once to one origin (host and port).
        retries: Attempts after the first one on transient failures.
        backoff_base_s: First backoff delay; it doubles per retry, plus up to
            this much random jitter.
        backoff_max_s: Ceiling of one backoff delay.
        max_retry_after_s: Longest ``Retry-After`` waited for in place; a
            longer one ends the fetch with `FeedFetchError.retry_after_s` set.
    """

    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    total_timeout_s: float = DEFAULT_TIMEOUT_S
    budget_s: float = DEFAULT_BUDGET_S
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    max_connections: int = DEFAULT_CONCURRENCY
    max_per_host: int = DEFAULT_PER_HOST
    retries: int = DEFAULT_RETRIES
    backoff_base_s: float = DEFAULT_BACKOFF_BASE_S
    backoff_max_s: float = DEFAULT_BACKOFF_MAX_S
    max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S

    def __post_init__(self) -> None:
        positive = {
            "connect_timeout_s": self.connect_timeout_s,
            "read_timeout_s": self.read_timeout_s,
            "total_timeout_s": self.total_timeout_s,
            "budget_s": self.budget_s,
            "max_bytes": self.max_bytes,
            "max_connections": self.max_connections,
            "max_per_host": self.max_per_host,
        }
        non_negative = {
            "max_redirects": self.max_redirects,
            "retries": self.retries,
            "backoff_base_s": self.backoff_base_s,
            "backoff_max_s": self.backoff_max_s,
            "max_retry_after_s": self.max_retry_after_s,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"FetchLimits.{name} must be positive, got {value!r}")
        for name, value in non_negative.items():
            if value < 0:
                raise ValueError(f"FetchLimits.{name} must not be negative, got {value!r}")

    @classmethod
    def of(cls, poll: PollSettings) -> FetchLimits:
        """The limits the `[poll]` settings name; the rest keep their defaults."""
        return cls(
            max_connections=poll.concurrency,
            max_per_host=poll.per_host,
            max_bytes=poll.max_bytes,
            total_timeout_s=poll.timeout_s,
            budget_s=max(poll.budget_s, poll.timeout_s),
        )


DEFAULT_LIMITS = FetchLimits()


class _TransientFetchError(FeedFetchError):
    """A failure worth retrying: connect error or timeout, 5xx, 429."""


class _RetryAfterOrBackoff(wait_base):
    """Wait what the server asked for (Retry-After), else back off exponentially.

    tenacity's `wait_exponential_jitter` is used unscaled (1 s, 2 s, 4 s ... plus
    up to 1 s of jitter) and its result multiplied by ``base_s``: that equals
    ``min(base_s * 2**n + uniform(0, base_s), max_s)`` and avoids its
    ``initial``/``multiplier`` keywords, which differ across tenacity versions.
    """

    def __init__(self, *, base_s: float, max_s: float) -> None:
        self._base_s = base_s
        unit_max = max_s / base_s if base_s > 0 else 0.0
        self._unit_backoff = wait_exponential_jitter(max=unit_max, jitter=1)

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, FeedFetchError) and exc.retry_after_s is not None:
            return exc.retry_after_s
        return self._base_s * self._unit_backoff(retry_state)


class Fetcher:
    """Fetches feed URLs with conditional GET, limits, retries and politeness.

    One instance serves the whole process; it is safe to call `fetch`
    concurrently from many tasks of one event loop. Use it as an async context
    manager or call `aclose` when done.

    Args:
        user_agent: An honest User-Agent naming the service and a contact URL.
        limits: Timeouts, sizes and the retry policy.
        transport: An httpx transport to use instead of the network one
            (``limits.max_connections`` then applies only to the semaphore).
        sleep: Awaited between retries; tests pass a recorder instead of
            `asyncio.sleep`.
        clock: Turns an HTTP-date ``Retry-After`` into a delay.
        on_request: Awaited with every request, redirects included, before it
            is sent (an httpx request event hook); raising refuses the request
            (the bot's /addfeed address guard).
        on_response: Awaited with every response, before its body is read or a
            redirect followed; raising refuses it (the guard's check of the
            address actually connected to).
    """

    def __init__(
        self,
        *,
        user_agent: str,
        limits: FetchLimits = DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Clock | None = None,
        on_request: Callable[[httpx.Request], Awaitable[None]] | None = None,
        on_response: Callable[[httpx.Response], Awaitable[None]] | None = None,
    ) -> None:
        self._limits = limits
        self._sleep = sleep
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept": ACCEPT},
            timeout=httpx.Timeout(
                connect=limits.connect_timeout_s,
                read=limits.read_timeout_s,
                write=limits.read_timeout_s,
                pool=limits.connect_timeout_s,
            ),
            limits=httpx.Limits(
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_connections,
            ),
            follow_redirects=True,
            max_redirects=limits.max_redirects,
            transport=transport,
            event_hooks={
                "request": [_guard_request, *([on_request] if on_request is not None else [])],
                "response": [
                    _guard_response,
                    *([on_response] if on_response is not None else []),
                ],
            },
        )
        # Requests wait here, outside the per-attempt deadline, rather than in
        # httpx's pool whose timeout would fail a long queue.
        self._connections = asyncio.Semaphore(limits.max_connections)
        self._per_origin: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        guard: AddressGuard | None = None,
    ) -> FetchResult:
        """GET `url` conditionally, retrying transient failures.

        Args:
            url: An http(s) URL.
            etag: The ETag of the last successful fetch, sent as If-None-Match.
            last_modified: The Last-Modified of the last successful fetch, sent
                as If-Modified-Since.
            guard: Checks the URL and every redirect before it is sent, and the
                address each response came from (DNS rebinding); None: no check.

        Returns:
            The final response: status 2xx with the decoded body, or 304 with
            empty content and the validators of the request when the server
            did not repeat them.

        Raises:
            UnsafeAddressError: `guard` refused the URL, a redirect or the address
                connected to (never retried).
            FeedFetchError: On an unusable URL, a 4xx/5xx status (after retries
                where they apply), a timeout, a connection failure, too many
                redirects or a body over the size limit. ``status`` holds the
                last HTTP status; ``retry_after_s`` the server's Retry-After
                when it exceeded ``max_retry_after_s`` or retries ran out.
        """
        origin = _origin(url)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._limits.retries + 1),
            wait=_RetryAfterOrBackoff(
                base_s=self._limits.backoff_base_s, max_s=self._limits.backoff_max_s
            ),
            retry=retry_if_exception_type(_TransientFetchError),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        budget_s = self._limits.budget_s
        try:
            async with asyncio.timeout(budget_s):
                result: FetchResult = await retrying(self._attempt, url, origin, headers, guard)
        except TimeoutError as exc:
            raise FeedFetchError(
                f"gave up fetching {url}: its budget of {budget_s:g}s (attempts and waits "
                "together, [poll] budget) is spent"
            ) from exc
        except _TransientFetchError as exc:
            attempts = self._limits.retries + 1
            raise FeedFetchError(
                f"{exc} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})",
                status=exc.status,
                retry_after_s=exc.retry_after_s,
            ) from exc.__cause__
        if result.not_modified:  # a 304 may omit the validators: keep ours
            result = replace(
                result,
                etag=result.etag or etag,
                last_modified=result.last_modified or last_modified,
            )
        logger.debug(
            "GET %s -> %d, %d bytes in %.3fs",
            result.url,
            result.status,
            len(result.content),
            result.elapsed_s,
        )
        return result

    async def _attempt(
        self, url: str, origin: str, headers: dict[str, str], guard: AddressGuard | None
    ) -> FetchResult:
        """One GET under the per-origin and pool semaphores and the total deadline."""
        per_origin = self._per_origin.get(origin)
        if per_origin is None:
            per_origin = self._per_origin[origin] = asyncio.Semaphore(self._limits.max_per_host)
        total_s = self._limits.total_timeout_s
        async with per_origin, self._connections:
            started = time.monotonic()
            try:
                async with asyncio.timeout(total_s):
                    result = await self._get(url, headers, guard)
            except TimeoutError as exc:
                # the server answered and is too slow: asking again would cost as much
                raise FeedFetchError(
                    f"timed out after {total_s:g}s (total deadline) fetching {url}"
                ) from exc
            except httpx.TooManyRedirects as exc:
                raise FeedFetchError(
                    f"too many redirects (more than {self._limits.max_redirects}; "
                    f"a redirect loop?) fetching {url}"
                ) from exc
            except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                kind = _TIMEOUT_KINDS.get(type(exc), "")
                raise _TransientFetchError(f"{kind}timed out fetching {url}") from exc
            except httpx.TimeoutException as exc:  # read/write: connected, then too slow
                kind = _TIMEOUT_KINDS.get(type(exc), "")
                raise FeedFetchError(f"{kind}timed out fetching {url}") from exc
            except httpx.UnsupportedProtocol as exc:
                raise FeedFetchError(f"unsupported URL fetching {url}: {exc}") from exc
            except httpx.TransportError as exc:
                raise _TransientFetchError(
                    f"connection failed fetching {url}: {_describe(exc)}"
                ) from exc
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FeedFetchError(f"request failed fetching {url}: {_describe(exc)}") from exc
        return replace(result, elapsed_s=time.monotonic() - started)

    async def _get(
        self, url: str, headers: dict[str, str], guard: AddressGuard | None
    ) -> FetchResult:
        """Send the request and stream the body up to the size limit."""
        max_bytes = self._limits.max_bytes
        extensions = {GUARD_EXTENSION: guard} if guard is not None else None
        async with self._client.stream(
            "GET", url, headers=headers, extensions=extensions
        ) as response:
            final_url = str(response.url)
            status = response.status_code
            if status != 304 and not 200 <= status < 300:
                await _drain(response)
                raise self._status_error(response, url)
            if status != 304:  # a 304 has no body, whatever its Content-Length says
                declared = _content_length(response)
                if declared is not None and declared > max_bytes:
                    raise FeedFetchError(
                        f"body of {final_url} too large: Content-Length {declared} bytes "
                        f"exceeds the limit of {max_bytes} bytes (max_bytes)",
                        status=status,
                    )
            chunks: list[bytes] = []
            size = 0
            # Read to the end even on a 304 (empty): an unfinished response
            # closes the connection instead of returning it to the pool.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FeedFetchError(
                        f"body of {final_url} too large: more than the limit of "
                        f"{max_bytes} bytes (max_bytes); stopped reading",
                        status=status,
                    )
                chunks.append(chunk)
            response_headers = {name.lower(): value for name, value in response.headers.items()}
        return FetchResult(
            url=final_url,
            status=status,
            content=b"".join(chunks),
            headers=response_headers,
            etag=response_headers.get("etag"),
            last_modified=response_headers.get("last-modified"),
        )

    def _status_error(self, response: httpx.Response, url: str) -> FeedFetchError:
        """The error for a non-2xx, non-304 response; transient for 5xx and 429."""
        status = response.status_code
        where = str(response.url)
        message = f"HTTP {status} {response.reason_phrase} for {where}"
        if where != url:
            message += f" (redirected from {url})"
        retry_after_s = None
        if status in RETRY_AFTER_STATUSES:
            retry_after_s = _parse_retry_after(response.headers.get("retry-after"), self._clock)
        if retry_after_s is not None and retry_after_s > self._limits.max_retry_after_s:
            return FeedFetchError(
                f"{message}; server asks to retry after {retry_after_s:g}s "
                f"(more than max_retry_after_s={self._limits.max_retry_after_s:g}s)",
                status=status,
                retry_after_s=retry_after_s,
            )
        if status >= 500 or status == 429:
            if retry_after_s is not None:
                message += f"; Retry-After {retry_after_s:g}s"
            return _TransientFetchError(message, status=status, retry_after_s=retry_after_s)
        return FeedFetchError(message, status=status)


_TIMEOUT_KINDS: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "connect ",
    httpx.ReadTimeout: "read ",
    httpx.WriteTimeout: "write ",
    httpx.PoolTimeout: "connection pool ",
}


async def _guard_request(request: httpx.Request) -> None:
    """httpx request hook: the fetch's guard checks this hop (first request or redirect)."""
    guard = request.extensions.get(GUARD_EXTENSION)
    if isinstance(guard, AddressGuard):
        await guard.on_request(request)


async def _guard_response(response: httpx.Response) -> None:
    """httpx response hook: the fetch's guard checks the address the answer came from."""
    guard = response.request.extensions.get(GUARD_EXTENSION)
    if isinstance(guard, AddressGuard):
        await guard.on_response(response)


def _origin(url: str) -> str:
    """The politeness key of `url`: scheme, host and port."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FeedFetchError(f"invalid URL {url!r}: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FeedFetchError(f"unsupported URL {url!r}: expected an absolute http(s) URL")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{parsed.host}:{port}"


def _content_length(response: httpx.Response) -> int | None:
    """The declared body length, or None when absent or malformed."""
    value = response.headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


async def _drain(response: httpx.Response) -> None:
    """Read a small error body so the connection can be reused; leave a large one."""
    declared = _content_length(response)
    if declared is None or declared > DRAIN_MAX_BYTES:
        return
    try:
        await response.aread()
    except httpx.HTTPError:
        pass  # the status is what the caller reports; the connection is dropped


def _parse_retry_after(value: str | None, clock: Clock) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000"; HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - clock.now()).total_seconds())


def _describe(exc: BaseException) -> str:
    """The exception's message, or its type name when the message is empty."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _log_retry(retry_state: RetryCallState) -> None:
    """Log each retry with its delay and reason (tenacity ``before_sleep``)."""
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    delay = retry_state.next_action.sleep if retry_state.next_action is not None else 0.0
    # DEBUG: the feed's outcome, not each attempt, is what the operator reads
    logger.debug(
        "retrying in %.1fs (attempt %d failed): %s", delay, retry_state.attempt_number, exc
    )
