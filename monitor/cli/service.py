"""`monitor run` and `monitor poll --once`: the service and one round."""

from __future__ import annotations

import asyncio

import click
from rich.markup import escape

from monitor.cli.main import EXIT_FAILED, build_classifier, main, out, settings_of
from monitor.cli.tables import outcome_table


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the service until SIGINT/SIGTERM: poll due feeds on schedule, classify, store."""
    from monitor.feeds import load_feeds
    from monitor.service import run_service

    settings = settings_of(ctx)
    load_feeds(settings.feeds_path)  # a broken feeds.toml fails at once, not after the model loads
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
    out.print(outcome_table(outcomes))
    failed = sum(1 for o in outcomes if o.error)
    new = sum(len(o.originals) for o in outcomes)
    out.print(f"{len(outcomes)} feeds polled, {failed} failed, {new} new items")
    if failed:
        ctx.exit(EXIT_FAILED)  # like `feeds check`: cron and systemd notice a failing feed


def _print_alert(line: str) -> None:
    """Console alerts (no MONITOR_TELEGRAM_TOKEN): what the deliverer would send, as text."""
    out.print(escape(line), highlight=False)
