"""`monitor subscribers list|add|remove`: Telegram subscriptions by chat id, for operators."""

from __future__ import annotations

import click

from monitor.cli.main import fail, main, out, settings_of
from monitor.cli.tables import Column, Format, Value, emit, format_option
from monitor.filters import EVENT_TYPES, OFFICIAL_SOURCES, SOURCE_TYPES, Filter, event_type
from monitor.models import Subscription

# group and channel ids are negative: "-100123" must read as the chat id, not an option
NEGATIVE_IDS = {"ignore_unknown_options": True}


@main.group()
def subscribers() -> None:
    """Telegram subscriptions (chats that get alerts): list, add, remove."""


@subscribers.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include deactivated chats.")
@format_option()
@click.pass_context
def subscribers_list(ctx: click.Context, show_all: bool, fmt: Format) -> None:
    """List subscribed chats with their filters."""
    from monitor.store import Store

    with Store.open(settings_of(ctx).database_url, create=False) as store:  # only reads
        subs = store.subscriptions(active_only=not show_all)
    records: list[dict[str, Value]] = []
    for s in subs:
        state = "on" if s.active and s.instant else ("off" if s.active else "deactivated")
        if s.muted_until is not None:
            state += f", muted until {s.muted_until:%Y-%m-%d %H:%M} UTC"
        records.append(
            {
                "chat": s.chat_id,
                "title": s.title,
                "type": s.chat_type,
                "wants": filter_summary(s.filter),
                "alerts": state,
                **{k: v for k, v in s.filter.to_json().items()},  # type: ignore[misc]
            }
        )
    emit(out, fmt, f"subscribers ({len(subs)})", SUBSCRIBER_COLUMNS, records)


SUBSCRIBER_COLUMNS = (
    Column("chat", "chat", "code"),
    Column("title", "title"),
    Column("type", "type", "code"),
    Column("wants", "wants"),
    Column("alerts", "alerts"),
)


def filter_summary(f: Filter) -> str:
    """A filter in one cell: only what it narrows ("cooperation; topics: uhc; official")."""
    parts = ["cooperation" if f.cooperation_only else "all relevant"]
    for label, values in (
        ("topics", sorted(f.topics)),
        ("countries", sorted(f.countries)),
        ("languages", sorted(f.languages)),
        ("events", [e for e in EVENT_TYPES if e in f.events]),
        ("keywords", list(f.keywords)),
    ):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    if f.sources == OFFICIAL_SOURCES:
        parts.append("official sources")
    elif f.sources:
        parts.append(f"sources: {', '.join(s for s in SOURCE_TYPES if s in f.sources)}")
    return "; ".join(parts)


@subscribers.command(name="add", context_settings=NEGATIVE_IDS)
@click.argument("chat_id", type=int)
@click.option("--topic", "topics", multiple=True, help="Topic slug (repeatable).")
@click.option("--country", "countries", multiple=True, help="ISO 3166-1 code (repeatable).")
@click.option("--language", "languages", multiple=True, help="Items' ISO 639-1 code (repeatable).")
@click.option("--keyword", "keywords", multiple=True, help="Word or phrase (repeatable).")
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="TYPE",
    help="Cooperation event type: agreement, meeting, statement, funding, project, training, "
    "visit, conference (repeatable; default: any).",
)
@click.option(
    "--all-relevant",
    is_flag=True,
    help="All relevant health news of the topics, not only cross-border cooperation.",
)
@click.option(
    "--official",
    is_flag=True,
    help="Only items from official sources (feeds whose source is ministry or international).",
)
@click.option("--title", default="", help="A name for operators (chat title, person).")
@click.option(
    "--type",
    "chat_type",
    type=click.Choice(["private", "group", "supergroup", "channel"]),
    default=None,
    help="Chat type (default: private for positive ids, supergroup for negative).",
)
@click.option("--thread", "thread_id", type=int, default=None, help="Forum topic id.")
@click.option("--ui-language", type=click.Choice(["en", "ko"]), default="en", show_default=True)
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone for times shown.")
@click.pass_context
def subscribers_add(
    ctx: click.Context,
    chat_id: int,
    topics: tuple[str, ...],
    countries: tuple[str, ...],
    languages: tuple[str, ...],
    keywords: tuple[str, ...],
    events: tuple[str, ...],
    all_relevant: bool,
    official: bool,
    title: str,
    chat_type: str | None,
    thread_id: int | None,
    ui_language: str,
    timezone: str,
) -> None:
    """Subscribe a chat (or replace its subscription) by Telegram chat id."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from classifiers.taxonomy import load_taxonomy
    from monitor.clock import SystemClock
    from monitor.store import Store

    if chat_id == 0:
        fail("chat id 0 is the console's own subscription; give a Telegram chat id")
    known = {t.slug for t in load_taxonomy()}
    unknown = sorted(set(topics) - known)
    if unknown:
        fail(f"unknown topic(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    bad = [c for c in countries if len(c) != 2 or not c.isalpha()]
    if bad:
        fail(f"country codes are ISO 3166-1 alpha-2 (KR, ID, ...), not {', '.join(bad)}")
    bad = [lang for lang in languages if len(lang) != 2 or not lang.isalpha()]
    if bad:
        fail(f"languages are ISO 639-1 codes (en, ko, ...), not {', '.join(bad)}")
    try:
        wanted_events = frozenset(event_type(e) for e in events)
    except ValueError as exc:
        fail(str(exc))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"unknown time zone {timezone!r} (use an IANA name such as Asia/Seoul)")
    sub = Subscription(
        chat_id=chat_id,
        filter=Filter(
            topics=frozenset(topics),
            countries=frozenset(c.upper() for c in countries),
            languages=frozenset(lang.lower() for lang in languages),
            keywords=tuple(k for k in keywords if k.strip()),
            cooperation_only=not all_relevant,
            events=wanted_events,
            sources=OFFICIAL_SOURCES if official else frozenset(),
        ),
        thread_id=thread_id,
        ui_language=ui_language,
        timezone=timezone,
        chat_type=chat_type or ("private" if chat_id > 0 else "supergroup"),
        title=title,
    )
    with Store.open(settings_of(ctx).database_url) as store:
        existed = store.subscription(chat_id) is not None
        store.save_subscription(sub, SystemClock().now())
    out.print(f"{'updated' if existed else 'added'} subscriber {chat_id}", highlight=False)


@subscribers.command(name="remove", context_settings=NEGATIVE_IDS)
@click.argument("chat_id", type=int)
@click.pass_context
def subscribers_remove(ctx: click.Context, chat_id: int) -> None:
    """Delete a chat's subscription (its unsent alerts are dropped)."""
    from monitor.store import Store

    with Store.open(settings_of(ctx).database_url) as store:
        removed = store.remove_subscription(chat_id)
    if not removed:
        fail(f"no subscriber with chat id {chat_id} (see `monitor subscribers list --all`)")
    out.print(f"removed subscriber {chat_id}", highlight=False)
