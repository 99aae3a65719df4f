"""`monitor feeds ...`: operate feeds.toml."""

from __future__ import annotations

import asyncio
import logging

import click

from monitor.cli.main import EXIT_FAILED, err, main, out, settings_of
from monitor.cli.tables import Column, Format, Value, brief_error, emit, format_option
from monitor.filters import SOURCE_TYPES
from monitor.ingest.report import feed_label, short_error

log = logging.getLogger("monitor.feeds")


@main.group()
def feeds() -> None:
    """Operate feeds.toml: list, check, add, remove, enable, disable."""


FORMAT_OPTION = format_option()

SHORT_SOURCES = {"international": "intl", "state_media": "state"}  # narrow source column
WIDE_ENOUGH_FOR_TAGS = 110  # narrower, the names and URLs need the room more than the tags
FEED_COLUMNS = (
    Column("name", "name"),
    Column("lang", "where", "code"),
    Column("every", "every", "code"),
    Column("source", "source", "code", show=lambda v: SHORT_SOURCES.get(str(v), str(v or "-"))),
    Column("tags", "tags"),
    Column("url", "url", "url"),
)


@feeds.command(name="list")
@FORMAT_OPTION
@click.pass_context
def feeds_list(ctx: click.Context, fmt: Format) -> None:
    """List the feeds of feeds.toml, by name ("off": disabled; "+fulltext" among the tags)."""
    from monitor.feeds import load_feeds

    settings = settings_of(ctx.find_root())
    specs = sorted(load_feeds(settings.feeds_path), key=lambda s: (s.name.casefold(), s.url))
    records = [
        {
            "name": s.name,
            "url": s.url,
            "language": s.language,
            "country": s.country,
            "source": s.source,
            "interval": int(s.interval.total_seconds()),
            "enabled": s.enabled,
            "fulltext": s.fulltext,
            "tags": list(s.tags),
        }
        for s in specs
    ]
    if fmt == "table":  # narrow: language and country in one cell, "off" for a disabled feed
        records = [
            {
                **r,
                "where": " ".join(str(v) for v in (r["language"], r["country"]) if v) or "-",
                "every": _duration(s.interval.total_seconds()) if s.enabled else "off",
                "tags": [*s.tags, "+fulltext"] if s.fulltext else list(s.tags),
            }
            for r, s in zip(records, specs, strict=True)
        ]
    columns: tuple[Column, ...] = FEED_COLUMNS
    title = f"{settings.feeds_path}: {len(specs)} feeds"
    if fmt == "table" and out.width < WIDE_ENOUGH_FOR_TAGS:
        columns = tuple(c for c in FEED_COLUMNS if c.key != "tags")
        title += " (tags: wider terminal or --format json)"
    emit(out, fmt, title, columns, records)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


CHECK_COLUMNS = (
    Column("feed", "feed", max_lines=2),
    Column("result", "result", "code"),
    Column("entries", "entries", "number"),
    Column("encoding", "encoding", "code"),
    Column("latency", "latency_s", "number", show=lambda v: f"{v:.2f}s" if v is not None else "-"),
    Column("error", "error", show=brief_error, max_lines=2),
)


@feeds.command(name="check")
@click.option("--all", "include_disabled", is_flag=True, help="Also check disabled feeds.")
@FORMAT_OPTION
@click.pass_context
def feeds_check(ctx: click.Context, include_disabled: bool, fmt: Format) -> None:
    """Fetch every feed now (concurrently) and report status, entries, encoding, latency.

    Exits 1 when any feed failed, so a deploy script or cron job can act on it.
    """
    from monitor.feeds import load_feeds
    from monitor.ingest.address_guard import FetchGuards
    from monitor.ingest.check import check_feeds

    settings = settings_of(ctx.find_root())
    specs = [s for s in load_feeds(settings.feeds_path) if s.enabled or include_disabled]
    progress = err if fmt == "table" else None  # a script reads stdout; no bar for it
    guards = FetchGuards(allow_private_feeds=settings.allow_private_feeds)
    results = asyncio.run(
        check_feeds(specs, settings.poll, progress_console=progress, guards=guards)
    )
    silent = _silent_feeds(settings.database_url)
    # failures first, then silent feeds, then by name: what needs attention is on top
    ordered = sorted(
        results,
        key=lambda r: (
            r.error is None,
            r.feed.url not in silent,
            r.feed.name.casefold(),
            r.feed.url,
        ),
    )
    records: list[dict[str, Value]] = []
    for r in ordered:
        quiet = silent.get(r.feed.url) if r.error is None else None
        result = "ok" if r.error is None else "error"
        records.append(
            {
                "feed": feed_label(r.feed),
                "url": r.feed.url,
                "ok": r.error is None,
                "result": ("silent" if quiet else result) + (f" {r.status}" if r.status else ""),
                "status": r.status,
                "entries": r.entries,
                "encoding": r.encoding,
                "latency_s": round(r.latency_s, 3) if r.latency_s is not None else None,
                "error": short_error(r.error or r.problem or "", r.feed.url, 200) or None,
                "silent": quiet,
            }
        )
        if r.error:  # the whole reason, at -v: the table holds its short phrase
            log.debug("%s: %s", feed_label(r.feed), short_error(r.error, r.feed.url, 1000))
    if fmt == "table":  # a silent feed's cell says how long it has been quiet
        records = [{**r, "error": r["error"] or r["silent"]} for r in records]
    emit(out, fmt, "feeds check", CHECK_COLUMNS, records)
    ok = sum(1 for r in results if r.error is None)
    if fmt == "table":
        out.print(f"{ok} of {len(results)} feeds OK")
    if ok < len(results):
        ctx.exit(EXIT_FAILED)


@feeds.command(name="add")
@click.argument("url")
@click.option("--name")
@click.option("--language")
@click.option("--country")
@click.option(
    "--source",
    type=click.Choice(SOURCE_TYPES),
    default=None,
    help="What kind of body publishes it (official sources: ministry, international).",
)
@click.option("--tag", "tags", multiple=True)
@click.option("--interval", default=None, help='e.g. "15m"')
@click.option("--fulltext", is_flag=True)
@click.option("--disabled", is_flag=True)
@click.pass_context
def feeds_add(
    ctx: click.Context,
    url: str,
    name: str | None,
    language: str | None,
    country: str | None,
    source: str | None,
    tags: tuple[str, ...],
    interval: str | None,
    fulltext: bool,
    disabled: bool,
) -> None:
    """Add a feed to feeds.toml (comments and formatting are kept)."""
    from monitor.feeds import add_feed, parse_interval
    from monitor.models import DEFAULT_INTERVAL, FeedSpec

    settings = settings_of(ctx.find_root())
    spec = FeedSpec(
        url=url,
        name=name or "",  # none: the host, as in the file (several searches may share it)
        language=language,
        country=country.upper() if country else None,
        source=source,
        tags=tags,
        interval=parse_interval(interval) if interval else DEFAULT_INTERVAL,
        enabled=not disabled,
        fulltext=fulltext,
    )
    added = add_feed(settings.feeds_path, spec)
    out.print(f"added {added.name} ({url}) to {settings.feeds_path}", highlight=False, markup=False)


@feeds.command(name="remove")
@click.argument("key")
@click.pass_context
def feeds_remove(ctx: click.Context, key: str) -> None:
    """Remove a feed (by URL or name) from feeds.toml; its stored items are kept."""
    from monitor.feeds import remove_feed

    settings = settings_of(ctx.find_root())
    remove_feed(settings.feeds_path, key)
    out.print(f"removed {key} from {settings.feeds_path}", highlight=False, markup=False)


@feeds.command(name="enable")
@click.argument("key")
@click.pass_context
def feeds_enable(ctx: click.Context, key: str) -> None:
    """Enable a feed (by URL or name)."""
    from monitor.feeds import set_enabled

    set_enabled(settings_of(ctx.find_root()).feeds_path, key, True)
    out.print(f"enabled {key}", highlight=False, markup=False)


@feeds.command(name="disable")
@click.argument("key")
@click.pass_context
def feeds_disable(ctx: click.Context, key: str) -> None:
    """Disable a feed (by URL or name) without removing it."""
    from monitor.feeds import set_enabled

    set_enabled(settings_of(ctx.find_root()).feeds_path, key, False)
    out.print(f"disabled {key}", highlight=False, markup=False)


def _silent_feeds(database_url: str) -> dict[str, str]:
    """Feed URL -> how it is silent, from the polls' history (none without a database)."""
    from monitor.clock import SystemClock
    from monitor.errors import MonitorError
    from monitor.ingest.silence import HISTORY, silent_feeds
    from monitor.store import Store

    try:
        with Store.open(database_url, create=False) as store:
            now = SystemClock().now()
            found = silent_feeds(store.feed_health(now), store.feed_arrivals(HISTORY), now)
    except MonitorError:  # no database yet: no history to judge by
        return {}
    return {url: quiet.describe() for url, quiet in found.items()}
