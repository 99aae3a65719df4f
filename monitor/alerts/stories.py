"""One story, one alert: is a new item the same story as one already alerted? Pure.

A near-duplicate is linked by dedup (``duplicate_of``) before classification. A
wire copy rewritten by another outlet, or the same story in another language,
is found here: the cosine of the classifier's L2-normalised multilingual
embeddings, against the items that alerted someone within `STORY_WINDOW`.
A chat that already got (or is about to get) the story's first alert gets a
short reply to it instead of a second alert.

The threshold was chosen on the embedded model (multilingual-e5-small) with
pairs of one story in two languages against pairs of different health stories
of the same topic; see `bench/alerts.py --calibrate` and README "Alerts".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Final

import numpy as np
from numpy.typing import NDArray

STORY_WINDOW: Final = timedelta(hours=48)  # a story older than this alerts again
SAME_STORY_COSINE: Final = 0.90
MAX_REPLIES_PER_STORY: Final = 3  # "also reported by ..." replies under one alert, per chat


def same_story(
    vector: Sequence[float] | NDArray[np.float32],
    candidates: Iterable[tuple[int, Sequence[float] | NDArray[np.float32]]],
    *,
    threshold: float = SAME_STORY_COSINE,
) -> list[int]:
    """Ids of the candidates whose vector is within `threshold` cosine of `vector`, closest first.

    Vectors are L2-normalised, so the cosine is a dot product; candidates of
    another dimension (another model) never match.
    """
    query = np.asarray(vector, dtype=np.float32)
    if query.size == 0:
        return []
    scored: list[tuple[float, int]] = []
    for item_id, other in candidates:
        v = np.asarray(other, dtype=np.float32)
        if v.shape != query.shape:
            continue
        cosine = float(query @ v)
        if cosine >= threshold:
            scored.append((cosine, item_id))
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
