"""The routing decision as pure functions: no database, values in and out."""

from __future__ import annotations

from datetime import datetime, timedelta

from test_store_subscriptions import NOW, labels

from monitor.alerts.router import MAX_ALERT_AGE, Audience, matching_chats, replies_for_copies
from monitor.filters import Filter
from monitor.models import Subscription


def audience(*subs: Subscription) -> Audience:
    return Audience.build(subs)


def test_matching_chats_cuts_old_and_irrelevant_items_but_keeps_muted_chats() -> None:
    chats = audience(
        Subscription(1),
        Subscription(2, filter=Filter(topics=frozenset({"ncd"}))),
        Subscription(3, muted_until=NOW + timedelta(hours=1)),  # held by the deliverer
        Subscription(4, muted_until=NOW - timedelta(hours=1)),  # the mute is over
    )

    def match(seen_at: datetime = NOW, **changes: object) -> list[int]:
        item = labels(**changes)
        return matching_chats(item, title="MOU", text="", seen_at=seen_at, audience=chats, now=NOW)

    assert match() == [1, 3, 4]
    assert match(relevant=False) == []
    assert match(seen_at=NOW - MAX_ALERT_AGE - timedelta(seconds=1)) == []
    assert match(seen_at=NOW - MAX_ALERT_AGE) == [1, 3, 4]


def test_replies_for_copies_one_per_feed_and_at_most_three_per_story() -> None:
    copies = [
        (10, "https://a.example/rss", 1, 100),
        (11, "https://a.example/rss", 1, 100),  # the same feed again: not mentioned
        (12, "https://b.example/rss", 1, 100),  # with the one queued before: 3 replies
        (13, "https://c.example/rss", 1, 100),  # a 4th: too many
        (14, "https://d.example/rss", 1, 200),  # another chat keeps its own count
    ]
    replies = replies_for_copies(copies, {(100, 1): 1}, {(200, 1): {"https://z.example/rss"}})
    assert replies == [(100, 10, 1), (100, 12, 1), (200, 14, 1)]
    reported = {(100, 1): {"https://a.example/rss"}}
    assert replies_for_copies(copies[:2], {}, reported) == []  # a's copy was told before
