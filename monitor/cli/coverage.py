"""`monitor coverage`: which countries, languages and source types the feeds cover, and where
the gaps are (docs/coverage.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from rich.table import Table
from rich.text import Text

from monitor.cli.main import main, out, settings_of
from monitor.cli.tables import Format, Value, format_option, to_csv, to_json
from monitor.filters import SOURCE_TYPES
from monitor.ingest.silence import HISTORY, silence
from monitor.models import FeedHealth, FeedSpec

WINDOW = timedelta(days=30)
REGIONAL = "—"  # the row of feeds without a country (WHO, ASEAN, news searches)
SHORT = {"international": "intl", "state_media": "state"}  # column headers at 80 columns


@dataclass(frozen=True)
class FeedCover:
    """One feed as coverage counts it."""

    spec: FeedSpec
    state: str  # healthy, failing, silent, unknown (never polled), off
    items: int  # relevant items first seen in the window


def feed_states(
    specs: Sequence[FeedSpec],
    health: Mapping[str, FeedHealth],
    arrivals: Mapping[str, Sequence[datetime]],
    relevant: Mapping[str, int],
    now: datetime,
) -> list[FeedCover]:
    """Each feed of feeds.toml with its state and its relevant items of the window."""
    found = []
    for spec in specs:
        h = health.get(spec.url)
        if not spec.enabled:
            state = "off"
        elif h is None or h.last_attempt_at is None:
            state = "unknown"
        elif h.consecutive_errors:
            state = "failing"
        elif silence(arrivals.get(spec.url, ()), now) is not None:
            state = "silent"
        else:
            state = "healthy"
        found.append(FeedCover(spec, state, relevant.get(spec.url, 0)))
    return found


def coverage_cells(feeds: Sequence[FeedCover]) -> list[dict[str, Value]]:
    """One record per (country, language, source type) that any feed names, and every source
    type of each (country, language) row: a cell with no healthy feed is a gap."""
    rows = sorted(
        {(f.spec.country or REGIONAL, f.spec.language or "?") for f in feeds},
        key=lambda r: (r[0] == REGIONAL, r),
    )
    cells: list[dict[str, Value]] = []
    for country, language in rows:
        for source in (*SOURCE_TYPES, None):
            members = [
                f
                for f in feeds
                if (f.spec.country or REGIONAL, f.spec.language or "?") == (country, language)
                and f.spec.source == source
            ]
            if source is None and not members:
                continue  # unlabelled feeds get a column only when there are some
            enabled = [f for f in members if f.state != "off"]
            healthy = [f for f in enabled if f.state == "healthy"]
            cells.append(
                {
                    "country": country,
                    "language": language,
                    "source": source or "unlabelled",
                    "enabled": len(enabled),
                    "healthy": len(healthy),
                    "silent": [f.spec.name for f in enabled if f.state == "silent"],
                    "failing": [f.spec.name for f in enabled if f.state == "failing"],
                    "items_30d": sum(f.items for f in healthy),
                    "gap": not healthy,
                }
            )
    return cells


def coverage_table(cells: Sequence[Mapping[str, Value]]) -> Table:
    """Rows by country and language, a column per source type: "healthy/enabled items"."""
    sources = [s for s in (*SOURCE_TYPES, "unlabelled") if any(c["source"] == s for c in cells)]
    table = Table(
        title=f"coverage: healthy/enabled feeds · relevant items, last {WINDOW.days} days"
    )
    table.add_column("where", no_wrap=True)
    for source in sources:
        table.add_column(SHORT.get(source, source), no_wrap=True, justify="right")
    rows: dict[tuple[str, str], dict[str, Mapping[str, Value]]] = {}
    for cell in cells:
        rows.setdefault((str(cell["country"]), str(cell["language"])), {})[str(cell["source"])] = (
            cell
        )
    for (country, language), by_source in rows.items():
        shown: list[Text] = [Text(f"{country} {language}")]
        for source in sources:
            found = by_source.get(source)
            if found is None or not found["enabled"]:
                shown.append(Text("·", style="bold red"))  # a gap: nothing there at all
            elif found["gap"]:
                shown.append(Text(f"0/{found['enabled']}", style="bold red"))
            else:
                shown.append(Text(f"{found['healthy']}/{found['enabled']} {found['items_30d']}"))
        table.add_row(*shown)
    return table


@main.command()
@format_option()
@click.pass_context
def coverage(ctx: click.Context, fmt: Format) -> None:
    """Feeds by country × language × source type: healthy feeds, relevant items, gaps."""
    from monitor.clock import SystemClock
    from monitor.feeds import load_feeds
    from monitor.store import Store

    settings = settings_of(ctx.find_root())
    specs = load_feeds(settings.feeds_path)
    now = SystemClock().now()
    health: dict[str, FeedHealth] = {}
    arrivals: dict[str, list[datetime]] = {}
    relevant: dict[str, int] = {}
    try:
        store = Store.open(settings.database_url, create=False)
    except Exception:  # no database yet: every feed is "unknown"
        store = None
    if store is not None:
        try:
            health = {h.url: h for h in store.feed_health(now)}
            arrivals = store.feed_arrivals(HISTORY)
            relevant = store.relevant_counts(now - WINDOW)
        finally:
            store.close()
    feeds = feed_states(specs, health, arrivals, relevant, now)
    cells = coverage_cells(feeds)
    if fmt == "json":
        click.echo(to_json(cells))
        return
    if fmt == "csv":
        keys = ["country", "language", "source", "enabled", "healthy", "silent", "failing"]
        click.echo(to_csv(cells, [*keys, "items_30d", "gap"]), nl=False)
        return
    out.print(coverage_table(cells))
    gaps = sum(1 for c in cells if c["gap"])
    silent = sorted(f.spec.name for f in feeds if f.state == "silent")
    out.print(
        f"{gaps} of {len(cells)} cells without a healthy feed (· none listed, 0/N none healthy)",
        highlight=False,
    )
    if silent:
        out.print(f"silent: {', '.join(silent)}", highlight=False, markup=False)
