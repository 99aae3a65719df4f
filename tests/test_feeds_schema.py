"""feeds.toml read into feeds (monitor/feeds/schema.py): intervals, defaults, one
validation rule at a time, loading a file, the shipped source list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.feeds import (
    FeedsFileError,
    add_feed,
    format_interval,
    load_feeds,
    parse_feeds,
    parse_interval,
    remove_feed,
    set_enabled,
)
from monitor.models import DEFAULT_INTERVAL, FeedSpec

ROOT = Path(__file__).resolve().parent.parent


def problems_of(text: str) -> list[str]:
    """The problem lines of a text that must not parse."""
    with pytest.raises(FeedsFileError) as info:
        parse_feeds(text, source="feeds.toml")
    return [str(p) for p in info.value.problems]


# --- intervals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 1h 30m ", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1m", timedelta(minutes=1)),
    ],
)
def test_parse_interval_accepts_durations(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["15x", "", "m", "1m30h", "-5m", "1.5h", "15M", "fifteen", "h1"])
def test_parse_interval_rejects_non_durations(text: str) -> None:
    with pytest.raises(ConfigError, match='is not a duration like "15m"'):
        parse_interval(text)


def test_parse_interval_explains_a_bare_number() -> None:
    with pytest.raises(ConfigError, match=r'"900" is not a duration like "15m" \(add a unit'):
        parse_interval("900")


@pytest.mark.parametrize("text", ["30s", "59s", "0m"])
def test_parse_interval_has_a_minimum_of_one_minute(text: str) -> None:
    with pytest.raises(ConfigError, match="shorter than the minimum of 1m"):
        parse_interval(text)


def test_parse_interval_has_a_maximum_and_does_not_overflow() -> None:
    with pytest.raises(ConfigError, match="longer than the maximum of 30d"):
        parse_interval("31d")
    with pytest.raises(ConfigError, match="longer than the maximum"):
        parse_interval("999999999999999999999d")


def test_parse_interval_bounds_can_be_chosen_by_other_files() -> None:
    assert parse_interval("30s", minimum=timedelta(seconds=1)) == timedelta(seconds=30)
    with pytest.raises(ConfigError, match="longer than the maximum of 1h"):
        parse_interval("2h", maximum=timedelta(hours=1))


@pytest.mark.parametrize("text", ["1m", "15m", "1h30m", "1d", "2d3h", "1m30s"])
def test_format_interval_round_trips(text: str) -> None:
    assert format_interval(parse_interval(text)) == text


# --- parsing and defaults ----------------------------------------------------


def test_minimal_feed_gets_the_defaults() -> None:
    [spec] = parse_feeds('[[feed]]\nurl = "https://www.who.int/rss-feeds/news-english.xml"\n')
    assert spec == FeedSpec(
        url="https://www.who.int/rss-feeds/news-english.xml",
        name="www.who.int",
        language=None,
        country=None,
        tags=(),
        interval=DEFAULT_INTERVAL,
        enabled=True,
        fulltext=False,
    )


def test_every_key_is_read() -> None:
    text = """\
[[feed]]
url = "https://www.mohw.go.kr/rss/board.es?mid=a10503000000&bid=0027"
name = "보건복지부 보도자료"
language = "ko"
country = "KR"
tags = ["ministry", "official"]
interval = "1h"
enabled = false
fulltext = true
"""
    [spec] = parse_feeds(text)
    assert spec.name == "보건복지부 보도자료"
    assert (spec.language, spec.country, spec.tags) == ("ko", "KR", ("ministry", "official"))
    assert spec.interval == timedelta(hours=1)
    assert (spec.enabled, spec.fulltext) == (False, True)


def test_codes_are_normalised_and_tags_deduplicated() -> None:
    text = """\
[[feed]]
url = "https://example.org/rss"
language = "KO"
country = "kr"
tags = ["a", " b ", "a"]
"""
    [spec] = parse_feeds(text)
    assert (spec.language, spec.country, spec.tags) == ("ko", "KR", ("a", "b"))


def test_defaults_table_applies_where_feeds_are_silent() -> None:
    text = """\
[defaults]
interval = "1h"
enabled = false
fulltext = true
language = "en"

[[feed]]
url = "https://a.example/rss"

[[feed]]
url = "https://b.example/rss"
interval = "15m"
enabled = true
fulltext = false
language = "th"
"""
    a, b = parse_feeds(text)
    assert (a.interval, a.enabled, a.fulltext, a.language) == (
        timedelta(hours=1),
        False,
        True,
        "en",
    )
    assert (b.interval, b.enabled, b.fulltext, b.language) == (
        timedelta(minutes=15),
        True,
        False,
        "th",
    )


def test_empty_file_has_no_feeds() -> None:
    assert parse_feeds("") == []
    assert parse_feeds("# only a comment\n") == []


def test_byte_order_mark_is_accepted() -> None:
    [spec] = parse_feeds('\ufeff[[feed]]\nurl = "https://a.example/rss"\n')
    assert spec.url == "https://a.example/rss"


def test_quoted_keys_and_inline_comments() -> None:
    text = '[[feed]] # first\n"url" = "https://a.example/rss" # the feed\n\'name\' = "A"\n'
    [spec] = parse_feeds(text)
    assert (spec.url, spec.name) == ("https://a.example/rss", "A")


def test_inline_array_of_feeds_is_accepted() -> None:
    text = 'feed = [{ url = "https://a.example/rss" }, { url = "https://b.example/rss" }]\n'
    assert [f.name for f in parse_feeds(text)] == ["a.example", "b.example"]


# --- validation: one rule at a time -------------------------------------------


def test_missing_url_is_reported_at_the_table_header() -> None:
    text = '[[feed]]\nurl = "https://a.example/rss"\n\n[[feed]]\nname = "No URL"\n'
    assert problems_of(text) == ["feeds.toml:4: feed \"No URL\" (#2): missing required key 'url'"]


def test_missing_url_without_a_name_names_the_position() -> None:
    assert problems_of("[[feed]]\ntags = []\n") == [
        "feeds.toml:1: feed #1: missing required key 'url'"
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('"ftp://a.example/rss"', '"ftp://a.example/rss" is not an http:// or https:// URL'),
        ('"a.example/rss"', '"a.example/rss" is not an http:// or https:// URL'),
        ('"https:///rss"', '"https:///rss" has no host'),
        ('"https://a.example/my feed"', "contains whitespace"),
        ('"https://a.example:99999/rss"', "is not a valid URL"),
        ('""', "must not be empty"),
        ("42", "must be a string, not an integer"),
    ],
)
def test_bad_url(value: str, reason: str) -> None:
    [problem] = problems_of(f'[[feed]]\nname = "X"\nurl = {value}\n')
    assert problem.startswith("feeds.toml:3: feed \"X\" (#1): key 'url': ")
    assert reason in problem


def test_unknown_key_is_an_error_with_its_line_and_a_suggestion() -> None:
    text = """\
# sources
[[feed]]
url = "https://a.example/rss"
name = "A"
intervall = "15m"
"""
    assert problems_of(text) == [
        "feeds.toml:5: feed \"A\" (#1): unknown key 'intervall' (did you mean 'interval'?)"
    ]


def test_bad_interval_message() -> None:
    text = '[[feed]]\nurl = "https://a.example/rss"\nname = "WHO news"\n\ninterval = "15x"\n'
    assert problems_of(text) == [
        'feeds.toml:5: feed "WHO news" (#1): key \'interval\': "15x" is not a duration like "15m"'
    ]


def test_interval_must_be_a_string() -> None:
    [problem] = problems_of('[[feed]]\nurl = "https://a.example/rss"\ninterval = 900\n')
    assert "key 'interval': must be a string like \"15m\", not an integer 900" in problem


def test_bad_language_and_country_with_hints() -> None:
    text = """\
[[feed]]
url = "https://a.example/rss"
language = "kor"
country = "UK"

[[feed]]
url = "https://b.example/rss"
language = "zh-TW"
country = "XX"
"""
    assert problems_of(text) == [
        'feeds.toml:3: feed "a.example" (#1): key \'language\': "kor" is not an ISO 639-1 '
        'language code; use "ko"',
        'feeds.toml:4: feed "a.example" (#1): key \'country\': "UK" is not an ISO 3166-1 '
        'alpha-2 country code; use "GB"',
        'feeds.toml:8: feed "b.example" (#2): key \'language\': "zh-TW" is not an ISO 639-1 '
        'language code; use "zh"',
        'feeds.toml:9: feed "b.example" (#2): key \'country\': "XX" is not an ISO 3166-1 '
        "alpha-2 country code",
    ]


@pytest.mark.parametrize("code", ["en", "ko", "zh", "ja", "id", "vi", "th", "ms", "tl", "km", "lo"])
def test_region_languages_are_known(code: str) -> None:
    [spec] = parse_feeds(f'[[feed]]\nurl = "https://a.example/"\nlanguage = "{code}"\n')
    assert spec.language == code


@pytest.mark.parametrize("code", ["my", "mn"])
def test_burmese_and_mongolian_are_known(code: str) -> None:
    [spec] = parse_feeds(f'[[feed]]\nurl = "https://a.example/"\nlanguage = "{code}"\n')
    assert spec.language == code


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('enabled = "yes"', "key 'enabled': must be true or false, not a string \"yes\""),
        ("fulltext = 1", "key 'fulltext': must be true or false, not an integer 1"),
        ('tags = "who"', "key 'tags': must be an array of strings"),
        ("tags = [1]", "key 'tags': tag #1 must be a non-empty string, not an integer"),
        ('tags = ["ok", ""]', "key 'tags': tag #2 must be a non-empty string, not an empty"),
        ("name = 3", "key 'name': must be a string, not an integer"),
        ('name = "  "', "key 'name': must not be empty"),
        ("language = 1", "key 'language': must be a string, not an integer"),
    ],
)
def test_wrong_types(line: str, reason: str) -> None:
    [problem] = problems_of(f'[[feed]]\nurl = "https://a.example/rss"\n{line}\n')
    assert problem.startswith("feeds.toml:3: ")
    assert reason in problem


def test_duplicate_url_points_at_the_first() -> None:
    text = """\
[[feed]]
url = "https://a.example/rss"
name = "First"

[[feed]]
name = "Second"
url = "https://A.EXAMPLE/rss"
"""
    assert problems_of(text) == [
        'feeds.toml:7: feed "Second" (#2): key \'url\': "https://A.EXAMPLE/rss" is already '
        'the URL of feed "First" (#1), line 2'
    ]


def test_syntax_error_has_its_line() -> None:
    text = '[[feed]]\nurl = "https://a.example/rss"\nname "A"\n'
    [problem] = problems_of(text)
    assert problem.startswith("feeds.toml:3: invalid TOML (column ")


def test_syntax_error_at_end_of_file_has_the_last_line() -> None:
    [problem] = problems_of('[[feed]]\nurl = "https://a.example/rss"\nname = "unterminated\n')
    assert problem.startswith("feeds.toml:3: invalid TOML")


def test_unknown_top_level_key_and_single_table() -> None:
    assert problems_of('[[feeds]]\nurl = "https://a.example/rss"\n') == [
        "feeds.toml:1: unknown top-level key 'feeds' (did you mean 'feed'?)"
    ]
    assert problems_of('url = "https://a.example/rss"\n') == [
        "feeds.toml:1: unknown top-level key 'url' (a feed's keys go below a [[feed]] header)"
    ]
    [problem] = problems_of('[feed]\nurl = "https://a.example/rss"\n')
    assert problem.startswith("feeds.toml:1: 'feed' must be an array of tables")


def test_defaults_table_is_validated() -> None:
    text = '[defaults]\ninterval = "soon"\ncountry = "KR"\n'
    assert problems_of(text) == [
        'feeds.toml:2: [defaults]: key \'interval\': "soon" is not a duration like "15m"',
        "feeds.toml:3: [defaults]: unknown key 'country' ([defaults] takes interval, enabled, "
        "fulltext, language)",
    ]


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = """\
[[feed]]
url = "https://a.example/rss"
name = "A"
intervall = "15m"

[[feed]]
name = "B"
language = "xx"

[[feed]]
url = "https://a.example/rss"
interval = "15x"
country = "KOR"
"""
    with pytest.raises(FeedsFileError) as info:
        parse_feeds(text, source="feeds.toml")
    message = str(info.value)
    assert message.splitlines() == [
        "feeds.toml: 6 problems",
        "feeds.toml:4: feed \"A\" (#1): unknown key 'intervall' (did you mean 'interval'?)",
        "feeds.toml:6: feed \"B\" (#2): missing required key 'url'",
        'feeds.toml:8: feed "B" (#2): key \'language\': "xx" is not an ISO 639-1 language code',
        'feeds.toml:11: feed "a.example" (#3): key \'url\': "https://a.example/rss" is already '
        'the URL of feed "A" (#1), line 2',
        'feeds.toml:12: feed "a.example" (#3): key \'interval\': "15x" is not a duration like '
        '"15m"',
        'feeds.toml:13: feed "a.example" (#3): key \'country\': "KOR" is not an ISO 3166-1 '
        'alpha-2 country code; use "KR"',
    ]
    assert isinstance(info.value, ConfigError)
    assert [p.feed for p in info.value.problems] == [1, 2, 2, 3, 3, 3]
    assert [p.key for p in info.value.problems] == [
        None, None, "language", "url", "interval", "country"
    ]  # fmt: skip


def test_line_numbers_survive_multiline_values() -> None:
    text = '''\
[[feed]]
url = "https://a.example/rss"
tags = [
    "who",
    "official",
]
notes = """
[[feed]]
url = "not a header"
"""

[[feed]]
url = "https://b.example/rss"
interval = "15x"
'''
    assert problems_of(text) == [
        "feeds.toml:7: feed \"a.example\" (#1): unknown key 'notes'",
        'feeds.toml:14: feed "b.example" (#2): key \'interval\': "15x" is not a duration like '
        '"15m"',
    ]


def test_dotted_key_and_subtable_are_placed() -> None:
    text = """\
[[feed]]
url = "https://a.example/rss"
extra.one = 1

[[feed]]
url = "https://b.example/rss"

[feed.options]
x = 1
"""
    assert problems_of(text) == [
        "feeds.toml:3: feed \"a.example\" (#1): unknown key 'extra'",
        "feeds.toml:8: feed \"b.example\" (#2): unknown key 'options'",
    ]


def test_inline_feed_problems_point_at_the_feed_key() -> None:
    text = '# x\nfeed = [{ url = "https://a.example/rss", interval = "15x" }]\n'
    [problem] = problems_of(text)
    assert problem.startswith("feeds.toml:2: feed \"a.example\" (#1): key 'interval'")


# --- loading a file ----------------------------------------------------------


def test_load_feeds_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[feed]]\nurl = "https://a.example/rss"\ninterval = "15x"\n')
    with pytest.raises(ConfigError, match=rf"^{path}:3: feed \"a.example\" \(#1\)"):
        load_feeds(path)


def test_load_feeds_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "feeds.toml"
    with pytest.raises(ConfigError, match=rf"{path}: feeds file not found"):
        load_feeds(path)


def test_load_feeds_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_bytes('[[feed]]\nurl = "https://a.example/"\nname = "보건"\n'.encode("euc-kr"))
    with pytest.raises(ConfigError, match=r"feeds.toml:3: not valid UTF-8"):
        load_feeds(path)


def test_load_feeds_on_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_feeds(tmp_path)


# --- the shipped source list -------------------------------------------------


def test_shipped_feeds_toml_parses_and_covers_the_region() -> None:
    feeds = load_feeds(ROOT / "feeds.toml")
    enabled = [f for f in feeds if f.enabled]
    assert len(enabled) >= 30
    languages = {f.language for f in enabled}
    assert {"en", "ko", "zh", "ja", "id", "vi", "th"} <= languages
    assert len({f.name for f in feeds}) == len(feeds), "names must be unique to edit by name"
    assert all(f.url.startswith("https://") for f in feeds)
    searches = [f for f in enabled if "search" in f.tags]
    assert {f.language for f in searches} >= {"en", "ko", "zh", "ja", "id", "vi", "th"}
    assert any(f.fulltext for f in feeds)


def test_shipped_feeds_toml_survives_an_edit_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    original = (ROOT / "feeds.toml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    before = load_feeds(path)
    add_feed(path, FeedSpec(url="https://x.example/rss", name="X", language="en"))
    set_enabled(path, "WHO news", False)
    set_enabled(path, "WHO news", True)
    remove_feed(path, "X")
    assert load_feeds(path) == before
    text = path.read_text(encoding="utf-8")
    assert text.replace('interval = "30m"\nenabled = true\n', 'interval = "30m"\n', 1) == original
