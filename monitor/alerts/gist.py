"""The event line: what a cooperation item reports, in the reader's language. Pure.

One line built from the labels' event types, countries, organisations, place
and date, with words from ``catalogues/<lang>.toml`` (English fills the gaps):

    🤝 Agreement signed · 🇰🇷 Korea – 🇻🇳 Viet Nam · WHO · Hanoi, 12 March
    🤝 협정·양해각서 체결 · 🇰🇷 한국 – 🇻🇳 베트남 · WHO · 하노이, 3월 12일

so an official who cannot read the item's language still knows what happened.
Alerts (`monitor.alerts.message`) and digests (`monitor.digest.render`) both
call `event_line`; it returns plain text, and each caller escapes it for its
medium. A part the labels lack is left out; an item with nothing but countries
gets no line (its countries are shown elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Final

from classifiers.base import Labels
from monitor.catalogues import DEFAULT_LANGUAGE, load_catalogue

CATALOGUE_PACKAGE: Final = "monitor.alerts"
SEPARATOR: Final = " · "
MAX_EVENTS: Final = 3
MAX_COUNTRIES: Final = 5
MAX_ORGANISATIONS: Final = 3
MAX_PLACE: Final = 60  # characters: a place comes from a stranger's text


@dataclass(frozen=True)
class GistWords:
    """One language's words for the event line, English filling the gaps."""

    language: str
    texts: Mapping[str, str]
    months: Sequence[str]
    events: Mapping[str, str]  # event type id -> "🤝 Agreement signed"
    organisations: Mapping[str, str]  # organisation id -> display name
    places: Mapping[str, str]  # the classifier's (English) place name -> local name
    countries: Mapping[str, str]  # ISO 3166-1 alpha-2 -> name

    def __call__(self, key: str, **values: object) -> str:
        return self.texts[key].format(**values)

    def event(self, event_id: str) -> str:
        """An event type's emoji and phrase; the id itself when the catalogue lacks it."""
        return self.events.get(event_id, event_id)

    def country(self, code: str) -> str:
        """A country's name; the code itself when the catalogue lacks it."""
        return self.countries.get(code, code)

    def organisation(self, org_id: str) -> str:
        return self.organisations.get(org_id, org_id.replace("_", " "))

    def place(self, name: str) -> str:
        return self.places.get(name, name)

    def date(self, day: date, *, with_year: bool) -> str:
        return self(
            "date_with_year" if with_year else "date",
            day=day.day,
            month=day.month,
            month_name=self.months[day.month - 1],
            year=day.year,
        )


@cache
def gist_words(language: str) -> GistWords:
    """The words of `language` (English for a language without a catalogue)."""
    base = load_catalogue(CATALOGUE_PACKAGE, DEFAULT_LANGUAGE)
    own = load_catalogue(CATALOGUE_PACKAGE, language) if language != DEFAULT_LANGUAGE else {}
    merged = {**base, **own}
    months = merged.get("months")
    return GistWords(
        language=language if own or language == DEFAULT_LANGUAGE else DEFAULT_LANGUAGE,
        texts={k: v for k, v in merged.items() if isinstance(v, str)},
        months=tuple(str(m) for m in months) if isinstance(months, list) else (),
        events=_merged_table(base, own, "events"),
        organisations=_merged_table(base, own, "organisations"),
        places=_merged_table(base, own, "places"),
        countries=_merged_table(base, own, "countries"),
    )


def event_line(labels: Labels, language: str, *, today: date | None = None) -> str:
    """The event line of an item's labels in `language` ("" when there is nothing to say).

    Args:
        labels: the item's labels (events, countries, organisations, place, event_date).
        language: the reader's UI language ("en", "ko", ...).
        today: the date the reader reads it as of (an alert's publication date): the
            event's year is shown only when it differs; None always shows it.
    """
    return gist(
        events=labels.events,
        countries=labels.countries,
        organisations=labels.organisations,
        place=labels.place,
        event_date=labels.event_date,
        language=language,
        today=today,
    )


def gist(
    *,
    events: Sequence[str],
    countries: Sequence[str],
    organisations: Sequence[str],
    place: str | None,
    event_date: str | None,
    language: str,
    today: date | None = None,
) -> str:
    """`event_line` from the separate fields (the digest keeps them on its stories)."""
    w = gist_words(language)
    when = _date(event_date)
    where = " ".join((place or "").split())[:MAX_PLACE]
    if not (events or organisations or where or when):
        return ""
    parts: list[str] = []
    if events:
        parts.append(", ".join(w.event(e) for e in dict.fromkeys(events[:MAX_EVENTS])))
    if countries:
        shown = [f"{flag(c)} {w.country(c)}".strip() for c in countries[:MAX_COUNTRIES]]
        parts.append(w("country_separator").join(shown) + _more(w, len(countries), MAX_COUNTRIES))
    if organisations:
        names = ", ".join(w.organisation(o) for o in organisations[:MAX_ORGANISATIONS])
        parts.append(names + _more(w, len(organisations), MAX_ORGANISATIONS))
    day = w.date(when, with_year=today is None or today.year != when.year) if when else ""
    if where and day:
        parts.append(w("place_and_date", place=w.place(where), date=day))
    elif where or day:
        parts.append(w.place(where) if where else day)
    return SEPARATOR.join(parts)


def flag(country: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code ("" for anything else)."""
    code = country.upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in code)


def _date(value: str | None) -> date | None:
    """The ISO date "YYYY-MM-DD" (a longer ISO timestamp is cut to its date); None if not one."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _more(w: GistWords, total: int, shown: int) -> str:
    return " " + w("more", n=total - shown) if total > shown else ""


def _merged_table(
    base: Mapping[str, object], own: Mapping[str, object], key: str
) -> dict[str, str]:
    return {**_table(base, key), **_table(own, key)}


def _table(values: Mapping[str, object], key: str) -> dict[str, str]:
    table = values.get(key)
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}
