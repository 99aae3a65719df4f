"""monitor.digest: periods, composition (pure) and rendering (HTML, text, Telegram)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

from digestdata import EVIL_TITLE, KO_TITLE, MOHW, STORIES, WIRE, url_of

from classifiers.base import Labels
from classifiers.taxonomy import load_taxonomy
from monitor.digest.compose import (
    Digest,
    Source,
    Story,
    compose_digest,
    period_ending,
    period_for,
)
from monitor.digest.render import render_digest, subject_of, telegram_messages
from monitor.filters import Filter
from monitor.models import WEEKLY, Recipient, StoredItem

NOW = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
SEOUL = Recipient("kim@example.org", timezone="Asia/Seoul", token="tok")
SOURCES = {MOHW: Source("보건복지부", official=True), WIRE: Source("Wire <News> & Co")}
TAXONOMY = load_taxonomy()
NAMES = {t.slug: t.name for t in TAXONOMY}


def stored(n: int, guid: str, feed: str, title: str, seen: datetime, dup: int | None = None):
    return StoredItem(
        id=n,
        feed_url=feed,
        guid=guid,
        url=url_of(guid),
        title=title,
        text=f"Text of {title}",
        published_at=None,
        language_hint=None,
        first_seen_at=seen,
        content_hash=f"h{n}",
        duplicate_of=dup,
        fulltext=None,
    )


def rows() -> tuple[list[tuple[StoredItem, Labels]], list[StoredItem]]:
    originals = [
        (stored(n, s.guid, s.feed, s.title, NOW - s.age), s.labels)
        for n, s in enumerate(STORIES, start=1)
    ]
    copy = stored(99, "ko-copy", WIRE, KO_TITLE + " (종합)", NOW - timedelta(hours=1), dup=1)
    return originals, [copy]


def digest_for(recipient: Recipient = SEOUL, **kw) -> Digest:
    originals, copies = rows()
    period = period_ending(recipient, NOW)
    return compose_digest(
        recipient, period, originals, copies, sources=SOURCES, topic_order=TAXONOMY.slugs, **kw
    )


# -- periods ---------------------------------------------------------------------------


def test_daily_period_in_the_recipients_zone() -> None:
    period = period_for(SEOUL, date(2026, 12, 3))
    assert period.end == datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # 08:00 KST
    assert period.start == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert period.key == "daily:2026-12-03"
    weekly = period_for(Recipient("a@b.co", frequency=WEEKLY, weekday=3), date(2026, 12, 3))
    assert weekly.end - weekly.start == timedelta(days=7)
    assert weekly.key == "weekly:2026-12-03"


def test_periods_follow_daylight_saving_without_gaps() -> None:
    ny = Recipient("a@b.co", timezone="America/New_York", send_time=time(8, 0))
    before, spring, after = (period_for(ny, date(2026, 3, d)) for d in (7, 8, 9))
    assert before.end == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)  # 08:00 EST
    assert spring.end == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT
    assert spring.end - spring.start == timedelta(hours=23)
    assert (before.end, spring.end) == (spring.start, after.start)  # no gap, no overlap
    # a send time inside the spring-forward gap goes out at the first valid moment
    gap = period_for(Recipient("a@b.co", timezone="America/New_York", send_time=time(2, 30)),
                     date(2026, 3, 8))  # fmt: skip
    assert gap.end == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_period_ending_now() -> None:
    period = period_ending(SEOUL, NOW)
    assert (period.start, period.end) == (NOW - timedelta(days=1), NOW)
    assert period.key == "daily:2026-12-03"  # the local date in Seoul


# -- composition -------------------------------------------------------------------------


def test_compose_groups_ranks_and_merges_reports() -> None:
    digest = digest_for()
    titles = [s.title for g in digest.groups for s in g.stories]
    # the default filter: relevant cooperation only; the 3-day-old story is outside the period
    assert "Seoul hospital opens new wing" not in titles
    assert "Last week's agreement on vaccines" not in titles
    assert digest.story_count == 5 and len(titles) == 5
    # the wire copy is listed under the Korean story, not as a story of its own
    [korean] = [s for g in digest.groups for s in g.stories if s.title == KO_TITLE]
    assert [(r.source, r.url) for r in korean.others] == [("Wire <News> & Co", url_of("ko-copy"))]
    assert korean.official and korean.source == "보건복지부"
    assert digest.groups[0].slug == "digital_health"  # official, two countries, two reports
    assert dict(digest.topic_counts)["digital_health"] == 1
    assert dict(digest.country_counts)["LA"] == 2
    # the chart: 7 local days, the last one holding today's matching items
    assert len(digest.days) == 7 and digest.days[-1].day == date(2026, 12, 3)
    assert sum(d.total for d in digest.days) == 6  # the old one counts on its own day
    assert [d.total for d in digest.days if d.day == date(2026, 11, 30)] == [1]


def test_compose_applies_the_recipients_filter() -> None:
    only_ko = Recipient("a@b.co", filter=Filter(languages=frozenset({"ko"})), timezone="UTC")
    assert [s.title for g in digest_for(only_ko).groups for s in g.stories] == [KO_TITLE]
    wide = Recipient("a@b.co", filter=Filter(topics=frozenset({"health_systems"}),
                                             cooperation_only=False))  # fmt: skip
    titles = {s.title for g in digest_for(wide).groups for s in g.stories}
    assert "Seoul hospital opens new wing" in titles and len(titles) == 2
    nothing = Recipient("a@b.co", filter=Filter(keywords=("unheard-of",)))
    assert digest_for(nothing).empty


def test_same_story_in_two_languages_becomes_one() -> None:
    one, other = [1.0, 0.0], [0.96, 0.28]  # cosine 0.96
    vectors = {1: one, 3: other, 2: [0.0, 1.0]}
    # close vectors alone are not enough (the alerts' rule): the Japanese story names
    # other countries and topics, so it stays a story of its own
    assert digest_for(vectors=vectors).story_count == 5
    originals, copies = rows()
    item, japanese = originals[2]
    korean = originals[0][1]
    originals[2] = (item, replace(japanese, countries=korean.countries, topics=korean.topics))
    digest = compose_digest(
        SEOUL,
        period_ending(SEOUL, NOW),
        originals,
        copies,
        sources=SOURCES,
        topic_order=TAXONOMY.slugs,
        vectors=vectors,
    )
    merged = [s for g in digest.groups for s in g.stories if s.others and len(s.others) == 2]
    assert len(merged) == 1
    assert merged[0].title == KO_TITLE  # the official source leads
    assert {r.language for r in merged[0].others} == {"ja", "ko"}  # Japanese + the wire copy
    assert digest.story_count == 4


def test_items_routing_put_in_one_story_are_one_entry() -> None:
    """Routing's story id decides, whatever the vectors say (none are given here)."""
    assert digest_for().story_count == 5
    originals, copies = rows()
    (korean, korean_labels), (japanese, japanese_labels) = originals[0], originals[2]
    originals[0] = (replace(korean, story_id=korean.id), korean_labels)
    originals[2] = (replace(japanese, story_id=korean.id), japanese_labels)
    digest = compose_digest(
        SEOUL, period_ending(SEOUL, NOW), originals, copies, sources=SOURCES,
        topic_order=TAXONOMY.slugs,
    )  # fmt: skip
    assert digest.story_count == 4
    (story,) = [s for g in digest.groups for s in g.stories if japanese.title in _titles(s)]
    assert story.item_id in (korean.id, japanese.id)


def _titles(story: Story) -> set[str]:
    return {story.title, *(r.title for r in story.others)}


# -- rendering --------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]


def test_render_html_is_escaped_inline_and_linked() -> None:
    digest = digest_for()
    rendered = render_digest(
        digest, topic_names=NAMES, topic_order=TAXONOMY.slugs, unsubscribe_url="mailto:u@x.org"
    )
    assert rendered.subject == "Health cooperation digest — 3 Dec 2026 — 5 items"
    html = rendered.html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>stewardship</b>" not in html
    parser = _Links()
    parser.feed(html)
    assert url_of("ko") in parser.hrefs and url_of("ko-copy") in parser.hrefs
    assert 'href="https://news.example/ko?id=1&amp;lang=x"' in html
    assert "mailto:u@x.org" in parser.hrefs
    assert not parser.tags & {"script", "style", "link", "img", "iframe", "form"}
    assert "class=" not in html  # inline styles only
    assert not re.search(r"https?://(?!news\.example)[^\"' ]+\.(png|jpg|gif|css|woff)", html)
    for text in (KO_TITLE, "中国与老挝签署卫生合作协议", "介護人材", "ไทยและลาว"):
        assert text in html and text in rendered.text
    assert "Digital health" in html and "Korea" in html
    assert ">Cooperation<" not in html  # all of a cooperation-only digest is: no badge
    wide = Recipient("a@b.co", filter=Filter(cooperation_only=False))
    wide_html = render_digest(digest_for(wide), topic_names=NAMES, unsubscribe_url="x").html
    assert ">Cooperation<" in wide_html and ">Official source<" in wide_html
    text = rendered.text
    assert EVIL_TITLE in text  # plain text: as it is
    assert url_of("ko") in text and "Also reported by" in text
    assert "Unsubscribe: mailto:u@x.org" in text


def test_render_in_korean_and_weekly() -> None:
    ko = Recipient("kim@example.org", language="ko", timezone="Asia/Seoul", frequency=WEEKLY,
                   weekday=3)  # fmt: skip
    digest = digest_for(ko)
    names = {t.slug: t.name_ko for t in TAXONOMY}
    rendered = render_digest(digest, topic_names=names, unsubscribe_url="https://x.org/u")
    assert rendered.subject.startswith("보건 협력 주간 다이제스트 — 11월 26일 – 2026년 12월 3일")
    assert rendered.subject.endswith("— 6건")
    assert "주제별" in rendered.html and "수신 거부" in rendered.html
    assert 'lang="ko"' in rendered.html


def test_empty_digest_says_so_in_one_line() -> None:
    nothing = Recipient("a@b.co", filter=Filter(keywords=("unheard-of",)))
    digest = digest_for(nothing)
    assert subject_of(digest).endswith("— 0 items")
    rendered = render_digest(digest, topic_names=NAMES, unsubscribe_url="mailto:u@x.org")
    assert rendered.text.count("No new items matched your filters in this period.") == 1
    assert "No new items matched" in rendered.html


def test_telegram_messages_are_escaped_and_short() -> None:
    messages = telegram_messages(digest_for(), topic_names=NAMES, limit=700)
    assert len(messages) > 1 and all(len(m) <= 700 for m in messages)
    joined = "\n".join(messages)
    assert "&lt;script&gt;" in joined and "<script>" not in joined
    assert f'<a href="{url_of("ko").replace("&", "&amp;")}">' in joined
    assert "Wire &lt;News&gt; &amp; Co (Korean)" in joined


def test_a_busy_topic_lists_its_most_important_and_counts_the_rest() -> None:
    wide = Recipient("a@b.co", filter=Filter(cooperation_only=False))
    originals, copies = rows()
    digest = compose_digest(
        wide, period_ending(wide, NOW), originals, copies, sources=SOURCES, max_per_topic=1
    )
    [systems] = [g for g in digest.groups if g.slug == "health_systems"]
    assert len(systems.stories) == 1 and systems.more == 1
    assert systems.stories[0].cooperation  # the cooperation story outranks the domestic one
    assert digest.story_count == 6
    rendered = render_digest(digest, topic_names=NAMES, unsubscribe_url="x")
    assert "1 more on this topic in this period." in rendered.html
    assert "(1 more on this topic in this period.)" in rendered.text
    assert rendered.subject.endswith("— 6 items")
