"""Limits on what one user can make the bot do: keywords, commands per minute, error notes.

Through the real `Application` and `FakeBotAPI`; time is the injected `FakeClock`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import test_telegram_bot as bot_harness
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from test_telegram_bot import ADMIN, USER, say, sent_count, wait

from monitor.filters import Filter
from monitor.models import Subscription
from monitor.store import Store
from monitor.telegram import BotApplication
from monitor.telegram.throttle import COMMAND_WINDOW, COMMANDS_PER_WINDOW, NOTE_INTERVAL

api, bot, clock, sqlite_store = (  # the bot's fixtures, shared
    bot_harness.api,
    bot_harness.bot,
    bot_harness.clock,
    bot_harness.sqlite_store,
)
SLOW_DOWN = "That is a lot of commands in a short time."


async def answers_after(api: FakeBotAPI, before: int, chat: int) -> list[str]:
    """The texts the bot sent to `chat` since `before` messages."""
    return [m["text"] for m in api.calls("sendMessage")[before:] if m["chat_id"] == str(chat)]


async def barrier(api: FakeBotAPI) -> None:
    """Updates are handled in order: once the operator's /help is answered, all before are."""
    before = sent_count(api)
    api.send_text("/help", user=ADMIN)

    def answered(reqs: list[tuple[str, dict[str, Any]]]) -> bool:
        sent = [p for m, p in reqs if m == "sendMessage"][before:]
        return any(p["chat_id"] == str(ADMIN) for p in sent)

    await wait(api, answered)


# -- keywords ----------------------------------------------------------------------


async def test_keywords_are_limited_in_length_and_number(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> None:
    long = await say(api, "/subscribe keyword " + "x" * 101)
    assert long["text"] == (
        "That keyword has 101 characters; a keyword has at most 100. Please send a shorter one."
    )
    assert sqlite_store.subscription(USER) is None
    sqlite_store.save_subscription(
        Subscription(USER, Filter(keywords=tuple(f"word{n}" for n in range(19)))),
        clock.now(),
    )
    assert (await say(api, "/subscribe keyword twentieth"))["text"].startswith("Subscribed.")
    full = await say(api, "/subscribe keyword one too many")
    assert full["text"].startswith("This chat already has the most keywords it can have (20).")
    await say(api, "/subscribe keyword")  # the conversation asks, and refuses the same way
    typed = await say(api, "another one")
    assert typed["text"].startswith("This chat already has the most keywords")
    sub = sqlite_store.subscription(USER)
    assert sub is not None and len(sub.filter.keywords) == 20
    assert sub.filter.keywords[-1] == "twentieth"


async def test_subscriptions_with_hundreds_of_stored_keywords_fit_one_message(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> None:
    # stored before the limit existed (or by an operator's script): still one answer
    keywords = tuple(f"{n:03d}" + "k" * 97 for n in range(500))
    sqlite_store.save_subscription(Subscription(USER, Filter(keywords=keywords)), clock.now())
    reply = await say(api, "/subscriptions")
    assert "Keywords: 000kkk" in reply["text"] and "(+480)" in reply["text"]
    assert len(reply["text"]) <= 4096
    assert not api.failed  # Telegram took it


# -- commands per user ---------------------------------------------------------------


async def test_a_user_sending_too_many_commands_is_told_once_then_ignored_for_a_while(
    bot: BotApplication, api: FakeBotAPI, clock: FakeClock
) -> None:
    before = sent_count(api)
    for _ in range(COMMANDS_PER_WINDOW):
        api.send_text("/help", user=USER)
    api.send_text("/help", user=USER)  # one over: "slow down"
    api.send_text("/help", user=USER)  # and silence
    api.send_text("/topics", user=USER)
    await barrier(api)
    texts = await answers_after(api, before, USER)
    assert len(texts) == COMMANDS_PER_WINDOW + 1
    assert texts[-1].startswith(SLOW_DOWN)
    assert sum(t.startswith(SLOW_DOWN) for t in texts) == 1

    clock.advance(COMMAND_WINDOW)
    again = await say(api, "/help", user=USER)
    assert again["text"].startswith("I follow Asia-Pacific")


# -- operators' notes about failing handlers -----------------------------------------


def notes_to_admin(api: FakeBotAPI, before: int) -> list[str]:
    return [
        m["text"]
        for m in api.calls("sendMessage")[before:]
        if m["chat_id"] == str(ADMIN) and m["text"].startswith("⚠️ Bot error")
    ]


async def test_notes_about_a_failing_handler_are_throttled(
    bot: BotApplication, api: FakeBotAPI, clock: FakeClock
) -> None:
    api.fail(500, chat_id=USER, times=-1)  # every answer to this user fails
    before = sent_count(api)
    for _ in range(5):
        api.send_text("/help", user=USER)

    def failures(reqs: Any) -> bool:  # the answer and the apology, five times
        return len(api.failed) >= 10

    await wait(api, failures)
    await barrier(api)
    assert len(notes_to_admin(api, before)) == 1

    clock.advance(NOTE_INTERVAL + timedelta(seconds=1))
    before = sent_count(api)
    api.send_text("/help", user=USER)
    await wait(api, lambda reqs: len(notes_to_admin(api, before)) == 1)
    [note] = notes_to_admin(api, before)
    assert "(4 more failed since the last note; see the log.)" in note
