"""Zone-less dates of national feeds are their local time, not UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from monitor.ingest.localtime import naive_date_zone
from monitor.ingest.parse import parse_feed

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>naive</title><pubDate>2025-05-20 09:00:00</pubDate></item>"
    b"<item><title>gmt</title><pubDate>Tue, 20 May 2025 09:00:00 GMT</pubDate></item>"
    b"<item><title>offset</title><pubDate>2025-05-20T09:00:00+07:00</pubDate></item>"
    b"</channel></rss>"
)


def dates(country: str | None, body: bytes = RSS) -> dict[str, str]:
    parsed = parse_feed(
        body, {}, feed_url="http://news.test/f", language_hint=None, now=NOW,
        naive_zone=naive_date_zone(country),
    )  # fmt: skip
    return {i.title: i.published_at.isoformat() for i in parsed.items if i.published_at}


def test_a_korean_feeds_naive_time_is_seoul_time() -> None:
    assert dates("KR") == {
        "naive": "2025-05-20T00:00:00+00:00",
        "gmt": "2025-05-20T09:00:00+00:00",
        "offset": "2025-05-20T02:00:00+00:00",
    }


def test_without_a_country_naive_times_stay_utc() -> None:
    assert dates(None)["naive"] == "2025-05-20T09:00:00+00:00"
    assert dates("ZZ")["naive"] == "2025-05-20T09:00:00+00:00"


def test_json_feed_naive_dates_follow_the_country() -> None:
    body = json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "t",
         "items": [{"id": "1", "title": "naive", "date_published": "2025-05-20T09:00:00"}]}
    ).encode()  # fmt: skip
    assert dates("VN", body) == {"naive": "2025-05-20T02:00:00+00:00"}


@pytest.mark.parametrize(("country", "offset_hours"), [("JP", 9), ("th", 7), ("ID", 7)])
def test_zones_of_the_region(country: str, offset_hours: int) -> None:
    offset = naive_date_zone(country).utcoffset(NOW)
    assert offset is not None and offset.total_seconds() == offset_hours * 3600
