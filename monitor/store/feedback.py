"""Readers' votes on alerts (👍/👎): one per chat and item, the last one wins.

A vote is training data (`monitor feedback export`), and a button's callback data can
be crafted: the bot stores a vote only for an item alerted to that chat (`alerted_to`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, func, select

from classifiers.base import Labels
from monitor.models import ALERT, ALSO, SENT, StoredItem
from monitor.store.engine import StoreBase
from monitor.store.items import stored_item
from monitor.store.schema import DELIVERIES, FEEDBACK, ITEMS, LABELS
from monitor.store.vectors import label_columns, labels_of_row

VOTES = (1, -1)
EXPORT_BATCH = 500


@dataclass(frozen=True)
class ItemVotes:
    """One voted-on item with its labels (by one model) and its vote counts."""

    item: StoredItem
    labels: Labels | None
    up: int
    down: int


class FeedbackRows(StoreBase):
    """Votes by (chat, item)."""

    def save_feedback(self, chat_id: int, item_id: int, vote: int, now: datetime) -> None:
        """Store the chat's vote on an item (+1 or -1), replacing its earlier vote.

        Raises:
            ValueError: `vote` is neither +1 nor -1.
        """
        if vote not in VOTES:
            raise ValueError(f"a vote is +1 or -1, not {vote!r}")
        stmt = self._insert(FEEDBACK).values(
            chat_id=chat_id, item_id=item_id, vote=vote, created_at=now, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[FEEDBACK.c.chat_id, FEEDBACK.c.item_id],
            set_={"vote": vote, "updated_at": now},
        )
        with self._begin("saving feedback", write=True) as conn:
            conn.execute(stmt)

    def alerted_to(self, chat_id: int, item_id: int) -> bool:
        """Whether the item was sent to the chat: an alert, or a story's reply (which is a
        whole alert with 👍/👎 when the story's first alert never reached the chat)."""
        stmt = select(
            exists().where(
                DELIVERIES.c.chat_id == chat_id,
                DELIVERIES.c.item_id == item_id,
                DELIVERIES.c.kind.in_((ALERT, ALSO)),
                DELIVERIES.c.status == SENT,
            )
        )
        with self._begin("reading deliveries") as conn:
            return bool(conn.scalar(stmt))

    def feedback_counts(self) -> tuple[int, int]:
        """(thumbs up, thumbs down) over every stored vote."""
        stmt = select(
            func.count(case((FEEDBACK.c.vote > 0, 1))),
            func.count(case((FEEDBACK.c.vote < 0, 1))),
        )
        with self._begin("counting feedback") as conn:
            up, down = conn.execute(stmt).one()
        return int(up), int(down)

    def latest_model_id(self) -> str | None:
        """The model that labelled an item last (the one exports and digests default to)."""
        stmt = select(LABELS.c.model_id).order_by(LABELS.c.created_at.desc()).limit(1)
        with self._begin("reading labels") as conn:
            found = conn.scalar(stmt)
        return None if found is None else str(found)

    def voted_items(self, model_id: str) -> Iterator[ItemVotes]:
        """Every item with at least one vote, oldest first, with `model_id`'s labels."""
        up = func.count(case((FEEDBACK.c.vote > 0, 1))).label("up")
        down = func.count(case((FEEDBACK.c.vote < 0, 1))).label("down")
        votes = select(FEEDBACK.c.item_id, up, down).group_by(FEEDBACK.c.item_id).subquery("votes")
        last_id = 0
        while True:
            stmt = (
                select(ITEMS, votes.c.up, votes.c.down, *label_columns())
                .join(votes, votes.c.item_id == ITEMS.c.id)
                .outerjoin(
                    LABELS,
                    (LABELS.c.content_hash == ITEMS.c.content_hash)
                    & (LABELS.c.model_id == model_id),
                )
                .where(ITEMS.c.id > last_id)
                .order_by(ITEMS.c.id)
                .limit(EXPORT_BATCH)
            )
            with self._begin("reading feedback") as conn:
                rows = conn.execute(stmt).mappings().all()
            if not rows:
                return
            for row in rows:
                yield ItemVotes(
                    stored_item(row), labels_of_row(row), int(row["up"]), int(row["down"])
                )
            last_id = int(rows[-1]["id"])
