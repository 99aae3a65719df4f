"""Telegram subscriptions: one row per chat, its filter and delivery preferences."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.engine import Connection, RowMapping

from monitor.filters import Filter
from monitor.models import Subscription
from monitor.store.engine import StoreBase
from monitor.store.schema import DELIVERIES, SUBSCRIPTIONS


class SubscriptionRows(StoreBase):
    """Subscriptions by chat id."""

    def subscription(self, chat_id: int) -> Subscription | None:
        """The chat's subscription (active or not), or None."""
        stmt = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.chat_id == chat_id)
        with self._begin("reading a subscription") as conn:
            row = conn.execute(stmt).mappings().first()
        return None if row is None else subscription_of(row)

    def subscriptions(self, *, active_only: bool = True) -> list[Subscription]:
        """Every subscription (only active ones by default), by chat id."""
        stmt = select(SUBSCRIPTIONS).order_by(SUBSCRIPTIONS.c.chat_id)
        if active_only:
            stmt = stmt.where(SUBSCRIPTIONS.c.active.is_(True))
        with self._begin("reading subscriptions") as conn:
            return [subscription_of(row) for row in conn.execute(stmt).mappings()]

    def save_subscription(self, sub: Subscription, now: datetime) -> None:
        """Insert or replace the chat's subscription (by chat id)."""
        values = _values(sub)
        with self._begin("saving a subscription", write=True) as conn:
            revision = _next_revision(conn)
            stmt = self._insert(SUBSCRIPTIONS).values(
                **values,
                created_at=now,
                updated_at=now,
                deactivated_reason=None,
                revision=revision,
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[SUBSCRIPTIONS.c.chat_id],
                set_={
                    **{k: v for k, v in values.items() if k != "chat_id"},
                    "updated_at": now,
                    "revision": revision,
                    "deactivated_reason": (
                        None if sub.active else SUBSCRIPTIONS.c.deactivated_reason
                    ),
                },
            )
            conn.execute(stmt)

    def remove_subscription(self, chat_id: int) -> bool:
        """Delete the chat's subscription and its unsent alerts; whether there was one."""
        with self._begin("removing a subscription", write=True) as conn:
            _drop_pending(conn, chat_id)
            deleted = conn.execute(
                delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.chat_id == chat_id)
            ).rowcount
        return bool(deleted)

    def deactivate_subscription(self, chat_id: int, reason: str, now: datetime) -> None:
        """Stop sending to the chat (bot blocked, removed, /unsubscribe); unsent alerts dropped.

        The row stays, so `monitor subscribers list` shows why and a new
        /subscribe (which saves ``active=True``) brings the chat back.
        """
        with self._begin("deactivating a subscription", write=True) as conn:
            conn.execute(
                update(SUBSCRIPTIONS)
                .where(SUBSCRIPTIONS.c.chat_id == chat_id)
                .values(
                    active=False,
                    deactivated_reason=reason,
                    updated_at=now,
                    revision=_next_revision(conn),
                )
            )
            _drop_pending(conn, chat_id)

    def move_chat(self, old_id: int, new_id: int, now: datetime) -> bool:
        """A group became a supergroup (a new chat id): its subscription and unsent alerts follow.

        If the new chat has a subscription already, that one stays and the old one is
        removed. Unsent alerts the new chat already has are dropped from the old one;
        the rest move with their leases freed, to be sent to the new id. Whether a
        subscription moved. Idempotent: Telegram tells of a migration twice (in the
        old group and in the new one) and a failed send tells of it again.
        """
        with self._begin("moving a chat", write=True) as conn:
            moved = False
            if conn.execute(
                select(SUBSCRIPTIONS.c.chat_id).where(SUBSCRIPTIONS.c.chat_id == new_id)
            ).first():
                conn.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.chat_id == old_id))
            else:
                moved = bool(
                    conn.execute(
                        update(SUBSCRIPTIONS)
                        .where(SUBSCRIPTIONS.c.chat_id == old_id)
                        .values(
                            chat_id=new_id,
                            chat_type="supergroup",
                            updated_at=now,
                            revision=_next_revision(conn),
                        )
                    ).rowcount
                )
            pending = and_(DELIVERIES.c.chat_id == old_id, DELIVERIES.c.status == "pending")
            theirs = select(DELIVERIES.c.item_id).where(
                DELIVERIES.c.chat_id == new_id, DELIVERIES.c.item_id.is_not(None)
            )
            conn.execute(
                update(DELIVERIES)
                .where(pending, DELIVERIES.c.item_id.in_(theirs))
                .values(status="skipped", last_error=f"chat moved to {new_id}", lease_owner=None)
            )
            conn.execute(
                update(DELIVERIES)
                .where(pending)
                .values(chat_id=new_id, lease_owner=None, lease_until=None)
            )
        return moved


def subscriptions_version(conn: Connection) -> tuple[int, int]:
    """(count, highest revision): changes whenever a subscription is saved, changed or removed.

    Every write takes the next revision, so an insert or update raises the
    maximum and a delete lowers the count.
    """
    count, revision = conn.execute(
        select(func.count(), func.coalesce(func.max(SUBSCRIPTIONS.c.revision), 0))
    ).one()
    return int(count), int(revision)


def _next_revision(conn: Connection) -> int:
    return subscriptions_version(conn)[1] + 1


def subscription_of(row: RowMapping) -> Subscription:
    raw: Mapping[str, object] = row["filter"] or {}
    return Subscription(
        chat_id=int(row["chat_id"]),
        filter=Filter.from_json(raw),
        instant=bool(row["instant"]),
        active=bool(row["active"]),
        muted_until=row["muted_until"],
        thread_id=None if row["thread_id"] is None else int(row["thread_id"]),
        ui_language=row["ui_language"],
        timezone=row["timezone"],
        chat_type=row["chat_type"],
        title=row["title"],
        quiet_start=_time_of(row["quiet_start"]),
        quiet_end=_time_of(row["quiet_end"]),
        quiet_hold=bool(row["quiet_hold"]),
        digest_time=_time_of(row["digest_time"]),
    )


def _time_of(value: str | None) -> time | None:
    """A stored "HH:MM" as a time (None stays None)."""
    return None if not value else time.fromisoformat(value)


def _values(sub: Subscription) -> dict[str, Any]:
    return {
        "chat_id": sub.chat_id,
        "filter": sub.filter.to_json(),
        "instant": sub.instant,
        "active": sub.active,
        "muted_until": sub.muted_until,
        "thread_id": sub.thread_id,
        "ui_language": sub.ui_language,
        "timezone": sub.timezone,
        "chat_type": sub.chat_type,
        "title": sub.title,
        "quiet_start": None if sub.quiet_start is None else sub.quiet_start.strftime("%H:%M"),
        "quiet_end": None if sub.quiet_end is None else sub.quiet_end.strftime("%H:%M"),
        "quiet_hold": sub.quiet_hold,
        "digest_time": None if sub.digest_time is None else sub.digest_time.strftime("%H:%M"),
    }


def _drop_pending(conn: Connection, chat_id: int) -> None:
    conn.execute(
        update(DELIVERIES)
        .where(
            DELIVERIES.c.chat_id == chat_id,
            DELIVERIES.c.status.in_(("pending", "held")),
            DELIVERIES.c.kind != "notice",
        )
        .values(status="skipped", last_error="subscription ended", lease_owner=None)
    )
