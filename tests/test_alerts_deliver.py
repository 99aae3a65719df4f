"""The deliverer against the local Bot API stand-in, through python-telegram-bot's real client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from telegram import Bot
from test_store_subscriptions import MODEL, NOW, labels

from monitor.alerts.deliver import Deliverer, DeliveryLimits
from monitor.alerts.router import Router
from monitor.alerts.sinks import ConsoleSink, html_to_text
from monitor.alerts.telegram_sink import TelegramSink
from monitor.filters import Filter
from monitor.models import FeedSpec, Item, Subscription
from monitor.store import Store

FEED = "https://feeds.example/yonhap"
FAST = DeliveryLimits(overall_per_s=1000, per_chat_per_s=1000, group_per_min=1000)
EN = (1.0, 0.0, 0.0)
KO = (0.97, 0.2431, 0.0)


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot("123:TEST", base_url=f"{api.url}/bot") as b:
        yield b


class Sleeps:
    """An injected sleep: records the waits and moves the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))


def deliverer(
    store: Store, bot: Bot, clock: FakeClock, sleep: Sleeps | None = None, worker: str = "w1"
) -> Deliverer:
    return Deliverer(
        store=store,
        sink=TelegramSink(bot),
        clock=clock,
        worker=worker,
        topic_names={"en": {"uhc": "Universal health coverage"}, "ko": {"uhc": "보편적 건강보장"}},
        limits=FAST,
        sleep=sleep or Sleeps(clock),
    )


def new_item(
    store: Store, n: int, title: str, vector: tuple[float, ...] = (), **label_values: object
) -> int:
    store.sync_feeds([FeedSpec(url=FEED, name="Yonhap")], NOW)
    item = Item(FEED, f"g{n}", f"https://news.example/{n}?a=1&b=2", title, "text", NOW)
    item_id = store.add_item(
        item, first_seen_at=NOW, content_hash=f"h{n}", signature=[n], bands=[], duplicate_of=None
    )
    assert item_id is not None
    Router(store).save_labels_and_route(
        item_id, f"h{n}", MODEL, labels(vector, **label_values), NOW
    )
    return item_id


def subscribe(store: Store, chat_id: int, **values: object) -> None:
    store.save_subscription(Subscription(chat_id=chat_id, **values), NOW)  # type: ignore[arg-type]


async def test_a_matching_item_is_one_alert_with_its_content(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7, timezone="Asia/Seoul")
    subscribe(store, 8, filter=Filter(topics=frozenset({"ncd"})))  # does not match
    item_id = new_item(store, 1, "Korea <b>and</b> Indonesia & friends sign MOU")
    report = await deliverer(store, bot, clock).drain()
    assert report.sent == 1
    (sent,) = api.sent()
    assert sent["chat_id"] == 7 and sent["parse_mode"] == "HTML"
    text = sent["text"]
    assert "Korea &lt;b&gt;and&lt;/b&gt; Indonesia &amp; friends sign MOU" in text
    assert '<a href="https://news.example/1?a=1&amp;b=2">' in text
    assert "Yonhap" in text and "2026-11-25 18:00 KST" in text
    assert "Universal health coverage" in text and "🇰🇷 KR" in text
    markup = sent["reply_markup"]
    assert f"fb:{item_id}:up" in markup and f"fb:{item_id}:down" in markup
    assert store.delivery_counts()["sent"] == 1
    assert (await deliverer(store, bot, clock).drain()).sent == 0  # nothing twice
    assert len(api.sent()) == 1
    assert store.deliveries_of(7)[0]["message_id"] in api.messages


async def test_the_same_story_again_is_a_reply_to_the_first_alert(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7)
    new_item(store, 1, "Korea and Indonesia sign telemedicine MOU", EN)
    new_item(store, 2, "한-인니 원격의료 양해각서", KO, language="ko")
    report = await deliverer(store, bot, clock).drain()
    assert report.sent == 2
    first, reply = api.sent()
    assert "telemedicine" in first["text"]
    first_id = store.deliveries_of(7)[0]["message_id"]
    assert "reply_markup" not in reply
    assert reply["text"] == "🔁 Also reported by <b>Yonhap</b>, in Korean"
    assert f'"message_id": {first_id}' in reply["reply_parameters"]


async def test_429_waits_retry_after_then_delivers(store: Store, api: FakeBotAPI, bot: Bot) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7)
    subscribe(store, 8)
    new_item(store, 1, "MOU")
    api.fail(429, chat_id=7, retry_after=3)
    d = deliverer(store, bot, clock)
    report = await d.drain()
    # chat 8 went out beside chat 7, or was held back by the pause: either is fine
    assert report.retried == 1 and report.sent in (0, 1)
    assert d.paused_until == NOW + timedelta(seconds=3)
    new_item(store, 2, "MOU again")
    clock.advance(timedelta(seconds=2))
    assert (await d.drain()).sent == 0  # paused: nothing at all until the wait is over
    clock.advance(timedelta(seconds=1))
    assert report.sent + (await d.drain()).sent == 4
    assert sorted(s["chat_id"] for s in api.sent()) == [7, 7, 8, 8]


async def test_drain_until_idle_waits_out_a_429_with_the_injected_sleep(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    sleeps = Sleeps(clock)
    subscribe(store, 7)
    new_item(store, 1, "MOU")
    api.fail(429, chat_id=7, retry_after=5)
    report = await deliverer(store, bot, clock, sleeps).drain_until_idle(timedelta(seconds=60))
    assert report.sent == 1 and sleeps.waits == [5.0]
    assert len(api.sent()) == 1


async def test_server_errors_are_retried_with_backoff(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    sleeps = Sleeps(clock)
    subscribe(store, 7)
    new_item(store, 1, "MOU")
    api.fail(500, times=2)
    report = await deliverer(store, bot, clock, sleeps).drain()
    assert report.sent == 1 and len(api.sent()) == 1 and len(api.failed) == 2
    assert sleeps.waits == [0.5, 1.0]  # exponential, within one pass


async def test_an_outage_backs_off_across_passes_and_never_loses_the_alert(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7)
    new_item(store, 1, "MOU")
    api.fail(502, times=-1)
    d = deliverer(store, bot, clock)
    assert (await d.drain()).retried == 1
    row = store.deliveries_of(7)[0]
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "Bad Gateway" in row["last_error"]
    api._failures.clear()  # the Bot API is back
    assert (await d.drain()).sent == 0  # not due yet: 30 s backoff
    clock.advance(timedelta(seconds=100))
    assert (await d.drain()).sent == 1


async def test_403_deactivates_the_subscription(store: Store, api: FakeBotAPI, bot: Bot) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7)
    subscribe(store, 8)
    new_item(store, 1, "MOU one")
    new_item(store, 2, "MOU two")
    api.fail(403, chat_id=7)
    report = await deliverer(store, bot, clock).drain()
    assert report.chats_gone == [7]
    sub = store.subscription(7)
    assert sub is not None and not sub.active
    assert [s["chat_id"] for s in api.sent()] == [8, 8]
    assert [r["status"] for r in store.deliveries_of(7)] == ["failed", "skipped"]
    new_item(store, 3, "MOU three")
    assert [r["item_id"] for r in store.deliveries_of(7)][-1] != 3  # no more routing to it


async def test_a_group_that_became_a_supergroup_gets_its_alerts_under_the_new_id(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    subscribe(store, -100, chat_type="group", title="Health desk", thread_id=None)
    new_item(store, 1, "MOU one")
    new_item(store, 2, "MOU two")
    upgraded = "Bad Request: group chat was upgraded to a supergroup chat"
    api.fail(400, chat_id=-100, times=-1, description=upgraded, migrate_to=-1001234)

    first = await deliverer(store, bot, clock).drain()

    moved = store.subscription(-1001234)
    assert moved is not None and moved.active and moved.title == "Health desk"
    assert moved.chat_type == "supergroup"
    assert store.subscription(-100) is None
    assert first.failed == 0 and first.chats_gone == []
    assert [s["chat_id"] for s in api.sent()] == [-1001234, -1001234]
    assert [r["status"] for r in store.deliveries_of(-1001234)] == ["sent", "sent"]
    new_item(store, 3, "MOU three")  # routed to the new id from now on
    assert [r["item_id"] for r in store.deliveries_of(-1001234)][-1] == 3


async def test_a_muted_chat_holds_its_alert_and_a_bad_request_fails_one_row(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7)
    subscribe(store, 8)
    new_item(store, 1, "MOU")
    subscribe(store, 7, muted_until=NOW + timedelta(hours=1))  # muted after routing
    api.fail(400, chat_id=8)
    report = await deliverer(store, bot, clock).drain()
    assert (report.held, report.failed, report.sent) == (1, 1, 0)
    assert store.delivery_counts() == {
        "pending": 0,
        "sent": 0,
        "failed": 1,
        "skipped": 0,
        "held": 1,
    }


async def test_a_crashed_deliverer_loses_nothing_and_repeats_only_its_unrecorded_send(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    """Crash after claiming: the lease expires and another deliverer sends everything.

    The one duplicate is the row whose message Telegram accepted just before the
    crash, before ``mark_sent`` committed: the documented window.
    """
    clock = FakeClock(NOW)
    for chat in (1, 2, 3):
        subscribe(store, chat)
    new_item(store, 1, "MOU")
    lease = FAST.lease
    claimed = store.claim_deliveries("dead", NOW, lease)  # deliverer "dead" claims ...
    assert len(claimed) == 3
    await TelegramSink(bot).send(claimed[0].chat_id, "sent, then kill -9")  # ... sends one, dies
    survivor = deliverer(store, bot, clock, worker="w2")
    assert (await survivor.drain()).sent == 0  # the leases still run
    clock.advance(lease + timedelta(seconds=1))
    assert (await survivor.drain()).sent == 3
    chats = [s["chat_id"] for s in api.sent()]
    assert sorted(chats) == [1, 1, 2, 3]  # chat 1 twice: the window; 2 and 3 once, none lost
    assert store.delivery_counts()["sent"] == 3


class StallingSink:
    """Telegram, but the first send hangs until released: a worker stalled past its lease."""

    def __init__(self, bot: Bot) -> None:
        self.telegram = TelegramSink(bot)
        self.stalled = asyncio.Event()
        self.resume = asyncio.Event()
        self.calls = 0

    async def send(self, chat_id: int, text: str, **options: Any) -> int | None:
        self.calls += 1
        if self.calls == 1:
            self.stalled.set()
            await self.resume.wait()
        return await self.telegram.send(chat_id, text, **options)


async def test_a_worker_stalled_past_its_lease_repeats_at_most_the_send_in_flight(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    """Fenced leases: while w1 hangs in a send, its lease runs out and w2 sends the chat's
    rows. When w1 wakes, its one send in flight goes out (the documented duplicate), its
    "sent" is refused, and it sends none of the rest: their renewal fails."""
    clock = FakeClock(NOW)
    subscribe(store, 1)
    for n in range(1, 6):
        new_item(store, n, f"MOU {n}")
    sink = StallingSink(bot)
    stalled = Deliverer(store=store, sink=sink, clock=clock, worker="w1", limits=FAST)
    first_pass = asyncio.create_task(stalled.drain())
    await sink.stalled.wait()
    clock.advance(FAST.lease + timedelta(seconds=1))
    assert (await deliverer(store, bot, clock, worker="w2").drain()).sent == 5
    sink.resume.set()
    await first_pass
    texts = [s["text"].split("\n", 1)[0] for s in api.sent()]
    assert len(texts) == 6  # without the fence, w1 would send all five again
    assert max(texts.count(t) for t in texts) == 2
    assert store.delivery_counts()["sent"] == 5
    assert [r["message_id"] is not None for r in store.deliveries_of(1)] == [True] * 5


async def test_two_deliverers_on_one_database_send_each_alert_once(
    database_url: str, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    stores = [Store.open(database_url), Store.open(database_url)]
    try:
        for chat in range(1, 31):
            subscribe(stores[0], chat)
        for n in range(1, 5):
            new_item(stores[0], n, f"MOU {n}")
        limits = DeliveryLimits(
            overall_per_s=1000, per_chat_per_s=1000, group_per_min=1000, batch=7
        )
        workers = [
            Deliverer(store=s, sink=TelegramSink(bot), clock=clock, worker=f"w{i}", limits=limits)
            for i, s in enumerate(stores)
        ]
        reports = await asyncio.gather(*(w.drain() for w in workers))
    finally:
        for s in stores:
            s.close()
    sent = [(s["chat_id"], s["text"]) for s in api.sent()]
    assert len(sent) == len(set(sent)) == 120
    assert sum(r.sent for r in reports) == 120


async def test_operator_notices_go_out_as_they_are(store: Store, api: FakeBotAPI, bot: Bot) -> None:
    clock = FakeClock(NOW)
    store.add_notices([900], "⚠️ <b>Feed</b> failing", NOW)
    assert (await deliverer(store, bot, clock).drain()).sent == 1
    assert api.sent()[0]["text"] == "⚠️ <b>Feed</b> failing"


async def test_the_console_sink_prints_the_same_alerts(store: Store) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7)
    new_item(store, 1, "A <fake> & real title")
    lines: list[str] = []
    d = Deliverer(store=store, sink=ConsoleSink(lines.append), clock=clock, worker="c", limits=FAST)
    assert (await d.drain()).sent == 1
    assert lines[0].startswith("● [chat 7] A <fake> & real title (https://news.example/1?a=1&b=2)")


def test_html_to_text_keeps_escaped_text_literal() -> None:
    assert html_to_text('<b>x &lt;i&gt;</b> <a href="https://a/?q=1&amp;r=2">t</a>') == (
        "x <i> t (https://a/?q=1&r=2)"
    )


async def test_a_wire_copy_in_another_outlet_is_a_reply(
    store: Store, api: FakeBotAPI, bot: Bot
) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7)
    original = new_item(store, 1, "Korea and Indonesia sign MOU")
    wire = "https://wire.example/rss"
    store.sync_feeds([FeedSpec(url=FEED, name="Yonhap"), FeedSpec(url=wire, name="Wire <AP>")], NOW)
    copy = Item(
        wire, "w1", "https://wire.example/1", "Korea, Indonesia sign MOU", "text", NOW, "ko"
    )
    assert store.add_item(
        copy, first_seen_at=NOW, content_hash="w1", signature=[1], bands=[], duplicate_of=original
    )
    assert (await deliverer(store, bot, clock).drain()).sent == 2
    first, reply = api.sent()
    assert "reply_markup" in first and "reply_markup" not in reply
    assert reply["text"] == "🔁 Also reported by <b>Wire &lt;AP&gt;</b>, in Korean"


async def test_processes_sending_at_once_share_the_overall_rate(
    store: Store, api: FakeBotAPI, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(NOW)
    for chat in (1, 2, 3):
        subscribe(store, chat)
    new_item(store, 1, "MOU one")
    store.claim_deliveries("other-process", NOW, timedelta(minutes=2), limit=1)  # busy with chat 1
    limits = DeliveryLimits(overall_per_s=30, per_chat_per_s=1000, group_per_min=1000)
    one = Deliverer(store=store, sink=TelegramSink(bot), clock=clock, worker="w1", limits=limits)

    with caplog.at_level("INFO", logger="monitor.alerts.deliver"):
        report = await one.drain()

    assert "2 processes sending: 15 messages/s for this one" in caplog.text
    assert report.sent == 2
    assert sorted(s["chat_id"] for s in api.sent()) == [2, 3]  # chat 1 is the other's
