"""Item rows and their near-duplicate bands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    and_,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.engine import RowMapping

from monitor.models import Item, StoredItem
from monitor.store.engine import StoreBase
from monitor.store.schema import ITEM_BANDS, ITEMS


class ItemRows(StoreBase):
    """Items, deduplication look-ups and counts."""

    def find_item_by_key(self, feed_url: str, guid: str, url: str, content_hash: str) -> int | None:
        """The original of a stored item with the same (feed, guid), URL or content hash.

        Checked in that order; an empty `url` or `content_hash` matches nothing.
        """
        original = func.coalesce(ITEMS.c.duplicate_of, ITEMS.c.id)
        keys = [and_(ITEMS.c.feed_url == feed_url, ITEMS.c.guid == guid)]
        if url:
            keys.append(ITEMS.c.url == url)
        if content_hash:
            keys.append(ITEMS.c.content_hash == content_hash)
        with self._begin("looking up an item") as conn:
            for key in keys:
                found = conn.scalar(select(original).where(key).order_by(ITEMS.c.id).limit(1))
                if found is not None:
                    return int(found)
        return None

    def near_duplicate_candidates(
        self, bands: Sequence[str], limit: int = 50
    ) -> list[tuple[int, tuple[int, ...]]]:
        """Original items sharing at least one LSH band, most shared first: (id, signature).

        Duplicates are left out: a copy of a copy links to the first item, not the copy.
        """
        wanted = list(dict.fromkeys(bands))
        if not wanted or limit < 1:
            return []
        shared = func.count().label("shared")
        stmt = (
            select(ITEMS.c.id, ITEMS.c.signature, shared)
            .join(ITEM_BANDS, ITEM_BANDS.c.item_id == ITEMS.c.id)
            .where(ITEM_BANDS.c.band.in_(wanted), ITEMS.c.duplicate_of.is_(None))
            .group_by(ITEMS.c.id, ITEMS.c.signature)
            .order_by(shared.desc(), ITEMS.c.id)
            .limit(limit)
        )
        with self._begin("finding near-duplicates") as conn:
            rows = conn.execute(stmt).all()
        return [(int(item_id), _decode_signature(sig)) for item_id, sig, _ in rows]

    def add_item(
        self,
        item: Item,
        *,
        first_seen_at: datetime,
        content_hash: str,
        signature: Sequence[int],
        bands: Sequence[str],
        duplicate_of: int | None,
    ) -> int | None:
        """Store a new item and its LSH bands; its id, or None if (feed, guid) exists.

        Concurrent workers adding the same entry are safe: one gets the id, the
        others None. A `duplicate_of` that is itself a duplicate is followed to
        its original.
        """
        with self._begin("adding an item", write=True) as conn:
            if duplicate_of is not None:
                root = conn.scalar(
                    select(func.coalesce(ITEMS.c.duplicate_of, ITEMS.c.id)).where(
                        ITEMS.c.id == duplicate_of
                    )
                )
                duplicate_of = duplicate_of if root is None else int(root)
            stmt = (
                self._insert(ITEMS)
                .values(
                    feed_url=item.feed_url,
                    guid=item.guid,
                    url=item.url,
                    title=item.title,
                    text=item.text,
                    published_at=item.published_at,
                    first_seen_at=first_seen_at,
                    language_hint=item.language_hint,
                    content_hash=content_hash,
                    signature=_encode_signature(signature),
                    duplicate_of=duplicate_of,
                )
                .on_conflict_do_nothing(index_elements=[ITEMS.c.feed_url, ITEMS.c.guid])
                .returning(ITEMS.c.id)
            )
            item_id = conn.scalar(stmt)
            if item_id is None:
                return None
            band_rows = [{"band": b, "item_id": item_id} for b in dict.fromkeys(bands)]
            if band_rows:
                conn.execute(ITEM_BANDS.insert(), band_rows)
        return int(item_id)

    def set_fulltext(self, item_id: int, text: str) -> None:
        """Attach the article page's text to an item."""
        with self._begin("saving full text", write=True) as conn:
            conn.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(fulltext=text))

    def item(self, item_id: int) -> StoredItem | None:
        """One stored item, or None."""
        with self._begin("reading an item") as conn:
            row = conn.execute(select(ITEMS).where(ITEMS.c.id == item_id)).mappings().first()
        return None if row is None else stored_item(row)

    def recent_items(self, limit: int = 50, *, originals_only: bool = True) -> list[StoredItem]:
        """The newest items first (by first seen), duplicates left out by default."""
        stmt = select(ITEMS).order_by(ITEMS.c.first_seen_at.desc(), ITEMS.c.id.desc()).limit(limit)
        if originals_only:
            stmt = stmt.where(ITEMS.c.duplicate_of.is_(None))
        with self._begin("reading items") as conn:
            return [stored_item(row) for row in conn.execute(stmt).mappings()]

    def items_per_day(
        self, days: int, now: datetime, *, originals_only: bool = False
    ) -> list[tuple[date, int]]:
        """Items first seen on each of the last `days` UTC days (oldest first, zeros included)."""
        if days < 1:
            return []
        today = now.astimezone(UTC).date()
        first = today - timedelta(days=days - 1)
        start = datetime.combine(first, time(), UTC)
        end = datetime.combine(today + timedelta(days=1), time(), UTC)
        seen = ITEMS.c.first_seen_at
        if self._dialect == "postgresql":
            day = func.date(func.timezone(literal_column("'UTC'"), seen))
        else:
            day = func.date(seen)  # stored as UTC text: 'YYYY-MM-DD HH:MM:SS.ffffff'
        stmt = select(day, func.count()).where(seen >= start, seen < end).group_by(day)
        if originals_only:
            stmt = stmt.where(ITEMS.c.duplicate_of.is_(None))
        with self._begin("counting items") as conn:
            counts = {_as_date(d): int(n) for d, n in conn.execute(stmt)}
        dates = [first + timedelta(days=i) for i in range(days)]
        return [(d, counts.get(d, 0)) for d in dates]


def stored_item(row: RowMapping) -> StoredItem:
    return StoredItem(
        id=row["id"],
        feed_url=row["feed_url"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        text=row["text"],
        published_at=row["published_at"],
        language_hint=row["language_hint"],
        first_seen_at=row["first_seen_at"],
        content_hash=row["content_hash"],
        duplicate_of=row["duplicate_of"],
        fulltext=row["fulltext"],
        story_id=row.get("story_id"),
    )


def _encode_signature(signature: Sequence[int]) -> str:
    return json.dumps([int(v) for v in signature], separators=(",", ":"))


def _decode_signature(value: str) -> tuple[int, ...]:
    return tuple(int(v) for v in json.loads(value))


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
