"""Digest recipients, the digest log and confirmation codes in the store; `monitor recipients`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from cli_runner import Monitor

from classifiers.base import Labels
from monitor.digest.recipient import parse_email, parse_timezone, parse_weekday, schedule_text
from monitor.durations import parse_send_time
from monitor.filters import Filter
from monitor.models import DEFERRED, FAILED, SENT, WEEKLY, FeedSpec, Item, Recipient
from monitor.store import Store

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_parsing_what_people_type() -> None:
    assert parse_email("  Kim.Official@MOHW.go.kr ") == "kim.official@mohw.go.kr"
    assert parse_email("<a@b.co>") == "a@b.co"
    for bad in ("no-at-sign", "a@b", "a b@c.org", "a@b@c.org", "", "a@b.org>x"):
        with pytest.raises(ValueError):
            parse_email(bad)
    assert parse_send_time("07:30") == time(7, 30)
    assert parse_send_time("7:05") == time(7, 5)
    assert parse_send_time("0730") == time(7, 30)
    for bad in ("24:00", "7:60", "seven", "7"):
        with pytest.raises(ValueError):
            parse_send_time(bad)
    assert parse_timezone("Asia/Seoul") == "Asia/Seoul"
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_timezone("Mars/Olympus")
    assert parse_weekday("Friday") == 4
    with pytest.raises(ValueError):
        parse_weekday("someday")
    weekly = Recipient("a@b.co", frequency=WEEKLY, weekday=0, timezone="Asia/Jakarta")
    assert schedule_text(weekly) == "weekly mon 08:00 Asia/Jakarta"


def test_recipients_round_trip(store: Store) -> None:
    wanted = Recipient(
        email="Kim@Example.org",
        filter=Filter(topics=frozenset({"uhc"}), keywords=("뎅기",), cooperation_only=False),
        frequency=WEEKLY,
        weekday=4,
        send_time=time(7, 30),
        timezone="Asia/Seoul",
        language="ko",
        skip_empty=True,
        chat_id=-1001234567890,  # supergroup ids exceed 32 bits
    )
    saved = store.save_recipient(wanted, NOW)
    assert saved.email == "kim@example.org" and len(saved.token) >= 24
    assert store.recipient("KIM@example.org") == saved
    assert store.recipient_for_chat(-1001234567890) == saved
    assert store.recipient_by_token(saved.token) == saved
    assert store.recipient_by_token("") is None
    # saving again keeps the token; recipients() lists, active_only needs confirmed + active
    store.save_recipient(Recipient("b@example.org", confirmed=False), NOW)
    store.save_recipient(Recipient("c@example.org", active=False), NOW)
    again = store.save_recipient(Recipient("kim@example.org", language="en"), NOW)
    assert again.token == saved.token
    assert [r.email for r in store.recipients()] == [
        "b@example.org",
        "c@example.org",
        "kim@example.org",
    ]
    assert [r.email for r in store.recipients(active_only=True)] == ["kim@example.org"]
    assert store.remove_recipient("KIM@example.org")
    assert not store.remove_recipient("kim@example.org")
    assert store.recipient("kim@example.org") is None


def test_digest_log_claims_once(store: Store) -> None:
    period = {"period_start": NOW - timedelta(days=1), "period_end": NOW}
    assert store.claim_digest("a@b.co", "daily:2026-12-03", now=NOW, **period)
    assert not store.claim_digest("a@b.co", "daily:2026-12-03", now=NOW, **period)
    assert store.claim_digest("z@b.co", "daily:2026-12-03", now=NOW, **period)
    # a claim whose sender died is taken over after the lease
    later = NOW + timedelta(minutes=20)
    assert store.claim_digest("a@b.co", "daily:2026-12-03", now=later, **period)
    store.finish_digest("a@b.co", "daily:2026-12-03", SENT, later, items=4, message_id="<m@x>")
    assert not store.claim_digest(
        "a@b.co", "daily:2026-12-03", now=later + timedelta(days=1), **period
    )
    entry = store.digest_entry("a@b.co", "daily:2026-12-03")
    assert entry is not None
    assert (entry.status, entry.items, entry.attempts, entry.message_id) == (SENT, 4, 2, "<m@x>")
    # deferred (temporary failure) can be claimed again; failed (5xx) cannot
    store.finish_digest("z@b.co", "daily:2026-12-03", DEFERRED, NOW, error="451 busy")
    assert store.claim_digest("z@b.co", "daily:2026-12-03", now=NOW, **period)
    store.finish_digest("z@b.co", "daily:2026-12-03", FAILED, NOW, error="550 no such user")
    assert not store.claim_digest(
        "z@b.co", "daily:2026-12-03", now=NOW + timedelta(hours=1), **period
    )
    failed = store.digest_log(statuses=[FAILED])
    assert [(e.email, e.error) for e in failed] == [("z@b.co", "550 no such user")]
    assert store.digest_counts(NOW - timedelta(hours=1)) == {SENT: 1, FAILED: 1}


def test_confirmation_codes(store: Store) -> None:
    expires = NOW + timedelta(minutes=30)
    store.save_confirmation(7, "a@b.co", "hash-1", expires_at=expires, now=NOW)
    assert store.pending_confirmation(7) == "a@b.co"
    assert store.use_confirmation(7, "wrong", now=NOW, max_attempts=3) is None
    assert store.use_confirmation(7, "hash-1", now=NOW, max_attempts=3) == "a@b.co"
    assert store.use_confirmation(7, "hash-1", now=NOW, max_attempts=3) is None  # used up
    # expired
    store.save_confirmation(7, "a@b.co", "hash-2", expires_at=expires, now=NOW)
    assert store.use_confirmation(7, "hash-2", now=expires, max_attempts=3) is None
    assert store.pending_confirmation(7) is None
    # too many wrong tries
    store.save_confirmation(7, "a@b.co", "hash-3", expires_at=expires, now=NOW)
    for _ in range(3):
        assert store.use_confirmation(7, "nope", now=NOW, max_attempts=3) is None
    assert store.use_confirmation(7, "hash-3", now=NOW, max_attempts=3) is None


def test_digest_items_with_duplicates_and_newest_labels(store: Store) -> None:
    feed = "https://feeds.example/a"
    store.sync_feeds([FeedSpec(url=feed, name="A")], NOW)

    def add(guid: str, seen: datetime, duplicate_of: int | None = None) -> int:
        item = Item(feed, guid, f"https://n.example/{guid}", guid, "text", None)
        item_id = store.add_item(
            item,
            first_seen_at=seen,
            content_hash=f"h-{guid}",
            signature=(1,),
            bands=(),
            duplicate_of=duplicate_of,
        )
        assert item_id is not None
        return item_id

    def labels(summary: str) -> Labels:
        return Labels("en", True, True, ("uhc",), ("KR",), summary)

    old = add("old", NOW - timedelta(days=2))
    inside = add("inside", NOW - timedelta(hours=3))
    unlabelled = add("unlabelled", NOW - timedelta(hours=2))
    copy = add("copy", NOW - timedelta(hours=1), duplicate_of=inside)
    add("future", NOW + timedelta(minutes=1))
    store.save_labels("h-old", "m1", labels("old"), NOW)
    store.save_labels("h-inside", "m1", labels("first"), NOW - timedelta(hours=1))
    store.save_labels("h-inside", "m2", labels("second"), NOW)
    labelled, duplicates = store.digest_items(NOW - timedelta(days=1), NOW)
    assert [(i.id, lab.summary) for i, lab in labelled] == [(inside, "second")]
    assert [d.id for d in duplicates] == [copy]
    labelled, _ = store.digest_items(NOW - timedelta(days=1), NOW, model_id="m1")
    assert [lab.summary for _, lab in labelled] == ["first"]  # the model's own, though older
    labelled, _ = store.digest_items(NOW - timedelta(days=1), NOW, model_id="m3")
    assert [lab.summary for _, lab in labelled] == ["second"]  # a new model: the newest
    assert unlabelled and old


# -- monitor recipients ----------------------------------------------------------------


def test_recipients_commands(monitor: Monitor) -> None:
    env = {"MONITOR_TIMEZONE": "Asia/Seoul", "MONITOR_DIGEST_TIME": "7:45"}
    result = monitor(
        "recipients", "add", "Kim@Example.org", "--topic", "uhc", "--country", "kr", **env
    )
    assert result.exit_code == 0, result.output
    assert "daily 07:45 Asia/Seoul" in result.output
    result = monitor("recipients", "add", "kim@example.org", **env)
    assert result.exit_code == 2 and "already a recipient" in result.output
    result = monitor(
        "recipients", "set", "kim@example.org", "--weekly", "fri", "--time", "09:00",
        "--language", "ko", "--all-relevant", "--keyword", "dengue",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    listing = monitor("recipients", "list").output
    assert "kim@example.org" in listing and "weekly fri 09:00 Asia/Seoul" in listing
    assert "all relevant · topics uhc · countries KR · keywords dengue" in listing
    result = monitor("recipients", "set", "kim@example.org", "--inactive")
    assert " off " in monitor("recipients", "list").output
    for bad, message in [
        (["add", "not-an-address"], "not an e-mail address"),
        (["add", "x@y.org", "--topic", "astrology"], "unknown topic(s) astrology"),
        (["add", "x@y.org", "--time", "25:00"], "not a time of day"),
        (["add", "x@y.org", "--timezone", "Mars/Base"], "unknown time zone"),
        (["add", "x@y.org", "--country", "Korea"], "alpha-2"),
        (["set", "nobody@y.org", "--daily"], "not a recipient"),
        (["remove", "nobody@y.org"], "not a recipient"),
    ]:
        result = monitor("recipients", *bad)
        assert result.exit_code == 2, (bad, result.output)
        assert message in result.output, (bad, result.output)
    assert monitor("recipients", "remove", "KIM@example.org").exit_code == 0
    assert "0 digest recipients" in monitor("recipients", "list").output
