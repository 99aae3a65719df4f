"""`monitor stats` and `monitor demo`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.main import build_classifier, main, out, settings_of
from monitor.cli.tables import (
    Column,
    Format,
    Value,
    brief_error,
    build_table,
    emit,
    format_option,
    outcome_table,
    to_json,
)
from monitor.clock import SystemClock
from monitor.ingest.labelling import MAX_LABEL_ATTEMPTS
from monitor.ingest.pipeline import PollOutcome
from monitor.ingest.report import short_error
from monitor.ingest.silence import HISTORY, silence

if TYPE_CHECKING:
    from monitor.models import FeedHealth
    from monitor.store import Store


FORMAT_OPTION = format_option("table for people; json for scripts (csv: the main table only).")

HEALTH_COLUMNS = (
    Column("feed", "feed"),
    Column("state", "state", "code"),
    Column("items", "items", "number"),
    Column("24h", "items_24h", "number"),
    Column("next", "next_due_at", "code", show=lambda v: _short_time(v)),
    Column("last error", "last_error", show=brief_error, max_lines=2),
)


@main.command()
@click.option("--days", default=14, show_default=True, help="Days of item counts to show.")
@FORMAT_OPTION
@click.pass_context
def stats(ctx: click.Context, days: int, fmt: Format) -> None:
    """Feed health, items per day, alerts and failed digests. Only reads the database."""
    from monitor.clock import SystemClock
    from monitor.store import Store

    settings = settings_of(ctx)
    store = Store.open(settings.database_url, create=False)  # stats only read
    try:
        health = store.feed_health()
        arrivals = store.feed_arrivals(HISTORY)
        per_day = store.items_per_day(days, SystemClock().now())
        digest_failures = _digest_failures(store, days)
        deliveries = store.delivery_counts()
        votes_up, votes_down = store.feedback_counts()
        unlabelled = store.label_failures(max_attempts=MAX_LABEL_ATTEMPTS)
    finally:
        store.close()
    feeds: list[dict[str, Value]] = [
        {
            "feed": h.name,
            "url": h.url,
            "state": _state(h, arrivals.get(h.url, ())),
            "enabled": h.enabled and h.removed_at is None,
            "consecutive_errors": h.consecutive_errors,
            "last_status": h.last_status,
            "last_entries": h.last_entries,
            "last_success_at": h.last_success_at,
            "next_due_at": h.next_due_at,
            "items": h.items_total,
            "items_24h": h.items_last_24h,
            "last_error": short_error(h.last_error or "", h.url, 200) or None,
        }
        # listed feeds by name as `feeds list` orders them, removed ones last
        for h in sorted(health, key=lambda h: (h.removed_at is not None, h.name.casefold(), h.url))
    ]
    days_records: list[dict[str, Value]] = [{"day": d, "items": n} for d, n in per_day]
    # originals a failed write or classifier error left unlabelled: retried, or given up
    labelling: dict[str, Value] = {
        "retrying": unlabelled.retrying,
        "given_up": unlabelled.given_up,
        "last_error": unlabelled.last_error,
    }
    alerts: dict[str, Value] = {
        **{k: deliveries[k] for k in ("pending", "sent", "failed", "skipped")},
        "votes_up": votes_up,
        "votes_down": votes_down,
    }
    if fmt == "json":
        click.echo(
            to_json(
                {
                    "feeds": feeds,
                    "items_per_day": days_records,
                    "alerts": alerts,
                    "failed_digests": digest_failures,
                    "unlabelled": labelling,
                }
            )
        )
        return
    if fmt == "csv":
        emit(out, "csv", "", HEALTH_COLUMNS, feeds)
        return
    width = out.width
    out.print(build_table("feed health", HEALTH_COLUMNS, feeds, width=width))
    out.print(
        build_table(
            f"items per day (last {days} days)",
            (Column("day", "day", "code"), Column("items", "items", "number")),
            days_records,
            width=width,
        )
    )
    out.print(
        build_table(
            "alerts",
            [Column(k, k, "number") for k in ("pending", "sent", "failed", "skipped")]
            + [Column("👍", "votes_up", "number"), Column("👎", "votes_down", "number")],
            [alerts],
            width=width,
        )
    )
    if unlabelled.retrying or unlabelled.given_up:
        out.print(
            build_table(
                "items left unlabelled (retried with backoff; given up after "
                f"{MAX_LABEL_ATTEMPTS} tries)",
                (
                    Column("retrying", "retrying", "number"),
                    Column("given up", "given_up", "number"),
                    Column("last error", "last_error"),
                ),
                [labelling],
                width=width,
            )
        )
    if digest_failures:
        out.print(
            build_table(
                f"failed digests (last {days} days)",
                (
                    Column("recipient", "recipient"),
                    Column("period", "period", "code"),
                    Column("when", "when", "code"),
                    Column("error", "error"),
                ),
                digest_failures,
                width=width,
            )
        )


def _state(h: FeedHealth, arrivals: Sequence[datetime] = ()) -> str:
    """One word for a feed's health: off, removed, new (never polled), ok, silent (answers,
    but no new item for longer than usual: `monitor.ingest.silence`), or failing N."""
    if h.removed_at is not None:
        return "removed"
    if not h.enabled:
        return "off"
    if h.consecutive_errors:
        return f"failing {h.consecutive_errors}"
    if h.last_success_at is None:
        return "new"
    return "silent" if silence(arrivals, SystemClock().now()) is not None else "ok"


def _short_time(value: Value) -> str:
    """Month, day and minute in local time: enough for "when next", narrow enough for 80 columns."""
    return value.astimezone().strftime("%m-%d %H:%M") if isinstance(value, datetime) else "-"


def _digest_failures(store: Store, days: int) -> list[dict[str, Value]]:
    """Digests refused for good (5xx) in the last `days` days."""
    from monitor.clock import SystemClock
    from monitor.models import FAILED

    since = SystemClock().now() - timedelta(days=days)
    return [
        {
            "recipient": entry.email,
            "period": entry.period_key,
            "when": entry.updated_at,
            "error": entry.error,
        }
        for entry in store.digest_log(statuses=[FAILED], since=since)
    ]


@main.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo database in this folder instead of a temporary one.",
)
@click.option("--no-classify", is_flag=True, help="Only collect; skip the classifiers.")
@click.option("--verbose", "full", is_flag=True, help="Every feed and every item, not only alerts.")
@FORMAT_OPTION
@click.pass_context
def demo(ctx: click.Context, keep: Path | None, no_classify: bool, full: bool, fmt: Format) -> None:
    """Run the whole pipeline once on bundled sample feeds served on 127.0.0.1.

    Shows a summary and the items a default subscriber (relevant cooperation news)
    would be alerted about; --verbose adds every feed and every item. Items are
    numbered by feed name and position in the feed, the same on every run.
    """
    from monitor.demo import DEMO_DIR, run_demo

    settings = settings_of(ctx)
    classifier = None if no_classify else build_classifier(settings)
    rounds = logging.getLogger("monitor.ingest.poller")
    level = rounds.level
    if not rounds.isEnabledFor(logging.DEBUG):  # the summary below says it; "next round" is moot
        rounds.setLevel(logging.WARNING)
    try:
        run = run_demo(settings, classifier=classifier, keep=keep)
    finally:
        rounds.setLevel(level)
    items = demo_items(run.first)
    alerted = [i for i in items if i["alert"]]
    stored = sum(len(o.new_items) for o in run.second)
    unchanged = sum(1 for o in run.second if o.status == 304)
    summary: dict[str, Value] = {
        "feeds": len(run.first),
        "failed_feeds": sum(1 for o in run.first if o.error),
        "items": len(items),
        "duplicates": sum(1 for i in items if i["duplicate_of"] is not None),
        "relevant": sum(1 for i in items if i["relevant"]),
        "cooperation": sum(1 for i in items if i["cooperation"]),
        "alerts": len(alerted),
        "second_pass_not_modified": unchanged,
        "second_pass_stored": stored,
    }
    if fmt == "json":
        click.echo(to_json({"summary": summary, "items": items}))
        return
    if fmt == "csv":
        emit(out, "csv", "", DEMO_ITEM_COLUMNS, items)
        return
    line = (
        f"Demo: {summary['feeds']} sample feeds from {DEMO_DIR.name}/ served on {run.base_url}; "
        f"{summary['items']} items collected ({summary['duplicates']} duplicates)"
    )
    if classifier is not None:
        line += (
            f", {summary['relevant']} health news, {summary['cooperation']} on cooperation: "
            f"{len(alerted)} alerts."
        )
    else:
        line += "; not classified (--no-classify), so nothing is alerted."
    out.print(line, highlight=False, markup=False)
    width = out.width
    if full:
        out.print(outcome_table(run.first, width=width))
        out.print(build_table("collected items", DEMO_ITEM_COLUMNS, items, width=width))
    if classifier is not None:
        out.print(
            build_table(
                "alerts for a default subscriber (relevant + cooperation)",
                DEMO_ALERT_COLUMNS,
                alerted,
                width=width,
            )
        )
    out.print(
        f"Second pass: {unchanged} of {len(run.second)} feeds answered 304 Not Modified, "
        f"{stored} items stored again.",
        highlight=False,
        markup=False,
    )
    if not full:
        out.print("Every feed and item: monitor demo --verbose (or --format json).", markup=False)
    if run.kept_database is not None:
        out.print(f"Demo database kept in {run.kept_database}", highlight=False, markup=False)


DEMO_ITEM_COLUMNS = (
    Column("#", "number", "number"),
    Column("feed", "feed"),
    Column("lang", "language", "code"),
    Column("title", "title"),
    Column("verdict", "verdict"),
    Column("topics", "topics"),
)
DEMO_ALERT_COLUMNS = (
    Column("#", "number", "number"),
    Column("title", "title"),
    Column("countries", "countries"),
    Column("topics", "topics"),
)


def demo_items(outcomes: list[PollOutcome]) -> list[dict[str, Value]]:
    """Every item of the first pass, numbered by feed name and position in its feed."""
    ordered = sorted(outcomes, key=lambda o: (o.feed.name.casefold(), o.feed.url))
    numbers: dict[int, int] = {}
    for outcome in ordered:
        for new in outcome.new_items:
            numbers[new.id] = len(numbers) + 1
    items: list[dict[str, Value]] = []
    for outcome in ordered:
        for new in outcome.new_items:
            labels = new.labels
            duplicate_of = numbers.get(new.duplicate_of) if new.duplicate_of else None
            if new.duplicate_of is not None:
                verdict = f"duplicate of #{duplicate_of or new.duplicate_of}"
            elif labels is None:
                verdict = "-"
            elif labels.relevant:
                verdict = "cooperation" if labels.cooperation else "health"
            else:
                verdict = "not health"
            relevant = bool(labels and labels.relevant and new.duplicate_of is None)
            cooperation = bool(relevant and labels and labels.cooperation)
            items.append(
                {
                    "number": numbers[new.id],
                    "feed": outcome.feed.name,
                    "language": labels.language if labels else new.item.language_hint,
                    "title": new.item.title,
                    "url": new.item.url,
                    "verdict": verdict,
                    "duplicate_of": duplicate_of,
                    "relevant": relevant,
                    "cooperation": cooperation,
                    "alert": cooperation,
                    "topics": list(labels.topics) if labels else [],
                    "countries": list(labels.countries) if labels else [],
                    "summary": labels.summary if labels else None,
                }
            )
    return items
