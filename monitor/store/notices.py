"""Operators' notices: what they were told about each feed, and the messages queued to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from monitor.models import NOTICE, SENT
from monitor.store.engine import StoreBase
from monitor.store.outbox import outbox_row
from monitor.store.schema import DELIVERIES, DIGEST_LOG, FEED_NOTICES


class NoticeRows(StoreBase):
    """Feed notices by feed URL, and ``notice`` rows in the outbox."""

    def add_notices(self, chat_ids: Sequence[int], text: str, now: datetime) -> None:
        """Queue an HTML message (already escaped) to each chat, e.g. the operators."""
        if not chat_ids:
            return
        rows = [outbox_row(chat, NOTICE, None, None, None, now, text=text) for chat in chat_ids]
        with self._begin("queueing notices", write=True) as conn:
            conn.execute(DELIVERIES.insert(), rows)

    def queue_chat_digest(
        self,
        chat_id: int,
        key: str,
        period: tuple[str, datetime, datetime],
        texts: Sequence[str],
        now: datetime,
        *,
        items: int = 0,
    ) -> bool:
        """Queue a chat's digest messages once per period: False if it was queued already.

        `key` names the chat in the digest log ("chat:<id>"), `period` is (its key, start,
        end). The log row and the outbox rows are written in ONE transaction, so of
        several sweeps only one queues the digest, and a crash queues all of it or none;
        the deliverer then sends the rows like any notice (leases, rate limits, fencing).
        """
        period_key, start, end = period
        claim = (
            self._insert(DIGEST_LOG)
            .values(
                email=key,
                period_key=period_key,
                period_start=start,
                period_end=end,
                status=SENT,  # handed to the outbox, which owns delivery from here
                items=items,
                attempts=1,
                claimed_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[DIGEST_LOG.c.email, DIGEST_LOG.c.period_key])
            .returning(DIGEST_LOG.c.email)
        )
        rows = [outbox_row(chat_id, NOTICE, None, None, None, now, text=t) for t in texts]
        with self._begin("queueing a chat's digest", write=True) as conn:
            if conn.scalar(claim) is None:
                return False
            if rows:
                conn.execute(DELIVERIES.insert(), rows)
        return True

    def feed_notices(self) -> dict[str, str]:
        """Feed URL -> what operators were last told about it ("failing" or "ok")."""
        stmt = select(FEED_NOTICES.c.feed_url, FEED_NOTICES.c.state)
        with self._begin("reading feed notices") as conn:
            return {url: state for url, state in conn.execute(stmt)}

    def tell_operators(
        self, feed_url: str, state: str, text: str, chat_ids: Sequence[int], now: datetime
    ) -> bool:
        """Queue `text` to the operators if they were not told `state` about this feed yet.

        Compare-and-set in one transaction: of several processes noticing the same
        change, exactly one queues the message. Returns whether this call did.
        """
        insert = self._insert(FEED_NOTICES).values(feed_url=feed_url, state=state, told_at=now)
        stmt = insert.on_conflict_do_update(
            index_elements=[FEED_NOTICES.c.feed_url],
            set_={"state": state, "told_at": now},
            where=FEED_NOTICES.c.state != state,
        ).returning(FEED_NOTICES.c.feed_url)
        rows = [outbox_row(chat, NOTICE, None, None, None, now, text=text) for chat in chat_ids]
        with self._begin("telling operators", write=True) as conn:
            changed = conn.execute(stmt).first() is not None
            if changed and rows:
                conn.execute(DELIVERIES.insert(), rows)
        return changed
