"""Safe text: capped titles, and messages cut only between whole elements, never in a tag.

`FakeBotAPI` refuses what Telegram refuses (over 4,096 characters, HTML cut in half),
so a message the bot builds wrong fails here as it would in a ministry's group.
"""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser

import test_telegram_bot as bot_harness
from fakebotapi import FakeBotAPI, telegram_refusal
from fakes import FakeClock
from test_digest_compose import NAMES, digest_for
from test_telegram_authorise import deliver, routed_item
from test_telegram_bot import USER, say

from monitor.digest.render import telegram_messages
from monitor.models import Subscription
from monitor.store import Store
from monitor.telegram import BotApplication
from monitor.telegram.messages import pack

api, bot, clock, sqlite_store = (  # the bot's fixtures, shared
    bot_harness.api,
    bot_harness.bot,
    bot_harness.clock,
    bot_harness.sqlite_store,
)
# 5,000 characters of headline, with the characters escaping makes longer
HEADLINE = ("Ministers <sign> the R&D pact & more " * 140)[:5000]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag


def whole(html_text: str) -> bool:
    parser = _Tags()
    parser.feed(html_text)
    return not parser.open and not parser.rawdata


def test_pack_cuts_between_whole_elements_never_inside_a_tag() -> None:
    link = '<a href="https://example.org/a?b=1&amp;c=2">https://example.org/a</a>'
    block = f"<b>{'x &amp; y ' * 600}</b>\n{link}"  # one block over the limit
    messages = pack(["<b>first</b>", block, "<i>last</i>"])
    assert all(len(m) <= 4096 and whole(m) for m in messages)
    assert telegram_refusal("sendMessage", {"text": messages[-1], "parse_mode": "HTML"}) is None
    assert messages[0].startswith("<b>first</b>") and messages[-1].endswith("<i>last</i>")
    assert link in "".join(messages)  # the line that fits stays as it was
    one_line = pack(["<b>" + "&amp;" * 5000 + "</b>"])
    assert len(one_line) == 1 and len(one_line[0]) <= 4096 and whole(one_line[0])
    assert one_line[0].endswith("…") and "<b>" not in one_line[0]  # plain text, shortened


async def test_a_5000_character_headline_gives_a_normal_alert_and_latest(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> None:
    sqlite_store.save_subscription(Subscription(USER), clock.now())
    routed_item(sqlite_store, "long", HEADLINE, clock)
    assert await deliver(bot, sqlite_store, clock) == 1
    [alert] = [m for m in api.sent() if m["chat_id"] == USER]
    assert alert["text"].count("Ministers &lt;sign&gt;") > 5 and "fb:" in alert["reply_markup"]

    latest = await say(api, "/latest 3")
    assert latest["text"].startswith("<b>Ministers &lt;sign&gt; the R&amp;D pact")
    assert "https://wire.example/long" in latest["text"] and len(latest["text"]) < 1000
    assert not api.failed  # Telegram refused nothing


def test_a_5000_character_headline_in_the_digest_in_telegram() -> None:
    digest = digest_for()
    group = digest.groups[0]
    long = replace(group.stories[0], title=HEADLINE, summary=HEADLINE)
    digest = replace(digest, groups=(replace(group, stories=(long, *group.stories[1:])),))
    messages = telegram_messages(digest, topic_names=NAMES)
    assert messages and all(whole(m) and len(m) <= 4096 for m in messages)
    for text in messages:
        assert telegram_refusal("sendMessage", {"text": text, "parse_mode": "HTML"}) is None
    assert "Ministers &lt;sign&gt;" in messages[0] and "…</a>" in messages[0]  # capped
