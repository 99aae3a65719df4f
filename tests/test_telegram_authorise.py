"""monitor.telegram.authorise: who may change a chat, crafted taps and votes, end to end.

Scripted users talk to the real `Application` through `FakeBotAPI` (long polling, the
real python-telegram-bot client); alerts go out through the real `Deliverer`.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import test_telegram_bot as bot_harness
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from telegram.ext import BaseHandler, ConversationHandler
from test_alerts_deliver import FAST, Sleeps
from test_telegram_bot import (
    ADMIN,
    GROUP,
    MODEL,
    USER,
    last_message_id,
    press,
    say,
    settings_for,
    wait,
)

from classifiers.base import Labels
from monitor.alerts.deliver import Deliverer
from monitor.alerts.router import Router
from monitor.alerts.telegram_sink import TelegramSink
from monitor.filters import Filter
from monitor.models import FeedSpec, Item, Recipient, Subscription
from monitor.store import Store
from monitor.telegram import BotApplication, build_application
from monitor.telegram.authorise import authorisation
from monitor.telegram.digest_commands import _DigestCommands, code_hash

api, bot, clock, sqlite_store = (  # the bot's fixtures, shared
    bot_harness.api,
    bot_harness.bot,
    bot_harness.clock,
    bot_harness.sqlite_store,
)
GROUP_CHAT = {"chat": GROUP, "chat_type": "supergroup"}
MEMBER = 8
# Every handler that changes what a chat receives or where its digest goes.
CHANGING = {
    "subscribe",
    "keyword_typed",
    "unsubscribe",
    "language",
    "mute",
    "unmute",
    "alerts",
    "tap",
    "digest",
    "confirm_code",
    "timezone",
    "quiet",
    "quiet_tap",
}


def callbacks(application: BotApplication) -> list[Any]:
    """Every callback the application would run, conversations' states included."""
    found: list[Any] = []

    def walk(handler: BaseHandler[Any, Any, Any]) -> None:
        if isinstance(handler, ConversationHandler):
            for inner in handler.entry_points + handler.fallbacks:
                walk(inner)
            for state in handler.states.values():
                for inner in state:
                    walk(inner)
        else:
            found.append(handler.callback)

    for group in application.handlers.values():
        for handler in group:
            walk(handler)
    return found


def test_every_registered_handler_says_who_may_run_it(tmp_path: Path, api: FakeBotAPI) -> None:
    application = build_application(settings_for(tmp_path, api), Store.open("sqlite://"))
    found = callbacks(application)
    undecided = [c.__qualname__ for c in found if authorisation(c) is None]
    assert not undecided, f"handlers without an authorise decorator: {undecided}"
    names = {c.__name__: authorisation(c) for c in found}
    names["confirm_code"] = authorisation(_DigestCommands.confirm_code)  # behind bare_code
    assert {n for n, who in names.items() if who == "admins"} == CHANGING
    assert {"stats", "feeds", "addfeed", "removefeed"} <= {
        n for n, who in names.items() if who == "operators"
    }
    assert len(found) >= 25


# -- /digest in a group ------------------------------------------------------------


async def test_a_members_digest_off_time_and_confirm_are_refused_in_a_group(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> None:
    api.set_member(GROUP, ADMIN, "administrator")
    sqlite_store.save_recipient(
        Recipient(email="desk@ministry.example", chat_id=GROUP, confirmed=True), clock.now()
    )
    refusal = "Only the group's administrators can change what this group receives."
    assert (await say(api, "/digest off", user=MEMBER, **GROUP_CHAT))["text"] == refusal
    assert (await say(api, "/digest time 06:00", user=MEMBER, **GROUP_CHAT))["text"] == refusal
    recipient = sqlite_store.recipient("desk@ministry.example")
    assert recipient is not None and recipient.active and recipient.send_time.hour == 8

    # a member's own pending code (say, planted by a bug) cannot take the group's recipient
    sqlite_store.save_confirmation(
        GROUP,
        "member@example.org",
        code_hash(GROUP, "123456"),
        expires_at=clock.now() + timedelta(minutes=30),
        now=clock.now(),
    )
    assert (await say(api, "/digest confirm 123456", user=MEMBER, **GROUP_CHAT))["text"] == refusal
    assert (await say(api, "123456", user=MEMBER, **GROUP_CHAT))["text"] == refusal
    assert sqlite_store.recipient("member@example.org") is None
    assert sqlite_store.recipient_for_chat(GROUP) == recipient

    usage = await say(api, "/digest help", user=MEMBER, **GROUP_CHAT)  # reading is for all
    assert "/digest email" in usage["text"]
    off = await say(api, "/digest off", user=ADMIN, **GROUP_CHAT)
    assert off["text"] != refusal
    recipient = sqlite_store.recipient("desk@ministry.example")
    assert recipient is not None and not recipient.active


async def test_a_members_subscription_changes_are_refused_in_a_group(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    api.set_member(GROUP, ADMIN, "creator")
    await say(api, "/subscribe uhc", user=ADMIN, **GROUP_CHAT)
    before = sqlite_store.subscription(GROUP)
    refusal = "Only the group's administrators can change what this group receives."
    for command in ("/unsubscribe", "/mute 2h", "/alerts off", "/language ko", "/unmute"):
        assert (await say(api, command, user=MEMBER, **GROUP_CHAT))["text"] == refusal, command
    assert sqlite_store.subscription(GROUP) == before
    assert "Topics" in (await say(api, "/subscriptions", user=MEMBER, **GROUP_CHAT))["text"]


# -- crafted callback data -----------------------------------------------------------


def crafted_tap(api: FakeBotAPI, message_id: int, data: str, *, user: int = USER) -> str:
    """A callback query with `data` no button of the message carries (a modified client)."""
    query_id = f"crafted-{time.monotonic_ns()}"
    api.push_update(
        {
            "callback_query": {
                "id": query_id,
                "from": {"id": user, "is_bot": False, "first_name": "Mallory"},
                "message": api._message_json(message_id),
                "chat_instance": "fake",
                "data": data,
            }
        }
    )
    return query_id


async def answer_to(api: FakeBotAPI, query_id: str) -> dict[str, Any]:
    def answered(reqs: list[tuple[str, dict[str, Any]]]) -> bool:
        return any(
            m == "answerCallbackQuery" and p["callback_query_id"] == query_id for m, p in reqs
        )

    await wait(api, answered)
    return next(p for p in api.calls("answerCallbackQuery") if p["callback_query_id"] == query_id)


async def test_a_crafted_tap_changes_nothing(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    await say(api, "/subscribe uhc KR")
    before = sqlite_store.subscription(USER)
    await say(api, "/subscribe")
    keyboard = last_message_id(api, USER)
    for data in (
        "sub:t:no_such_topic",
        "sub:t:<b>x</b>",
        "sub:c:XX",
        "sub:c:kr",
        "sub:l:zz",
        "sub:e:party",
        "sub:v:secrets",
    ):
        answer = await answer_to(api, crafted_tap(api, keyboard, data))
        assert answer["text"].startswith("This button is out of date or not one of mine"), data
    assert sqlite_store.subscription(USER) == before
    assert (await press(api, keyboard, "sub:t:ncd"))["text"] == "Updated."  # real buttons work
    after = sqlite_store.subscription(USER)
    assert after is not None and after.filter.topics == {"uhc", "ncd"}


# -- votes ---------------------------------------------------------------------------


def routed_item(
    store: Store, guid: str, title: str, clock: FakeClock, topics: tuple[str, ...] = ("uhc",)
) -> int:
    """An item stored, labelled and routed to the matching chats (alert rows queued)."""
    store.sync_feeds([FeedSpec(url="https://wire.example/rss", name="Wire")], clock.now())
    item = Item(
        "https://wire.example/rss", guid, f"https://wire.example/{guid}", title, title, None
    )
    item_id = store.add_item(
        item,
        first_seen_at=clock.now(),
        content_hash=f"hash-{guid}",
        signature=(1, 2, 3),
        bands=(),
        duplicate_of=None,
    )
    assert item_id is not None
    labels = Labels("en", True, True, topics, ("KR",), "A summary.")
    Router(store).save_labels_and_route(item_id, f"hash-{guid}", MODEL, labels, clock.now())
    return item_id


async def deliver(application: BotApplication, store: Store, clock: FakeClock) -> int:
    """Send the queued alerts through the application's own bot; how many went out."""
    deliverer = Deliverer(
        store=store,
        sink=TelegramSink(application.bot),
        clock=clock,
        worker="test",
        topic_names={"en": {"uhc": "Universal health coverage"}},
        limits=FAST,
        sleep=Sleeps(clock),
    )
    return (await deliverer.drain()).sent


async def test_a_vote_counts_only_for_an_item_alerted_to_that_chat(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> None:
    uhc = Filter(topics=frozenset({"uhc"}))
    sqlite_store.save_subscription(Subscription(USER, uhc), clock.now())
    sqlite_store.save_subscription(Subscription(MEMBER), clock.now())
    mine = routed_item(sqlite_store, "mine", "Korea and Indonesia sign a UHC MoU", clock)
    theirs = routed_item(sqlite_store, "theirs", "Another chat's alert", clock, ("ncd",))
    assert await deliver(bot, sqlite_store, clock) == 3  # mine to both chats, theirs to one
    alert = last_message_id(api, USER)
    assert f"fb:{mine}:up" in str(api.messages[alert]["reply_markup"])

    assert (await press(api, alert, f"fb:{mine}:up"))["text"] == "Thanks for the feedback!"
    assert sqlite_store.feedback_counts() == (1, 0)
    await press(api, alert, f"fb:{mine}:down")  # the last vote counts
    assert sqlite_store.feedback_counts() == (0, 1)
    for data in (f"fb:{theirs}:up", "fb:999999:up", "fb:1:sideways"):
        answer = await answer_to(api, crafted_tap(api, alert, data))
        assert answer["text"] == "This button has expired.", data
    assert sqlite_store.feedback_counts() == (0, 1)
