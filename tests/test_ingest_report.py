"""Round reports: one line per feed that needs attention, a summary, a diagnosis."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakeClock
from feedserver import FeedServer

from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.pipeline import PollOutcome
from monitor.ingest.poller import Poller
from monitor.ingest.report import cause_of, round_report, short_error
from monitor.models import FeedSpec
from monitor.store import Store

AT = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
DNS = "connection failed fetching {url}: ConnectError: [Errno -2] Name or service not known"


def failed(name: str, error: str, status: int | None = None, url: str = "") -> PollOutcome:
    url = url or f"https://{name.lower().replace(' ', '-')}.example/feed.xml"
    return PollOutcome(FeedSpec(url=url, name=name), status=status, error=error.format(url=url))


def test_a_few_failures_get_a_line_each_and_a_summary_naming_them() -> None:
    outcomes = [
        failed("WHO SEARO", "HTTP 404 Not Found fetching {url}", status=404),
        PollOutcome(FeedSpec(url="https://a.example/rss", name="MOHW")),
        PollOutcome(FeedSpec(url="https://b.example/rss", name="KDCA")),
    ]

    report = round_report(outcomes, started_at=AT, next_due_at=AT + timedelta(minutes=10), tz=UTC)

    assert report.lines == (
        (logging.WARNING, "WHO SEARO: HTTP 404 Not Found"),
        (logging.WARNING, "round 14:05: 3 feeds, 0 new items, 1 failed (WHO SEARO: HTTP 404), "
         "next round 14:15"),
    )  # fmt: skip


def test_a_healthy_round_is_one_info_line() -> None:
    outcomes = [PollOutcome(FeedSpec(url="https://a.example/rss", name="MOHW"))]

    report = round_report(outcomes, started_at=AT, next_due_at=None, tz=UTC)

    assert report.lines == ((logging.INFO, "round 14:05: 1 feed, 0 new items"),)


def test_most_feeds_failing_one_way_get_one_diagnosis_and_the_feeds_go_to_debug() -> None:
    outcomes = [failed(f"Feed {i:02d}", DNS) for i in range(57)]

    report = round_report(outcomes, started_at=AT, next_due_at=AT + timedelta(minutes=1), tz=UTC)

    loud = [message for level, message in report.lines if level >= logging.INFO]
    assert loud == [
        "57 of 57 feeds failed: DNS lookup failed",
        "host names do not resolve: is the network or DNS down?",
        "round 14:05: 57 feeds, 0 new items, 57 failed, next round 14:06",
    ]
    assert len(report.lines) == 60  # each feed once, at DEBUG
    # with the time and level in front, a line fits in 100 characters
    assert all(len(message) <= 72 for level, message in report.lines if level >= logging.INFO)
    assert all(".example" not in message for _, message in report.lines), "no URLs"


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (DNS, "dns"),
        (
            "connection failed fetching {url}: ConnectError: [Errno 111] Connection refused",
            "connect",
        ),
        ("connection failed fetching {url}: ProxyError: 403 Forbidden", "proxy"),
        ("connection failed fetching {url}: ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED]", "tls"),
        ("connect timed out fetching {url} (gave up after 3 attempts)", "timeout"),
        ("HTTP 404 Not Found fetching {url}", None),
    ],
)
def test_causes_are_recognised(error: str, key: str | None) -> None:
    cause = cause_of(error)
    assert (cause.key if cause else None) == key


def test_short_errors_drop_the_url_and_are_cut() -> None:
    url = "https://news.example/" + "x" * 300
    text = short_error(f"gave up fetching {url}: its budget is spent " + "y" * 300, url)
    assert url not in text and len(text) == 100 and text.endswith("…")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StaticFeeds:
    def __init__(self, specs: list[FeedSpec]) -> None:
        self.specs = specs

    def current(self) -> list[FeedSpec]:
        return self.specs


async def no_sleep(_: float) -> None:
    return None


async def test_a_round_with_the_network_down_is_a_few_lines(
    feed_server: FeedServer, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()  # nothing listens: every connection is refused, as when offline
    specs = [FeedSpec(url=f"http://127.0.0.1:{port}/f{i}.xml", name=f"Feed {i}") for i in range(8)]
    specs.append(
        FeedSpec(
            url=feed_server.add("/ok.xml", b'<rss version="2.0"><channel><title>t</title>'
                                b"<item><guid>1</guid><title>One</title><link>http://n.test/1"
                                b"</link></item></channel></rss>"),
            name="Working feed",
        )
    )  # fmt: skip
    caplog.set_level(logging.DEBUG)
    with Store.open(sqlite_url) as store:
        async with Fetcher(
            user_agent="tests", limits=FetchLimits(retries=2), sleep=no_sleep
        ) as fetcher:
            poller = Poller(
                feeds=StaticFeeds(specs),
                store=store,
                fetcher=fetcher,
                clock=FakeClock(),
                lease=timedelta(minutes=10),
            )
            outcomes = await poller.poll_round()

    assert sum(1 for o in outcomes if o.error) == 8
    loud = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.INFO and r.name.startswith("monitor")
    ]
    assert len(loud) == 3, loud
    assert "8 of 9 feeds failed: cannot connect" in loud
    assert any("round " in line and "9 feeds, 1 new item, 8 failed, next" in line for line in loud)
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert retries and all(r.levelno == logging.DEBUG for r in retries)
