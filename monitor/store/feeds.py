"""Feed rows: feeds.toml mirrored into the database, leases, poll outcomes, health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from monitor.models import DueOverview, FeedHealth, FeedSpec, FeedState
from monitor.store.engine import StoreBase, chunked
from monitor.store.schema import FEEDS, ITEMS, LABELS


class FeedRows(StoreBase):
    """Feeds: rows are never deleted; a feed that left feeds.toml keeps its history."""

    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None:
        """Make the feeds table match feeds.toml.

        Listed feeds are inserted or updated (name, enabled, language, country, source);
        new ones and ones listed again after a removal are due at `now`. Feeds no
        longer listed get ``removed_at=now`` and are no longer claimed; their
        rows and items stay.
        """
        rows = {
            s.url: {
                "url": s.url,
                "name": s.name,
                "enabled": s.enabled,
                "language": s.language,
                "country": s.country,
                "source": s.source,
                "next_due_at": now,
                "consecutive_errors": 0,
            }
            for s in sorted(specs, key=lambda s: s.url)  # one lock order for every writer
        }
        with self._begin("syncing feeds", write=True) as conn:
            if rows:
                stmt = self._insert(FEEDS)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[FEEDS.c.url],
                    set_={
                        "name": stmt.excluded.name,
                        "enabled": stmt.excluded.enabled,
                        "language": stmt.excluded.language,
                        "country": stmt.excluded.country,
                        "source": stmt.excluded.source,
                        "removed_at": None,
                        "next_due_at": case(
                            (FEEDS.c.removed_at.is_not(None), stmt.excluded.next_due_at),
                            else_=FEEDS.c.next_due_at,
                        ),
                    },
                )
                conn.execute(stmt, list(rows.values()))
            active = conn.scalars(select(FEEDS.c.url).where(FEEDS.c.removed_at.is_(None)))
            gone = [url for url in active if url not in rows]
            for chunk in chunked(gone):
                conn.execute(update(FEEDS).where(FEEDS.c.url.in_(chunk)).values(removed_at=now))

    def mark_all_due(self, now: datetime) -> None:
        """Make every enabled, listed feed due at `now` (a forced poll of all feeds)."""
        with self._begin("marking feeds due", write=True) as conn:
            conn.execute(update(FEEDS).where(_active()).values(next_due_at=now))

    def claim_due_feeds(
        self,
        worker: str,
        now: datetime,
        lease: timedelta,
        *,
        limit: int = 100,
        include_not_due: bool = False,
    ) -> list[str]:
        """Lease up to `limit` due feeds to `worker` until ``now + lease``; their URLs.

        Two workers (threads or processes) never get the same feed while its lease
        runs. The most overdue feeds come first.
        """
        if limit < 1:
            return []
        lease_free = or_(FEEDS.c.lease_until.is_(None), FEEDS.c.lease_until < now)
        conditions = [_active(), lease_free]
        if not include_not_due:
            conditions.append(or_(FEEDS.c.next_due_at.is_(None), FEEDS.c.next_due_at <= now))
        candidates = (
            select(FEEDS.c.url)
            .where(*conditions)
            .order_by(FEEDS.c.next_due_at.asc().nulls_first(), FEEDS.c.url)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds its write lock
        )
        with self._begin("claiming feeds", write=True) as conn:
            urls = list(conn.scalars(candidates))
            if not urls:
                return []
            claimed = set(
                conn.scalars(
                    update(FEEDS)
                    .where(FEEDS.c.url.in_(urls), lease_free)
                    .values(lease_owner=worker, lease_until=now + lease)
                    .returning(FEEDS.c.url)
                )
            )
        return [url for url in urls if url in claimed]

    def release(self, url: str, worker: str) -> None:
        """Give back `worker`'s lease on `url` without recording a poll."""
        with self._begin("releasing a feed", write=True) as conn:
            conn.execute(
                update(FEEDS)
                .where(FEEDS.c.url == url, FEEDS.c.lease_owner == worker)
                .values(lease_owner=None, lease_until=None)
            )

    def due_overview(self) -> DueOverview:
        """How many feeds are polled, how many are failing, and when the next one is due."""
        stmt = select(
            func.count(),
            func.count(case((FEEDS.c.consecutive_errors > 0, 1))),
            func.min(FEEDS.c.next_due_at),
        ).where(_active())
        with self._begin("reading when feeds are due") as conn:
            feeds, failing, next_due_at = conn.execute(stmt).one()
        return DueOverview(feeds=feeds, failing=failing, next_due_at=next_due_at)

    def feed_state(self, url: str) -> FeedState | None:
        """What the last polls of `url` left behind, or None for an unknown feed."""
        with self._begin("reading feed state") as conn:
            row = conn.execute(select(FEEDS).where(FEEDS.c.url == url)).mappings().first()
        return None if row is None else _feed_state(row)

    def record_success(
        self,
        url: str,
        *,
        now: datetime,
        status: int,
        etag: str | None,
        last_modified: str | None,
        entries: int | None,
        encoding: str | None,
        problem: str | None,
        next_due_at: datetime,
    ) -> None:
        """Record a usable answer (200 or 304); `problem` is a non-fatal warning, if any."""
        with self._begin("recording a poll", write=True) as conn:
            conn.execute(
                update(FEEDS)
                .where(FEEDS.c.url == url)
                .values(
                    last_attempt_at=now,
                    last_success_at=now,
                    last_status=status,
                    etag=etag,
                    last_modified=last_modified,
                    last_entries=func.coalesce(entries, FEEDS.c.last_entries),
                    last_encoding=func.coalesce(encoding, FEEDS.c.last_encoding),
                    consecutive_errors=0,
                    last_error=problem,
                    next_due_at=next_due_at,
                    lease_owner=None,
                    lease_until=None,
                )
            )

    def record_failure(
        self, url: str, *, now: datetime, error: str, status: int | None, next_due_at: datetime
    ) -> None:
        """Record a failed poll: one more consecutive error, and when to try again."""
        with self._begin("recording a poll", write=True) as conn:
            conn.execute(
                update(FEEDS)
                .where(FEEDS.c.url == url)
                .values(
                    last_attempt_at=now,
                    last_status=status,
                    consecutive_errors=FEEDS.c.consecutive_errors + 1,
                    last_error=error,
                    next_due_at=next_due_at,
                    lease_owner=None,
                    lease_until=None,
                )
            )

    def feed_names(self) -> dict[str, str]:
        """Feed URL -> name, for every feed ever listed (one light read: no counts)."""
        with self._begin("reading feed names") as conn:
            return {url: name for url, name in conn.execute(select(FEEDS.c.url, FEEDS.c.name))}

    def feed_sources(self) -> dict[str, str]:
        """Feed URL -> source type, for every feed ever listed with a `source` in feeds.toml."""
        stmt = select(FEEDS.c.url, FEEDS.c.source).where(FEEDS.c.source.is_not(None))
        with self._begin("reading feed sources") as conn:
            return {url: source for url, source in conn.execute(stmt)}

    def feed_arrivals(self, per_feed: int) -> dict[str, list[datetime]]:
        """Feed URL -> when its newest `per_feed` items were first seen, newest first.

        What `monitor.ingest.silence` learns a feed's usual gap between new items from.
        """
        rank = (
            func.row_number()
            .over(partition_by=ITEMS.c.feed_url, order_by=ITEMS.c.first_seen_at.desc())
            .label("rank")
        )
        newest = select(ITEMS.c.feed_url, ITEMS.c.first_seen_at, rank).subquery()
        stmt = (
            select(newest.c.feed_url, newest.c.first_seen_at)
            .where(newest.c.rank <= per_feed)
            .order_by(newest.c.feed_url, newest.c.first_seen_at.desc())
        )
        found: dict[str, list[datetime]] = {}
        with self._begin("reading feeds' item arrivals") as conn:
            for url, seen in conn.execute(stmt):
                found.setdefault(url, []).append(seen)
        return found

    def relevant_counts(self, since: datetime) -> dict[str, int]:
        """Feed URL -> items first seen since `since` that a classifier found relevant."""
        stmt = (
            select(ITEMS.c.feed_url, func.count(func.distinct(ITEMS.c.id)))
            .join(LABELS, LABELS.c.content_hash == ITEMS.c.content_hash)
            .where(ITEMS.c.first_seen_at >= since, LABELS.c.relevant.is_(True))
            .group_by(ITEMS.c.feed_url)
        )
        with self._begin("counting relevant items") as conn:
            return {url: count for url, count in conn.execute(stmt)}

    def feed_health(self, now: datetime | None = None) -> list[FeedHealth]:
        """Every feed ever listed (removed ones last) with its item counts.

        ``items_last_24h`` counts items first seen in the day before `now`
        (default: the current time).
        """
        day_ago = (now or datetime.now(UTC)) - timedelta(days=1)
        counts = (
            select(
                ITEMS.c.feed_url,
                func.count().label("total"),
                func.count(case((ITEMS.c.first_seen_at >= day_ago, 1))).label("recent"),
            )
            .group_by(ITEMS.c.feed_url)
            .subquery()
        )
        stmt = (
            select(FEEDS, counts.c.total, counts.c.recent)
            .outerjoin(counts, counts.c.feed_url == FEEDS.c.url)
            .order_by(FEEDS.c.removed_at.is_not(None), FEEDS.c.name, FEEDS.c.url)
        )
        with self._begin("reading feed health") as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            FeedHealth(
                **_feed_state_fields(row),
                name=row["name"],
                enabled=bool(row["enabled"]),
                removed_at=row["removed_at"],
                items_total=row["total"] or 0,
                items_last_24h=row["recent"] or 0,
                lease_owner=row["lease_owner"],
            )
            for row in rows
        ]


def _active() -> ColumnElement[bool]:
    return and_(FEEDS.c.enabled.is_(True), FEEDS.c.removed_at.is_(None))


def _feed_state_fields(row: RowMapping) -> dict[str, Any]:
    return {f.name: row[f.name] for f in fields(FeedState)}


def _feed_state(row: RowMapping) -> FeedState:
    return FeedState(**_feed_state_fields(row))
