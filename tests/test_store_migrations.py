"""The Alembic migrations in monitor/store/migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from monitor.errors import StoreError
from monitor.models import FeedSpec
from monitor.store import Store, downgrade_schema, upgrade_schema
from monitor.store.schema import METADATA

NOW = datetime(2025, 3, 1, tzinfo=UTC)
TABLES = {"feeds", "items", "item_bands", "labels"}
TABLES |= {"subscriptions", "deliveries", "feedback", "embeddings", "feed_notices"}  # 0002
TABLES |= {"recipients", "digest_log", "digest_codes"}  # 0003_digest
TABLES |= {"roles"}  # 0005_roles
TABLES |= {"code_mails"}  # 0009_code_mails
HEAD = "0012"  # 0004, 0006, 0007, 0008, 0010, 0011 and 0012 add columns


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    with connect(url) as conn:
        return set(inspect(conn).get_table_names())


def revisions(url: str) -> list[str]:
    with connect(url) as conn:
        return list(conn.scalars(text("SELECT version_num FROM alembic_version")))


def test_upgrade_creates_every_table(database_url: str) -> None:
    assert tables(database_url) == set()
    upgrade_schema(database_url)
    assert tables(database_url) == TABLES | {"alembic_version"}
    assert revisions(database_url) == [HEAD]
    with connect(database_url) as conn:
        inspector = inspect(conn)
        indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("items")}
        assert {("url",), ("content_hash",), ("first_seen_at",)} <= indexed
        unique = inspector.get_unique_constraints("items")
        assert [u["column_names"] for u in unique] == [["feed_url", "guid"]]
        assert ("band",) in {
            tuple(ix["column_names"]) for ix in inspector.get_indexes("item_bands")
        }
        assert inspector.get_pk_constraint("labels")["constrained_columns"] == [
            "content_hash",
            "model_id",
        ]


def test_tables_in_store_match_the_migrations(database_url: str) -> None:
    upgrade_schema(database_url)
    with connect(database_url) as conn:
        diff = compare_metadata(MigrationContext.configure(conn), METADATA)
    assert diff == []


def test_open_twice_is_idempotent(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.sync_feeds([FeedSpec(url="https://feeds.example/1", name="one")], NOW)
    with Store.open(database_url) as store:
        assert store.feed_state("https://feeds.example/1") is not None
    assert revisions(database_url) == [HEAD]


def test_concurrent_opens_of_a_new_database(database_url: str) -> None:
    start = threading.Barrier(3)

    def open_and_close() -> None:
        start.wait()
        Store.open(database_url).close()

    with ThreadPoolExecutor(3) as pool:
        for future in [pool.submit(open_and_close) for _ in range(3)]:
            future.result()
    assert revisions(database_url) == [HEAD]


def test_downgrade_to_base_and_back(database_url: str) -> None:
    Store.open(database_url).close()
    downgrade_schema(database_url, "base")
    assert tables(database_url) - {"alembic_version"} == set()
    assert revisions(database_url) == []
    with Store.open(database_url) as store:
        store.sync_feeds([FeedSpec(url="https://feeds.example/1", name="one")], NOW)
    assert tables(database_url) == TABLES | {"alembic_version"}


def test_unknown_revision_is_a_store_error(database_url: str) -> None:
    Store.open(database_url).close()
    with connect(database_url) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'fff9'"))
    with pytest.raises(StoreError, match=r"cannot open database .*fff9"):
        Store.open(database_url)
    with pytest.raises(StoreError, match=r"migrating .*fff9"):
        upgrade_schema(database_url)


def test_0004_marks_the_items_already_alerted(database_url: str) -> None:
    upgrade_schema(database_url, "0003")
    with connect(database_url) as conn:
        for n in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO items (id, feed_url, guid, url, title, text, first_seen_at,"
                    " content_hash, signature) VALUES (:n, 'f', :g, 'u', 't', '', :now, 'h', '[]')"
                ),
                {"n": n, "g": f"g{n}", "now": NOW},
            )
        earlier = NOW - timedelta(hours=1)
        rows = ((1, "also", 1, NOW), (1, "alert", 2, NOW), (2, "alert", 2, earlier))
        for chat, kind, item, at in rows:
            conn.execute(
                text(
                    "INSERT INTO deliveries (chat_id, kind, item_id, status, attempts,"
                    " created_at, not_before) VALUES (:c, :k, :i, 'sent', 1, :at, :at)"
                ),
                {"c": chat, "k": kind, "i": item, "at": at},
            )

    upgrade_schema(database_url)

    with connect(database_url) as conn:
        rows = dict(conn.execute(text("SELECT id, alerted_at FROM items ORDER BY id")).all())
    assert rows[1] is None  # only replies: not a story's first alert
    assert rows[2] is not None
    downgrade_schema(database_url, "0003")
    assert revisions(database_url) == ["0003"]
    assert "roles" not in tables(database_url)
