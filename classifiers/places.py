"""Where a cooperation event took place: a city of places.toml that the text says it happened in.

A city counts only with a locative word beside it ("in Jakarta", "at ... Hanoi",
"서울에서", "在北京", "東京で", "tại Hà Nội", "ที่กรุงเทพฯ", "di Jakarta", "sa Maynila"):
a city merely named ("Korean doctors left Manila") is not where the event was. The first
such city of the title, else of the lead, is the place, printed by its English name.
"""

from __future__ import annotations

import re

from classifiers.event_data import Catalogue, load_places
from classifiers.phrases import PhraseMatcher

# a locative word before the name, up to a few words (or characters) away:
# "in the Lao capital Vientiane", "在浙江杭州", "tại TP Hồ Chí Minh", "ที่จังหวัดเชียงใหม่"
_BEFORE = re.compile(
    r"(?:(?<![A-Za-zÀ-ỿ])(?:in|at|di|ke|sa|ng|tại|ở|en)(?:\s+\S+){0,3}\s+"
    r"|(?:在|于|於|赴|抵达|抵達)\S{0,4}"
    r"|(?:ที่|ณ)\s?\S{0,12})$"
)
# a locative ending after it: "하노이에서", "東京で", "東京都内で", "在京" has no ending
_AFTER = re.compile(r"^(?:\S{0,4}?(?:에서|서|で|にて)|\s*(?:시|市)?에서)")
BEFORE_CHARS = 40


class PlaceFinder:
    """Finds the place of an event in its title and lead."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        catalogue = catalogue or load_places()
        self._matcher = PhraseMatcher({p.name: p.names for p in catalogue.places}, catalogue.ignore)

    def find(self, title: str, lead: str) -> str | None:
        """The English name of the first city the title, else the lead, places the event in."""
        for text in (title, lead):
            for match in self._matcher.matches(text):
                before = text[max(0, match.start - BEFORE_CHARS) : match.start]
                after = text[match.end : match.end + 8]
                if _BEFORE.search(before) or _AFTER.match(after):
                    return match.key
        return None
