"""Poll rounds: leases split the feeds between workers sharing one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from fakes import FakeClock
from feedserver import FeedServer

from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.poller import Poller
from monitor.models import FeedSpec
from monitor.store import Store

LEASE = timedelta(minutes=10)


class StaticFeeds:
    def __init__(self, specs: list[FeedSpec]) -> None:
        self.specs = specs

    def current(self) -> list[FeedSpec]:
        return self.specs


def rss(n: int) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
        f"<item><guid>g{n}</guid><title>Health item {n}</title>"
        f"<link>http://news.test/{n}</link><description>Story number {n} about clinics in "
        f"district {n}.</description></item></channel></rss>"
    ).encode()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent="monitor-tests", limits=FetchLimits(retries=0)) as fetcher:
        yield fetcher


def serve_feeds(feed_server: FeedServer, count: int) -> list[FeedSpec]:
    return [FeedSpec(url=feed_server.add(f"/f{i}.xml", rss(i)), name=f"f{i}") for i in range(count)]


async def test_two_workers_on_postgresql_poll_each_feed_once(
    feed_server: FeedServer, postgres_url: str, fetcher: Fetcher
) -> None:
    specs = serve_feeds(feed_server, 45)
    clock = FakeClock()
    stores = [Store.open(postgres_url), Store.open(postgres_url)]
    try:
        pollers = [
            Poller(
                feeds=StaticFeeds(specs),
                store=s,
                fetcher=fetcher,
                clock=clock,
                lease=LEASE,
                worker=f"worker-{i}",
            )
            for i, s in enumerate(stores)
        ]
        rounds = await asyncio.gather(*(p.poll_round() for p in pollers))
        # a second round in the same interval finds nothing due
        again = await asyncio.gather(*(p.poll_round() for p in pollers))
    finally:
        for s in stores:
            s.close()
    polled = [o.feed.url for r in rounds for o in r]
    assert sorted(polled) == sorted(s.url for s in specs)
    assert all(feed_server.hits(f"/f{i}.xml") == 1 for i in range(45))
    # (how the feeds split between the two depends on thread timing; each is polled once)
    assert again == [[], []]


async def test_crashed_workers_feeds_are_taken_over_after_the_lease(
    feed_server: FeedServer, database_url: str, fetcher: Fetcher
) -> None:
    specs = serve_feeds(feed_server, 5)
    clock = FakeClock()
    with Store.open(database_url) as store:
        store.sync_feeds(specs, clock.now())
        crashed = store.claim_due_feeds("crashed-worker", clock.now(), LEASE, limit=3)
        assert len(crashed) == 3
        survivor = Poller(
            feeds=StaticFeeds(specs),
            store=store,
            fetcher=fetcher,
            clock=clock,
            lease=LEASE,
            worker="survivor",
        )
        first = await survivor.poll_round()
        assert sorted(o.feed.url for o in first) == sorted(set(s.url for s in specs) - set(crashed))
        clock.advance(LEASE + timedelta(seconds=1))
        second = await survivor.poll_round()
        assert sorted(o.feed.url for o in second) == sorted(crashed)
    assert all(feed_server.hits(f"/f{i}.xml") == 1 for i in range(5))


async def test_all_polls_every_feed_even_when_not_due(
    feed_server: FeedServer, sqlite_url: str, fetcher: Fetcher
) -> None:
    specs = serve_feeds(feed_server, 25)  # more than one claim batch
    clock = FakeClock()
    with Store.open(sqlite_url) as store:
        poller = Poller(
            feeds=StaticFeeds(specs), store=store, fetcher=fetcher, clock=clock, lease=LEASE
        )
        assert len(await poller.poll_round()) == 25
        assert await poller.poll_round() == []
        assert len(await poller.poll_round(include_not_due=True)) == 25
    assert all(feed_server.hits(f"/f{i}.xml") == 2 for i in range(25))


async def test_stopped_poller_claims_nothing(
    feed_server: FeedServer, sqlite_url: str, fetcher: Fetcher
) -> None:
    specs = serve_feeds(feed_server, 3)
    with Store.open(sqlite_url) as store:
        poller = Poller(
            feeds=StaticFeeds(specs), store=store, fetcher=fetcher, clock=FakeClock(), lease=LEASE
        )
        poller.stop()
        assert await poller.poll_round() == []
    assert feed_server.hits("/f0.xml") == 0
