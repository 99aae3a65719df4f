"""The event line in the reader's language: the pure gist, the alert and the digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from classifiers.base import Labels
from classifiers.taxonomy import load_taxonomy
from monitor.alerts.gist import event_line, gist_words
from monitor.alerts.message import format_alert
from monitor.catalogues import catalogue_languages
from monitor.digest.compose import Source, compose_digest, period_ending
from monitor.digest.render import render_digest, telegram_messages
from monitor.filters import EVENT_TYPES
from monitor.models import Recipient, StoredItem
from monitor.telegram.messages import format_item

PUBLISHED = datetime(2026, 3, 13, 1, 0, tzinfo=UTC)


def mou(**changes: object) -> Labels:
    values: dict[str, object] = {
        "language": "th", "relevant": True, "cooperation": True, "topics": ("uhc",),
        "countries": ("KR", "VN"), "summary": "สรุป", "events": ("agreement",),
        "organisations": ("WHO",), "place": None, "event_date": "2026-03-12",
    }  # fmt: skip
    values.update(changes)
    return Labels(**values)  # type: ignore[arg-type]


def item(title: str = "ลงนามบันทึกความเข้าใจ", n: int = 1, **changes: object) -> StoredItem:
    values: dict[str, object] = {
        "id": n, "feed_url": "https://feeds.example/moph", "guid": f"g{n}",
        "url": f"https://n.example/{n}", "title": title, "text": "", "published_at": PUBLISHED,
        "language_hint": None, "first_seen_at": PUBLISHED, "content_hash": f"h{n}",
        "duplicate_of": None, "fulltext": None,
    }  # fmt: skip
    values.update(changes)
    return StoredItem(**values)  # type: ignore[arg-type]


# -- the gist ---------------------------------------------------------------------------


def test_the_line_says_what_happened_in_english_and_korean() -> None:
    today = date(2026, 3, 13)
    assert event_line(mou(), "en", today=today) == (
        "🤝 Agreement signed · 🇰🇷 Korea – 🇻🇳 Viet Nam · WHO · 12 March"
    )
    assert event_line(mou(), "ko", today=today) == (
        "🤝 협정·양해각서 체결 · 🇰🇷 한국 – 🇻🇳 베트남 · WHO · 3월 12일"
    )


def test_place_organisation_names_and_a_year_other_than_this_one() -> None:
    labels = mou(
        events=("meeting", "statement"),
        countries=("CN", "JP", "KR"),
        organisations=("TRILATERAL", "WORLD_BANK"),
        place="Seoul",
        event_date="2025-12-01",
    )
    assert event_line(labels, "en", today=date(2026, 1, 5)) == (
        "🗣 Meeting, 📜 Joint statement · 🇨🇳 China – 🇯🇵 Japan – 🇰🇷 Korea"
        " · China–Japan–Korea, World Bank · Seoul, 1 December 2025"
    )
    assert event_line(labels, "ko", today=date(2026, 1, 5)) == (
        "🗣 회담·회의, 📜 공동성명·선언 · 🇨🇳 중국 – 🇯🇵 일본 – 🇰🇷 한국"
        " · 한중일, 세계은행 · 서울, 2025년 12월 1일"
    )


def test_missing_parts_are_left_out() -> None:
    assert event_line(mou(organisations=(), event_date=None), "en") == (
        "🤝 Agreement signed · 🇰🇷 Korea – 🇻🇳 Viet Nam"
    )
    assert event_line(mou(events=(), countries=()), "ko") == "WHO · 2026년 3월 12일"
    assert event_line(mou(events=(), organisations=(), event_date=None, place="Hanoi"), "ko") == (
        "🇰🇷 한국 – 🇻🇳 베트남 · 하노이"
    )
    # nothing but countries (shown elsewhere anyway): no line
    assert event_line(mou(events=(), organisations=(), event_date=None), "en") == ""
    assert event_line(mou(events=(), organisations=(), countries=(), event_date=None), "ko") == ""


def test_unknown_values_fall_back_and_long_lists_are_counted() -> None:
    labels = mou(
        events=("agreement", "expedition"),
        countries=("KR", "VN", "LA", "KH", "TH", "MM", "XK"),
        organisations=("WHO", "ASEAN", "APT", "NEW_BODY"),
        place="  Luang\nPrabang  ",
        event_date="12 March",  # not ISO: left out rather than guessed
    )
    line = event_line(labels, "en")
    assert line.startswith("🤝 Agreement signed, expedition · 🇰🇷 Korea")
    assert "🇹🇭 Thailand +2 · WHO, ASEAN, ASEAN+3 +1 · Luang Prabang" in line
    assert line.endswith("Luang Prabang")
    korean = event_line(labels, "ko")
    assert "🇹🇭 태국 외 2" in korean and "아세안+3 외 1" in korean
    assert "루앙프라방" in korean
    # a language without a catalogue reads English
    assert event_line(mou(), "ja") == event_line(mou(), "en")


def test_every_event_type_and_shipped_language_has_words() -> None:
    for lang in catalogue_languages("monitor.alerts"):
        words = gist_words(lang)
        assert words.language == lang
        for event in EVENT_TYPES:
            assert event in words.events, (lang, event)
            emoji, _, phrase = words.event(event).partition(" ")
            assert emoji and not emoji.isalnum() and phrase, (lang, event)
        assert len(words.months) == 12
    english, korean = gist_words("en"), gist_words("ko")
    assert set(korean.organisations) == set(english.organisations)
    assert set(korean.countries) == set(english.countries)


# -- on the alert --------------------------------------------------------------------


def test_the_alert_carries_the_line_escaped_under_the_title() -> None:
    evil = mou(place="<b>Hanoi</b> & co")
    english = format_alert(
        item(), evil, feed_name="MOPH", topic_names={}, tz="Asia/Seoul", ui_language="en"
    )
    lines = english.split("\n")
    assert lines[1] == (
        "🤝 Agreement signed · 🇰🇷 Korea – 🇻🇳 Viet Nam · WHO · &lt;b&gt;Hanoi&lt;/b&gt; &amp; co,"
        " 12 March"
    )
    assert "🌏" not in english  # the line names the countries already
    korean = format_alert(
        item(), mou(), feed_name="MOPH", topic_names={}, tz="Asia/Seoul", ui_language="ko"
    )
    assert korean.split("\n")[1] == "🤝 협정·양해각서 체결 · 🇰🇷 한국 – 🇻🇳 베트남 · WHO · 3월 12일"
    plain = format_alert(
        item(),
        mou(events=(), organisations=(), event_date=None),
        feed_name="MOPH",
        topic_names={},
        tz="UTC",
    )
    assert plain.split("\n")[1].startswith("📰 MOPH") and "🌏 🇰🇷 KR 🇻🇳 VN" in plain


# -- in the digest ------------------------------------------------------------------------


def test_digest_items_carry_the_line_in_the_recipients_language() -> None:
    now = datetime(2026, 3, 13, 6, 0, tzinfo=UTC)
    rows = [
        (item(n=1), mou(place="Hanoi")),
        (item("Hospital opens a wing", n=2), mou(events=(), organisations=(), event_date=None)),
    ]
    sources = {"https://feeds.example/moph": Source("MOPH <TH>", official=True)}
    for lang, expected in (
        ("en", "🤝 Agreement signed · 🇰🇷 Korea – 🇻🇳 Viet Nam · WHO · Hanoi, 12 March"),
        ("ko", "🤝 협정·양해각서 체결 · 🇰🇷 한국 – 🇻🇳 베트남 · WHO · 하노이, 3월 12일"),
    ):
        recipient = Recipient("kim@example.org", language=lang, timezone="Asia/Seoul")
        digest = compose_digest(recipient, period_ending(recipient, now), rows, sources=sources)
        (lead,) = [s for g in digest.groups for s in g.stories if s.item_id == 1]
        assert (lead.events, lead.organisations, lead.place) == (("agreement",), ("WHO",), "Hanoi")
        rendered = render_digest(digest, topic_names={}, unsubscribe_url="https://x.org/u")
        assert f"\n  {expected}\n" in rendered.text
        assert rendered.html.count(expected) == 1
        assert "\n".join(telegram_messages(digest, topic_names={})).count(expected) == 1
        # the story without events has no line, in any of the three forms
        assert rendered.text.count("🤝") == 1


def test_a_story_takes_the_event_from_any_of_its_reports() -> None:
    now = datetime(2026, 3, 13, 6, 0, tzinfo=UTC)
    lead = (item(n=1), replace(mou(), events=(), organisations=(), event_date=None))
    copy = (item("Second report", n=2), mou(events=("funding",), organisations=("KOICA",)))
    vectors = {1: [1.0, 0.0], 2: [1.0, 0.0]}
    recipient = Recipient("kim@example.org", language="ko", timezone="UTC")
    digest = compose_digest(recipient, period_ending(recipient, now), [lead, copy], vectors=vectors)
    (story,) = [s for g in digest.groups for s in g.stories]
    assert story.events == ("funding",) and story.organisations == ("KOICA",)
    html_text = render_digest(digest, topic_names={}, unsubscribe_url="x").html
    assert "💰 원조·재정 지원 · 🇰🇷 한국 – 🇻🇳 베트남 · 코이카 · 3월 12일" in html_text


def test_latest_and_search_items_carry_the_line_too() -> None:
    block = format_item(item(), mou(), feed_name="MOPH", taxonomy=load_taxonomy(), lang="ko")
    assert block.split("\n")[1] == "🤝 협정·양해각서 체결 · 🇰🇷 한국 – 🇻🇳 베트남 · WHO · 3월 12일"
    bare = format_item(item(), None, feed_name="MOPH", taxonomy=load_taxonomy(), lang="ko")
    assert "🤝" not in bare
