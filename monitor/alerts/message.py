"""The alert as Telegram HTML. Pure: values in, text out.

Every stored value is escaped (titles and summaries come from strangers'
feeds); a message never exceeds Telegram's 4,096 characters: the summary is
shortened first, then the title. The 👍/👎 buttons carry ``fb:<item id>:up|down``,
which the bot's callback handler stores with `Store.save_feedback`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from classifiers.base import Labels
from monitor.alerts.gist import CATALOGUE_PACKAGE, event_line, flag
from monitor.catalogues import DEFAULT_LANGUAGE, load_catalogue
from monitor.models import StoredItem

MAX_MESSAGE: Final = 4096
MAX_TITLE: Final = 400  # characters of the title, before escaping
MAX_SUMMARY: Final = 1200
MAX_URL: Final = 2000  # a longer link is left out rather than cut (a cut link is a wrong one)
ELLIPSIS: Final = "…"

LANGUAGE_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "en": "English", "ko": "Korean", "zh": "Chinese", "ja": "Japanese",
        "id": "Indonesian", "vi": "Vietnamese", "th": "Thai", "ms": "Malay",
        "tl": "Filipino", "km": "Khmer", "lo": "Lao", "my": "Burmese", "mn": "Mongolian",
        "fr": "French", "es": "Spanish", "ru": "Russian",
    },
    "ko": {
        "en": "영어", "ko": "한국어", "zh": "중국어", "ja": "일본어", "id": "인도네시아어",
        "vi": "베트남어", "th": "태국어", "ms": "말레이어", "tl": "필리핀어", "km": "크메르어",
        "lo": "라오어", "my": "미얀마어", "mn": "몽골어", "fr": "프랑스어", "es": "스페인어",
        "ru": "러시아어",
    },
}  # fmt: skip

ALSO_REPORTED: Final[Mapping[str, str]] = {
    "en": "🔁 Also reported by <b>{feed}</b>, in {language}",
    "ko": "🔁 <b>{feed}</b>도 보도 ({language})",
}
ALSO_REPORTED_NO_LANGUAGE: Final[Mapping[str, str]] = {
    "en": "🔁 Also reported by <b>{feed}</b>",
    "ko": "🔁 <b>{feed}</b>도 보도",
}
UNKNOWN_LANGUAGES: Final = frozenset({"", "und", "?"})
NO_TITLE: Final[Mapping[str, str]] = {"en": "(no title)", "ko": "(제목 없음)"}


def format_alert(
    item: StoredItem,
    labels: Labels,
    *,
    feed_name: str,
    topic_names: Mapping[str, str],
    tz: str,
    ui_language: str = "en",
    source: str | None = None,
) -> str:
    """One alert: title as a link, the event line, source, time, language, topics, summary.

    The event line (`monitor.alerts.gist`) says in `ui_language` what happened, with
    the countries' names; an item without one gets a line of country flags and codes.

    Args:
        item: the stored item.
        labels: its labels.
        feed_name: the source's name from feeds.toml.
        topic_names: topic slug -> name in the chat's UI language (unknown slugs shown as is).
        tz: IANA time zone of the chat (an unknown zone falls back to UTC).
        ui_language: the chat's UI language ("en", "ko"): names and the event line.
        source: the feed's source type ("wire"), shown after its name; None: not labelled.
    """
    title = _cut(item.title.strip() or NO_TITLE.get(ui_language, NO_TITLE["en"]), MAX_TITLE)
    head = _title_line(title, item.url)
    meta = " · ".join(
        [
            f"📰 {html.escape(source_label(feed_name, source, ui_language))}",
            f"🕒 {html.escape(local_time(item.published_at or item.first_seen_at, tz))}",
            f"🌐 {html.escape(language_name(labels.language, ui_language))}",
        ]
    )
    published = item.published_at or item.first_seen_at
    gist = event_line(labels, ui_language, today=local_date(published, tz))
    # what happened, in the reader's language, right under the title
    lines = [head, html.escape(gist), meta] if gist else [head, meta]
    if labels.topics:
        names = [topic_names.get(t, t) for t in labels.topics]
        lines.append("🏷 " + html.escape(", ".join(names)))
    if labels.countries and not gist:  # the event line names them already
        lines.append("🌏 " + html.escape(" ".join(f"{flag(c)} {c}" for c in labels.countries)))
    text = "\n".join(lines)
    summary = " ".join(labels.summary.split())
    if summary:
        room = MAX_MESSAGE - len(text) - 2
        text += "\n\n" + _escaped_within(_cut(summary, MAX_SUMMARY), room)
    if len(text) > MAX_MESSAGE:  # only a pathological title gets here: drop to the bare link
        text = _title_line(_cut(title, 100), item.url)
    return text


def format_also_reported(feed_name: str, language: str, *, ui_language: str = "en") -> str:
    """The short reply under a story's first alert: "also reported by Yonhap, in Korean"."""
    templates = ALSO_REPORTED if language not in UNKNOWN_LANGUAGES else ALSO_REPORTED_NO_LANGUAGE
    template = templates.get(ui_language, templates["en"])
    return template.format(
        feed=html.escape(_cut(feed_name, 200)),
        language=html.escape(language_name(language, ui_language)),
    )


def source_type_name(kind: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A source type's name in `language` ("wire" -> "통신사"); the id itself when unknown."""
    for lang in (language, DEFAULT_LANGUAGE):
        names = load_catalogue(CATALOGUE_PACKAGE, lang).get("sources")
        if isinstance(names, dict) and isinstance(names.get(kind), str):
            return str(names[kind])
    return kind.replace("_", " ")


def source_label(feed_name: str, source: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """A feed's name and, when labelled, its source type: "Yonhap · wire"."""
    if not source:
        return feed_name
    return f"{feed_name} · {source_type_name(source, language)}"


def feedback_buttons(item_id: int) -> Sequence[tuple[str, str]]:
    """The 👍/👎 buttons under an alert: (label, callback data)."""
    return (("👍", f"fb:{item_id}:up"), ("👎", f"fb:{item_id}:down"))


def language_name(code: str, ui_language: str = "en") -> str:
    """A language's name in the UI language; the code itself when unknown."""
    names = LANGUAGE_NAMES.get(ui_language, LANGUAGE_NAMES["en"])
    return names.get(code, code or "?")


def local_date(when: datetime, tz: str) -> date:
    """The date of `when` in `tz` (UTC if unknown)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return when.astimezone(UTC).astimezone(zone).date()


def local_time(when: datetime, tz: str) -> str:
    """``YYYY-MM-DD HH:MM`` plus the zone's abbreviation, in `tz` (UTC if unknown)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = when.astimezone(UTC).astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or tz}"


def _title_line(title: str, url: str) -> str:
    escaped = f"<b>{html.escape(title)}</b>"
    if url.startswith(("http://", "https://")) and len(url) <= MAX_URL:
        return f'<a href="{html.escape(url, quote=True)}">{escaped}</a>'
    return escaped


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _escaped_within(text: str, room: int) -> str:
    """`text` escaped, shortened until the escaped form fits in `room` characters."""
    escaped = html.escape(text)
    while len(escaped) > room and text:
        text = _cut(text, max(1, len(text) - max(1, (len(escaped) - room))))
        if len(text) <= 1:
            return ""
        escaped = html.escape(text)
    return escaped if len(escaped) <= room else ""
