"""`monitor recipients ...` (digest e-mail recipients) and `monitor digest`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import click

from monitor.cli.main import main, out, settings_of
from monitor.cli.tables import Column, Format, Value, emit, format_option
from monitor.digest.recipient import (
    LANGUAGES,
    parse_email,
    parse_timezone,
    parse_weekday,
    schedule_text,
)
from monitor.durations import parse_send_time
from monitor.filters import OFFICIAL_SOURCES, Filter, event_type
from monitor.models import DAILY, WEEKLY, Recipient


def _filter_options(fn: Any) -> Any:
    """The options `add` and `set` share (one decorator, one meaning)."""
    options = [
        click.option("--topic", "topics", multiple=True, help="Topic slug (repeatable)."),
        click.option("--country", "countries", multiple=True, help="ISO code (repeatable)."),
        click.option(
            "--item-language", "item_languages", multiple=True, help="Items' language (repeatable)."
        ),
        click.option("--keyword", "keywords", multiple=True, help="Keyword (repeatable)."),
        click.option(
            "--event",
            "events",
            multiple=True,
            metavar="TYPE",
            help="Cooperation event type: agreement, meeting, statement, funding, project, "
            "training, visit, conference (repeatable; default: any).",
        ),
        click.option(
            "--official/--any-source",
            "official",
            default=None,
            help="Only items from official sources (ministry, international feeds), or any.",
        ),
        click.option(
            "--all-relevant/--cooperation-only",
            "all_relevant",
            default=None,
            help="All relevant health news of the topics, or only cooperation (the default).",
        ),
        click.option("--daily", "frequency", flag_value=DAILY, help="One digest a day."),
        click.option(
            "--weekly",
            "weekly_day",
            metavar="DAY",
            help="One digest a week, on DAY (mon..sun).",
        ),
        click.option("--time", "send_time", metavar="HH:MM", help="Local send time."),
        click.option("--timezone", metavar="ZONE", help="IANA zone, e.g. Asia/Seoul."),
        click.option(
            "--language",
            type=click.Choice(LANGUAGES),
            help="Language of the e-mail's own words.",
        ),
        click.option(
            "--skip-empty/--send-empty",
            default=None,
            help="Send nothing for an empty period, or one line saying so (the default).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@main.group()
def recipients() -> None:
    """Digest e-mail recipients: list, add, remove, set."""


@recipients.command(name="list")
@format_option()
@click.pass_context
def recipients_list(ctx: click.Context, fmt: Format) -> None:
    """List recipients with their filters and schedule."""
    from monitor.store import Store

    settings = settings_of(ctx.find_root())
    with Store.open(settings.database_url, create=False) as store:  # a listing only reads
        rows = store.recipients()
    records: list[dict[str, Value]] = []
    for r in rows:
        state = "active" if r.active else "off"
        if not r.confirmed:
            state = "awaiting confirmation"
        records.append(
            {
                "email": r.email,
                "schedule": schedule_text(r),
                "language": r.language,
                "filter": describe_filter(r.filter),
                "state": state,
                "telegram": r.chat_id,
            }
        )
    emit(out, fmt, f"{len(rows)} digest recipients", RECIPIENT_COLUMNS, records)


RECIPIENT_COLUMNS = (
    Column("e-mail", "email"),
    Column("schedule", "schedule"),
    Column("lang", "language", "code"),
    Column("filter", "filter"),
    Column("state", "state"),
    Column("telegram", "telegram", "code"),
)


@recipients.command(name="add")
@click.argument("email")
@_filter_options
@click.pass_context
def recipients_add(ctx: click.Context, /, email: str, **options: Any) -> None:
    """Add a recipient (confirmed: the operator vouches for the address)."""
    from monitor.clock import SystemClock
    from monitor.store import Store

    settings = settings_of(ctx.find_root())
    address = _email(email)
    base = Recipient(
        email=address,
        send_time=parse_send_time(settings.digest_time),
        timezone=settings.timezone,
    )
    recipient = apply_options(base, **options)
    with Store.open(settings.database_url) as store:
        if store.recipient(address) is not None:
            raise click.UsageError(
                f"{address} is already a recipient; use `monitor recipients set`"
            )
        store.save_recipient(recipient, SystemClock().now())
    out.print(f"added {address}: {schedule_text(recipient)}, {describe_filter(recipient.filter)}")


@recipients.command(name="set")
@click.argument("email")
@_filter_options
@click.option("--active/--inactive", default=None, help="Turn the digest on or off.")
@click.option("--clear-filter", is_flag=True, help="Start the filter from scratch.")
@click.pass_context
def recipients_set(
    ctx: click.Context, /, email: str, active: bool | None, clear_filter: bool, **options: Any
) -> None:
    """Change a recipient; options not given keep their value (lists given replace)."""
    from monitor.clock import SystemClock
    from monitor.store import Store

    settings = settings_of(ctx.find_root())
    address = _email(email)
    with Store.open(settings.database_url) as store:
        current = store.recipient(address)
        if current is None:
            raise click.UsageError(f"{address} is not a recipient; use `monitor recipients add`")
        if clear_filter:
            current = replace(current, filter=Filter())
        changed = apply_options(current, **options)
        if active is not None:
            changed = replace(changed, active=active, confirmed=changed.confirmed or active)
        store.save_recipient(changed, SystemClock().now())
    out.print(f"{address}: {schedule_text(changed)}, {describe_filter(changed.filter)}")


@recipients.command(name="remove")
@click.argument("email")
@click.pass_context
def recipients_remove(ctx: click.Context, email: str) -> None:
    """Remove a recipient (what was sent stays in the digest log)."""
    from monitor.store import Store

    settings = settings_of(ctx.find_root())
    address = _email(email)
    with Store.open(settings.database_url) as store:
        if not store.recipient(address):
            raise click.UsageError(f"{address} is not a recipient")
        store.remove_recipient(address)
    out.print(f"removed {address}")


def _email(value: str) -> str:
    try:
        return parse_email(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from exc


def apply_options(
    recipient: Recipient,
    *,
    topics: Sequence[str] = (),
    countries: Sequence[str] = (),
    item_languages: Sequence[str] = (),
    keywords: Sequence[str] = (),
    events: Sequence[str] = (),
    official: bool | None = None,
    all_relevant: bool | None = None,
    frequency: str | None = None,
    weekly_day: str | None = None,
    send_time: str | None = None,
    timezone: str | None = None,
    language: str | None = None,
    skip_empty: bool | None = None,
) -> Recipient:
    """`recipient` with the given command-line options applied (a usage error if invalid)."""
    f = recipient.filter
    try:
        if topics:
            f = replace(f, topics=frozenset(_known_topics(topics)))
        if countries:
            f = replace(f, countries=frozenset(_country(c) for c in countries))
        if item_languages:
            f = replace(f, languages=frozenset(_language(c) for c in item_languages))
        if keywords:
            f = replace(f, keywords=tuple(k.strip() for k in keywords if k.strip()))
        if events:
            f = replace(f, events=frozenset(event_type(e) for e in events))
        if official is not None:
            f = replace(f, sources=OFFICIAL_SOURCES if official else frozenset())
        if all_relevant is not None:
            f = replace(f, cooperation_only=not all_relevant)
        changed = replace(recipient, filter=f)
        if frequency == DAILY and weekly_day:
            raise ValueError("--daily and --weekly exclude each other")
        if frequency == DAILY:
            changed = replace(changed, frequency=DAILY)
        if weekly_day:
            changed = replace(changed, frequency=WEEKLY, weekday=parse_weekday(weekly_day))
        if send_time:
            changed = replace(changed, send_time=parse_send_time(send_time))
        if timezone:
            changed = replace(changed, timezone=parse_timezone(timezone))
        if language:
            changed = replace(changed, language=language)
        if skip_empty is not None:
            changed = replace(changed, skip_empty=skip_empty)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return changed


def describe_filter(f: Filter) -> str:
    """One line for tables: ``cooperation · topics uhc, amr · countries KR``."""
    parts = ["cooperation" if f.cooperation_only else "all relevant"]
    for name, values in (
        ("topics", sorted(f.topics)),
        ("countries", sorted(f.countries)),
        ("languages", sorted(f.languages)),
        ("keywords", list(f.keywords)),
        ("events", sorted(f.events)),
        ("sources", sorted(f.sources)),
    ):
        if values:
            parts.append(f"{name} {', '.join(values)}")
    return " · ".join(parts)


def _known_topics(slugs: Sequence[str]) -> list[str]:
    from classifiers.taxonomy import load_taxonomy

    known = load_taxonomy().slugs
    wanted = [s.strip() for s in slugs if s.strip()]
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ValueError(f"unknown topic(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return wanted


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (like KR)")
    return code


def _language(value: str) -> str:
    from classifiers.base import language_code

    code = language_code(value)
    if code is None:
        raise ValueError(f"{value!r} is not an ISO 639-1 language code (like ko)")
    return code


@main.command()
@click.option("--send", is_flag=True, help="Mail it (SMTP, or .eml files without SMTP settings).")
@click.option(
    "--date",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The digest sent on this local date at the send time (default: the one ending now).",
)
@click.option("--to", "to", metavar="ADDR", help="Only this recipient (or this address).")
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML in a browser.")
@click.pass_context
def digest(
    ctx: click.Context, send: bool, on_date: Any, to: str | None, open_browser: bool
) -> None:
    """Build the digest: print and save a preview, or with --send mail it."""
    import asyncio

    from classifiers.taxonomy import load_taxonomy
    from monitor.clock import SystemClock
    from monitor.digest.compose import period_ending, period_for
    from monitor.digest.jobs import DigestBuilder, DigestSender
    from monitor.digest.mail import mailer_for, write_eml
    from monitor.store import Store

    settings = settings_of(ctx)
    now = SystemClock().now()
    with Store.open(settings.database_url, create=send) as store:  # a preview only reads
        targets = _targets(store, settings, to)
        builder = DigestBuilder(settings, store, load_taxonomy())
        for recipient in targets:
            period = (
                period_for(recipient, on_date.date())
                if on_date is not None
                else period_ending(recipient, now)
            )
            if send:
                sender = DigestSender(builder, mailer_for(settings), SystemClock(), store=store)
                outcome = asyncio.run(sender.send(recipient, period))
                if outcome.status == "already":
                    out.print(f"{recipient.email}: {period.key} was already sent (digest log)")
                else:
                    where = f" → {outcome.where}" if outcome.where else ""
                    error = f" ({outcome.error})" if outcome.error else ""
                    out.print(
                        f"{recipient.email}: {outcome.status}, {outcome.items} stories"
                        f"{where}{error}",
                        highlight=False,
                    )
                continue
            built = builder.build(recipient, period, now)
            preview = settings.outbox_dir / "preview"
            eml = write_eml(built.message, preview)
            html_path = eml.with_suffix(".html")
            html_path.write_text(built.rendered.html, encoding="utf-8")
            click.echo(f"Subject: {built.rendered.subject}\n")
            click.echo(built.rendered.text)  # as it is: no console wrapping or markup
            click.echo(f"HTML preview: {html_path}\n.eml preview: {eml}")
            if open_browser:
                import webbrowser

                if not webbrowser.open(html_path.resolve().as_uri()):
                    out.print("no browser found: open the HTML file above yourself")


def _targets(store: Any, settings: Any, to: str | None) -> list[Recipient]:
    """--to's recipient (or an ad-hoc one), else every active recipient, else a sample one."""
    if to is not None:
        address = _email(to)
        found = store.recipient(address)
        if found is not None:
            return [found]
        return [_sample(settings, address)]
    active: list[Recipient] = store.recipients(active_only=True)
    return active or [_sample(settings, "preview@example.org")]


def _sample(settings: Any, address: str) -> Recipient:
    """A recipient with the default filter and settings, for previews."""
    return Recipient(
        email=address,
        send_time=parse_send_time(settings.digest_time),
        timezone=settings.timezone,
        token="preview",
    )
