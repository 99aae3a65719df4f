"""feeds.toml edited in place (monitor/feeds/edit.py): finding a feed, adding, removing,
enabling, with comments and layout kept byte for byte."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.feeds import (
    FeedsFileError,
    add_feed,
    find_feed,
    load_feeds,
    remove_feed,
    set_enabled,
)
from monitor.models import FeedSpec

GOOD = '[[feed]]\nurl = "https://a.example/rss"\nname = "A"\n'


# --- finding a feed ----------------------------------------------------------

FEEDS = [
    FeedSpec(url="https://a.example/rss", name="WHO news"),
    FeedSpec(url="https://news.google.com/rss/search?q=a", name="news.google.com"),
    FeedSpec(url="https://news.google.com/rss/search?q=b", name="news.google.com"),
]


def test_find_feed_by_url_or_name() -> None:
    assert find_feed(FEEDS, "https://a.example/rss") == 0
    assert find_feed(FEEDS, "HTTPS://A.EXAMPLE/rss") == 0
    assert find_feed(FEEDS, "WHO news") == 0
    assert find_feed(FEEDS, "who NEWS") == 0
    assert find_feed(FEEDS, "https://news.google.com/rss/search?q=b") == 2


def test_find_feed_ambiguous_lists_candidates() -> None:
    with pytest.raises(ConfigError) as info:
        find_feed(FEEDS, "news.google.com")
    message = str(info.value)
    assert '"news.google.com" matches 2 feeds' in message
    assert '#2 "news.google.com" https://news.google.com/rss/search?q=a' in message
    assert '#3 "news.google.com" https://news.google.com/rss/search?q=b' in message


def test_find_feed_unknown_suggests_close_names() -> None:
    with pytest.raises(ConfigError, match=r'(?s)no feed has the URL or name "WHO new".*#1 "WHO'):
        find_feed(FEEDS, "WHO new")
    with pytest.raises(ConfigError, match="monitor feeds list"):
        find_feed(FEEDS, "zzzzzz")


# --- editing -----------------------------------------------------------------

FILE = """\
# Operator's header comment.
#   keep   this   spacing

[defaults]
interval = "30m"   # the usual pace


# ---- WHO ----

# WHO headquarters
[[feed]]
url = "https://www.who.int/rss-feeds/news-english.xml"
name = "WHO news"
tags = [ "who",
         "official" ]   # multi-line array

# ---- Korea ----

[[feed]]
  url = "https://www.yna.co.kr/rss/health.xml"   # indented keys
  name = "연합뉴스 건강"
  language = "ko"
  enabled = false  # too noisy for now
"""


@pytest.fixture
def feeds_path(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(FILE, encoding="utf-8")
    return path


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_add_feed_appends_only_non_default_keys(feeds_path: Path) -> None:
    spec = FeedSpec(
        url="https://vnexpress.net/rss/suc-khoe.rss",
        name="VnExpress Sức khỏe",
        language="VI",
        country="vn",
        tags=("newspaper",),
        interval=timedelta(minutes=30),
        fulltext=True,
    )
    added = add_feed(feeds_path, spec)
    assert feeds_path.read_text(encoding="utf-8") == FILE + (
        "\n"
        "[[feed]]\n"
        'url = "https://vnexpress.net/rss/suc-khoe.rss"\n'
        'name = "VnExpress Sức khỏe"\n'
        'language = "vi"\n'
        'country = "VN"\n'
        'tags = ["newspaper"]\n'
        "fulltext = true\n"
    )
    assert added == FeedSpec(
        url="https://vnexpress.net/rss/suc-khoe.rss", name="VnExpress Sức khỏe", language="vi",
        country="VN", tags=("newspaper",), fulltext=True,
    )  # fmt: skip
    assert leftovers(feeds_path) == []


def test_add_feed_minimal_and_to_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    add_feed(path, FeedSpec(url="https://a.example/rss", name="a.example"))
    add_feed(path, FeedSpec(url="https://b.example/rss", name="", interval=timedelta(minutes=15)))
    add_feed(path, FeedSpec(url="https://c.example/rss", name="C", enabled=False))
    assert path.read_text() == (
        '[[feed]]\nurl = "https://a.example/rss"\n'
        '\n[[feed]]\nurl = "https://b.example/rss"\ninterval = "15m"\n'
        '\n[[feed]]\nurl = "https://c.example/rss"\nname = "C"\nenabled = false\n'
    )
    assert [f.name for f in load_feeds(path)] == ["a.example", "b.example", "C"]


def test_add_feed_escapes_strings(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    added = add_feed(path, FeedSpec(url="https://a.example/rss?q=%22x%22", name='Say "hi" \\o/'))
    assert added.name == 'Say "hi" \\o/'
    assert added.url == "https://a.example/rss?q=%22x%22"


def test_add_feed_refuses_a_duplicate_url(feeds_path: Path) -> None:
    spec = FeedSpec(url="https://WWW.WHO.INT/rss-feeds/news-english.xml", name="again")
    with pytest.raises(ConfigError, match=r'feed "WHO news" \(#1\) already has the URL'):
        add_feed(feeds_path, spec)
    assert feeds_path.read_text(encoding="utf-8") == FILE


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (FeedSpec(url="https://x.example/", name="X", language="xx"), "key 'language'"),
        (FeedSpec(url="ftp://x.example/", name="X"), "key 'url'"),
        (FeedSpec(url="https://x.example/", name="X", interval=timedelta(seconds=5)), "minimum"),
        (FeedSpec(url="https://x.example/", name="X", tags=("",)), "key 'tags'"),
    ],
)
def test_add_feed_refuses_what_would_break_the_file(
    feeds_path: Path, spec: FeedSpec, reason: str
) -> None:
    with pytest.raises(FeedsFileError, match="edit refused, the result would be invalid") as info:
        add_feed(feeds_path, spec)
    assert reason in str(info.value)
    assert feeds_path.read_text(encoding="utf-8") == FILE
    assert leftovers(feeds_path) == []


def test_edits_refuse_a_broken_file(feeds_path: Path) -> None:
    broken = FILE.replace('name = "WHO news"', 'name = "WHO news"\nintervall = "1h"')
    feeds_path.write_text(broken, encoding="utf-8")
    with pytest.raises(FeedsFileError, match="fix them before editing") as info:
        add_feed(feeds_path, FeedSpec(url="https://x.example/", name="X"))
    assert "unknown key 'intervall'" in str(info.value)
    with pytest.raises(FeedsFileError, match="fix them before editing"):
        set_enabled(feeds_path, "WHO news", False)
    assert feeds_path.read_text(encoding="utf-8") == broken


def test_remove_feed_by_name_keeps_everything_else(feeds_path: Path) -> None:
    removed = remove_feed(feeds_path, "WHO news")
    assert removed.url == "https://www.who.int/rss-feeds/news-english.xml"
    assert (
        feeds_path.read_text(encoding="utf-8")
        == """\
# Operator's header comment.
#   keep   this   spacing

[defaults]
interval = "30m"   # the usual pace


# ---- WHO ----

# ---- Korea ----

[[feed]]
  url = "https://www.yna.co.kr/rss/health.xml"   # indented keys
  name = "연합뉴스 건강"
  language = "ko"
  enabled = false  # too noisy for now
"""
    )


def test_remove_last_feed_by_url(feeds_path: Path) -> None:
    remove_feed(feeds_path, "https://www.yna.co.kr/rss/health.xml")
    assert feeds_path.read_text(encoding="utf-8") == FILE.split("\n# ---- Korea ----")[0] + (
        "\n# ---- Korea ----\n"
    )
    assert [f.name for f in load_feeds(feeds_path)] == ["WHO news"]


def test_remove_feed_between_tables_without_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[feed]]\nurl = "https://a.example/"\n# a: trailing note\n'
        '# b: about b\n[[feed]]\nurl = "https://b.example/"\n'
        '[[feed]]\nurl = "https://c.example/"\n'
    )
    remove_feed(path, "b.example")
    # The comments touch both tables, so they belong to neither and stay.
    assert path.read_text() == (
        '[[feed]]\nurl = "https://a.example/"\n# a: trailing note\n# b: about b\n'
        '[[feed]]\nurl = "https://c.example/"\n'
    )
    remove_feed(path, "a.example")
    assert path.read_text() == (
        '# a: trailing note\n# b: about b\n[[feed]]\nurl = "https://c.example/"\n'
    )


def test_remove_feed_takes_its_own_comments(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '# group\n\n# about a\n[[feed]]\nurl = "https://a.example/"\n# enabled = false\n'
        '\n# about b\n[[feed]]\nurl = "https://b.example/"\n'
    )
    remove_feed(path, "a.example")
    assert path.read_text() == '# group\n\n# about b\n[[feed]]\nurl = "https://b.example/"\n'


def test_remove_feed_ambiguous_or_unknown(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    text = (
        '[[feed]]\nurl = "https://news.google.com/rss/search?q=a"\n\n'
        '[[feed]]\nurl = "https://news.google.com/rss/search?q=b"\n'
    )
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"(?s)matches 2 feeds.*#1 .*q=a.*#2 .*q=b"):
        remove_feed(path, "news.google.com")
    with pytest.raises(ConfigError, match="no feed has the URL or name"):
        remove_feed(path, "https://elsewhere.example/")
    assert path.read_text() == text


def test_remove_feed_from_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        remove_feed(tmp_path / "feeds.toml", "x")


def test_disable_adds_a_line_after_the_last_key(feeds_path: Path) -> None:
    spec = set_enabled(feeds_path, "WHO news", False)
    assert spec.enabled is False
    expected = FILE.replace(
        '         "official" ]   # multi-line array\n',
        '         "official" ]   # multi-line array\nenabled = false\n',
    )
    assert feeds_path.read_text(encoding="utf-8") == expected


def test_enable_rewrites_the_value_in_place(feeds_path: Path) -> None:
    spec = set_enabled(feeds_path, "연합뉴스 건강", True)
    assert spec.enabled is True
    assert feeds_path.read_text(encoding="utf-8") == FILE.replace(
        "  enabled = false  # too noisy for now", "  enabled = true  # too noisy for now"
    )
    set_enabled(feeds_path, "연합뉴스 건강", False)
    assert feeds_path.read_text(encoding="utf-8") == FILE


def test_set_enabled_is_a_no_op_when_already_so(feeds_path: Path) -> None:
    before = feeds_path.stat()
    assert set_enabled(feeds_path, "https://www.yna.co.kr/rss/health.xml", False).enabled is False
    after = feeds_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_set_enabled_keeps_indentation(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[feed]]\n    url = "https://a.example/"\n    name = "A"')  # no final newline
    set_enabled(path, "A", False)
    assert (
        path.read_text()
        == '[[feed]]\n    url = "https://a.example/"\n    name = "A"\n    enabled = false\n'
    )


def test_set_enabled_against_a_disabled_default(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[defaults]\nenabled = false\n\n[[feed]]\nurl = "https://a.example/"\n')
    assert set_enabled(path, "a.example", True).enabled is True
    assert path.read_text().endswith('url = "https://a.example/"\nenabled = true\n')


def test_edits_keep_crlf_bom_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    original = '\ufeff# CRLF file\r\n[[feed]]\r\nurl = "https://a.example/"\r\n'
    path.write_bytes(original.encode("utf-8"))
    path.chmod(0o640)
    add_feed(path, FeedSpec(url="https://b.example/", name="B"))
    set_enabled(path, "B", False)
    assert path.read_bytes().decode("utf-8") == original + (
        '\r\n[[feed]]\r\nurl = "https://b.example/"\r\nname = "B"\r\nenabled = false\r\n'
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    remove_feed(path, "B")
    assert path.read_bytes().decode("utf-8") == original


def test_edits_follow_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text(GOOD)
    link = tmp_path / "feeds.toml"
    link.symlink_to(real)
    add_feed(link, FeedSpec(url="https://b.example/", name="B"))
    assert link.is_symlink()
    assert [f.name for f in load_feeds(real)] == ["A", "B"]


def test_edits_refuse_inline_feed_arrays(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    text = 'feed = [{ url = "https://a.example/" }]\n'
    path.write_text(text)
    with pytest.raises(ConfigError, match="edit this file by hand"):
        remove_feed(path, "a.example")
    with pytest.raises(ConfigError, match="would be invalid"):
        add_feed(path, FeedSpec(url="https://b.example/", name="B"))
    assert path.read_text() == text
