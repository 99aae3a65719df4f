"""The /subscribe keyboard's "official sources only" switch (issue #20 part 5), through the
Bot API stand-in."""

from __future__ import annotations

from fakebotapi import FakeBotAPI
from test_telegram_authorise import answer_to, crafted_tap
from test_telegram_bot import ADMIN, GROUP, USER, last_message_id, press, say

from monitor.filters import OFFICIAL_SOURCES
from monitor.store import Store
from monitor.telegram import BotApplication

pytest_plugins = ["test_alerts_quiet_hours"]  # its fixtures: api, sqlite_store, clock, bot


def labels(api: FakeBotAPI, message_id: int) -> dict[str, str]:
    return {b["callback_data"]: b["text"] for b in api.buttons(message_id)}


async def test_the_official_sources_button_switches_the_filter(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    await say(api, "/subscribe")
    keyboard = last_message_id(api, USER)
    assert labels(api, keyboard)["sub:official"] == "🗞 All sources"
    await press(api, keyboard, "sub:official")
    sub = sqlite_store.subscription(USER)
    assert sub is not None and sub.filter.sources == OFFICIAL_SOURCES
    assert labels(api, keyboard)["sub:official"] == "🏛 Official sources only"
    assert "Only official sources" in (await say(api, "/subscriptions"))["text"]
    await press(api, keyboard, "sub:official")
    sub = sqlite_store.subscription(USER)
    assert sub is not None and sub.filter.sources == frozenset()

    for data in ("sub:official:ministry", "sub:official:wire", "sub:officials"):
        crafted = await answer_to(api, crafted_tap(api, keyboard, data))  # a modified client
        assert crafted["text"].startswith("This button is out of date or not one of mine"), data
    sub = sqlite_store.subscription(USER)
    assert sub is not None and sub.filter.sources == frozenset()


async def test_only_group_admins_press_it(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store
) -> None:
    group = {"chat": GROUP, "chat_type": "supergroup"}
    api.set_member(GROUP, ADMIN, "administrator")
    await say(api, "/subscribe KR", user=ADMIN, **group)
    await say(api, "/subscribe", user=ADMIN, **group)
    keyboard = last_message_id(api, GROUP)
    refused = await press(api, keyboard, "sub:official", user=USER)
    assert "administrators" in refused["text"]
    sub = sqlite_store.subscription(GROUP)
    assert sub is not None and sub.filter.sources == frozenset()
    await press(api, keyboard, "sub:official", user=ADMIN)
    sub = sqlite_store.subscription(GROUP)
    assert sub is not None and sub.filter.sources == OFFICIAL_SOURCES
