"""/stats names the silent feeds (issue #20 part 6), through the Bot API stand-in."""

from __future__ import annotations

from datetime import timedelta

from fakebotapi import FakeBotAPI
from fakes import FakeClock
from test_telegram_bot import ADMIN, say

from monitor.models import FeedSpec, Item
from monitor.store import Store
from monitor.telegram import BotApplication

pytest_plugins = ["test_alerts_quiet_hours"]  # its fixtures: api, sqlite_store, clock, bot

QUIET = "https://quiet.example/rss"


def hourly_then_nothing(store: Store, clock: FakeClock) -> None:
    """A feed with an item every hour until 40 h ago, polled fine just now."""
    now = clock.now()
    store.sync_feeds([FeedSpec(QUIET, "Quiet <Ministry>")], now)
    for n, hours in enumerate(range(40, 70)):
        item = Item(QUIET, f"g{n}", f"https://quiet.example/{n}", f"t{n}", "x", None)
        store.add_item(
            item, first_seen_at=now - timedelta(hours=hours), content_hash=f"sh{n}",
            signature=[n], bands=[], duplicate_of=None,
        )  # fmt: skip
    store.record_success(
        QUIET, now=now, status=200, etag=None, last_modified=None, entries=1,
        encoding="utf-8", problem=None, next_due_at=now,
    )  # fmt: skip


async def test_stats_names_a_silent_feed(
    bot: BotApplication, api: FakeBotAPI, sqlite_store: Store, clock: FakeClock
) -> None:
    stats = (await say(api, "/stats", user=ADMIN))["text"]
    assert "feeds silent: 0" in stats and "Quiet" not in stats
    hourly_then_nothing(sqlite_store, clock)
    stats = (await say(api, "/stats", user=ADMIN))["text"]
    assert "feeds silent: 1" in stats
    assert "• Quiet &lt;Ministry&gt; — no new item for 1d 16h (usually every 1h)" in stats
