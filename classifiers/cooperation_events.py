"""What a cooperation item reports: event types, organisations, place and date, together.

The backends call `EventExtractor.extract` for the items they judge to be cooperation
(the others get no event labels). Each part is a rule over the data files (events.toml,
organisations.toml, places.toml) and costs tens of microseconds per item; `dateparser`
reads only the one date snippet a regular expression found. `version` changes with the
rules and the data files, so labels stored by an older extractor are not reused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from classifiers.base import Document, Labels
from classifiers.event_data import EVENTS_FILE, ORGANISATIONS_FILE, PLACES_FILE, bundled_text
from classifiers.event_date import event_date
from classifiers.events import LEAD_CHARS, EventFinder
from classifiers.organisations import OrganisationFinder
from classifiers.places import PlaceFinder

EXTRACTOR_VERSION = "2"  # bump when the rules change
ORGANISATION_CHARS = 600  # organisations named this far into the text take part


@dataclass(frozen=True)
class EventLabels:
    events: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    place: str | None = None
    event_date: str | None = None


class EventExtractor:
    """Event labels of one item from its title, text, language and published date."""

    def __init__(
        self,
        events: EventFinder | None = None,
        organisations: OrganisationFinder | None = None,
        places: PlaceFinder | None = None,
    ) -> None:
        self._events = events or EventFinder()
        self._organisations = organisations or OrganisationFinder()
        self._places = places or PlaceFinder()
        custom = events is not None or organisations is not None or places is not None
        h = hashlib.sha256(EXTRACTOR_VERSION.encode())
        for name in (EVENTS_FILE, ORGANISATIONS_FILE, PLACES_FILE):
            h.update(bundled_text(name).encode())
        self.version = ("custom-" if custom else "") + h.hexdigest()[:8]

    @property
    def finder(self) -> EventFinder:
        """The event types' finder (the cooperation head's company-visit rule asks it too)."""
        return self._events

    def extract(
        self, title: str, text: str, language: str, published: datetime | None = None
    ) -> EventLabels:
        title = " ".join(title.split())
        body = " ".join(text.split())
        lead = body[:LEAD_CHARS]
        year = published.year if published is not None else None
        return EventLabels(
            events=self._events.find(title, body, language, year),
            organisations=self._organisations.find(f"{title}\n{body[:ORGANISATION_CHARS]}"),
            place=self._places.find(title, lead),
            event_date=event_date(f"{title}\n{lead}", language, published),
        )


def with_events(labels: Labels, doc: Document, extractor: EventExtractor) -> Labels:
    """`labels` with the event labels of `doc` when it is a cooperation item (the others
    report no cooperation event)."""
    if not labels.cooperation:
        return labels
    found = extractor.extract(doc.title, doc.text, labels.language, doc.published)
    return replace(
        labels,
        events=found.events,
        organisations=found.organisations,
        place=found.place,
        event_date=found.event_date,
    )
