"""Tests of monitor.ingest.parse: golden feeds in tests/data, encodings, hostile bodies."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import FeedParseError
from monitor.ingest.decode import decode_bytes
from monitor.ingest.parse import ParsedFeed, html_to_text, parse_feed
from monitor.models import Item

DATA = Path(__file__).parent / "data"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    """How a golden feed is served and what its feed-level result must be."""

    headers: dict[str, str] = field(default_factory=dict)
    language_hint: str | None = None
    title: str = ""
    encoding: str | None = "utf-8"
    problem: str | None = None  # a substring of the problem, or None for no problem


CASES: dict[str, Case] = {
    "who_rss_en.xml": Case(
        {"Content-Type": "application/rss+xml; charset=utf-8"},
        title="WHO Western Pacific – News releases",
    ),
    "mohw_atom_ko.xml": Case({"Content-Type": "application/atom+xml"}, title="보건복지부 보도자료"),
    "kdca_rss_euckr.xml": Case(
        {"Content-Type": "text/xml; charset=EUC-KR"}, title="질병관리청 보도자료", encoding="cp949"
    ),
    "nhc_rss_gb2312.xml": Case(
        {"Content-Type": "application/xml"},
        title="国家卫生健康委员会 新闻发布",
        encoding="gb18030",
    ),
    "cdc_tw_big5.xml": Case(
        {"Content-Type": "application/rss+xml; charset=big5"},
        title="衛生福利部疾病管制署 新聞稿",
        encoding="big5hkscs",
    ),
    "mhlw_rss_sjis.xml": Case({}, title="厚生労働省 新着情報", encoding="cp932"),
    "moph_rss_tis620.xml": Case(
        {"Content-Type": "application/xml"},
        title="กระทรวงสาธารณสุข ข่าวประชาสัมพันธ์",
        encoding="cp874",
    ),
    "health_news_rdf_ja.xml": Case({"Content-Type": "application/rdf+xml"}, title="ヘルスニュース"),
    "moh_vn_jsonfeed.json": Case(
        {"Content-Type": "application/feed+json"}, title="Bộ Y tế - Tin tức"
    ),
    "kemkes_rss_id_html.xml": Case(
        {"Content-Type": "application/rss+xml; charset=UTF-8"},
        title="Kemenkes – Berita Sehat Negeriku",
    ),
    "no_links_no_dates.xml": Case(
        {"Content-Type": "application/rss+xml"},
        language_hint="en",
        title="Ministry bulletin (plain)",
        problem="skipped 1 entry without title or text",
    ),
    "truncated.xml": Case(
        {"Content-Type": "application/rss+xml"},
        title="Philippine DOH press releases",
        problem="no element found at line 20; skipped 1 entry without title or text",
    ),
    "wrong_header_euckr.xml": Case(
        {"Content-Type": "text/xml; charset=ISO-8859-1"},
        title="연합 보건 뉴스",
        encoding="cp949",
        problem="charset 'ISO-8859-1' declared in the HTTP header does not match the body",
    ),
}
FEED_URL = "https://feeds.example/{name}"


def _item_to_json(item: Item) -> dict[str, object]:
    return {
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "text": item.text,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "language_hint": item.language_hint,
    }


def _parse_fixture(name: str) -> ParsedFeed:
    case = CASES[name]
    return parse_feed(
        (DATA / name).read_bytes(),
        case.headers,
        feed_url=FEED_URL.format(name=name),
        language_hint=case.language_hint,
        now=NOW,
    )


def test_every_fixture_has_a_case() -> None:
    fixtures = {p.name for p in DATA.iterdir() if p.suffix in (".xml", ".json")}
    fixtures = {f for f in fixtures if not f.endswith(".expected.json")}
    assert fixtures == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_feed(name: str) -> None:
    parsed = _parse_fixture(name)
    actual = [_item_to_json(item) for item in parsed.items]
    expected_path = DATA / (Path(name).stem + ".expected.json")
    if UPDATE_GOLDEN:
        expected_path.write_text(
            json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected
    case = CASES[name]
    assert parsed.title == case.title
    assert parsed.encoding == case.encoding
    if case.problem is None:
        assert parsed.problem is None
    else:
        assert parsed.problem is not None
        assert case.problem in parsed.problem
    assert all(item.feed_url == FEED_URL.format(name=name) for item in parsed.items)
    assert all("\ufffd" not in item.title + item.text for item in parsed.items)


# --- encodings --------------------------------------------------------------

KOREAN_RSS = """<?xml version="1.0"{decl}?>
<rss version="2.0"><channel><title>보건 소식</title>
<item><title>한국과 인도네시아, 인공지능 원격협진 양해각서 체결</title>
<link>http://ko.example/1</link>
<description>보건복지부는 인도네시아 보건부와 인공지능 기반 원격협진 시범사업에 관한
양해각서를 체결했다고 밝혔다. 양국은 도서 지역 보건소 스무 곳에서 시범사업을 진행한다.</description>
</item></channel></rss>
"""
KOREAN_TITLE = "한국과 인도네시아, 인공지능 원격협진 양해각서 체결"


@pytest.mark.parametrize(
    ("decl", "content_type"),
    [
        (' encoding="euc-kr"', "text/xml; charset=utf-8"),  # header says UTF-8
        (' encoding="euc-kr"', "text/xml; charset=iso-8859-1"),  # server default Latin-1
        (' encoding="euc-kr"', "application/xml; charset=windows-1252"),
        (' encoding="euc-kr"', None),  # no header
        ("", None),  # no declaration at all: detection
        ("", "text/xml"),
        ("", "text/xml; charset=iso-8859-1"),  # wrong header, no declaration
    ],
)
def test_euc_kr_with_wrong_or_missing_declarations(decl: str, content_type: str | None) -> None:
    body = KOREAN_RSS.format(decl=decl).encode("euc-kr")
    headers = {"Content-Type": content_type} if content_type else {}
    parsed = parse_feed(
        body, headers, feed_url="http://ko.example/rss", language_hint=None, now=NOW
    )
    assert parsed.title == "보건 소식"
    assert parsed.items[0].title == KOREAN_TITLE
    assert parsed.items[0].text.startswith("보건복지부는 인도네시아 보건부와")
    assert parsed.encoding in ("cp949", "euc_kr")


@pytest.mark.parametrize(
    "name",
    [
        "kdca_rss_euckr.xml",
        "nhc_rss_gb2312.xml",
        "cdc_tw_big5.xml",
        "mhlw_rss_sjis.xml",
        "moph_rss_tis620.xml",
    ],
)
@pytest.mark.parametrize(
    "content_type", [None, "text/xml; charset=iso-8859-1", "text/xml; charset=utf-8"]
)
def test_legacy_feed_without_any_declaration_is_detected(
    name: str, content_type: str | None
) -> None:
    body = re.sub(rb' encoding="[^"]+"', b"", (DATA / name).read_bytes(), count=1)
    assert b"encoding" not in body
    headers = {"Content-Type": content_type} if content_type else {}
    parsed = parse_feed(
        body, headers, feed_url=FEED_URL.format(name=name), language_hint=None, now=NOW
    )
    expected = json.loads((DATA / (Path(name).stem + ".expected.json")).read_text("utf-8"))
    assert [_item_to_json(item) for item in parsed.items] == expected
    assert parsed.encoding == CASES[name].encoding


def test_utf8_body_declared_as_latin1_is_read_as_utf8() -> None:
    body = KOREAN_RSS.format(decl=' encoding="iso-8859-1"').encode("utf-8")
    parsed = parse_feed(body, {}, feed_url="http://ko.example/rss", language_hint=None, now=NOW)
    assert parsed.items[0].title == KOREAN_TITLE
    assert parsed.encoding == "utf-8"
    assert parsed.problem is not None and "iso-8859-1" in parsed.problem


def test_genuine_latin1_feed_stays_latin1() -> None:
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
        "<title>Santé</title><item><title>Coopération santé France-Viet Nam</title>"
        "<description>Le ministère a signé un accord à Hanoï sur la résistance aux "
        "antimicrobiens.</description></item></channel></rss>"
    )
    parsed = parse_feed(
        body.encode("latin-1"), {}, feed_url="http://fr.example/", language_hint=None, now=NOW
    )
    assert parsed.items[0].title == "Coopération santé France-Viet Nam"
    assert "à Hanoï" in parsed.items[0].text
    assert parsed.encoding == "cp1252"


@pytest.mark.parametrize(
    ("label", "codec", "text"),
    [
        ("gb2312", "gbk", "中国与东盟卫生合作论坛在南宁举行，王堃出席"),
        ("GBK", "gb18030", "国家卫生健康委员会发布健康中国行动报告"),
        ("big5", "big5hkscs", "衛生福利部與越南簽署醫療合作備忘錄"),
        ("Shift_JIS", "cp932", "日本とフィリピン、①UHC推進で合意～保健大臣会合～"),
        ("EUC-JP", "euc_jp", "厚生労働省は医療ＤＸの推進について発表した"),
        ("TIS-620", "tis-620", "ไทยและลาวร่วมมือเฝ้าระวังไข้เลือดออก"),
        ("windows-874", "cp874", "กระทรวงสาธารณสุข “ร่วมมือ” กับอาเซียน"),
        ("euc-kr", "cp949", "똠방각하 보건복지부 장관 회의"),
    ],
)
def test_legacy_encodings_are_decoded(label: str, codec: str, text: str) -> None:
    doc = (
        f'<?xml version="1.0" encoding="{label}"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{text}</title><description>{text}</description></item></channel></rss>"
    )
    parsed = parse_feed(
        doc.encode(codec), {}, feed_url="http://x.example/", language_hint=None, now=NOW
    )
    assert parsed.items[0].title == text
    assert parsed.problem is None


@pytest.mark.parametrize(("codec", "label"), [("utf-8", "utf-8"), ("euc-kr", "euc-kr")])
def test_a_stray_byte_does_not_garble_the_whole_feed(codec: str, label: str) -> None:
    body = KOREAN_RSS.format(decl=f' encoding="{label}"').encode(codec)
    body = body.replace("체결했다고".encode(codec), b"\xff" + "체결했다고".encode(codec))
    parsed = parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)
    assert parsed.items[0].title == KOREAN_TITLE
    assert "\ufffd체결했다고" in parsed.items[0].text
    assert parsed.problem is not None and "replaced" in parsed.problem


def test_http_charset_wins_when_it_decodes() -> None:
    doc = KOREAN_RSS.format(decl=' encoding="utf-8"').encode("euc-kr")
    parsed = parse_feed(
        doc, {"content-type": "text/xml; charset=euc-kr"}, feed_url="", language_hint=None, now=NOW
    )
    assert parsed.items[0].title == KOREAN_TITLE
    assert parsed.problem is not None and "'utf-8' declared in the document" in parsed.problem


def test_utf8_bom_and_utf16() -> None:
    doc = KOREAN_RSS.format(decl=' encoding="utf-16"')
    parsed = parse_feed(doc.encode("utf-16"), {}, feed_url="", language_hint=None, now=NOW)
    assert parsed.items[0].title == KOREAN_TITLE
    doc = KOREAN_RSS.format(decl="")
    parsed = parse_feed(
        b"\xef\xbb\xbf" + doc.encode(), {}, feed_url="", language_hint=None, now=NOW
    )
    assert parsed.items[0].title == KOREAN_TITLE
    doc = KOREAN_RSS.format(decl=' encoding="utf-16"')
    for codec in ("utf-16-le", "utf-16-be"):
        parsed = parse_feed(doc.encode(codec), {}, feed_url="", language_hint=None, now=NOW)
        assert parsed.items[0].title == KOREAN_TITLE


def test_decode_bytes_reads_html_meta_charset() -> None:
    page = '<html><head><meta charset="euc-kr"><title>보건</title></head></html>'
    decoded = decode_bytes(page.encode("euc-kr"), {}, markup="html")
    assert "<title>보건</title>" in decoded.text
    assert decoded.encoding == "cp949"


# --- malformed and hostile bodies ----------------------------------------------


@pytest.mark.parametrize("body", [b"", b"  \n\t "])
def test_empty_body_is_an_error(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="empty body"):
        parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html>\n<html><head><title>Ministry</title></head><body><p>Hi</p></body></html>",
        b'<?xml version="1.0"?>\n<!-- x --><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        b"\n\n<HTML><BODY>Moved</BODY></HTML>",
    ],
)
def test_html_page_is_an_error(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="looks like an HTML page, not a feed"):
        parse_feed(body, {"content-type": "text/html"}, feed_url="", language_hint=None, now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        b"this is not xml at all",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</ti',
        b"<config><key>value</key></config>",
    ],
)
def test_not_a_feed_is_an_error(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="not a usable feed"):
        parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)


def test_valid_feed_without_entries_is_not_an_error() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    parsed = parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)
    assert parsed == ParsedFeed(title="Quiet", items=(), encoding="utf-8", problem=None)


def test_bad_token_keeps_entries_and_reports_line() -> None:
    body = (
        b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>T</title>\n'
        b"<item><title>First &amp; fine</title><description>ok</description></item>\n"
        b"<item><title>Second</title><description>AT&T < broken</description></item>\n"
        b"</channel></rss>\n"
    )
    parsed = parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)
    assert [i.title for i in parsed.items][:1] == ["First & fine"]
    assert parsed.problem is not None and "at line 4" in parsed.problem


def _billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(entities) + "\n]>\n"
        '<rss version="2.0"><channel><title>t</title><item><title>&lol9;</title>'
        "<description>&lol9;</description></item></channel></rss>"
    ).encode()


def _quadratic_blowup() -> bytes:
    # feedparser keeps a literal-text entity and its loose parser expands every
    # reference: 100 KB x 20 000 references is 2 GB of text from a 160 KB body.
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + "A" * 100_000 + '">\n]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        "<description>" + "&a;" * 20_000 + "</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        _billion_laughs(),
        _quadratic_blowup(),
        _quadratic_blowup().decode().replace("1.0", '1.0" encoding="utf-16').encode("utf-16"),
    ],
    ids=["billion-laughs", "quadratic-blowup", "utf-16-quadratic-blowup"],
)
def test_xml_bombs_are_refused_quickly(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(FeedParseError, match="feed declares XML entities; refused"):
        parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)
    assert time.perf_counter() - started < 1.0


def test_character_reference_entities_are_allowed() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n]>\n'
        b'<rss version="2.0"><channel><title>t</title><item><title>a&nbsp;b</title>'
        b"</item></channel></rss>"
    )
    parsed = parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)
    assert parsed.items[0].title == "a b"


def test_external_entities_are_not_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY x SYSTEM "file://{secret}">\n]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>&x;</title></item>'
        "</channel></rss>"
    ).encode()
    with pytest.raises(FeedParseError, match="refused"):
        parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)


def test_body_that_is_a_file_path_is_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_text(
        '<rss version="2.0"><channel><item><title>leak</title></item></channel></rss>'
    )
    with pytest.raises(FeedParseError):
        parse_feed(str(secret).encode(), {}, feed_url="", language_hint=None, now=NOW)


# --- JSON Feed --------------------------------------------------------------


def test_json_feed_errors() -> None:
    with pytest.raises(FeedParseError, match="not a valid JSON Feed"):
        parse_feed(b'{"version": "x", "items": [', {}, feed_url="", language_hint=None, now=NOW)
    with pytest.raises(FeedParseError, match="no 'items' list"):
        parse_feed(b'{"version": "x"}', {}, feed_url="", language_hint=None, now=NOW)


def test_json_feed_without_items_content_is_skipped() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1", "items": [{"id": "1"}, 5]})
    parsed = parse_feed(body.encode(), {}, feed_url="", language_hint="vi", now=NOW)
    assert parsed.items == ()
    assert parsed.problem == "skipped 2 entries without title or text"


# --- entry normalisation ------------------------------------------------------


def test_language_hint_wins_and_feed_language_is_normalised() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<language>zh-cn</language><item><title>x</title></item></channel></rss>"
    )
    parsed = parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)
    assert parsed.items[0].language_hint == "zh"
    parsed = parse_feed(body, {}, feed_url="", language_hint="zh-TW", now=NOW)
    assert parsed.items[0].language_hint == "zh"
    parsed = parse_feed(
        body.replace(b"zh-cn", b"kor"), {}, feed_url="", language_hint=None, now=NOW
    )
    assert parsed.items[0].language_hint == "ko"


def test_guid_falls_back_to_canonical_link_then_hash() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>HTTP://News.Example:80/a?utm_source=x#c</link></item>"
        b"<item><title>b</title><pubDate>Mon, 26 May 2025 09:00:00 +0800</pubDate></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)
    assert parsed.items[0].guid == parsed.items[0].url == "http://news.example/a"
    assert parsed.items[1].guid.startswith("urn:sha256:")
    again = parse_feed(body, {}, feed_url="", language_hint=None, now=NOW)
    assert again.items[1].guid == parsed.items[1].guid


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<p>One</p><p>Two</p>", "One Two"),
        ("a&nbsp;&amp;&#160;b", "a & b"),
        ("<script>alert(1)</script>Shown<style>p{}</style>", "Shown"),
        ("line<br>break<br/>x", "line break x"),
        ("<b>bold</b>er", "bolder"),
        ("plain   text\n\twith space", "plain text with space"),
        ("&lt;not a tag&gt;", "<not a tag>"),
        ("unclosed <b>tag", "unclosed tag"),
    ],
)
def test_html_to_text(fragment: str, text: str) -> None:
    assert html_to_text(fragment) == text


# --- bundled demo feeds ---------------------------------------------------------

DEMO = Path(__file__).parent.parent / "monitor" / "demo_feeds"


def test_demo_feeds_parse_cleanly() -> None:
    import mimetypes
    import tomllib

    feeds = tomllib.loads((DEMO / "feeds.toml").read_text(encoding="utf-8"))["feed"]
    assert len(feeds) >= 8
    items: list[Item] = []
    encodings = set()
    for feed in feeds:
        path = DEMO / feed["url"].lstrip("/")
        content_type = mimetypes.guess_type(path.name)[0] or "application/xml"
        parsed = parse_feed(
            path.read_bytes(),
            {"Content-Type": content_type},
            feed_url="http://127.0.0.1:8000" + feed["url"],
            language_hint=feed["language"],
            now=NOW,
        )
        assert parsed.problem is None, path.name
        assert parsed.items, path.name
        assert all(i.title and i.text and i.published_at and i.url for i in parsed.items)
        assert all("\ufffd" not in i.title + i.text for i in parsed.items)
        encodings.add(parsed.encoding)
        items.extend(parsed.items)
    assert len(items) >= 48
    assert len({i.language_hint for i in items}) >= 6
    assert {"cp949", "gb18030", "big5hkscs", "cp932", "cp874"} <= encodings
    assert len({i.guid for i in items}) == len(items)
