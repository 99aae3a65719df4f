"""Digest-only chats get their daily digest in the chat, once, at their time (issue #20 part 2).

The bot is the real `Application` on the Bot API stand-in; the chats' sweep
(`ChatDigests`) queues the digest into the real store's outbox and the real
deliverer sends it to the same stand-in. The clock is injected: START is
2026-11-25 09:00 UTC.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

from fakebotapi import FakeBotAPI
from fakes import FakeClock
from telegram import Bot
from test_alerts_quiet_hours import alert, alerts_to, deliverer
from test_telegram_bot import ADMIN, USER, say, settings_for

from classifiers.taxonomy import load_taxonomy
from monitor.digest.chats import ChatDigests, chat_key
from monitor.digest.jobs import DigestBuilder
from monitor.store import Store
from monitor.telegram import BotApplication

pytest_plugins = ["test_alerts_quiet_hours"]  # its fixtures: api, sqlite_store, clock, bot, sender


def chat_digests(tmp_path: Path, api: FakeBotAPI, store: Store, clock: FakeClock) -> ChatDigests:
    builder = DigestBuilder(settings_for(tmp_path, api), store, load_taxonomy())
    return ChatDigests(builder, store, clock)


def digests_in(messages: list[dict[str, object]]) -> list[dict[str, object]]:
    return [m for m in messages if "Health cooperation digest" in str(m["text"])]


async def test_a_digest_only_chat_gets_one_digest_at_its_time_and_an_ordinary_chat_none(
    tmp_path: Path,
    bot: BotApplication,
    api: FakeBotAPI,
    sqlite_store: Store,
    clock: FakeClock,
    sender: Bot,
) -> None:
    await say(api, "/subscribe KR")
    answer = await say(api, "/alerts digest")
    assert "digest" in answer["text"].lower()
    sub = sqlite_store.subscription(USER)
    assert sub is not None and not sub.instant and sub.digest_time == time(8)  # the default
    answer = await say(api, "/digest time 10:00")  # 09:00 UTC now: the digest is an hour away
    assert "10:00 (UTC)" in answer["text"]
    shown = await say(api, "/subscriptions")
    assert "the digest comes daily at 10:00 (UTC)" in shown["text"]
    await say(api, "/subscribe KR", user=ADMIN)  # an ordinary chat: instant alerts
    before = len(api.calls("sendMessage"))
    alert(sqlite_store, clock, "Korea and Viet Nam sign a health MOU")
    chats = chat_digests(tmp_path, api, sqlite_store, clock)

    assert await chats.run_due() == []  # not before its time
    await deliverer(sqlite_store, sender, clock).drain()
    assert alerts_to(api, USER, before) == []  # no instant alert either
    assert len(alerts_to(api, ADMIN, before)) == 1

    clock.advance(timedelta(hours=1))  # 10:00 UTC
    (queued,) = await chats.run_due()
    assert (queued.chat_id, queued.period_key, queued.stories) == (USER, "daily:2026-11-25", 1)
    assert await chats.run_due() == []  # claimed once per chat and period
    await deliverer(sqlite_store, sender, clock).drain()
    await deliverer(sqlite_store, sender, clock).drain()
    (digest,) = digests_in(alerts_to(api, USER, before))
    assert len(alerts_to(api, USER, before)) == 1
    assert "Korea and Viet Nam sign a health MOU" in str(digest["text"])
    assert digest.get("parse_mode") == "HTML"
    assert digests_in(alerts_to(api, ADMIN, before)) == []  # the ordinary chat gets none
    assert sqlite_store.digest_entry(chat_key(USER), "daily:2026-11-25") is not None

    clock.advance(timedelta(hours=23, minutes=59))  # not yet tomorrow's 10:00
    assert await chats.run_due() == []
    clock.advance(timedelta(minutes=1))
    assert [q.period_key for q in await chats.run_due()] == ["daily:2026-11-26"]


async def test_alerts_on_ends_the_chats_digest(
    tmp_path: Path,
    bot: BotApplication,
    api: FakeBotAPI,
    sqlite_store: Store,
    clock: FakeClock,
) -> None:
    await say(api, "/subscribe KR")
    await say(api, "/alerts digest")
    await say(api, "/alerts on")
    sub = sqlite_store.subscription(USER)
    assert sub is not None and sub.instant and sub.digest_time is None
    assert await chat_digests(tmp_path, api, sqlite_store, clock).run_due() == []


def test_a_chats_digest_is_queued_once_per_period_on_both_backends(store: Store) -> None:
    now = FakeClock().now()
    period = ("daily:2026-11-25", now - timedelta(days=1), now)
    texts = ["<b>digest</b> part 1", "part 2"]
    assert store.queue_chat_digest(USER, chat_key(USER), period, texts, now, items=3)
    assert not store.queue_chat_digest(USER, chat_key(USER), period, texts, now, items=3)
    claimed = store.claim_deliveries("w1", now, timedelta(minutes=2))
    assert [(d.chat_id, d.kind, d.text) for d in claimed] == [
        (USER, "notice", "<b>digest</b> part 1"),
        (USER, "notice", "part 2"),
    ]
    entry = store.digest_entry(chat_key(USER), "daily:2026-11-25")
    assert entry is not None and entry.status == "sent" and entry.items == 3
    tomorrow = ("daily:2026-11-26", now, now + timedelta(days=1))
    assert store.queue_chat_digest(USER, chat_key(USER), tomorrow, texts, now)
