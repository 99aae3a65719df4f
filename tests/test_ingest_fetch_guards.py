"""Every fetch someone outside can steer goes through the address guard (#18 item 1).

Real polls over the local feed server into a real SQLite store. The server is on
127.0.0.1, so a test resolver makes ``localhost`` look public where a hop must
pass the guard's lookup, as tests/test_ingest_address_guard.py does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest
from fakes import FakeClock
from feedserver import FeedServer

from monitor.feeds import add_feed, load_feeds
from monitor.ingest.address_guard import FetchGuards, Resolver
from monitor.ingest.check import check_feeds
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.pipeline import PollOutcome, poll_feed
from monitor.models import FeedSpec
from monitor.settings import PollSettings
from monitor.store import Store

METADATA_PAGE = b"<html><body><article><p>" + b"iam-role secret-access-key AKIAFAKE " * 40
METADATA_PAGE += b"</p></article></body></html>"


def rss(link: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g1</guid>'
        f"<title>Korea and Laos sign a health MOU</title><link>{link}</link>"
        "<description>MOU signed.</description></item></channel></rss>"
    ).encode()


def public_looking(table: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return table[host]

    return resolve


LOCALHOST_LOOKS_PUBLIC = public_looking({"localhost": ["93.184.216.34"]})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'monitor.db'}") as store:
        yield store


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent="monitor-tests", limits=FetchLimits(retries=0)) as fetcher:
        yield fetcher


async def poll(spec: FeedSpec, store: Store, fetcher: Fetcher, guards: FetchGuards) -> PollOutcome:
    clock = FakeClock()
    store.sync_feeds([spec], clock.now())
    return await poll_feed(spec, fetcher=fetcher, store=store, clock=clock, guards=guards)


def fulltexts(store: Store, outcome: PollOutcome) -> list[str | None]:
    found = [store.item(n.id) for n in outcome.new_items]
    return [item.fulltext for item in found if item is not None]


async def test_a_feed_added_from_telegram_that_redirects_to_a_private_address_is_refused(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    feed_server.add("/internal.xml", rss("http://news.test/1"))
    feed_server.add_redirect("/moved", feed_server.url("/internal.xml"))
    url = feed_server.url("/moved").replace("127.0.0.1", "localhost")
    guards = FetchGuards(resolver=LOCALHOST_LOOKS_PUBLIC)

    outcome = await poll(FeedSpec(url, "wire", added_by="telegram:7"), store, fetcher, guards)

    # refused at the first answer already (it came from loopback), the redirect never followed
    assert outcome.error is not None and "a loopback address" in outcome.error
    assert feed_server.hits("/moved") == 1 and feed_server.hits("/internal.xml") == 0
    assert store.recent_items(10) == []
    state = store.feed_state(url)
    assert state is not None and state.consecutive_errors == 1  # shown in /feeds and stats


async def test_every_redirect_of_a_feed_added_from_telegram_is_checked_on_every_poll(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    """With allow_private_feeds the first hop (loopback) passes; the redirect still cannot
    reach a metadata endpoint, poll after poll."""
    url = feed_server.add("/feed.xml", rss("http://news.test/1"))
    spec = FeedSpec(url, "wire", added_by="telegram:7")
    guards = FetchGuards(allow_private_feeds=True)
    first = await poll(spec, store, fetcher, guards)
    assert first.error is None and len(first.new_items) == 1  # public when added ...
    feed_server.add_redirect("/feed.xml", "http://169.254.169.254/latest/meta-data/")

    later = await poll(spec, store, fetcher, guards)  # ... redirected later

    assert later.error is not None and "169.254.169.254 is a cloud metadata address" in later.error


async def test_a_feed_added_from_telegram_whose_dns_answer_changes_is_refused_at_connection(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    """DNS rebinding: the guard's lookup says public, the connection reaches 127.0.0.1."""
    feed_server.add("/feed.xml", rss("http://news.test/1"))
    url = feed_server.url("/feed.xml").replace("127.0.0.1", "localhost")
    guards = FetchGuards(resolver=LOCALHOST_LOOKS_PUBLIC)

    outcome = await poll(FeedSpec(url, "wire", added_by="telegram:7"), store, fetcher, guards)

    assert outcome.error is not None and "connected to 127.0.0.1" in outcome.error
    assert store.recent_items(10) == []


async def test_operators_feeds_keep_private_addresses_but_never_reach_metadata(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    url = feed_server.add("/intranet.xml", rss("http://news.test/1"))
    feed_server.add_redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    guards = FetchGuards()  # allow_private_feeds off: it governs only what outsiders steer

    listed = await poll(FeedSpec(url, "intranet"), store, fetcher, guards)
    steered = await poll(FeedSpec(feed_server.url("/to-metadata"), "moved"), store, fetcher, guards)

    assert listed.error is None and len(listed.new_items) == 1
    assert steered.error is not None and "cloud metadata" in steered.error


async def test_article_pages_on_private_addresses_are_not_fetched(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    """`fulltext` fetches each entry's link; the feed's publisher chose that link."""
    article = feed_server.add("/latest/meta-data/", METADATA_PAGE, content_type="text/html")
    url = feed_server.add("/brief.xml", rss(article))
    guards = FetchGuards()  # an operator's feed, so the feed itself may be on loopback

    outcome = await poll(FeedSpec(url, "brief", fulltext=True), store, fetcher, guards)

    assert outcome.error is None and len(outcome.new_items) == 1
    assert fulltexts(store, outcome) == [None]  # nothing in items.fulltext, so /search finds none
    assert "AKIAFAKE" not in outcome.new_items[0].item.text
    assert feed_server.hits("/latest/meta-data/") == 0


async def test_allow_private_feeds_keeps_intranet_article_pages_working(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    article = feed_server.add("/story", METADATA_PAGE, content_type="text/html")
    url = feed_server.add("/brief.xml", rss(article))
    guards = FetchGuards(allow_private_feeds=True)

    outcome = await poll(FeedSpec(url, "intranet", fulltext=True), store, fetcher, guards)

    assert outcome.error is None and feed_server.hits("/story") == 1
    stored = fulltexts(store, outcome)
    assert stored[0] is not None and "AKIAFAKE" in stored[0]


async def test_feeds_check_guards_feeds_added_from_telegram(feed_server: FeedServer) -> None:
    url = feed_server.add("/feed.xml", rss("http://news.test/1"))
    specs = [FeedSpec(url, "listed"), FeedSpec(url, "added", added_by="telegram:7")]

    results = await check_feeds(specs, PollSettings(), guards=FetchGuards())

    assert results[0].error is None and results[0].entries == 1
    assert results[1].error is not None and "loopback" in results[1].error


def test_added_by_is_written_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    add_feed(path, FeedSpec("https://wire.example/rss", "Wire", added_by="telegram:7"))
    assert 'added_by = "telegram:7"' in path.read_text()
    assert load_feeds(path)[0].added_by == "telegram:7"
    path.write_text('[[feed]]\nurl = "https://wire.example/rss"\nadded_by = 7\n')
    with pytest.raises(Exception, match="added_by"):
        load_feeds(path)
