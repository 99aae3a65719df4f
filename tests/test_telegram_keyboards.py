"""monitor.telegram.keyboards and i18n: pure keyboards, callback data, catalogues."""

from __future__ import annotations

import re
import string

import pytest

from classifiers.taxonomy import load_taxonomy
from monitor.filters import Filter
from monitor.telegram import i18n
from monitor.telegram.keyboards import (
    COUNTRY_CHOICES,
    Tap,
    flag,
    parse_tap,
    section_of,
    start_keyboard,
    subscription_keyboard,
    subscriptions_keyboard,
    toggle,
)

TAXONOMY = load_taxonomy()


def buttons(markup) -> list[tuple[str, str]]:
    return [(b.text, b.callback_data) for row in markup.inline_keyboard for b in row]


def test_every_button_parses_and_fits_telegram() -> None:
    markups = [start_keyboard("en"), subscriptions_keyboard("ko", active=True)]
    markups += [
        subscription_keyboard(Filter(), section=s, taxonomy=TAXONOMY, lang=lang)
        for s in ("topics", "countries", "languages")
        for lang in ("en", "ko")
    ]
    for markup in markups:
        for label, data in buttons(markup):
            assert len(data.encode()) <= 64 and label
            assert parse_tap(data, topics=TAXONOMY.slugs).action


def test_tapping_toggles_on_and_off() -> None:
    current = Filter()
    for data in ("sub:t:digital_health", "sub:c:KR", "sub:c:ID", "sub:l:ko", "sub:coop"):
        current = toggle(current, parse_tap(data, topics=TAXONOMY.slugs))
    assert current == Filter(
        topics=frozenset({"digital_health"}),
        countries=frozenset({"KR", "ID"}),
        languages=frozenset({"ko"}),
        cooperation_only=False,
    )
    current = toggle(current, parse_tap("sub:c:KR", topics=TAXONOMY.slugs))
    assert current.countries == {"ID"}
    assert toggle(current, Tap("done")) == current
    assert section_of(parse_tap("sub:c:KR", topics=TAXONOMY.slugs)) == "countries"
    assert section_of(parse_tap("sub:v:languages", topics=TAXONOMY.slugs)) == "languages"
    assert section_of(parse_tap("sub:t:uhc", topics=TAXONOMY.slugs)) == "topics"


@pytest.mark.parametrize(
    "bad",
    [
        "sub:", "sub:x:1", "sub:v:nothing", "sub:t:", "sub:on:1", "fb:1:up",
        "sub:t:no_such_topic", "sub:c:XX", "sub:c:kr", "sub:l:xx", "sub:e:party",
    ],
)  # fmt: skip
def test_parse_tap_refuses_other_data(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_tap(bad, topics=TAXONOMY.slugs)


def test_keyboard_marks_what_is_chosen_in_the_ui_language() -> None:
    chosen = Filter(topics=frozenset({"uhc"}), countries=frozenset({"KR"}))
    topics = dict(
        buttons(subscription_keyboard(chosen, section="topics", taxonomy=TAXONOMY, lang="ko"))
    )
    uhc = TAXONOMY.get("uhc")
    assert uhc is not None
    assert topics[f"✅ {uhc.name_ko}"] == "sub:t:uhc"
    assert any(label == "• 주제 •" for label in topics)
    countries = buttons(
        subscription_keyboard(chosen, section="countries", taxonomy=TAXONOMY, lang="en")
    )
    assert ("✅ 🇰🇷 KR", "sub:c:KR") in countries and ("🇮🇩 ID", "sub:c:ID") in countries
    assert ("🤝 Cooperation only", "sub:coop") in countries
    assert len(COUNTRY_CHOICES) == len({data for _, data in countries if data.startswith("sub:c:")})
    assert flag("kr") == "🇰🇷"


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    english = i18n.catalogue("en")
    assert i18n.languages() == ("en", "ko")
    fields = string.Formatter()
    for lang in i18n.languages():
        texts = i18n.catalogue(lang)
        assert set(texts) == set(english), lang
        for key, value in texts.items():
            names = {f for _, f, _, _ in fields.parse(value) if f}
            assert names == {f for _, f, _, _ in fields.parse(english[key]) if f}, (lang, key)


def test_text_falls_back_to_english() -> None:
    assert i18n.text("ko", "unknown", command="/x").startswith("알 수 없는 명령")
    assert i18n.text("fr", "unknown", command="/x") == i18n.text("en", "unknown", command="/x")
    assert i18n.ui_language("ko-KR") == "ko"
    assert i18n.ui_language("pt_BR") == "en"
    assert i18n.ui_language(None) == "en"
    with pytest.raises(KeyError):
        i18n.text("en", "no_such_key")
    assert re.search(r"/subscribe", i18n.text("ko", "help"))
