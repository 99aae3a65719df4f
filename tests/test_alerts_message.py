"""The alert text, routing by index and operators' notices: pure functions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from classifiers.base import Labels
from monitor.alerts.message import (
    MAX_MESSAGE,
    feedback_buttons,
    flag,
    format_alert,
    format_also_reported,
    local_time,
)
from monitor.alerts.operators import FAILING, OK, feed_notices
from monitor.alerts.routing import SubscriptionIndex
from monitor.filters import Filter
from monitor.models import StoredItem

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def item(title: str = "Title", url: str = "https://n.example/1", **changes: object) -> StoredItem:
    values: dict[str, object] = {
        "id": 42, "feed_url": "f", "guid": "g", "url": url, "title": title, "text": "",
        "published_at": NOW, "language_hint": None, "first_seen_at": NOW, "content_hash": "h",
        "duplicate_of": None, "fulltext": None,
    }  # fmt: skip
    values.update(changes)
    return StoredItem(**values)  # type: ignore[arg-type]


def labels(**changes: object) -> Labels:
    values: dict[str, object] = {
        "language": "ko", "relevant": True, "cooperation": True, "topics": ("uhc", "amr"),
        "countries": ("KR", "ID"), "summary": "A summary.",
    }  # fmt: skip
    values.update(changes)
    return Labels(**values)  # type: ignore[arg-type]


def test_the_alert_shows_every_field_escaped() -> None:
    text = format_alert(
        item('<script>alert("x")</script> & <b>bold</b>', url='https://n.example/a?x=1&y="2"'),
        labels(summary="Less < more & <i>tags</i>"),
        feed_name="Yonhap <News>",
        topic_names={"uhc": "보편적 건강보장"},
        tz="Asia/Seoul",
        ui_language="ko",
    )
    assert text.startswith('<a href="https://n.example/a?x=1&amp;y=&quot;2&quot;"><b>')
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text
    assert "Yonhap &lt;News&gt;" in text and "2026-11-25 18:00 KST" in text
    assert "한국어" in text and "보편적 건강보장, amr" in text and "🇰🇷 KR 🇮🇩 ID" in text
    assert text.endswith("Less &lt; more &amp; &lt;i&gt;tags&lt;/i&gt;")
    assert "<script>" not in text and "<i>" not in text


def test_the_alert_never_exceeds_telegram_s_limit() -> None:
    huge = format_alert(
        item("&" * 5000, url="https://n.example/" + "x" * 5000),
        labels(summary="<" * 10_000),
        feed_name="&" * 1000,
        topic_names={},
        tz="UTC",
    )
    assert len(huge) <= MAX_MESSAGE
    assert "&amp;" in huge and "x" * 3000 not in huge  # an absurd link is left out


def test_no_link_for_non_http_urls_and_unknown_zone_falls_back_to_utc() -> None:
    text = format_alert(
        item(url="javascript:alert(1)"), labels(), feed_name="f", topic_names={}, tz="Mars/Base"
    )
    assert "href" not in text and "09:00 UTC" in text
    assert local_time(NOW, "Asia/Jakarta") == "2026-11-25 16:00 WIB"


def test_also_reported_and_buttons() -> None:
    assert format_also_reported("Yonhap & Co", "ko") == (
        "🔁 Also reported by <b>Yonhap &amp; Co</b>, in Korean"
    )
    assert (
        format_also_reported("연합뉴스", "en", ui_language="ko")
        == "🔁 <b>연합뉴스</b>도 보도 (영어)"
    )
    assert feedback_buttons(42) == (("👍", "fb:42:up"), ("👎", "fb:42:down"))
    assert flag("kr") == "🇰🇷" and flag("EU1") == ""


def brute_force(filters: dict[int, Filter], lab: Labels, title: str) -> list[int]:
    return sorted(c for c, f in filters.items() if f.matches(lab, title=title))


def test_the_index_matches_exactly_what_every_filter_would() -> None:
    rng = random.Random(7)
    topics = ["uhc", "amr", "ncd", "ageing", "digital_health"]
    countries = ["KR", "ID", "VN", "JP", "TH"]
    languages = ["en", "ko", "id"]
    filters = {
        chat: Filter(
            topics=frozenset(rng.sample(topics, rng.randint(0, 2))),
            countries=frozenset(rng.sample(countries, rng.randint(0, 2))),
            languages=frozenset(rng.sample(languages, rng.randint(0, 1))),
            keywords=("vaccine",) if rng.random() < 0.1 else (),
            cooperation_only=rng.random() < 0.7,
        )
        for chat in range(1, 501)
    }
    index = SubscriptionIndex.build(filters.items())
    for _ in range(200):
        lab = labels(
            language=rng.choice(languages),
            relevant=rng.random() < 0.9,
            cooperation=rng.random() < 0.5,
            topics=tuple(rng.sample(topics, rng.randint(0, 2))),
            countries=tuple(rng.sample(countries, rng.randint(0, 2))),
        )
        title = rng.choice(["vaccine deal", "hospital"])
        assert index.match(lab, title=title) == brute_force(filters, lab, title)


@dataclass
class Health:
    url: str
    name: str
    enabled: bool = True
    consecutive_errors: int = 0
    last_error: str | None = None
    removed_at: object = None


def test_operators_hear_once_when_a_feed_fails_ten_times_and_once_when_back() -> None:
    feeds = [
        Health("u1", "<Feed>", consecutive_errors=10, last_error="HTTP 500 <html>"),
        Health("u2", "Nine", consecutive_errors=9),
        Health("u3", "Back"),
        Health("u4", "Off", enabled=False, consecutive_errors=50),
    ]
    notices = feed_notices(feeds, {"u3": FAILING})
    assert [(n.feed_url, n.state) for n in notices] == [("u1", FAILING), ("u3", OK)]
    assert "&lt;Feed&gt;" in notices[0].text and "HTTP 500 &lt;html&gt;" in notices[0].text
    assert feed_notices(feeds, {"u1": FAILING, "u3": OK}) == []
