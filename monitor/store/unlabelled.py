"""Originals left without labels, for the sweep that labels and routes them later.

Items are stored before they are classified, in their own transaction; the labels
and the alerts they cause follow in another (`monitor.store.routes`). When that
second step fails (a locked or full database, a classifier error), the items stay
stored without labels, and the next poll knows their entries. They are found here:
originals with no labels for the model, past a grace period (a poll in progress
labels its own items), whose next try is due. Each failed try is counted, with its
reason and the time of the next one; after `max_attempts` an item is given up and
`label_failures` reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from monitor.models import StoredItem
from monitor.store.engine import StoreBase, chunked
from monitor.store.items import stored_item
from monitor.store.schema import ITEMS, LABELS


@dataclass(frozen=True)
class LabelFailures:
    """Originals without labels: waiting for another try, or given up; the last reason."""

    retrying: int
    given_up: int
    last_error: str | None


class UnlabelledRows(StoreBase):
    """The labelling queue: originals without labels, and their failed tries."""

    def unlabelled_items(
        self,
        model_id: str,
        now: datetime,
        *,
        grace: timedelta,
        since: datetime,
        max_attempts: int,
        limit: int = 64,
    ) -> list[tuple[StoredItem, int]]:
        """Originals first seen between `since` and ``now - grace`` with no labels for
        `model_id`, fewer than `max_attempts` failed tries and their next try due, with
        their failed tries so far; oldest first."""
        unlabelled = (
            ~select(LABELS.c.content_hash)
            .where(LABELS.c.content_hash == ITEMS.c.content_hash, LABELS.c.model_id == model_id)
            .exists()
        )
        due = or_(
            and_(ITEMS.c.label_retry_at.is_(None), ITEMS.c.first_seen_at <= now - grace),
            ITEMS.c.label_retry_at <= now,
        )
        stmt = (
            select(ITEMS)
            .where(
                ITEMS.c.duplicate_of.is_(None),
                ITEMS.c.first_seen_at >= since,
                ITEMS.c.label_attempts < max_attempts,
                due,
                unlabelled,
            )
            .order_by(ITEMS.c.id)
            .limit(limit)
        )
        with self._begin("reading unlabelled items") as conn:
            rows = conn.execute(stmt).mappings().all()
        return [(stored_item(row), int(row["label_attempts"])) for row in rows]

    def record_label_failures(
        self, item_ids: Sequence[int], error: str, retry_at: datetime
    ) -> None:
        """Count a failed labelling try of these items; the next one from `retry_at`."""
        with self._begin("recording failed labelling", write=True) as conn:
            for chunk in chunked(item_ids):
                conn.execute(
                    update(ITEMS)
                    .where(ITEMS.c.id.in_(chunk))
                    .values(
                        label_attempts=ITEMS.c.label_attempts + 1,
                        label_retry_at=retry_at,
                        label_error=error[:500],
                    )
                )

    def label_failures(self, *, max_attempts: int) -> LabelFailures:
        """Originals still without labels (of any model) after at least one failed try."""
        unlabelled = (
            ~select(LABELS.c.content_hash)
            .where(LABELS.c.content_hash == ITEMS.c.content_hash)
            .exists()
        )
        failed = and_(ITEMS.c.duplicate_of.is_(None), ITEMS.c.label_attempts > 0, unlabelled)
        given_up = ITEMS.c.label_attempts >= max_attempts
        with self._begin("counting failed labelling") as conn:
            counts = conn.execute(
                select(
                    func.count().filter(~given_up),
                    func.count().filter(given_up),
                ).where(failed)
            ).one()
            last = conn.scalar(
                select(ITEMS.c.label_error)
                .where(failed)
                .order_by(ITEMS.c.label_retry_at.desc(), ITEMS.c.id.desc())
                .limit(1)
            )
        return LabelFailures(retrying=int(counts[0]), given_up=int(counts[1]), last_error=last)
