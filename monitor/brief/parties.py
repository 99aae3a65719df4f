"""What a person types about a party → an ISO 3166-1 country code or an organisation id.

Countries are known by their code (``VN``, also ``VNM``), by the names in the
alerts' catalogues (English and Korean) and by every name of the classifiers'
gazetteer (``Viet Nam``, ``Vietnam``, ``베트남``, ``越南`` ...); organisations by their
id and every name in ``classifiers/organisations.toml`` (``WHO``, ``세계보건기구``).
An unknown name gets a "did you mean".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

from classifiers.errors import closest_match
from classifiers.event_data import load_organisations
from classifiers.gazetteer_csv import read_gazetteer
from monitor.alerts.gist import gist_words
from monitor.codes import COUNTRY_CODES, COUNTRY_HINTS
from monitor.errors import MonitorError

COUNTRY: Final = "country"
ORGANISATION: Final = "organisation"
MAX_PARTIES: Final = 8
MAX_NAME: Final = 80  # characters: what a stranger types is capped before it is looked up
DISPLAY_LANGUAGES: Final = ("en", "ko")


class UnknownParty(MonitorError):
    """A name that is neither a known country nor a known organisation."""

    def __init__(self, message: str, *, name: str = "", suggestion: str = "") -> None:
        super().__init__(message)
        self.name = name  # what was typed (capped), for a message in the reader's language
        self.suggestion = suggestion  # the closest known name, or ""


@dataclass(frozen=True, order=True)
class Party:
    """A country (ISO 3166-1 alpha-2) or an organisation id (``WHO``, ``ASEAN``)."""

    kind: Literal["country", "organisation"]
    id: str


def resolve_parties(names: Sequence[str]) -> tuple[Party, ...]:
    """The parties `names` stand for, in order, without repeats.

    Raises:
        UnknownParty: a name is unknown (the message has a "did you mean"), or there
            are none or more than `MAX_PARTIES`.
    """
    if not names:
        raise UnknownParty("name at least one country or organisation, e.g. KR VN")
    if len(names) > MAX_PARTIES:
        raise UnknownParty(f"at most {MAX_PARTIES} countries or organisations")
    return tuple(dict.fromkeys(resolve_party(name) for name in names))


def resolve_party(name: str) -> Party:
    """One party by code, id or name in any language the data files know."""
    text = " ".join(name.split())[:MAX_NAME]
    if not text:
        raise UnknownParty("an empty name is not a country or organisation")
    upper = text.upper()
    if upper in COUNTRY_CODES:
        return Party(COUNTRY, upper)
    if upper in COUNTRY_HINTS:
        return Party(COUNTRY, COUNTRY_HINTS[upper])
    table = _names()
    found = table.get(_key(text))
    if found is not None:
        return found
    close = closest_match(_key(text), table)
    hint = f" (did you mean {close!r}, {table[close].id}?)" if close else ""
    raise UnknownParty(
        f"unknown country or organisation {text!r}{hint}",
        name=text,
        suggestion=close or "",
    )


def party_name(party: Party, language: str) -> str:
    """The party's name in `language` (the alerts' catalogue; the code when it has none)."""
    w = gist_words(language)
    return w.country(party.id) if party.kind == COUNTRY else w.organisation(party.id)


@cache
def _names() -> Mapping[str, Party]:
    """Normalised name -> party; organisations first, so "WHO" is never a stray alias."""
    table: dict[str, Party] = {}
    for org in load_organisations().organisations:
        for text in (org.id, org.name, *org.all_names):
            table.setdefault(_key(text), Party(ORGANISATION, org.id))
    for lang in DISPLAY_LANGUAGES:
        words = gist_words(lang)
        for org_id, text in words.organisations.items():
            table.setdefault(_key(text), Party(ORGANISATION, org_id))
        for code, text in words.countries.items():
            table.setdefault(_key(text), Party(COUNTRY, code))
    for alias in read_gazetteer():
        # one country per row; combined forms (KR+CN+JP), stop phrases and local rows
        # (a name unmistakable only in one language's text) are not names of a party
        if len(alias.codes) == 1 and not alias.local:
            table.setdefault(_key(alias.name), Party(COUNTRY, alias.codes[0]))
    return table


def _key(text: str) -> str:
    """Case, spacing, dots and apostrophes do not matter: "Viet  Nam" = "viet nam"."""
    return re.sub(r"[.'’]", "", " ".join(text.split()).casefold())


def describe(parties: Iterable[Party], language: str) -> str:
    """ "Korea – Viet Nam – WHO" in `language`."""
    return " – ".join(party_name(p, language) for p in parties)
