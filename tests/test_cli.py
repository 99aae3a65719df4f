"""The `monitor` commands through click's runner, against real files, databases and feed servers."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cli_runner import Monitor
from click.testing import Result
from feedserver import FeedServer, closed_port_url

from monitor.feeds import load_feeds
from monitor.store import Store

DATA = Path(__file__).parent / "data"
SHIPPED_FEEDS = Path(__file__).parent.parent / "feeds.toml"
CLASSIFY_KEYS = {"id", "language", "relevant", "cooperation", "topics", "countries", "summary"}

FEEDS_TOML = """\
# Sources for the test desk.
# A second comment line, kept by every edit.

[defaults]
interval = "30m"

# WHO, in English
[[feed]]
url = "https://www.who.int/rss-feeds/news-english.xml"
name = "WHO news"
language = "en"
tags = ["who", "official"]  # inline comment

# KDCA press releases
[[feed]]
url = "https://kdca.example/rss.xml"
name = "KDCA"
language = "ko"
country = "KR"
interval = "1h"
"""


def table_rows(text: str, after: str | None = None) -> list[list[str]]:
    """The first line of each row of the rich tables in `text` (after the line containing `after`).

    A row starts with a cell whose first line is not blank; wrapped continuation lines of
    rows whose first cell is blank are skipped, and so are header and rule lines.
    """
    lines = text.splitlines()
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line)
        lines = lines[start + 1 :]
    rows = []
    for line in lines:
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0]:
            rows.append(cells)
    return rows


def one_line_error(result: Result) -> str:
    """The stderr of a failed command: exactly one line, starting with `error: `."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# --- feeds list | add | remove | enable | disable -------------------------------------------------


def test_feeds_list_shows_every_feed(monitor: Monitor) -> None:
    monitor.feeds.write_text(FEEDS_TOML, encoding="utf-8")

    result = monitor("feeds", "list")

    assert result.exit_code == 0, result.output
    assert "2 feeds" in result.stdout
    rows = {r[0]: r for r in table_rows(result.stdout)}
    assert set(rows) == {"WHO news", "KDCA"}
    assert rows["WHO news"][1:3] == ["en", "30m"]
    assert rows["KDCA"][1:3] == ["ko KR", "1h00m"]
    assert rows["WHO news"][-1] == "https://www.who.int/rss-feeds/news-english.xml"


def test_feeds_add_disable_enable_remove_keep_the_operators_comments(monitor: Monitor) -> None:
    monitor.feeds.write_text(FEEDS_TOML, encoding="utf-8")

    added = monitor(
        "feeds", "add", "https://www.mohw.go.kr/rss/news.xml", "--name", "MOHW",
        "--language", "ko", "--interval", "15m",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    text = monitor.feeds.read_text(encoding="utf-8")
    assert text.startswith(FEEDS_TOML), "the existing text, comments included, is untouched"
    listed = {r[0]: r for r in table_rows(monitor("feeds", "list").stdout)}
    assert listed["MOHW"][1:3] == ["ko", "15m"]
    assert listed["MOHW"][-1] == "https://www.mohw.go.kr/rss/news.xml"

    assert monitor("feeds", "disable", "MOHW").exit_code == 0
    listed = {r[0]: r for r in table_rows(monitor("feeds", "list").stdout)}
    assert listed["MOHW"][2] == "off"
    assert listed["KDCA"][2] == "1h00m"
    assert monitor.feeds.read_text(encoding="utf-8").startswith(FEEDS_TOML)

    assert monitor("feeds", "enable", "MOHW").exit_code == 0
    listed = {r[0]: r for r in table_rows(monitor("feeds", "list").stdout)}
    assert listed["MOHW"][2] == "15m"

    # a feed can be named by its URL too
    assert monitor("feeds", "disable", "https://kdca.example/rss.xml").exit_code == 0
    assert [f.enabled for f in load_feeds(monitor.feeds)] == [True, False, True]
    assert "# KDCA press releases" in monitor.feeds.read_text(encoding="utf-8")

    removed = monitor("feeds", "remove", "MOHW")
    assert removed.exit_code == 0, removed.output
    listed = {r[0]: r for r in table_rows(monitor("feeds", "list").stdout)}
    assert set(listed) == {"WHO news", "KDCA"}
    text = monitor.feeds.read_text(encoding="utf-8")
    assert "mohw.go.kr" not in text
    for comment in ("# Sources for the test desk.", "# WHO, in English", "# inline comment"):
        assert comment in text


def test_feeds_add_refuses_a_bad_interval_and_leaves_the_file_alone(monitor: Monitor) -> None:
    monitor.feeds.write_text(FEEDS_TOML, encoding="utf-8")

    result = monitor("feeds", "add", "https://x.example/rss", "--interval", "often")

    line = one_line_error(result)
    assert '"often"' in line
    assert monitor.feeds.read_text(encoding="utf-8") == FEEDS_TOML


def test_feeds_remove_an_unknown_feed_is_an_error(monitor: Monitor) -> None:
    monitor.feeds.write_text(FEEDS_TOML, encoding="utf-8")

    result = monitor("feeds", "remove", "nonexistent feed")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "nonexistent feed" in result.stderr
    assert monitor.feeds.read_text(encoding="utf-8") == FEEDS_TOML


@pytest.mark.parametrize(
    ("edit", "line_no", "words"),
    [
        (('interval = "1h"', 'interval = "15x"'), 20, ["'interval'", '"15x"', "KDCA"]),
        (('country = "KR"', 'country = "KR"\ncolour = "red"'), 20, ["colour", "KDCA"]),
    ],
    ids=["bad-interval", "unknown-key"],
)
def test_a_broken_feeds_file_is_one_line_naming_file_and_line(
    monitor: Monitor, edit: tuple[str, str], line_no: int, words: list[str]
) -> None:
    old, new = edit
    monitor.feeds.write_text(FEEDS_TOML.replace(old, new), encoding="utf-8")

    result = monitor("feeds", "list", COLUMNS="60")  # narrow: the error line must not wrap

    line = one_line_error(result)
    assert f"{monitor.feeds}:{line_no}:" in line
    for word in words:
        assert word in line


def test_a_broken_poll_table_names_the_key(monitor: Monitor) -> None:
    (monitor.root / "monitor.toml").write_text('[poll]\ntick = "soon"\n', encoding="utf-8")
    monitor.feeds.write_text(FEEDS_TOML, encoding="utf-8")

    line = one_line_error(monitor("feeds", "list", COLUMNS="60"))

    assert "monitor.toml:2: key 'poll.tick'" in line
    assert '"soon"' in line


def test_bad_smtp_tls_setting_is_an_error(monitor: Monitor) -> None:
    monitor.feeds.write_text(FEEDS_TOML, encoding="utf-8")

    line = one_line_error(monitor("stats", MONITOR_SMTP_TLS="bogus"))

    assert line.startswith("error: MONITOR_SMTP_TLS")
    assert "'bogus'" in line


def test_explicit_missing_config_file_is_an_error(monitor: Monitor) -> None:
    monitor.feeds.write_text(FEEDS_TOML, encoding="utf-8")
    missing = monitor.root / "nowhere" / "monitor.toml"

    line = one_line_error(monitor("feeds", "list", MONITOR_CONFIG=str(missing)))

    assert line.startswith("error: MONITOR_CONFIG")
    assert str(missing) in line


# --- feeds check ---------------------------------------------------------------------------------


def test_feeds_check_reports_each_feed(monitor: Monitor, feed_server: FeedServer) -> None:
    good = feed_server.add("/who.xml", (DATA / "who_rss_en.xml").read_bytes())
    missing = feed_server.url("/gone.xml")
    page = feed_server.add(
        "/page.html",
        b"<!doctype html><html><head><title>Ministry</title></head>"
        b"<body><p>Welcome to our website.</p></body></html>",
        content_type="text/html; charset=utf-8",
    )
    monitor.feeds.write_text(
        f'[[feed]]\nurl = "{good}"\nname = "good feed"\n\n'
        f'[[feed]]\nurl = "{missing}"\nname = "missing feed"\n\n'
        f'[[feed]]\nurl = "{page}"\nname = "html page"\n',
        encoding="utf-8",
    )

    result = monitor("feeds", "check")

    assert result.exit_code == 1, "a failing feed fails the check"
    rows = {r[0]: r for r in table_rows(result.stdout)}
    assert set(rows) == {"good feed", "missing feed", "html page"}
    assert rows["good feed"][1] == "ok 200"
    assert rows["good feed"][2] == "3"
    assert rows["missing feed"][1] == "error 404"
    assert "404" in rows["missing feed"][-1]
    assert rows["html page"][1].startswith("error")
    assert "HTML" in rows["html page"][-1], "the row says the page is not a feed"
    assert "1 of 3 feeds OK" in result.stdout
    assert feed_server.hits("/who.xml") == feed_server.hits("/gone.xml") == 1


def test_feeds_check_exits_0_when_every_feed_is_ok(
    monitor: Monitor, feed_server: FeedServer
) -> None:
    first = feed_server.add("/a.xml", (DATA / "who_rss_en.xml").read_bytes())
    second = feed_server.add("/b.xml", (DATA / "who_rss_en.xml").read_bytes())
    monitor.feeds.write_text(
        f'[[feed]]\nurl = "{first}"\nname = "a"\n\n[[feed]]\nurl = "{second}"\nname = "b"\n',
        encoding="utf-8",
    )

    result = monitor("feeds", "check")

    assert result.exit_code == 0, result.output
    assert "2 of 2 feeds OK" in result.stdout


def test_feeds_check_on_the_shipped_file_without_network(monitor: Monitor) -> None:
    """The first five shipped feeds, every connection refused: one clear error per feed."""
    text = SHIPPED_FEEDS.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^\[\[feed\]\]", text, flags=re.MULTILINE)]
    monitor.feeds.write_text(text[: starts[5]], encoding="utf-8")
    names = [f.name for f in load_feeds(monitor.feeds)]
    assert len(names) == 5
    (monitor.root / "monitor.toml").write_text('[poll]\ntimeout = "10s"\n', encoding="utf-8")
    # Every request goes to a local port where nothing listens: no test reaches the internet.
    nowhere = closed_port_url().rstrip("/")

    result = monitor(
        "feeds", "check", HTTP_PROXY=nowhere, HTTPS_PROXY=nowhere, ALL_PROXY=nowhere, NO_PROXY=""
    )

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    rows = {r[0]: r for r in table_rows(result.stdout)}
    assert set(rows) == set(names)
    for row in rows.values():
        assert row[1] == "error"
        assert row[-1] in ("cannot connect", "proxy error")  # the log's phrase
    assert "0 of 5 feeds OK" in result.stdout


# --- poll and stats ------------------------------------------------------------------------------


def serve_two_feeds(feed_server: FeedServer, monitor: Monitor) -> None:
    who = feed_server.add("/who.xml", (DATA / "who_rss_en.xml").read_bytes(), etag='"w1"')
    kdca = feed_server.add(
        "/kdca.xml",
        (DATA / "kdca_rss_euckr.xml").read_bytes(),
        content_type="application/rss+xml; charset=euc-kr",
        last_modified="Thu, 22 May 2025 01:00:00 GMT",
    )
    monitor.feeds.write_text(
        f'[[feed]]\nurl = "{who}"\nname = "WHO WPRO"\nlanguage = "en"\n\n'
        f'[[feed]]\nurl = "{kdca}"\nname = "KDCA (EUC-KR)"\nlanguage = "ko"\n',
        encoding="utf-8",
    )


def expected_titles(*names: str) -> list[str]:
    return [
        item["title"]
        for name in names
        for item in json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    ]


def test_poll_once_stores_new_items_once(monitor: Monitor, feed_server: FeedServer) -> None:
    serve_two_feeds(feed_server, monitor)
    titles = expected_titles("who_rss_en", "kdca_rss_euckr")

    first = monitor("poll", "--once", "--all", "--no-classify")

    assert first.exit_code == 0, first.output
    assert f"2 feeds polled, 0 failed, {len(titles)} new items" in first.stdout
    rows = {r[0]: r for r in table_rows(first.stdout)}
    assert set(rows) == {"WHO WPRO", "KDCA (EUC-KR)"}
    assert rows["KDCA (EUC-KR)"][1] == "200"
    assert rows["KDCA (EUC-KR)"][3] == "2"
    with Store.open(monitor.database_url) as store:
        stored = store.recent_items(limit=100)
    assert sorted(i.title for i in stored) == sorted(titles)
    assert "질병관리청, 라오스와 뎅기열 감시체계 공동연구 착수" in {i.title for i in stored}

    second = monitor("poll", "--once", "--all", "--no-classify")

    assert second.exit_code == 0, second.output
    assert "2 feeds polled, 0 failed, 0 new items" in second.stdout
    assert [r.headers.get("if-none-match") for r in feed_server.requests("/who.xml")] == [
        None,
        '"w1"',
    ]
    assert {r[0]: r[1] for r in table_rows(second.stdout)} == {
        "WHO WPRO": "304",
        "KDCA (EUC-KR)": "304",
    }

    stats = monitor("stats", "--days", "3", "--format", "json")

    assert stats.exit_code == 0, stats.output
    report = json.loads(stats.stdout)
    health = {r["feed"]: r for r in report["feeds"]}
    assert {"WHO WPRO", "KDCA (EUC-KR)"} <= set(health)
    assert health["KDCA (EUC-KR)"]["enabled"] is True
    assert health["KDCA (EUC-KR)"]["state"] == "ok"
    assert health["KDCA (EUC-KR)"]["consecutive_errors"] == 0
    assert health["KDCA (EUC-KR)"]["items"] == 2
    assert health["WHO WPRO"]["items"] == len(titles) - 2
    per_day = report["items_per_day"]
    assert len(per_day) == 3
    assert per_day[-1] == {"day": datetime.now(UTC).date().isoformat(), "items": len(titles)}
    assert [r["items"] for r in per_day[:-1]] == [0, 0]
    table = monitor("stats", "--days", "3")
    assert {r[0]: r[1] for r in table_rows(table.stdout, after="feed health")}["WHO WPRO"] == "ok"


def test_poll_without_once_is_a_usage_error(monitor: Monitor) -> None:
    monitor.feeds.write_text(FEEDS_TOML, encoding="utf-8")

    result = monitor("poll")

    assert result.exit_code == 2
    assert "--once" in result.stderr
    assert not (monitor.root / "monitor.db").exists(), "nothing was opened"


def test_poll_reports_a_failing_feed_and_goes_on(monitor: Monitor, feed_server: FeedServer) -> None:
    good = feed_server.add("/who.xml", (DATA / "who_rss_en.xml").read_bytes())
    broken = feed_server.url("/missing.xml")
    monitor.feeds.write_text(
        f'[[feed]]\nurl = "{good}"\nname = "good"\n\n[[feed]]\nurl = "{broken}"\nname = "gone"\n',
        encoding="utf-8",
    )

    result = monitor("poll", "--once", "--all", "--no-classify")

    assert result.exit_code == 1, result.output  # cron notices a failing feed
    assert "2 feeds polled, 1 failed, 3 new items" in result.stdout
    rows = {r[0]: r for r in table_rows(result.stdout)}
    assert "404" in rows["gone"][-1]


# --- classify ------------------------------------------------------------------------------------

CLASSIFY_INPUT = [
    json.dumps({
        "id": "ko-1",
        "title": "한국-인도네시아, AI 원격진료 협력 양해각서 체결",
        "text": "보건복지부는 인도네시아 보건부와 인공지능 기반 원격진료 협력을 위한 양해각서를 "
        "체결했다고 밝혔다. 양국은 의료진 교육과 디지털 헬스 시범사업을 함께 추진한다.",
    }, ensure_ascii=False),
    json.dumps({
        "id": "en-1",
        "title": "Bank shares rise after central bank holds rates",
        "text": "Stocks of major banks rose on Tuesday after the central bank kept interest "
        "rates unchanged, analysts said.",
    }),
    '{"id": "broken", "title": "no closing brace"',
    json.dumps({"title": "No id here", "text": "Hospitals in Hanoi expand dengue wards."}),
    json.dumps({
        "id": "ja-1",
        "title": "厚生労働省、フィリピンと保健医療分野の協力覚書に署名",
        "text": "厚生労働省はフィリピン保健省とユニバーサル・ヘルス・カバレッジの推進に関する"
        "協力覚書に署名した。",
    }, ensure_ascii=False),
]  # fmt: skip


def check_classified(lines: list[str]) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == ["ko-1", "en-1", "ja-1"]
    for record in records:
        assert CLASSIFY_KEYS <= set(record)
        assert isinstance(record["relevant"], bool)
        assert isinstance(record["cooperation"], bool)
        assert isinstance(record["topics"], list)
        assert isinstance(record["countries"], list)
        assert isinstance(record["summary"], str)
    by_id = {str(r["id"]): r for r in records}
    assert by_id["ko-1"]["language"] == "ko"
    assert by_id["ja-1"]["language"] == "ja"
    assert by_id["en-1"]["language"] == "en"
    return records


def test_classify_a_file_reports_bad_lines_and_keeps_order(classify_monitor: Monitor) -> None:
    source = classify_monitor.root / "items.jsonl"
    junk = b"\xff\xfe\x00binary junk\x80\n"  # not UTF-8: reported and skipped like the rest
    source.write_bytes(("\n".join(CLASSIFY_INPUT) + "\n").encode() + junk)
    target = classify_monitor.root / "labels.jsonl"

    result = classify_monitor("classify", "--jsonl", str(source), "--out", str(target))

    assert result.exit_code == 0, result.output
    assert f"{source}:3: not valid JSON" in result.stderr
    assert f"{source}:4: missing key 'id'" in result.stderr
    assert f"{source}:6: not UTF-8: byte 0xff at column 1" in result.stderr
    assert f"{source}:1:" not in result.stderr
    assert result.stdout == ""
    records = check_classified(target.read_text(encoding="utf-8").splitlines())
    korean = records[0]
    assert korean["relevant"] is True
    assert korean["cooperation"] is True
    assert "KR" in korean["countries"] and "ID" in korean["countries"]
    assert records[1]["relevant"] is False


def test_classify_with_a_missing_model_is_one_line_and_exit_2(monitor: Monitor) -> None:
    result = monitor(
        "classify", "--jsonl", "-", input=CLASSIFY_INPUT[0] + "\n", MONITOR_MODEL="/nonexistent"
    )

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and "/nonexistent" in result.stderr
    assert "Traceback" not in result.output


def test_classify_to_a_missing_directory_fails_before_the_model_loads(monitor: Monitor) -> None:
    target = monitor.root / "missing-dir" / "x.jsonl"
    result = monitor("classify", "--jsonl", "-", "--out", str(target), input=CLASSIFY_INPUT[0])

    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"error: {target}: No such file or directory"


@pytest.mark.parametrize("line", ["data_dir = 5", "feeds = 3"])
def test_a_wrong_type_in_monitor_toml_is_one_line_and_exit_2(monitor: Monitor, line: str) -> None:
    config = monitor.root / "monitor.toml"
    config.write_text(line + "\n", encoding="utf-8")
    # the runner sets MONITOR_FEEDS and MONITOR_DATA_DIR; empty, they leave the file its say
    result = monitor(
        "feeds", "list", MONITOR_CONFIG=str(config), MONITOR_FEEDS="", MONITOR_DATA_DIR=""
    )

    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "must be a string" in result.stderr


def test_an_unexpected_error_shows_a_traceback_and_asks_for_a_report() -> None:
    from monitor.cli.main import BUG_HINT, expected_failure

    assert expected_failure(KeyError("x")) is None  # a bug: traceback and BUG_HINT
    assert expected_failure(OSError(28, "No space left on device", "/data/x.db")) == (
        "/data/x.db: No space left on device"
    )
    assert "report" in BUG_HINT


def test_classify_from_stdin_to_stdout(classify_monitor: Monitor) -> None:
    result = classify_monitor("classify", "--jsonl", "-", input="\n".join(CLASSIFY_INPUT) + "\n")

    assert result.exit_code == 0, result.output
    assert "<stdin>:3:" in result.stderr
    assert "<stdin>:4:" in result.stderr
    check_classified(result.stdout.splitlines())


# --- demo ----------------------------------------------------------------------------------------


def test_demo_without_classification_collects_every_feed(monitor: Monitor) -> None:
    result = monitor("demo", "--no-classify", "--verbose")

    assert result.exit_code == 0, result.output
    items = table_rows(result.stdout, after="collected items")
    assert len(items) >= 40
    assert all(row[0].isdigit() for row in items)
    languages = {row[2] for row in items}
    assert {"en", "ko", "zh", "ja", "th", "id", "vi"} <= languages, languages
    assert any(row[4].startswith("duplicate of #") for row in items)
    second = re.search(r"Second pass: (\d+) of (\d+) feeds answered 304", result.stdout)
    assert second is not None, result.stdout
    assert second.group(1) == second.group(2) != "0"
    assert "0 items stored again" in result.stdout
    assert not monitor.data_dir.exists(), "the demo works in a temporary folder"


def test_demo_with_classification_shows_cooperation_alerts(classify_monitor: Monitor) -> None:
    result = classify_monitor("demo")

    assert result.exit_code == 0, result.output
    alerts = table_rows(result.stdout, after="alerts for a default subscriber")
    assert alerts, result.stdout
    assert all(row[0].isdigit() for row in alerts)
    countries = [set(row[2].split(", ")) for row in alerts]
    assert {"KR", "ID"} in countries or {"KR", "CN", "JP"} in countries, alerts
    assert "0 items stored again" in result.stdout
