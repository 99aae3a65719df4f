"""Console tables at 80 columns (issue #20 parts 6 and 7): short failure phrases, words never
broken, a closed-port round in 20 lines; `monitor coverage`; silent feeds."""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, datetime, timedelta

from cli_runner import Monitor
from feedserver import FeedServer
from test_store_subscriptions import labels

from monitor.alerts.operators import OK, SILENT, feed_notices
from monitor.alerts.router import Router
from monitor.cli.tables import fit_text, middle, wrap_words
from monitor.ingest.report import diagnosis
from monitor.ingest.silence import FLOOR, silence, silent_feeds, usual_gap
from monitor.models import FeedHealth, FeedSpec, Item
from monitor.store import Store

LONG_WORDS = ("Extraordinarilylongfeedname", "Internationalisation", "Interministerial")
NAME = "Extraordinarilylongfeedname of the Interministerial Internationalisation Office"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Q</title>'
    "<item><title>Old news</title><link>https://q.example/0</link></item></channel></rss>"
)


def closed_port() -> int:
    """A port on 127.0.0.1 that was bound and closed: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def write_feeds(monitor: Monitor, count: int, port: int) -> None:
    monitor.feeds.write_text(
        "".join(
            f'[[feed]]\nurl = "http://127.0.0.1:{port}/feed{i}.xml"\n'
            f'name = "{NAME} number {i}"\ncountry = "KR"\nlanguage = "ko"\nsource = "ministry"\n'
            f'tags = ["{LONG_WORDS[1]}", "official"]\n\n'
            for i in range(count)
        )
    )


def assert_fits(output: str, width: int = 80) -> None:
    """No line wider than `width`, and no long word split across lines (only shortened with …)."""
    lines = output.splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    for token in re.findall(r"[^\s│┃|,;:()]+", output):
        if "…" in token:
            continue
        for word in LONG_WORDS:
            if (
                token != word
                and len(token) >= 5
                and (word.startswith(token) or word.endswith(token))
            ):
                raise AssertionError(f"{word!r} broken into {token!r}")


def test_words_wrap_between_words_and_long_ones_are_shortened_in_the_middle() -> None:
    assert wrap_words("the Interministerial office", 14) == ["the", "Intermi…terial", "office"]
    assert wrap_words("a b c", 3) == ["a b", "c"]
    assert middle("보건복지부 보도자료", 9) == "보건…자료"  # two cells a character
    assert fit_text("one two three four five six", 9, 1) == "one … six"
    assert fit_text("one two", 9, 1) == "one two"


def test_failures_get_the_logs_short_phrase() -> None:
    assert diagnosis("HTTP 404 Not Found for <url>") == "HTTP 404"
    assert diagnosis("connection failed: ConnectError: All connection attempts failed") == (
        "cannot connect"
    )
    assert diagnosis("[Errno -2] Name or service not known") == "DNS lookup failed"
    assert diagnosis("ReadTimeout: timed out") == "timed out"


def test_a_round_over_six_closed_port_feeds_fits_in_twenty_lines(monitor: Monitor) -> None:
    write_feeds(monitor, 6, closed_port())
    result = monitor(
        "poll", "--once", "--all", "--no-classify", COLUMNS="80", MONITOR_ALLOW_PRIVATE_FEEDS="1"
    )
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert len(lines) <= 20, result.output
    assert all(len(line) <= 100 for line in lines), result.output
    assert result.output.count("cannot connect") >= 6
    assert "ConnectError" not in result.output  # the details are at -v and in JSON
    assert_fits("\n".join(line for line in lines if line[:1] in "┃│┏┡└"))


def test_every_table_command_fits_80_columns_with_long_values(monitor: Monitor) -> None:
    write_feeds(monitor, 3, closed_port())
    env = {"COLUMNS": "80", "MONITOR_ALLOW_PRIVATE_FEEDS": "1"}
    monitor("subscribers", "add", "5", "--title", NAME, "--keyword", NAME, "--official")
    monitor("recipients", "add", "extraordinarily.long.name@ministry.example.go.kr", "--official")
    outputs = {}
    for command in (
        ("feeds", "list"),
        ("feeds", "check"),
        ("poll", "--once", "--all", "--no-classify"),
        ("stats",),
        ("subscribers", "list"),
        ("recipients", "list"),
        ("coverage",),
    ):
        result = monitor(*command, **env)
        assert result.exit_code in (0, 1), (command, result.output)
        table = "\n".join(line for line in result.output.splitlines() if line[:1] in "┃│┏┡└")
        assert table, (command, result.output)
        assert_fits(table)
        assert len(result.output.splitlines()) <= 60, (command, result.output)  # stats: 3 tables
        outputs[command] = result.output
    checked = json.loads(monitor("feeds", "check", "--format", "json", **env).output)
    assert "ConnectError" in checked[0]["error"]  # the whole text for scripts


def test_coverage_shows_gaps_as_table_json_and_csv(monitor: Monitor) -> None:
    monitor.feeds.write_text(
        '[[feed]]\nurl = "https://a.example/rss"\nname = "MOHW"\ncountry = "KR"\n'
        'language = "ko"\nsource = "ministry"\n\n'
        '[[feed]]\nurl = "https://b.example/rss"\nname = "Wire"\ncountry = "KR"\n'
        'language = "ko"\nsource = "wire"\n'
    )
    with Store.open(monitor.database_url) as store:
        store.sync_feeds(
            [
                FeedSpec("https://a.example/rss", "MOHW", "ko", "KR", source="ministry"),
                FeedSpec("https://b.example/rss", "Wire", "ko", "KR", source="wire"),
            ],
            NOW,
        )
        store.record_success(
            "https://a.example/rss", now=NOW, status=200, etag=None, last_modified=None,
            entries=1, encoding="utf-8", problem=None, next_due_at=NOW,
        )  # fmt: skip
        seen = datetime.now(UTC) - timedelta(days=1)
        for n, feed in enumerate(("https://a.example/rss", "https://a.example/rss")):
            item = Item(feed, f"g{n}", f"https://a.example/{n}", f"t{n}", "x", seen)
            item_id = store.add_item(
                item, first_seen_at=seen, content_hash=f"h{n}", signature=[n], bands=[],
                duplicate_of=None,
            )  # fmt: skip
            assert item_id is not None
            Router(store).save_labels_and_route(
                item_id, f"h{n}", "m", labels(relevant=n == 0), seen
            )
    cells = json.loads(monitor("coverage", "--format", "json").output)
    by_source = {c["source"]: c for c in cells if c["country"] == "KR"}
    assert by_source["ministry"]["healthy"] == 1 and not by_source["ministry"]["gap"]
    assert by_source["ministry"]["items_30d"] == 1  # the relevant one of its two items
    assert by_source["wire"]["enabled"] == 1 and by_source["wire"]["gap"]  # never polled
    assert by_source["search"]["enabled"] == 0 and by_source["search"]["gap"]
    csv = monitor("coverage", "--format", "csv").output.splitlines()
    assert csv[0].startswith("country,language,source,enabled,healthy")
    table = monitor("coverage", COLUMNS="80").output
    assert "KR ko" in table and "1/1 1" in table and "cells without a healthy feed" in table


def test_a_feed_is_silent_after_much_longer_than_its_usual_gap() -> None:
    hourly = [NOW - timedelta(hours=h) for h in range(30, 60)]  # hourly, then nothing for 30 h
    assert usual_gap(hourly) == timedelta(hours=1)
    found = silence(hourly, NOW)
    assert found is not None and found.since == timedelta(hours=30) and found.limit == FLOOR
    assert "no new item for 1d 6h (usually every 1h)" == found.describe()
    assert silence(hourly, NOW - timedelta(hours=8)) is None  # 22 h: under the floor
    assert silence(hourly, NOW, answering=False) is None  # failing, not silent
    one_poll = [NOW - timedelta(days=5)] * 20  # a back catalogue seen at once: too little
    assert silence(one_poll, NOW) is None
    daily = [NOW - timedelta(days=d) for d in range(4, 30)]
    assert silence(daily, NOW) is not None  # 4 days: beyond 3 x its usual day
    assert silence(daily, NOW - timedelta(days=2)) is None


def _health(url: str, **values: object) -> FeedHealth:
    base: dict[str, object] = {
        "url": url, "name": "MOHW", "enabled": True, "removed_at": None,
        "items_total": 30, "items_last_24h": 0, "last_success_at": NOW,
    }  # fmt: skip
    base.update(values)
    return FeedHealth(**base)  # type: ignore[arg-type]


def test_operators_hear_once_that_a_feed_fell_silent_and_once_that_it_is_back() -> None:
    url = "https://a.example/rss"
    hourly = {url: [NOW - timedelta(hours=h) for h in range(30, 60)]}
    silent = {u: s.describe() for u, s in silent_feeds([_health(url)], hourly, NOW).items()}
    (notice,) = feed_notices([_health(url)], {}, silent=silent)
    assert notice.state == SILENT and "answers but is silent: no new item for 1d 6h" in notice.text
    assert feed_notices([_health(url)], {url: SILENT}, silent=silent) == []  # told once
    (back,) = feed_notices([_health(url)], {url: SILENT}, silent={})
    assert back.state == OK and "has new items again" in back.text
    failing = _health(url, consecutive_errors=1, last_error="HTTP 500")
    assert silent_feeds([failing], hourly, NOW) == {}  # failing is not silent


def test_feeds_check_and_stats_report_a_silent_feed(
    monitor: Monitor, feed_server: FeedServer
) -> None:
    url = feed_server.add("/quiet.xml", RSS.encode())
    monitor.feeds.write_text(f'[[feed]]\nurl = "{url}"\nname = "Quiet"\n')
    now = datetime.now(UTC)
    with Store.open(monitor.database_url) as store:
        store.sync_feeds([FeedSpec(url, "Quiet")], now)
        for n, hours in enumerate(range(40, 70)):
            item = Item(url, f"g{n}", f"https://q.example/{n}", f"t{n}", "x", None)
            store.add_item(
                item, first_seen_at=now - timedelta(hours=hours), content_hash=f"h{n}",
                signature=[n], bands=[], duplicate_of=None,
            )  # fmt: skip
        store.record_success(
            url, now=now, status=200, etag=None, last_modified=None, entries=1,
            encoding="utf-8", problem=None, next_due_at=now,
        )  # fmt: skip
    env = {"COLUMNS": "80", "MONITOR_ALLOW_PRIVATE_FEEDS": "1"}
    checked = monitor("feeds", "check", **env)
    assert checked.exit_code == 0, checked.output
    assert "silent 200" in checked.output and "no new item for 1d" in checked.output
    record = json.loads(monitor("feeds", "check", "--format", "json", **env).output)[0]
    assert record["ok"] and record["silent"].startswith("no new item for 1d 16h")
    assert "silent" in monitor("stats", **env).output
