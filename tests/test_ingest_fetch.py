"""monitor.ingest.fetch against a real HTTP server on 127.0.0.1 (tests/feedserver.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from feedserver import FeedServer, Reply, closed_port_url

from monitor.errors import FeedFetchError
from monitor.ingest.fetch import ACCEPT, Fetcher, FetchLimits

USER_AGENT = "health-coop-monitor/0.1 (+https://example.org/monitor; feeds)"
RSS = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<rss version="2.0"><channel><title>Health</title>'
    b"<item><title>WHO and Korea sign MOU</title><link>https://example.org/1</link></item>"
    b"</channel></rss>\n"
)
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
MB = 1024 * 1024


class SleepRecorder:
    """Stands in for asyncio.sleep: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


@pytest.fixture
def sleep() -> SleepRecorder:
    return SleepRecorder()


def make_fetcher(sleep: SleepRecorder, **limits: Any) -> Fetcher:
    return Fetcher(
        user_agent=USER_AGENT,
        limits=FetchLimits(**limits),
        sleep=sleep,
    )


async def fetch_error(fetcher: Fetcher, url: str) -> FeedFetchError:
    async with fetcher:
        with pytest.raises(FeedFetchError) as info:
            await fetcher.fetch(url)
    return info.value


# Success and conditional GET


async def test_200_returns_body_headers_and_validators(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add(
        "/feed.xml",
        RSS,
        content_type="application/rss+xml; charset=euc-kr",
        etag=ETAG,
        last_modified=LAST_MODIFIED,
        headers={"X-Custom": "yes"},
    )
    async with make_fetcher(sleep) as fetcher:
        result = await fetcher.fetch(url)

    assert result.status == 200
    assert result.content == RSS
    assert result.url == url
    assert result.etag == ETAG
    assert result.last_modified == LAST_MODIFIED
    assert result.headers["content-type"] == "application/rss+xml; charset=euc-kr"
    assert result.headers["x-custom"] == "yes"
    assert all(name == name.lower() for name in result.headers)
    assert not result.not_modified
    assert result.elapsed_s > 0
    (request,) = feed_server.requests("/feed.xml")
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["accept"] == ACCEPT
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers


async def test_304_round_trip(feed_server: FeedServer, sleep: SleepRecorder) -> None:
    url = feed_server.add("/feed.xml", RSS, etag=ETAG, last_modified=LAST_MODIFIED)
    async with make_fetcher(sleep) as fetcher:
        first = await fetcher.fetch(url)
        second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)

    assert second.status == 304
    assert second.not_modified
    assert second.content == b""
    assert (second.etag, second.last_modified) == (ETAG, LAST_MODIFIED)
    conditional = feed_server.requests("/feed.xml")[1]
    assert conditional.headers["if-none-match"] == ETAG
    assert conditional.headers["if-modified-since"] == LAST_MODIFIED


async def test_304_by_last_modified_alone(feed_server: FeedServer, sleep: SleepRecorder) -> None:
    url = feed_server.add("/feed.xml", RSS, last_modified=LAST_MODIFIED)
    async with make_fetcher(sleep) as fetcher:
        result = await fetcher.fetch(url, last_modified=LAST_MODIFIED)

    assert result.status == 304
    assert result.etag is None
    assert result.last_modified == LAST_MODIFIED


async def test_changed_feed_is_served_again(feed_server: FeedServer, sleep: SleepRecorder) -> None:
    url = feed_server.add("/feed.xml", RSS, etag=ETAG)
    feed_server.add("/feed.xml", RSS + b"<!-- v2 -->", etag='"v2"')
    async with make_fetcher(sleep) as fetcher:
        result = await fetcher.fetch(url, etag=ETAG)

    assert result.status == 200
    assert result.etag == '"v2"'
    assert result.content.endswith(b"<!-- v2 -->")


async def test_304_without_validators_keeps_ours(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_sequence("/feed.xml", [Reply(304)])
    async with make_fetcher(sleep) as fetcher:
        result = await fetcher.fetch(url, etag=ETAG, last_modified=LAST_MODIFIED)

    assert result.status == 304
    assert (result.etag, result.last_modified) == (ETAG, LAST_MODIFIED)


async def test_connection_is_reused_after_304_and_error_statuses(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add("/feed.xml", RSS, etag=ETAG)
    missing = feed_server.add("/gone.xml", b"not here", status=404)
    async with make_fetcher(sleep) as fetcher:
        await fetcher.fetch(url)
        for _ in range(3):
            assert (await fetcher.fetch(url, etag=ETAG)).status == 304
            with pytest.raises(FeedFetchError):
                await fetcher.fetch(missing)

    assert feed_server.connections() == 1  # keep-alive: one connection for all 7 requests


async def test_gzip_body_is_decoded(feed_server: FeedServer, sleep: SleepRecorder) -> None:
    url = feed_server.add("/feed.xml", RSS * 50, gzip_body=True)
    async with make_fetcher(sleep) as fetcher:
        result = await fetcher.fetch(url)

    assert result.content == RSS * 50
    assert result.headers["content-encoding"] == "gzip"
    (request,) = feed_server.requests("/feed.xml")
    assert "gzip" in request.headers["accept-encoding"]


# HTTP errors and retries


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "Not Found"), (403, "Forbidden"), (410, "Gone")]
)
async def test_4xx_is_not_retried(
    feed_server: FeedServer, sleep: SleepRecorder, status: int, reason: str
) -> None:
    url = feed_server.add("/feed.xml", b"nope", status=status)

    error = await fetch_error(make_fetcher(sleep), url)

    assert error.status == status
    assert f"HTTP {status} {reason} for {url}" in str(error)
    assert error.retry_after_s is None
    assert feed_server.hits("/feed.xml") == 1
    assert sleep.delays == []


async def test_500_is_retried_with_growing_jittered_capped_backoff(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add("/feed.xml", b"oops", status=500)
    fetcher = make_fetcher(sleep, retries=5, backoff_base_s=1.0, backoff_max_s=5.0)

    error = await fetch_error(fetcher, url)

    assert error.status == 500
    assert f"HTTP 500 Internal Server Error for {url}" in str(error)
    assert "gave up after 6 attempts" in str(error)
    assert feed_server.hits("/feed.xml") == 6
    first, second, third, fourth, fifth = sleep.delays
    assert 1.0 <= first <= 2.0
    assert 2.0 <= second <= 3.0
    assert 4.0 <= third <= 5.0
    assert fourth == fifth == 5.0  # capped
    assert {first, second, third}.isdisjoint({1.0, 2.0, 4.0})  # jittered


async def test_backoff_scales_with_base(feed_server: FeedServer, sleep: SleepRecorder) -> None:
    url = feed_server.add("/feed.xml", b"oops", status=502)
    fetcher = make_fetcher(sleep, retries=3, backoff_base_s=0.5, backoff_max_s=100.0)

    await fetch_error(fetcher, url)

    first, second, third = sleep.delays
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 1.5
    assert 2.0 <= third <= 2.5


async def test_503_then_200_succeeds(feed_server: FeedServer, sleep: SleepRecorder) -> None:
    url = feed_server.add_sequence("/feed.xml", [Reply(503), Reply(503), Reply(200, RSS)])
    async with make_fetcher(sleep) as fetcher:
        result = await fetcher.fetch(url)

    assert result.status == 200
    assert result.content == RSS
    assert feed_server.hits("/feed.xml") == 3
    assert len(sleep.delays) == 2


async def test_429_retry_after_seconds_is_honoured(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_sequence(
        "/feed.xml", [Reply(429, headers={"Retry-After": "7"}), Reply(200, RSS)]
    )
    async with make_fetcher(sleep) as fetcher:
        result = await fetcher.fetch(url)

    assert result.content == RSS
    assert sleep.delays == [7.0]


async def test_503_retry_after_http_date_is_honoured(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_sequence(
        "/feed.xml",
        [Reply(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), Reply(200, RSS)],
    )
    clock = FixedClock(datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC))
    async with Fetcher(user_agent=USER_AGENT, sleep=sleep, clock=clock) as fetcher:
        result = await fetcher.fetch(url)

    assert result.status == 200
    assert sleep.delays == [30.0]


async def test_retry_after_too_long_raises_for_the_scheduler(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_sequence("/feed.xml", [Reply(503, headers={"Retry-After": "3600"})])

    error = await fetch_error(make_fetcher(sleep, max_retry_after_s=120.0), url)

    assert error.status == 503
    assert error.retry_after_s == 3600.0
    assert "3600" in str(error)
    assert feed_server.hits("/feed.xml") == 1
    assert sleep.delays == []


async def test_429_until_retries_run_out_keeps_retry_after(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_sequence("/feed.xml", [Reply(429, headers={"Retry-After": "2"})])

    error = await fetch_error(make_fetcher(sleep, retries=2), url)

    assert error.status == 429
    assert error.retry_after_s == 2.0
    assert sleep.delays == [2.0, 2.0]
    assert feed_server.hits("/feed.xml") == 3


# Redirects


async def test_redirect_is_followed_and_final_url_reported(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_redirect("/old.xml", "/new.xml", status=301)
    final = feed_server.add("/new.xml", RSS)
    async with make_fetcher(sleep) as fetcher:
        result = await fetcher.fetch(url)

    assert result.url == final
    assert result.content == RSS


async def test_redirect_loop_is_an_error(feed_server: FeedServer, sleep: SleepRecorder) -> None:
    url = feed_server.add_redirect("/a", "/b")
    feed_server.add_redirect("/b", "/a")

    error = await fetch_error(make_fetcher(sleep, max_redirects=5), url)

    assert "too many redirects" in str(error)
    assert "redirect loop" in str(error)
    assert url in str(error)
    assert feed_server.hits("/a") + feed_server.hits("/b") == 6  # the first GET + 5 redirects
    assert sleep.delays == []  # not retried


@pytest.mark.parametrize(("hops", "ok"), [(2, True), (3, False)])
async def test_max_redirects(
    feed_server: FeedServer, sleep: SleepRecorder, hops: int, ok: bool
) -> None:
    for i in range(hops):
        feed_server.add_redirect(f"/hop{i}", f"/hop{i + 1}")
    feed_server.add(f"/hop{hops}", RSS)
    fetcher = make_fetcher(sleep, max_redirects=2)

    if ok:
        async with fetcher:
            assert (await fetcher.fetch(feed_server.url("/hop0"))).content == RSS
    else:
        error = await fetch_error(fetcher, feed_server.url("/hop0"))
        assert "more than 2" in str(error)


# Size limits


async def test_huge_body_stops_at_the_limit(feed_server: FeedServer, sleep: SleepRecorder) -> None:
    url = feed_server.add_huge("/huge.xml", 200 * MB)  # chunked: size unknown up front

    error = await fetch_error(make_fetcher(sleep), url)

    assert "too large" in str(error)
    assert f"{10 * MB} bytes (max_bytes)" in str(error)
    assert feed_server.wait_idle()
    assert feed_server.bytes_sent("/huge.xml") < 50 * MB  # stopped reading early
    assert feed_server.hits("/huge.xml") == 1  # not retried


async def test_content_length_over_the_limit_is_rejected_before_the_body(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_huge("/huge.xml", 200 * MB, content_length=True)

    error = await fetch_error(make_fetcher(sleep, max_bytes=1 * MB), url)

    assert f"Content-Length {200 * MB} bytes exceeds the limit of {MB} bytes" in str(error)
    assert feed_server.wait_idle()
    assert feed_server.bytes_sent("/huge.xml") < 50 * MB


async def test_decoded_size_counts_against_the_limit(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    bomb = b"\0" * (4 * MB)
    url = feed_server.add("/bomb.xml", bomb, gzip_body=True)  # about 4 KB on the wire

    error = await fetch_error(make_fetcher(sleep, max_bytes=1 * MB), url)

    assert f"more than the limit of {MB} bytes" in str(error)


# Timeouts and connection errors


async def test_slow_drip_hits_the_total_deadline(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_drip("/slow.xml", RSS, interval_s=0.05)  # about 9 s in all
    fetcher = make_fetcher(sleep, total_timeout_s=0.3, retries=1)

    error = await fetch_error(fetcher, url)

    assert f"timed out after 0.3s (total deadline) fetching {url}" in str(error)
    assert isinstance(error.__cause__, TimeoutError)
    # the server answered and was too slow: asking again would cost as much again
    assert feed_server.hits("/slow.xml") == 1
    assert sleep.delays == []


async def test_silent_server_hits_the_read_timeout(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_drip("/silent.xml", RSS, interval_s=30.0)
    fetcher = make_fetcher(sleep, read_timeout_s=0.2, retries=0)

    error = await fetch_error(fetcher, url)

    assert f"read timed out fetching {url}" in str(error)
    assert isinstance(error.__cause__, httpx.ReadTimeout)


async def test_a_feed_never_costs_more_than_its_budget(feed_server: FeedServer) -> None:
    """Retries and their waits together stay within the budget (real sleeps, short budget)."""
    url = feed_server.add_sequence("/flaky.xml", [Reply(503)] * 10)
    limits = FetchLimits(retries=8, backoff_base_s=0.2, budget_s=0.5, total_timeout_s=0.5)
    async with Fetcher(user_agent="monitor-tests", limits=limits) as fetcher:
        error = await fetch_error(fetcher, url)

    assert "its budget of 0.5s" in str(error)
    assert 1 <= feed_server.hits("/flaky.xml") < 9  # stopped long before 8 retries


async def test_connection_refused(sleep: SleepRecorder) -> None:
    url = closed_port_url("/feed.xml")

    error = await fetch_error(make_fetcher(sleep, retries=2), url)

    assert f"connection failed fetching {url}" in str(error)
    assert "gave up after 3 attempts" in str(error)
    assert error.status is None
    assert isinstance(error.__cause__, httpx.ConnectError)
    assert len(sleep.delays) == 2


@pytest.mark.parametrize("url", ["ftp://example.org/feed.xml", "not a url", "http://"])
async def test_unusable_url(sleep: SleepRecorder, url: str) -> None:
    error = await fetch_error(make_fetcher(sleep), url)

    assert repr(url) in str(error)
    assert sleep.delays == []


# Concurrency


async def test_per_host_semaphore_limits_concurrency(
    feed_server: FeedServer, sleep: SleepRecorder
) -> None:
    url = feed_server.add_drip("/slow.xml", b"abc", interval_s=0.03)
    async with make_fetcher(sleep, max_per_host=2) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(url) for _ in range(8)))

    assert [r.content for r in results] == [b"abc"] * 8
    assert feed_server.max_in_flight("/slow.xml") == 2


async def test_connection_limit_applies_across_hosts(sleep: SleepRecorder) -> None:
    with FeedServer() as one, FeedServer() as two:
        urls = [s.add_drip("/slow.xml", b"abc", interval_s=0.03) for s in (one, two)]
        async with make_fetcher(sleep, max_per_host=4, max_connections=1) as fetcher:
            await asyncio.gather(*(fetcher.fetch(u) for u in urls * 3))

        assert one.max_in_flight() == two.max_in_flight() == 1
        assert one.hits("/slow.xml") == two.hits("/slow.xml") == 3


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        FetchLimits(max_bytes=0)
    with pytest.raises(ValueError, match="retries"):
        FetchLimits(retries=-1)
