"""Time zone, quiet hours, mutes that keep, and the free-text hint (issue #20 parts 1-4).

The bot is the real `Application` talking to the Bot API stand-in; alerts go
through the real deliverer and `TelegramSink` to the same stand-in, which records
``disable_notification``. The clock is injected: the stand-in's START is
2026-11-25 09:00 UTC, 18:00 in Seoul.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from telegram import Bot
from test_store_subscriptions import labels
from test_telegram_bot import (
    ADMIN,
    GROUP,
    MODEL,
    USER,
    add_item,
    last_message_id,
    press,
    running,
    say,
    settings_for,
)

from monitor.alerts import quiet
from monitor.alerts.deliver import Deliverer, DeliveryLimits
from monitor.alerts.router import Router
from monitor.alerts.telegram_sink import TelegramSink
from monitor.models import FeedSpec, Item, Subscription
from monitor.store import Store
from monitor.telegram import BotApplication
from monitor.telegram.quiet_commands import looks_like_search, parse_quiet, search_words
from monitor.telegram.zones import parse_zone

FEED = "https://wire.example/rss"
FAST = DeliveryLimits(overall_per_s=1000, per_chat_per_s=1000, group_per_min=1000)
OUTBREAK = "Cholera outbreak declared in three provinces; WHO sends a team"


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path}/bot.db") as opened:
        yield opened


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def bot(
    tmp_path: Path, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    async with running(settings_for(tmp_path, api), sqlite_store, clock) as application:
        yield application


@pytest.fixture
async def sender(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot("123:TEST", base_url=f"{api.url}/bot") as b:
        yield b


def deliverer(store: Store, sender: Bot, clock: FakeClock, **kw: Any) -> Deliverer:
    return Deliverer(
        store=store, sink=TelegramSink(sender), clock=clock, worker="w1", limits=FAST, **kw
    )


_guid = iter(range(1, 1000))


def alert(store: Store, clock: FakeClock, title: str, **label_values: Any) -> int:
    """A new relevant item, routed now."""
    n = next(_guid)
    now = clock.now()
    store.sync_feeds([FeedSpec(url=FEED, name="Wire", source="wire")], now)
    item = Item(FEED, f"q{n}", f"https://wire.example/q{n}", title, title, now)
    item_id = store.add_item(
        item, first_seen_at=now, content_hash=f"qh{n}", signature=[n], bands=[], duplicate_of=None
    )
    assert item_id is not None
    Router(store).save_labels_and_route(item_id, f"qh{n}", MODEL, labels(**label_values), now)
    return item_id


def alerts_to(api: FakeBotAPI, chat: int, since: int) -> list[dict[str, Any]]:
    return [m for m in api.calls("sendMessage")[since:] if int(m["chat_id"]) == chat]


def silent(message: dict[str, Any]) -> bool:
    return str(message.get("disable_notification", "")).lower() == "true"


# -- pure parts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Asia/Seoul", "Asia/Seoul"),
        ("asia/seoul", "Asia/Seoul"),
        ("KST", "Asia/Seoul"),
        ("Seoul", "Asia/Seoul"),
        ("서울", "Asia/Seoul"),
        ("Jakarta", "Asia/Jakarta"),
        ("WIB", "Asia/Jakarta"),
        ("Hà Nội", "Asia/Ho_Chi_Minh"),
        ("+09:00", "Etc/GMT-9"),
        ("UTC+7", "Etc/GMT-7"),
        ("-5", "Etc/GMT+5"),
        ("+05:30", "Asia/Kolkata"),
    ],
)
def test_parse_zone(typed: str, zone: str) -> None:
    assert parse_zone(typed) == zone


@pytest.mark.parametrize("typed", ["Mars", "+15:00", "", "Asia/Nowhere"])
def test_parse_zone_refuses_what_is_no_zone(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_zone(typed)


def test_parse_quiet() -> None:
    assert parse_quiet([]).action == "show"
    assert parse_quiet(["off"]).action == "off"
    window = parse_quiet(["22:00-07:00"])
    assert (window.start, window.end, window.hold) == (time(22), time(7), False)
    assert parse_quiet(["22", "-", "7"]).end == time(7)
    held = parse_quiet(["hold", "23:30–06:00"])
    assert (held.start, held.end, held.hold) == (time(23, 30), time(6), True)
    assert parse_quiet(["hold"]).hold is True and parse_quiet(["hold"]).start is None
    for bad in (["25:00-07:00"], ["tonight"], ["7-7"]):
        with pytest.raises(ValueError):
            parse_quiet(bad)


def test_the_window_runs_over_midnight_in_the_chats_zone() -> None:
    assert quiet.in_window(time(22), time(7), time(23, 59))
    assert quiet.in_window(time(22), time(7), time(6, 59))
    assert not quiet.in_window(time(22), time(7), time(7))
    assert quiet.in_window(time(13), time(14), time(13, 30))
    sub = Subscription(1, timezone="Asia/Seoul", quiet_start=time(22), quiet_end=time(7))
    assert quiet.quiet_now(sub, datetime(2026, 11, 25, 14, 0, tzinfo=UTC))  # 23:00 KST
    assert not quiet.quiet_now(sub, datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # 18:00 KST
    korean = Subscription(1, ui_language="ko")  # no zone chosen: guessed from the language
    assert korean.zone == "Asia/Seoul" and Subscription(1).zone == "UTC"


def test_urgent_means_health_security_and_an_urgent_phrase() -> None:
    hs = labels(topics=("health_security",))
    assert quiet.is_urgent(hs, [OUTBREAK])
    assert quiet.is_urgent(hs, ["경북서 조류인플루엔자 집단발생"])
    assert quiet.is_urgent(hs, ["Indonesia tetapkan KLB difteri"])
    assert not quiet.is_urgent(hs, ["Ministers discuss the breakout session agenda"])
    assert not quiet.is_urgent(labels(topics=("uhc",)), [OUTBREAK])  # not health security
    muted = Subscription(1, muted_until=datetime(2026, 11, 25, 10, tzinfo=UTC))
    assert quiet.mode(muted, datetime(2026, 11, 25, 9, tzinfo=UTC), urgent=True) is quiet.Mode.HOLD


def test_free_text_that_reads_like_a_search() -> None:
    assert looks_like_search("dengue vaccine Viet Nam")
    assert not looks_like_search("Hello, could you please tell me what this bot does exactly?")
    assert not looks_like_search("12345")
    words = search_words("원격의료 협력 " * 10)
    assert len(("hint:s:" + words).encode()) <= 64 and words.startswith("원격의료 협력")


# -- through the Bot API stand-in ----------------------------------------------------


async def test_timezone_then_quiet_hours_make_ordinary_alerts_silent_but_not_urgent_ones(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock, sender: Bot
) -> None:
    await say(api, "/subscribe KR")
    answer = await say(api, "/timezone Asia/Seoul")
    assert answer["text"].startswith("Time zone set to Asia/Seoul (now 2026-11-25 18:00 KST)")
    # a window around the present hour (18:00 in Seoul)
    answer = await say(api, "/quiet 17:30-19:00")
    assert "17:30–19:00 Asia/Seoul" in answer["text"] and "have begun" in answer["text"]
    shown = await say(api, "/subscriptions")
    assert "Time zone: Asia/Seoul" in shown["text"] and "Quiet hours: 17:30–19:00" in shown["text"]

    before = len(api.calls("sendMessage"))
    alert(sqlite_store, clock, "Korea and Viet Nam sign a health MOU")
    await deliverer(sqlite_store, sender, clock).drain()
    (ordinary,) = alerts_to(api, USER, before)
    assert silent(ordinary) and "18:00 KST" in ordinary["text"]

    before = len(api.calls("sendMessage"))
    alert(sqlite_store, clock, OUTBREAK, topics=("health_security",))
    await deliverer(sqlite_store, sender, clock).drain()
    (urgent,) = alerts_to(api, USER, before)
    assert not silent(urgent)

    before = len(api.calls("sendMessage"))  # an operator may switch the rule off
    alert(sqlite_store, clock, OUTBREAK + " again", topics=("health_security",))
    await deliverer(sqlite_store, sender, clock, urgent_through_quiet=False).drain()
    (hushed,) = alerts_to(api, USER, before)
    assert silent(hushed)

    assert "Quiet hours are off" in (await say(api, "/quiet off"))["text"]
    before = len(api.calls("sendMessage"))
    alert(sqlite_store, clock, "Korea and Laos open a clinic together")
    await deliverer(sqlite_store, sender, clock).drain()
    (loud,) = alerts_to(api, USER, before)
    assert not silent(loud)


async def test_quiet_hold_delivers_one_summary_when_the_window_ends(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock, sender: Bot
) -> None:
    await say(api, "/subscribe KR")
    await say(api, "/timezone KST")
    await say(api, "/quiet")  # the keyboard: a window, then hold
    keyboard = last_message_id(api, USER)
    assert (await press(api, keyboard, "quiet:22:00-07:00"))["text"] == "Updated."
    await say(api, "/quiet hold 17:00-19:00")
    sub = sqlite_store.subscription(USER)
    assert sub is not None and sub.quiet_hold and sub.quiet_start == time(17)

    before = len(api.calls("sendMessage"))
    for title in ("Korea and Japan agree on vaccine trials", "Korea funds a clinic in Laos"):
        alert(sqlite_store, clock, title)
    report = await deliverer(sqlite_store, sender, clock).drain()
    assert report.held == 2 and alerts_to(api, USER, before) == []

    clock.advance(timedelta(hours=1, minutes=30))  # 19:30 in Seoul: the window is over
    report = await deliverer(sqlite_store, sender, clock).drain()
    assert report.summaries == 1
    (summary,) = alerts_to(api, USER, before)
    assert summary["text"].startswith("<b>🔕 While alerts were paused: 2 items</b>")
    assert "vaccine trials" in summary["text"] and "clinic in Laos" in summary["text"]
    again = await deliverer(sqlite_store, sender, clock).drain()  # exactly once
    assert again.summaries == 0 and len(alerts_to(api, USER, before)) == 1
    statuses = {d["status"] for d in sqlite_store.deliveries_of(USER) if d["kind"] == "alert"}
    assert statuses == {"summarised"}


async def test_a_muted_chat_gets_its_while_muted_summary(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock, sender: Bot
) -> None:
    await say(api, "/subscribe KR")
    await say(api, "/mute 2h")
    before = len(api.calls("sendMessage"))
    titles = [f"Korea and partner {n} sign a health MOU" for n in range(5)]
    for title in titles:
        alert(sqlite_store, clock, title)
    alert(sqlite_store, clock, OUTBREAK, topics=("health_security",))  # a mute holds it too
    assert (await deliverer(sqlite_store, sender, clock).drain()).held == 6
    assert alerts_to(api, USER, before) == []

    clock.advance(timedelta(hours=2))
    await deliverer(sqlite_store, sender, clock).drain()
    (summary,) = alerts_to(api, USER, before)
    text = summary["text"]
    assert text.startswith("<b>🔕 While alerts were paused: 6 items</b>")
    assert text.count("\n• ") + text.count("\n🚨 ") == 3  # the top three
    assert "🚨" in text and "Cholera" in text  # the urgent one first
    assert "…and 3 more: /latest" in text


async def test_free_text_gets_a_hint_and_a_search_button(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    add_item(sqlite_store, "g1", "Korea and Indonesia sign a digital health MoU")
    long = await say(api, "Hello! I was told this bot sends news, how do I use it, please?")
    assert long["text"] == "I answer commands: /help lists them, /search WORDS searches the news."
    hint = await say(api, "digital health")
    assert hint["text"] == "I answer commands (/help). Search the news for this?"
    assert "hint:s:digital health" in hint["reply_markup"]
    before = len(api.calls("sendMessage"))
    await press(api, last_message_id(api, USER), "hint:s:digital health")
    await _until(api, before)
    found = api.calls("sendMessage")[before]
    assert "Korea and Indonesia sign a digital health MoU" in found["text"]

    korean = await say(
        api, "안녕하세요 이 봇은 무엇을 하나요 알려주세요 정말 궁금합니다 부탁", lang="ko"
    )
    assert korean["text"].startswith("명령어로 답합니다")


async def test_only_group_admins_set_the_groups_zone_and_quiet_hours(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    group = {"chat": GROUP, "chat_type": "supergroup"}
    api.set_member(GROUP, ADMIN, "administrator")
    await say(api, "/subscribe KR", user=ADMIN, **group)
    for command in ("/quiet 22:00-07:00", "/timezone KST", "/quiet off", "/alerts digest"):
        refusal = await say(api, command, **group)
        assert "administrators" in refusal["text"]
    sub = sqlite_store.subscription(GROUP)
    assert sub is not None and sub.quiet_start is None and sub.timezone == "" and sub.instant
    await say(api, "/quiet", **group)  # reading is for anyone: the keyboard
    answer = await press(api, last_message_id(api, GROUP), "quiet:hold")
    assert answer["show_alert"] == "true" and "administrators" in answer["text"]
    before = len(api.calls("sendMessage"))
    api.send_text("some words", user=USER, **group)  # free text in a group: no hint
    await say(api, "/help", user=USER)
    assert [m["chat_id"] for m in api.calls("sendMessage")[before:]] == [str(USER)]

    assert (
        "Time zone set to Asia/Seoul"
        in (await say(api, "/timezone 서울", user=ADMIN, **group))["text"]
    )
    digest = await say(api, "/alerts digest", user=ADMIN, **group)
    assert digest["text"].startswith(
        "Instant alerts are off; the daily digest comes to this chat at 08:00"
    )


async def _until(api: FakeBotAPI, count: int) -> None:
    await asyncio.to_thread(
        api.wait_for, lambda reqs: sum(m == "sendMessage" for m, _ in reqs) > count
    )


# -- the store, on SQLite and PostgreSQL ---------------------------------------------


def test_held_rows_are_summarised_once_with_their_summary(store: Store) -> None:
    clock = FakeClock()
    now = clock.now()
    store.save_subscription(Subscription(USER, muted_until=now + timedelta(hours=1)), now)
    first, second = alert(store, clock, "MOU one"), alert(store, clock, "MOU two")
    claimed = store.claim_deliveries("w1", now, timedelta(minutes=2))
    assert [d.item_id for d in claimed] == [first, second]
    assert all(store.mark_held(d.id, token=d.lease_token) for d in claimed)
    assert store.claim_deliveries("w1", now, timedelta(minutes=2)) == []  # held: not pending
    assert store.held_chats() == [USER]
    rows = store.held_deliveries(USER)
    ids = [r for r, _, _ in rows]
    assert store.summarise_held(USER, ids, "summary", now)
    assert not store.summarise_held(USER, ids, "summary again", now)  # a second deliverer
    kinds = [(d["kind"], d["status"]) for d in store.deliveries_of(USER)]
    assert kinds == [("alert", "summarised"), ("alert", "summarised"), ("notice", "pending")]
    assert store.held_chats() == []
