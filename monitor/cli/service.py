"""`monitor run` and `monitor poll --once`: the service and one round."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import click
from rich.markup import escape

from monitor.cli.main import EXIT_FAILED, build_classifier, main, out, settings_of
from monitor.cli.tables import outcome_table
from monitor.models import FeedSpec
from monitor.settings import Settings

log = logging.getLogger("monitor")


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the service until SIGINT/SIGTERM: poll due feeds on schedule, classify, store."""
    from monitor.feeds import load_feeds
    from monitor.service import run_service

    settings = settings_of(ctx)
    specs = load_feeds(settings.feeds_path)  # a broken file fails at once, not after the model
    for level, note in startup_notes(settings, specs):
        log.log(level, "%s", note)
    classifier = build_classifier(settings)
    asyncio.run(run_service(settings, classifier=classifier, console=_print_alert))


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
        poll_once(settings, classifier=classifier, include_not_due=all_feeds, console=_print_alert)
    )
    out.print(outcome_table(outcomes, width=out.width))
    failed = sum(1 for o in outcomes if o.error)
    new = sum(len(o.originals) for o in outcomes)
    out.print(f"{len(outcomes)} feeds polled, {failed} failed, {new} new items")
    if failed:
        ctx.exit(EXIT_FAILED)  # like `feeds check`: cron and systemd notice a failing feed


def startup_notes(settings: Settings, specs: Sequence[FeedSpec]) -> list[tuple[int, str]]:
    """What the operator should know before the first round: where alerts go, missing feeds."""
    notes: list[tuple[int, str]] = []
    if settings.telegram_token:
        notes.append((logging.INFO, "alerts: Telegram (MONITOR_TELEGRAM_TOKEN is set)"))
    else:
        notes.append(
            (
                logging.INFO,
                "alerts: printed on this console (MONITOR_TELEGRAM_TOKEN is unset; set it "
                "to send them to Telegram subscribers)",
            )
        )
    enabled = sum(1 for s in specs if s.enabled)
    if not specs:
        notes.append(
            (
                logging.WARNING,
                f"{settings.feeds_path} has no feeds: nothing will be polled until you add one "
                "(monitor feeds add URL --name NAME); the file is watched",
            )
        )
    elif not enabled:
        notes.append(
            (
                logging.WARNING,
                f"{settings.feeds_path}: all {len(specs)} feeds are disabled: nothing will be "
                "polled (monitor feeds enable NAME)",
            )
        )
    return notes


def _print_alert(line: str) -> None:
    """Console alerts (no MONITOR_TELEGRAM_TOKEN): what the deliverer would send, as text."""
    out.print(escape(line), highlight=False)
