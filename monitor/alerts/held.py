"""After a mute or a holding quiet window: one summary per chat of what was held.

Routing keeps a muted chat's alerts; the deliverer settles them as held
(`monitor.alerts.quiet`). Once the chat no longer holds, the held rows become one
message ("while alerts were paused: N items", the top three), queued in the same transaction that
settles them (`Store.summarise_held`): exactly one summary per hold, even when two
deliverers look at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from classifiers.base import Labels
from monitor.alerts import quiet
from monitor.alerts.summary import HeldItem, format_held_summary
from monitor.models import StoredItem, Subscription


class HeldStore(Protocol):
    """The part of `monitor.store.Store` the summaries use."""

    def held_chats(self) -> list[int]: ...

    def held_deliveries(self, chat_id: int) -> list[tuple[int, int | None, str | None]]: ...

    def summarise_held(
        self, chat_id: int, delivery_ids: Sequence[int], text: str, now: datetime
    ) -> bool: ...

    def subscription(self, chat_id: int) -> Subscription | None: ...

    def feed_names(self) -> dict[str, str]: ...

    def items_by_id(
        self, item_ids: Sequence[int], model_id: str | None
    ) -> dict[int, tuple[StoredItem, Labels | None]]: ...


def queue_held_summaries(store: HeldStore, now: datetime) -> int:
    """Queue the summary of each chat that has held alerts and no longer holds; how many.

    A chat gone meanwhile gets none (its held rows were dropped with its
    subscription). Runs in a worker thread: the store is synchronous.
    """
    queued = 0
    for chat_id in store.held_chats():
        sub = store.subscription(chat_id)
        if sub is None or quiet.holding(sub, now):
            continue
        rows = store.held_deliveries(chat_id)
        held: list[HeldItem] = []
        names = store.feed_names()
        for model_id in {m for _, _, m in rows}:
            ids = [i for _, i, m in rows if m == model_id and i is not None]
            for item, labels in store.items_by_id(ids, model_id).values():
                urgent = labels is not None and quiet.is_urgent(labels, (item.title, item.text))
                feed = names.get(item.feed_url, item.feed_url)
                held.append(HeldItem(item, feed, urgent))
        count = len({i for _, i, _ in rows})
        text = format_held_summary(held, count=count, ui_language=sub.ui_language)
        if store.summarise_held(chat_id, [r for r, _, _ in rows], text, now):
            queued += 1
    return queued
