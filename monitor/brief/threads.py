"""Threads: the stories of one agreement or one meeting series, linked in order. Pure.

Two links, both between a story and an earlier one:

* **an agreement's follow-up** — a story whose main topic (its most reported) is an
  earlier agreement story's main topic (an MOU signed → its implementation meeting,
  a project under it, training, funding → the MOU renewed) joins the thread of the
  latest such agreement;
* **a series** — meetings, conferences or statements whose titles are the same once
  numbers, years and ordinals are taken out ("the 16th/17th ASEAN Plus Three Health
  Ministers' Meeting", "제16차/제17차 …") and with the same organisations.

A thread is two or more linked stories, oldest first. An agreement story that ends its
thread (no later story followed it in the period) is an *open end*. The cost is one
pass, plus a comparison with each of the last `MAX_SERIES_LOOKBACK` series stories
that have the same organisations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from monitor.brief.compose import BriefStory

AGREEMENT: Final = "agreement"
SERIES: Final = "series"
SERIES_EVENTS: Final = frozenset({"meeting", "conference", "statement"})
SAME_SERIES: Final = 0.6  # Jaccard of the title skeletons' words
MIN_SERIES_WORDS: Final = 3  # a shorter skeleton ("Health talks") names no series
MAX_SERIES_LOOKBACK: Final = 200  # earlier series stories compared with (same organisations)
_ORDINALS: Final = frozenset(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "annual the of and on in for a an to with at".split()
)
_WORD: Final = re.compile(r"[^\W\d_]+", re.UNICODE)
_UNSPACED: Final = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


@dataclass(frozen=True)
class Thread:
    """Linked stories, oldest first; `kind` is `AGREEMENT` or `SERIES` (how it starts)."""

    kind: str
    stories: tuple[BriefStory, ...]


def find_threads(stories: Sequence[BriefStory]) -> tuple[list[Thread], list[BriefStory]]:
    """The threads of `stories` (any order) and the open ends, both oldest first."""
    ordered = sorted(stories, key=lambda s: (s.day, s.id))
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    latest_agreement: dict[str, int] = {}  # main topic -> the latest agreement story so far
    series: dict[frozenset[str], list[tuple[int, frozenset[str], int]]] = {}  # by organisations
    for j, story in enumerate(ordered):
        main = story.topics[0] if story.topics else None
        earlier = latest_agreement.get(main) if main else None
        if earlier is not None and ordered[earlier].day < story.day:
            parent[root(j)] = root(earlier)
        if SERIES_EVENTS & set(story.events):
            words = skeleton(story.headline)
            bucket = series.setdefault(frozenset(story.organisations), [])
            n = len(words)
            if n >= MIN_SERIES_WORDS:
                for i, other, m in bucket[-MAX_SERIES_LOOKBACK:]:
                    common = len(words & other)  # Jaccard >= SAME_SERIES, without dividing:
                    if common >= SAME_SERIES * (n + m - common) and ordered[i].day != story.day:
                        parent[root(j)] = root(i)
                bucket.append((j, words, n))
        if main and AGREEMENT in story.events:
            latest_agreement[main] = j
    groups: dict[int, list[int]] = {}
    for i in range(len(ordered)):
        groups.setdefault(root(i), []).append(i)
    threads = [
        Thread(
            kind=AGREEMENT if AGREEMENT in ordered[members[0]].events else SERIES,
            stories=tuple(ordered[i] for i in members),
        )
        for members in groups.values()
        if len(members) > 1
    ]
    open_ends = [
        ordered[members[-1]]
        for members in groups.values()
        if AGREEMENT in ordered[members[-1]].events
    ]
    threads.sort(key=lambda t: (t.stories[0].day, t.stories[0].id))
    open_ends.sort(key=lambda s: (s.day, s.id))
    return threads, open_ends


def skeleton(title: str) -> frozenset[str]:
    """The title's words without numbers, years and ordinals; CJK and Thai as character pairs."""
    text = title.casefold()
    words = {w for w in _WORD.findall(text) if w not in _ORDINALS and not _UNSPACED.search(w)}
    for run in _WORD.findall(text):
        chars = "".join(_UNSPACED.findall(run))
        words.update(chars[k : k + 2] for k in range(len(chars) - 1))
    return frozenset(words)
