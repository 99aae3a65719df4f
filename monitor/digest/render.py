"""A `Digest` as an e-mail's subject, HTML and plain text (Jinja2), or as Telegram messages.

The templates in `templates/` get plain view values prepared here; the HTML one
is autoescaped, so a feed's title can never become markup. The e-mail's own
words come from the recipient's catalogue (`catalogue.words`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.alerts.gist import gist, gist_words
from monitor.alerts.message import source_label
from monitor.digest.catalogue import Words, words
from monitor.digest.compose import OTHER_TOPIC, Digest, Story
from monitor.filters import EVENT_TYPES, Filter
from monitor.models import WEEKLY
from monitor.packing import pack

TEMPLATE_DIR: Final = Path(__file__).parent / "templates"
TELEGRAM_LIMIT: Final = 4096
# one colour per topic in taxonomy order, then repeating; readable on white, distinct in bars
PALETTE: Final = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#393b79", "#637939",
)  # fmt: skip
OTHER_COLOUR: Final = "#9ca3af"
BAR_MAX_PERCENT: Final = 100
MAX_COUNTRIES: Final = 16  # in the header; the rest are "and N more"
MAX_TITLE: Final = 400  # characters of a story's title in Telegram (as in alerts)


@dataclass(frozen=True)
class RenderedDigest:
    """What a mail is made of."""

    subject: str
    html: str
    text: str


def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_HTML = _environment(autoescape=True)
_TEXT = _environment(autoescape=False)


def subject_of(digest: Digest, w: Words | None = None) -> str:
    """``Health cooperation digest — 3 Dec 2026 — 14 items`` in the recipient's language."""
    w = w or words(digest.recipient.language)
    return w(
        "subject",
        title=_title(digest, w),
        date=_period_date(digest, w),
        count=w.count(digest.story_count),
    )


def render_digest(
    digest: Digest,
    *,
    topic_names: Mapping[str, str],
    topic_order: Sequence[str] = (),
    unsubscribe_url: str,
) -> RenderedDigest:
    """The subject, HTML and text of `digest`.

    Args:
        topic_names: slug -> name in the recipient's language.
        topic_order: the taxonomy's slugs (fixes each topic's colour).
        unsubscribe_url: the link of the visible unsubscribe line (https or mailto).
    """
    w = words(digest.recipient.language)
    context = _context(digest, w, topic_names, topic_order, unsubscribe_url)
    return RenderedDigest(
        subject=subject_of(digest, w),
        html=_HTML.get_template("digest.html").render(**context),
        text=_TEXT.get_template("digest.txt").render(**context),
    )


def telegram_messages(
    digest: Digest, *, topic_names: Mapping[str, str], limit: int = TELEGRAM_LIMIT
) -> list[str]:
    """The digest as Telegram HTML messages (every value escaped), each within `limit`."""
    w = words(digest.recipient.language)
    blocks = [
        w(
            "telegram_header",
            title=html.escape(_title(digest, w)),
            date=html.escape(_period_date(digest, w)),
            count=html.escape(w.count(digest.story_count)),
        )
    ]
    if digest.empty:
        blocks.append(html.escape(w("empty")))
    for group in digest.groups:
        name = _topic_name(group.slug, topic_names, w)
        blocks.append(f"<b>▍{html.escape(name)}</b> ({len(group.stories) + group.more})")
        for story in group.stories:
            title = html.escape(_clip(story.title, MAX_TITLE))  # from strangers' feeds
            link = f'<a href="{html.escape(story.url)}">{title}</a>' if story.url else title
            lines = [f"• {link}"]
            event = event_line_of(story, w.language)
            if event:
                lines.append(html.escape(event))
            lines.append(f"<i>{html.escape(_meta(story, w))}</i>")
            if story.summary and story.summary != story.title:
                lines.append(html.escape(_clip(story.summary, 400)))
            if story.others:
                others = ", ".join(
                    f"{html.escape(r.source)} ({html.escape(w.language_name(r.language))})"
                    for r in story.others
                )
                lines.append(f"{html.escape(w('also_reported'))}: {others}")
            blocks.append("\n".join(lines))
    return pack(blocks, limit)


# -- view values -------------------------------------------------------------------


def _context(
    digest: Digest,
    w: Words,
    topic_names: Mapping[str, str],
    topic_order: Sequence[str],
    unsubscribe_url: str,
) -> dict[str, object]:
    colours = _colours(digest, topic_order)
    period = digest.period
    # a cooperation-only digest has nothing but cooperation: no badge saying so each time
    cooperation_only = digest.recipient.filter.cooperation_only
    max_total = max((d.total for d in digest.days), default=0)
    chart = []
    for day in digest.days:
        counts = sorted(day.by_topic.items(), key=lambda kv: _order(kv[0], topic_order))
        widths = [max(1, round(BAR_MAX_PERCENT * n / max_total)) for _, n in counts if n]
        segments = [
            {
                "colour": colours.get(slug, OTHER_COLOUR),
                "width": width,
                "name": _topic_name(slug, topic_names, w),
                "n": n,
            }
            for (slug, n), width in zip([c for c in counts if c[1]], widths, strict=True)
        ]
        used = sum(widths)
        chart.append(
            {
                "label": f"{w.weekday(day.day)} {w.short_date(day.day)}",
                "segments": segments,
                "rest": max(0, BAR_MAX_PERCENT - used),
                "total": day.total,
            }
        )
    chart_topics = sorted(
        {slug for d in digest.days for slug, n in d.by_topic.items() if n},
        key=lambda s: _order(s, topic_order),
    )
    return {
        "lang": w.language,
        "title": _title(digest, w),
        "subject": subject_of(digest, w),
        "date": _period_date(digest, w),
        "count": w.count(digest.story_count),
        "period": w(
            "period",
            start=w.short_datetime(period.local_start),
            end=w.short_datetime(period.local_end),
            timezone=period.timezone,
        ),
        "empty": digest.empty,
        "w": w,
        "topics": [
            {
                "name": _topic_name(slug, topic_names, w),
                "n": n,
                "colour": colours.get(slug, OTHER_COLOUR),
            }
            for slug, n in digest.topic_counts
        ],
        "countries": [
            {"code": code, "name": w.country_name(code), "n": n}
            for code, n in digest.country_counts[:MAX_COUNTRIES]
        ],
        "more_countries": (
            w("and_more", n=len(digest.country_counts) - MAX_COUNTRIES)
            if len(digest.country_counts) > MAX_COUNTRIES
            else ""
        ),
        "chart": chart,
        "chart_has_items": max_total > 0,
        "legend": [
            {"name": _topic_name(s, topic_names, w), "colour": colours.get(s, OTHER_COLOUR)}
            for s in chart_topics
        ],
        "groups": [
            {
                "name": _topic_name(g.slug, topic_names, w),
                "colour": colours.get(g.slug, OTHER_COLOUR),
                "stories": [_story_view(s, w, badge=not cooperation_only) for s in g.stories],
                "count": len(g.stories) + g.more,
                "more": w("more_stories", n=g.more) if g.more else "",
            }
            for g in digest.groups
        ],
        "filters": w("filters", filters=describe_filter(digest.recipient.filter, w, topic_names)),
        "email": digest.recipient.email,
        "unsubscribe_url": unsubscribe_url,
    }


def _story_view(story: Story, w: Words, *, badge: bool) -> dict[str, object]:
    summary = story.summary if story.summary and story.summary != story.title else ""
    return {
        "title": story.title,
        "url": story.url,
        "meta": _meta(story, w),
        "event": event_line_of(story, w.language),
        "cooperation": story.cooperation and badge,
        "official": story.official,
        "summary": _clip(summary, 600),
        "others": [
            {
                "source": r.source,
                "language": w.language_name(r.language),
                "url": r.url,
                "title": r.title,
            }
            for r in story.others
        ],
        "more": w("and_more", n=story.more_others) if story.more_others else "",
    }


def event_line_of(story: Story, language: str) -> str:
    """The story's event line in `language` ("" without events): what happened, who, when."""
    return gist(
        events=story.events,
        countries=story.countries,
        organisations=story.organisations,
        place=story.place,
        event_date=story.event_date,
        language=language,
        today=story.first_seen_at.date(),
    )


def _meta(story: Story, w: Words) -> str:
    # the lead's source and its type in the reader's language: "Yonhap · wire"
    parts = [
        source_label(story.source, story.source_kind, w.language),
        w.language_name(story.language),
    ]
    if story.countries:
        parts.append(", ".join(w.country_name(c) for c in story.countries))
    return " · ".join(parts)


def describe_filter(f: Filter, w: Words, topic_names: Mapping[str, str]) -> str:
    """The recipient's filter in their language, for the footer."""
    parts = [w("filter_cooperation") if f.cooperation_only else w("filter_all")]
    if f.topics:
        names = ", ".join(sorted(topic_names.get(t, t) for t in f.topics))
        parts.append(w("filter_topics", values=names))
    if f.countries:
        names = ", ".join(sorted(w.country_name(c) for c in f.countries))
        parts.append(w("filter_countries", values=names))
    if f.languages:
        names = ", ".join(sorted(w.language_name(c) for c in f.languages))
        parts.append(w("filter_languages", values=names))
    if f.events:
        names = ", ".join(gist_words(w.language).event(e) for e in EVENT_TYPES if e in f.events)
        parts.append(w("filter_events", values=names))
    if f.keywords:
        parts.append(w("filter_keywords", values=", ".join(f.keywords)))
    return "; ".join(parts)


def _title(digest: Digest, w: Words) -> str:
    return w("title_weekly") if digest.recipient.frequency == WEEKLY else w("title")


def _period_date(digest: Digest, w: Words) -> str:
    period = digest.period
    if digest.recipient.frequency == WEEKLY:
        return f"{w.short_date(period.local_start.date())} – {w.long_date(period.local_date)}"
    return w.long_date(period.local_date)


def _topic_name(slug: str, names: Mapping[str, str], w: Words) -> str:
    return w("other_topic") if slug == OTHER_TOPIC else names.get(slug, slug)


def _order(slug: str, topic_order: Sequence[str]) -> tuple[bool, int, str]:
    rank = topic_order.index(slug) if slug in topic_order else len(topic_order)
    return (slug == OTHER_TOPIC, rank, slug)


def _colours(digest: Digest, topic_order: Sequence[str]) -> dict[str, str]:
    slugs = list(topic_order) + sorted(
        {s for d in digest.days for s in d.by_topic} | {g.slug for g in digest.groups}
    )
    colours: dict[str, str] = {}
    for slug in dict.fromkeys(slugs):
        if slug != OTHER_TOPIC:
            colours[slug] = PALETTE[len(colours) % len(PALETTE)]
    colours[OTHER_TOPIC] = OTHER_COLOUR
    return colours


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
