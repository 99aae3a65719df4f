"""Subscribing by cooperation event type: filter, routing, typed and tapped in the bot, CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import Monitor
from fakebotapi import FakeBotAPI
from fakes import FakeClock
from telegram import Bot
from test_alerts_deliver import deliverer, new_item, subscribe
from test_store_subscriptions import NOW
from test_telegram_bot import (
    USER,
    last_message_id,
    press,
    running,
    say,
    settings_for,
    wait,
)

from classifiers.base import Labels
from classifiers.taxonomy import load_taxonomy
from monitor.alerts.routing import SubscriptionIndex
from monitor.filters import EVENT_TYPES, Filter, event_type
from monitor.store import Store
from monitor.telegram.keyboards import (
    Tap,
    parse_tap,
    section_of,
    subscription_keyboard,
    toggle,
)
from monitor.telegram.parsing import UsageError, apply_change, parse_subscription

TAXONOMY = load_taxonomy()


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def tap(data: str) -> Tap:
    return parse_tap(data, topics=TAXONOMY.slugs)


def coop(*events: str, language: str = "en") -> Labels:
    return Labels(language, True, True, ("uhc",), ("KR", "VN"), "s", events=events)


# -- the filter and routing ----------------------------------------------------------


def test_the_filter_lets_through_any_of_its_event_types() -> None:
    wanted = Filter(events=frozenset({"agreement", "funding"}))
    assert wanted.matches(coop("funding", "meeting"), title="t")
    assert not wanted.matches(coop("meeting"), title="t")
    assert not wanted.matches(coop(), title="t")  # no event found: not an agreement
    assert Filter().matches(coop(), title="t") and Filter().matches(coop("visit"), title="t")


def test_stored_filters_without_events_mean_any_event() -> None:
    old = {"topics": ["uhc"], "countries": ["KR"], "languages": [], "keywords": []}
    assert Filter.from_json(old).events == frozenset()
    wanted = Filter(topics=frozenset({"uhc"}), events=frozenset({"training", "agreement"}))
    assert wanted.to_json()["events"] == ["agreement", "training"]
    assert Filter.from_json(wanted.to_json()) == wanted


def test_event_names_are_checked_with_a_suggestion() -> None:
    assert event_type(" Agreement ") == "agreement"
    with pytest.raises(ValueError, match="did you mean 'agreement'"):
        event_type("agrement")
    with pytest.raises(ValueError, match="event types: agreement, meeting"):
        event_type("xyz")


def test_routing_honours_event_types() -> None:
    index = SubscriptionIndex.build(
        [
            (1, Filter()),
            (2, Filter(events=frozenset({"agreement"}))),
            (3, Filter(events=frozenset({"funding", "training"}))),
            (4, Filter(events=frozenset({"funding"}), countries=frozenset({"JP"}))),
        ]
    )
    assert index.match(coop("agreement"), title="t") == [1, 2]
    assert index.match(coop("training", "agreement"), title="t") == [1, 2, 3]
    assert index.match(coop("funding"), title="t") == [1, 3]
    assert index.match(coop(), title="t") == [1]
    # the index agrees with the filters one by one
    for labels in (coop("agreement"), coop("funding", "visit"), coop()):
        expected = [c for c, f in index.filters.items() if f.matches(labels, title="t")]
        assert index.match(labels, title="t") == sorted(expected)


# -- typed and tapped: pure -----------------------------------------------------------


def test_typed_event_types_are_added_and_removed() -> None:
    change = parse_subscription(["uhc", "Agreement", "funding", "KR"], topics=TAXONOMY.slugs)
    assert change.events == {"agreement", "funding"} and change.topics == {"uhc"}
    added = apply_change(Filter(), change, add=True)
    assert added.events == {"agreement", "funding"}
    removed = apply_change(added, parse_subscription(["funding"], topics=()), add=False)
    assert removed.events == {"agreement"}
    with pytest.raises(UsageError, match=r"did you mean '?funding'?\?"):
        parse_subscription(["fundng"], topics=TAXONOMY.slugs)


def test_the_events_section_toggles_known_types_only() -> None:
    for lang, agreement in (("en", "🤝 Agreement signed"), ("ko", "🤝 협정·양해각서 체결")):
        markup = subscription_keyboard(
            Filter(events=frozenset({"agreement"})), section="events", taxonomy=TAXONOMY, lang=lang
        )
        buttons = [(b.text, b.callback_data) for row in markup.inline_keyboard for b in row]
        assert (f"✅ {agreement}", "sub:e:agreement") in buttons
        assert {d for _, d in buttons if str(d).startswith("sub:e:")} == {
            f"sub:e:{e}" for e in EVENT_TYPES
        }
        assert all(len(str(d).encode()) <= 64 and tap(str(d)) for _, d in buttons)
    funding = tap("sub:e:funding")
    assert toggle(Filter(), funding).events == {"funding"} and section_of(funding) == "events"
    assert section_of(tap("sub:v:events")) == "events"
    for crafted in ("sub:e:astrology", "sub:e:", "sub:e:Funding", "sub:v:event"):
        with pytest.raises(ValueError):
            tap(crafted)


# -- the bot through the Bot API stand-in --------------------------------------------


async def test_subscribing_to_event_types_by_typing_and_tapping(
    tmp_path: Path, api: FakeBotAPI, store: Store, clock: FakeClock
) -> None:
    async with running(settings_for(tmp_path, api), store, clock):
        reply = await say(api, "/subscribe agreement funding")
        assert reply["text"].startswith("Subscribed.")
        assert "Events: 🤝 Agreement signed, 💰 Aid or funding" in reply["text"]
        sub = store.subscription(USER)
        assert sub is not None and sub.filter.events == {"agreement", "funding"}

        wrong = await say(api, "/subscribe agrement")
        assert re.search(r"did you mean '?agreement'?\?", wrong["text"])
        assert "Events: agreement, meeting, statement" in wrong["text"]

        await say(api, "/subscribe", lang="ko")
        keyboard = last_message_id(api, USER)
        await press(api, keyboard, "sub:v:events")
        labels = [b["text"] for b in api.buttons(keyboard)]
        assert "✅ 💰 Aid or funding" in labels and "🗣 Meeting" in labels  # chat's language: en
        await press(api, keyboard, "sub:e:funding")  # off
        await press(api, keyboard, "sub:e:training")  # on
        assert "✅ 🎓 Training or exchange" in [b["text"] for b in api.buttons(keyboard)]

        # a crafted button press naming no known event stores nothing
        before = len(api.calls("answerCallbackQuery"))
        api.push_update(
            {
                "callback_query": {
                    "id": "crafted",
                    "from": {"id": USER, "is_bot": False, "first_name": "U", "language_code": "en"},
                    "message": api._message_json(keyboard),
                    "chat_instance": "fake",
                    "data": "sub:e:astrology",
                }
            }
        )
        await wait(api, lambda reqs: sum(m == "answerCallbackQuery" for m, _ in reqs) > before)
        sub = store.subscription(USER)
        assert sub is not None and sub.filter.events == {"agreement", "training"}

        summary = await say(api, "/subscriptions")
        assert "Events: 🤝 Agreement signed, 🎓 Training or exchange" in summary["text"]
        await say(api, "/language ko")
        summary = await say(api, "/unsubscribe training")
        assert "사건 유형: 🤝 협정·양해각서 체결" in summary["text"]


async def test_a_korean_chat_gets_only_its_event_types_with_the_korean_line(
    store: Store, api: FakeBotAPI
) -> None:
    clock = FakeClock(NOW)
    subscribe(store, 7, ui_language="ko", filter=Filter(events=frozenset({"agreement"})))
    subscribe(store, 8)  # any event, English
    async with Bot("123:TEST", base_url=f"{api.url}/bot") as bot:
        new_item(
            store, 1, "Korea and Viet Nam sign a health MOU",
            countries=("KR", "VN"), events=("agreement",), organisations=("WHO",),
            event_date="2026-11-24",
        )  # fmt: skip
        new_item(store, 2, "Health ministers meet", countries=("KR", "JP"), events=("meeting",))
        report = await deliverer(store, bot, clock).drain()
    assert report.sent == 3
    by_chat: dict[int, list[str]] = {}
    for sent in api.sent():
        by_chat.setdefault(sent["chat_id"], []).append(sent["text"])
    (korean,) = by_chat[7]
    assert korean.split("\n")[1] == "🤝 협정·양해각서 체결 · 🇰🇷 한국 – 🇻🇳 베트남 · WHO · 11월 24일"
    assert [t.split("\n")[1] for t in by_chat[8]] == [
        "🤝 Agreement signed · 🇰🇷 Korea – 🇻🇳 Viet Nam · WHO · 24 November",
        "🗣 Meeting · 🇰🇷 Korea – 🇯🇵 Japan",
    ]


# -- the operators' commands ------------------------------------------------------------


def test_subscribers_and_recipients_take_event_types(monitor: Monitor) -> None:
    result = monitor("subscribers", "add", "5", "--event", "agreement", "--event", "Funding")
    assert result.exit_code == 0, result.output
    with Store.open(monitor.database_url) as store:
        sub = store.subscription(5)
    assert sub is not None and sub.filter.events == {"agreement", "funding"}
    listed = monitor("subscribers", "list").output
    assert "agreement, funding" in listed and "events" in listed
    bad = monitor("subscribers", "add", "6", "--event", "agrement")
    assert bad.exit_code == 2 and "did you mean 'agreement'" in bad.output

    result = monitor("recipients", "add", "kim@example.org", "--event", "training")
    assert result.exit_code == 0, result.output
    assert "events training" in result.output
    result = monitor(
        "recipients", "set", "kim@example.org", "--event", "visit", "--event", "meeting"
    )
    assert result.exit_code == 0, result.output
    assert "events meeting, visit" in monitor("recipients", "list").output
    bad = monitor("recipients", "add", "lee@example.org", "--event", "party")
    assert bad.exit_code == 2 and "not an event type" in bad.output
