"""Writing what routing decided: labels and delivery rows in ONE transaction.

The store decides nothing here. `RouteRows.routing()` opens one write transaction
and hands out a `RoutingTransaction` bound to it: the reads routing needs (an
item's text and age, the subscriptions, the window's alerted items, what each
chat already got of a story) and the writes it decides (labels, embedding,
alert and reply rows). The policy that drives it is `monitor.alerts.router`.
Because the labels and the rows they cause commit together, a crash can never
keep the labels and lose the alerts (or the reverse): the outbox guarantee.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    and_,
    bindparam,
    column,
    exists,
    func,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import Table

from classifiers.base import Labels
from monitor.models import ALERT, ALSO, PENDING, SENT, AlertedItem, Subscription
from monitor.store.engine import StoreBase, UTCDateTime, chunked
from monitor.store.labels import upsert_labels
from monitor.store.outbox import outbox_row
from monitor.store.schema import DELIVERIES, EMBEDDINGS, FEEDS, ITEMS, LABELS, SUBSCRIPTIONS
from monitor.store.subscriptions import subscription_of, subscriptions_version
from monitor.store.vectors import decode_vector, label_columns, labels_of_row, save_embedding


class RoutingTransaction:
    """Reads and writes of routing, all inside one open write transaction."""

    def __init__(
        self,
        conn: Connection,
        dialect: str,
        insert: Callable[[Table], pg.Insert | sqlite_dialect.Insert],
    ) -> None:
        self._conn = conn
        self._dialect = dialect
        self._insert = insert  # the dialect's INSERT, which has ON CONFLICT

    # -- reads -------------------------------------------------------------------

    def item_to_route(self, item_id: int) -> tuple[str, str, datetime, str | None] | None:
        """(title, text, published or else first seen, its feed's source type) of an item,
        None if it is not stored."""
        row = self._conn.execute(
            select(
                ITEMS.c.title,
                ITEMS.c.text,
                ITEMS.c.published_at,
                ITEMS.c.first_seen_at,
                FEEDS.c.source,
            )
            .outerjoin(FEEDS, FEEDS.c.url == ITEMS.c.feed_url)
            .where(ITEMS.c.id == item_id)
        ).first()
        if row is None:
            return None
        title, body, published_at, first_seen_at, source = row
        return title, body, published_at or first_seen_at, source

    def subscriptions_version(self) -> tuple[int, int]:
        """Changes whenever a subscription (its filter, its mute) is saved or removed."""
        return subscriptions_version(self._conn)

    def instant_subscriptions(self) -> list[Subscription]:
        """The active subscriptions with instant alerts on (muted ones included)."""
        stmt = select(SUBSCRIPTIONS).where(
            SUBSCRIPTIONS.c.active.is_(True), SUBSCRIPTIONS.c.instant.is_(True)
        )
        return [subscription_of(r) for r in self._conn.execute(stmt).mappings()]

    def alerted_since(self, since: datetime, *, other_than: int) -> set[int]:
        """Ids of the items first seen since `since` whose alerts were queued."""
        # the window's items (an index range) marked when their alerts were queued; not
        # the outbox, whose hundreds of rows per item a planner may choose to scan whole
        return set(
            self._conn.scalars(
                select(ITEMS.c.id).where(
                    ITEMS.c.first_seen_at >= since,
                    ITEMS.c.id != other_than,
                    ITEMS.c.alerted_at.is_not(None),
                )
            )
        )

    def alerted_items(self, item_ids: Sequence[int], model_id: str) -> list[AlertedItem]:
        """These items' embeddings and labels under `model_id` (items lacking one left out)."""
        found: list[AlertedItem] = []
        for chunk in chunked(item_ids):
            stmt = (
                select(
                    ITEMS.c.id,
                    ITEMS.c.title.label("item_title"),
                    ITEMS.c.text.label("item_text"),
                    ITEMS.c.published_at,
                    ITEMS.c.first_seen_at,
                    ITEMS.c.story_id,
                    EMBEDDINGS.c.vector,
                    *label_columns(),
                )
                .join(
                    EMBEDDINGS,
                    and_(
                        EMBEDDINGS.c.content_hash == ITEMS.c.content_hash,
                        EMBEDDINGS.c.model_id == model_id,
                    ),
                )
                .join(
                    LABELS,
                    and_(
                        LABELS.c.content_hash == ITEMS.c.content_hash,
                        LABELS.c.model_id == model_id,
                    ),
                )
                .where(ITEMS.c.id.in_(chunk))
            )
            for row in self._conn.execute(stmt).mappings():
                labels = labels_of_row(row)
                assert labels is not None  # joined, not outer-joined
                story = row["story_id"]
                found.append(
                    AlertedItem(
                        int(row["id"]),
                        decode_vector(row["vector"]),
                        labels,
                        title=row["item_title"],
                        text=row["item_text"],
                        at=row["published_at"] or row["first_seen_at"],
                        story_id=None if story is None else int(story),
                    )
                )
        return found

    def set_story(self, item_id: int, story_id: int) -> None:
        """Record the item's story (the id of its first item); a story once set stays."""
        self._conn.execute(
            update(ITEMS)
            .where(ITEMS.c.id == item_id, ITEMS.c.story_id.is_(None))
            .values(story_id=story_id)
        )

    def story_alerts(
        self, chats: Sequence[int], stories: Sequence[int]
    ) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
        """Per chat, the first alert it got of these stories; replies already queued under each."""
        if not stories:
            return {}, {}
        first: dict[int, tuple[int, int]] = {}  # chat -> (delivery id, item id)
        replies: dict[tuple[int, int], int] = {}
        for chunk in chunked(chats):
            rows = self._conn.execute(
                select(DELIVERIES.c.id, DELIVERIES.c.chat_id, DELIVERIES.c.item_id).where(
                    DELIVERIES.c.kind == ALERT,
                    DELIVERIES.c.status.in_((PENDING, SENT)),
                    DELIVERIES.c.item_id.in_(list(stories)),
                    DELIVERIES.c.chat_id.in_(chunk),
                )
            )
            for delivery_id, chat, item in rows:
                if chat not in first or delivery_id < first[chat][0]:
                    first[chat] = (int(delivery_id), int(item))
            counted = self._conn.execute(
                select(DELIVERIES.c.chat_id, DELIVERIES.c.story_item_id, func.count())
                .where(
                    DELIVERIES.c.kind == ALSO,
                    DELIVERIES.c.story_item_id.in_(list(stories)),
                    DELIVERIES.c.chat_id.in_(chunk),
                )
                .group_by(DELIVERIES.c.chat_id, DELIVERIES.c.story_item_id)
            )
            replies.update({(int(c), int(s)): int(n) for c, s, n in counted})
        return {chat: item for chat, (_, item) in first.items()}, replies

    def unreported_copies(self, since: datetime) -> list[tuple[int, str, int, int]]:
        """(copy id, its feed, original id, chat) for each chat alerted about an original
        (pending or sent) whose copy from another feed, first seen since `since`, it has
        no row for yet. Copies are near-duplicates dedup linked (``duplicate_of``)."""
        original = ITEMS.alias("original")
        mine = DELIVERIES.alias("mine")
        stmt = (
            select(ITEMS.c.id, ITEMS.c.feed_url, ITEMS.c.duplicate_of, DELIVERIES.c.chat_id)
            .join(original, original.c.id == ITEMS.c.duplicate_of)
            .join(
                DELIVERIES,
                and_(
                    DELIVERIES.c.item_id == ITEMS.c.duplicate_of,
                    DELIVERIES.c.kind == ALERT,
                    DELIVERIES.c.status.in_((PENDING, SENT)),
                ),
            )
            .where(
                ITEMS.c.first_seen_at >= since,
                ITEMS.c.feed_url != original.c.feed_url,
                ~exists().where(
                    mine.c.chat_id == DELIVERIES.c.chat_id, mine.c.item_id == ITEMS.c.id
                ),
            )
            .order_by(ITEMS.c.id)
        )
        return [(int(i), str(f), int(s), int(c)) for i, f, s, c in self._conn.execute(stmt)]

    def reported_feeds(self, stories: Sequence[int]) -> dict[tuple[int, int], set[str]]:
        """(chat, story) -> feeds whose copies were already reported under the story's alert."""
        found: dict[tuple[int, int], set[str]] = {}
        for chunk in chunked(stories):
            rows = self._conn.execute(
                select(DELIVERIES.c.chat_id, DELIVERIES.c.story_item_id, ITEMS.c.feed_url)
                .join(ITEMS, ITEMS.c.id == DELIVERIES.c.item_id)
                .where(DELIVERIES.c.kind == ALSO, DELIVERIES.c.story_item_id.in_(chunk))
            )
            for chat, story, feed in rows:
                found.setdefault((int(chat), int(story)), set()).add(feed)
        return found

    # -- writes ------------------------------------------------------------------

    def save_labels(self, content_hash: str, model_id: str, labels: Labels, now: datetime) -> None:
        """The labels (upsert) and, if they carry one, the embedding."""
        upsert_labels(self._conn, self._insert(LABELS), content_hash, model_id, labels, now)
        if labels.embedding:
            insert = self._insert(EMBEDDINGS)
            save_embedding(self._conn, insert, content_hash, model_id, labels.embedding, now)

    def queue_alerts(
        self, item_id: int, model_id: str, chats: Sequence[int], now: datetime
    ) -> None:
        """One ``alert`` row per chat (an existing one is kept) and the item marked alerted.

        ONE statement, ``INSERT ... SELECT`` over the chat ids: an item may match
        thousands of chats, and bound per row, SQLAlchemy's parameter processing
        cost ~100 µs a row, more than classifying the item.
        """
        if not chats:
            return
        if self._dialect == "postgresql":
            source = text("SELECT unnest(CAST(:chats AS BIGINT[])) AS chat")
            ids: object = list(chats)
        else:  # json_each: SQLite's table-valued function over a JSON array
            source = text("SELECT CAST(value AS INTEGER) AS chat FROM json_each(:chats)")
            ids = json.dumps(list(chats))
        src = source.columns(column("chat", BigInteger)).subquery("src")
        stamp = bindparam("now", now, type_=UTCDateTime)
        values = select(
            src.c.chat,
            literal(ALERT),
            literal(item_id),
            literal(model_id),
            literal(PENDING),
            literal(0),
            stamp,
            stamp,
        ).where(true())  # SQLite: INSERT ... SELECT ... ON CONFLICT needs a WHERE
        columns = [
            DELIVERIES.c.chat_id,
            DELIVERIES.c.kind,
            DELIVERIES.c.item_id,
            DELIVERIES.c.model_id,
            DELIVERIES.c.status,
            DELIVERIES.c.attempts,
            DELIVERIES.c.created_at,
            DELIVERIES.c.not_before,
        ]
        stmt = (
            self._insert(DELIVERIES)
            .from_select(columns, values)
            .on_conflict_do_nothing(index_elements=[DELIVERIES.c.chat_id, DELIVERIES.c.item_id])
        )
        self._conn.execute(stmt, {"chats": ids})
        self._conn.execute(
            update(ITEMS)
            .where(ITEMS.c.id == item_id, ITEMS.c.alerted_at.is_(None))
            .values(alerted_at=now)
        )

    def queue_replies(
        self,
        replies: Sequence[tuple[int, int, int]],
        model_id: str | None,
        now: datetime,
    ) -> None:
        """One ``also`` row per (chat, item, story item it replies to); existing rows kept."""
        rows = [outbox_row(chat, ALSO, item, story, model_id, now) for chat, item, story in replies]
        if rows:
            stmt = self._insert(DELIVERIES).on_conflict_do_nothing(
                index_elements=[DELIVERIES.c.chat_id, DELIVERIES.c.item_id]
            )
            self._conn.execute(stmt, rows)


class RouteRows(StoreBase):
    """Routing's one transaction."""

    @contextmanager
    def routing(self, what: str = "saving labels and routing") -> Iterator[RoutingTransaction]:
        """One write transaction for routing: committed when the block ends, else rolled back."""
        with self._begin(what, write=True) as conn:
            yield RoutingTransaction(conn, self._dialect, self._insert)
