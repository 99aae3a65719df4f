"""One event, one story: is a new item a report of an event already reported? Pure.

A near-duplicate is linked by dedup (``duplicate_of``) before classification and
never routed (`Store.route_duplicates` turns a copy from another feed into a reply).
Another outlet's report of the same event, in any language, is found here, against
the items of the last `STORY_WINDOW`; alerts, the digest and ``monitor stories``
all decide with `same_story`, so they agree on what a story is.

What decides (docs/stories.md has the figures and how to reproduce them):

* What the event is, where the item says it. The countries taking part: one
  report names Korea, China and Japan, another only Korea and China, a third adds
  the host, so sets that CONTAIN one another fit, sets with nothing in common
  never do, and sets that only overlap (Korea–Viet Nam against Korea–Philippines)
  need more evidence. The session of a series ("제19차", "the 19th", "第十九次",
  "ke-19", "lần thứ 19", "ครั้งที่ 19"): two different numbers are two events,
  the same number is strong evidence. Event types, organisations, place and event
  date (`Labels.events` ...) when the classifier gives them: shared ones count for
  a story, a different place or date against it.
* The embeddings: the cosine of the L2-normalised multilingual title + lead
  vectors. Alone it cannot decide (same-story pairs and different-story pairs of
  one week overlap between 0.83 and 0.96), so it is the base of a score that
  the evidence above moves up or down.
* Time: only items of the window are candidates (a preview two days before
  the meeting still joins its readout).

Topics count only against: half of real reports get none, but two that both have
topics and share none are about different things. Talks on the sidelines of a
meeting ("양자회담", "bilateral talks") are not the meeting itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Final

import numpy as np
from numpy.typing import NDArray

from classifiers.base import Labels

# organisations that are meetings of several countries, not agencies taking part
MULTILATERAL_MECHANISMS: Final = frozenset(
    {"ASEAN", "APT", "APEC", "TRILATERAL", "MEKONG", "EAS", "G20", "SCO"}
)
STORY_WINDOW: Final = timedelta(hours=48)  # a story older than this alerts again
MAX_REPLIES_PER_STORY: Final = 3  # "also reported by ..." replies under one alert, per chat


@dataclass(frozen=True)
class StoryRule:
    """The weights of the same-story score: cosine plus evidence, against `threshold`.

    Tuned on the tuning half of bench/data/stories.jsonl (`bench/stories.py --tune`).
    """

    threshold: float = 0.88
    contains: float = 0.02  # one country set holds the other (and one more at most), 2+ shared
    contains_one: float = -0.02  # ... only one shared, or the larger names many more
    overlap: float = -0.08  # each names a country the other does not
    no_country: float = -0.05  # one of them names none
    same_session: float = 0.06  # both name the same session number
    one_session: float = -0.02  # only one of them names a session number
    shared_organisation: float = 0.02
    other_organisations: float = 0.0  # both name organisations, none in common
    shared_event: float = 0.01
    other_events: float = -0.03  # both have event types, none in common
    other_topics: float = -0.03  # both have topics, none in common (as other_events)
    aside_of_multilateral: float = -0.08  # side talks vs the meeting they were beside (as overlap)
    same_place: float = 0.02
    other_place: float = -0.04
    same_date: float = 0.02
    other_date: float = -0.06  # event dates more than a day apart
    per_day: float = -0.01  # published more than a day apart: per day beyond the first


RULE: Final = StoryRule()


@dataclass(frozen=True)
class StoryCandidate:
    """An item that may start or continue a story: its embedding and what its event is."""

    item_id: int
    vector: NDArray[np.float32] | Sequence[float]
    countries: frozenset[str]
    topics: frozenset[str] = frozenset()  # kept for display; the rule ignores topics
    events: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    place: str | None = None
    event_date: str | None = None  # ISO "YYYY-MM-DD"
    session: int | None = None  # "the 19th meeting": `session_number` of title and lead
    aside: bool = False  # bilateral talks, on the sidelines: `reports_talks_aside` of title, lead
    at: datetime | None = None  # published (else first seen)

    @classmethod
    def of(
        cls,
        item_id: int,
        labels: Labels,
        *,
        title: str = "",
        text: str = "",
        at: datetime | None = None,
    ) -> StoryCandidate:
        """The candidate of a classified item (its title and text give the session)."""
        return cls(
            item_id=item_id,
            vector=np.asarray(labels.embedding, dtype=np.float32),
            countries=frozenset(labels.countries),
            topics=frozenset(labels.topics),
            events=frozenset(labels.events),
            organisations=frozenset(labels.organisations),
            place=labels.place,
            event_date=labels.event_date,
            session=session_number(title, text),
            aside=reports_talks_aside(title, text),
            at=at,
        )


def same_story(
    labels: Labels,
    candidates: Iterable[StoryCandidate],
    *,
    title: str = "",
    text: str = "",
    at: datetime | None = None,
    rule: StoryRule = RULE,
) -> list[int]:
    """Ids of the candidates reporting the same event as this item, most alike first.

    `title` and `text` are the item's (for its session number), `at` when it was
    published. A candidate of another dimension (another model) never matches.
    Routing compares each item with a window of thousands: the cheap checks (countries,
    sessions) come first, the evidence only for cosines that could reach the threshold.
    """
    item = StoryCandidate.of(0, labels, title=title, text=text, at=at)
    query = np.asarray(item.vector, dtype=np.float32)
    if query.size == 0:
        return []
    ceiling = rule.threshold - _most_evidence(rule)
    scored: list[tuple[float, int]] = []
    for candidate in candidates:
        countries = _possible(item, candidate, rule)
        if countries is None:
            continue
        vector = np.asarray(candidate.vector, dtype=np.float32)
        if vector.shape != query.shape:
            continue
        base = float(np.dot(query, vector)) + countries
        if base < ceiling:
            continue
        score = base + _evidence(item, candidate, rule)
        if score >= rule.threshold:
            scored.append((score, candidate.item_id))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [item_id for _, item_id in scored]


def story_score(a: StoryCandidate, b: StoryCandidate, *, rule: StoryRule = RULE) -> float | None:
    """How alike two items' events are (cosine plus evidence); None when they cannot be one.

    Never one: country sets with nothing in common, two different session numbers,
    vectors of different models.
    """
    va = np.asarray(a.vector, dtype=np.float32)
    vb = np.asarray(b.vector, dtype=np.float32)
    countries = _possible(a, b, rule)
    if countries is None or va.size == 0 or vb.shape != va.shape:
        return None
    return float(va @ vb) + countries + _evidence(a, b, rule)


def _possible(a: StoryCandidate, b: StoryCandidate, rule: StoryRule) -> float | None:
    """None when a and b cannot be one event, else the countries' part of the score."""
    if a.session is not None and b.session is not None and a.session != b.session:
        return None
    return _countries(a.countries, b.countries, rule)


def _evidence(a: StoryCandidate, b: StoryCandidate, rule: StoryRule) -> float:
    """What the events' session, organisations, types, place, date and times add."""
    score = 0.0
    if a.session is not None and a.session == b.session:
        score += rule.same_session
    elif (a.session is None) != (b.session is None):
        score += rule.one_session
    if a.organisations and b.organisations:
        shared = a.organisations & b.organisations
        score += rule.shared_organisation if shared else rule.other_organisations
    if a.events and b.events:
        score += rule.shared_event if a.events & b.events else rule.other_events
    # topics found on both sides and none shared: what the event is about differs (one
    # side's lack of topics says nothing, half of real reports get none)
    if a.topics and b.topics and not a.topics & b.topics:
        score += rule.other_topics
    # bilateral talks on the sidelines of a multilateral meeting share its day, place,
    # countries and words, but are another event: one side says so, the other is the meeting
    if a.aside != b.aside and _multilateral(b if a.aside else a):
        score += rule.aside_of_multilateral
    if a.place and b.place:
        score += rule.same_place if _fold(a.place) == _fold(b.place) else rule.other_place
    days = _days_apart(a.event_date, b.event_date)
    if days is not None:
        score += rule.same_date if days <= 1 else rule.other_date
    if a.at is not None and b.at is not None:
        apart = abs((a.at - b.at).total_seconds()) / 86400
        score += rule.per_day * max(0.0, apart - 1)
    return score


def _multilateral(c: StoryCandidate) -> bool:
    """A meeting of a mechanism (ASEAN, the trilateral, ...) or of three countries or more."""
    return bool(c.organisations & MULTILATERAL_MECHANISMS) or len(c.countries) >= 3


def _most_evidence(rule: StoryRule) -> float:
    """The most `_evidence` can add: a cosine below threshold minus this never makes it."""
    bonuses = (rule.same_session, rule.shared_organisation, rule.shared_event)
    return sum(max(0.0, b) for b in (*bonuses, rule.same_place, rule.same_date))


def _countries(a: frozenset[str], b: frozenset[str], rule: StoryRule) -> float | None:
    if not a or not b:
        return rule.no_country
    shared = len(a & b)
    if not shared:
        return None
    if a <= b or b <= a:  # the larger may add the host, not a region's worth of others
        close = shared >= 2 and abs(len(a) - len(b)) <= 1
        return rule.contains if close else rule.contains_one
    return rule.overlap


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _days_apart(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    try:
        return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)
    except ValueError:
        return None


# -- session numbers ---------------------------------------------------------------

_EN_ORDINALS: Final = {
    word: n
    for n, word in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
        "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
        "twentieth".split(),
        start=1,
    )
}
_SERIES_NOUNS: Final = (
    r"meeting|session|summit|forum|conference|committee|commission|dialogue|round|batch|"
    r"team|congress|assembly|talks|consultation|workshop|symposium|convention|plenary|"
    r"cohort|contingent|course|mission"
)
_HAN_DIGITS: Final = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_HAN_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9})
# a session or batch of a series, in the main languages; the first one named is the item's
_SESSION_PATTERNS: Final = (
    # English: "the 19th meeting", "Sixteenth Tripartite ... Meeting", "third batch"
    re.compile(
        r"\b(\d{1,3})(?:st|nd|rd|th)\b(?=[^.;:\n]{0,60}?\b(?:" + _SERIES_NOUNS + r")s?\b)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(" + "|".join(_EN_ORDINALS) + r")\b(?=[^.;:\n]{0,60}?\b(?:" + _SERIES_NOUNS + r")s?\b)",
        re.IGNORECASE,
    ),
    # Korean: 제19차, 제 19 회, 19차 회의 (not 제2차관, a vice minister)
    re.compile(r"제\s?(\d{1,3})\s?(?:차|회|기)(?!관)"),
    re.compile(r"(?<![\d.])(\d{1,3})차\s?(?:회의|회담|포럼|총회|위원회)"),
    # Chinese and Japanese: 第十九次, 第19届, 第4批, 第19回, 第13陣
    re.compile(
        r"第\s?([0-9０-９]{1,3}|[〇零一二两三四五六七八九十百]{1,4})\s?(?:次|届|轮|批|期|回|陣|陣目)"
    ),
    # Indonesian and Malay: ke-17, ke 17, angkatan ke-19
    re.compile(r"\bke-?\s?(\d{1,3})\b"),
    # Vietnamese: lần thứ 17, khóa 13, đợt 4
    re.compile(r"\b(?:lần thứ|khóa|khoá|đợt)\s+(\d{1,3})\b", re.IGNORECASE),
    # Thai: ครั้งที่ 17, รุ่นที่ 19
    re.compile(r"(?:ครั้งที่|รุ่นที่)\s?(\d{1,3})"),
)
_LEAD_CHARS: Final = 300  # where an item names its own session; later ones name the next


def session_number(title: str, text: str = "") -> int | None:
    """The session or batch of a series the item reports, e.g. 19 for "제19차 한중일 보건장관회의".

    The first number named in the title, else in the lead: "the next (20th) meeting
    will be held in China" comes later in a report of the 19th.
    """
    for part in (title, text[:_LEAD_CHARS]):
        found: list[tuple[int, int]] = []
        for pattern in _SESSION_PATTERNS:
            match = pattern.search(part)
            if match:
                number = _number(match.group(1))
                if number:
                    found.append((match.start(), number))
        if found:
            return min(found)[1]
    return None


def _number(token: str) -> int | None:
    token = token.strip()
    if token.lower() in _EN_ORDINALS:
        return _EN_ORDINALS[token.lower()]
    digits = token.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if digits.isdigit():
        return int(digits)
    return _han_number(token)


def _han_number(token: str) -> int | None:
    """十九 -> 19, 二十 -> 20, 一百零五 -> 105 (the numerals of session names)."""
    total, current = 0, 0
    for char in token:
        if char in _HAN_DIGITS:
            current = current * 10 + _HAN_DIGITS[char] if char in "〇零" else _HAN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current or None


# -- talks aside ------------------------------------------------------------------

# "bilateral talks", "on the sidelines of", in the main languages: another meeting than the
# one it is held beside (not "bilateral cooperation", which any MOU's report names)
_ASIDE: Final = re.compile(
    r"\bbilateral\s+(?:talks|meetings?|consultations?)\b|\bsidelines?\b|\bon the margins? of\b"
    r"|양자\s?(?:회담|면담|회의|협의)"
    r"|双边(?:会谈|会见|会晤|磋商)|间隙"
    r"|二国間(?:会談|会合|協議)|個別会談|合間"
    r"|\bpertemuan bilateral\b|\bdi sela(?:-sela)?\b"
    r"|(?:hội đàm|gặp|họp|làm việc) song phương|\bbên lề\b"
    r"|(?:ประชุม|หารือ)ทวิภาคี|นอกรอบ",
    re.IGNORECASE,
)


def reports_talks_aside(title: str, text: str = "") -> bool:
    """Whether the item reports talks aside a meeting, e.g. "한중 양자회담", "on the sidelines
    of the trilateral meeting" (title and lead: a meeting's readout may mention its side talks
    further down). A side event (a forum of the same countries) is not talks aside."""
    return bool(_ASIDE.search(title) or _ASIDE.search(text[:_LEAD_CHARS]))


# -- grouping --------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One item to group offline: its id, labels, title, text and when it was published."""

    id: str
    labels: Labels
    title: str
    text: str
    published: datetime


def group_stories(
    reports: Sequence[Report], *, window: timedelta = STORY_WINDOW, rule: StoryRule = RULE
) -> dict[str, str]:
    """Report id -> the id of its story's first report, deciding in arrival order.

    Each report is compared with the reports published within `window` before or
    after it that arrived earlier, as routing compares a new item with the
    window's alerted items; it joins the story of the most alike one.
    """
    story: dict[str, str] = {}
    seen: list[tuple[Report, StoryCandidate]] = []
    for n, report in enumerate(reports):
        at = report.published
        candidate = StoryCandidate.of(n, report.labels, title=report.title, text=report.text, at=at)
        recent = [c for r, c in seen if abs(r.published - at) <= window]
        matches = same_story(
            report.labels, recent, title=report.title, text=report.text, at=at, rule=rule
        )
        if matches:
            story[report.id] = story[reports[matches[0]].id]
            candidate = with_story_session(candidate, seen[matches[0]][1].session)
        else:
            story[report.id] = report.id
        seen.append((report, candidate))
    return story


def with_story_session(candidate: StoryCandidate, session: int | None) -> StoryCandidate:
    """A report naming no session takes its story's: a report of the 19th meeting that says
    "the meeting" must not let the 15th forum of the same week join through it."""
    if candidate.session is not None or session is None:
        return candidate
    return replace(candidate, session=session)


def split_by_story(
    chats: Iterable[int],
    first_alerts: Mapping[int, int],
    replies_so_far: Mapping[tuple[int, int], int],
    *,
    max_replies: int = MAX_REPLIES_PER_STORY,
) -> tuple[list[int], list[tuple[int, int]]]:
    """Which matched chats get a new alert and which a reply to the story's first alert.

    Args:
        chats: the chats the new item matched.
        first_alerts: chat id -> the item id of the story's alert that chat got.
        replies_so_far: (chat id, story item id) -> replies already queued under it.
        max_replies: more copies of one story than this are not posted at all.

    Returns:
        (chats to alert, [(chat, story item id) to reply to]).
    """
    alerts: list[int] = []
    replies: list[tuple[int, int]] = []
    for chat in chats:
        story = first_alerts.get(chat)
        if story is None:
            alerts.append(chat)
        elif replies_so_far.get((chat, story), 0) < max_replies:
            replies.append((chat, story))
    return alerts, replies
