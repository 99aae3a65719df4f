"""The items of a brief: cooperation reports naming every party in a period, with their stories.

Two steps, so a year of a 100,000-item store is read in a fraction of a second:

1. the labels that say cooperation and name every party — JSON containment (``@>``)
   on PostgreSQL, a match on the JSON text on SQLite, evaluated by the database in one
   pass over the labels — joined to their items by ``ix_items_content_hash`` and kept
   when published in the period. (No condition on ``items.first_seen_at``: with one,
   SQLite walks that index through a year of items and looks up each one's labels,
   40 times slower on 100,000 items; ``bench/brief.py`` measures it.)
2. every original of those items' stories (``ix_items_story_id``), in the period or
   not: a report that names only some of the parties is still a report of the story.
   Only the first 1,000 characters of an item's text are read (the summary's fallback).

Labels are the given model's where it gave some, else the newest any model gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import Text, func, literal, or_, select, type_coerce
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from classifiers.base import Labels
from monitor.models import StoredItem
from monitor.store.engine import StoreBase, chunked
from monitor.store.items import stored_item
from monitor.store.labels import _labels as labels_of_row
from monitor.store.schema import ITEMS, LABELS

# what a brief shows of an item (not its signature, its article page or its labelling
# retries; a text's start) and of its labels (not the topic scores): converting fewer
# values per row is most of a brief's read time
_ITEM_FIELDS: Final = (
    "id", "feed_url", "guid", "url", "title", "published_at", "language_hint",
    "first_seen_at", "content_hash", "duplicate_of", "story_id",
)  # fmt: skip
_ITEM_COLUMNS: Final = [
    *(ITEMS.c[name] for name in _ITEM_FIELDS),
    func.substr(ITEMS.c.text, 1, 1000).label("text"),
    literal(None).label("fulltext"),
]
_LABEL_COLUMNS: Final = [
    literal(None).label("label_topic_scores")
    if c.name == "topic_scores"
    else c.label("label_" + c.name)
    for c in LABELS.c
]


class BriefRows(StoreBase):
    """The reads of `monitor brief` and `/brief`."""

    def brief_items(
        self,
        *,
        countries: Sequence[str],
        organisations: Sequence[str],
        since: datetime,
        until: datetime,
        model_id: str | None = None,
    ) -> list[tuple[StoredItem, Labels]]:
        """Labelled originals of the stories in which some report, published (or first
        seen) in [since, until), is cooperation naming every country and organisation.

        Returns every original of those stories (also outside the period), oldest first.
        """
        published = func.coalesce(ITEMS.c.published_at, ITEMS.c.first_seen_at)
        conditions: list[ColumnElement[bool]] = [
            published >= since,
            published < until,
            ITEMS.c.duplicate_of.is_(None),
            LABELS.c.relevant.is_(True),
            LABELS.c.cooperation.is_(True),
        ]
        conditions += [self._names(LABELS.c.countries, code) for code in countries]
        conditions += [self._names(LABELS.c.organisations, org) for org in organisations]
        matching = (
            select(ITEMS.c.id, ITEMS.c.story_id)
            .join(LABELS, LABELS.c.content_hash == ITEMS.c.content_hash)
            .where(*conditions)
        )
        with self._begin("reading a brief's items") as conn:
            stories = sorted({int(s if s is not None else i) for i, s in conn.execute(matching)})
            rows = _story_members(conn, stories, model_id)
        return sorted(rows, key=lambda pair: (_when(pair[0]), pair[0].id))

    def _names(self, column: ColumnElement[object], value: str) -> ColumnElement[bool]:
        """The JSON array `column` holds `value` (a code or id: letters, digits, '_')."""
        if self._dialect == "postgresql":
            return type_coerce(column, pg.JSONB).contains([value])
        return type_coerce(column, Text).like(f'%"{value}"%')


def _story_members(
    conn: Connection, stories: Sequence[int], model_id: str | None
) -> list[tuple[StoredItem, Labels]]:
    found: dict[int, tuple[tuple[bool, datetime], StoredItem, Labels]] = {}
    for chunk in chunked(stories):
        stmt = (
            select(*_ITEM_COLUMNS, *_LABEL_COLUMNS)
            .join(LABELS, LABELS.c.content_hash == ITEMS.c.content_hash)
            .where(
                or_(ITEMS.c.story_id.in_(chunk), ITEMS.c.id.in_(chunk)),
                ITEMS.c.duplicate_of.is_(None),
            )
        )
        for row in conn.execute(stmt).mappings():
            rank = (row["label_model_id"] == model_id, row["label_created_at"])
            seen = found.get(row["id"])
            if seen is None or rank > seen[0]:
                found[row["id"]] = (rank, stored_item(row), labels_of_row(row, "label_"))
    return [(item, labels) for _, item, labels in found.values()]


def _when(item: StoredItem) -> datetime:
    return item.published_at or item.first_seen_at
