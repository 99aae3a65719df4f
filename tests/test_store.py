"""monitor.store on SQLite and PostgreSQL (see the `database_url` fixture)."""

from __future__ import annotations

import multiprocessing
import socket
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import _libpq

from classifiers.base import Labels
from monitor.errors import StoreError
from monitor.models import FeedSpec, Item
from monitor.store import Store

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
KST = timezone(timedelta(hours=9))


def spec(n: int | str, **kw: object) -> FeedSpec:
    return FeedSpec(url=f"https://feeds.example/{n}", name=f"feed {n}", **kw)  # type: ignore[arg-type]


def item(guid: str, *, feed: str = "https://feeds.example/1", url: str = "", **kw: object) -> Item:
    fields: dict[str, object] = {
        "feed_url": feed,
        "guid": guid,
        "url": url,
        "title": f"title {guid}",
        "text": f"text {guid}",
        "published_at": None,
    }
    fields.update(kw)
    return Item(**fields)  # type: ignore[arg-type]


def add(
    store: Store,
    it: Item,
    *,
    content_hash: str | None = None,
    bands: tuple[str, ...] = (),
    signature: tuple[int, ...] = (1, 2, 3),
    duplicate_of: int | None = None,
    first_seen_at: datetime = NOW,
) -> int | None:
    return store.add_item(
        it,
        first_seen_at=first_seen_at,
        content_hash=content_hash or f"hash-{it.feed_url}-{it.guid}",
        signature=signature,
        bands=bands,
        duplicate_of=duplicate_of,
    )


def labels(**kw: object) -> Labels:
    fields: dict[str, object] = {
        "language": "ko",
        "relevant": True,
        "cooperation": True,
        "topics": ("digital_health", "uhc"),
        "countries": ("KR", "ID"),
        "summary": "한국과 인도네시아가 디지털 헬스 협력 양해각서를 체결했다.",
        "relevance_score": 0.93,
        "cooperation_score": 0.81,
        "topic_scores": {"digital_health": 0.9, "uhc": 0.55},
    }
    fields.update(kw)
    return Labels(**fields)  # type: ignore[arg-type]


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


# -- feeds -----------------------------------------------------------------------


def test_sync_feeds_inserts_updates_and_removes(store: Store) -> None:
    store.sync_feeds([spec(1, language="ko"), spec(2), spec(3)], NOW)
    state = store.feed_state(spec(1).url)
    assert state is not None and state.next_due_at == NOW and state.consecutive_errors == 0
    assert store.feed_state("https://unknown.example/") is None

    later = NOW + timedelta(hours=1)
    renamed = FeedSpec(url=spec(1).url, name="renamed", language="en", country="KR")
    store.sync_feeds([renamed, spec(3, enabled=False), spec(4)], later)
    health = {h.url: h for h in store.feed_health(later)}
    assert health[spec(1).url].name == "renamed"
    assert health[spec(1).url].next_due_at == NOW  # an update does not reschedule
    assert health[spec(2).url].removed_at == later
    assert health[spec(3).url].enabled is False and health[spec(3).url].removed_at is None
    assert health[spec(4).url].next_due_at == later
    assert [h.url for h in store.feed_health(later)][-1] == spec(2).url  # removed ones last

    claimed = store.claim_due_feeds("w", later, LEASE, include_not_due=True)
    assert sorted(claimed) == [spec(1).url, spec(4).url]  # not removed, not disabled

    relisted_at = later + timedelta(hours=1)
    store.sync_feeds([renamed, spec(2), spec(3), spec(4)], relisted_at)
    back = {h.url: h for h in store.feed_health(relisted_at)}[spec(2).url]
    assert back.removed_at is None and back.next_due_at == relisted_at


def test_sync_feeds_with_no_feeds_removes_all(store: Store) -> None:
    store.sync_feeds([spec(1), spec(2)], NOW)
    store.sync_feeds([], NOW)
    assert all(h.removed_at == NOW for h in store.feed_health(NOW))
    assert store.claim_due_feeds("w", NOW, LEASE) == []


def test_claim_takes_due_feeds_most_overdue_first(store: Store) -> None:
    store.sync_feeds([spec(n) for n in range(1, 5)], NOW - timedelta(hours=1))
    for n, due in [(1, NOW + timedelta(minutes=5)), (2, NOW), (3, NOW - timedelta(minutes=30))]:
        store.record_success(
            spec(n).url, now=NOW, status=200, etag=None, last_modified=None,
            entries=1, encoding="utf-8", problem=None, next_due_at=due,
        )  # fmt: skip
    # feed 4 is due since NOW - 1h, feed 3 since NOW - 30 min, feed 2 now, feed 1 later
    assert store.claim_due_feeds("w", NOW, LEASE) == [spec(4).url, spec(3).url, spec(2).url]
    assert store.claim_due_feeds("w", NOW, LEASE) == []
    assert store.claim_due_feeds("w", NOW, LEASE, include_not_due=True) == [spec(1).url]


def test_claim_limit(store: Store) -> None:
    store.sync_feeds([spec(n) for n in range(10)], NOW)
    first = store.claim_due_feeds("w", NOW, LEASE, limit=4)
    second = store.claim_due_feeds("w", NOW, LEASE, limit=4)
    third = store.claim_due_feeds("w", NOW, LEASE, limit=4)
    assert (len(first), len(second), len(third)) == (4, 4, 2)
    assert len(set(first) | set(second) | set(third)) == 10
    assert store.claim_due_feeds("w", NOW, LEASE, limit=0) == []


def test_claim_respects_lease_and_takes_over_expired(store: Store) -> None:
    url = spec(1).url
    store.sync_feeds([spec(1)], NOW)
    assert store.claim_due_feeds("a", NOW, LEASE) == [url]
    assert store.claim_due_feeds("b", NOW + timedelta(minutes=9), LEASE) == []
    assert store.claim_due_feeds("b", NOW, LEASE, include_not_due=True) == []
    assert store.claim_due_feeds("b", NOW + timedelta(minutes=11), LEASE) == [url]

    store.release(url, "a")  # no longer a's lease: nothing happens
    assert store.claim_due_feeds("c", NOW + timedelta(minutes=12), LEASE) == []
    store.release(url, "b")
    assert store.claim_due_feeds("c", NOW + timedelta(minutes=12), LEASE) == [url]
    assert store.feed_health(NOW)[0].lease_owner == "c"


def test_mark_all_due(store: Store) -> None:
    store.sync_feeds([spec(1), spec(2, enabled=False)], NOW)
    store.record_failure(
        spec(1).url, now=NOW, error="boom", status=500, next_due_at=NOW + timedelta(days=1)
    )
    assert store.claim_due_feeds("w", NOW, LEASE) == []
    store.mark_all_due(NOW)
    assert store.claim_due_feeds("w", NOW, LEASE) == [spec(1).url]


def test_concurrent_claims_never_overlap(database_url: str) -> None:
    feeds = [spec(f"{n:03}") for n in range(200)]
    with Store.open(database_url) as first, Store.open(database_url) as second:
        first.sync_feeds(feeds, NOW)
        start = threading.Barrier(2)

        def claim_all(store: Store, worker: str) -> list[str]:
            claimed: list[str] = []
            start.wait()
            while batch := store.claim_due_feeds(worker, NOW, LEASE, limit=7):
                claimed.extend(batch)
            return claimed

        with ThreadPoolExecutor(2) as pool:
            a = pool.submit(claim_all, first, "a")
            b = pool.submit(claim_all, second, "b")
            got_a, got_b = a.result(), b.result()
    assert set(got_a) | set(got_b) == {f.url for f in feeds}
    assert set(got_a) & set(got_b) == set()
    assert len(got_a) + len(got_b) == len(feeds)


def _claim_in_process(url: str, worker: str, start: Any, out: Any) -> None:
    with Store.open(url) as store:
        start.wait()
        claimed: list[str] = []
        while batch := store.claim_due_feeds(worker, NOW, LEASE, limit=7):
            claimed.extend(batch)
    out.put((worker, claimed))


def test_concurrent_claims_from_two_processes(database_url: str) -> None:
    """The service and a `monitor poll --once` at the same time: separate processes."""
    feeds = [spec(f"{n:03}") for n in range(200)]
    with Store.open(database_url) as store:
        store.sync_feeds(feeds, NOW)
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(3), ctx.Queue()
    workers = [
        ctx.Process(target=_claim_in_process, args=(database_url, name, start, out))
        for name in ("a", "b")
    ]
    for process in workers:
        process.start()
    try:
        start.wait(timeout=60)
        got = dict(out.get(timeout=60) for _ in workers)
    finally:
        for process in workers:
            process.join(timeout=60)
    assert [p.exitcode for p in workers] == [0, 0]
    assert set(got["a"]) | set(got["b"]) == {f.url for f in feeds}
    assert set(got["a"]) & set(got["b"]) == set()


def test_claim_skips_rows_locked_on_postgresql(postgres_url: str) -> None:
    """A claim does not wait for rows another transaction holds: SKIP LOCKED."""
    with Store.open(postgres_url) as store:
        store.sync_feeds([spec(1), spec(2)], NOW)
        with psycopg.connect(_libpq(postgres_url)) as other:
            other.execute("SELECT url FROM feeds WHERE url = %s FOR UPDATE", [spec(1).url])
            assert store.claim_due_feeds("w", NOW, LEASE) == [spec(2).url]
            other.rollback()
        assert store.claim_due_feeds("w", NOW, LEASE) == [spec(1).url]


def test_record_success_and_failure(store: Store) -> None:
    url = spec(1).url
    store.sync_feeds([spec(1)], NOW)
    assert store.claim_due_feeds("w", NOW, LEASE) == [url]
    store.record_failure(url, now=NOW, error="timeout", status=None, next_due_at=NOW)
    store.record_failure(url, now=NOW, error="HTTP 503", status=503, next_due_at=NOW)
    state = store.feed_state(url)
    assert state is not None
    assert (state.consecutive_errors, state.last_error, state.last_status) == (2, "HTTP 503", 503)
    assert state.last_attempt_at == NOW and state.last_success_at is None
    assert store.claim_due_feeds("w2", NOW, LEASE) == [url]  # the failure released the lease

    later = NOW + timedelta(minutes=30)
    store.record_success(
        url, now=later, status=200, etag='"v1"', last_modified="Sat, 01 Mar 2025 12:00:00 GMT",
        entries=12, encoding="euc-kr", problem="declared utf-8, was euc-kr",
        next_due_at=later + timedelta(minutes=30),
    )  # fmt: skip
    state = store.feed_state(url)
    assert state is not None
    assert state.consecutive_errors == 0 and state.last_error == "declared utf-8, was euc-kr"
    assert (state.etag, state.last_entries, state.last_encoding) == ('"v1"', 12, "euc-kr")
    assert state.last_success_at == later and state.next_due_at == later + timedelta(minutes=30)
    assert store.claim_due_feeds("w3", later, LEASE, include_not_due=True) == [url]

    store.record_success(
        url, now=later, status=304, etag='"v1"', last_modified=None, entries=None, encoding=None,
        problem=None, next_due_at=later,
    )  # fmt: skip
    state = store.feed_state(url)
    assert state is not None
    assert (state.last_status, state.last_entries, state.last_encoding) == (304, 12, "euc-kr")
    assert state.last_error is None and state.last_modified is None


def test_record_for_unknown_feed_does_nothing(store: Store) -> None:
    store.record_failure("https://x.example/", now=NOW, error="e", status=None, next_due_at=NOW)
    assert store.feed_state("https://x.example/") is None


def test_feed_health_counts_items(store: Store) -> None:
    store.sync_feeds([spec(1), spec(2)], NOW)
    add(store, item("old", feed=spec(1).url), first_seen_at=NOW - timedelta(days=2))
    add(store, item("new", feed=spec(1).url), first_seen_at=NOW - timedelta(hours=1))
    health = {h.url: h for h in store.feed_health(NOW)}
    assert (health[spec(1).url].items_total, health[spec(1).url].items_last_24h) == (2, 1)
    assert (health[spec(2).url].items_total, health[spec(2).url].items_last_24h) == (0, 0)
    assert health[spec(1).url].name == "feed 1" and health[spec(1).url].enabled is True


# -- items -----------------------------------------------------------------------


def test_add_item_is_unique_per_feed_and_guid(store: Store) -> None:
    first = add(store, item("g1"))
    assert first is not None
    assert add(store, item("g1", title="changed")) is None
    other_feed = add(store, item("g1", feed="https://feeds.example/2"))
    assert other_feed is not None and other_feed != first
    stored = store.item(first)
    assert stored is not None and stored.title == "title g1"


def test_concurrent_add_item_stores_each_entry_once(database_url: str) -> None:
    with Store.open(database_url) as first, Store.open(database_url) as second:
        start = threading.Barrier(2)

        def add_all(store: Store) -> list[int | None]:
            start.wait()
            return [add(store, item(f"g{n}"), bands=(f"b{n}", "shared")) for n in range(40)]

        with ThreadPoolExecutor(2) as pool:
            results = [
                f.result() for f in [pool.submit(add_all, first), pool.submit(add_all, second)]
            ]
        for a, b in zip(*results, strict=True):
            assert (a is None) != (b is None)  # exactly one worker stored each entry
        assert len(first.recent_items(limit=100)) == 40


def test_find_item_by_key(store: Store) -> None:
    original = add(store, item("g1", url="https://news.example/a"), content_hash="h1")
    assert original is not None
    find = store.find_item_by_key
    assert find(item("g1").feed_url, "g1", "", "other") == original
    assert find("https://feeds.example/9", "x", "https://news.example/a", "other") == original
    assert find("https://feeds.example/9", "x", "", "h1") == original
    assert find("https://feeds.example/9", "x", "https://news.example/b", "h2") is None

    repost = add(store, item("g2", url=""), content_hash="h2", duplicate_of=original)
    assert repost is not None
    assert find(item("g2").feed_url, "g2", "", "") == original  # follows duplicate_of
    assert find("https://feeds.example/9", "x", "", "h2") == original
    assert find("https://feeds.example/9", "x", "", "") is None  # empty keys match nothing


def test_duplicate_of_always_points_at_the_original(store: Store) -> None:
    original = add(store, item("a"))
    dup = add(store, item("b"), duplicate_of=original)
    dup_of_dup = add(store, item("c"), duplicate_of=dup)
    assert dup_of_dup is not None
    stored = store.item(dup_of_dup)
    assert stored is not None and stored.duplicate_of == original


def test_near_duplicate_candidates(store: Store) -> None:
    big = (2**64 - 1, 0, 2**32 + 7)
    a = add(store, item("a"), bands=("0:aa", "1:bb", "2:cc"), signature=big)
    b = add(store, item("b"), bands=("0:aa", "1:xx", "2:yy"), signature=(4, 5, 6))
    add(store, item("c"), bands=("0:zz",), signature=(7, 8, 9))
    add(store, item("d"), bands=("0:aa", "1:bb", "2:cc"), signature=big, duplicate_of=a)
    found = store.near_duplicate_candidates(["0:aa", "1:bb", "3:none"])  # originals only
    assert found == [(a, big), (b, (4, 5, 6))]  # most shared bands first
    assert store.near_duplicate_candidates(["0:aa"], limit=1) == [(a, big)]
    assert store.near_duplicate_candidates([]) == []


def test_items_fulltext_and_recent(store: Store) -> None:
    original = add(store, item("a"), first_seen_at=NOW - timedelta(minutes=2))
    dup = add(store, item("b"), first_seen_at=NOW - timedelta(minutes=1), duplicate_of=original)
    newest = add(store, item("c", language_hint="th", title="ข่าวสุขภาพ"), first_seen_at=NOW)
    assert original is not None and dup is not None and newest is not None
    store.set_fulltext(original, "บทความฉบับเต็ม")
    stored = store.item(original)
    assert stored is not None and stored.fulltext == "บทความฉบับเต็ม"
    assert stored.item == item("a")
    assert [i.id for i in store.recent_items()] == [newest, original]
    assert [i.id for i in store.recent_items(originals_only=False)] == [newest, dup, original]
    assert [i.id for i in store.recent_items(limit=1)] == [newest]
    latest = store.item(newest)
    assert latest is not None and latest.title == "ข่าวสุขภาพ" and latest.language_hint == "th"
    assert store.item(10_000) is None


def test_items_per_day(store: Store) -> None:
    today_late = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)
    add(store, item("a"), first_seen_at=datetime(2025, 3, 1, 0, 0, tzinfo=UTC))
    add(store, item("b"), first_seen_at=datetime(2025, 3, 1, 8, 0, tzinfo=KST))  # 23:00 UTC Feb 28
    add(store, item("c"), first_seen_at=datetime(2025, 2, 27, 23, 59, tzinfo=UTC))
    add(store, item("d"), first_seen_at=datetime(2025, 2, 20, tzinfo=UTC))  # outside
    add(store, item("e"), first_seen_at=datetime(2025, 3, 2, 0, 0, tzinfo=UTC))  # tomorrow
    assert store.items_per_day(3, today_late) == [
        (date(2025, 2, 27), 1),
        (date(2025, 2, 28), 1),
        (date(2025, 3, 1), 1),
    ]
    assert store.items_per_day(0, NOW) == []


# -- labels ----------------------------------------------------------------------


def test_labels_cache_round_trip(store: Store) -> None:
    ko = labels()
    th = labels(language="th", summary="ไทยและญี่ปุ่นร่วมมือด้านการดูแลผู้สูงอายุ", topics=("ageing",))
    store.save_labels("h-ko", "model-1", ko, NOW)
    store.save_labels("h-th", "model-1", th, NOW)
    store.save_labels("h-ko", "model-2", labels(relevant=False, topics=(), topic_scores={}), NOW)
    assert store.cached_labels(["h-ko", "h-th", "h-missing"], "model-1") == {
        "h-ko": ko,
        "h-th": th,
    }
    assert store.cached_labels(["h-ko"], "model-2")["h-ko"].relevant is False
    assert store.cached_labels([], "model-1") == {}

    store.save_labels("h-ko", "model-1", ko, NOW)  # idempotent
    changed = labels(summary="새 요약")
    store.save_labels("h-ko", "model-1", changed, NOW + timedelta(hours=1))
    assert store.cached_labels(["h-ko"], "model-1") == {"h-ko": changed}


def test_cached_labels_many_hashes(store: Store) -> None:
    hashes = [f"h{n}" for n in range(1200)]
    for h in hashes[::100]:
        store.save_labels(h, "m", labels(), NOW)
    assert set(store.cached_labels(hashes, "m")) == set(hashes[::100])


def test_items_with_labels(store: Store) -> None:
    a = add(store, item("a"), content_hash="ha", first_seen_at=NOW - timedelta(days=2))
    b = add(store, item("b"), content_hash="hb", first_seen_at=NOW)
    add(store, item("c"), content_hash="hb", first_seen_at=NOW, duplicate_of=b)
    store.save_labels("ha", "m", labels(), NOW)
    store.save_labels("hb", "other-model", labels(), NOW)
    rows = store.items_with_labels("m")
    assert [(s.id, lab) for s, lab in rows] == [(b, None), (a, labels())]
    assert [s.id for s, _ in store.items_with_labels("m", since=NOW - timedelta(days=1))] == [b]
    assert len(store.items_with_labels("m", originals_only=False)) == 3
    assert len(store.items_with_labels("m", limit=1)) == 1


# -- time ------------------------------------------------------------------------


def test_datetimes_come_back_utc_aware(store: Store) -> None:
    seen_kst = datetime(2025, 3, 1, 9, 0, tzinfo=KST)
    store.sync_feeds([spec(1)], seen_kst)
    state = store.feed_state(spec(1).url)
    assert state is not None and state.next_due_at is not None
    assert state.next_due_at == seen_kst and state.next_due_at.tzinfo == UTC
    assert state.next_due_at.hour == 0

    published = datetime(2025, 2, 28, 20, 15, 30, 123456, tzinfo=timezone(timedelta(hours=7)))
    item_id = add(store, item("a", published_at=published), first_seen_at=seen_kst)
    assert item_id is not None
    stored = store.item(item_id)
    assert stored is not None and stored.published_at is not None
    assert stored.published_at == published and stored.published_at.tzinfo == UTC
    assert stored.first_seen_at == seen_kst and stored.first_seen_at.tzinfo == UTC
    # comparisons in SQL see the same instant whatever the offset given
    assert store.claim_due_feeds("w", datetime(2025, 3, 1, 0, 0, tzinfo=UTC), LEASE) == [
        spec(1).url
    ]


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="naive datetime"):
        store.sync_feeds([spec(1)], datetime(2025, 3, 1, 12, 0))  # noqa: DTZ001


# -- SQLite specifics --------------------------------------------------------------


def test_sqlite_uses_wal_and_creates_the_directory(sqlite_url: str) -> None:
    with Store.open(sqlite_url):
        pass
    path = sqlite_path(sqlite_url)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_write_while_another_connection_reads(sqlite_url: str) -> None:
    """The CLI and the service at once: a reader does not block a writer (WAL)."""
    with Store.open(sqlite_url, busy_timeout_s=0.5) as service:
        service.sync_feeds([spec(1)], NOW)
        reader = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)
        try:
            reader.execute("BEGIN")
            assert reader.execute("SELECT count(*) FROM feeds").fetchone() == (1,)
            with Store.open(sqlite_url, busy_timeout_s=0.5) as cli:
                cli.sync_feeds([spec(1), spec(2)], NOW)
                assert add(cli, item("a")) is not None
            assert add(service, item("b")) is not None
            assert reader.execute("SELECT count(*) FROM feeds").fetchone() == (1,)  # snapshot
            reader.execute("COMMIT")
            assert reader.execute("SELECT count(*) FROM feeds").fetchone() == (2,)
        finally:
            reader.close()
        assert len(service.recent_items()) == 2


def test_sqlite_locked_database_is_a_store_error(sqlite_url: str) -> None:
    with Store.open(sqlite_url, busy_timeout_s=0.05) as store:
        locker = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)
        try:
            locker.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreError, match="database is locked") as info:
                store.sync_feeds([spec(1)], NOW)
            assert "syncing feeds" in str(info.value) and "monitor.db" in str(info.value)
            locker.execute("ROLLBACK")
        finally:
            locker.close()
        store.sync_feeds([spec(1)], NOW)  # works again once the lock is gone
        assert store.feed_state(spec(1).url) is not None


def test_sqlite_in_memory() -> None:
    with Store.open("sqlite://") as store:
        store.sync_feeds([spec(1)], NOW)
        assert store.claim_due_feeds("w", NOW, LEASE) == [spec(1).url]


# -- opening -----------------------------------------------------------------------


def test_unreachable_postgresql_is_a_store_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://monitor:s3cret@127.0.0.1:{port}/monitor"
    with pytest.raises(StoreError) as info:
        Store.open(url)
    message = str(info.value)
    assert f"cannot open database postgresql+psycopg://monitor:***@127.0.0.1:{port}" in message
    assert "s3cret" not in message


def test_unwritable_sqlite_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(StoreError, match=r"cannot create directory .*not-a-directory"):
        Store.open(f"sqlite:///{blocker / 'data' / 'monitor.db'}")
    with pytest.raises(StoreError, match="cannot open database sqlite:///"):
        Store.open(f"sqlite:///{tmp_path}")  # a directory, not a file


@pytest.mark.parametrize("url", ["mysql://u:pw@localhost/db", "not a url"])
def test_unsupported_url_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError) as info:
        Store.open(url)
    assert "pw" not in str(info.value)
