"""The pipeline end to end over real local HTTP, a real SQLite store, and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock, KeywordClassifier
from feedserver import FeedServer, Reply

from monitor.ingest.address_guard import FetchGuards
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.pipeline import PollOutcome, next_poll_at, poll_feed, poll_feeds
from monitor.models import FeedSpec
from monitor.store import Store

FAST = FetchLimits(retries=1, backoff_base_s=0.0, total_timeout_s=5.0, max_bytes=2_000_000)


def rss(*entries: tuple[str, str, str], encoding: str = "utf-8") -> bytes:
    items = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>http://news.test/{guid}</link>"
        f"<description>{text}</description><pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate></item>"
        for guid, title, text in entries
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>t</title>{items}</channel></rss>"
    ).encode(encoding)


COOP = ("c1", "Korea and Indonesia sign health MOU", "The ministries agreed on telemedicine.")
DOMESTIC = ("d1", "New hospital opens in Busan", "The 500-bed hospital serves the region.")
OTHER = ("o1", "Chip exports rise", "Semiconductor shipments grew 12 percent.")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'monitor.db'}") as store:
        yield store


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent="monitor-tests", limits=FAST, sleep=_no_sleep) as fetcher:
        yield fetcher


async def _no_sleep(_: float) -> None:
    return None


def spec(url: str, **kwargs: object) -> FeedSpec:
    return FeedSpec(url=url, name=url.rsplit("/", 1)[-1], **kwargs)  # type: ignore[arg-type]


async def poll(
    feed: FeedSpec, store: Store, fetcher: Fetcher, clock: FakeClock, **kwargs: object
) -> PollOutcome:
    """Poll as the poller does: the feed's row exists before it is polled."""
    store.sync_feeds([feed], clock.now())
    return await poll_feed(feed, fetcher=fetcher, store=store, clock=clock, **kwargs)  # type: ignore[arg-type]


async def test_new_items_are_stored_classified_and_not_repeated(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    url = feed_server.add("/a.xml", rss(COOP, DOMESTIC, OTHER), etag='"v1"')
    clock, classifier = FakeClock(), KeywordClassifier()
    store.sync_feeds([spec(url)], clock.now())

    first = await poll(spec(url), store, fetcher, clock, classifier=classifier)
    assert first.error is None and first.status == 200 and first.entries == 3
    assert [n.item.title for n in first.originals] == [COOP[1], DOMESTIC[1], OTHER[1]]
    labels = {n.item.title: n.labels for n in first.originals}
    assert labels[COOP[1]] is not None and labels[COOP[1]].cooperation
    assert labels[OTHER[1]] is not None and not labels[OTHER[1]].relevant
    state = store.feed_state(url)
    assert state is not None and state.etag == '"v1"' and state.consecutive_errors == 0
    assert state.next_due_at == clock.now() + spec(url).interval

    clock.advance(timedelta(minutes=30))
    second = await poll(spec(url), store, fetcher, clock, classifier=classifier)
    assert second.status == 304 and second.new_items == ()
    assert feed_server.requests("/a.xml")[-1].headers["if-none-match"] == '"v1"'
    assert len(classifier.calls) == 1  # nothing classified twice


async def test_changed_feed_yields_only_the_new_entry(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    url = feed_server.add("/b.xml", rss(COOP, DOMESTIC))
    clock = FakeClock()
    await poll(spec(url), store, fetcher, clock)
    feed_server.add(
        "/b.xml", rss(("n1", "Japan and Viet Nam open AMR lab", "A joint lab."), COOP, DOMESTIC)
    )
    clock.advance(timedelta(hours=1))
    outcome = await poll(spec(url), store, fetcher, clock)
    assert [n.item.guid.rsplit("/", 1)[-1] for n in outcome.new_items] == ["n1"]


async def test_reposts_and_wire_copies_are_linked_to_the_first_item(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    story = (
        "중국·일본·한국 보건장관 회의",
        "중국, 일본, 한국 보건장관들이 23일 서울에서 만나 "
        "인공지능과 정신건강 협력 방안을 논의했다. "
        "세 나라는 고령화 대응과 감염병 정보 공유도 강화하기로 했다.",
    )
    url_a = feed_server.add("/agency.xml", rss(("x1", *story)))
    # another outlet carries the wire copy with a credit line and a slightly different headline
    copy = (story[0] + " 개최", story[1] + " (연합뉴스)")
    url_b = feed_server.add("/paper.xml", rss(("y9", *copy)))
    # and a third re-posts the very same text under another URL
    url_c = feed_server.add("/blog.xml", rss(("z5", *story)))
    clock = FakeClock()
    first = await poll(spec(url_a), store, fetcher, clock)
    original = first.new_items[0].id
    store.sync_feeds([spec(url_b), spec(url_c)], clock.now())
    outcomes = await poll_feeds(
        [spec(url_b), spec(url_c)], fetcher=fetcher, store=store, clock=clock
    )
    assert [n.duplicate_of for o in outcomes for n in o.new_items] == [original, original]
    assert all(o.originals == () for o in outcomes)


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 1000 + b'">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss version="2.0"><channel><title>t</title>'
    + b"<item><title>&b;&b;&b;&b;&b;&b;&b;&b;</title></item>" * 200
    + b"</channel></rss>"
)


async def test_a_round_of_hostile_feeds_keeps_the_good_ones_and_loses_nothing(
    feed_server: FeedServer, store: Store
) -> None:
    clock = FakeClock()
    good = feed_server.add("/good.xml", rss(COOP))
    async with _fetcher_for_hostile() as fetcher:
        await poll(spec(good), store, fetcher, clock)  # stored before the bad round
    feed_server.add("/good.xml", rss(COOP, DOMESTIC))
    truncated = rss(OTHER, DOMESTIC)[:-40]  # cut inside the closing tags
    korean = rss(
        ("k1", "보건복지부, 감염병 대응 강화", "질병관리청과 협력한다."), encoding="euc-kr"
    )
    partial = {
        "truncated": feed_server.add("/truncated.xml", truncated),
        "wrong charset header": feed_server.add(
            "/euc-kr.xml", korean, content_type="application/rss+xml; charset=utf-8"
        ),
        "no links or dates": feed_server.add(
            "/bare.xml",
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<item><title>Clinic opens</title><description>No link, no date.</description>"
            b"</item></channel></rss>",
        ),
    }
    bad = {
        "missing": feed_server.url("/missing.xml"),
        "error": feed_server.add("/error.xml", b"oops", status=500),
        "html": feed_server.add(
            "/page.html", b"<html><body><p>Hello</p></body></html>", content_type="text/html"
        ),
        "empty": feed_server.add("/empty.xml", b""),
        "loop": feed_server.add_redirect("/loop1", "/loop2"),
        "huge": feed_server.add_huge("/huge.xml", 200 * 1024 * 1024),
        "drip": feed_server.add_drip("/drip.xml", rss(COOP), interval_s=0.2),
        "bomb": feed_server.add("/bomb.xml", BOMB),
    }
    feed_server.add_redirect("/loop2", "/loop1")
    feeds = [spec(u) for u in [good, *partial.values(), *bad.values()]]
    store.sync_feeds(feeds, clock.now())
    async with _fetcher_for_hostile() as fetcher:
        outcomes = await poll_feeds(feeds, fetcher=fetcher, store=store, clock=clock)
    by_url = {o.feed.url: o for o in outcomes}
    for name, url in bad.items():
        assert by_url[url].error, name
        state = store.feed_state(url)
        assert state is not None and state.consecutive_errors == 1 and state.last_error, name
    for name, url in partial.items():
        assert by_url[url].error is None and by_url[url].new_items, name
    assert by_url[partial["truncated"]].problem
    # a server that answered and then dripped is not asked again; a 500 is, within bounds
    assert feed_server.hits("/drip.xml") == 1
    assert feed_server.hits("/error.xml") == 4
    titles = {n.item.title for o in outcomes for n in o.new_items}
    assert "보건복지부, 감염병 대응 강화" in titles
    assert [n.item.title for n in by_url[good].new_items] == [DOMESTIC[1]]
    assert {i.title for i in store.recent_items(20)} >= {COOP[1], DOMESTIC[1], "Clinic opens"}


def _fetcher_for_hostile() -> Fetcher:
    # production's retry policy, with short deadlines and no waiting between attempts
    limits = FetchLimits(retries=3, total_timeout_s=1.0, budget_s=3.0, max_bytes=2_000_000)
    return Fetcher(user_agent="monitor-tests", limits=limits, sleep=_no_sleep)


async def test_failing_feed_backs_off_and_recovers(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    url = feed_server.add("/flaky.xml", b"down", status=500)
    clock = FakeClock()
    feed = spec(url, interval=timedelta(minutes=10))
    delays = []
    for _ in range(3):
        await poll(feed, store, fetcher, clock)
        state = store.feed_state(url)
        assert state is not None and state.next_due_at is not None
        delays.append(state.next_due_at - clock.now())
    assert delays[0] >= timedelta(minutes=10) and delays[1] >= 2 * delays[0] * 0.9
    assert delays[2] >= delays[1]
    feed_server.add("/flaky.xml", rss(COOP))
    outcome = await poll(feed, store, fetcher, clock)
    state = store.feed_state(url)
    assert outcome.error is None and state is not None and state.consecutive_errors == 0
    assert state.next_due_at == clock.now() + timedelta(minutes=10)


async def test_retry_after_postpones_the_feed(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    url = feed_server.add_sequence("/busy.xml", [Reply(429, b"", {"Retry-After": "3600"})] * 3)
    clock = FakeClock()
    outcome = await poll(spec(url), store, fetcher, clock)
    state = store.feed_state(url)
    assert outcome.error and state is not None and state.next_due_at is not None
    assert state.next_due_at - clock.now() >= timedelta(hours=1)


async def test_fulltext_feeds_fetch_the_article(
    feed_server: FeedServer, store: Store, fetcher: Fetcher
) -> None:
    article = feed_server.add(
        "/article/1",
        (
            "<html><head><title>MOU</title></head><body><nav>Home | World | Sport</nav><article>"
            "<h1>Korea and Indonesia sign MOU on AI teleconsultation</h1>"
            + "<p>The health ministers of Korea and Indonesia signed a memorandum in Jakarta on "
            "Tuesday to pilot AI-assisted teleconsultation in 20 primary health centres.</p>"
            * 3
            + "</article><footer>Copyright</footer></body></html>"
        ).encode(),
        content_type="text/html; charset=utf-8",
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>f1</guid>'
        f"<title>Korea, Indonesia sign MOU</title><link>{article}</link>"
        "<description>MOU signed.</description></item></channel></rss>"
    ).encode()
    url = feed_server.add("/brief.xml", body)
    # the article is on 127.0.0.1: an intranet page, fetched only with allow_private_feeds
    guards = FetchGuards(allow_private_feeds=True)
    outcome = await poll(spec(url, fulltext=True), store, fetcher, FakeClock(), guards=guards)
    text = outcome.new_items[0].item.text
    assert "20 primary health centres" in text and "Copyright" not in text
    stored = store.item(outcome.new_items[0].id)
    assert stored is not None and stored.fulltext == text


def test_next_poll_at_doubles_per_failure_and_is_capped() -> None:
    now = FakeClock().now()
    interval = timedelta(minutes=15)

    def no_jitter() -> float:
        return 0.0

    assert next_poll_at(now, interval, 0) == now + interval
    assert next_poll_at(now, interval, 1, rand=no_jitter) == now + interval
    assert next_poll_at(now, interval, 3, rand=no_jitter) == now + 4 * interval
    assert next_poll_at(now, interval, 40, rand=no_jitter) == now + timedelta(hours=24)
    assert next_poll_at(now, interval, 0, retry_after_s=7200) == now + timedelta(hours=2)


async def test_a_held_sqlite_write_lock_does_not_stall_the_event_loop(
    feed_server: FeedServer, tmp_path: Path, fetcher: Fetcher
) -> None:
    """Store calls run in worker threads: while another process holds SQLite's write lock,
    the poll waits in its thread and every other coroutine on the loop keeps running."""
    import asyncio
    import sqlite3
    import threading

    class SignallingStore(Store):
        """The real store, telling the test when the poll's first item write begins."""

        writing = threading.Event()

        def add_item(self, *args: Any, **kwargs: Any) -> int | None:
            self.writing.set()
            return super().add_item(*args, **kwargs)

    path = tmp_path / "locked.db"
    url = feed_server.add("/locked.xml", rss(COOP))
    clock = FakeClock()
    with SignallingStore.open(f"sqlite:///{path}", busy_timeout_s=20.0) as store:
        store.sync_feeds([spec(url)], clock.now())
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        other.execute("UPDATE feeds SET name = name")
        try:
            task = asyncio.create_task(
                poll_feed(spec(url), fetcher=fetcher, store=store, clock=clock)
            )
            assert await asyncio.to_thread(SignallingStore.writing.wait, 10.0)
            for _ in range(100):  # the loop keeps turning while the write waits
                await asyncio.sleep(0)
            assert not task.done(), "the poll should still be waiting for the lock"
        finally:
            other.execute("ROLLBACK")
            other.close()
        outcome = await task
    assert outcome.error is None and [n.item.title for n in outcome.originals] == [COOP[1]]
