"""Subscriptions, feedback, embeddings and archive search in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from classifiers.base import Labels
from monitor.filters import Filter
from monitor.models import Item, Subscription
from monitor.store import Store

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
MODEL = "model-1"


def add_item(store: Store, n: int, title: str, text: str = "", *, seen: datetime = NOW) -> int:
    item = Item(
        feed_url="https://feeds.example/a",
        guid=f"g{n}",
        url=f"https://news.example/{n}",
        title=title,
        text=text,
        published_at=seen,
    )
    item_id = store.add_item(
        item, first_seen_at=seen, content_hash=f"h{n}", signature=[n], bands=[], duplicate_of=None
    )
    assert item_id is not None
    return item_id


def labels(vector: tuple[float, ...] = (), **changes: object) -> Labels:
    base: dict[str, object] = {
        "language": "en",
        "relevant": True,
        "cooperation": True,
        "topics": ("uhc",),
        "countries": ("KR",),
        "summary": "s",
    }
    base.update(changes)
    return Labels(**base, embedding=vector)  # type: ignore[arg-type]


def test_a_subscription_round_trips(store: Store) -> None:
    sub = Subscription(
        chat_id=-1001234567890123,  # supergroup ids do not fit 32 bits
        filter=Filter(
            topics=frozenset({"uhc", "amr"}),
            countries=frozenset({"KR"}),
            languages=frozenset({"ko"}),
            keywords=("원격의료",),
            cooperation_only=False,
        ),
        instant=False,
        muted_until=NOW + timedelta(hours=8),
        thread_id=42,
        ui_language="ko",
        timezone="Asia/Seoul",
        chat_type="supergroup",
        title="보건 협력 <팀>",
        quiet_start=time(22, 0),
        quiet_end=time(7, 30),
        quiet_hold=True,
    )
    store.save_subscription(sub, NOW)
    assert store.subscription(sub.chat_id) == sub
    assert store.subscriptions() == [sub]
    assert store.subscription(7) is None


def test_save_replaces_by_chat_id(store: Store) -> None:
    store.save_subscription(Subscription(chat_id=7), NOW)
    changed = Subscription(chat_id=7, filter=Filter(topics=frozenset({"ncd"})), title="Kim")
    store.save_subscription(changed, NOW + timedelta(minutes=1))
    assert store.subscriptions() == [changed]


def test_deactivate_hides_from_active_and_a_new_save_brings_back(store: Store) -> None:
    store.save_subscription(Subscription(chat_id=1), NOW)
    store.save_subscription(Subscription(chat_id=2), NOW)
    store.deactivate_subscription(1, "bot blocked (403)", NOW)
    assert [s.chat_id for s in store.subscriptions()] == [2]
    assert [s.active for s in store.subscriptions(active_only=False)] == [False, True]
    store.save_subscription(Subscription(chat_id=1), NOW)
    assert [s.chat_id for s in store.subscriptions()] == [1, 2]


def test_remove_deletes_the_row(store: Store) -> None:
    store.save_subscription(Subscription(chat_id=1), NOW)
    assert store.remove_subscription(1) is True
    assert store.remove_subscription(1) is False
    assert store.subscriptions(active_only=False) == []


def test_mute_and_instant_decide_whether_alerts_are_routed() -> None:
    assert Subscription(chat_id=1).receives_alerts(NOW)
    assert not Subscription(chat_id=1, instant=False).receives_alerts(NOW)
    assert not Subscription(chat_id=1, active=False).receives_alerts(NOW)
    muted = Subscription(chat_id=1, muted_until=NOW + timedelta(minutes=1))
    assert not muted.receives_alerts(NOW)
    assert muted.receives_alerts(NOW + timedelta(minutes=1))


def test_feedback_last_vote_wins(store: Store) -> None:
    a = add_item(store, 1, "one")
    b = add_item(store, 2, "two")
    store.save_feedback(10, a, 1, NOW)
    store.save_feedback(10, a, -1, NOW)  # changed its mind
    store.save_feedback(11, a, 1, NOW)
    store.save_feedback(10, b, 1, NOW)
    assert store.feedback_counts() == (2, 1)
    with pytest.raises(ValueError, match="vote"):
        store.save_feedback(10, a, 0, NOW)


def test_voted_items_carry_labels_and_counts(store: Store) -> None:
    a = add_item(store, 1, "one")
    add_item(store, 2, "unvoted")
    store.save_labels("h1", MODEL, labels(), NOW)
    store.save_feedback(10, a, 1, NOW)
    store.save_feedback(11, a, -1, NOW)
    store.save_feedback(12, a, 1, NOW)
    voted = list(store.voted_items(MODEL))
    assert [(v.item.id, v.up, v.down) for v in voted] == [(a, 2, 1)]
    assert voted[0].labels is not None and voted[0].labels.topics == ("uhc",)


def test_search_needs_every_word_case_folded_newest_first(store: Store) -> None:
    old = add_item(store, 1, "Dengue VACCINE trial", seen=NOW - timedelta(days=1))
    new = add_item(store, 2, "Vaccine news", "a dengue outbreak", seen=NOW)
    add_item(store, 3, "Dengue only")
    korean = add_item(store, 4, "원격의료 시범사업 확대")
    vietnamese = add_item(store, 5, "BỆNH VIỆN Bạch Mai hợp tác")
    store.save_labels("h2", MODEL, labels(), NOW)
    found = store.search_items(["dengue", "Vaccine"], model_id=MODEL, limit=10)
    assert [i.id for i, _ in found] == [new, old]
    assert found[0][1] is not None and found[1][1] is None
    assert [i.id for i, _ in store.search_items(["원격의료"], model_id=MODEL, limit=5)] == [korean]
    hits = store.search_items(["bệnh viện"], model_id=MODEL, limit=5)
    assert [i.id for i, _ in hits] == [vietnamese]
    assert store.search_items(["100%"], model_id=MODEL, limit=5) == []  # LIKE wildcards escaped
    assert len(store.search_items(["dengue"], model_id=MODEL, limit=1)) == 1


def test_similar_items_by_embeddings(store: Store) -> None:
    a = add_item(store, 1, "MOU on telemedicine")
    b = add_item(store, 2, "원격의료 양해각서")
    c = add_item(store, 3, "Cancer screening")
    store.save_embedding("h1", MODEL, (1.0, 0.0, 0.0), NOW)
    store.save_embedding("h2", MODEL, (0.96, 0.28, 0.0), NOW)
    store.save_embedding("h3", MODEL, (0.0, 0.0, 1.0), NOW)
    store.save_embedding("h1", "other-model", (0.0, 1.0, 0.0), NOW)
    found = store.similar_items([a], model_id=MODEL, limit=5, min_cosine=0.5)
    assert [(i.id, round(score, 2)) for i, _, score in found] == [(b, 0.96)]
    assert store.similar_items([c], model_id=MODEL, limit=5, min_cosine=0.5) == []
    assert store.similar_items([a], model_id="nothing", limit=5, min_cosine=0.0) == []
    got = store.embeddings([a, b, c], MODEL)
    assert got[b] == pytest.approx((0.96, 0.28, 0.0))
