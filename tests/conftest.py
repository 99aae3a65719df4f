"""Shared pytest fixtures."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import Monitor
from feedserver import FeedServer

from monitor.store import Store

# Modules whose tests load a real model (the embedded e5 encoder, tiny transformers models
# built on the spot, or heads refitted): each costs seconds. `pytest -m "not slow"` leaves
# them out for a fast loop; scripts/test and CI run everything.
MODEL_MODULES = frozenset(
    {
        "test_classifiers_embedding.py",
        "test_classifiers_e5_encoder.py",
        "test_classifiers_transformers_backend.py",
        "test_classifiers_evaluate.py",
    }
)
# Single tests elsewhere that run the model end to end, or real processes and signals.
SLOW_TESTS = (
    "test_classify_",
    "test_demo_with_classification",
    "test_run_polls_then_stops_cleanly",
    "test_a_second_signal_stops",
    "test_concurrent_claims_from_two_processes",
    "test_kill_9_in_mid_delivery",
    "test_two_services_on_postgresql",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of MODEL_MODULES and SLOW_TESTS slow."""
    for item in items:
        if item.path.name in MODEL_MODULES or item.name.startswith(SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 (port 0) with routes the test registers."""
    with FeedServer() as server:
        yield server


# -- databases (monitor.store) -------------------------------------------------
#
# `database_url` runs a test on a fresh SQLite file and on PostgreSQL in a fresh
# schema (search_path set through the URL, so every Store opened on it is
# isolated). PostgreSQL comes from MONITOR_TEST_DATABASE_URL or the local
# server; when it cannot be reached the PostgreSQL runs fail, or are skipped
# if MONITOR_SKIP_POSTGRES=1.

POSTGRES_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    """The PostgreSQL server tests use, as a SQLAlchemy URL with the psycopg driver."""
    from monitor.store.engine import sqlalchemy_url

    url = sqlalchemy_url(os.environ.get("MONITOR_TEST_DATABASE_URL") or POSTGRES_DEFAULT_URL)
    return url.render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_problem() -> str | None:
    """None when the test PostgreSQL answers, else a message saying why not."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = postgres_base_url()
    try:
        with psycopg.connect(_libpq(url), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        return f"PostgreSQL at {shown} not reachable: {exc}".strip()
    return None


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL of the test PostgreSQL whose search_path is a new, empty schema."""
    import psycopg
    from sqlalchemy.engine import make_url

    problem = request.getfixturevalue("postgres_problem")
    if problem is not None:
        if os.environ.get("MONITOR_SKIP_POSTGRES") == "1":
            pytest.skip(problem)
        pytest.fail(f"{problem} (set MONITOR_SKIP_POSTGRES=1 to skip these tests)", pytrace=False)
    base = postgres_base_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(base), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL of a SQLite file (not created yet) in the test's tmp_path."""
    return f"sqlite:///{tmp_path / 'data' / 'monitor.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database: a SQLite file, then a PostgreSQL schema."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An open `Store` on a fresh database of each backend."""
    opened = Store.open(database_url)
    try:
        yield opened
    finally:
        opened.close()


# -- the monitor command (tests/cli_runner.py) ---------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MONITOR_* variable of the outer environment leaks into a test."""
    for name in list(os.environ):
        if name.startswith("MONITOR_"):
            monkeypatch.delenv(name)


@pytest.fixture
def monitor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> Monitor:
    monkeypatch.chdir(tmp_path)  # ./monitor.toml, if any, is the test's own
    return Monitor(root=tmp_path, data_dir=tmp_path / "data")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir shared by the tests that classify: the model's heads are fitted once."""
    return tmp_path_factory.getbasetemp() / "monitor-shared-data"


@pytest.fixture
def classify_monitor(monitor: Monitor, models_dir: Path) -> Monitor:
    return Monitor(root=monitor.root, data_dir=models_dir)
