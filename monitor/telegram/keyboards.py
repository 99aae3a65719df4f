"""Inline keyboards and the callback data their buttons carry. Pure: values in, markup out.

Callback data (at most 64 bytes) is stateless, so a keyboard keeps working
after a restart: each tap names its whole action and the handler applies it
to the chat's stored subscription.

=================  ==========================================================
``sub:on``         subscribe (the default filter for a new chat) / start again
``sub:v:topics``   show a section: ``topics``, ``countries``, ``languages`` or ``events``
``sub:t:<slug>``   toggle a topic
``sub:c:<CC>``     toggle a country
``sub:l:<ll>``     toggle a language
``sub:e:<type>``   toggle a cooperation event type (one of `EVENT_TYPES`)
``sub:coop``       toggle "cooperation only"
``sub:official``   toggle "official sources only" (`OFFICIAL_SOURCES`: ministries, international)
``sub:edit``       show the subscription keyboard (from /subscriptions)
``sub:stop``       stop alerts to this chat
``sub:done``       close the keyboard, show the summary
``fb:<id>:up``     feedback on an alert (the alerts' buttons; see `parsing`)
=================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from classifiers.taxonomy import Taxonomy
from monitor.alerts.gist import gist_words
from monitor.codes import COUNTRY_CODES, LANGUAGE_CODES
from monitor.filters import EVENT_TYPES, OFFICIAL_SOURCES, Filter
from monitor.telegram.i18n import text, topic_name

Section = Literal["topics", "countries", "languages", "events"]
SECTIONS: tuple[Section, ...] = ("topics", "countries", "languages", "events")

# The region the product watches, in the order a reader scans a map.
COUNTRY_CHOICES = (
    "KR", "JP", "CN", "TW", "MN", "VN", "TH", "ID", "MY",
    "SG", "PH", "KH", "LA", "MM", "TL", "IN", "AU", "NZ",
)  # fmt: skip
# The languages of the sources, each in its own name.
LANGUAGE_CHOICES = {
    "en": "English",
    "ko": "한국어",
    "ja": "日本語",
    "zh": "中文",
    "id": "Indonesia",
    "vi": "Tiếng Việt",
    "th": "ไทย",
    "ms": "Melayu",
}
ON, OFF = "✅", "⬜"
PREFIX = "sub:"


@dataclass(frozen=True)
class Tap:
    """One subscription button press: its action and value ("" when it has none)."""

    action: Literal[
        "on",
        "view",
        "topic",
        "country",
        "language",
        "event",
        "coop",
        "official",
        "edit",
        "stop",
        "done",
    ]
    value: str = ""


_KINDS = {"t": "topic", "c": "country", "l": "language", "e": "event", "v": "view"}
_BARE = ("on", "coop", "official", "edit", "stop", "done")


def parse_tap(data: str, *, topics: Collection[str]) -> Tap:
    """The `Tap` of a ``sub:`` button's callback data.

    Callback data comes from the client, so anyone can craft it: a topic must be one
    of `topics` (the taxonomy's slugs), a country an ISO 3166-1 code, a language an
    ISO 639-1 code, an event one of `EVENT_TYPES`, or nothing is stored.

    Raises:
        ValueError: data that no keyboard of this module produces.
    """
    body = data.removeprefix(PREFIX)
    if body == data:
        raise ValueError(f"not a subscription button: {data!r}")
    kind, _, value = body.partition(":")
    if kind in _BARE and not value:
        return Tap(kind)  # type: ignore[arg-type]  # checked against _BARE
    action = _KINDS.get(kind)
    if action is None or not value or (action == "view" and value not in SECTIONS):
        raise ValueError(f"not a subscription button: {data!r}")
    known = {
        "topic": topics,
        "country": COUNTRY_CODES,
        "language": LANGUAGE_CODES,
        "event": EVENT_TYPES,
    }.get(action)
    if known is not None and value not in known:  # crafted data stores nothing unknown
        raise ValueError(f"not a subscription button: {data!r}")
    return Tap(action, value)  # type: ignore[arg-type]  # one of _KINDS' values


def toggle(current: Filter, tap: Tap) -> Filter:
    """`current` with the tapped topic, country, language, cooperation or official switch
    flipped."""
    if tap.action == "topic":
        return replace(current, topics=current.topics ^ {tap.value})
    if tap.action == "country":
        return replace(current, countries=current.countries ^ {tap.value})
    if tap.action == "language":
        return replace(current, languages=current.languages ^ {tap.value})
    if tap.action == "event":
        return replace(current, events=current.events ^ {tap.value})
    if tap.action == "coop":
        return replace(current, cooperation_only=not current.cooperation_only)
    if tap.action == "official":  # any other choice of source types (the CLI's) ends too
        official = current.sources == OFFICIAL_SOURCES
        return replace(current, sources=frozenset() if official else OFFICIAL_SOURCES)
    return current


def section_of(tap: Tap, default: Section = "topics") -> Section:
    """The keyboard section to show after `tap`."""
    if tap.action == "view":
        return tap.value  # type: ignore[return-value]  # parse_tap checked it
    sections = {"country": "countries", "language": "languages", "event": "events"}
    return sections.get(tap.action, default)  # type: ignore[return-value]


def flag(country: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code (regional indicator letters)."""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country.upper() if "A" <= c <= "Z")


def subscription_keyboard(
    current: Filter, *, section: Section, taxonomy: Taxonomy, lang: str
) -> InlineKeyboardMarkup:
    """Section tabs, the section's toggles (✅ chosen), the cooperation and official-sources
    switches, and Done."""
    tabs = [
        _button(
            ("• " + text(lang, f"kb_{name}") + " •")
            if name == section
            else text(lang, f"kb_{name}"),
            f"v:{name}",
        )
        for name in SECTIONS
    ]
    if section == "topics":
        toggles = [
            _button(
                _mark(t.slug in current.topics) + topic_name(taxonomy, t.slug, lang), f"t:{t.slug}"
            )
            for t in taxonomy
        ]
        grid = _rows(toggles, 2)
    elif section == "countries":
        toggles = [
            _button(f"{_mark(c in current.countries)}{flag(c)} {c}", f"c:{c}")
            for c in COUNTRY_CHOICES
        ]
        grid = _rows(toggles, 3)
    elif section == "languages":
        toggles = [
            _button(f"{_mark(code in current.languages)}{name}", f"l:{code}")
            for code, name in LANGUAGE_CHOICES.items()
        ]
        grid = _rows(toggles, 2)
    else:  # events: the phrases of the alerts' event line, in the chat's language
        words = gist_words(lang)
        toggles = [
            _button(f"{_mark(e in current.events)}{words.event(e)}", f"e:{e}") for e in EVENT_TYPES
        ]
        grid = _rows(toggles, 2)
    coop_key = "kb_cooperation_only" if current.cooperation_only else "kb_all_news"
    official_key = "kb_official_only" if current.sources == OFFICIAL_SOURCES else "kb_all_sources"
    switches = [
        _button(text(lang, coop_key), "coop"),
        _button(text(lang, official_key), "official"),
    ]
    return InlineKeyboardMarkup([tabs, *grid, switches, [_button(text(lang, "kb_done"), "done")]])


def start_keyboard(lang: str) -> InlineKeyboardMarkup:
    """The one button under /start: take the default subscription."""
    return InlineKeyboardMarkup([[_button(text(lang, "subscribe_default_button"), "on")]])


def subscriptions_keyboard(lang: str, *, active: bool) -> InlineKeyboardMarkup:
    """Under /subscriptions: change the choices, and stop (or start) the alerts."""
    second = (
        _button(text(lang, "kb_stop"), "stop") if active else _button(text(lang, "kb_resume"), "on")
    )
    return InlineKeyboardMarkup([[_button(text(lang, "kb_change"), "edit"), second]])


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=PREFIX + data)


def _mark(chosen: bool) -> str:
    return f"{ON} " if chosen else ""


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]
