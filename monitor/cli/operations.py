"""`monitor stats` and `monitor demo`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from monitor.cli.main import build_classifier, main, out, settings_of
from monitor.cli.tables import add_plain_row


@main.command()
@click.option("--days", default=14, show_default=True, help="Days of item counts to show.")
@click.pass_context
def stats(ctx: click.Context, days: int) -> None:
    """Feed health and items per day."""
    from monitor.clock import SystemClock
    from monitor.store import Store

    settings = settings_of(ctx)
    store = Store.open(settings.database_url, create=False)  # stats only read
    try:
        health = store.feed_health()
        per_day = store.items_per_day(days, SystemClock().now())
        digest_failures = _digest_failures(store, days)
        deliveries = store.delivery_counts()
        votes_up, votes_down = store.feedback_counts()
    finally:
        store.close()
    table = Table(title="feed health")
    for column in (
        "feed",
        "enabled",
        "last success",
        "errors",
        "status",
        "entries",
        "items",
        "24h",
        "next due",
        "last error",
    ):
        table.add_column(column, overflow="fold")
    for h in health:
        add_plain_row(
            table,
            h.name,
            "yes" if h.enabled and h.removed_at is None else "no",
            _when(h.last_success_at),
            str(h.consecutive_errors),
            str(h.last_status or "-"),
            str(h.last_entries or "-"),
            str(h.items_total),
            str(h.items_last_24h),
            _when(h.next_due_at),
            h.last_error or "",
        )
    out.print(table)
    days_table = Table(title=f"items per day (last {days} days)")
    days_table.add_column("day")
    days_table.add_column("items", justify="right")
    for day, count in per_day:
        add_plain_row(days_table, day.isoformat(), str(count))
    out.print(days_table)
    alerts_table = Table(title="alerts")
    alerts_table.add_column("pending", justify="right")
    alerts_table.add_column("sent", justify="right")
    alerts_table.add_column("failed", justify="right")
    alerts_table.add_column("skipped", justify="right")
    alerts_table.add_column("👍", justify="right")
    alerts_table.add_column("👎", justify="right")
    add_plain_row(
        alerts_table,
        *(str(deliveries[k]) for k in ("pending", "sent", "failed", "skipped")),
        str(votes_up),
        str(votes_down),
    )
    out.print(alerts_table)
    if digest_failures is not None:
        out.print(digest_failures)


def _digest_failures(store: object, days: int) -> Table | None:
    """Digests refused for good (5xx) in the last `days` days, or None when there were none."""
    from datetime import timedelta

    from monitor.clock import SystemClock
    from monitor.store import Store
    from monitor.store.recipients import FAILED

    assert isinstance(store, Store)
    since = SystemClock().now() - timedelta(days=days)
    failed = store.digest_log(statuses=[FAILED], since=since)
    if not failed:
        return None
    table = Table(title=f"failed digests (last {days} days)")
    for column in ("recipient", "period", "when", "error"):
        table.add_column(column, overflow="fold")
    for entry in failed:
        add_plain_row(
            table, entry.email, entry.period_key, _when(entry.updated_at), entry.error or ""
        )
    return table


def _when(value: object) -> str:
    from datetime import datetime

    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else "-"


@main.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo database in this folder instead of a temporary one.",
)
@click.option("--no-classify", is_flag=True, help="Only collect; skip the classifiers.")
@click.pass_context
def demo(ctx: click.Context, keep: Path | None, no_classify: bool) -> None:
    """Run the whole pipeline once on bundled sample feeds served on 127.0.0.1."""
    from monitor.demo import run_demo

    settings = settings_of(ctx)
    classifier = None if no_classify else build_classifier(settings)
    run_demo(settings, classifier=classifier, console=out, keep=keep)
