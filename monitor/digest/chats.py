"""Digest-only chats (``/alerts digest``): their daily digest, posted in the chat.

A chat whose instant alerts are off because it chose digest-only has a
`Subscription.digest_time`. Once a day at that local time in the chat's zone it
gets the same Telegram messages ``/digest`` shows. `ChatDigests.run_due` is the
sweep the service runs every `CHAT_SWEEP_EVERY`: for each due chat it composes the
digest and queues its messages as notice rows in the outbox, claimed once per
(chat, period) in the digest log under the key ``chat:<id>`` (`Store.queue_chat_digest`):
a second sweep, or another process, queues nothing. The deliverer sends the rows.
A chat that turns digest-only after today's time gets today's digest at the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.clock import Clock
from monitor.digest.compose import period_for
from monitor.digest.jobs import DigestBuilder, topic_names
from monitor.digest.render import telegram_messages
from monitor.digest.schedule import due_date
from monitor.errors import MonitorError
from monitor.models import Recipient, Subscription
from monitor.scheduler import add_chat_digest_sweep
from monitor.store import Store

log = logging.getLogger(__name__)

CHAT_SWEEP_EVERY: Final = timedelta(minutes=1)  # a chat's digest is at most this late
KEY_PREFIX: Final = "chat:"


def chat_key(chat_id: int) -> str:
    """The chat's name in the digest log (e-mail recipients are addresses: no clash)."""
    return f"{KEY_PREFIX}{chat_id}"


def chat_recipient(sub: Subscription) -> Recipient | None:
    """The chat as a daily digest recipient, or None when it is not digest-only."""
    if not sub.active or sub.instant or sub.digest_time is None:
        return None
    return Recipient(
        email=chat_key(sub.chat_id),
        filter=sub.filter,
        send_time=sub.digest_time,
        timezone=sub.zone,
        language=sub.ui_language,
    )


@dataclass(frozen=True)
class ChatDigestOutcome:
    chat_id: int
    period_key: str
    messages: int
    stories: int


class ChatDigests:
    """Queues each digest-only chat's digest once per day, at its time."""

    def __init__(self, builder: DigestBuilder, store: Store, clock: Clock) -> None:
        self.builder = builder
        self.store = store
        self.clock = clock
        self._lock = asyncio.Lock()

    async def run_due(self) -> list[ChatDigestOutcome]:
        """Queue the chats' digests that are due now and not queued yet; what was queued."""
        async with self._lock:
            subs = await asyncio.to_thread(self.store.subscriptions, active_only=True)
            queued = []
            for sub in subs:
                try:
                    outcome = await asyncio.to_thread(self._queue, sub, self.clock.now())
                except (ValueError, KeyError) as exc:  # one broken row must not stop the others
                    log.error("digest for chat %s skipped: %s", sub.chat_id, exc)
                    continue
                if outcome is not None:
                    queued.append(outcome)
            return queued

    def _queue(self, sub: Subscription, now: datetime) -> ChatDigestOutcome | None:
        recipient = chat_recipient(sub)
        day = None if recipient is None else due_date(recipient, now)
        if recipient is None or day is None:
            return None
        period = period_for(recipient, day)
        if self.store.digest_entry(recipient.email, period.key) is not None:
            return None  # queued already: skip the work of composing it again
        digest = self.builder.compose(recipient, period)
        names = topic_names(self.builder.taxonomy, recipient.language)
        texts = telegram_messages(digest, topic_names=names)
        queued = self.store.queue_chat_digest(
            sub.chat_id,
            recipient.email,
            (period.key, period.start, period.end),
            texts,
            now,
            items=digest.story_count,
        )
        if not queued:
            return None
        log.info("digest %s queued to chat %s: %d stories", period.key, sub.chat_id, len(texts))
        return ChatDigestOutcome(sub.chat_id, period.key, len(texts), digest.story_count)


def install_chat_digests(
    scheduler: AsyncIOScheduler, chats: ChatDigests, *, every: timedelta = CHAT_SWEEP_EVERY
) -> None:
    """Add the digest-only chats' sweep to the service's scheduler."""

    async def sweep() -> None:
        try:
            await chats.run_due()
        except MonitorError as exc:  # the database may be away: the next sweep tries again
            log.warning("digest-only chats not swept: %s", exc)

    add_chat_digest_sweep(scheduler, sweep, every=every)
