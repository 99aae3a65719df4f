"""The operator's console: log levels and formats, startup notes, exit codes, quiet libraries."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from cli_runner import Monitor
from feedserver import FeedServer, closed_port_url

from monitor.cli.logs import SchedulerNoise, setup_logging

DATA = Path(__file__).parent / "data"


def two_feeds(monitor: Monitor, feed_server: FeedServer) -> None:
    good = feed_server.add("/who.xml", (DATA / "who_rss_en.xml").read_bytes())
    monitor.feeds.write_text(
        f'[[feed]]\nurl = "{good}"\nname = "WHO WPRO"\n\n'
        f'[[feed]]\nurl = "{feed_server.url("/missing.xml")}"\nname = "WHO SEARO"\n',
        encoding="utf-8",
    )


def test_poll_once_logs_each_failed_feed_once_by_name_and_a_summary_and_exits_1(
    monitor: Monitor, feed_server: FeedServer
) -> None:
    two_feeds(monitor, feed_server)

    result = monitor("poll", "--once", "--all", "--no-classify")

    assert result.exit_code == 1, result.output
    log_lines = result.stderr.splitlines()
    assert sum("WHO SEARO" in line for line in log_lines) == 2, result.stderr  # its line + summary
    assert any("WARNING WHO SEARO: HTTP 404" in line for line in log_lines), result.stderr
    summary = next(line for line in log_lines if "round " in line)
    assert "2 feeds, 3 new items, 1 failed (WHO SEARO: HTTP 404), next round " in summary
    assert feed_server.url("/missing.xml") not in result.stderr, "feeds are named by name"
    assert "retrying" not in result.stderr


def test_quiet_and_log_level_and_verbose(monitor: Monitor, feed_server: FeedServer) -> None:
    two_feeds(monitor, feed_server)

    quiet = monitor("--quiet", "poll", "--once", "--all", "--no-classify")
    assert "INFO" not in quiet.stderr and "WARNING" in quiet.stderr

    errors_only = monitor("poll", "--once", "--all", "--no-classify", MONITOR_LOG_LEVEL="error")
    assert errors_only.stderr == ""

    verbose = monitor("-v", "poll", "--once", "--all", "--no-classify")
    assert "DEBUG" in verbose.stderr


def test_a_bad_log_level_is_exit_2(monitor: Monitor) -> None:
    result = monitor("feeds", "list", MONITOR_LOG_LEVEL="loud")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: MONITOR_LOG_LEVEL: 'loud' is not one of DEBUG, INFO, WARNING, ERROR"
    )


def test_log_format_json_is_one_object_per_line(monitor: Monitor, feed_server: FeedServer) -> None:
    two_feeds(monitor, feed_server)

    result = monitor("--log-format", "json", "poll", "--once", "--all", "--no-classify")

    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["level"] == "WARNING" and r["message"].startswith("round ") for r in records)


def test_run_notes_where_alerts_go_and_an_empty_feeds_file(monitor: Monitor) -> None:
    from monitor.cli.service import startup_notes
    from monitor.settings import load_settings

    env = monitor.env()
    unset = [n for _, n in startup_notes(load_settings(env), [])]
    assert "MONITOR_TELEGRAM_TOKEN is unset" in unset[0]
    assert "has no feeds" in unset[1] and "monitor feeds add" in unset[1]

    env["MONITOR_TELEGRAM_TOKEN"] = "123:abc"
    notes = [n for _, n in startup_notes(load_settings(env), [])]
    assert "MONITOR_TELEGRAM_TOKEN is set" in notes[0]


@pytest.mark.slow  # the transformers import behind MONITOR_MODEL
def test_run_with_an_empty_feeds_file_says_so_before_starting(monitor: Monitor) -> None:
    monitor.feeds.write_text("# no feeds yet\n", encoding="utf-8")
    # a model that does not exist: `run` stops right after the notes, before serving
    result = monitor("run", MONITOR_MODEL=str(monitor.root / "no-model"))

    assert result.exit_code == 2
    assert "has no feeds" in result.stderr and "MONITOR_TELEGRAM_TOKEN is unset" in result.stderr


def test_apschedulers_max_instances_warning_becomes_our_debug_line(
    capsys: object,
) -> None:
    setup_logging(logging.INFO)
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    record = scheduler_log.makeRecord(
        "apscheduler.scheduler",
        logging.WARNING,
        __file__,
        1,
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
        ("poll due feeds", 1),
        None,
    )

    assert SchedulerNoise().filter(record) is False  # dropped at INFO
    assert record.levelno == logging.DEBUG
    assert record.getMessage().startswith("a round is still running at the next tick")
    setup_logging(logging.DEBUG)
    assert SchedulerNoise().filter(scheduler_log.makeRecord(
        "apscheduler.scheduler", logging.WARNING, __file__, 1,
        "Execution of job skipped: maximum number of running instances reached (1)", (), None,
    )) is True  # fmt: skip
    setup_logging(logging.WARNING)


@pytest.mark.slow  # real backoff between the attempts
def test_an_unreachable_feed_in_poll_once_is_one_line(monitor: Monitor) -> None:
    monitor.feeds.write_text(
        f'[[feed]]\nurl = "{closed_port_url()}/rss.xml"\nname = "Offline"\n', encoding="utf-8"
    )

    result = monitor("poll", "--once", "--all", "--no-classify")

    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if "Offline" in line]
    assert len(lines) == 2, result.stderr  # the feed's line and the round summary
    assert all(len(line) < 200 for line in result.stderr.splitlines())


# --- read-only commands read only ------------------------------------------------------------


def tables_in(url: str) -> list[str]:
    from sqlalchemy import create_engine, inspect

    from monitor.store.engine import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(url))
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_stats_on_a_fresh_postgresql_database_creates_nothing(
    monitor: Monitor, postgres_url: str
) -> None:
    result = monitor("stats", MONITOR_DATABASE_URL=postgres_url)

    assert result.exit_code == 2, result.output
    assert "was never set up" in result.stderr and "monitor db upgrade" in result.stderr
    assert tables_in(postgres_url) == []

    upgraded = monitor("db", "upgrade", MONITOR_DATABASE_URL=postgres_url)
    assert upgraded.exit_code == 0, upgraded.output
    assert "feeds" in tables_in(postgres_url)
    assert monitor("stats", MONITOR_DATABASE_URL=postgres_url).exit_code == 0


def test_stats_on_a_sqlite_file_under_a_missing_directory_creates_no_directory(
    monitor: Monitor,
) -> None:
    missing = monitor.root / "nowhere" / "monitor.db"

    result = monitor("stats", MONITOR_DATABASE_URL=f"sqlite:///{missing}")

    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"error: database sqlite:///{missing} does not exist yet: run `monitor db upgrade` "
        "(or `monitor run`, which also sets it up)"
    )
    assert not missing.parent.exists()


def test_recipients_list_on_an_empty_sqlite_file_creates_no_table(monitor: Monitor) -> None:
    (monitor.root / "monitor.db").touch()

    result = monitor("recipients", "list")

    assert result.exit_code == 2 and "was never set up" in result.stderr
    assert tables_in(monitor.database_url) == []


def test_a_database_behind_this_version_is_named_with_the_fix(monitor: Monitor) -> None:
    from monitor.store import downgrade_schema, upgrade_schema

    upgrade_schema(monitor.database_url)
    downgrade_schema(monitor.database_url, "0002")

    result = monitor("stats")

    assert result.exit_code == 2
    assert "is at schema revision 0002, this version needs" in result.stderr
    assert monitor("db", "upgrade").exit_code == 0
    assert monitor("stats").exit_code == 0


# --- names and URLs are unique in feeds.toml ---------------------------------------------------

TWO_WHO = """\
[[feed]]
url = "https://www.who.int/rss-feeds/news-english.xml"
name = "WHO news"

[[feed]]
url = "https://www.who.int/rss-feeds/other.xml"
name = "who  NEWS"
"""


def test_a_name_used_twice_in_feeds_toml_names_the_first_use(monitor: Monitor) -> None:
    monitor.feeds.write_text(TWO_WHO, encoding="utf-8")

    result = monitor("feeds", "list")

    assert result.exit_code == 2
    assert f"{monitor.feeds}:7:" in result.stderr
    assert "already used by feed #1, line 3" in result.stderr


def test_urls_that_canonicalise_alike_are_one_feed(monitor: Monitor) -> None:
    monitor.feeds.write_text(
        '[[feed]]\nurl = "https://WWW.WHO.int/rss.xml?utm_source=x"\nname = "A"\n\n'
        '[[feed]]\nurl = "https://www.who.int:443/rss.xml"\nname = "B"\n',
        encoding="utf-8",
    )

    result = monitor("feeds", "list")

    assert result.exit_code == 2
    assert f"{monitor.feeds}:6:" in result.stderr and "is already the URL of" in result.stderr


def test_feeds_add_refuses_a_used_name_and_a_duplicate_url(monitor: Monitor) -> None:
    monitor.feeds.write_text(TWO_WHO.split("\n\n")[0] + "\n", encoding="utf-8")
    before = monitor.feeds.read_text(encoding="utf-8")

    same_name = monitor("feeds", "add", "https://example.org/rss", "--name", "WHO News")
    same_feed = monitor(
        "feeds", "add", "https://WWW.who.int/rss-feeds/news-english.xml?utm_medium=rss#top"
    )

    assert same_name.exit_code == 2 and 'already named "WHO news"' in same_name.stderr
    assert same_feed.exit_code == 2 and "already has the URL" in same_feed.stderr
    assert monitor.feeds.read_text(encoding="utf-8") == before


def test_feeds_without_names_may_share_their_hosts_default(monitor: Monitor) -> None:
    monitor.feeds.write_text("", encoding="utf-8")

    first = monitor("feeds", "add", "https://news.google.com/rss/search?q=a")
    second = monitor("feeds", "add", "https://news.google.com/rss/search?q=b")

    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "added news.google.com" in second.stdout


# --- tables that fit, and JSON/CSV for scripts ---------------------------------------------------

SHIPPED_FEEDS = Path(__file__).parent.parent / "feeds.toml"


def cells_wide(text: str) -> int:
    from rich.cells import cell_len

    return max(cell_len(line) for line in text.splitlines())


def test_middle_keeps_both_ends() -> None:
    from monitor.cli.tables import middle

    url = "https://www.who.int/rss-feeds/news-english.xml"
    assert middle(url, 200) == url
    assert middle(url, 21) == "https://ww…nglish.xml"
    assert len(middle(url, 21)) == 21


def test_feeds_list_fits_80_columns_without_cutting_words(monitor: Monitor) -> None:
    from monitor.feeds import load_feeds

    result = monitor("feeds", "list", MONITOR_FEEDS=str(SHIPPED_FEEDS), COLUMNS="80")

    assert result.exit_code == 0, result.output
    assert cells_wide(result.stdout) <= 80
    words = {w for f in load_feeds(SHIPPED_FEEDS) for w in f.name.split()}  # tags: wider only
    table = result.stdout.replace("│", " ")
    tokens = {t.rstrip(",") for t in table.split()}
    cut = sorted(w for w in words if len(w) <= 24 and w not in tokens)
    assert cut == [], "words split across lines"
    assert "…" in result.stdout  # long URLs shortened in the middle
    names = [r.split("│")[1].strip() for r in result.stdout.splitlines() if r.startswith("│ ")]
    assert names[:3] == ["Abante", "ANTARA Humaniora", "ANTARA News"]


def test_feeds_list_as_json_and_csv(monitor: Monitor) -> None:
    as_json = monitor("feeds", "list", "--format", "json", MONITOR_FEEDS=str(SHIPPED_FEEDS))
    as_csv = monitor("feeds", "list", "--format", "csv", MONITOR_FEEDS=str(SHIPPED_FEEDS))

    records = json.loads(as_json.stdout)
    assert len(records) == 58
    assert [r["name"].casefold() for r in records] == sorted(r["name"].casefold() for r in records)
    assert set(records[0]) == {
        "name", "url", "language", "country", "source", "interval", "enabled", "fulltext",
        "tags",
    }  # fmt: skip
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "name,url,language,country,source,interval,enabled,fulltext,tags"
    assert len(lines) == 59


def test_feeds_check_as_json_exits_1_on_a_failure(
    monitor: Monitor, feed_server: FeedServer
) -> None:
    two_feeds(monitor, feed_server)

    result = monitor("feeds", "check", "--format", "json")

    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert [(r["feed"], r["ok"], r["status"]) for r in records] == [
        ("WHO SEARO", False, 404),
        ("WHO WPRO", True, 200),
    ]


def test_poll_and_stats_tables_fit_80_columns(monitor: Monitor, feed_server: FeedServer) -> None:
    two_feeds(monitor, feed_server)

    polled = monitor("poll", "--once", "--all", "--no-classify", COLUMNS="80")
    stats = monitor("stats", COLUMNS="80")
    as_csv = monitor("stats", "--format", "csv")

    assert cells_wide(polled.stdout) <= 80 and "seconds" not in polled.stdout
    assert stats.exit_code == 0 and cells_wide(stats.stdout) <= 80
    assert "failing 1" in stats.stdout
    assert as_csv.stdout.splitlines()[0].startswith("feed,url,state,")


@pytest.mark.slow  # two demo runs
def test_demo_numbers_items_the_same_on_every_run_and_is_short(monitor: Monitor) -> None:
    first = json.loads(monitor("demo", "--no-classify", "--format", "json").stdout)
    second = json.loads(monitor("demo", "--no-classify", "--format", "json").stdout)

    assert [(i["number"], i["title"]) for i in first["items"]] == [
        (i["number"], i["title"]) for i in second["items"]
    ]
    assert first["summary"]["items"] == len(first["items"]) >= 40
    duplicates = [i for i in first["items"] if i["duplicate_of"] is not None]
    assert duplicates and all(
        d["duplicate_of"] < d["number"] or d["duplicate_of"] for d in duplicates
    )

    short = monitor("demo", "--no-classify", COLUMNS="80")
    assert len(short.stdout.splitlines()) < 10 and cells_wide(short.stdout) <= 80
    assert "monitor demo --verbose" in short.stdout


def test_monitor_toml_problems_all_at_once_exit_2(monitor: Monitor) -> None:
    config = monitor.root / "monitor.toml"
    config.write_text('timezone = "Mars/Olympus"\n\n[poll]\nspeed = 1\n', encoding="utf-8")

    result = monitor("feeds", "list", MONITOR_CONFIG=str(config), MONITOR_SMTP_PORT="99999")

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: 3 problems in the settings:",
        f"{config}:1: key 'timezone': unknown time zone 'Mars/Olympus' (an IANA name like "
        "Asia/Seoul)",
        f"{config}:4: key 'poll.speed': unknown key; known keys: tick, lease, concurrency, "
        "per_host, max_bytes, timeout, budget, user_agent, max_entries",
        "MONITOR_SMTP_PORT: 99999 is out of range 1-65535",
    ]


def test_read_only_commands_create_nothing(monitor: Monitor) -> None:
    for args in (("subscribers", "list"), ("feedback", "export"), ("digest", "--to", "a@b.org")):
        result = monitor(*args)

        assert result.exit_code == 2, result.output
        assert "does not exist yet" in result.stderr and "monitor db upgrade" in result.stderr
    assert not (monitor.root / "monitor.db").exists()
