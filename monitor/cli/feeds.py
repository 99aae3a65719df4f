"""`monitor feeds ...`: operate feeds.toml."""

from __future__ import annotations

import asyncio

import click
from rich.table import Table

from monitor.cli.main import err, main, out, settings_of
from monitor.cli.tables import add_plain_row


@main.group()
def feeds() -> None:
    """Operate feeds.toml: list, check, add, remove, enable, disable."""


@feeds.command(name="list")
@click.pass_context
def feeds_list(ctx: click.Context) -> None:
    """List the feeds of feeds.toml."""
    from monitor.feeds import load_feeds

    settings = settings_of(ctx.find_root())
    specs = load_feeds(settings.feeds_path)
    table = Table(title=f"{settings.feeds_path} — {len(specs)} feeds")
    for column in ("name", "lang", "country", "interval", "enabled", "fulltext", "tags", "url"):
        table.add_column(column, overflow="fold")
    for s in specs:
        add_plain_row(
            table,
            s.name,
            s.language or "-",
            s.country or "-",
            _duration(s.interval.total_seconds()),
            "yes" if s.enabled else "no",
            "yes" if s.fulltext else "",
            ", ".join(s.tags),
            s.url,
        )
    out.print(table)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


@feeds.command(name="check")
@click.option("--all", "include_disabled", is_flag=True, help="Also check disabled feeds.")
@click.pass_context
def feeds_check(ctx: click.Context, include_disabled: bool) -> None:
    """Fetch every feed now (concurrently) and report status, entries, encoding, latency.

    Exits 1 when any feed failed, so a deploy script or cron job can act on it.
    """
    from monitor.feeds import load_feeds
    from monitor.ingest.check import check_feeds, check_table

    settings = settings_of(ctx.find_root())
    specs = [s for s in load_feeds(settings.feeds_path) if s.enabled or include_disabled]
    results = asyncio.run(check_feeds(specs, settings.poll, progress_console=err))
    out.print(check_table(results))
    ok = sum(1 for r in results if r.error is None)
    out.print(f"{ok} of {len(results)} feeds OK")
    if ok < len(results):
        ctx.exit(1)


@feeds.command(name="add")
@click.argument("url")
@click.option("--name")
@click.option("--language")
@click.option("--country")
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
