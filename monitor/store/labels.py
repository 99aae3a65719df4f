"""The label cache: the same text is never classified twice by one model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import (
    and_,
    select,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, RowMapping

from classifiers.base import Labels, labels_record
from monitor.models import StoredItem
from monitor.store.engine import StoreBase, chunked
from monitor.store.items import stored_item
from monitor.store.schema import ITEMS, LABELS

_LABEL_PREFIX: Final = "label_"


class LabelRows(StoreBase):
    """Labels by (content hash, model id)."""

    def cached_labels(self, content_hashes: Sequence[str], model_id: str) -> dict[str, Labels]:
        """Labels `model_id` already gave these texts, by content hash."""
        found: dict[str, Labels] = {}
        wanted = list(dict.fromkeys(content_hashes))
        with self._begin("reading labels") as conn:
            for chunk in chunked(wanted):
                stmt = select(LABELS).where(
                    LABELS.c.model_id == model_id, LABELS.c.content_hash.in_(chunk)
                )
                rows = conn.execute(stmt).mappings()
                found.update((row["content_hash"], _labels(row)) for row in rows)
        return found

    def save_labels(self, content_hash: str, model_id: str, labels: Labels, now: datetime) -> None:
        """Remember `labels` for this text and model; saving again replaces them."""
        with self._begin("saving labels", write=True) as conn:
            upsert_labels(conn, self._insert(LABELS), content_hash, model_id, labels, now)

    def items_with_labels(
        self,
        model_id: str,
        *,
        since: datetime | None = None,
        limit: int = 100,
        originals_only: bool = True,
    ) -> list[tuple[StoredItem, Labels | None]]:
        """Newest items first with `model_id`'s labels (None when not classified yet)."""
        stmt = (
            select(ITEMS, *(c.label(_LABEL_PREFIX + c.name) for c in LABELS.c))
            .outerjoin(
                LABELS,
                and_(
                    LABELS.c.content_hash == ITEMS.c.content_hash,
                    LABELS.c.model_id == model_id,
                ),
            )
            .order_by(ITEMS.c.first_seen_at.desc(), ITEMS.c.id.desc())
            .limit(limit)
        )
        if since is not None:
            stmt = stmt.where(ITEMS.c.first_seen_at >= since)
        if originals_only:
            stmt = stmt.where(ITEMS.c.duplicate_of.is_(None))
        with self._begin("reading labelled items") as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            (
                stored_item(row),
                None if row[_LABEL_PREFIX + "model_id"] is None else _labels(row, _LABEL_PREFIX),
            )
            for row in rows
        ]


def _labels(row: RowMapping, prefix: str = "") -> Labels:
    scores: Mapping[str, float] = row[prefix + "topic_scores"] or {}
    return Labels(
        language=row[prefix + "language"],
        relevant=bool(row[prefix + "relevant"]),
        cooperation=bool(row[prefix + "cooperation"]),
        topics=tuple(row[prefix + "topics"]),
        countries=tuple(row[prefix + "countries"]),
        summary=row[prefix + "summary"],
        relevance_score=float(row[prefix + "relevance_score"]),
        cooperation_score=float(row[prefix + "cooperation_score"]),
        topic_scores={str(k): float(v) for k, v in scores.items()},
        events=tuple(row[prefix + "events"] or ()),
        organisations=tuple(row[prefix + "organisations"] or ()),
        place=row[prefix + "place"],
        event_date=row[prefix + "event_date"],
    )


def upsert_labels(
    conn: Connection,
    insert: pg.Insert | sqlite_dialect.Insert,
    content_hash: str,
    model_id: str,
    labels: Labels,
    now: datetime,
) -> None:
    """Save `labels` inside the caller's transaction (`insert` is the dialect's insert of
    LABELS); saving again replaces them."""
    values = labels_record(labels)
    stmt = insert.values(content_hash=content_hash, model_id=model_id, created_at=now, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LABELS.c.content_hash, LABELS.c.model_id],
        set_={**values, "created_at": now},
    )
    conn.execute(stmt)
