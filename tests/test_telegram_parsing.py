"""monitor.telegram.parsing: command arguments and callback data, tested directly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from classifiers.taxonomy import load_taxonomy
from monitor.filters import Filter
from monitor.telegram.parsing import (
    MAX_KEYWORDS,
    LimitError,
    SubscriptionChange,
    UsageError,
    addressed_to,
    apply_change,
    check_keywords,
    parse_addfeed,
    parse_count,
    parse_duration,
    parse_feed_key,
    parse_feedback,
    parse_language,
    parse_subscription,
    parse_switch,
    parse_words,
)

TOPICS = load_taxonomy().slugs


def test_parse_count() -> None:
    assert parse_count([]) == 5
    assert parse_count(["3"]) == 3
    assert parse_count(["20"]) == 20
    assert parse_count([], default=7, maximum=9) == 7
    for bad, reason in [
        (["abc"], "not a number"),
        (["999"], "between 1 and 20"),
        (["0"], "between 1 and 20"),
        (["-2"], "between 1 and 20"),
        (["1", "2"], "one number"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_count(bad)


def test_parse_words() -> None:
    assert parse_words(["Dengue", "VACCINE", "dengue"]) == ("dengue", "vaccine")
    assert parse_words(["원격의료"]) == ("원격의료",)
    with pytest.raises(ValueError):
        parse_words([])


def test_subscribe_topics_countries_languages() -> None:
    change = parse_subscription(["digital_health", "KR", "ID"], topics=TOPICS)
    assert change == SubscriptionChange(
        topics=frozenset({"digital_health"}), countries=frozenset({"KR", "ID"})
    )
    # capitals: a country (Indonesia); small letters: a language (Indonesian)
    change = parse_subscription(["id", "ko", "Kr", "Digital-Health"], topics=TOPICS)
    assert change.languages == {"id", "ko"} and change.countries == {"KR"}
    assert change.topics == {"digital_health"}
    assert parse_subscription([], topics=TOPICS).empty


def test_subscribe_keyword_all_cooperation() -> None:
    assert parse_subscription(["keyword", "원격의료"], topics=TOPICS).keywords == ("원격의료",)
    change = parse_subscription(["uhc", "keyword", "remote", "care"], topics=TOPICS)
    assert change.keywords == ("remote care",) and change.topics == {"uhc"}
    assert parse_subscription(["all"], topics=TOPICS).cooperation_only is False
    assert parse_subscription(["cooperation"], topics=TOPICS).cooperation_only is True
    with pytest.raises(UsageError, match="needs a word"):
        parse_subscription(["keyword"], topics=TOPICS)
    with pytest.raises(LimitError, match="at most 100 characters") as info:
        parse_subscription(["keyword", "x" * 101], topics=TOPICS)
    assert info.value.key == "keyword_too_long" and info.value.values["length"] == 101


def test_a_chat_has_at_most_twenty_keywords() -> None:
    twenty = Filter(keywords=tuple(f"k{n}" for n in range(MAX_KEYWORDS)))
    assert check_keywords(twenty) == twenty
    with pytest.raises(LimitError, match="at most 20 keywords") as info:
        check_keywords(apply_change(twenty, SubscriptionChange(keywords=("one more",)), add=True))
    assert info.value.key == "too_many_keywords"


def test_subscribe_bad_words_name_the_word() -> None:
    with pytest.raises(UsageError) as info:
        parse_subscription(["KR", "digital_helth"], topics=TOPICS)
    assert info.value.word == "digital_helth"
    assert "did you mean digital_health" in str(info.value)
    for bad in ("XX", "zz", "KOR", "<b>"):
        with pytest.raises(UsageError):
            parse_subscription([bad], topics=TOPICS)


def test_apply_change_adds_and_removes() -> None:
    start = Filter(topics=frozenset({"uhc"}), keywords=("dengue",))
    added = apply_change(
        start,
        SubscriptionChange(
            topics=frozenset({"digital_health"}),
            countries=frozenset({"KR"}),
            keywords=("Dengue", "원격의료"),
            cooperation_only=False,
        ),
        add=True,
    )
    assert added.topics == {"uhc", "digital_health"} and added.countries == {"KR"}
    assert added.keywords == ("dengue", "원격의료")  # no repeat, case-folded
    assert added.cooperation_only is False
    removed = apply_change(
        added,
        SubscriptionChange(topics=frozenset({"uhc"}), keywords=("DENGUE",)),
        add=False,
    )
    assert removed.topics == {"digital_health"} and removed.keywords == ("원격의료",)
    assert removed.cooperation_only is False  # /unsubscribe leaves the switch alone


def test_language_duration_switch() -> None:
    assert parse_language(["KO"], ("en", "ko")) == "ko"
    for bad in ([], ["fr"], ["en", "ko"]):
        with pytest.raises(ValueError, match="en, ko"):
            parse_language(bad, ("en", "ko"))
    assert parse_duration(["2h"]) == timedelta(hours=2)
    assert parse_duration(["1d"]) == timedelta(days=1)
    assert parse_duration(["1h", "30m"]) == timedelta(minutes=90)
    for bad, reason in [
        ([], "no duration"),
        (["2"], "add a unit"),
        (["31d"], "longer"),
        (["x"], "not a duration"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_duration(bad)
    assert parse_switch(["ON"]) is True and parse_switch(["off"]) is False
    with pytest.raises(ValueError):
        parse_switch(["maybe"])


def test_addfeed_removefeed_feedback() -> None:
    assert parse_addfeed(["https://a.example/rss", "A", "news"]) == (
        "https://a.example/rss",
        "A news",
    )
    assert parse_addfeed(["http://127.0.0.1/"]) == ("http://127.0.0.1/", "")
    for bad in ([], ["ftp://a.example/"], ["a.example/rss"], ["http://"]):
        with pytest.raises(ValueError):
            parse_addfeed(bad)
    assert parse_feed_key(["WHO", "news"]) == "WHO news"
    with pytest.raises(ValueError):
        parse_feed_key([])
    assert parse_feedback("fb:42:up") == (42, 1)
    assert parse_feedback("fb:7:down") == (7, -1)
    for bad in ("fb:x:up", "fb:1:meh", "sub:on", "fb:1:up:extra"):
        with pytest.raises(ValueError):
            parse_feedback(bad)


def test_addressed_to() -> None:
    assert addressed_to("/start", "monitor_bot")
    assert addressed_to("/start@Monitor_Bot now", "monitor_bot")
    assert not addressed_to("/start@other_bot", "monitor_bot")
