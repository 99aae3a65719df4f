"""Briefing packs: parties, the period, the store's selection, threads, filters, every format."""

from __future__ import annotations

import html.parser
import re
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import briefdata
import pytest
from cli_runner import Monitor

from classifiers.base import Labels
from classifiers.taxonomy import load_taxonomy
from monitor.brief.build import build_brief
from monitor.brief.compose import Brief, compose_brief, first_sentence
from monitor.brief.parties import COUNTRY, ORGANISATION, Party, UnknownParty, resolve_parties
from monitor.brief.period import BadPeriod, parse_since, parse_until
from monitor.brief.render import render_html, render_markdown, render_text, telegram_messages
from monitor.digest.jobs import topic_names
from monitor.models import StoredItem
from monitor.store import Store

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
KR, VN = Party(COUNTRY, "KR"), Party(COUNTRY, "VN")
NAMES = topic_names(load_taxonomy(), "en")


def brief_of(store: Store, *parties: Party, since: str = "12m", **options: object) -> Brief:
    return build_brief(
        store,
        parties,
        since=parse_since(since, NOW),
        until=parse_until(None, NOW),
        language=str(options.pop("language", "en")),
        **options,  # type: ignore[arg-type]
    )


def keys(brief: Brief) -> list[str]:
    by_title = {t: k for k, t in briefdata.HEADLINES.items()}
    by_title.update({r.title: s.key for s in briefdata.STORIES for r in s.reports})
    return [by_title[s.headline] for s in brief.stories]


@pytest.fixture
def filled(store: Store) -> Store:
    briefdata.populate(store, NOW)
    return store


# -- parties and the period ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "party"),
    [
        ("VN", VN),
        ("vn", VN),
        ("Viet Nam", VN),
        ("Vietnam", VN),
        ("베트남", VN),
        ("VNM", VN),
        ("Korea", KR),
        ("한국", KR),
        ("WHO", Party(ORGANISATION, "WHO")),
        ("세계보건기구", Party(ORGANISATION, "WHO")),
        ("World Health Organization", Party(ORGANISATION, "WHO")),
        ("ASEAN", Party(ORGANISATION, "ASEAN")),
        ("아세안", Party(ORGANISATION, "ASEAN")),
    ],
)
def test_parties_by_code_or_name_in_english_and_korean(name: str, party: Party) -> None:
    assert resolve_parties([name]) == (party,)


def test_unknown_party_gets_did_you_mean() -> None:
    with pytest.raises(
        UnknownParty, match=r"unknown country or organisation 'Vietnem'.*did you mean 'vietnam', VN"
    ):
        resolve_parties(["KR", "Vietnem"])
    with pytest.raises(UnknownParty, match=r"unknown country or organisation 'Qwxz'$"):
        resolve_parties(["Qwxz"])


def test_repeated_names_are_one_party() -> None:
    assert resolve_parties(["VN", "Viet Nam", "베트남", "KR"]) == (VN, KR)


def test_since_takes_durations_and_dates() -> None:
    assert parse_since("30d", NOW) == NOW - timedelta(days=30)
    assert parse_since("12m", NOW) == NOW.replace(year=2025)
    assert parse_since("1y", NOW) == NOW.replace(year=2025)
    assert parse_since("2026-03-01", NOW) == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_until("2026-03-31", NOW) == datetime(2026, 4, 1, tzinfo=UTC)
    with pytest.raises(BadPeriod, match="--since 'yesterday'"):
        parse_since("yesterday", NOW)
    with pytest.raises(BadPeriod, match="years back"):
        parse_since("200y", NOW)


# -- what the store selects --------------------------------------------------------------


def test_only_the_named_pairs_cooperation_stories_once_each(filled: Store) -> None:
    brief = brief_of(filled, KR, VN)
    assert sorted(keys(brief)) == sorted(briefdata.INCLUDED)
    assert len(set(s.id for s in brief.stories)) == len(brief.stories)


def _days(key: str) -> int:
    return next(s.days_ago for s in briefdata.STORIES if s.key == key)


def test_timeline_is_newest_first(filled: Store) -> None:
    days = [_days(k) for k in keys(brief_of(filled, KR, VN))]
    assert days == sorted(days)


def test_a_story_keeps_its_report_that_names_only_one_party(filled: Store) -> None:
    mou = next(s for s in brief_of(filled, KR, VN).stories if "MOU on digital" in s.headline)
    assert [(src.outlet, src.language) for src in mou.sources] == [
        ("Yonhap (English)", "en"),
        ("보건복지부", "ko"),
        ("Vietnam News Agency", "vi"),
    ]
    assert mou.sources[0].url == "https://news.example/mou-en"


def test_the_period(filled: Store) -> None:
    assert keys(brief_of(filled, KR, VN, since="30d")) == ["renewal"]
    brief = build_brief(
        filled,
        (KR, VN),
        since=NOW - timedelta(days=400),
        until=NOW - timedelta(days=200),
        language="en",
    )
    assert keys(brief) == ["impl", "apt16", "mou"]
    assert "old" in keys(brief_of(filled, KR, VN, since="2y"))


def test_an_organisation_is_a_party(filled: Store) -> None:
    assert keys(brief_of(filled, KR, Party(ORGANISATION, "APT"))) == ["apt17", "apt16"]
    assert keys(brief_of(filled, Party(COUNTRY, "TH"), Party(ORGANISATION, "ASEAN"))) == ["apt17"]


def test_filters_by_topic_and_event(filled: Store) -> None:
    assert keys(brief_of(filled, KR, VN, topics=("workforce",))) == ["nurses"]
    assert keys(brief_of(filled, KR, VN, events=("agreement",))) == ["renewal", "ageing", "mou"]
    assert keys(brief_of(filled, KR, VN, topics=("digital_health",), events=("meeting",))) == [
        "impl"
    ]


# -- threads, summary, chart ---------------------------------------------------------------


def test_threads_link_an_agreement_to_what_followed_and_a_meeting_series(filled: Store) -> None:
    brief = brief_of(filled, KR, VN)
    threads = [(t.kind, [keys_of(brief, s.headline) for s in t.stories]) for t in brief.threads]
    assert threads == [
        ("agreement", ["mou", "impl", "renewal"]),
        ("series", ["apt16", "apt17"]),
    ]
    assert [keys_of(brief, s.headline) for s in brief.open_ends] == ["ageing", "renewal"]


def keys_of(brief: Brief, headline: str) -> str:
    return next(k for k, t in briefdata.HEADLINES.items() if t == headline)


def test_different_series_and_topics_do_not_link() -> None:
    a = _row(1, "Korea, Vietnam sign MOU on ageing", ("agreement",), ("ageing",), 100)
    b = _row(2, "Korea, Vietnam hold nurse training", ("training",), ("workforce",), 50)
    c = _row(3, "5th Korea-Vietnam Health Policy Dialogue", ("meeting",), ("uhc",), 90)
    d = _row(4, "2nd Mekong Health Security Forum", ("meeting",), ("uhc",), 20)
    brief = _compose([a, b, c, d])
    assert brief.threads == ()
    assert [s.id for s in brief.open_ends] == [1]


def test_reports_without_a_story_id_join_their_story_by_the_alerts_rule() -> None:
    ko = _row(1, "한-베트남 보건의료 인력 교류 양해각서 체결", ("agreement",), ("workforce",), 30)
    vi = _row(2, "Việt Nam và Hàn Quốc hợp tác đào tạo nhân lực y tế", ("agreement",),
              ("workforce",), 30)  # fmt: skip
    other = _row(3, "Korea, Vietnam open a cancer centre", ("project",), ("ncd",), 29)
    same, apart = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)
    brief = _compose([ko, vi, other], vectors={1: same, 2: same, 3: apart})
    assert [len(s.sources) for s in brief.stories] == [1, 2]
    assert [src.url for src in brief.stories[1].sources] == [
        "https://x.example/1",
        "https://x.example/2",
    ]
    assert len(_compose([ko, vi, other]).stories) == 3  # no embeddings: each its own


def test_summary_counts_dates_and_months(filled: Store) -> None:
    brief = brief_of(filled, KR, VN)
    assert dict(brief.by_event) == {"agreement": 3, "meeting": 3, "training": 1}
    assert dict(brief.by_topic)["digital_health"] == 3
    assert brief.first_day == (NOW - timedelta(days=320)).date()
    assert brief.last_day == (NOW - timedelta(days=15)).date()
    assert len(brief.months) == 13
    assert sum(m.total for m in brief.months) == len(brief.stories)
    assert brief.report_count == 9


def test_headline_in_the_briefs_language_when_a_report_has_one(filled: Store) -> None:
    ko = brief_of(filled, KR, VN, language="ko")
    mou = next(s for s in ko.stories if s.id == ko.threads[0].stories[0].id)
    assert mou.headline == "한-베트남 디지털 헬스 협력 양해각서 체결"
    assert mou.summary == "보건복지부는 베트남 보건부와 디지털 헬스 양해각서를 체결했다."
    en = brief_of(filled, KR, VN)
    assert en.stories[-1].headline.startswith("Korea, Vietnam sign MOU")
    nurses = next(s for s in en.stories if s.topics == ("workforce",))
    assert nurses.headline == "베트남 간호 인력 연수 과정 개설"  # no English report: the original


def test_first_sentence() -> None:
    assert first_sentence("One here. Two there.") == "One here."
    assert first_sentence("복지부가 밝혔다。다음 문장") == "복지부가 밝혔다。"
    assert len(first_sentence("x" * 1000)) == 300


# -- output formats -------------------------------------------------------------------------


class _Balanced(html.parser.HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [v or "" for k, v in attrs if k == "href"]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack[-3:], tag)
        self.stack.pop()


def test_html_parses_links_every_source_and_has_the_chart(filled: Store) -> None:
    page = render_html(brief_of(filled, KR, VN), topic_names=NAMES, today=NOW.date())
    parser = _Balanced()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    for story in briefdata.STORIES:
        for report in story.reports:
            url = f"https://news.example/{report.guid}"
            assert (url in parser.links) == (story.key in briefdata.INCLUDED)
    assert "<svg" in page and page.count("<rect") >= 7
    assert "Timeline, newest first" in page and "From an agreement" in page
    assert "Open ends" in page


def test_html_escapes_item_text() -> None:
    row = _row(1, "<script>alert(1)</script> MOU", ("agreement",), ("uhc",), 5)
    page = render_html(_compose([row]), topic_names=NAMES, today=NOW.date())
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_korean_headings(filled: Store) -> None:
    page = render_html(
        brief_of(filled, KR, VN, language="ko"),
        topic_names=topic_names(load_taxonomy(), "ko"),
        today=NOW.date(),
    )
    assert "연표 (최신순)" in page and "보건 협력 브리핑: 한국 – 베트남" in page
    assert "디지털 헬스" in page or "디지털" in page


def test_markdown_and_text(filled: Store) -> None:
    brief = brief_of(filled, KR, VN)
    md = render_markdown(brief, topic_names=NAMES, today=NOW.date())
    assert md.startswith("# Health cooperation brief: Korea – Viet Nam")
    assert "## Timeline, newest first" in md
    assert "- [Yonhap (English)](https://news.example/mou-en) (English," in md
    assert re.search(r"^\| Digital health and AI \| +\| 1 \|", md, re.M)
    text = render_text(brief, topic_names=NAMES, today=NOW.date())
    assert "Korea, Vietnam renew digital health MOU for three years" in text
    assert "https://news.example/renewal-en" in text
    assert "Korea, Thailand" not in text and "trade deal" not in text


def test_empty_brief_says_so() -> None:
    brief = _compose([])
    assert "No cooperation stories between these parties" in render_text(
        brief, topic_names=NAMES, today=NOW.date()
    )
    assert len(telegram_messages(brief, topic_names=NAMES)) == 1


def test_telegram_messages_are_at_most_two_and_within_limits(filled: Store) -> None:
    messages = telegram_messages(brief_of(filled, KR, VN), topic_names=NAMES)
    assert len(messages) == 2
    assert all(len(m) <= 4096 for m in messages)
    assert '<a href="https://news.example/renewal-en">' in messages[1]


def test_pdf_has_pages(filled: Store) -> None:
    pytest.importorskip("weasyprint")
    from monitor.brief.pdf import html_to_pdf

    pdf = html_to_pdf(render_html(brief_of(filled, KR, VN), topic_names=NAMES, today=NOW.date()))
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert _pdf_pages(pdf) >= 2  # a year of stories does not fit one A4 page


def _pdf_pages(pdf: bytes) -> int:
    """The /Count of the page tree, looked for in the plain and the compressed objects."""
    texts = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            texts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    for text in texts:
        found = re.search(
            rb"/Type\s*/Pages.*?/Count\s+(\d+)|/Count\s+(\d+).*?/Type\s*/Pages", text, re.S
        )
        if found:
            return int(found.group(1) or found.group(2))
    return 0


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def cli(monitor: Monitor) -> Monitor:
    with Store.open(monitor.database_url) as store:
        briefdata.populate(store, datetime.now(UTC))
    return monitor


def test_cli_text(cli: Monitor) -> None:
    result = cli("brief", "KR", "Viet Nam", "--since", "12m")
    assert result.exit_code == 0, result.output
    assert "Health cooperation brief: Korea – Viet Nam" in result.output
    for key in briefdata.INCLUDED:
        assert result.output.count(briefdata.HEADLINES[key]) >= 1
    for key in briefdata.LEFT_OUT:
        assert briefdata.HEADLINES[key] not in result.output


def test_cli_files(cli: Monitor, tmp_path: Path) -> None:
    for name in ("brief.html", "brief.md"):
        result = cli("brief", "KR", "VN", "--out", str(tmp_path / name), "--language", "ko")
        assert result.exit_code == 0, result.output
        assert "연표" in (tmp_path / name).read_text(encoding="utf-8")
    result = cli(
        "brief",
        "KR",
        "VN",
        "--since",
        "30d",
        "--event",
        "agreement",
        "--out",
        str(tmp_path / "b.md"),
    )
    assert result.exit_code == 0
    md = (tmp_path / "b.md").read_text(encoding="utf-8")
    assert "renew digital health MOU" in md and "long-term care" not in md


def test_cli_pdf(cli: Monitor, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    result = cli("brief", "KR", "VN", "--out", str(tmp_path / "brief.pdf"))
    assert result.exit_code == 0, result.output
    pdf = (tmp_path / "brief.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and _pdf_pages(pdf) >= 1


def test_cli_bad_input(cli: Monitor, tmp_path: Path) -> None:
    result = cli("brief", "KR", "Vietnem")
    assert result.exit_code == 2
    assert "did you mean 'vietnam', VN" in result.output
    result = cli("brief", "KR", "VN", "--since", "last year")
    assert result.exit_code == 2 and "--since 'last year'" in result.output
    result = cli("brief", "KR", "VN", "--topic", "digital_heath")
    assert result.exit_code == 2 and "did you mean 'digital_health'" in result.output
    result = cli("brief", "KR", "VN", "--since", "2026-05-01", "--until", "2026-04-01")
    assert result.exit_code == 2 and "the period is empty" in result.output
    result = cli("brief", "KR", "VN", "--out", str(tmp_path / "brief.docx"))
    assert result.exit_code == 2 and ".html, .pdf, .md" in result.output


# -- helpers ------------------------------------------------------------------------------------


def _row(
    item_id: int, title: str, events: tuple[str, ...], topics: tuple[str, ...], days_ago: int
) -> tuple[StoredItem, Labels]:
    at = NOW - timedelta(days=days_ago)
    item = StoredItem(item_id, "feed", str(item_id), f"https://x.example/{item_id}", title,
                      title, at, None, at, "h", None, None)  # fmt: skip
    labels = Labels("en", True, True, topics, ("KR", "VN"), title + ".", 0.9, 0.9, events=events)
    return item, labels


def _compose(
    rows: list[tuple[StoredItem, Labels]], vectors: dict[int, tuple[float, ...]] | None = None
) -> Brief:
    return compose_brief(
        rows,
        vectors=vectors,
        parties=(KR, VN),
        since=NOW - timedelta(days=365),
        until=NOW,
        language="en",
        outlets={},
    )
