"""What a reader wants to see: one filter model for Telegram subscriptions and digest recipients.

Pure: values in, a yes/no out. An empty set means "any"; keywords match
case-folded anywhere in the title, summary or text, in any script.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from classifiers.base import Labels
from classifiers.errors import did_you_mean

# The cooperation event types a reader can subscribe to: the fixed ids of SPEC.md
# (``Labels.events``; classifiers/events.toml describes them), in the order shown.
EVENT_TYPES: Final = (
    "agreement", "meeting", "statement", "funding",
    "project", "training", "visit", "conference",
)  # fmt: skip

# What kind of body publishes a feed: feeds.toml's `source` key (SPEC.md), in the order
# shown. "Official" sources are the governments' own and the international organisations'.
SOURCE_TYPES: Final = ("ministry", "international", "state_media", "wire", "news", "search")
OFFICIAL_SOURCES: Final = frozenset({"ministry", "international"})


@dataclass(frozen=True)
class Filter:
    """Which relevant items a subscriber or recipient gets.

    Attributes:
        topics: taxonomy slugs; an item matches with any one of them (empty: any topic).
        countries: ISO 3166-1 alpha-2 codes; any one of them (empty: any country).
        languages: ISO 639-1 codes of the item's language (empty: any language).
        keywords: words or phrases; any one of them in the item's text (empty: no keyword needed).
        events: cooperation event types (`EVENT_TYPES`); the item reports any one of them
            (empty: any item, with or without events).
        sources: source types (`SOURCE_TYPES`) of the item's feed (empty: any feed, labelled
            or not); `OFFICIAL_SOURCES` for "official sources only".
        cooperation_only: only items reporting cross-border cooperation (the default:
            officials want cooperation; off gives all relevant health news of their topics).
    """

    topics: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    cooperation_only: bool = True
    events: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()

    def matches(
        self, labels: Labels, *, title: str, text: str = "", source: str | None = None
    ) -> bool:
        """Whether an item with these labels and words, from a feed of `source` type (None:
        not labelled), is one this filter lets through."""
        if self.sources and source not in self.sources:
            return False
        if not labels.relevant or (self.cooperation_only and not labels.cooperation):
            return False
        if self.topics and self.topics.isdisjoint(labels.topics):
            return False
        if self.countries and self.countries.isdisjoint(labels.countries):
            return False
        if self.languages and labels.language not in self.languages:
            return False
        if self.events and self.events.isdisjoint(labels.events):
            return False
        if self.keywords:
            haystack = f"{title}\n{labels.summary}\n{text}".casefold()
            return any(k.casefold() in haystack for k in self.keywords)
        return True

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (sorted lists), the form the store keeps."""
        return {
            "topics": sorted(self.topics),
            "countries": sorted(self.countries),
            "languages": sorted(self.languages),
            "keywords": list(self.keywords),
            "cooperation_only": self.cooperation_only,
            "events": sorted(self.events),
            "sources": sorted(self.sources),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> Filter:
        """The inverse of `to_json`; missing keys take their defaults (no "events" or
        "sources": any)."""
        return cls(
            topics=frozenset(_strings(value.get("topics"))),
            countries=frozenset(c.upper() for c in _strings(value.get("countries"))),
            languages=frozenset(c.lower() for c in _strings(value.get("languages"))),
            keywords=tuple(_strings(value.get("keywords"))),
            cooperation_only=bool(value.get("cooperation_only", True)),
            events=frozenset(e.lower() for e in _strings(value.get("events"))),
            sources=frozenset(s.lower() for s in _strings(value.get("sources"))),
        )


def event_type(word: str) -> str:
    """The event type id `word` names ("Agreement" -> "agreement").

    Raises:
        ValueError: not one of `EVENT_TYPES` (the message suggests the closest).
    """
    folded = word.strip().casefold()
    if folded in EVENT_TYPES:
        return folded
    hint = did_you_mean(folded, EVENT_TYPES) or f"; event types: {', '.join(EVENT_TYPES)}"
    raise ValueError(f"{word!r} is not an event type{hint}")


def source_type(word: str) -> str:
    """The source type id `word` names ("Wire" -> "wire", "state-media" -> "state_media").

    Raises:
        ValueError: not one of `SOURCE_TYPES` (the message suggests the closest).
    """
    folded = word.strip().casefold().replace("-", "_").replace(" ", "_")
    if folded in SOURCE_TYPES:
        return folded
    hint = did_you_mean(folded, SOURCE_TYPES) or f"; source types: {', '.join(SOURCE_TYPES)}"
    raise ValueError(f"{word!r} is not a source type{hint}")


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value if str(v).strip()]
    return []
