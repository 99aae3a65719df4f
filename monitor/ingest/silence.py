"""Silent feeds: a feed that answers normally but has had no new item for longer than usual.
Pure: arrival times in, a verdict out.

A feed's usual gap is learned from its own history: the gaps between the times its newest
`HISTORY` items were first seen (items that arrived in one poll count once). The feed is
silent when the time since its newest item exceeds `FACTOR` times the 90th percentile of
those gaps, and never before `FLOOR` (a feed that posts hourly is not silent after two
quiet hours at night). Too little history (fewer than `MIN_ARRIVALS` polls that brought
items) says nothing: such a feed is never called silent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final

from monitor.models import FeedHealth

HISTORY: Final = 30  # newest items per feed to learn from
MIN_ARRIVALS: Final = 5  # polls that brought items: fewer is not enough to know "usual"
QUANTILE: Final = 0.9
FACTOR: Final = 3.0
FLOOR: Final = timedelta(hours=24)
SAME_POLL: Final = timedelta(minutes=1)  # items first seen this close arrived together


@dataclass(frozen=True)
class Silence:
    """A silent feed: how long since its newest item, and what its usual gap is."""

    since: timedelta
    usual_gap: timedelta
    limit: timedelta  # silent beyond this

    def describe(self) -> str:
        """ "no new item for 3d 4h (usually every 5h)"."""
        return f"no new item for {_span(self.since)} (usually every {_span(self.usual_gap)})"


def usual_gap(arrivals: Sequence[datetime]) -> timedelta | None:
    """The 90th percentile of the gaps between arrivals, or None with too little history."""
    times = sorted(arrivals)
    distinct: list[datetime] = []
    for t in times:
        if not distinct or t - distinct[-1] >= SAME_POLL:
            distinct.append(t)
    if len(distinct) < MIN_ARRIVALS:
        return None
    gaps = sorted(b - a for a, b in pairwise(distinct))
    index = min(len(gaps) - 1, math.ceil(QUANTILE * len(gaps)) - 1)
    return gaps[index]


def silence(
    arrivals: Sequence[datetime], now: datetime, *, answering: bool = True
) -> Silence | None:
    """The feed's silence at `now`, or None when it is not silent (or cannot be judged).

    Args:
        arrivals: when its newest items were first seen (any order).
        now: the present.
        answering: whether its last poll succeeded; a failing feed is failing, not silent.
    """
    if not answering or not arrivals:
        return None
    gap = usual_gap(arrivals)
    if gap is None:
        return None
    limit = max(FLOOR, gap * FACTOR)
    since = now - max(arrivals)
    return Silence(since, gap, limit) if since > limit else None


def _span(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def silent_feeds(
    health: Iterable[FeedHealth], arrivals: Mapping[str, Sequence[datetime]], now: datetime
) -> dict[str, Silence]:
    """Feed URL -> its silence, for the enabled, listed feeds whose last poll succeeded."""
    found: dict[str, Silence] = {}
    for h in health:
        answering = (
            h.enabled
            and h.removed_at is None
            and h.consecutive_errors == 0
            and h.last_success_at is not None
        )
        quiet = silence(arrivals.get(h.url, ()), now, answering=answering)
        if quiet is not None:
            found[h.url] = quiet
    return found
