"""Tests of monitor.ingest.article: main-text extraction from realistic pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.ingest.article import extract_article_text

PAGES = Path(__file__).parent / "data" / "articles"


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/html"},  # charset only in <meta http-equiv>
        {"Content-Type": "text/html; charset=EUC-KR"},
        {"Content-Type": "text/html; charset=iso-8859-1"},  # wrong server default
        None,
    ],
)
def test_korean_euc_kr_page(headers: dict[str, str] | None) -> None:
    html = (PAGES / "korean_euckr.html").read_bytes()
    text = extract_article_text(html, url="http://health-news.example/view/1", headers=headers)
    lines = text.splitlines()
    assert "보건복지부는 인도네시아 보건부와 인공지능(AI) 기반 원격협진 시범사업에" in lines[2]
    assert "기자 김똠방" in text  # CP949-only syllable decoded
    assert lines[-1].startswith("이번 협약은 지난해 열린 한-인도네시아 보건장관회의의")
    for boilerplate in ("로그인", "광고", "반도체 수출", "Copyright", "무단전재", "_gaq"):
        assert boilerplate not in text


def test_english_page_without_boilerplate() -> None:
    html = (PAGES / "english_boilerplate.html").read_bytes()
    text = extract_article_text(html, url="https://aht.example/health/japan-philippines-uhc")
    assert text.startswith("Japan and the Philippines agree to deepen cooperation")
    assert "train health workers" in text
    assert "“Universal health coverage is not only about financing" in text
    assert text.endswith("equipment used in primary care.")
    for boilerplate in (
        "Subscribe now",
        "cookies",
        "Most read",
        "Stock markets rally",
        "All rights reserved",
        "Privacy policy",
        "dataLayer",
        "font-family",
    ):
        assert boilerplate not in text


def test_xhtml_page_with_xml_declaration() -> None:
    html = (PAGES / "korean_euckr.html").read_bytes()
    html = b'<?xml version="1.0" encoding="euc-kr"?>\n' + html
    text = extract_article_text(html, url="http://health-news.example/view/1")
    assert "원격협진 시범사업" in text


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"   ",
        (PAGES / "navigation_only.html").read_bytes(),
        b"\x00\x01\x02 binary garbage \xff\xfe",
        b"<html><body></body></html>",
    ],
)
def test_nothing_extractable_gives_empty_string(html: bytes) -> None:
    assert extract_article_text(html, url="https://x.example/") == ""
