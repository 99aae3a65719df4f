"""The outbox: claiming delivery rows with leases and settling them.

Routing (`monitor.store.routes`, driven by `monitor.alerts.router`) writes the
rows with the labels that caused them; operators' notices (`monitor.store.notices`)
queue theirs. The deliverer claims pending rows with a lease (PostgreSQL ``FOR
UPDATE SKIP LOCKED``; SQLite ``BEGIN IMMEDIATE``, as feeds are claimed), sends
them, and marks each one sent in its own short transaction with Telegram's
message id. A row whose lease expires (its deliverer died) is claimed again: the
only duplicate possible is a message Telegram accepted just before the crash and
before that commit.

Leases are fenced. Each claim gets a token of its own; the deliverer renews its
rows' leases before every send (`renew_leases`), and every settle (`mark_sent`,
`mark_retry`, `mark_failed`, `mark_skipped`, `release_deliveries`) changes a row
only while it is still pending under that token. A worker that stalled past its
lease, while another claimed and sent the row, therefore neither sends it again
(its renewal fails first) nor overwrites the other's "sent".

Row kinds and statuses are `monitor.models`' ``ALERT``, ``ALSO``, ``NOTICE`` and
pending -> sent | failed (gave up) | skipped (chat gone or muted).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    Integer,
    and_,
    cast,
    exists,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, FromClause, Select

from monitor.models import ALSO, FAILED, PENDING, SENT, SKIPPED, Delivery
from monitor.store.engine import StoreBase, chunked
from monitor.store.schema import DELIVERIES

# pg_try_advisory_xact_lock(int4, int4) keys of chats being claimed: a namespace of our
# own, and the chat id folded into int4 (two chats sharing a key only wait in turn)
CHAT_LOCK_SPACE: Final = 0x6D6F6E  # "mon"
CHAT_LOCK_MODULUS: Final = 2_147_483_647


class OutboxRows(StoreBase):
    """Delivery rows, claimed and settled by deliverers."""

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
        token = secrets.token_hex(8)  # this claim's fence: settles must present it
        with self._begin("claiming deliveries", write=True) as conn:
            ids = list(conn.scalars(candidates))
            if not ids:
                return []
            rows = (
                conn.execute(
                    update(DELIVERIES)
                    .where(DELIVERIES.c.id.in_(ids), lease_free, DELIVERIES.c.status == PENDING)
                    .values(lease_owner=worker, lease_until=now + lease, lease_token=token)
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
                lease_token=token,
            )
            for r in rows
        ]
        return sorted(claimed, key=lambda d: d.id)

    def renew_leases(
        self, delivery_ids: Sequence[int], token: str, now: datetime, lease: timedelta
    ) -> set[int]:
        """Extend the leases still held under `token` to ``now + lease``; the ids still held.

        A row missing from the answer was taken over (its lease ran out and another
        claim took it) or settled: its holder must not send it.
        """
        held: set[int] = set()
        with self._begin("renewing delivery leases", write=True) as conn:
            for chunk in chunked(delivery_ids):
                held.update(
                    conn.scalars(
                        update(DELIVERIES)
                        .where(
                            DELIVERIES.c.id.in_(chunk),
                            # the token alone fences: any other claim replaced it
                            DELIVERIES.c.lease_token == token,
                            DELIVERIES.c.status == PENDING,
                        )
                        .values(lease_until=now + lease)
                        .returning(DELIVERIES.c.id)
                    )
                )
        return held

    def mark_sent(
        self, delivery_id: int, message_id: int | None, now: datetime, *, token: str
    ) -> bool:
        """Record that Telegram accepted the message (its id, for replies); lease released.

        Like every settle: False, and nothing changed, when the row is no longer held
        under `token`.
        """
        return self._settle(
            delivery_id,
            token,
            status=SENT,
            sent_at=now,
            message_id=message_id,
            attempts=DELIVERIES.c.attempts + 1,
            last_error=None,
        )

    def mark_retry(self, delivery_id: int, *, token: str, error: str, not_before: datetime) -> bool:
        """A failed try: count it, release the lease, try again from `not_before`."""
        return self._settle(
            delivery_id,
            token,
            status=PENDING,
            not_before=not_before,
            attempts=DELIVERIES.c.attempts + 1,
            last_error=error,
        )

    def mark_failed(self, delivery_id: int, error: str, *, token: str) -> bool:
        """Give up on a row (Telegram refused it for good)."""
        return self._settle(
            delivery_id, token, status=FAILED, attempts=DELIVERIES.c.attempts + 1, last_error=error
        )

    def mark_skipped(self, delivery_id: int, reason: str, *, token: str) -> bool:
        """Drop a row without sending (chat unsubscribed, blocked the bot or muted)."""
        return self._settle(delivery_id, token, status=SKIPPED, last_error=reason)

    def release_deliveries(self, delivery_ids: Sequence[int], token: str) -> None:
        """Give back the leases held under `token` on these rows without counting a try."""
        with self._begin("releasing deliveries", write=True) as conn:
            for chunk in chunked(delivery_ids):
                conn.execute(
                    update(DELIVERIES)
                    .where(
                        DELIVERIES.c.id.in_(chunk),
                        DELIVERIES.c.lease_token == token,
                        DELIVERIES.c.status == PENDING,
                    )
                    .values(lease_owner=None, lease_until=None, lease_token=None)
                )

    def release_abandoned(self, worker: str) -> int:
        """Free every pending row `worker` still holds; how many.

        A deliverer's passes run one at a time, so rows it holds when a pass starts are
        from a pass that a database error broke off: freed, they are claimed again at
        once instead of after their lease.
        """
        with self._begin("releasing abandoned deliveries", write=True) as conn:
            result = conn.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.lease_owner == worker, DELIVERIES.c.status == PENDING)
                .values(lease_owner=None, lease_until=None, lease_token=None)
            )
            return result.rowcount

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

    def _settle(self, delivery_id: int, token: str, **values: Any) -> bool:
        """Update a row still pending under `token`'s lease; whether it was."""
        with self._begin("recording a delivery", write=True) as conn:
            result = conn.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.id == delivery_id,
                    DELIVERIES.c.lease_token == token,
                    DELIVERIES.c.status == PENDING,
                )
                .values(lease_owner=None, lease_until=None, lease_token=None, **values)
            )
            return result.rowcount == 1


def delivery_lease_holders(now: datetime) -> Select[Any]:
    """The lease owner of each pending row whose lease runs at `now` (a claim skips it)."""
    return select(DELIVERIES.c.lease_owner).where(_lease_held(DELIVERIES, now))


def _lease_held(rows: FromClause, now: datetime) -> ColumnElement[bool]:
    """A pending row of `rows` (the outbox or an alias of it) whose lease runs at `now`."""
    return and_(rows.c.status == PENDING, rows.c.lease_until >= now)


def outbox_row(
    chat_id: int,
    kind: str,
    item_id: int | None,
    story_item_id: int | None,
    model_id: str | None,
    now: datetime,
    *,
    text: str | None = None,
) -> dict[str, Any]:
    """A new pending row's values, due at once."""
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


def _as_utc(value: object) -> datetime | None:
    """An aggregate's time: SQLite returns min() of stored times as text, without the type."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
