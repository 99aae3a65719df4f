"""The bot's replies other than alerts, as Telegram HTML. Pure: values in, text out.

Every stored or user-typed value is escaped here; catalogue texts too (they
are plain text). Alerts themselves are `monitor.alerts.message`'s job.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram.constants import MessageLimit

from classifiers.base import Labels
from classifiers.taxonomy import Taxonomy
from monitor.alerts.gist import event_line, gist_words
from monitor.filters import EVENT_TYPES, Filter
from monitor.models import FeedHealth, StoredItem
from monitor.telegram.i18n import text, topic_name

ERROR_NOTE_CHARS = 300
FEED_ERROR_CHARS = 80


def plain(lang: str, key: str, **values: object) -> str:
    """A catalogue text escaped for HTML (placeholders are escaped with it)."""
    return html.escape(text(lang, key, **values), quote=False)


def relevant_first(
    rows: Sequence[tuple[StoredItem, Labels | None]],
) -> list[tuple[StoredItem, Labels | None]]:
    """Relevant items, then unclassified, then not relevant; newest first within each."""

    def rank(row: tuple[StoredItem, Labels | None]) -> int:
        labels = row[1]
        return 1 if labels is None else (0 if labels.relevant else 2)

    return sorted(rows, key=rank)  # stable: the store's newest-first order is kept


def format_item(
    item: StoredItem,
    labels: Labels | None,
    *,
    feed_name: str,
    taxonomy: Taxonomy,
    lang: str = "en",
) -> str:
    """One item as a short HTML block: title, the event line, source, language, date, topics,
    countries, link."""
    language = labels.language if labels else (item.language_hint or "?")
    topics = [topic_name(taxonomy, slug, lang) for slug in (labels.topics if labels else ())]
    countries = ", ".join(labels.countries) if labels and labels.countries else "-"
    when = (item.published_at or item.first_seen_at).astimezone(UTC).strftime("%Y-%m-%d")
    lines = [
        f"<b>{html.escape(item.title or '(no title)')}</b>",
        f"{html.escape(feed_name)} · {html.escape(language)} · {when}",
        f"{html.escape(', '.join(topics) or '-')} · {html.escape(countries)}",
    ]
    published = (item.published_at or item.first_seen_at).astimezone(UTC).date()
    event = event_line(labels, lang, today=published) if labels else ""
    if event:  # what happened, in the chat's language (as on alerts)
        lines.insert(1, html.escape(event))
    if item.url.startswith(("http://", "https://")):
        lines.append(f'<a href="{html.escape(item.url, quote=True)}">{html.escape(item.url)}</a>')
    return "\n".join(lines)


def format_topics(taxonomy: Taxonomy, lang: str) -> str:
    """The taxonomy as lines of ``slug — name`` (names in the UI language)."""
    lines = [
        f"<code>{html.escape(t.slug)}</code> — {html.escape(topic_name(taxonomy, t.slug, lang))}"
        for t in taxonomy
    ]
    return "\n".join([plain(lang, "topics_header"), *lines])


def format_filter(value: Filter, *, taxonomy: Taxonomy, lang: str) -> list[str]:
    """The lines saying what a filter lets through (topics, countries, languages, keywords,
    event types)."""
    any_ = text(lang, "sub_any")
    topics = ", ".join(sorted(topic_name(taxonomy, s, lang) for s in value.topics)) or any_
    countries = ", ".join(sorted(value.countries)) or any_
    languages = ", ".join(sorted(value.languages)) or any_
    keywords = ", ".join(value.keywords) or text(lang, "sub_none")
    words = gist_words(lang)
    events = ", ".join(words.event(e) for e in EVENT_TYPES if e in value.events) or any_
    coop = "sub_cooperation_only" if value.cooperation_only else "sub_all_news"
    return [
        plain(lang, "sub_topics", value=topics),
        plain(lang, "sub_countries", value=countries),
        plain(lang, "sub_languages", value=languages),
        plain(lang, "sub_keywords", value=keywords),
        plain(lang, "sub_events", value=events),
        plain(lang, coop),
    ]


def format_time(moment: datetime, tz: str) -> str:
    """A moment in the chat's time zone, to the minute ("2026-12-03 18:30 KST")."""
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def format_feed(feed: FeedHealth) -> str:
    """One /feeds line: status mark, escaped name, status and counts."""
    if feed.removed_at is not None:
        mark, status = "➖", "removed"
    elif not feed.enabled:
        mark, status = "⏸", "disabled"
    elif feed.consecutive_errors:
        mark = "⚠️"
        status = f"{feed.consecutive_errors} error(s): {(feed.last_error or '')[:FEED_ERROR_CHARS]}"
    elif feed.last_success_at is None:
        mark, status = "…", "not polled yet"
    else:
        mark, status = "✅", "ok"
    counts = f"{feed.items_last_24h} new / {feed.items_total}"
    return f"{mark} <b>{html.escape(feed.name)}</b> — {html.escape(status)} ({counts})"


def format_stats(
    feeds: Sequence[FeedHealth],
    *,
    lang: str,
    subscribers: int | None = None,
    feedback: tuple[int, int] | None = None,
) -> str:
    """The /stats summary: feeds OK, failing and disabled, items, subscribers, feedback."""
    active = [f for f in feeds if f.enabled and f.removed_at is None]
    failing = [f for f in active if f.consecutive_errors > 0]
    disabled = sum(1 for f in feeds if not f.enabled and f.removed_at is None)
    lines = [
        f"<b>{plain(lang, 'stats_title')}</b>",
        plain(lang, "stats_ok", count=len(active) - len(failing)),
        plain(lang, "stats_failing", count=len(failing)),
        plain(lang, "stats_disabled", count=disabled),
        plain(lang, "stats_last_24h", count=sum(f.items_last_24h for f in feeds)),
        plain(lang, "stats_total", count=sum(f.items_total for f in feeds)),
    ]
    if subscribers is not None:
        lines.append(plain(lang, "stats_subscribers", count=subscribers))
    if feedback is not None:
        lines.append(plain(lang, "stats_feedback", up=feedback[0], down=feedback[1]))
    return "\n".join(lines)


def pack(
    blocks: Sequence[str], limit: int = MessageLimit.MAX_TEXT_LENGTH, sep: str = "\n\n"
) -> list[str]:
    """Join blocks with `sep` into as few messages as fit in `limit` characters.

    A single block longer than `limit` is cut (only whole blocks are HTML-safe,
    so callers keep blocks short).
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        block = block[:limit]
        candidate = f"{current}{sep}{block}" if current else block
        if len(candidate) > limit:
            messages.append(current)
            candidate = block
        current = candidate
    if current:
        messages.append(current)
    return messages


def error_note(error: BaseException | None) -> str:
    """The short, escaped note the operator gets when a handler fails."""
    note = f"{type(error).__name__}: {error}" if error else "unknown error"
    return f"⚠️ Bot error\n<code>{html.escape(note[:ERROR_NOTE_CHARS])}</code>"
