"""SQL storage: feeds' state, items, near-duplicate bands and the label cache.

SQLAlchemy Core, synchronous, one engine per `Store`, one short transaction per
call. SQLite is the default (a file, WAL mode, 30 s busy timeout, foreign keys
on); a ``postgresql+psycopg://`` URL selects PostgreSQL with no other change.
This is the only module that imports sqlalchemy; its errors leave as
`StoreError` (chained with ``from exc``) naming the URL with the password
masked. The schema is owned by the Alembic migrations in `monitor/migrations`;
`Store.open` upgrades to head (tables here and there must agree: a test
compares them).

API::

    Store.open(url, *, busy_timeout_s=30.0) -> Store    # also a context manager
    store.close()

    # feeds (rows are never deleted: a feed that left feeds.toml keeps its history)
    sync_feeds(specs, now)          upsert name/enabled/language/country; new and
                                    re-listed feeds are due now; unlisted get removed_at
    mark_all_due(now)               every active feed due now (``monitor poll --all``)
    claim_due_feeds(worker, now, lease, *, limit=100, include_not_due=False) -> [url]
    release(url, worker)            give a lease back without recording anything
    feed_state(url) -> FeedState | None
    record_success(url, *, now, status, etag, last_modified, entries, encoding,
                   problem, next_due_at)        errors reset; lease released
    record_failure(url, *, now, error, status, next_due_at)   errors + 1; lease released
    feed_health(now=None) -> [FeedHealth]       FeedState fields + name, enabled,
                                                removed_at, item counts, lease_owner

    # items and deduplication
    find_item_by_key(feed_url, guid, url, content_hash) -> original id | None
    near_duplicate_candidates(bands, limit=50) -> [(original id, signature)]
    add_item(item, *, first_seen_at, content_hash, signature, bands, duplicate_of) -> id | None
    set_fulltext(item_id, text)
    item(item_id) -> StoredItem | None
    recent_items(limit=50, *, originals_only=True) -> [StoredItem]
    items_per_day(days, now, *, originals_only=False) -> [(date, count)]

    # classification cache: the same text is never classified twice by one model
    cached_labels(content_hashes, model_id) -> {content_hash: Labels}
    save_labels(content_hash, model_id, labels, now)           idempotent (upsert)
    items_with_labels(model_id, *, since=None, limit=100, originals_only=True)
        -> [(StoredItem, Labels | None)]

    upgrade_schema(url, revision="head") / downgrade_schema(url, revision)  # operations, tests

Claiming feeds. A claim sets ``lease_owner``/``lease_until`` on up to `limit`
feeds that are enabled, not removed, due (unless `include_not_due`) and not
leased (``lease_until`` null or past). On PostgreSQL the candidates are
selected ``FOR UPDATE SKIP LOCKED`` and updated in the same transaction, so
concurrent workers skip each other's rows instead of waiting. On SQLite every
write transaction starts with ``BEGIN IMMEDIATE`` (pysqlite's own BEGIN
handling is switched off), which takes the database's single write lock
before the candidates are read; a second process waits (busy timeout) and
then sees the leases already taken. In both cases the UPDATE re-checks that
the lease is still free.

Conventions. All datetimes are UTC-aware, in and out: a naive datetime is
refused, and SQLite (which stores no offset) gets UTC values and hands them
back marked UTC. ``duplicate_of`` always points at an original (an item whose
own ``duplicate_of`` is null); `add_item` follows a link it is given. Minhash
signatures are stored as compact JSON text. `record_success` keeps the
previous ``last_entries``/``last_encoding`` when given None (a 304 has none);
`record_*` on a URL that was never synced does nothing.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from types import TracebackType
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    create_engine,
    event,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Dialect, Engine, RowMapping, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from classifiers.base import Labels
from monitor.errors import StoreError
from monitor.models import FeedSpec, FeedState, Item

DEFAULT_BUSY_TIMEOUT_S: Final = 30.0
POSTGRES_CONNECT_TIMEOUT_S: Final = 10
MIGRATIONS_DIR: Final = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY: Final = 0x6D6F6E69746F72  # "monitor": serialises concurrent upgrades
CHUNK: Final = 500  # bound parameters per IN (...) list
_BEGIN_OPTION: Final = "monitor_sqlite_begin"
_LABEL_PREFIX: Final = "label_"


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that accepts only aware values and returns UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: the store keeps UTC-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _json() -> TypeEngine[Any]:
    return JSON().with_variant(pg.JSONB(), "postgresql")


METADATA = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

FEEDS = Table(
    "feeds",
    METADATA,
    Column("url", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("language", Text),
    Column("country", Text),
    Column("removed_at", UTCDateTime),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("consecutive_errors", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_status", Integer),
    Column("last_entries", Integer),
    Column("last_encoding", Text),
    Column("next_due_at", UTCDateTime),
    Column("lease_owner", Text),
    Column("lease_until", UTCDateTime),
)

ITEMS = Table(
    "items",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed_url", Text, nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("published_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("language_hint", Text),
    Column("content_hash", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("duplicate_of", Integer, ForeignKey("items.id", ondelete="SET NULL")),
    Column("fulltext", Text),
    UniqueConstraint("feed_url", "guid"),
    Index(None, "url"),
    Index(None, "content_hash"),
    Index(None, "first_seen_at"),
)

ITEM_BANDS = Table(
    "item_bands",
    METADATA,
    Column("band", Text, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("band", "item_id"),
    Index(None, "band"),
    Index(None, "item_id"),
)

LABELS = Table(
    "labels",
    METADATA,
    Column("content_hash", Text, nullable=False),
    Column("model_id", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("relevant", Boolean, nullable=False),
    Column("cooperation", Boolean, nullable=False),
    Column("topics", _json(), nullable=False),
    Column("countries", _json(), nullable=False),
    Column("summary", Text, nullable=False),
    Column("relevance_score", Float, nullable=False),
    Column("cooperation_score", Float, nullable=False),
    Column("topic_scores", _json(), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("content_hash", "model_id"),
)


@dataclass(frozen=True)
class StoredItem:
    """An item as stored: the `Item` fields plus what the store added."""

    id: int
    feed_url: str
    guid: str
    url: str
    title: str
    text: str
    published_at: datetime | None
    language_hint: str | None
    first_seen_at: datetime
    content_hash: str
    duplicate_of: int | None  # the original's id for re-posts and near-duplicates
    fulltext: str | None  # the article page's text, when fetched

    @property
    def item(self) -> Item:
        return Item(
            feed_url=self.feed_url,
            guid=self.guid,
            url=self.url,
            title=self.title,
            text=self.text,
            published_at=self.published_at,
            language_hint=self.language_hint,
        )


@dataclass(frozen=True, kw_only=True)
class FeedHealth(FeedState):
    """A feed's state (every `FeedState` field) and activity, for `monitor stats` and /stats."""

    name: str
    enabled: bool
    removed_at: datetime | None  # set when the feed left feeds.toml
    items_total: int
    items_last_24h: int
    lease_owner: str | None = None  # the worker polling it right now, if any


class Store:
    """The database. Thread-safe: every call takes a pooled connection."""

    def __init__(self, engine: Engine, display_url: str) -> None:
        """Use `Store.open`; this wraps an engine whose schema is already current."""
        self._engine = engine
        self._writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._dialect = engine.dialect.name
        self.url = display_url  # password masked: safe to log

    @classmethod
    def open(cls, url: str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> Store:
        """Connect to `url` and upgrade its schema to the latest migration.

        Raises:
            StoreError: the URL is invalid or unsupported, the database cannot be
                reached or created, or a migration failed.
        """
        engine, display_url = _create_engine(url, busy_timeout_s)
        try:
            _migrate(engine, lambda cfg: command.upgrade(cfg, "head"))
        except (SQLAlchemyError, CommandError, OSError) as exc:
            engine.dispose()
            raise StoreError(f"cannot open database {display_url}: {_reason(exc)}") from exc
        return cls(engine, display_url)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @contextmanager
    def _begin(self, what: str, *, write: bool = False) -> Iterator[Connection]:
        """One transaction; SQLAlchemy errors become StoreError naming `what` and the URL."""
        try:
            with (self._writer if write else self._engine).begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"{what} failed on {self.url}: {_reason(exc)}") from exc

    def _insert(self, table: Table) -> pg.Insert | sqlite_dialect.Insert:
        return pg.insert(table) if self._dialect == "postgresql" else sqlite_dialect.insert(table)

    # -- feeds ---------------------------------------------------------------

    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None:
        """Make the feeds table match feeds.toml.

        Listed feeds are inserted or updated (name, enabled, language, country);
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
            for chunk in _chunks(gone):
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

    # -- items ---------------------------------------------------------------

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
        return None if row is None else _stored_item(row)

    def recent_items(self, limit: int = 50, *, originals_only: bool = True) -> list[StoredItem]:
        """The newest items first (by first seen), duplicates left out by default."""
        stmt = select(ITEMS).order_by(ITEMS.c.first_seen_at.desc(), ITEMS.c.id.desc()).limit(limit)
        if originals_only:
            stmt = stmt.where(ITEMS.c.duplicate_of.is_(None))
        with self._begin("reading items") as conn:
            return [_stored_item(row) for row in conn.execute(stmt).mappings()]

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

    # -- labels --------------------------------------------------------------

    def cached_labels(self, content_hashes: Sequence[str], model_id: str) -> dict[str, Labels]:
        """Labels `model_id` already gave these texts, by content hash."""
        found: dict[str, Labels] = {}
        wanted = list(dict.fromkeys(content_hashes))
        with self._begin("reading labels") as conn:
            for chunk in _chunks(wanted):
                stmt = select(LABELS).where(
                    LABELS.c.model_id == model_id, LABELS.c.content_hash.in_(chunk)
                )
                rows = conn.execute(stmt).mappings()
                found.update((row["content_hash"], _labels(row)) for row in rows)
        return found

    def save_labels(self, content_hash: str, model_id: str, labels: Labels, now: datetime) -> None:
        """Remember `labels` for this text and model; saving again replaces them."""
        values = _label_values(labels)
        stmt = self._insert(LABELS).values(
            content_hash=content_hash, model_id=model_id, created_at=now, **values
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[LABELS.c.content_hash, LABELS.c.model_id],
            set_={**values, "created_at": now},
        )
        with self._begin("saving labels", write=True) as conn:
            conn.execute(stmt)

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
                _stored_item(row),
                None if row[_LABEL_PREFIX + "model_id"] is None else _labels(row, _LABEL_PREFIX),
            )
            for row in rows
        ]


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (`Store.open` does "head")."""
    _run_migration(url, lambda cfg: command.upgrade(cfg, revision))


def downgrade_schema(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ("base" drops every table)."""
    _run_migration(url, lambda cfg: command.downgrade(cfg, revision))


def _run_migration(url: str, action: Callable[[Config], None]) -> None:
    engine, display_url = _create_engine(url, DEFAULT_BUSY_TIMEOUT_S)
    try:
        _migrate(engine, action)
    except (SQLAlchemyError, CommandError, OSError) as exc:
        raise StoreError(f"migrating {display_url} failed: {_reason(exc)}") from exc
    finally:
        engine.dispose()


def _migrate(engine: Engine, action: Callable[[Config], None]) -> None:
    """Run an alembic command in one transaction, serialised against other processes."""
    writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
    with writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
        cfg.attributes["connection"] = conn
        action(cfg)


def _create_engine(url: str, busy_timeout_s: float) -> tuple[Engine, str]:
    display_url = _mask(url)
    try:
        sa_url = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {display_url}: {exc}") from exc
    if sa_url.drivername in ("postgres", "postgresql"):
        sa_url = sa_url.set(drivername="postgresql+psycopg")  # psycopg 3 is what we ship
    backend = sa_url.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(sa_url, display_url, busy_timeout_s), display_url
        if backend == "postgresql":
            return _postgresql_engine(sa_url), display_url
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {display_url}: {_reason(exc)}") from exc
    raise StoreError(
        f"unsupported database URL {display_url}: use sqlite:///path or postgresql://..."
    )


def _sqlite_engine(sa_url: URL, display_url: str, busy_timeout_s: float) -> Engine:
    database = sa_url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if in_memory:  # one shared connection, or every connection sees another database
        engine = create_engine(
            sa_url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        if not database.startswith("file:"):
            directory = Path(database).parent
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot open database {display_url}: cannot create directory "
                    f"{directory}: {exc.strerror or exc}"
                ) from exc
        engine = create_engine(sa_url, connect_args={"timeout": busy_timeout_s})
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not in_memory:
                _enable_wal(cursor, busy_timeout_s)
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    return engine


def _enable_wal(cursor: Any, timeout_s: float) -> None:
    """Switch the file to WAL mode (persistent; a no-op once done).

    Two processes creating the database at once can make the switch fail with
    "database is locked" without SQLite's busy handler waiting, so it is retried
    here for up to the busy timeout.
    """
    deadline = monotonic() + timeout_s
    delay = 0.001
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or monotonic() >= deadline:
                raise
        sleep(delay)
        delay = min(delay * 2, 0.05)


def _postgresql_engine(sa_url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in sa_url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return create_engine(sa_url, pool_pre_ping=True, connect_args=connect_args)


def _mask(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _reason(exc: BaseException) -> str:
    """The useful first line of a library error (the DBAPI's own message when there is one)."""
    orig = getattr(exc, "orig", None)
    inner = orig if isinstance(orig, BaseException) else exc
    lines = str(inner).strip().splitlines()
    return lines[0] if lines else type(inner).__name__


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _active() -> ColumnElement[bool]:
    return and_(FEEDS.c.enabled.is_(True), FEEDS.c.removed_at.is_(None))


def _feed_state_fields(row: RowMapping) -> dict[str, Any]:
    return {f.name: row[f.name] for f in fields(FeedState)}


def _feed_state(row: RowMapping) -> FeedState:
    return FeedState(**_feed_state_fields(row))


def _stored_item(row: RowMapping) -> StoredItem:
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
    )


def _label_values(value: Labels) -> dict[str, Any]:
    return {
        "language": value.language,
        "relevant": value.relevant,
        "cooperation": value.cooperation,
        "topics": list(value.topics),
        "countries": list(value.countries),
        "summary": value.summary,
        "relevance_score": float(value.relevance_score),
        "cooperation_score": float(value.cooperation_score),
        "topic_scores": {str(k): float(v) for k, v in value.topic_scores.items()},
    }


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
