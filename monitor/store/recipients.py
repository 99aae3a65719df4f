"""Digest recipients, the digest log (what was mailed to whom for which period),
the confirmation codes that prove an address asked for mail, and the log of code
mails that keeps anyone from flooding an address with them (`claim_code_mail`).

The log is what makes a digest go out once: a sender claims (recipient, period)
before mailing and records the outcome after; a claim whose sender died is
taken over once its lease has passed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import RowMapping

from classifiers.base import Labels
from monitor.filters import Filter
from monitor.models import DEFERRED, FAILED, SENDING, SENT, SKIPPED, Recipient, StoredItem
from monitor.store.engine import CHUNK, StoreBase, chunked
from monitor.store.items import stored_item
from monitor.store.labels import _labels as labels_of_row
from monitor.store.schema import CODE_MAILS, DIGEST_CODES, DIGEST_LOG, ITEMS, LABELS, RECIPIENTS

DONE_STATUSES: Final = (SENT, SKIPPED, FAILED)
DEFAULT_CLAIM_LEASE: Final = timedelta(minutes=15)
CODE_MAIL_KEEP: Final = timedelta(days=2)  # code-mail rows older than this are pruned


@dataclass(frozen=True)
class DigestLogEntry:
    """One (recipient, period) of the digest log."""

    email: str
    period_key: str  # "daily:2026-12-03" / "weekly:2026-12-03": one digest per key
    period_start: datetime
    period_end: datetime
    status: str
    items: int
    attempts: int
    error: str | None
    message_id: str | None
    updated_at: datetime


class RecipientRows(StoreBase):
    """Recipients, the digest log and confirmation codes."""

    # -- recipients ------------------------------------------------------------

    def recipient(self, email: str) -> Recipient | None:
        """The recipient with this (lower-cased) address, or None."""
        stmt = select(RECIPIENTS).where(RECIPIENTS.c.email == email.strip().lower())
        with self._begin("reading a recipient") as conn:
            row = conn.execute(stmt).mappings().first()
        return None if row is None else _recipient(row)

    def recipient_for_chat(self, chat_id: int) -> Recipient | None:
        """The recipient a Telegram chat manages (the newest if several), or None."""
        stmt = (
            select(RECIPIENTS)
            .where(RECIPIENTS.c.chat_id == chat_id)
            .order_by(RECIPIENTS.c.updated_at.desc())
            .limit(1)
        )
        with self._begin("reading a recipient") as conn:
            row = conn.execute(stmt).mappings().first()
        return None if row is None else _recipient(row)

    def recipient_by_token(self, token: str) -> Recipient | None:
        """The recipient whose unsubscribe token this is, or None."""
        if not token:
            return None
        with self._begin("reading a recipient") as conn:
            row = conn.execute(select(RECIPIENTS).where(RECIPIENTS.c.token == token)).mappings()
            found = row.first()
        return None if found is None else _recipient(found)

    def recipients(self, *, active_only: bool = False) -> list[Recipient]:
        """Every recipient by address; `active_only`: active and confirmed ones."""
        stmt = select(RECIPIENTS).order_by(RECIPIENTS.c.email)
        if active_only:
            stmt = stmt.where(RECIPIENTS.c.active.is_(True), RECIPIENTS.c.confirmed.is_(True))
        with self._begin("reading recipients") as conn:
            return [_recipient(row) for row in conn.execute(stmt).mappings()]

    def save_recipient(self, recipient: Recipient, now: datetime) -> Recipient:
        """Insert or replace by address; the saved value (with its token) is returned.

        A recipient saved without a token keeps the stored one, or gets a new one.
        """
        email = recipient.email.strip().lower()
        with self._begin("saving a recipient", write=True) as conn:
            stored = conn.scalar(select(RECIPIENTS.c.token).where(RECIPIENTS.c.email == email))
            token = recipient.token or stored or secrets.token_urlsafe(24)
            saved = replace(recipient, email=email, token=token)
            created = conn.scalar(
                select(RECIPIENTS.c.created_at).where(RECIPIENTS.c.email == email)
            )
            saved = replace(saved, created_at=created or now)
            values = _recipient_values(saved)
            if stored is None:
                conn.execute(RECIPIENTS.insert().values(created_at=now, updated_at=now, **values))
            else:
                conn.execute(
                    update(RECIPIENTS)
                    .where(RECIPIENTS.c.email == email)
                    .values(updated_at=now, **values)
                )
        return saved

    def remove_recipient(self, email: str) -> bool:
        """Delete a recipient (its log stays); whether there was one."""
        with self._begin("removing a recipient", write=True) as conn:
            result = conn.execute(
                delete(RECIPIENTS).where(RECIPIENTS.c.email == email.strip().lower())
            )
        return bool(result.rowcount)

    # -- what a digest is made of ----------------------------------------------

    def digest_items(
        self, since: datetime, until: datetime, *, model_id: str | None = None
    ) -> tuple[list[tuple[StoredItem, Labels]], list[StoredItem]]:
        """Classified originals first seen in [since, until), and their duplicates.

        Labels are `model_id`'s where it gave some, else the newest any model gave
        (after a model upgrade, the day's items keep their earlier labels). The
        duplicates (re-posts, the same story in other outlets) are those of the
        returned originals, whenever they were seen; they carry no labels.
        """
        stmt = (
            select(ITEMS)
            .where(
                ITEMS.c.first_seen_at >= since,
                ITEMS.c.first_seen_at < until,
                ITEMS.c.duplicate_of.is_(None),
            )
            .order_by(ITEMS.c.first_seen_at, ITEMS.c.id)
        )
        with self._begin("reading digest items") as conn:
            items = [stored_item(row) for row in conn.execute(stmt).mappings()]
            hashes = list(dict.fromkeys(i.content_hash for i in items))
            newest: dict[str, tuple[tuple[bool, datetime], Labels]] = {}
            for chunk in chunked(hashes):
                label_stmt = select(LABELS).where(LABELS.c.content_hash.in_(chunk))
                for row in conn.execute(label_stmt).mappings():
                    rank = (row["model_id"] == model_id, row["created_at"])
                    seen = newest.get(row["content_hash"])
                    if seen is None or rank > seen[0]:
                        newest[row["content_hash"]] = (rank, labels_of_row(row))
            ids = [i.id for i in items]
            duplicates: list[StoredItem] = []
            for start in range(0, len(ids), CHUNK):
                dup_stmt = (
                    select(ITEMS)
                    .where(ITEMS.c.duplicate_of.in_(ids[start : start + CHUNK]))
                    .order_by(ITEMS.c.first_seen_at, ITEMS.c.id)
                )
                duplicates += [stored_item(row) for row in conn.execute(dup_stmt).mappings()]
        labelled = [(i, newest[i.content_hash][1]) for i in items if i.content_hash in newest]
        return labelled, duplicates

    def latest_model_id(self) -> str | None:
        """The model that labelled most recently (what a CLI without a classifier uses)."""
        stmt = select(LABELS.c.model_id).order_by(LABELS.c.created_at.desc()).limit(1)
        with self._begin("reading labels") as conn:
            found = conn.scalar(stmt)
        return None if found is None else str(found)

    # -- the digest log --------------------------------------------------------

    def claim_digest(
        self,
        email: str,
        period_key: str,
        *,
        period_start: datetime,
        period_end: datetime,
        now: datetime,
        lease: timedelta = DEFAULT_CLAIM_LEASE,
    ) -> bool:
        """Take the right to send `email` its digest for `period_key`; False if not ours.

        Free: no row yet, a deferred one, or a claim older than `lease` (its sender died).
        """
        with self._begin("claiming a digest", write=True) as conn:
            inserted = conn.scalar(
                self._insert(DIGEST_LOG)
                .values(
                    email=email,
                    period_key=period_key,
                    period_start=period_start,
                    period_end=period_end,
                    status=SENDING,
                    items=0,
                    attempts=1,
                    claimed_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(
                    index_elements=[DIGEST_LOG.c.email, DIGEST_LOG.c.period_key]
                )
                .returning(DIGEST_LOG.c.email)
            )
            if inserted is not None:
                return True
            taken = conn.execute(
                update(DIGEST_LOG)
                .where(
                    DIGEST_LOG.c.email == email,
                    DIGEST_LOG.c.period_key == period_key,
                    or_(
                        DIGEST_LOG.c.status == DEFERRED,
                        and_(DIGEST_LOG.c.status == SENDING, DIGEST_LOG.c.claimed_at < now - lease),
                    ),
                )
                .values(
                    status=SENDING,
                    attempts=DIGEST_LOG.c.attempts + 1,
                    claimed_at=now,
                    updated_at=now,
                )
            )
        return bool(taken.rowcount)

    def finish_digest(
        self,
        email: str,
        period_key: str,
        status: str,
        now: datetime,
        *,
        items: int = 0,
        error: str | None = None,
        message_id: str | None = None,
    ) -> None:
        """Record how a claimed digest ended: sent, skipped, failed or deferred."""
        with self._begin("recording a digest", write=True) as conn:
            conn.execute(
                update(DIGEST_LOG)
                .where(DIGEST_LOG.c.email == email, DIGEST_LOG.c.period_key == period_key)
                .values(
                    status=status,
                    items=items,
                    error=error,
                    message_id=message_id,
                    updated_at=now,
                )
            )

    def digest_entry(self, email: str, period_key: str) -> DigestLogEntry | None:
        """The log row of one (recipient, period), or None."""
        stmt = select(DIGEST_LOG).where(
            DIGEST_LOG.c.email == email, DIGEST_LOG.c.period_key == period_key
        )
        with self._begin("reading the digest log") as conn:
            row = conn.execute(stmt).mappings().first()
        return None if row is None else _entry(row)

    def digest_log(
        self,
        *,
        email: str | None = None,
        statuses: Sequence[str] = (),
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[DigestLogEntry]:
        """Log rows, newest period first, optionally for one address, statuses or since."""
        stmt = (
            select(DIGEST_LOG)
            .order_by(DIGEST_LOG.c.period_end.desc(), DIGEST_LOG.c.email)
            .limit(limit)
        )
        if email is not None:
            stmt = stmt.where(DIGEST_LOG.c.email == email)
        if statuses:
            stmt = stmt.where(DIGEST_LOG.c.status.in_(list(statuses)))
        if since is not None:
            stmt = stmt.where(DIGEST_LOG.c.updated_at >= since)
        with self._begin("reading the digest log") as conn:
            return [_entry(row) for row in conn.execute(stmt).mappings()]

    def digest_counts(self, since: datetime) -> dict[str, int]:
        """Log rows updated since `since`, by status."""
        stmt = (
            select(DIGEST_LOG.c.status, func.count())
            .where(DIGEST_LOG.c.updated_at >= since)
            .group_by(DIGEST_LOG.c.status)
        )
        with self._begin("counting digests") as conn:
            return {str(status): int(n) for status, n in conn.execute(stmt)}

    # -- confirmation codes ----------------------------------------------------

    def save_confirmation(
        self, chat_id: int, email: str, code_hash: str, *, expires_at: datetime, now: datetime
    ) -> None:
        """Remember the one pending code of a chat (a new one replaces the old)."""
        values = {"email": email, "code_hash": code_hash, "expires_at": expires_at, "attempts": 0}
        stmt = (
            self._insert(DIGEST_CODES)
            .values(chat_id=chat_id, created_at=now, **values)
            .on_conflict_do_update(
                index_elements=[DIGEST_CODES.c.chat_id], set_={**values, "created_at": now}
            )
        )
        with self._begin("saving a confirmation code", write=True) as conn:
            conn.execute(stmt)

    def claim_code_mail(
        self,
        email: str,
        chat_id: int,
        now: datetime,
        *,
        chat_interval: timedelta,
        address_window: timedelta,
        address_limit: int,
    ) -> str | None:
        """Record a code mail to `email` for `chat_id`, unless a throttle holds it back.

        In one write transaction: None when the mail may go (it is recorded, so it
        counts even if the mail then fails); ``"chat"`` when the chat had a code mailed
        within `chat_interval`; ``"address"`` when `email` got `address_limit` code
        mails within `address_window`, whichever chats asked.
        """
        email = email.strip().lower()
        chat_recent = select(func.count()).where(
            CODE_MAILS.c.chat_id == chat_id, CODE_MAILS.c.sent_at > now - chat_interval
        )
        address_recent = select(func.count()).where(
            CODE_MAILS.c.email == email, CODE_MAILS.c.sent_at > now - address_window
        )
        with self._begin("throttling code mails", write=True) as conn:
            if conn.scalar(chat_recent):
                return "chat"
            if int(conn.scalar(address_recent) or 0) >= address_limit:
                return "address"
            conn.execute(delete(CODE_MAILS).where(CODE_MAILS.c.sent_at < now - CODE_MAIL_KEEP))
            conn.execute(CODE_MAILS.insert().values(email=email, chat_id=chat_id, sent_at=now))
        return None

    def pending_confirmation(self, chat_id: int) -> str | None:
        """The address a chat's pending code is for, or None."""
        stmt = select(DIGEST_CODES.c.email).where(DIGEST_CODES.c.chat_id == chat_id)
        with self._begin("reading a confirmation code") as conn:
            email = conn.scalar(stmt)
        return None if email is None else str(email)

    def use_confirmation(
        self, chat_id: int, code_hash: str, *, now: datetime, max_attempts: int
    ) -> str | None:
        """The confirmed address if `code_hash` is the chat's live code, else None.

        A right code is used up; a wrong one counts, and the code is gone after
        `max_attempts` wrong tries or once expired.
        """
        with self._begin("checking a confirmation code", write=True) as conn:
            row = (
                conn.execute(select(DIGEST_CODES).where(DIGEST_CODES.c.chat_id == chat_id))
                .mappings()
                .first()
            )
            if row is None:
                return None
            mine = DIGEST_CODES.c.chat_id == chat_id
            if row["expires_at"] <= now:
                conn.execute(delete(DIGEST_CODES).where(mine))
                return None
            if secrets.compare_digest(str(row["code_hash"]), code_hash):
                conn.execute(delete(DIGEST_CODES).where(mine))
                return str(row["email"])
            if row["attempts"] + 1 >= max_attempts:
                conn.execute(delete(DIGEST_CODES).where(mine))
            else:
                conn.execute(
                    update(DIGEST_CODES).where(mine).values(attempts=DIGEST_CODES.c.attempts + 1)
                )
        return None


def _recipient_values(r: Recipient) -> dict[str, Any]:
    return {
        "email": r.email,
        "filter": r.filter.to_json(),
        "frequency": r.frequency,
        "weekday": r.weekday,
        "send_time": f"{r.send_time.hour:02d}:{r.send_time.minute:02d}",
        "timezone": r.timezone,
        "language": r.language,
        "skip_empty": r.skip_empty,
        "active": r.active,
        "confirmed": r.confirmed,
        "chat_id": r.chat_id,
        "token": r.token,
    }


def _recipient(row: RowMapping) -> Recipient:
    hour, minute = str(row["send_time"]).split(":")
    return Recipient(
        email=row["email"],
        filter=Filter.from_json(row["filter"] or {}),
        frequency=row["frequency"],
        weekday=int(row["weekday"]),
        send_time=time(int(hour), int(minute)),
        timezone=row["timezone"],
        language=row["language"],
        skip_empty=bool(row["skip_empty"]),
        active=bool(row["active"]),
        confirmed=bool(row["confirmed"]),
        chat_id=None if row["chat_id"] is None else int(row["chat_id"]),
        token=row["token"],
        created_at=row["created_at"],
    )


def _entry(row: RowMapping) -> DigestLogEntry:
    return DigestLogEntry(
        email=row["email"],
        period_key=row["period_key"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        status=row["status"],
        items=int(row["items"]),
        attempts=int(row["attempts"]),
        error=row["error"],
        message_id=row["message_id"],
        updated_at=row["updated_at"],
    )
