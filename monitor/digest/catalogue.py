"""The digest's own words per language, from `catalogues/<lang>.toml` (English as fallback).

Loaded by `monitor.catalogues`; country names come from the alerts' catalogue
(`monitor.alerts.gist`), shared with the alerts' event line. A language is added by
adding a catalogue file; a key missing from it falls back to English, so a partial
translation still renders.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from monitor.alerts.gist import gist_words
from monitor.catalogues import DEFAULT_LANGUAGE, load_catalogue

CATALOGUE_PACKAGE: Final = "monitor.digest"


@dataclass(frozen=True)
class Words:
    """One language's catalogue with English filling the gaps."""

    language: str
    texts: Mapping[str, str]
    lists: Mapping[str, Sequence[str]]
    languages: Mapping[str, str]  # ISO 639-1 -> name
    countries: Mapping[str, str]  # ISO 3166-1 alpha-2 -> name

    def __call__(self, key: str, **values: object) -> str:
        """The text for `key` with `values` filled in."""
        return self.texts[key].format(**values)

    def count(self, n: int) -> str:
        """``1 item`` / ``14 items``."""
        return self("items_one") if n == 1 else self("items_many", n=n)

    def language_name(self, code: str) -> str:
        return self.languages.get(code, code)

    def country_name(self, code: str) -> str:
        return self.countries.get(code, code)

    def long_date(self, day: date) -> str:
        return self("date", **self._date_parts(day))

    def short_date(self, day: date) -> str:
        return self("date_short", **self._date_parts(day))

    def short_datetime(self, moment: datetime) -> str:
        return self("datetime_short", time=f"{moment:%H:%M}", **self._date_parts(moment.date()))

    def weekday(self, day: date) -> str:
        return self.lists["weekdays"][day.weekday()]

    def _date_parts(self, day: date) -> dict[str, object]:
        return {
            "day": day.day,
            "month": day.month,
            "mon": self.lists["months"][day.month - 1],
            "year": day.year,
        }


@functools.cache
def words(language: str) -> Words:
    """The catalogue of `language` (English for a language without one)."""
    base = load_catalogue(CATALOGUE_PACKAGE, DEFAULT_LANGUAGE)
    own = load_catalogue(CATALOGUE_PACKAGE, language) if language != DEFAULT_LANGUAGE else {}
    merged = {**base, **own}
    texts = {k: v for k, v in merged.items() if isinstance(v, str)}
    lists = {k: tuple(str(x) for x in v) for k, v in merged.items() if isinstance(v, list)}
    return Words(
        language=language if own or language == DEFAULT_LANGUAGE else DEFAULT_LANGUAGE,
        texts=texts,
        lists=lists,
        languages={**_table(base, "languages"), **_table(own, "languages")},
        # one table of country names for alerts and digests: the alerts' catalogue
        countries=gist_words(language).countries,
    )


def _table(values: Mapping[str, object], key: str) -> dict[str, str]:
    table = values.get(key)
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}
