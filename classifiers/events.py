"""Event types a cooperation item reports: the triggers of events.toml in its title and lead.

Only what the item reports as happening or announced counts, not background, so:

* triggers are read in the title and the lead (the first `LEAD_CHARS` of the text), where
  a report says what happened; later paragraphs recall earlier agreements and projects;
* a lead sentence that names a year before the published one ("signed in 2019",
  "2019년 체결한") is background and skipped (the title never is);
* ignored phrases hide the triggers inside them ("free trade agreement", "đăng ký");
* when the title reports an agreement, meeting or statement (even by a weak trigger),
  training or a project found only in the lead is what was agreed or discussed (an MOU
  on training doctors), not a course held (on dev.jsonl's event labels: training alone
  micro-F1 0.815 -> 0.821 with projects too);
* weak triggers ("agreed", "nurses") count only when no other trigger is found: "met and
  agreed" is a meeting (dev 0.738 -> 0.815 with the weak lists of events.toml).

Event types come back in the order of events.toml.
"""

from __future__ import annotations

import re

from classifiers.event_data import Catalogue, load_events
from classifiers.phrases import PhraseMatcher
from classifiers.summarise import split_sentences

LEAD_CHARS = 400  # about two sentences of a wire lead
# an agreement or a meeting is often about training personnel or a project: "an MOU on
# training nurses" is an agreement; the training counts when the title reports it
ANCHORS = frozenset({"agreement", "meeting", "statement"})
CONTENT = frozenset({"training", "project"})
WEAK = "weak:"  # the matcher's key of an event's weak triggers
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20|25)\d\d)(?!\d)")


class EventFinder:
    """Finds the event types reported in a title and lead."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        catalogue = catalogue or load_events()
        self._order = [event.id for event in catalogue.events]
        phrases = {event.id: event.all_triggers for event in catalogue.events}
        phrases |= {WEAK + event.id: event.all_weak for event in catalogue.events}
        self._matcher = PhraseMatcher(phrases, catalogue.ignore)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._order)

    def find(self, title: str, text: str, language: str, year: int | None) -> tuple[str, ...]:
        """Event type ids reported in `title` and the lead of `text`; `year` is the year the
        item was published (None: the latest year the item names)."""
        lead = " ".join(text.split())[:LEAD_CHARS]
        sentences = split_sentences(lead, language) if lead else []
        if year is None:
            years = [_year(y) for y in _YEAR_RE.findall(f"{title} {lead}")]
            year = max(years) if years else None
        current = [s for s in sentences if not _background(s, year)]
        headline = set(self._matcher.keys(title))
        found = headline | set(self._matcher.keys("\n".join(current)))
        strong = {key for key in found if not key.startswith(WEAK)}
        if {key.removeprefix(WEAK) for key in headline} & ANCHORS:
            # an agreement or meeting about training: the training is its content, unless
            # the title says so
            strong -= CONTENT - headline
        if not strong:
            strong = {key[len(WEAK) :] for key in found}
        return tuple(event for event in self._order if event in strong)


def _year(text: str) -> int:
    value = int(text)
    return value - 543 if value > 2400 else value  # Thai Buddhist era


def _background(sentence: str, year: int | None) -> bool:
    """Does the sentence tell of an earlier year (an agreement signed in 2019)?"""
    if year is None:
        return False
    return any(_year(y) < year for y in _YEAR_RE.findall(sentence))
