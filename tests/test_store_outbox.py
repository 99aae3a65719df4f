"""The outbox: routing in the labels' transaction, leases, settling rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from test_store_subscriptions import MODEL, NOW, add_item, labels

from monitor.alerts.router import Router
from monitor.filters import Filter
from monitor.models import Subscription
from monitor.store import Store

LEASE = timedelta(minutes=2)
EN = (1.0, 0.0, 0.0)
KO = (0.97, 0.2431, 0.0)  # the same story: cosine 0.97
OTHER = (0.0, 1.0, 0.0)


def subscribe(store: Store, chat_id: int, **filter_values: object) -> None:
    store.save_subscription(Subscription(chat_id=chat_id, filter=Filter(**filter_values)), NOW)  # type: ignore[arg-type]


def test_a_matching_item_queues_one_alert_per_matching_chat(store: Store) -> None:
    router = Router(store)
    subscribe(store, 1)
    subscribe(store, 2, topics=frozenset({"ncd"}))
    subscribe(store, 3, countries=frozenset({"KR"}))
    item = add_item(store, 1, "MOU")
    result = router.save_labels_and_route(item, "h1", MODEL, labels(), NOW)
    assert result.alerts == (1, 3)
    assert store.cached_labels(["h1"], MODEL)["h1"].topics == ("uhc",)
    again = router.save_labels_and_route(item, "h1", MODEL, labels(), NOW)  # re-run: no new rows
    assert again.alerts == (1, 3)
    assert store.delivery_counts()["pending"] == 2


def test_irrelevant_old_and_non_instant_items_queue_nothing_muted_chats_wait(
    store: Store,
) -> None:
    router = Router(store)
    subscribe(store, 1)
    store.save_subscription(Subscription(chat_id=2, instant=False), NOW)
    store.save_subscription(Subscription(chat_id=3, muted_until=NOW + timedelta(hours=1)), NOW)
    a = add_item(store, 1, "not health")
    assert router.save_labels_and_route(a, "h1", MODEL, labels(relevant=False), NOW).alerts == ()
    b = add_item(store, 2, "old", seen=NOW - timedelta(days=3))
    assert router.save_labels_and_route(b, "h2", MODEL, labels(), NOW).alerts == ()
    c = add_item(store, 3, "domestic")
    assert router.save_labels_and_route(c, "h3", MODEL, labels(cooperation=False), NOW).alerts == ()
    d = add_item(store, 4, "fresh")
    # the muted chat's alert is queued: the deliverer holds it for the summary after the mute
    assert router.save_labels_and_route(d, "h4", MODEL, labels(), NOW).alerts == (1, 3)
    assert store.cached_labels(["h1", "h2"], MODEL).keys() == {"h1", "h2"}  # labels kept anyway


def test_new_subscriptions_are_seen_by_the_next_item(store: Store) -> None:
    router = Router(store)
    a = add_item(store, 1, "first")
    assert router.save_labels_and_route(a, "h1", MODEL, labels(), NOW).alerts == ()
    subscribe(store, 5)
    b = add_item(store, 2, "second")
    assert router.save_labels_and_route(b, "h2", MODEL, labels(), NOW).alerts == (5,)
    store.deactivate_subscription(5, "blocked", NOW)
    c = add_item(store, 3, "third")
    assert router.save_labels_and_route(c, "h3", MODEL, labels(), NOW).alerts == ()


def test_the_same_story_again_is_a_reply_to_the_first_alert(store: Store) -> None:
    router = Router(store)
    subscribe(store, 1)
    subscribe(store, 2, languages=frozenset({"ko"}))
    english = add_item(store, 1, "Korea and Indonesia sign telemedicine MOU")
    first = router.save_labels_and_route(english, "h1", MODEL, labels(EN), NOW)
    assert first.alerts == (1,)
    korean = add_item(store, 2, "한-인니 원격의료 양해각서 체결")
    later = NOW + timedelta(hours=1)
    second = router.save_labels_and_route(korean, "h2", MODEL, labels(KO, language="ko"), later)
    assert second.alerts == (2,)  # chat 2 never got the English alert
    assert second.replies == ((1, english),)
    unrelated = add_item(store, 3, "Dengue vaccine trial")
    third = router.save_labels_and_route(unrelated, "h3", MODEL, labels(OTHER), later)
    assert third.alerts == (1,)
    days = NOW + timedelta(days=3)
    late = add_item(store, 4, "Telemedicine MOU, three days on", seen=days)
    assert router.save_labels_and_route(late, "h4", MODEL, labels(EN), days).alerts == (1,)


def test_a_reply_waits_for_its_alert_and_carries_its_message_id(store: Store) -> None:
    router = Router(store)
    subscribe(store, 1)
    english = add_item(store, 1, "one story")
    router.save_labels_and_route(english, "h1", MODEL, labels(EN), NOW)
    korean = add_item(store, 2, "같은 기사")
    router.save_labels_and_route(korean, "h2", MODEL, labels(KO, language="ko"), NOW)
    claimed = store.claim_deliveries("w1", NOW, LEASE)
    assert [(d.kind, d.item_id) for d in claimed] == [("alert", english)]  # the reply waits
    store.mark_sent(claimed[0].id, 555, NOW, token=claimed[0].lease_token)
    reply = store.claim_deliveries("w1", NOW, LEASE)
    assert [(d.kind, d.item_id, d.story_item_id) for d in reply] == [("also", korean, english)]
    assert reply[0].reply_to_message_id == 555


def test_leases_keep_rows_from_a_second_worker_until_they_expire(store: Store) -> None:
    subscribe(store, 1)
    subscribe(store, 2)
    item = add_item(store, 1, "MOU")
    Router(store).save_labels_and_route(item, "h1", MODEL, labels(), NOW)
    first = store.claim_deliveries("w1", NOW, LEASE, limit=1)
    assert [d.chat_id for d in first] == [1]
    second = store.claim_deliveries("w2", NOW, LEASE)
    assert [d.chat_id for d in second] == [2]
    assert store.claim_deliveries("w3", NOW + timedelta(minutes=1), LEASE) == []
    # w1 died without settling chat 1's row: it is claimable once the lease ran out
    taken_over = store.claim_deliveries("w3", NOW + LEASE + timedelta(seconds=1), LEASE)
    assert [d.chat_id for d in taken_over] == [1, 2]


def test_settling_rows(store: Store) -> None:
    for chat in (1, 2, 3, 4):
        subscribe(store, chat)
    item = add_item(store, 1, "MOU")
    Router(store).save_labels_and_route(item, "h1", MODEL, labels(), NOW)
    a, b, c, d = store.claim_deliveries("w", NOW, LEASE)
    store.mark_sent(a.id, 99, NOW, token=a.lease_token)
    store.mark_retry(b.id, token=b.lease_token, error="429", not_before=NOW + timedelta(seconds=30))
    store.mark_failed(c.id, "400 chat not found", token=c.lease_token)
    store.mark_skipped(d.id, "muted", token=d.lease_token)
    assert store.delivery_counts() == {"pending": 1, "sent": 1, "failed": 1, "skipped": 1}
    assert store.claim_deliveries("w", NOW + timedelta(seconds=29), LEASE) == []
    retried = store.claim_deliveries("w", NOW + timedelta(seconds=30), LEASE)
    assert [(r.id, r.attempts) for r in retried] == [(b.id, 1)]
    store.release_deliveries([b.id], retried[0].lease_token)
    assert [r.id for r in store.claim_deliveries("x", NOW + timedelta(seconds=30), LEASE)] == [b.id]
    row = store.deliveries_of(1)[0]
    assert (row["status"], row["message_id"], row["sent_at"]) == ("sent", 99, NOW)


def test_a_settle_counts_only_under_the_claims_own_token(store: Store) -> None:
    """Fencing: a worker that stalled past its lease, while another claimed and sent the
    row, can neither renew it nor overwrite the other's "sent" with its own outcome."""
    subscribe(store, 1)
    Router(store).save_labels_and_route(add_item(store, 1, "MOU"), "h1", MODEL, labels(), NOW)
    (stale,) = store.claim_deliveries("w1", NOW, LEASE)
    later = NOW + LEASE + timedelta(seconds=1)
    (fresh,) = store.claim_deliveries("w2", later, LEASE)
    assert fresh.id == stale.id and fresh.lease_token != stale.lease_token

    assert store.renew_leases([stale.id], stale.lease_token, later, LEASE) == set()
    assert store.mark_sent(fresh.id, 7, later, token=fresh.lease_token)
    assert not store.mark_retry(stale.id, token=stale.lease_token, error="x", not_before=later)
    assert not store.mark_failed(stale.id, "timed out", token=stale.lease_token)
    assert not store.mark_skipped(stale.id, "muted", token=stale.lease_token)
    assert not store.mark_sent(stale.id, 8, later, token=stale.lease_token)
    row = store.deliveries_of(1)[0]
    assert (row["status"], row["message_id"], row["attempts"]) == ("sent", 7, 1)


def test_renewing_keeps_a_long_batch_from_a_second_worker(store: Store) -> None:
    subscribe(store, 1)
    for n in (1, 2, 3):
        Router(store).save_labels_and_route(
            add_item(store, n, f"MOU {n}"), f"h{n}", MODEL, labels(), NOW
        )
    claimed = store.claim_deliveries("w1", NOW, LEASE)
    ids = [d.id for d in claimed]
    token = claimed[0].lease_token
    almost = NOW + LEASE - timedelta(seconds=1)
    assert store.renew_leases(ids, token, almost, LEASE) == set(ids)
    # past the first lease, but within the renewed one: nobody else may claim them
    assert store.claim_deliveries("w2", NOW + LEASE + timedelta(seconds=1), LEASE) == []
    # an expired lease that nobody took is still this claim's: renewing it works
    assert store.renew_leases(ids, token, almost + LEASE + timedelta(seconds=5), LEASE) == set(ids)


def test_deactivating_a_chat_drops_its_pending_alerts(store: Store) -> None:
    subscribe(store, 1)
    subscribe(store, 2)
    item = add_item(store, 1, "MOU")
    Router(store).save_labels_and_route(item, "h1", MODEL, labels(), NOW)
    store.deactivate_subscription(1, "403", NOW)
    store.remove_subscription(2)
    assert store.claim_deliveries("w", NOW, LEASE) == []
    assert store.delivery_counts()["skipped"] == 2


def test_operator_notices_are_queued_with_the_state_they_report(store: Store) -> None:
    assert store.feed_notices() == {}
    store.tell_operators("https://f.example/rss", "failing", "<b>f</b> failing", [100, 101], NOW)
    assert store.feed_notices() == {"https://f.example/rss": "failing"}
    notices = store.claim_deliveries("w", NOW, LEASE)
    assert [(n.kind, n.chat_id, n.text) for n in notices] == [
        ("notice", 100, "<b>f</b> failing"),
        ("notice", 101, "<b>f</b> failing"),
    ]
    store.tell_operators("https://f.example/rss", "ok", "back", [100], NOW)
    assert store.feed_notices() == {"https://f.example/rss": "ok"}


def test_concurrent_claims_never_share_a_row(database_url: str) -> None:
    with Store.open(database_url) as setup:
        for chat in range(1, 41):
            subscribe(setup, chat)
        item = add_item(setup, 1, "MOU")
        Router(setup).save_labels_and_route(item, "h1", MODEL, labels(), NOW)
    stores = [Store.open(database_url) for _ in range(4)]
    start = threading.Barrier(len(stores))

    def drain(index: int) -> list[int]:
        start.wait()
        got: list[int] = []
        while batch := stores[index].claim_deliveries(f"w{index}", NOW, LEASE, limit=3):
            got.extend(d.id for d in batch)
        return got

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            results = list(pool.map(drain, range(len(stores))))
    finally:
        for s in stores:
            s.close()
    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed)) == 40


def test_times_come_back_utc(store: Store) -> None:
    subscribe(store, 1)
    item = add_item(store, 1, "MOU")
    Router(store).save_labels_and_route(item, "h1", MODEL, labels(), NOW)
    (claimed,) = store.claim_deliveries("w", NOW, LEASE)
    assert claimed.created_at == NOW and claimed.created_at.tzinfo == UTC
    assert datetime(2026, 1, 1, tzinfo=UTC) < claimed.created_at


def test_operators_are_told_each_state_once(store: Store) -> None:
    url = "https://f.example/rss"
    assert store.tell_operators(url, "failing", "down", [100], NOW) is True
    assert store.tell_operators(url, "failing", "down", [100], NOW) is False
    assert store.tell_operators(url, "ok", "back", [100], NOW) is True
    assert [d.text for d in store.claim_deliveries("w", NOW, LEASE)] == ["down", "back"]


def add_copy(store: Store, n: int, feed: str, original: int, *, seen: datetime = NOW) -> int:
    from monitor.models import Item

    item = Item(feed, f"c{n}", f"https://copy.example/{n}", "copy", "", seen)
    item_id = store.add_item(
        item,
        first_seen_at=seen,
        content_hash=f"c{n}",
        signature=[n],
        bands=[],
        duplicate_of=original,
    )
    assert item_id is not None
    return item_id


def test_near_duplicates_from_other_feeds_become_replies_once(store: Store) -> None:
    router = Router(store)
    subscribe(store, 1)
    subscribe(store, 2, topics=frozenset({"ncd"}))  # never got the original
    original = add_item(store, 1, "MOU")
    router.save_labels_and_route(original, "h1", MODEL, labels(), NOW)
    same_feed = add_copy(store, 1, "https://feeds.example/a", original)  # a repost: not mentioned
    other = add_copy(store, 2, "https://wire.example/rss", original)
    again = add_copy(store, 3, "https://wire.example/rss", original)  # that feed is told already
    third = add_copy(store, 4, "https://third.example/rss", original)
    assert router.route_duplicates(NOW) == 2
    assert router.route_duplicates(NOW) == 0  # idempotent
    rows = [(r["kind"], r["item_id"], r["story_item_id"]) for r in store.deliveries_of(1)]
    assert rows == [("alert", original, None), ("also", other, original), ("also", third, original)]
    assert store.deliveries_of(2) == []
    assert same_feed and again
    late = add_copy(store, 5, "https://late.example/rss", original, seen=NOW + timedelta(days=3))
    assert late and router.route_duplicates(NOW + timedelta(days=3)) == 1  # late copies too


def test_moving_a_chat_keeps_an_existing_subscription_and_drops_alerts_it_already_has(
    store: Store,
) -> None:
    router = Router(store)
    subscribe(store, -5, topics=frozenset({"uhc"}))
    a = add_item(store, 1, "MOU a")
    router.save_labels_and_route(a, "h1", MODEL, labels(), NOW)
    subscribe(store, -1005)  # someone subscribed in the new supergroup already
    b = add_item(store, 2, "MOU b")
    router.save_labels_and_route(b, "h2", MODEL, labels(), NOW)  # both chats get b
    assert store.claim_deliveries("w", NOW, LEASE, limit=1)[0].chat_id == -5

    assert store.move_chat(-5, -1005, NOW) is False  # the new chat's own subscription stays
    assert store.move_chat(-5, -1005, NOW) is False  # told twice: nothing more happens

    assert store.subscription(-5) is None
    kept = store.subscription(-1005)
    assert kept is not None and kept.filter.topics == frozenset()
    assert store.deliveries_of(-5)[0]["status"] == "skipped"  # b: the new chat has its own
    rows = store.deliveries_of(-1005)
    assert sorted(r["item_id"] for r in rows) == [a, b]
    assert all(r["status"] == "pending" and r["lease_owner"] is None for r in rows)


def test_a_batch_is_routed_in_order_so_a_story_twice_in_it_is_one_alert_and_a_reply(
    store: Store,
) -> None:
    subscribe(store, 1)
    english = add_item(store, 1, "Korea and Indonesia sign telemedicine MOU")
    korean = add_item(store, 2, "한-인니 원격의료 양해각서 체결")
    other = add_item(store, 3, "Dengue vaccine trial")
    batch = [
        (english, "h1", labels(EN)),
        (korean, "h2", labels(KO, language="ko")),
        (other, "h3", labels(OTHER)),
    ]

    results = Router(store).save_labels_and_route_many(batch, MODEL, NOW)

    assert [r.alerts for r in results] == [(1,), (), (1,)]
    assert results[1].replies == ((1, english),)
    assert store.cached_labels(["h1", "h2", "h3"], MODEL).keys() == {"h1", "h2", "h3"}


def test_a_chat_is_served_by_one_worker_at_a_time(store: Store) -> None:
    subscribe(store, 1)
    subscribe(store, 2)
    for n in (1, 2):
        Router(store).save_labels_and_route(
            add_item(store, n, f"MOU {n}"), f"h{n}", MODEL, labels(), NOW
        )
    first = store.claim_deliveries("w1", NOW, LEASE, limit=1)  # chat 1's first row
    assert [d.chat_id for d in first] == [1]

    second = store.claim_deliveries("w2", NOW, LEASE)

    assert sorted(d.chat_id for d in second) == [2, 2]  # not chat 1's second row: w1 has chat 1
    assert store.delivery_senders(NOW) == {"w1", "w2"}
    assert [d.chat_id for d in store.claim_deliveries("w1", NOW, LEASE)] == [1]  # w1's own chat
    store.release_deliveries([d.id for d in first], first[0].lease_token)
    later = NOW + LEASE + timedelta(seconds=1)
    assert store.delivery_senders(later) == set()


def test_on_postgresql_a_chat_being_claimed_elsewhere_is_skipped(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from monitor.store.outbox import CHAT_LOCK_SPACE

    with Store.open(postgres_url) as store:
        subscribe(store, 1)
        subscribe(store, 2)
        Router(store).save_labels_and_route(add_item(store, 1, "MOU"), "h1", MODEL, labels(), NOW)
        engine = create_engine(postgres_url, poolclass=NullPool)
        try:
            with engine.begin() as other:  # another worker's claim, in the middle of it
                lock = text("SELECT pg_advisory_xact_lock(:space, 1)")  # chat 1's key
                other.execute(lock, {"space": CHAT_LOCK_SPACE})
                claimed = store.claim_deliveries("w2", NOW, LEASE)
        finally:
            engine.dispose()
        assert [d.chat_id for d in claimed] == [2]
        assert [d.chat_id for d in store.claim_deliveries("w2", NOW, LEASE)] == [1]  # lock gone


def test_a_workers_abandoned_rows_are_freed_for_its_next_pass(store: Store) -> None:
    subscribe(store, 1)
    subscribe(store, 2)
    Router(store).save_labels_and_route(add_item(store, 1, "MOU"), "h1", MODEL, labels(), NOW)
    store.claim_deliveries("w1", NOW, LEASE, limit=1)  # a pass that broke off after its claim
    store.claim_deliveries("w2", NOW, LEASE)  # another worker's rows stay its own
    assert store.claim_deliveries("w1", NOW, LEASE) == []
    assert store.release_abandoned("w1") == 1
    assert [d.chat_id for d in store.claim_deliveries("w1", NOW, LEASE)] == [1]
    assert store.release_abandoned("w3") == 0
