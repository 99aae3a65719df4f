"""A `Brief` as text, Markdown, HTML (Jinja2 templates in `templates/`) or Telegram messages.

View values (dates, names, the chart's bars) are prepared here in the brief's
language; the templates only lay them out. The HTML is autoescaped, printable
(A4, no scripts, no external resources) and draws the chart as inline SVG, so
the same page makes the PDF (`monitor.brief.pdf`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.alerts.gist import gist
from monitor.brief.catalogue import BriefWords, brief_words
from monitor.brief.compose import NO_TOPIC, Brief, BriefStory
from monitor.brief.parties import describe
from monitor.brief.threads import AGREEMENT
from monitor.digest.render import OTHER_COLOUR, PALETTE

TEMPLATE_DIR: Final = Path(__file__).parent / "templates"
TELEGRAM_LIMIT: Final = 4096
TELEGRAM_STORIES: Final = 8  # the newest stories in the bot's timeline message
CHART_WIDTH: Final = 680
CHART_HEIGHT: Final = 200
CHART_LEFT: Final = 28  # room for the axis numbers
CHART_BOTTOM: Final = 22  # room for the month names
MAX_MONTH_LABELS: Final = 13
_MD_SPECIAL: Final = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = lambda text: str(text).translate(_MD_SPECIAL)
    return env


_HTML = _environment(autoescape=True)
_TEXT = _environment(autoescape=False)


def render_text(brief: Brief, *, topic_names: Mapping[str, str], today: date) -> str:
    """The brief as plain text (the CLI's stdout)."""
    return _TEXT.get_template("brief.txt").render(**_context(brief, topic_names, today))


def render_markdown(brief: Brief, *, topic_names: Mapping[str, str], today: date) -> str:
    """The brief as Markdown (text from items escaped)."""
    return _TEXT.get_template("brief.md").render(**_context(brief, topic_names, today))


def render_html(brief: Brief, *, topic_names: Mapping[str, str], today: date) -> str:
    """The brief as one printable HTML page (autoescaped; inline CSS and SVG)."""
    return _HTML.get_template("brief.html").render(**_context(brief, topic_names, today))


def telegram_messages(
    brief: Brief, *, topic_names: Mapping[str, str], limit: int = TELEGRAM_LIMIT
) -> list[str]:
    """At most two Telegram HTML messages: the summary, then the newest stories with links."""
    w = brief_words(brief.language)
    view = _context(brief, topic_names, brief.until.date())
    e = html.escape
    summary = [f"<b>{e(str(view['title']))}</b>", e(str(view["period"]))]
    if view["filters"]:
        summary.append(f"<i>{e(str(view['filters']))}</i>")
    if not brief.stories:
        summary.append(e(w("empty")))
        return ["\n".join(summary)]
    summary += [e(str(view["count_line"])), e(str(view["first_last"])), ""]
    summary.append(f"<b>{e(w('by_event'))}</b>: " + ", ".join(
        f"{e(name)} {n}" for name, n in view["by_event"]))  # type: ignore[attr-defined]  # fmt: skip
    summary.append(f"<b>{e(w('by_topic'))}</b>: " + ", ".join(
        f"{e(t['name'])} {t['count']}" for t in view["by_topic"]))  # type: ignore[attr-defined]  # fmt: skip
    if brief.open_ends:
        summary.append(f"<b>{e(w('open_ends'))}</b>: {len(brief.open_ends)}")
    blocks = [f"<b>{e(w('timeline'))}</b>"]
    shown = 0
    for story in brief.stories[:TELEGRAM_STORIES]:
        s = _story_view(story, w, topic_names)
        first = s["sources"][0] if s["sources"] else None  # type: ignore[index]
        headline = e(str(s["headline"]))
        link = f'<a href="{e(first["url"])}">{headline}</a>' if first and first["url"] else headline
        outlets = ", ".join(e(f"{src['outlet']} ({src['language']})") for src in s["sources"])  # type: ignore[attr-defined]
        lines = [f"<b>{e(str(s['date']))}</b> {link}"]
        if s["event"]:
            lines.append(e(str(s["event"])))
        lines.append(f"<i>{outlets}</i>")
        block = "\n".join(lines)
        if sum(len(b) + 2 for b in blocks) + len(block) + 200 > limit:
            break
        blocks.append(block)
        shown += 1
    if shown < len(brief.stories):
        blocks.append(e(w("telegram_more", n=len(brief.stories) - shown)))
    return ["\n".join(summary)[:limit], "\n\n".join(blocks)]


# -- view values -------------------------------------------------------------------


def _context(brief: Brief, topic_names: Mapping[str, str], today: date) -> dict[str, object]:
    w = brief_words(brief.language)
    parties = describe(brief.parties, brief.language)
    last_day = (brief.until - timedelta(microseconds=1)).date()
    colours = _colours(brief)
    filters = []
    if brief.topics_filter:
        names = ", ".join(_topic(t, topic_names, w) for t in brief.topics_filter)
        filters.append(w("filter_topics", values=names))
    if brief.events_filter:
        names = ", ".join(w.gist.event(ev) for ev in brief.events_filter)
        filters.append(w("filter_events", values=names))
    count = len(brief.stories)
    views = {s.id: _story_view(s, w, topic_names) for s in brief.stories}
    return {
        "w": w,
        "lang": w.language,
        "title": w("title", parties=parties),
        "period": w("period", start=w.date(brief.since.date()), end=w.date(last_day)),
        "filters": w("filters", filters="; ".join(filters)) if filters else "",
        "count_line": (
            w("stories_one", reports=brief.report_count)
            if count == 1
            else w("stories_count", stories=count, reports=brief.report_count)
        ),
        "first_last": (
            w("first_last", first=w.date(brief.first_day), last=w.date(brief.last_day))
            if brief.first_day and brief.last_day
            else ""
        ),
        "by_event": [(w.gist.event(ev), n) for ev, n in brief.by_event],
        "by_topic": [
            {"name": _topic(t, topic_names, w), "count": n, "colour": colours.get(t, OTHER_COLOUR)}
            for t, n in brief.by_topic
        ],
        "stories": list(views.values()),
        "threads": [
            {
                "title": w("thread_agreement" if t.kind == AGREEMENT else "thread_series"),
                "stories": [views[s.id] for s in t.stories],
            }
            for t in brief.threads
        ],
        "open_ends": [views[s.id] for s in brief.open_ends],
        "chart": _chart(brief, w, topic_names, colours),
        "chart_months": [{"label": w.month(m.start)} for m in brief.months],
        "chart_rows": [
            {
                "name": _topic(t, topic_names, w),
                "counts": [m.by_topic.get(t, 0) for m in brief.months],
            }
            for t in colours
            if any(m.by_topic.get(t) for m in brief.months)
        ],
        "made": w("made", date=w.date(today)),
    }


def _story_view(
    story: BriefStory, w: BriefWords, topic_names: Mapping[str, str]
) -> dict[str, object]:
    return {
        "anchor": f"story-{story.id}",
        "date": w.date(story.day),
        "event": gist(
            events=story.events,
            countries=story.countries,
            organisations=story.organisations,
            place=story.place,
            event_date=None,  # the date is the timeline's own column
            language=w.language,
        ),
        "topics": [_topic(t, topic_names, w) for t in story.topics],
        "headline": story.headline,
        "headline_language": story.headline_language,
        "summary": story.summary if story.summary != story.headline else "",
        "sources": [
            {
                "outlet": src.outlet,
                "language": w.language_name(src.language),
                "url": src.url,
                "date": w.date(src.published_at.date()),
            }
            for src in story.sources
        ],
    }


def _topic(slug: str, topic_names: Mapping[str, str], w: BriefWords) -> str:
    return w("no_topic") if slug == NO_TOPIC else topic_names.get(slug, slug)


def _colours(brief: Brief) -> dict[str, str]:
    order = [t for t, _ in brief.by_topic]
    return {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(order)} | {NO_TOPIC: OTHER_COLOUR}


def _chart(
    brief: Brief, w: BriefWords, topic_names: Mapping[str, str], colours: Mapping[str, str]
) -> dict[str, object]:
    """Stacked bars, one per month, as SVG rectangles and labels (coordinates computed here)."""
    months = brief.months
    plot_w = CHART_WIDTH - CHART_LEFT - 4
    plot_h = CHART_HEIGHT - CHART_BOTTOM - 8
    top = max((m.total for m in months), default=0) or 1
    slot = plot_w / max(len(months), 1)
    every = max(1, -(-len(months) // MAX_MONTH_LABELS))
    order = {t: i for i, t in enumerate(colours)}
    bars: list[dict[str, object]] = []
    labels: list[dict[str, object]] = []
    for k, month in enumerate(months):
        x = CHART_LEFT + k * slot + slot * 0.15
        y = float(8 + plot_h)
        for topic, n in sorted(month.by_topic.items(), key=lambda kv: order.get(kv[0], 99)):
            h = plot_h * n / top
            y -= h
            name = _topic(topic, topic_names, w)
            bars.append({"x": round(x, 1), "y": round(y, 1), "w": round(slot * 0.7, 1),
                         "h": round(h, 1), "colour": colours.get(topic, OTHER_COLOUR),
                         "title": f"{w.month(month.start)} · {name}: {n}"})  # fmt: skip
        if k % every == 0:
            labels.append({"x": round(x + slot * 0.35, 1), "text": w.month(month.start)})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "base": 8 + plot_h,
        "top_value": top,
        "bars": bars,
        "labels": labels,
        "title": w("chart"),
    }


def output_kind(path: Path) -> str:
    """``html``, ``pdf``, ``md`` or ``txt`` from a file name's suffix.

    Raises:
        ValueError: another suffix.
    """
    suffix = path.suffix.lower().lstrip(".")
    kinds = {
        "html": "html",
        "htm": "html",
        "pdf": "pdf",
        "md": "md",
        "markdown": "md",
        "txt": "txt",
    }
    if suffix not in kinds:
        raise ValueError(f"--out {path}: the file name must end in .html, .pdf, .md or .txt")
    return kinds[suffix]
