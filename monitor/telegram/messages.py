"""The bot's replies other than alerts, as Telegram HTML. Pure: values in, text out.

Every stored or user-typed value is escaped here; catalogue texts too (they
are plain text). Values from outside are capped too (a title at `MAX_TITLE`
characters, keywords shown at most `MAX_KEYWORDS_SHOWN`), and `pack` cuts a
message only between whole blocks or lines, never inside an HTML tag. Alerts
themselves are `monitor.alerts.message`'s job.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from classifiers.base import Labels
from classifiers.taxonomy import Taxonomy
from monitor.alerts.gist import event_line, gist_words
from monitor.filters import EVENT_TYPES, Filter
from monitor.models import FeedHealth, StoredItem, Subscription
from monitor.packing import cut
from monitor.packing import pack as pack  # the bot packs its replies with it
from monitor.telegram.i18n import text, topic_name

ERROR_NOTE_CHARS = 300
FEED_ERROR_CHARS = 80
MAX_TITLE = 400  # characters of a title, before escaping (as in alerts)
MAX_URL = 2000  # a longer link is left out rather than cut (a cut link is a wrong one)
MAX_KEYWORDS_SHOWN = 20  # a chat stored before the keyword limit may have more
MAX_KEYWORD_SHOWN = 100
MAX_SILENT_SHOWN = 10  # /stats names this many silent feeds, then counts the rest


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
    tz: str = "UTC",
) -> str:
    """One item as a short HTML block: title, the event line, source, language, date, topics,
    countries, link. The date is the chat's (`tz`)."""
    language = labels.language if labels else (item.language_hint or "?")
    topics = [topic_name(taxonomy, slug, lang) for slug in (labels.topics if labels else ())]
    countries = ", ".join(labels.countries) if labels and labels.countries else "-"
    when = _local(item.published_at or item.first_seen_at, tz).strftime("%Y-%m-%d")
    lines = [
        f"<b>{html.escape(cut(item.title or '(no title)', MAX_TITLE))}</b>",
        f"{html.escape(feed_name)} · {html.escape(language)} · {when}",
        f"{html.escape(', '.join(topics) or '-')} · {html.escape(countries)}",
    ]
    published = _local(item.published_at or item.first_seen_at, tz).date()
    event = event_line(labels, lang, today=published) if labels else ""
    if event:  # what happened, in the chat's language (as on alerts)
        lines.insert(1, html.escape(event))
    if item.url.startswith(("http://", "https://")) and len(item.url) <= MAX_URL:
        shown = html.escape(cut(item.url, 80))
        lines.append(f'<a href="{html.escape(item.url, quote=True)}">{shown}</a>')
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
    shown = [cut(k, MAX_KEYWORD_SHOWN) for k in value.keywords[:MAX_KEYWORDS_SHOWN]]
    more = len(value.keywords) - len(shown)
    keywords = ", ".join(shown) + (f" (+{more})" if more else "") or text(lang, "sub_none")
    words = gist_words(lang)
    events = ", ".join(words.event(e) for e in EVENT_TYPES if e in value.events) or any_
    coop = "sub_cooperation_only" if value.cooperation_only else "sub_all_news"
    lines = [
        plain(lang, "sub_topics", value=topics),
        plain(lang, "sub_countries", value=countries),
        plain(lang, "sub_languages", value=languages),
        plain(lang, "sub_keywords", value=keywords),
        plain(lang, "sub_events", value=events),
        plain(lang, coop),
    ]
    if value.sources:  # `/subscribe official`: ministries and international bodies
        lines.append(plain(lang, "sub_official_only"))
    return lines


def format_time(moment: datetime, tz: str) -> str:
    """A moment in the chat's time zone, to the minute ("2026-12-03 18:30 KST")."""
    return _local(moment, tz).strftime("%Y-%m-%d %H:%M %Z")


def _local(moment: datetime, tz: str) -> datetime:
    """`moment` in the zone `tz` (UTC for an unknown or empty one)."""
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(UTC).astimezone(zone)


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
    silent: Mapping[str, str] | None = None,
) -> str:
    """The /stats summary: feeds OK, failing, silent and disabled, items, subscribers, feedback.

    `silent`: feed URL -> how it is silent (`monitor.ingest.silence`); the first
    `MAX_SILENT_SHOWN` are named.
    """
    active = [f for f in feeds if f.enabled and f.removed_at is None]
    failing = [f for f in active if f.consecutive_errors > 0]
    disabled = sum(1 for f in feeds if not f.enabled and f.removed_at is None)
    lines = [
        f"<b>{plain(lang, 'stats_title')}</b>",
        plain(lang, "stats_ok", count=len(active) - len(failing)),
        plain(lang, "stats_failing", count=len(failing)),
        plain(lang, "stats_silent", count=len(silent or {})),
        *_silent_lines(feeds, silent or {}),
        plain(lang, "stats_disabled", count=disabled),
        plain(lang, "stats_last_24h", count=sum(f.items_last_24h for f in feeds)),
        plain(lang, "stats_total", count=sum(f.items_total for f in feeds)),
    ]
    if subscribers is not None:
        lines.append(plain(lang, "stats_subscribers", count=subscribers))
    if feedback is not None:
        lines.append(plain(lang, "stats_feedback", up=feedback[0], down=feedback[1]))
    return "\n".join(lines)


def _silent_lines(feeds: Sequence[FeedHealth], silent: Mapping[str, str]) -> list[str]:
    """One line per silent feed (the first `MAX_SILENT_SHOWN`, by name), escaped."""
    names = {f.url: f.name for f in feeds}
    shown = sorted((names.get(url, url), why) for url, why in silent.items())
    lines = [f"  • {html.escape(name)} — {html.escape(why)}" for name, why in shown]
    if len(lines) > MAX_SILENT_SHOWN:
        lines = [*lines[:MAX_SILENT_SHOWN], f"  … +{len(lines) - MAX_SILENT_SHOWN}"]
    return lines


def error_note(error: BaseException | None, *, held: int = 0) -> str:
    """The short, escaped note the operator gets when a handler fails.

    `held`: failures since the last note that were not reported one by one.
    """
    note = f"{type(error).__name__}: {error}" if error else "unknown error"
    text = f"⚠️ Bot error\n<code>{html.escape(note[:ERROR_NOTE_CHARS])}</code>"
    if held:
        text += f"\n({held} more failed since the last note; see the log.)"
    return text


def quiet_line(sub: Subscription, lang: str) -> str:
    """The chat's quiet hours in one line (escaped), or "" without a window."""
    if sub.quiet_start is None or sub.quiet_end is None:
        return ""
    key = "sub_quiet_hold" if sub.quiet_hold else "sub_quiet_silent"
    window = f"{sub.quiet_start:%H:%M}–{sub.quiet_end:%H:%M}"
    return plain(lang, key, window=window, zone=sub.zone)


def zone_line(sub: Subscription, lang: str) -> str:
    """The chat's time zone in one line (escaped), saying when it is only a guess."""
    key = "sub_zone" if sub.timezone else "sub_zone_guessed"
    return plain(lang, key, zone=sub.zone)
