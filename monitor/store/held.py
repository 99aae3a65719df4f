"""Held alerts: rows that wait for a chat's mute or quiet window to end, and their summary.

The deliverer settles an alert as ``held`` instead of sending it while the chat holds
(`monitor.alerts.quiet`). When the chat stops holding, `summarise_held` writes ONE
notice row (the "while muted" summary) and settles the held rows as ``summarised`` in
the same transaction, so the summary is queued exactly once: a second deliverer that
read the same rows finds them settled and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from monitor.models import HELD, NOTICE, PENDING, SUMMARISED
from monitor.store.engine import StoreBase, chunked
from monitor.store.outbox import outbox_row
from monitor.store.schema import DELIVERIES


class HeldRows(StoreBase):
    """Alerts held for a chat, and the one summary that reports them."""

    def mark_held(self, delivery_id: int, *, token: str) -> bool:
        """Hold a claimed row (the chat is muted or in a holding quiet window)."""
        with self._begin("holding a delivery", write=True) as conn:
            result = conn.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.id == delivery_id,
                    DELIVERIES.c.lease_token == token,
                    DELIVERIES.c.status == PENDING,
                )
                .values(status=HELD, lease_owner=None, lease_until=None, lease_token=None)
            )
            return result.rowcount == 1

    def held_chats(self) -> list[int]:
        """The chats with held rows, ascending."""
        stmt = select(DELIVERIES.c.chat_id).where(DELIVERIES.c.status == HELD).distinct()
        with self._begin("reading held deliveries") as conn:
            return sorted(int(c) for c in conn.scalars(stmt))

    def held_deliveries(self, chat_id: int) -> list[tuple[int, int | None, str | None]]:
        """(row id, item id, model id) of the chat's held rows, oldest first."""
        stmt = (
            select(DELIVERIES.c.id, DELIVERIES.c.item_id, DELIVERIES.c.model_id)
            .where(DELIVERIES.c.chat_id == chat_id, DELIVERIES.c.status == HELD)
            .order_by(DELIVERIES.c.id)
        )
        with self._begin("reading held deliveries") as conn:
            return [(int(i), item, model) for i, item, model in conn.execute(stmt)]

    def summarise_held(
        self, chat_id: int, delivery_ids: Sequence[int], text: str, now: datetime
    ) -> bool:
        """Queue `text` to the chat and settle these held rows as summarised, atomically.

        False, and nothing written, when any of them is no longer held (another
        deliverer summarised them first).
        """
        try:
            with self._begin("summarising held deliveries", write=True) as conn:
                settled = 0
                for chunk in chunked(delivery_ids):
                    settled += conn.execute(
                        update(DELIVERIES)
                        .where(
                            DELIVERIES.c.id.in_(chunk),
                            DELIVERIES.c.chat_id == chat_id,
                            DELIVERIES.c.status == HELD,
                        )
                        .values(status=SUMMARISED, sent_at=now)
                    ).rowcount
                if settled != len(delivery_ids):
                    raise _Raced  # leaving the block rolls the transaction back
                row = outbox_row(chat_id, NOTICE, None, None, None, now, text=text)
                conn.execute(DELIVERIES.insert(), [row])
        except _Raced:
            return False
        return True


class _Raced(Exception):
    """Another deliverer summarised some of the rows first."""
