"""Labelled items → a `Brief`: summary counts, a timeline of stories, threads, a chart. Pure.

Items are grouped by story (``story_id``; an item routing has not given one joins its
best match by the alerts' story rule, else stands alone). A story is in the
brief when one of its reports was published in the period, its reports together
name every party, and it passes the topic and event filters. Each story shows the
best headline in the brief's language when a report has one (else the first
report's), a one-sentence summary from that report, and every report as a source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final
from urllib.parse import urlsplit

from classifiers.base import Labels
from monitor.alerts.stories import StoryCandidate, same_story
from monitor.brief.parties import COUNTRY, Party
from monitor.brief.threads import Thread, find_threads
from monitor.models import StoredItem

NO_TOPIC: Final = "_other"
MAX_SUMMARY: Final = 300  # characters of the one-sentence summary
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


@dataclass(frozen=True)
class Source:
    """One report of a story: where it appeared, in which language, and its link."""

    outlet: str
    language: str
    url: str
    title: str
    published_at: datetime


@dataclass(frozen=True)
class BriefStory:
    """One event, as the brief shows it."""

    id: int  # the story's first item
    day: date  # the event's date when a report states it, else the first report's
    events: tuple[str, ...]
    countries: tuple[str, ...]
    organisations: tuple[str, ...]
    place: str | None
    event_date: str | None
    topics: tuple[str, ...]  # most reported first
    headline: str
    headline_language: str
    summary: str
    sources: tuple[Source, ...]  # oldest first


@dataclass(frozen=True)
class Month:
    """Stories per topic in one calendar month (a story counts under its first topic)."""

    start: date
    by_topic: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_topic.values())


@dataclass(frozen=True)
class Brief:
    """Everything a briefing pack shows; the renderers only format it."""

    parties: tuple[Party, ...]
    since: datetime
    until: datetime
    language: str
    topics_filter: tuple[str, ...]
    events_filter: tuple[str, ...]
    stories: tuple[BriefStory, ...]  # the timeline: newest first
    threads: tuple[Thread, ...]
    open_ends: tuple[BriefStory, ...]
    months: tuple[Month, ...]
    by_event: tuple[tuple[str, int], ...]  # most first
    by_topic: tuple[tuple[str, int], ...]

    @property
    def report_count(self) -> int:
        return sum(len(s.sources) for s in self.stories)

    @property
    def first_day(self) -> date | None:
        return min((s.day for s in self.stories), default=None)

    @property
    def last_day(self) -> date | None:
        return max((s.day for s in self.stories), default=None)


def compose_brief(
    rows: Sequence[tuple[StoredItem, Labels]],
    *,
    parties: Sequence[Party],
    since: datetime,
    until: datetime,
    language: str,
    outlets: Mapping[str, str],
    topics: Sequence[str] = (),
    events: Sequence[str] = (),
    vectors: Mapping[int, Sequence[float]] | None = None,
) -> Brief:
    """The brief of `rows` (a story's reports may lie outside the period).

    Args:
        outlets: feed URL -> the outlet's name (the link's host otherwise).
        topics, events: keep only stories with one of these (empty: any).
        vectors: item id -> embedding, for items routing gave no story id yet.
    """
    stories: list[BriefStory] = []
    for story_id, reports in group_reports(rows, vectors or {}).items():
        reports.sort(key=lambda r: (_when(r[0]), r[0].id))
        if not any(since <= _when(item) < until for item, _ in reports):
            continue
        story = _story(story_id, reports, language, outlets)
        named = set(story.countries) | set(story.organisations)
        if not {p.id for p in parties} <= named:
            continue
        if topics and not set(topics) & set(story.topics):
            continue
        if events and not set(events) & set(story.events):
            continue
        stories.append(story)
    stories.sort(key=lambda s: (s.day, s.id), reverse=True)
    threads, open_ends = find_threads(stories)
    return Brief(
        parties=tuple(parties),
        since=since,
        until=until,
        language=language,
        topics_filter=tuple(topics),
        events_filter=tuple(events),
        stories=tuple(stories),
        threads=tuple(threads),
        open_ends=tuple(open_ends),
        months=tuple(_months(stories, since, until)),
        by_event=tuple(Counter(e for s in stories for e in s.events).most_common()),
        by_topic=tuple(Counter(t for s in stories for t in s.topics).most_common()),
    )


def group_reports(
    rows: Sequence[tuple[StoredItem, Labels]], vectors: Mapping[int, Sequence[float]]
) -> dict[int, list[tuple[StoredItem, Labels]]]:
    """Reports by story: the story id routing recorded (`StoredItem.story_id`); an item
    without one joins the story of its best match by the alerts' rule
    (`monitor.alerts.stories.same_story`, embeddings given), else starts its own."""
    grouped: dict[int, list[tuple[StoredItem, Labels]]] = {}
    members: list[StoryCandidate] = []  # item_id: the story key the member belongs to
    for item, labels in sorted(rows, key=lambda r: (_when(r[0]), r[0].id)):
        at = _when(item)
        vector = vectors.get(item.id)
        key = item.story_id
        if key is None and vector:
            query = replace(labels, embedding=tuple(vector))
            matches = same_story(query, members, title=item.title, text=item.text, at=at)
            key = matches[0] if matches else None
        key = item.id if key is None else key
        grouped.setdefault(key, []).append((item, labels))
        if vector:
            bare = replace(labels, embedding=())
            candidate = StoryCandidate.of(key, bare, title=item.title, text=item.text, at=at)
            members.append(replace(candidate, vector=vector))
    return grouped


def _story(
    story_id: int,
    reports: Sequence[tuple[StoredItem, Labels]],
    language: str,
    outlets: Mapping[str, str],
) -> BriefStory:
    best_item, best_labels = next(
        ((i, lab) for i, lab in reports if lab.language == language), reports[0]
    )
    topic_counts = Counter(t for _, lab in reports for t in lab.topics)
    event_date = next((lab.event_date for _, lab in reports if _day(lab.event_date)), None)
    first_day = _when(reports[0][0]).date()
    return BriefStory(
        id=story_id,
        day=_day(event_date) or first_day,
        events=_union(lab.events for _, lab in reports),
        countries=_union(lab.countries for _, lab in reports),
        organisations=_union(lab.organisations for _, lab in reports),
        place=next((lab.place for _, lab in reports if lab.place), None),
        event_date=event_date,
        topics=tuple(t for t, _ in sorted(topic_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        headline=best_item.title,
        headline_language=best_labels.language,
        summary=first_sentence(best_labels.summary or best_item.text),
        sources=tuple(
            Source(
                outlet=outlets.get(item.feed_url) or urlsplit(item.url).hostname or item.feed_url,
                language=labels.language,
                url=item.url,
                title=item.title,
                published_at=_when(item),
            )
            for item, labels in reports
        ),
    )


def first_sentence(text: str) -> str:
    """The first sentence of `text`, at most `MAX_SUMMARY` characters."""
    flat = " ".join(text.split())
    sentence = _SENTENCE_END.split(flat, maxsplit=1)[0] if flat else ""
    return sentence if len(sentence) <= MAX_SUMMARY else sentence[: MAX_SUMMARY - 1] + "…"


def _months(stories: Sequence[BriefStory], since: datetime, until: datetime) -> list[Month]:
    counts: dict[date, Counter[str]] = {}
    start = date(since.year, since.month, 1)
    last = date(until.year, until.month, 1)
    month = start
    while month <= last:
        counts[month] = Counter()
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for story in stories:
        key = date(story.day.year, story.day.month, 1)
        if key in counts:
            counts[key][story.topics[0] if story.topics else NO_TOPIC] += 1
    return [Month(m, dict(c)) for m, c in counts.items()]


def _union(values: Iterable[Sequence[str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in values:
        seen.update(dict.fromkeys(group))
    return tuple(seen)


def _when(item: StoredItem) -> datetime:
    return item.published_at or item.first_seen_at


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def country_parties(parties: Sequence[Party]) -> list[str]:
    """The country codes among `parties`."""
    return [p.id for p in parties if p.kind == COUNTRY]


def organisation_parties(parties: Sequence[Party]) -> list[str]:
    """The organisation ids among `parties`."""
    return [p.id for p in parties if p.kind != COUNTRY]
