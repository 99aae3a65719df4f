"""`monitor brief`: a briefing pack of the cooperation stories between the named parties."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli.main import main, settings_of
from monitor.filters import EVENT_TYPES


@main.command()
@click.argument("parties", nargs=-1, required=True, metavar="COUNTRY [COUNTRY|ORG ...]")
@click.option(
    "--since",
    default="12m",
    show_default=True,
    help="Start: a duration back from now (30d, 6w, 12m, 1y) or a date YYYY-MM-DD.",
)
@click.option("--until", "until_text", metavar="DATE", help="Last day (YYYY-MM-DD); default now.")
@click.option(
    "--topic", "topics", multiple=True, metavar="SLUG", help="Only these topics (repeatable)."
)
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(sorted(EVENT_TYPES)),
    help="Only these event types (repeatable).",
)
@click.option(
    "--language",
    type=click.Choice(["en", "ko"]),
    default="en",
    show_default=True,
    help="Language of the headings and labels (items keep their own).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write FILE.html, FILE.pdf, FILE.md (or .txt) instead of text on stdout.",
)
@click.pass_context
def brief(
    ctx: click.Context,
    parties: tuple[str, ...],
    since: str,
    until_text: str | None,
    topics: tuple[str, ...],
    events: tuple[str, ...],
    language: str,
    out_path: Path | None,
) -> None:
    """What happened between the parties: the cooperation stories naming all of them.

    PARTIES are countries and organisations by code or any common name
    (KR VN; "Viet Nam" 베트남 WHO 세계보건기구 ASEAN). The brief has a summary, a
    timeline (newest first, every story with its sources), threads (an agreement
    and what followed it; the meetings of one series), a chart of stories per
    month by topic, and the agreements with no follow-up.
    """
    from classifiers.errors import did_you_mean
    from classifiers.taxonomy import load_taxonomy
    from monitor.brief.build import build_brief
    from monitor.brief.parties import resolve_parties
    from monitor.brief.period import parse_since, parse_until
    from monitor.brief.render import output_kind, render_html, render_markdown, render_text
    from monitor.clock import SystemClock
    from monitor.digest.jobs import topic_names
    from monitor.store import Store

    settings = settings_of(ctx)
    kind = "txt"
    if out_path is not None:
        try:
            kind = output_kind(out_path)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--out") from None
    now = SystemClock().now()
    resolved = resolve_parties(parties)
    start, end = parse_since(since, now), parse_until(until_text, now)
    if end <= start:
        raise click.BadParameter(
            "the period is empty: --until is before --since", param_hint="--until"
        )
    taxonomy = load_taxonomy()
    slugs = [t.slug for t in taxonomy]
    for slug in topics:
        if slug not in slugs:
            raise click.BadParameter(
                f"unknown topic {slug!r}{did_you_mean(slug, slugs)}", param_hint="--topic"
            )
    with Store.open(settings.database_url, create=False) as store:  # a brief only reads
        made = build_brief(
            store, resolved, since=start, until=end, language=language, topics=topics, events=events
        )
    names = topic_names(taxonomy, language)
    today = now.date()
    if kind == "txt" and out_path is None:
        sys.stdout.write(render_text(made, topic_names=names, today=today))
        return
    assert out_path is not None
    if kind == "pdf":
        from monitor.brief.pdf import html_to_pdf

        out_path.write_bytes(html_to_pdf(render_html(made, topic_names=names, today=today)))
    else:
        render = {"html": render_html, "md": render_markdown, "txt": render_text}[kind]
        out_path.write_text(render(made, topic_names=names, today=today), encoding="utf-8")
    stories = f"{len(made.stories)} stor{'y' if len(made.stories) == 1 else 'ies'}"
    reports = f"{made.report_count} report{'' if made.report_count == 1 else 's'}"
    click.echo(f"{out_path}: {stories}, {reports}", err=True)
