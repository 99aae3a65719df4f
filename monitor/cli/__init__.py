"""The `monitor` command line: the commands of the SPEC, each a thin layer over the modules."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from classifiers.base import Classifier, Document, Labels
from monitor.cli.tables import add_plain_row, outcome_table
from monitor.errors import MonitorError
from monitor.ingest.pipeline import PollOutcome
from monitor.settings import Settings, load_settings

log = logging.getLogger("monitor")
out = Console()
err = Console(stderr=True)

CLASSIFY_BATCH = 32


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs full request lines, and Telegram URLs contain the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # plugin and migration chatter


class MonitorGroup(click.Group):
    """Turns our own errors into one clear line and exit code 2, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            # escaped: messages quote "[poll]" and "[[feed]]"; soft_wrap: one line, however long
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            sys.exit(2)


@click.group(cls=MonitorGroup)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Multilingual news monitor for Asia-Pacific health cooperation."""
    _setup_logging(verbose)
    ctx.obj = None


def settings_of(ctx: click.Context) -> Settings:
    if ctx.obj is None:
        ctx.obj = load_settings()
    assert isinstance(ctx.obj, Settings)
    return ctx.obj


def build_classifier(settings: Settings) -> Classifier:
    """The configured backend: transformers when MONITOR_MODEL is set, else the embedded model."""
    from classifiers.factory import load_classifier

    return load_classifier(
        model=settings.model,
        summary_model=settings.summary_model,
        cache_dir=settings.data_dir / "models",
    )


# --- service -----------------------------------------------------------------------------------


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the service until SIGINT/SIGTERM: poll due feeds on schedule, classify, store."""
    from monitor.feeds import load_feeds
    from monitor.service import run_service

    settings = settings_of(ctx)
    load_feeds(settings.feeds_path)  # a broken feeds.toml fails at once, not after the model loads
    classifier = build_classifier(settings)
    asyncio.run(run_service(settings, classifier=classifier, on_outcomes=_print_new_items))


@main.command()
@click.option("--once", is_flag=True, help="One round, then exit (required).")
@click.option("--all", "all_feeds", is_flag=True, help="Poll every enabled feed, due or not.")
@click.option("--no-classify", is_flag=True, help="Store items without classifying them.")
@click.pass_context
def poll(ctx: click.Context, once: bool, all_feeds: bool, no_classify: bool) -> None:
    """Poll due (or all) feeds once, store new items, and exit."""
    from monitor.feeds import load_feeds
    from monitor.service import poll_once

    if not once:
        raise click.UsageError(
            "use `monitor poll --once` for one round, `monitor run` to keep polling"
        )
    settings = settings_of(ctx)
    load_feeds(settings.feeds_path)  # a broken feeds.toml fails at once, not after the model loads
    classifier = None if no_classify else build_classifier(settings)
    outcomes = asyncio.run(
        poll_once(
            settings, classifier=classifier, include_not_due=all_feeds, on_outcomes=_print_new_items
        )
    )
    out.print(outcome_table(outcomes))
    failed = sum(1 for o in outcomes if o.error)
    new = sum(len(o.originals) for o in outcomes)
    out.print(f"{len(outcomes)} feeds polled, {failed} failed, {new} new items")


def _print_new_items(outcomes: list[PollOutcome]) -> None:
    """Console alerts: what a subscriber of cooperation news would get."""
    for outcome in outcomes:
        for new in outcome.originals:
            labels = new.labels
            if labels is None or not labels.relevant:
                continue
            kind = "cooperation" if labels.cooperation else "health"
            out.print(
                f"[bold green]● {kind}[/] \\[{labels.language}] {escape(new.item.title)}\n"
                f"  {escape(outcome.feed.name)} · topics: {', '.join(labels.topics) or '-'} · "
                f"countries: {', '.join(labels.countries) or '-'}\n  {escape(new.item.url)}",
                highlight=False,
            )


# --- classification ------------------------------------------------------------------------------


@main.command()
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r", encoding="utf-8"),
    required=True,
    help="Input: JSON lines {id, title, text}; '-' for stdin.",
)
@click.option(
    "--out",
    "out_file",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Output JSON lines (default stdout).",
)
@click.pass_context
def classify(ctx: click.Context, jsonl: IO[str], out_file: IO[str]) -> None:
    """Classify items offline: one JSON line out per valid line in, same order."""
    settings = settings_of(ctx)
    docs, skipped = read_documents(jsonl, getattr(jsonl, "name", "<stdin>"))
    classifier = build_classifier(settings)
    for doc, labels in _classify_with_progress(classifier, docs):
        out_file.write(json.dumps(labels_json(doc.id, labels), ensure_ascii=False) + "\n")
    out_file.flush()
    if skipped:
        err.print(f"{skipped} malformed line(s) skipped, {len(docs)} classified", highlight=False)


def read_documents(lines: IO[str], name: str) -> tuple[list[Document], int]:
    """Parse classify input; a bad line is reported on stderr with its number and skipped."""
    docs: list[Document] = []
    skipped = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            docs.append(document_from_json(line))
        except ValueError as exc:
            skipped += 1
            err.print(f"{name}:{number}: {exc}", highlight=False, markup=False, soft_wrap=True)
    return docs, skipped


def document_from_json(line: str) -> Document:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    if "id" not in value:
        raise ValueError("missing key 'id'")
    for key in ("title", "text"):
        if not isinstance(value.get(key, ""), str):
            raise ValueError(f"key {key!r} must be a string")
    hint = value.get("language")
    return Document(
        id=str(value["id"]),
        title=value.get("title") or "",
        text=value.get("text") or "",
        language_hint=hint if isinstance(hint, str) else None,
    )


def _classify_with_progress(
    classifier: Classifier, docs: list[Document]
) -> Iterator[tuple[Document, Labels]]:
    from rich.progress import Progress

    with Progress(console=err, transient=True, disable=len(docs) <= CLASSIFY_BATCH) as progress:
        task = progress.add_task("classifying", total=len(docs))
        for start in range(0, len(docs), CLASSIFY_BATCH):
            batch = docs[start : start + CLASSIFY_BATCH]
            yield from zip(batch, classifier.classify(batch), strict=True)
            progress.advance(task, len(batch))


def labels_json(doc_id: str, labels: Labels) -> dict[str, object]:
    return {
        "id": doc_id,
        "language": labels.language,
        "relevant": labels.relevant,
        "cooperation": labels.cooperation,
        "topics": list(labels.topics),
        "countries": list(labels.countries),
        "summary": labels.summary,
        "relevance_score": round(labels.relevance_score, 4),
        "cooperation_score": round(labels.cooperation_score, 4),
        "topic_scores": {k: round(v, 4) for k, v in labels.topic_scores.items()},
    }


@main.command(name="eval")
@click.option(
    "--gold",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Labelled JSON lines (the format of classifiers/data/dev.jsonl).",
)
@click.pass_context
def evaluate(ctx: click.Context, gold: Path) -> None:
    """Precision, recall and F1 per label and per language on a labelled file."""
    from classifiers.evaluate import evaluate_file, report_table

    settings = settings_of(ctx)
    classifier = build_classifier(settings)
    report = evaluate_file(gold, classifier)
    out.print(report_table(report), width=max(out.width, 110))


# --- feeds ---------------------------------------------------------------------------------------


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
    from urllib.parse import urlsplit

    from monitor.feeds import add_feed, parse_interval
    from monitor.models import DEFAULT_INTERVAL, FeedSpec

    settings = settings_of(ctx.find_root())
    spec = FeedSpec(
        url=url,
        name=name or urlsplit(url).hostname or url,
        language=language,
        country=country.upper() if country else None,
        tags=tags,
        interval=parse_interval(interval) if interval else DEFAULT_INTERVAL,
        enabled=not disabled,
        fulltext=fulltext,
    )
    add_feed(settings.feeds_path, spec)
    out.print(f"added {spec.name} ({url}) to {settings.feeds_path}", highlight=False, markup=False)


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


# --- operations ----------------------------------------------------------------------------------


@main.command()
@click.option("--days", default=14, show_default=True, help="Days of item counts to show.")
@click.pass_context
def stats(ctx: click.Context, days: int) -> None:
    """Feed health and items per day."""
    from monitor.clock import SystemClock
    from monitor.store import Store

    settings = settings_of(ctx)
    store = Store.open(settings.database_url)
    try:
        health = store.feed_health()
        per_day = store.items_per_day(days, SystemClock().now())
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


if __name__ == "__main__":  # pragma: no cover
    main()
