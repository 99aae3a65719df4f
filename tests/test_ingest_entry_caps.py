"""Caps on what one fetch can cost: the newest `max_entries` entries, stored in batches
that stop before the feed's lease runs out (#18 item 8)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock
from feedserver import FeedServer

from monitor.errors import ConfigError
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.parse import ParsedFeed, keep_newest
from monitor.ingest.pipeline import STORE_BATCH, poll_feed
from monitor.models import FeedSpec, Item
from monitor.settings import DEFAULT_MAX_ENTRIES, load_settings
from monitor.store import Store

NEWEST = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def big_feed(entries: int) -> bytes:
    """An RSS feed of `entries` items, newest first, one minute apart."""
    items = "".join(
        f"<item><guid>e{i}</guid><title>Health cooperation talks, round {i}</title>"
        f"<link>https://news.example/a/{i}</link>"
        f"<description>Officials met for round {i}.</description>"
        f"<pubDate>{format_datetime(NEWEST - timedelta(minutes=i), usegmt=True)}</pubDate></item>"
        for i in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'
        f"{items}</channel></rss>"
    ).encode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'monitor.db'}") as store:
        yield store


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    limits = FetchLimits(retries=0, max_bytes=20_000_000)
    async with Fetcher(user_agent="monitor-tests", limits=limits) as fetcher:
        yield fetcher


def item(guid: str, minutes_ago: int | None) -> Item:
    when = None if minutes_ago is None else NEWEST - timedelta(minutes=minutes_ago)
    return Item("https://f.example/rss", guid, "", guid, "", when)


def test_keep_newest_keeps_the_newest_in_feed_order() -> None:
    items = (item("old", 90), item("undated-1", None), item("new", 1), item("mid", 30))
    parsed = ParsedFeed("t", items, "utf-8", None)

    kept = keep_newest(parsed, 2)
    undated = keep_newest(parsed, 3)

    assert [i.guid for i in kept.items] == ["new", "mid"] and kept.over_cap == 2
    assert [i.guid for i in undated.items] == ["old", "new", "mid"]  # undated rank last
    assert keep_newest(parsed, 4) is parsed and keep_newest(parsed, None) is parsed
    no_dates = ParsedFeed("t", (item("a", None), item("b", None), item("c", None)), None, None)
    assert [i.guid for i in keep_newest(no_dates, 2).items] == ["a", "b"]  # the feed's first


async def test_a_huge_feed_gives_its_newest_entries_and_says_what_it_skipped(
    feed_server: FeedServer, store: Store, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    url = feed_server.add("/huge.xml", big_feed(3_000))
    spec = FeedSpec(url, "Huge")
    clock = FakeClock(NEWEST + timedelta(hours=1))
    store.sync_feeds([spec], clock.now())
    caplog.set_level(logging.INFO, logger="monitor.ingest.pipeline")

    outcome = await poll_feed(
        spec, fetcher=fetcher, store=store, clock=clock, max_entries=DEFAULT_MAX_ENTRIES
    )

    assert outcome.error is None and outcome.entries == DEFAULT_MAX_ENTRIES == 500
    assert len(outcome.new_items) == 500
    assert {n.item.guid for n in outcome.new_items} == {f"e{i}" for i in range(500)}
    assert "Huge: 2500 older entries skipped, the newest 500 read" in caplog.text
    assert all(store.item(n.id) is not None for n in outcome.new_items)


class SlowStore(Store):
    """The real store; every item written takes a second of the fake clock."""

    clock: FakeClock

    def add_item(self, *args: Any, **kwargs: Any) -> int | None:
        self.clock.advance(timedelta(seconds=1))
        return super().add_item(*args, **kwargs)


async def test_storing_stops_at_the_deadline_and_the_next_round_goes_on(
    feed_server: FeedServer, tmp_path: Path, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    url = feed_server.add("/many.xml", big_feed(5 * STORE_BATCH), etag='"v1"')
    spec = FeedSpec(url, "Many")
    clock = FakeClock(NEWEST + timedelta(hours=1))
    with SlowStore.open(f"sqlite:///{tmp_path / 'slow.db'}") as store:
        store.clock = clock
        store.sync_feeds([spec], clock.now())
        # two batches fit before the deadline (a batch of 100 items takes 100 s here)
        deadline = clock.now() + timedelta(seconds=STORE_BATCH + STORE_BATCH // 2)

        first = await poll_feed(spec, fetcher=fetcher, store=store, clock=clock, deadline=deadline)

        assert first.error is None and len(first.new_items) == 2 * STORE_BATCH
        assert "200 of 500 entries stored before the feed's lease ran short" in caplog.text
        state = store.feed_state(url)
        assert state is not None and state.etag is None  # the next fetch is a whole one
        assert state.next_due_at == clock.now()  # due at the next tick

        second = await poll_feed(spec, fetcher=fetcher, store=store, clock=clock)

        assert second.error is None and len(second.new_items) == 3 * STORE_BATCH
        assert feed_server.requests("/many.xml")[-1].headers.get("If-None-Match") is None
        guids = {n.item.guid for n in (*first.new_items, *second.new_items)}
        assert guids == {f"e{i}" for i in range(5 * STORE_BATCH)}  # each once
        state = store.feed_state(url)
        assert state is not None and state.etag == '"v1"'


def test_max_entries_is_a_poll_setting(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text("[poll]\nmax_entries = 200\n", encoding="utf-8")
    assert load_settings({"MONITOR_CONFIG": str(config)}).poll.max_entries == 200
    assert load_settings({}).poll.max_entries == DEFAULT_MAX_ENTRIES
    config.write_text("[poll]\nmax_entries = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_entries"):
        load_settings({"MONITOR_CONFIG": str(config)})
