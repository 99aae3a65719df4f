"""Nothing lost: items left unlabelled by a failed write or a classifier error are labelled
and routed later, by the sweep in each poll round (`monitor.ingest.labelling`).

The database failure is a real one: a trigger makes the database refuse to write labels,
on SQLite and on PostgreSQL, while items still store; dropping it is the recovery.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import pytest
from cli_runner import Monitor
from fakes import FakeClock, KeywordClassifier
from feedserver import FeedServer
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from classifiers.base import Document, Labels
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.labelling import MAX_LABEL_ATTEMPTS, next_try
from monitor.ingest.poller import Poller
from monitor.models import FeedSpec, Subscription
from monitor.store import Store

LEASE = timedelta(minutes=10)
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
    b"<item><guid>g1</guid><title>Korea and Viet Nam sign hospital MOU</title>"
    b"<link>http://news.test/1</link><description>Health ministers sign an MOU on hospital "
    b"management.</description></item></channel></rss>"
)


class StaticFeeds:
    def __init__(self, specs: list[FeedSpec]) -> None:
        self.specs = specs

    def current(self) -> list[FeedSpec]:
        return self.specs


class FlakyClassifier(KeywordClassifier):
    """Raises for its first `failures` calls, like a model that ran out of memory."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def classify(self, docs: Sequence[Document]) -> list[Labels]:
        if self.failures > 0:
            self.failures -= 1
            raise MemoryError("model ran out of memory")
        return super().classify(docs)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent="monitor-tests", limits=FetchLimits(retries=0)) as fetcher:
        yield fetcher


@contextmanager
def labels_refused(url: str) -> Iterator[None]:
    """The database refuses every write of labels (as a full disk would) until the end."""
    engine = create_engine(url, poolclass=NullPool)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_labels() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_labels BEFORE INSERT OR UPDATE ON labels "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_labels()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_labels BEFORE INSERT ON labels "
                    "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_labels" + (" ON labels" if postgres else "")))
            if postgres:
                conn.execute(text("DROP FUNCTION refuse_labels()"))
        engine.dispose()


def poller(
    store: Store, fetcher: Fetcher, clock: FakeClock, spec: FeedSpec, classifier: KeywordClassifier
) -> Poller:
    return Poller(
        feeds=StaticFeeds([spec]),
        store=store,
        fetcher=fetcher,
        clock=clock,
        lease=LEASE,
        classifier=classifier,
        worker="w1",
    )


async def test_failing_label_writes_for_a_while_still_alert_the_item(
    feed_server: FeedServer, database_url: str, fetcher: Fetcher
) -> None:
    clock = FakeClock()
    spec = FeedSpec(url=feed_server.add("/f.xml", RSS), name="f", interval=timedelta(minutes=5))
    with Store.open(database_url) as store:
        store.save_subscription(Subscription(chat_id=7), clock.now())
        rounds = poller(store, fetcher, clock, spec, KeywordClassifier())
        with labels_refused(database_url):
            await rounds.poll_round()  # stored, but its labels are refused
            assert store.delivery_counts()["pending"] == 0
            (left,) = store.unlabelled_items(
                "keywords-1",
                clock.now() + timedelta(hours=1),
                grace=timedelta(0),
                since=clock.now() - timedelta(days=1),
                max_attempts=MAX_LABEL_ATTEMPTS,
            )
            assert left[1] == 1
            for _ in range(3):  # the failure goes on for a while: each try is counted
                clock.advance(timedelta(minutes=5))
                await rounds.poll_round()
            failures = store.label_failures(max_attempts=MAX_LABEL_ATTEMPTS)
            assert failures.retrying == 1
            assert (failures.last_error or "").startswith("saving labels: ")
            assert store.delivery_counts()["pending"] == 0
        clock.advance(timedelta(minutes=5))
        await rounds.poll_round()  # backing off: the fourth failure's next try is 8 min on
        assert store.delivery_counts()["pending"] == 0
        clock.advance(timedelta(minutes=5))
        await rounds.poll_round()  # the feed has nothing new; the sweep labels and routes
        assert store.delivery_counts()["pending"] == 1
        assert [d["chat_id"] for d in store.deliveries_of(7)] == [7]
        assert store.label_failures(max_attempts=MAX_LABEL_ATTEMPTS).retrying == 0


async def test_a_classifier_error_is_retried_with_backoff(
    feed_server: FeedServer, sqlite_url: str, fetcher: Fetcher
) -> None:
    clock = FakeClock()
    spec = FeedSpec(url=feed_server.add("/f.xml", RSS), name="f", interval=timedelta(hours=1))
    classifier = FlakyClassifier(failures=2)
    with Store.open(sqlite_url) as store:
        store.save_subscription(Subscription(chat_id=7), clock.now())
        rounds = poller(store, fetcher, clock, spec, classifier)
        await rounds.poll_round()  # first failure: next try in a minute
        clock.advance(timedelta(seconds=59))
        await rounds.poll_round()
        assert classifier.failures == 1  # not yet due: not tried
        clock.advance(timedelta(seconds=1))
        await rounds.poll_round()  # second failure: next try two minutes on
        assert classifier.failures == 0 and store.delivery_counts()["pending"] == 0
        clock.advance(timedelta(minutes=2))
        await rounds.poll_round()
        assert store.delivery_counts()["pending"] == 1


async def test_an_item_given_up_is_counted_with_its_reason(
    feed_server: FeedServer, monitor: Monitor, fetcher: Fetcher
) -> None:
    clock = FakeClock()
    spec = FeedSpec(url=feed_server.add("/f.xml", RSS), name="f", interval=timedelta(days=1))
    classifier = FlakyClassifier(failures=MAX_LABEL_ATTEMPTS + 5)
    with Store.open(monitor.database_url) as store:
        rounds = poller(store, fetcher, clock, spec, classifier)
        for attempt in range(1, MAX_LABEL_ATTEMPTS + 3):
            await rounds.poll_round()
            clock.advance(next_try(clock.now(), attempt) - clock.now())
        failures = store.label_failures(max_attempts=MAX_LABEL_ATTEMPTS)
        assert (failures.retrying, failures.given_up) == (0, 1)
        assert failures.last_error == "classifier: MemoryError: model ran out of memory"
        assert classifier.failures == 5  # no try after the last one

    stats = monitor("stats", "--format", "json")
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["unlabelled"] == {
        "retrying": 0,
        "given_up": 1,
        "last_error": "classifier: MemoryError: model ran out of memory",
    }
    table = monitor("stats")
    assert "items left unlabelled" in table.stdout and "MemoryError" in table.stdout
