"""Organisations taking part in a cooperation event: the names of organisations.toml in text.

Every listed name of every language is looked for (an English acronym in a Korean text
too); an organisation that `includes` another implies it (ASEAN Plus Three is also ASEAN),
one that `hides` another stands in for it (ASEAN with China, Japan and Korea is ASEAN Plus
Three, not also the China-Japan-Korea mechanism).
Ids come back in order of first mention.
"""

from __future__ import annotations

from classifiers.event_data import Catalogue, load_organisations
from classifiers.phrases import PhraseMatcher


class OrganisationFinder:
    """Finds organisations named in text."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        catalogue = catalogue or load_organisations()
        self._matcher = PhraseMatcher(
            {o.id: o.all_names for o in catalogue.organisations}, catalogue.ignore
        )
        self._includes = {o.id: o.includes for o in catalogue.organisations}
        self._hides = {o.id: o.hides for o in catalogue.organisations}

    def find(self, text: str) -> tuple[str, ...]:
        """Ids of the organisations named in `text`, each once, in order of mention."""
        found: list[str] = []
        for key in self._matcher.keys(text):
            found += [key, *self._includes.get(key, ())]
        hidden = {other for key in found for other in self._hides.get(key, ())}
        return tuple(key for key in dict.fromkeys(found) if key not in hidden)
