"""The database engine: URLs, SQLite pragmas and write locking, migrations, and `StoreBase`.

This package is the only place that imports sqlalchemy; its errors leave as
`StoreError` (chained with ``from exc``) naming the URL with the password masked.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic, sleep
from types import TracebackType
from typing import Any, Final, Self, TypeVar

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import (
    JSON,
    DateTime,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator, TypeEngine

from monitor.errors import StoreError

DEFAULT_BUSY_TIMEOUT_S: Final = 30.0
POSTGRES_CONNECT_TIMEOUT_S: Final = 10
MIGRATIONS_DIR: Final = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY: Final = 0x6D6F6E69746F72  # "monitor": serialises concurrent upgrades
CHUNK: Final = 500  # bound parameters per IN (...) list
BEGIN_OPTION: Final = "monitor_sqlite_begin"


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


def json_column() -> TypeEngine[Any]:
    return JSON().with_variant(pg.JSONB(), "postgresql")


class StoreBase:
    """An open database: engine, transactions, dialect-specific inserts. Thread-safe."""

    def __init__(self, engine: Engine, display_url: str) -> None:
        """Use `open`; this wraps an engine whose schema is already current."""
        self._engine = engine
        self._writer = engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        self._dialect = engine.dialect.name
        self.url = display_url  # password masked: safe to log

    @classmethod
    def open(
        cls, url: str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, create: bool = True
    ) -> Self:
        """Connect to `url` and upgrade its schema to the latest migration.

        With ``create=False`` (commands that only read) nothing is created or
        migrated: no SQLite file or directory, no table. A database that was never
        set up, or whose schema is behind this version, is refused with the command
        that sets it up.

        Raises:
            StoreError: the URL is invalid or unsupported, the database cannot be
                reached or created, a migration failed, or (``create=False``) the
                database is missing or not at this version's schema.
        """
        if not create:
            _refuse_missing_sqlite_file(url)
        engine, display_url = create_store_engine(url, busy_timeout_s, create=create)
        try:
            if create:
                migrate(engine, lambda cfg: command.upgrade(cfg, "head"))
            else:
                _require_current_schema(engine, display_url)
        except (SQLAlchemyError, CommandError, OSError) as exc:
            engine.dispose()
            raise StoreError(f"cannot open database {display_url}: {error_reason(exc)}") from exc
        except StoreError:
            engine.dispose()
            raise
        return cls(engine, display_url)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    @contextmanager
    def _begin(self, what: str, *, write: bool = False) -> Iterator[Connection]:
        """One transaction; SQLAlchemy errors become StoreError naming `what` and the URL."""
        try:
            with (self._writer if write else self._engine).begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"{what} failed on {self.url}: {error_reason(exc)}") from exc

    def _insert(self, table: Table) -> pg.Insert | sqlite_dialect.Insert:
        return pg.insert(table) if self._dialect == "postgresql" else sqlite_dialect.insert(table)


SET_UP_HINT = "run `monitor db upgrade` (or `monitor run`, which also sets it up)"


def _refuse_missing_sqlite_file(url: str) -> None:
    """A read-only open of a SQLite file that does not exist: say so, create nothing."""
    sa_url = sqlalchemy_url(url)
    if sa_url.get_backend_name() != "sqlite":
        return
    database = sa_url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or "mode=memory" in database:
        return
    if not Path(database).exists():
        raise StoreError(f"database {_mask(url)} does not exist yet: {SET_UP_HINT}")


def _require_current_schema(engine: Engine, display_url: str) -> None:
    """Refuse a database without our tables, or at another schema version than this code's."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        raise StoreError(f"database {display_url} was never set up: {SET_UP_HINT}")
    if current != head:
        raise StoreError(
            f"database {display_url} is at schema revision {current}, this version needs "
            f"{head}: {SET_UP_HINT}"
        )


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (`Store.open` does "head")."""
    _run_migration(url, lambda cfg: command.upgrade(cfg, revision))


def downgrade_schema(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ("base" drops every table)."""
    _run_migration(url, lambda cfg: command.downgrade(cfg, revision))


def _run_migration(url: str, action: Callable[[Config], None]) -> None:
    engine, display_url = create_store_engine(url, DEFAULT_BUSY_TIMEOUT_S)
    try:
        migrate(engine, action)
    except (SQLAlchemyError, CommandError, OSError) as exc:
        raise StoreError(f"migrating {display_url} failed: {error_reason(exc)}") from exc
    finally:
        engine.dispose()


def migrate(engine: Engine, action: Callable[[Config], None]) -> None:
    """Run an alembic command in one transaction, serialised against other processes."""
    writer = engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
    with writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
        cfg.attributes["connection"] = conn
        action(cfg)


def sqlalchemy_url(url: str) -> URL:
    """`url` as SQLAlchemy takes it: ``postgres://`` and ``postgresql://`` get psycopg 3.

    Raises:
        StoreError: the URL cannot be parsed.
    """
    try:
        sa_url = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {_mask(url)}: {exc}") from exc
    if sa_url.drivername in ("postgres", "postgresql"):
        sa_url = sa_url.set(drivername="postgresql+psycopg")  # psycopg 3 is what we ship
    return sa_url


def create_store_engine(
    url: str, busy_timeout_s: float, *, create: bool = True
) -> tuple[Engine, str]:
    display_url = _mask(url)
    sa_url = sqlalchemy_url(url)
    backend = sa_url.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(sa_url, display_url, busy_timeout_s, create), display_url
        if backend == "postgresql":
            return _postgresql_engine(sa_url), display_url
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {display_url}: {error_reason(exc)}") from exc
    raise StoreError(
        f"unsupported database URL {display_url}: use sqlite:///path or postgresql://..."
    )


def _sqlite_engine(sa_url: URL, display_url: str, busy_timeout_s: float, create: bool) -> Engine:
    database = sa_url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if in_memory:  # one shared connection, or every connection sees another database
        engine = create_engine(
            sa_url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        if create and not database.startswith("file:"):
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
            if not in_memory and create:  # WAL is set once, by whoever creates the file
                _enable_wal(cursor, busy_timeout_s)
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION)
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


def error_reason(exc: BaseException) -> str:
    """The useful first line of a library error (the DBAPI's own message when there is one)."""
    orig = getattr(exc, "orig", None)
    inner = orig if isinstance(orig, BaseException) else exc
    lines = str(inner).strip().splitlines()
    return lines[0] if lines else type(inner).__name__


_T = TypeVar("_T")


def chunked(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
