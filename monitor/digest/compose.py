"""What one recipient's digest holds: stories grouped by topic, counts, a 7-day picture. Pure.

Values in, a `Digest` out: the caller reads the items (with their labels and
duplicates) from the store and passes `now`-free periods; nothing here touches
a clock, the disk or the network.

A story is an original item with everything that reports the same thing: its
duplicates (re-posts and near-copies found by dedup) and, when embeddings are
given, originals in other languages that the alerts' rule calls the same story
(`monitor.alerts.stories.same_story`). Stories are ranked by what officials care about
first: cross-border cooperation, several countries, official sources, wide
coverage; then by recency.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from classifiers.base import Labels
from monitor.alerts.stories import StoryCandidate, same_story
from monitor.models import WEEKLY, Recipient, StoredItem

CHART_DAYS: Final = 7
OTHER_TOPIC: Final = ""  # the group of relevant items without a topic
MAX_OTHER_REPORTS: Final = 8  # "also reported by" entries shown per story
# stories listed per topic: keeps a busy day's HTML under Gmail's ~100 KB clipping
MAX_PER_TOPIC: Final = 10


@dataclass(frozen=True)
class Source:
    """A feed as a reader sees it."""

    name: str
    official: bool = False  # a ministry, WHO, a UN agency (feeds.toml source or tags)
    kind: str | None = None  # feeds.toml's source type (`monitor.filters.SOURCE_TYPES`)


@dataclass(frozen=True)
class Period:
    """The stretch of time one digest covers, [start, end), and its key in the digest log."""

    start: datetime
    end: datetime
    key: str  # "daily:2026-12-03": one digest per recipient and key
    local_date: date  # the recipient's date of sending
    timezone: str

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.timezone))

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True)
class Report:
    """Another outlet's (or language's) report of a story."""

    source: str
    language: str
    url: str
    title: str


@dataclass(frozen=True)
class Story:
    """One story: its lead item and the other reports of it."""

    item_id: int
    title: str
    url: str
    source: str
    language: str
    topics: tuple[str, ...]
    countries: tuple[str, ...]
    summary: str
    cooperation: bool
    official: bool
    first_seen_at: datetime
    score: float
    others: tuple[Report, ...] = ()
    more_others: int = 0  # reports beyond the ones listed
    # what happened (issue #17), from every report of the story, the lead's first:
    # the event line of `monitor.alerts.gist`
    events: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    place: str | None = None
    event_date: str | None = None
    source_kind: str | None = None  # the lead's feed's source type ("wire")


@dataclass(frozen=True)
class TopicGroup:
    """Stories of one topic (slug "" for relevant items without one), most important first."""

    slug: str
    stories: tuple[Story, ...]
    more: int = 0  # stories beyond `MAX_PER_TOPIC`, counted but not listed


@dataclass(frozen=True)
class DayCount:
    """Matching stories first seen on one local day, by topic."""

    day: date
    by_topic: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_topic.values())


@dataclass(frozen=True)
class Digest:
    """A recipient's digest for one period, ready to render."""

    recipient: Recipient
    period: Period
    groups: tuple[TopicGroup, ...]
    topic_counts: tuple[tuple[str, int], ...]  # (slug, stories), most first
    country_counts: tuple[tuple[str, int], ...]  # (ISO code, stories), most first
    days: tuple[DayCount, ...]  # the last `CHART_DAYS` local days, oldest first

    @property
    def story_count(self) -> int:
        return sum(len(g.stories) + g.more for g in self.groups)

    @property
    def empty(self) -> bool:
        return not self.groups


def period_for(recipient: Recipient, local_date: date) -> Period:
    """The period of the digest `recipient` gets on `local_date` at their send time.

    A daily digest covers the time since the previous day's send time, a weekly
    one since the same time a week before: wall-clock days, so consecutive
    digests neither overlap nor leave a gap across daylight-saving changes.
    """
    zone = ZoneInfo(recipient.timezone)
    days = 7 if recipient.frequency == WEEKLY else 1
    end = local_send_time(local_date, recipient.send_time, zone)
    start = local_send_time(local_date - timedelta(days=days), recipient.send_time, zone)
    return Period(
        start=start,
        end=end,
        key=f"{recipient.frequency}:{local_date.isoformat()}",
        local_date=local_date,
        timezone=recipient.timezone,
    )


def period_ending(recipient: Recipient, end: datetime) -> Period:
    """The period of a digest built at `end` (``monitor digest`` without --date)."""
    zone = ZoneInfo(recipient.timezone)
    local_end = end.astimezone(zone)
    days = 7 if recipient.frequency == WEEKLY else 1
    start = (local_end.replace(tzinfo=None) - timedelta(days=days)).replace(tzinfo=zone)
    return Period(
        start=_utc(start),
        end=_utc(local_end),
        key=f"{recipient.frequency}:{local_end.date().isoformat()}",
        local_date=local_end.date(),
        timezone=recipient.timezone,
    )


def local_send_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `zone`, as UTC; a time skipped by DST moves forward."""
    # fold=0: a time skipped in spring reads with the old offset (so it lands just after
    # the jump), a time repeated in autumn is its first occurrence
    return _utc(datetime.combine(day, at).replace(tzinfo=zone, fold=0))


def compose_digest(
    recipient: Recipient,
    period: Period,
    rows: Sequence[tuple[StoredItem, Labels]],
    duplicates: Sequence[StoredItem] = (),
    *,
    sources: Mapping[str, Source] | None = None,
    vectors: Mapping[int, Sequence[float]] | None = None,
    topic_order: Sequence[str] = (),
    max_per_topic: int = MAX_PER_TOPIC,
) -> Digest:
    """Build the digest of `period` for `recipient`.

    Args:
        recipient: whose filter, language and time zone apply.
        period: what the digest covers.
        rows: classified originals of at least the `CHART_DAYS` days before
            ``period.end`` (and all of the period): the body takes those of the
            period, the chart all of them.
        duplicates: items whose ``duplicate_of`` is one of the rows: other reports.
        sources: feed URL -> `Source` (a missing feed shows its URL's host).
        vectors: item id -> L2-normalised embedding; links one story across languages.
        topic_order: the taxonomy's slugs, to break ties between topics.
        max_per_topic: stories listed per topic, the most important; the rest are counted.
    """
    sources = sources or {}
    zone = ZoneInfo(recipient.timezone)
    wanted = [
        (item, labels)
        for item, labels in rows
        if recipient.filter.matches(
            labels, title=item.title, text=item.text, source=_source(item.feed_url, sources).kind
        )
    ]
    in_period = [(i, lab) for i, lab in wanted if period.start <= i.first_seen_at < period.end]
    stories = _stories(in_period, duplicates, sources, vectors or {})
    rank = {slug: n for n, slug in enumerate(topic_order)}
    grouped: dict[str, list[Story]] = defaultdict(list)
    for story in stories:
        grouped[_main_topic(story, recipient.filter.topics, rank)].append(story)
    groups = []
    for slug, members in grouped.items():
        ranked = sorted(members, key=_story_order)
        groups.append(
            TopicGroup(slug, tuple(ranked[:max_per_topic]), max(0, len(ranked) - max_per_topic))
        )
    # the topics that matter most this period first: their stories' importance summed
    groups.sort(
        key=lambda g: (
            g.slug == OTHER_TOPIC,
            -sum(s.score for s in g.stories),
            rank.get(g.slug, len(rank)),
            g.slug,
        )
    )
    topic_counts = Counter(_main_topic(s, recipient.filter.topics, rank) for s in stories)
    country_counts = Counter(c for s in stories for c in s.countries)
    return Digest(
        recipient=recipient,
        period=period,
        groups=tuple(groups),
        topic_counts=_most_common(topic_counts),
        country_counts=_most_common(country_counts),
        days=_days(wanted, period, zone, recipient.filter.topics, rank),
    )


# -- stories ---------------------------------------------------------------------


def _stories(
    rows: Sequence[tuple[StoredItem, Labels]],
    duplicates: Sequence[StoredItem],
    sources: Mapping[str, Source],
    vectors: Mapping[int, Sequence[float]],
) -> list[Story]:
    copies: dict[int, list[StoredItem]] = defaultdict(list)
    for dup in duplicates:
        if dup.duplicate_of is not None:
            copies[dup.duplicate_of].append(dup)
    clusters = _clusters(rows, vectors)
    stories = []
    for members in clusters:
        # the lead: the member that ranks highest on its own, then the earliest
        members = sorted(members, key=lambda m: (-_item_score(m[0], m[1], sources), m[0].id))
        lead, labels = members[0]
        reports: list[Report] = []
        for item, item_labels in members[1:]:
            reports.append(_report(item, item_labels.language, sources))
        for item, _ in members:
            reports += [
                _report(d, d.language_hint or labels.language, sources) for d in copies[item.id]
            ]
        reports = _distinct(reports, lead)
        countries = tuple(dict.fromkeys(c for _, lab in members for c in lab.countries))
        topics = tuple(dict.fromkeys(t for _, lab in members for t in lab.topics))
        official = any(_source(m.feed_url, sources).official for m, _ in members)
        cooperation = any(lab.cooperation for _, lab in members)
        score = (
            (3.0 if cooperation else 0.0)
            + 0.75 * min(len(countries), 4)
            + (1.5 if official else 0.0)
            + 0.5 * min(len(reports), 4)
            + labels.cooperation_score * 0.5
            + labels.relevance_score * 0.25
        )
        stories.append(
            Story(
                item_id=lead.id,
                title=lead.title.strip() or lead.url,
                url=safe_url(lead.url),
                source=_source(lead.feed_url, sources).name,
                source_kind=_source(lead.feed_url, sources).kind,
                language=labels.language,
                topics=topics,
                countries=countries,
                summary=labels.summary.strip(),
                cooperation=cooperation,
                official=official,
                first_seen_at=min(m.first_seen_at for m, _ in members),
                score=round(score, 4),
                others=tuple(reports[:MAX_OTHER_REPORTS]),
                more_others=max(0, len(reports) - MAX_OTHER_REPORTS),
                events=tuple(dict.fromkeys(e for _, lab in members for e in lab.events)),
                organisations=tuple(
                    dict.fromkeys(o for _, lab in members for o in lab.organisations)
                ),
                place=next((lab.place for _, lab in members if lab.place), None),
                event_date=next((lab.event_date for _, lab in members if lab.event_date), None),
            )
        )
    return stories


def _clusters(
    rows: Sequence[tuple[StoredItem, Labels]], vectors: Mapping[int, Sequence[float]]
) -> list[list[tuple[StoredItem, Labels]]]:
    """Group originals that are one story, across outlets and languages (in time order).

    Routing recorded the story of every item it routed (`StoredItem.story_id`, the id
    of the story's first item): items of one story id are one entry. Any other item
    is compared with the entries' members by the alerts' rule
    (`monitor.alerts.stories.same_story`), so a digest and an alert agree on a story.
    """
    clusters: list[list[tuple[StoredItem, Labels]]] = []
    by_story: dict[int, int] = {}  # story id -> its cluster's index
    members: list[StoryCandidate] = []  # members with a vector; item_id: their cluster's index
    for row in sorted(rows, key=lambda r: (r[0].first_seen_at, r[0].id)):
        item, labels = row
        vector = vectors.get(item.id)
        at = item.published_at or item.first_seen_at
        home = by_story.get(item.story_id) if item.story_id is not None else None
        if home is None and vector:
            query = replace(labels, embedding=tuple(vector))
            matches = same_story(query, members, title=item.title, text=item.text, at=at)
            home = matches[0] if matches else None
        if home is None:
            clusters.append([row])
            home = len(clusters) - 1
        else:
            clusters[home].append(row)
        if item.story_id is not None:
            by_story.setdefault(item.story_id, home)
        if vector:
            bare = replace(labels, embedding=())
            candidate = StoryCandidate.of(home, bare, title=item.title, text=item.text, at=at)
            members.append(replace(candidate, vector=vector))
    return clusters


def _item_score(item: StoredItem, labels: Labels, sources: Mapping[str, Source]) -> float:
    official = _source(item.feed_url, sources).official
    return (
        (3.0 if labels.cooperation else 0.0)
        + 0.75 * min(len(labels.countries), 4)
        + (1.5 if official else 0.0)
        + labels.relevance_score * 0.25
    )


def _report(item: StoredItem, language: str, sources: Mapping[str, Source]) -> Report:
    return Report(
        source=_source(item.feed_url, sources).name,
        language=language,
        url=safe_url(item.url),
        title=item.title.strip(),
    )


def _distinct(reports: list[Report], lead: StoredItem) -> list[Report]:
    """One report per (source, URL), not the lead's own URL again."""
    seen = {safe_url(lead.url)} if lead.url else set()
    kept = []
    for r in reports:
        key = r.url or f"{r.source}\n{r.title}"
        if key in seen:
            continue
        seen.add(key)
        kept.append(r)
    return kept


def _source(feed_url: str, sources: Mapping[str, Source]) -> Source:
    found = sources.get(feed_url)
    if found is not None:
        return found
    host = feed_url.split("://", 1)[-1].split("/", 1)[0]
    return Source(name=host or feed_url)


def safe_url(url: str) -> str:
    """`url` if it is http(s), else "" (a feed must not put ``javascript:`` in a mail)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def _story_order(story: Story) -> tuple[float, float, int]:
    return (-story.score, -story.first_seen_at.timestamp(), story.item_id)


def _main_topic(story: Story, preferred: frozenset[str], rank: Mapping[str, int]) -> str:
    """The topic a story is listed under: the first of its topics the recipient asked for."""
    if not story.topics:
        return OTHER_TOPIC
    chosen = [t for t in story.topics if t in preferred] or list(story.topics)
    return chosen[0]


def _most_common(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _days(
    rows: Sequence[tuple[StoredItem, Labels]],
    period: Period,
    zone: ZoneInfo,
    preferred: frozenset[str],
    rank: Mapping[str, int],
) -> tuple[DayCount, ...]:
    last = (period.end - timedelta(microseconds=1)).astimezone(zone).date()
    first = last - timedelta(days=CHART_DAYS - 1)
    counts: dict[date, Counter[str]] = {first + timedelta(days=n): Counter() for n in range(7)}
    chart_start = local_send_time(first, time(0, 0), zone)
    for item, labels in rows:
        if not chart_start <= item.first_seen_at < period.end:
            continue
        day = item.first_seen_at.astimezone(zone).date()
        if day in counts:
            chosen = [t for t in labels.topics if t in preferred] or list(labels.topics)
            counts[day][chosen[0] if chosen else OTHER_TOPIC] += 1
    return tuple(DayCount(day, dict(c)) for day, c in sorted(counts.items()))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
