"""The bot end to end: scripted users talk to the real `Application` through long polling.

`FakeBotAPI` hands scripted messages and button presses to python-telegram-bot's
`Updater` via getUpdates and records what the bot sends; the store is real.
Waiting is on the fake's condition (in a worker thread, so the event loop that
runs the bot keeps turning), never a sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from feedserver import FeedServer

from classifiers.base import Labels
from monitor.filters import Filter
from monitor.models import FeedSpec, Item
from monitor.settings import PollSettings, Settings
from monitor.store import Store
from monitor.telegram import BotApplication, build_application

MODEL = "test-model"
USER = 7
ADMIN = 42
GROUP = -100123
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Regional Health Wire</title>
<item><title>Korea and Indonesia sign a digital health MoU</title>
<link>https://wire.example/1</link></item>
<item><title>원격의료 협력 확대</title><link>https://wire.example/2</link></item>
</channel></rss>""".encode()
FEEDS_TOML = """# Operators' notes: keep this comment.
[[feed]]
url = "https://www.who.int/rss-feeds/news-english.xml"
name = "WHO news"
"""


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


def settings_for(tmp_path: Path, api: FakeBotAPI, **overrides: Any) -> Settings:
    feeds = tmp_path / "feeds.toml"
    if not feeds.exists():
        feeds.write_text(FEEDS_TOML, encoding="utf-8")
    values: dict[str, Any] = {
        "feeds_path": feeds,
        "data_dir": tmp_path,
        "database_url": "sqlite://",
        "telegram_token": "123:TEST",
        "telegram_api_url": api.url,
        "telegram_admins": (ADMIN,),
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(
    settings: Settings, store: Store, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The bot started the way the service starts it: start, then long polling."""
    application = build_application(settings, store, model_id=MODEL, clock=clock)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


@pytest.fixture
async def bot(
    tmp_path: Path, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    async with running(settings_for(tmp_path, api), sqlite_store, clock) as application:
        yield application


async def wait(api: FakeBotAPI, predicate: Any) -> None:
    await asyncio.to_thread(api.wait_for, predicate)


def sent_count(api: FakeBotAPI) -> int:
    return len(api.calls("sendMessage"))


async def say(api: FakeBotAPI, text: str, *, user: int = USER, **kw: Any) -> dict[str, Any]:
    """Send `text` as `user` and return the bot's (first) answer: sendMessage's parameters."""
    before = sent_count(api)
    api.send_text(text, user=user, **kw)
    await wait(api, lambda reqs: sum(m == "sendMessage" for m, _ in reqs) > before)
    return api.calls("sendMessage")[before]


async def press(api: FakeBotAPI, message_id: int, data: str, *, user: int = USER) -> dict[str, Any]:
    """Tap a button of the bot's message; return the bot's answerCallbackQuery parameters."""
    query = api.tap(message_id, data, user=user)

    def answered(reqs: list[tuple[str, dict[str, Any]]]) -> bool:
        return any(m == "answerCallbackQuery" and p["callback_query_id"] == query for m, p in reqs)

    await wait(api, answered)
    return next(p for p in api.calls("answerCallbackQuery") if p["callback_query_id"] == query)


def last_message_id(api: FakeBotAPI, chat: int) -> int:
    return max(i for i, m in api.messages.items() if int(m["chat_id"]) == chat)


def add_item(store: Store, guid: str, title: str, *, language: str = "en") -> int:
    store.sync_feeds([FeedSpec(url="https://wire.example/rss", name="Wire")], FakeClock().now())
    item = Item(
        "https://wire.example/rss", guid, f"https://wire.example/{guid}", title, title, None
    )
    item_id = store.add_item(
        item,
        first_seen_at=FakeClock().now(),
        content_hash=f"hash-{guid}",
        signature=(1, 2, 3),
        bands=(),
        duplicate_of=None,
    )
    labels = Labels(language, True, True, ("digital_health",), ("KR",), title)
    store.save_labels(f"hash-{guid}", MODEL, labels, FakeClock().now())
    return item_id


# -- subscribing ------------------------------------------------------------------


async def test_start_then_tapping_buttons_subscribes(
    tmp_path: Path, api: FakeBotAPI, store: Store, clock: FakeClock
) -> None:
    async with running(settings_for(tmp_path, api), store, clock):
        welcome = await say(api, "/start")
        assert "Asia-Pacific health cooperation" in welcome["text"]
        answer = await press(api, last_message_id(api, USER), "sub:on")
        assert answer["text"] == "Updated."
        sub = store.subscription(USER)
        assert sub is not None and sub.active and sub.filter == Filter()
        assert sub.chat_type == "private" and sub.title == "User7"

        await say(api, "/subscribe")
        keyboard = last_message_id(api, USER)
        await press(api, keyboard, "sub:t:digital_health")
        await press(api, keyboard, "sub:v:countries")
        await press(api, keyboard, "sub:c:KR")
        await press(api, keyboard, "sub:c:ID")
        await press(api, keyboard, "sub:v:languages")
        await press(api, keyboard, "sub:l:ko")
        await press(api, keyboard, "sub:l:ko")  # and off again
        labels = [b["text"] for b in api.buttons(keyboard)]
        await press(api, keyboard, "sub:done")
    sub = store.subscription(USER)
    assert sub is not None
    assert sub.filter == Filter(
        topics=frozenset({"digital_health"}), countries=frozenset({"KR", "ID"})
    )
    assert "한국어" in labels and "✅ 한국어" not in labels
    summary = api.messages[keyboard]["text"]
    assert "Countries: ID, KR" in summary and "Digital health" in summary


async def test_typed_subscriptions_and_the_keyword_conversation(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    reply = await say(api, "/subscribe digital_health KR ID")
    assert reply["text"].startswith("Subscribed.")
    sub = sqlite_store.subscription(USER)
    assert sub is not None and sub.active
    assert sub.filter.topics == {"digital_health"} and sub.filter.countries == {"KR", "ID"}
    assert sub.filter.cooperation_only

    await say(api, "/subscribe keyword 원격의료")
    prompt = await say(api, "/subscribe keyword")
    assert prompt["text"].startswith("Send the keyword") and "force_reply" in prompt["reply_markup"]
    added = await say(api, "telemedicine pilots")
    assert added["text"] == "Keyword added: telemedicine pilots"
    await say(api, "/subscribe keyword")
    assert (await say(api, "/cancel"))["text"] == "Cancelled."
    assert (await say(api, "/cancel"))["text"] == "Nothing to cancel."
    await say(api, "/subscribe all")
    sub = sqlite_store.subscription(USER)
    assert sub is not None
    assert sub.filter.keywords == ("원격의료", "telemedicine pilots")
    assert not sub.filter.cooperation_only

    summary = await say(api, "/unsubscribe KR keyword 원격의료")
    assert "Countries: ID" in summary["text"]
    assert "sub:edit" in summary["reply_markup"]
    assert (await say(api, "/unsubscribe"))["text"].startswith("Alerts to this chat are stopped")
    sub = sqlite_store.subscription(USER)
    assert sub is not None and not sub.active
    assert sub.filter.countries == {"ID"} and sub.filter.keywords == ("telemedicine pilots",)
    await say(api, "/subscribe")  # the keyboard shows what is kept
    assert "✅ 🇮🇩 ID" not in str(api.buttons(last_message_id(api, USER)))  # topics page first
    await press(api, last_message_id(api, USER), "sub:v:countries")
    assert any(b["text"] == "✅ 🇮🇩 ID" for b in api.buttons(last_message_id(api, USER)))


async def test_mute_unmute_and_instant_alerts(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> None:
    assert "no subscription" in (await say(api, "/mute 2h"))["text"]
    await say(api, "/subscribe")
    await press(api, last_message_id(api, USER), "sub:done")
    muted = await say(api, "/mute 2h")
    assert muted["text"] == "Alerts are muted until 2026-11-25 11:00 UTC. /unmute resumes them."
    sub = sqlite_store.subscription(USER)
    assert sub is not None and sub.muted_until == clock.now() + timedelta(hours=2)
    assert "Muted until" in (await say(api, "/subscriptions"))["text"]
    await say(api, "/unmute")
    await say(api, "/alerts off")
    sub = sqlite_store.subscription(USER)
    assert sub is not None and sub.muted_until is None and not sub.instant
    assert "Instant alerts: off" in (await say(api, "/subscriptions"))["text"]


# -- help for mistakes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/frobnicate now", "Unknown command /frobnicate. Send /help"),
        ("/subscribe digital_helth KR", "did you mean digital_health?"),
        ("/subscribe KR XX", "I did not understand XX. Usage:"),
        ("/subscribe keyword", "Send the keyword"),
        ("/unsubscribe nonsense", "This chat has no subscription yet"),
        ("/mute soon", "Usage: /mute DURATION, for example /mute 2h"),
        ("/mute 90d", "longer than the maximum of 30d"),
        ("/latest abc", "Please give a number from 1 to 20"),
        ("/language fr", "Usage: /language en|ko"),
        ("/alerts maybe", "Usage: /alerts on, /alerts off or /alerts digest"),
        ("/search", "Usage: /search WORDS"),
    ],
)
async def test_unknown_commands_and_bad_arguments_get_usage(
    bot: BotApplication, api: FakeBotAPI, command: str, expected: str
) -> None:
    assert expected in (await say(api, command))["text"]


# -- operators --------------------------------------------------------------------


async def test_operator_commands_are_refused_to_others(
    bot: BotApplication, api: FakeBotAPI
) -> None:
    for command in (
        "/addfeed https://wire.example/rss",
        "/removefeed WHO news",
        "/feeds",
        "/stats",
    ):
        reply = await say(api, command, user=USER)
        assert reply["text"] == "Sorry, this command is for operators only."


async def test_addfeed_refuses_private_addresses_without_the_allowance(
    bot: BotApplication, api: FakeBotAPI, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add("/rss.xml", RSS)
    before = (tmp_path / "feeds.toml").read_text()
    for url in ("http://127.0.0.1/", feed_server.url("/rss.xml"), "http://[::1]/feed"):
        reply = await say(api, f"/addfeed {url}", user=ADMIN)
        assert reply["text"].startswith("Refused: ") and "loopback" in reply["text"]
    assert "Usage: /addfeed URL" in (await say(api, "/addfeed", user=ADMIN))["text"]
    assert feed_server.hits("/rss.xml") == 0
    assert (tmp_path / "feeds.toml").read_text() == before


async def test_addfeed_with_the_allowance_fetches_parses_and_saves(
    tmp_path: Path, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock, feed_server: FeedServer
) -> None:
    url = feed_server.add("/rss.xml", RSS)
    feed_server.add("/page.html", b"<!doctype html><html><body>hi</body></html>")
    settings = settings_for(tmp_path, api, allow_private_feeds=True)
    async with running(settings, sqlite_store, clock):
        added = await say(api, f"/addfeed {url}", user=ADMIN)
        assert added["text"].startswith("Added Regional Health Wire (2 items in it now)")
        again = await say(api, f"/addfeed {url}", user=ADMIN)
        assert "already has the URL" in again["text"]
        page = await say(api, f"/addfeed {feed_server.url('/page.html')} Page", user=ADMIN)
        assert page["text"].startswith("Could not add the feed") and "HTML page" in page["text"]
        metadata = await say(api, "/addfeed http://169.254.169.254/latest/", user=ADMIN)
        assert "cloud metadata" in metadata["text"]
        text = (tmp_path / "feeds.toml").read_text()
        assert text.startswith("# Operators' notes: keep this comment.")
        assert url in text and 'name = "Regional Health Wire"' in text and "page.html" not in text
        assert f'added_by = "telegram:{ADMIN}"' in text  # so the poller keeps guarding it
        removed = await say(api, "/removefeed Regional Health Wire", user=ADMIN)
        assert removed["text"] == "Removed Regional Health Wire."
        missing = await say(api, "/removefeed Nothing Like It", user=ADMIN)
        assert missing["text"].startswith("Could not remove the feed")
    assert (tmp_path / "feeds.toml").read_text() == FEEDS_TOML
    assert feed_server.hits("/rss.xml") == 2  # fetched once per /addfeed, before saving


async def test_a_slow_addfeed_does_not_hold_up_other_chats(
    tmp_path: Path, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock, feed_server: FeedServer
) -> None:
    slow = feed_server.add_drip("/slow.xml", RSS, interval_s=0.05)  # ~25 s for the whole body
    poll = PollSettings(timeout_s=1.0, budget_s=1.0)
    settings = settings_for(tmp_path, api, allow_private_feeds=True, poll=poll)
    async with running(settings, sqlite_store, clock):
        before = sent_count(api)
        api.send_text(f"/addfeed {slow}", user=ADMIN)
        help_ = await say(api, "/help", user=USER)  # answered while the feed drips
        await wait(api, lambda reqs: sum(m == "sendMessage" for m, _ in reqs) >= before + 2)
        [first, second] = api.calls("sendMessage")[before : before + 2]
    assert first == help_ and first["chat_id"] == str(USER)
    assert second["chat_id"] == str(ADMIN)
    assert second["text"].startswith("Could not add the feed: gave up fetching")


async def test_operators_see_stats_and_feeds(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    add_item(sqlite_store, "one", "One")
    await say(api, "/subscribe uhc")
    stats = (await say(api, "/stats", user=ADMIN))["text"]
    assert "subscribed chats: 1" in stats and "feedback: 0 👍 / 0 👎" in stats
    assert "Wire" in (await say(api, "/feeds", user=ADMIN))["text"]


# -- groups and forum topics ----------------------------------------------------------


async def test_only_group_admins_change_the_group_subscription(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    group = {"chat": GROUP, "chat_type": "supergroup"}
    refusal = await say(api, "/subscribe@monitor_test_bot uhc", **group)
    assert refusal["text"] == "Only the group's administrators can change what this group receives."
    assert sqlite_store.subscription(GROUP) is None
    assert api.calls("getChatMember")[-1] == {"chat_id": str(GROUP), "user_id": str(USER)}

    api.set_member(GROUP, ADMIN, "administrator")
    await say(api, "/subscribe uhc", user=ADMIN, **group)
    sub = sqlite_store.subscription(GROUP)
    assert sub is not None and sub.chat_type == "supergroup" and sub.thread_id is None
    assert sub.title == f"Group {GROUP}"

    await say(api, "/subscribe KR", user=ADMIN, thread_id=77, **group)  # inside a forum topic
    reply = await say(api, "/subscriptions", user=USER, thread_id=77, **group)  # anyone may read
    assert reply["message_thread_id"] == "77" and "Alerts go to this forum topic" in reply["text"]
    sub = sqlite_store.subscription(GROUP)
    assert sub is not None and sub.thread_id == 77 and sub.filter.countries == {"KR"}

    await say(api, "/subscribe", user=ADMIN, **group)
    answer = await press(api, last_message_id(api, GROUP), "sub:t:uhc", user=USER)
    assert answer["show_alert"] == "true" and "administrators" in answer["text"]
    sub = sqlite_store.subscription(GROUP)
    assert sub is not None and sub.filter.topics == {"uhc"}

    before = sent_count(api)
    api.send_text("/frobnicate@another_bot", user=USER, **group)  # not for us: no answer
    await say(api, "/help", user=USER)
    assert [m["chat_id"] for m in api.calls("sendMessage")[before:]] == [str(USER)]


async def test_removed_from_a_group_deactivates_and_added_greets(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    api.set_member(GROUP, ADMIN, "creator")
    await say(api, "/subscribe uhc", user=ADMIN, chat=GROUP, chat_type="supergroup")
    api.bot_membership(GROUP, "member", "left", by=ADMIN)
    await say(api, "/help")  # updates are handled in order: the removal was handled first
    sub = sqlite_store.subscription(GROUP)
    assert sub is not None and not sub.active

    before = sent_count(api)
    api.bot_membership(GROUP - 1, "left", "member", by=ADMIN, title="New group")
    await wait(api, lambda reqs: sum(m == "sendMessage" for m, _ in reqs) > before)
    greeting = api.calls("sendMessage")[before]
    assert greeting["chat_id"] == str(GROUP - 1) and "sub:on" in greeting["reply_markup"]


async def test_a_group_that_becomes_a_supergroup_keeps_its_subscription(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    api.set_member(GROUP, ADMIN, "creator")
    await say(api, "/subscribe uhc", user=ADMIN, chat=GROUP, chat_type="group")
    supergroup = GROUP * 1000 - 7

    api.migrate(GROUP, supergroup, by=ADMIN)
    await say(api, "/help")  # updates are handled in order: the migration was handled first

    assert sqlite_store.subscription(GROUP) is None
    moved = sqlite_store.subscription(supergroup)
    assert moved is not None and moved.active
    assert moved.filter.topics == frozenset({"uhc"}) and moved.chat_type == "supergroup"


# -- languages ---------------------------------------------------------------------


async def test_korean_by_language_code_and_by_language_command(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    assert (await say(api, "/start", lang="ko"))["text"].startswith("안녕하세요")
    await say(api, "/subscribe", lang="ko-KR")
    assert "• 주제 •" in [b["text"] for b in api.buttons(last_message_id(api, USER))]
    assert (await say(api, "/language ko", user=ADMIN))["text"] == "이제 한국어로 답합니다."
    assert (await say(api, "/help", user=ADMIN, lang="en"))["text"].startswith("아시아")
    assert "알 수 없는 명령" in (await say(api, "/nothing", user=ADMIN))["text"]
    sub = sqlite_store.subscription(ADMIN)
    assert sub is not None and sub.ui_language == "ko" and not sub.active  # settings only
    assert (await say(api, "/language en", user=ADMIN))["text"] == "I will answer in English."


async def test_command_menus_are_registered_per_language(
    bot: BotApplication, api: FakeBotAPI
) -> None:
    english = {c["command"]: c["description"] for c in api.commands(None)}
    korean = {c["command"]: c["description"] for c in api.commands("ko")}
    assert set(english) == set(korean) and "subscribe" in english and "addfeed" not in english
    assert english["mute"] == "Pause alerts, e.g. /mute 2h"
    assert korean["subscribe"] == "받을 뉴스 선택"


# -- search -----------------------------------------------------------------------


async def test_search_shows_matches_and_similar_stories_in_other_languages(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> None:
    english = add_item(sqlite_store, "en", "Korea and Indonesia sign telemedicine pact")
    korean = add_item(sqlite_store, "ko", "한국·인도네시아 원격의료 협약 체결", language="ko")
    other = add_item(sqlite_store, "other", "Dengue season starts early", language="en")
    for guid, vector in (("en", (1.0, 0.0)), ("ko", (0.96, 0.28)), ("other", (0.0, 1.0))):
        sqlite_store.save_embedding(f"hash-{guid}", MODEL, vector, clock.now())
    assert {english, korean, other}
    text = (await say(api, "/search TELEMEDICINE korea"))["text"]
    assert "telemedicine pact" in text
    assert "Similar stories in other languages:" in text and "원격의료 협약" in text
    assert "Dengue" not in text
    korean_hit = (await say(api, "/search 원격의료"))["text"]
    assert "원격의료 협약" in korean_hit and "telemedicine pact" in korean_hit
    assert "Nothing found for: &lt;b&gt;" in (await say(api, "/search <b>"))["text"]


async def test_digest_command_is_registered_and_not_unknown(
    bot: BotApplication, api: FakeBotAPI
) -> None:
    before = sent_count(api)
    api.send_text("/digest help", user=USER)
    api.send_text("/help", user=USER)  # a barrier: updates are handled in order
    await wait(api, lambda reqs: sum(m == "sendMessage" for m, _ in reqs) >= before + 2)
    replies = [m["text"] for m in api.calls("sendMessage")[before:]]
    assert len(replies) == 2 and "/digest" in replies[0]
    assert not any(r.startswith("Unknown command") for r in replies)
    assert "digest" in {c["command"] for c in api.commands(None)}


# -- several processes: one answers the chats -----------------------------------------


async def test_of_two_processes_one_answers_the_chats_and_the_other_takes_over(
    tmp_path: Path, api: FakeBotAPI, clock: FakeClock
) -> None:
    from monitor.telegram.answering import TERM, ChatAnswering

    url = f"sqlite:///{tmp_path}/shared.db"
    settings = settings_for(tmp_path, api, database_url=url)
    with Store.open(url) as store_a, Store.open(url) as store_b:
        stores = (store_a, store_b)
        apps = [build_application(settings, s, model_id=MODEL, clock=clock) for s in stores]
        for app in apps:
            await app.initialize()
            await app.start()
        a, b = (
            ChatAnswering(app.updater, store, worker=name, clock=clock)  # type: ignore[arg-type]
            for app, store, name in zip(apps, stores, ("a", "b"), strict=True)
        )
        try:
            await a.keep()
            await b.keep()
            assert (a.answering, b.answering) == (True, False)
            assert (await say(api, "/help"))["chat_id"] == str(USER)  # answered, once
            clock.advance(TERM / 3)
            await a.keep()  # renewed
            await b.keep()
            assert (a.answering, b.answering) == (True, False)

            await a.stop()  # a stops (or dies: its lease runs out, or a restart frees it)
            await b.keep()

            assert (a.answering, b.answering) == (False, True)
            before = sent_count(api)
            assert (await say(api, "/help"))["chat_id"] == str(USER)  # b answers now
            assert sent_count(api) == before + 1
        finally:
            await a.stop()
            await b.stop()
            for app in apps:
                await app.stop()
                await app.shutdown()
