"""One story, one alert: is a new item the same story as one already alerted? Pure.

A near-duplicate is linked by dedup (``duplicate_of``) before classification and
never routed (`Store.route_duplicates` turns a copy from another feed into a reply). A
wire copy rewritten by another outlet, or the same story in another language,
is found here: the cosine of the classifier's L2-normalised multilingual
embeddings, against the items that alerted someone within `STORY_WINDOW`.
A chat that already got (or is about to get) the story's first alert gets a
short reply to it instead of a second alert.

Cosine alone does not separate them on the embedded model (multilingual-e5-small):
on 20 hand-written stories in 8 languages (`bench/alerts.py --calibrate`), one
story in two languages scored 0.86-0.97, while two different stories of one
topic in one language reached 0.92 ("Korea-Indonesia telemedicine MOU" against
"Indonesia launches telemedicine for health centres"). Different stories almost
always differ in the countries they involve, so the rule is: the same set of
countries, at least one shared topic, and a cosine of at least
`SAME_STORY_COSINE` (0.85: below every same-story pair); items naming no country
need `SAME_STORY_COSINE_NO_COUNTRY` (0.92). On that set it links all 10
same-story pairs and one of 180 different-story pairs (two Korea-Vietnam health
MOUs a day apart, arguably one story).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import numpy as np
from numpy.typing import NDArray

from classifiers.base import Labels

STORY_WINDOW: Final = timedelta(hours=48)  # a story older than this alerts again
SAME_STORY_COSINE: Final = 0.85
SAME_STORY_COSINE_NO_COUNTRY: Final = 0.92
MAX_REPLIES_PER_STORY: Final = 3  # "also reported by ..." replies under one alert, per chat


@dataclass(frozen=True)
class StoryCandidate:
    """An item that already alerted someone: its embedding and labels."""

    item_id: int
    vector: NDArray[np.float32] | Sequence[float]
    countries: frozenset[str]
    topics: frozenset[str]


def same_story(
    labels: Labels,
    candidates: Iterable[StoryCandidate],
    *,
    threshold: float = SAME_STORY_COSINE,
    threshold_no_country: float = SAME_STORY_COSINE_NO_COUNTRY,
) -> list[int]:
    """Ids of the candidates that report the same story as `labels`' item, closest first.

    Same countries, a shared topic, and a cosine of the L2-normalised embeddings
    (a dot product) of at least `threshold` (`threshold_no_country` when no
    country is named). A candidate of another dimension (another model) never matches.
    """
    query = np.asarray(labels.embedding, dtype=np.float32)
    if query.size == 0:
        return []
    countries = frozenset(labels.countries)
    topics = frozenset(labels.topics)
    floor = threshold if countries else threshold_no_country
    scored: list[tuple[float, int]] = []
    for candidate in candidates:
        if candidate.countries != countries or candidate.topics.isdisjoint(topics):
            continue
        v = np.asarray(candidate.vector, dtype=np.float32)
        if v.shape != query.shape:
            continue
        cosine = float(query @ v)
        if cosine >= floor:
            scored.append((cosine, candidate.item_id))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [item_id for _, item_id in scored]


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
