"""Store.claim_code_mail and Store.alerted_to on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.store import Store

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LIMITS = {
    "chat_interval": timedelta(minutes=1),
    "address_window": timedelta(hours=1),
    "address_limit": 3,
}


def test_code_mails_are_throttled_per_chat_and_per_address(store: Store) -> None:
    claim = store.claim_code_mail
    assert claim("Kim@Example.org", 1, NOW, **LIMITS) is None
    assert claim("kim@example.org", 1, NOW + timedelta(seconds=30), **LIMITS) == "chat"
    assert claim("kim@example.org", 2, NOW + timedelta(seconds=30), **LIMITS) is None
    assert claim("kim@example.org", 3, NOW + timedelta(seconds=40), **LIMITS) is None
    assert claim("kim@example.org", 4, NOW + timedelta(seconds=50), **LIMITS) == "address"
    assert claim("lee@example.org", 4, NOW + timedelta(seconds=50), **LIMITS) is None
    later = NOW + timedelta(hours=1, seconds=1)
    assert claim("kim@example.org", 4, later, **LIMITS) is None
    assert claim("kim@example.org", 5, later + timedelta(days=3), **LIMITS) is None  # pruned


def test_nothing_was_alerted_to_a_chat_without_deliveries(store: Store) -> None:
    assert not store.alerted_to(7, 1)
