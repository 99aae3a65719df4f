"""The outbox: messages to send, written with the labels that caused them, claimed with leases.

Routing (`save_labels_and_route`) stores an item's labels, its embedding and one
delivery row per matching chat in ONE transaction, so a crash can never keep
the labels and lose the alerts (or the reverse). The deliverer claims pending
rows with a lease (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite ``BEGIN
IMMEDIATE``, as feeds are claimed), sends them, and marks each one sent in its
own short transaction with Telegram's message id. A row whose lease expires
(its deliverer died) is claimed again: the only duplicate possible is a
message Telegram accepted just before the crash and before that commit.

Row kinds: ``alert`` (an item), ``also`` (the same story again: a reply to the
chat's first alert of it, ``story_item_id``), ``notice`` (operators' text).
Statuses: pending -> sent | failed (gave up) | skipped (chat gone or muted).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    cast,
    column,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, FromClause, Select

from classifiers.base import (
    Labels,  # the label cache's own row values
)
from monitor.alerts.routing import SubscriptionIndex
from monitor.alerts.stories import (
    MAX_REPLIES_PER_STORY,
    STORY_WINDOW,
    StoryCandidate,
    same_story,
    split_by_story,
)
from monitor.models import (
    ALERT,
    ALSO,
    FAILED,
    NOTICE,
    PENDING,
    SENT,
    SKIPPED,
    Delivery,
    RouteResult,
)
from monitor.store.engine import StoreBase, UTCDateTime
from monitor.store.labels import upsert_labels
from monitor.store.schema import (
    DELIVERIES,
    EMBEDDINGS,
    FEED_NOTICES,
    FEEDS,
    ITEMS,
    LABELS,
    SUBSCRIPTIONS,
)
from monitor.store.subscriptions import subscription_of, subscriptions_version
from monitor.store.vectors import decode_vector, save_embedding

MAX_ALERT_AGE: Final = timedelta(days=2)  # older news (a new feed's back catalogue) alerts no one
ID_CHUNK: Final = 500
STORY_CACHE_SLACK: Final = 1000

# pg_try_advisory_xact_lock(int4, int4) keys of chats being claimed: a namespace of our
# own, and the chat id folded into int4 (two chats sharing a key only wait in turn)
CHAT_LOCK_SPACE: Final = 0x6D6F6E  # "mon"
CHAT_LOCK_MODULUS: Final = 2_147_483_647


class OutboxRows(StoreBase):
    """Delivery rows: routing writes them, deliverers claim and settle them."""

    # by subscriptions' version: the index and each chat's mute end
    _route_index: tuple[tuple[int, int], SubscriptionIndex, dict[int, datetime]] | None = None
    _stories: dict[str, dict[int, StoryCandidate]]  # model id -> item id -> alerted story

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stories = {}

    def save_labels_and_route(
        self, item_id: int, content_hash: str, model_id: str, labels: Labels, now: datetime
    ) -> RouteResult:
        """Store a new original's labels and embedding and queue its alerts, in one transaction.

        Every active subscription with instant alerts, not muted at `now`, whose
        filter matches gets an ``alert`` row, unless the item is the same story
        (`monitor.alerts.stories`) as one that chat was already alerted about
        within the story window: then an ``also`` row replying to that alert.
        Items published more than `MAX_ALERT_AGE` before `now` alert no one.
        Calling it again for the same item adds nothing (one row per chat and item).
        """
        return self.save_labels_and_route_many([(item_id, content_hash, labels)], model_id, now)[0]

    def save_labels_and_route_many(
        self, items: Sequence[tuple[int, str, Labels]], model_id: str, now: datetime
    ) -> list[RouteResult]:
        """`save_labels_and_route` for a classified batch of (item id, content hash, labels).

        One transaction for the batch: a commit costs as much as routing an item to
        a hundred chats. Items are routed in order, so a later one in the batch is
        the same story as an earlier one (a reply) just as across batches.
        """
        with self._begin("saving labels and routing", write=True) as conn:
            return [
                self._save_and_route(conn, item_id, content_hash, model_id, labels, now)
                for item_id, content_hash, labels in items
            ]

    def _save_and_route(
        self,
        conn: Connection,
        item_id: int,
        content_hash: str,
        model_id: str,
        labels: Labels,
        now: datetime,
    ) -> RouteResult:
        upsert_labels(conn, self._insert(LABELS), content_hash, model_id, labels, now)
        if labels.embedding:
            insert = self._insert(EMBEDDINGS)
            save_embedding(conn, insert, content_hash, model_id, labels.embedding, now)
        if not labels.relevant:
            return RouteResult()
        item = conn.execute(
            select(ITEMS.c.title, ITEMS.c.text, ITEMS.c.published_at, ITEMS.c.first_seen_at).where(
                ITEMS.c.id == item_id
            )
        ).first()
        if item is None:
            return RouteResult()
        title, text, published_at, first_seen_at = item
        if (published_at or first_seen_at) < now - MAX_ALERT_AGE:
            return RouteResult()
        index, muted = self._index(conn, now)
        chats = [c for c in index.match(labels, title=title, text=text) if c not in muted]
        if not chats:
            return RouteResult()
        stories = self._same_story(conn, item_id, model_id, labels, now) if labels.embedding else []
        first_alerts, replies_so_far = _story_alerts(conn, chats, stories)
        alerts, replies = split_by_story(chats, first_alerts, replies_so_far)
        if alerts:
            self._insert_alerts(conn, alerts, item_id, model_id, now)
            conn.execute(
                update(ITEMS)
                .where(ITEMS.c.id == item_id, ITEMS.c.alerted_at.is_(None))
                .values(alerted_at=now)
            )
        rows = [_row(chat, ALSO, item_id, story, model_id, now) for chat, story in replies]
        if rows:
            stmt = self._insert(DELIVERIES).on_conflict_do_nothing(
                index_elements=[DELIVERIES.c.chat_id, DELIVERIES.c.item_id]
            )
            conn.execute(stmt, rows)
        return RouteResult(tuple(alerts), tuple(replies))

    def _insert_alerts(
        self, conn: Connection, chats: Sequence[int], item_id: int, model_id: str, now: datetime
    ) -> None:
        """One alert row per chat in ONE statement: ``INSERT ... SELECT`` over the chat ids.

        An item may match thousands of chats; bound per row, SQLAlchemy's parameter
        processing cost ~100 µs a row, more than classifying the item.
        """
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
        conn.execute(stmt, {"chats": ids})

    def route_duplicates(self, now: datetime) -> int:
        """Queue "also reported" replies for near-duplicates that dedup linked to alerted items.

        A copy from another feed, first seen within the story window, becomes an
        ``also`` row for each chat that got (or is getting) the original's alert,
        at most `MAX_REPLIES_PER_STORY` per story and one per feed. Copies from the
        original's own feed (an edited repost) are not mentioned. Idempotent: run
        on every drain; returns the rows added.
        """
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
                ITEMS.c.first_seen_at >= now - STORY_WINDOW,
                ITEMS.c.feed_url != original.c.feed_url,
                ~exists().where(
                    mine.c.chat_id == DELIVERIES.c.chat_id, mine.c.item_id == ITEMS.c.id
                ),
            )
            .order_by(ITEMS.c.id)
        )
        with self._begin("routing duplicates", write=True) as conn:
            found = conn.execute(stmt).all()
            if not found:
                return 0
            stories = sorted({int(r[2]) for r in found})
            chats = sorted({int(r[3]) for r in found})
            _, replies_so_far = _story_alerts(conn, chats, stories)
            told = _reported_feeds(conn, stories)
            rows = []
            for item_id, feed_url, story, chat in found:
                key = (int(chat), int(story))
                if replies_so_far.get(key, 0) >= MAX_REPLIES_PER_STORY:
                    continue
                if feed_url in told.setdefault(key, set()):
                    continue
                told[key].add(feed_url)
                replies_so_far[key] = replies_so_far.get(key, 0) + 1
                rows.append(_row(int(chat), ALSO, int(item_id), int(story), None, now))
            if rows:
                conn.execute(
                    self._insert(DELIVERIES).on_conflict_do_nothing(
                        index_elements=[DELIVERIES.c.chat_id, DELIVERIES.c.item_id]
                    ),
                    rows,
                )
        return len(rows)

    def add_notices(self, chat_ids: Sequence[int], text: str, now: datetime) -> None:
        """Queue an HTML message (already escaped) to each chat, e.g. the operators."""
        if not chat_ids:
            return
        rows = [_row(chat, NOTICE, None, None, None, now, text=text) for chat in chat_ids]
        with self._begin("queueing notices", write=True) as conn:
            conn.execute(DELIVERIES.insert(), rows)

    def claim_deliveries(
        self, worker: str, now: datetime, lease: timedelta, *, limit: int = 100
    ) -> list[Delivery]:
        """Lease up to `limit` pending rows that are due to `worker` until ``now + lease``.

        Oldest first. A reply waits while the alert it answers is still pending.
        Two workers never hold the same row while its lease runs, and a chat is
        served by one worker at a time: rows of a chat that another worker holds
        leases in wait, so each chat's rate limit holds across processes. On
        PostgreSQL a transaction-scoped advisory lock per chat closes the race of
        two claims at the same instant; SQLite's write lock serialises claims anyway.
        """
        if limit < 1:
            return []
        root = DELIVERIES.alias("root")
        waiting_for_root = exists().where(
            root.c.chat_id == DELIVERIES.c.chat_id,
            root.c.item_id == DELIVERIES.c.story_item_id,
            root.c.status == PENDING,
        )
        other = DELIVERIES.alias("other")
        chat_held_elsewhere = exists().where(
            other.c.chat_id == DELIVERIES.c.chat_id,
            other.c.lease_owner != worker,
            _lease_held(other, now),
        )
        lease_free = or_(DELIVERIES.c.lease_until.is_(None), DELIVERIES.c.lease_until < now)
        conditions = [
            DELIVERIES.c.status == PENDING,
            DELIVERIES.c.not_before <= now,
            lease_free,
            not_(waiting_for_root),
            not_(chat_held_elsewhere),
        ]
        if self._dialect == "postgresql":
            chat_key = cast(DELIVERIES.c.chat_id % CHAT_LOCK_MODULUS, Integer)
            conditions.append(func.pg_try_advisory_xact_lock(CHAT_LOCK_SPACE, chat_key))
        candidates = (
            select(DELIVERIES.c.id)
            .where(*conditions)
            .order_by(DELIVERIES.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds its write lock
        )
        with self._begin("claiming deliveries", write=True) as conn:
            ids = list(conn.scalars(candidates))
            if not ids:
                return []
            rows = (
                conn.execute(
                    update(DELIVERIES)
                    .where(DELIVERIES.c.id.in_(ids), lease_free, DELIVERIES.c.status == PENDING)
                    .values(lease_owner=worker, lease_until=now + lease)
                    .returning(*DELIVERIES.c)
                )
                .mappings()
                .all()
            )
            wanted = [(r["chat_id"], r["story_item_id"]) for r in rows if r["kind"] == ALSO]
            reply_to = _sent_message_ids(conn, wanted)
        claimed = [
            Delivery(
                id=int(r["id"]),
                chat_id=int(r["chat_id"]),
                kind=r["kind"],
                item_id=r["item_id"],
                story_item_id=r["story_item_id"],
                model_id=r["model_id"],
                text=r["text"],
                attempts=int(r["attempts"]),
                created_at=r["created_at"],
                reply_to_message_id=reply_to.get((int(r["chat_id"]), r["story_item_id"])),
            )
            for r in rows
        ]
        return sorted(claimed, key=lambda d: d.id)

    def mark_sent(self, delivery_id: int, message_id: int | None, now: datetime) -> None:
        """Record that Telegram accepted the message (its id, for replies); lease released."""
        self._settle(
            delivery_id,
            status=SENT,
            sent_at=now,
            message_id=message_id,
            attempts=DELIVERIES.c.attempts + 1,
            last_error=None,
        )

    def mark_retry(self, delivery_id: int, *, error: str, not_before: datetime) -> None:
        """A failed try: count it, release the lease, try again from `not_before`."""
        self._settle(
            delivery_id,
            status=PENDING,
            not_before=not_before,
            attempts=DELIVERIES.c.attempts + 1,
            last_error=error,
        )

    def mark_failed(self, delivery_id: int, error: str) -> None:
        """Give up on a row (Telegram refused it for good)."""
        self._settle(
            delivery_id, status=FAILED, attempts=DELIVERIES.c.attempts + 1, last_error=error
        )

    def mark_skipped(self, delivery_id: int, reason: str) -> None:
        """Drop a row without sending (chat unsubscribed, blocked the bot or muted)."""
        self._settle(delivery_id, status=SKIPPED, last_error=reason)

    def release_deliveries(self, delivery_ids: Sequence[int], worker: str) -> None:
        """Give back `worker`'s leases on these rows without counting a try."""
        with self._begin("releasing deliveries", write=True) as conn:
            for chunk in _chunks(delivery_ids):
                conn.execute(
                    update(DELIVERIES)
                    .where(DELIVERIES.c.id.in_(chunk), DELIVERIES.c.lease_owner == worker)
                    .values(lease_owner=None, lease_until=None)
                )

    def next_delivery_at(self) -> datetime | None:
        """When the earliest pending row is due (or its lease ends), None when none is pending."""
        due = func.coalesce(DELIVERIES.c.lease_until, DELIVERIES.c.not_before)
        stmt = select(func.min(due)).where(DELIVERIES.c.status == PENDING)
        with self._begin("reading the outbox") as conn:
            value = conn.scalar(stmt)
        return _as_utc(value)

    def delivery_senders(self, now: datetime) -> set[str]:
        """Workers holding unexpired leases on pending rows: the processes sending now."""
        stmt = delivery_lease_holders(now).distinct()
        with self._begin("reading who is sending") as conn:
            return {owner for owner in conn.scalars(stmt) if owner is not None}

    def delivery_counts(self) -> dict[str, int]:
        """Rows per status (pending, sent, failed, skipped; zeros included)."""
        stmt = select(DELIVERIES.c.status, func.count()).group_by(DELIVERIES.c.status)
        counts = dict.fromkeys((PENDING, SENT, FAILED, SKIPPED), 0)
        with self._begin("counting deliveries") as conn:
            counts.update({status: int(n) for status, n in conn.execute(stmt)})
        return counts

    def deliveries_of(self, chat_id: int) -> list[dict[str, object]]:
        """Every row for one chat, oldest first, as plain dicts (operators, tests)."""
        stmt = select(DELIVERIES).where(DELIVERIES.c.chat_id == chat_id).order_by(DELIVERIES.c.id)
        with self._begin("reading deliveries") as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def feed_names(self) -> dict[str, str]:
        """Feed URL -> name, for every feed ever listed."""
        with self._begin("reading feed names") as conn:
            return {url: name for url, name in conn.execute(select(FEEDS.c.url, FEEDS.c.name))}

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
        rows = [_row(chat, NOTICE, None, None, None, now, text=text) for chat in chat_ids]
        with self._begin("telling operators", write=True) as conn:
            changed = conn.execute(stmt).first() is not None
            if changed and rows:
                conn.execute(DELIVERIES.insert(), rows)
        return changed

    def _settle(self, delivery_id: int, **values: Any) -> None:
        with self._begin("recording a delivery", write=True) as conn:
            conn.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id == delivery_id)
                .values(lease_owner=None, lease_until=None, **values)
            )

    def _index(self, conn: Connection, now: datetime) -> tuple[SubscriptionIndex, set[int]]:
        """The routing index (rebuilt when subscriptions changed) and the chats muted at `now`.

        Muting is a subscription change too (it raises the revision), so the mute
        times kept with the index are current; only `now` moves.
        """
        version = subscriptions_version(conn)
        cached = self._route_index
        if cached is None or cached[0] != version:
            stmt = select(SUBSCRIPTIONS).where(
                SUBSCRIPTIONS.c.active.is_(True), SUBSCRIPTIONS.c.instant.is_(True)
            )
            subs = [subscription_of(r) for r in conn.execute(stmt).mappings()]
            index = SubscriptionIndex.build((s.chat_id, s.filter) for s in subs)
            mutes = {s.chat_id: s.muted_until for s in subs if s.muted_until is not None}
            cached = (version, index, mutes)
            self._route_index = cached
        muted = {chat for chat, until in cached[2].items() if until > now}
        return cached[1], muted

    def _same_story(
        self, conn: Connection, item_id: int, model_id: str, labels: Labels, now: datetime
    ) -> list[int]:
        """Items alerted within the story window whose embedding is this story's.

        Their vectors and labels never change, so each is read once per process and
        kept (`_stories`); only the ids of the window's alerted items are read per call.
        """
        # the window's items (an index range) marked when their alerts were queued; not
        # the outbox, whose hundreds of rows per item a planner may choose to scan whole
        ids = set(
            conn.scalars(
                select(ITEMS.c.id).where(
                    ITEMS.c.first_seen_at >= now - STORY_WINDOW,
                    ITEMS.c.id != item_id,
                    ITEMS.c.alerted_at.is_not(None),
                )
            )
        )
        cache = self._stories.setdefault(model_id, {})
        missing = [i for i in ids if i not in cache]
        for chunk in _chunks(missing):
            stmt = (
                select(ITEMS.c.id, EMBEDDINGS.c.vector, LABELS.c.countries, LABELS.c.topics)
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
            for row in conn.execute(stmt):
                cache[int(row[0])] = StoryCandidate(
                    int(row[0]),
                    decode_vector(row[1]),
                    frozenset(row[2] or ()),
                    frozenset(row[3] or ()),
                )
        if len(cache) > 2 * len(ids) + STORY_CACHE_SLACK:  # forget stories out of the window
            for old in [i for i in cache if i not in ids]:
                del cache[old]
        candidates = [cache[i] for i in ids if i in cache]
        return same_story(labels, candidates)


def delivery_lease_holders(now: datetime) -> Select[Any]:
    """The lease owner of each pending row whose lease runs at `now` (a claim skips it)."""
    return select(DELIVERIES.c.lease_owner).where(_lease_held(DELIVERIES, now))


def _lease_held(rows: FromClause, now: datetime) -> ColumnElement[bool]:
    """A pending row of `rows` (the outbox or an alias of it) whose lease runs at `now`."""
    return and_(rows.c.status == PENDING, rows.c.lease_until >= now)


def _row(
    chat_id: int,
    kind: str,
    item_id: int | None,
    story_item_id: int | None,
    model_id: str | None,
    now: datetime,
    *,
    text: str | None = None,
) -> dict[str, Any]:
    return {
        "chat_id": chat_id,
        "kind": kind,
        "item_id": item_id,
        "story_item_id": story_item_id,
        "model_id": model_id,
        "text": text,
        "status": PENDING,
        "attempts": 0,
        "created_at": now,
        "not_before": now,
    }


def _story_alerts(
    conn: Connection, chats: Sequence[int], stories: Sequence[int]
) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """Per chat, the first alert it got of these stories; replies already queued under each."""
    if not stories:
        return {}, {}
    first: dict[int, tuple[int, int]] = {}  # chat -> (delivery id, item id)
    replies: dict[tuple[int, int], int] = {}
    for chunk in _chunks(chats):
        rows = conn.execute(
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
        counted = conn.execute(
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


def _sent_message_ids(
    conn: Connection, wanted: Sequence[tuple[int, int | None]]
) -> Mapping[tuple[int, int | None], int]:
    """Telegram message ids of the sent alerts (chat, item) that replies answer."""
    found: dict[tuple[int, int | None], int] = {}
    for chat, item in dict.fromkeys(wanted):
        if item is None:
            continue
        message_id = conn.scalar(
            select(DELIVERIES.c.message_id).where(
                DELIVERIES.c.chat_id == chat,
                DELIVERIES.c.item_id == item,
                DELIVERIES.c.status == SENT,
            )
        )
        if message_id is not None:
            found[(chat, item)] = int(message_id)
    return found


def _chunks(values: Sequence[int]) -> Iterator[list[int]]:
    values = list(values)
    for start in range(0, len(values), ID_CHUNK):
        yield values[start : start + ID_CHUNK]


def _as_utc(value: object) -> datetime | None:
    """An aggregate's time: SQLite returns min() of stored times as text, without the type."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _reported_feeds(conn: Connection, stories: Sequence[int]) -> dict[tuple[int, int], set[str]]:
    """(chat, story) -> feeds whose copies were already reported under the story's alert."""
    found: dict[tuple[int, int], set[str]] = {}
    for chunk in _chunks(stories):
        rows = conn.execute(
            select(DELIVERIES.c.chat_id, DELIVERIES.c.story_item_id, ITEMS.c.feed_url)
            .join(ITEMS, ITEMS.c.id == DELIVERIES.c.item_id)
            .where(DELIVERIES.c.kind == ALSO, DELIVERIES.c.story_item_id.in_(chunk))
        )
        for chat, story, feed in rows:
            found.setdefault((int(chat), int(story)), set()).add(feed)
    return found
