"""Routing: which subscriptions a newly classified item goes to. Pure.

`SubscriptionIndex` keeps each subscription's chat id under every topic,
country, language, event type and source type its filter names (or under "any" for an empty
set), so matching an item unions a few buckets and intersects four sets of chat ids
instead of testing every subscription; only the survivors run the full
`Filter.matches` (cooperation-only, keywords). Built once per change of the
subscriptions, used for every item of a round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from classifiers.base import Labels
from monitor.filters import Filter


@dataclass(frozen=True)
class _Dimension:
    """Chat ids by value, and the chats that accept any value."""

    by_value: Mapping[str, frozenset[int]]
    any_value: frozenset[int]

    @classmethod
    def build(cls, values: Iterable[tuple[int, frozenset[str]]]) -> _Dimension:
        by_value: defaultdict[str, set[int]] = defaultdict(set)
        any_value: set[int] = set()
        for chat_id, wanted in values:
            if not wanted:
                any_value.add(chat_id)
            for value in wanted:
                by_value[value].add(chat_id)
        return cls({k: frozenset(v) for k, v in by_value.items()}, frozenset(any_value))

    def candidates(self, values: Iterable[str]) -> set[int]:
        found = set(self.any_value)
        for value in values:
            found.update(self.by_value.get(value, ()))
        return found


@dataclass(frozen=True)
class SubscriptionIndex:
    """Filters by chat id, indexed by topic, country, language, event type and source type."""

    filters: Mapping[int, Filter] = field(default_factory=dict)
    _topics: _Dimension = field(default_factory=lambda: _Dimension.build(()))
    _countries: _Dimension = field(default_factory=lambda: _Dimension.build(()))
    _languages: _Dimension = field(default_factory=lambda: _Dimension.build(()))
    _events: _Dimension = field(default_factory=lambda: _Dimension.build(()))
    _sources: _Dimension = field(default_factory=lambda: _Dimension.build(()))
    _any_cooperation: frozenset[int] = frozenset()  # chats that also want non-cooperation news

    @classmethod
    def build(cls, subscriptions: Iterable[tuple[int, Filter]]) -> SubscriptionIndex:
        """Index `(chat id, filter)` pairs (the chats that receive instant alerts)."""
        filters = dict(subscriptions)
        return cls(
            filters=filters,
            _topics=_Dimension.build((c, f.topics) for c, f in filters.items()),
            _countries=_Dimension.build((c, f.countries) for c, f in filters.items()),
            _languages=_Dimension.build((c, f.languages) for c, f in filters.items()),
            _events=_Dimension.build((c, f.events) for c, f in filters.items()),
            _sources=_Dimension.build((c, f.sources) for c, f in filters.items()),
            _any_cooperation=frozenset(c for c, f in filters.items() if not f.cooperation_only),
        )

    def __len__(self) -> int:
        return len(self.filters)

    def match(
        self, labels: Labels, *, title: str, text: str = "", source: str | None = None
    ) -> list[int]:
        """Chat ids (ascending) whose filter lets this item, from a `source` feed, through."""
        if not labels.relevant or not self.filters:
            return []
        chats = self._languages.candidates((labels.language,))
        if not labels.cooperation:
            chats &= self._any_cooperation
        if chats:
            chats &= self._topics.candidates(labels.topics)
        if chats:
            chats &= self._countries.candidates(labels.countries)
        if chats:
            chats &= self._events.candidates(labels.events)
        if chats:
            chats &= self._sources.candidates((source,) if source else ())
        return sorted(
            c
            for c in chats
            if self.filters[c].matches(labels, title=title, text=text, source=source)
        )


def route_alerts(
    index: SubscriptionIndex,
    labels: Labels,
    *,
    title: str,
    text: str = "",
    source: str | None = None,
) -> list[int]:
    """The chats a newly classified item alerts (see `SubscriptionIndex.match`)."""
    return index.match(labels, title=title, text=text, source=source)
