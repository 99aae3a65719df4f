"""Quiet hours, mutes and urgency: how an alert reaches a chat right now. Pure.

`mode` answers one question per alert and chat at `now`:

- ``HOLD``: the chat is muted (``/mute 2h``), or inside its quiet window with
  ``/quiet hold``: the alert waits (status ``held``) and is reported in one summary
  once the chat stops holding (`holding` turns False).
- ``SILENT``: inside the chat's quiet window: sent with Telegram's
  ``disable_notification``.
- ``SOUND``: everything else, and urgent items in a quiet window.

Urgent (`is_urgent`): an item labelled with the topic `URGENT_TOPIC` whose title or
text holds one of the urgent phrases of ``data/urgent.toml`` (outbreak, emergency,
public-health alert, in the region's main languages). A quiet window lets urgent items
through with sound; a mute holds them too (the user asked for silence outright).
Operators switch the rule off with ``urgent_through_quiet = false``.

The window is in the chat's own time zone (`Subscription.zone`); a window whose end
is before its start runs over midnight (22:00-07:00).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, time
from enum import Enum
from functools import cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo

from classifiers.base import Labels
from monitor.models import Subscription

URGENT_TOPIC: Final = "health_security"


class Mode(Enum):
    SOUND = "sound"
    SILENT = "silent"
    HOLD = "hold"


def in_window(start: time, end: time, local: time) -> bool:
    """Whether the local wall-clock time `local` is inside [start, end) (over midnight too)."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def local_time(now: datetime, zone: str) -> time:
    """`now`'s wall-clock time in `zone` (UTC for an unknown zone)."""
    try:
        tz = ZoneInfo(zone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    return now.astimezone(tz).time().replace(tzinfo=None)


def quiet_now(sub: Subscription, now: datetime) -> bool:
    """Whether `now` is inside the chat's quiet window."""
    if sub.quiet_start is None or sub.quiet_end is None:
        return False
    return in_window(sub.quiet_start, sub.quiet_end, local_time(now, sub.zone))


def holding(sub: Subscription, now: datetime) -> bool:
    """Whether the chat's alerts wait at `now` (muted, or a holding quiet window)."""
    return sub.muted(now) or (sub.quiet_hold and quiet_now(sub, now))


def mode(sub: Subscription, now: datetime, *, urgent: bool) -> Mode:
    """How an alert reaches the chat at `now` (see the module's docstring)."""
    if sub.muted(now):
        return Mode.HOLD
    if not quiet_now(sub, now) or urgent:
        return Mode.SOUND
    return Mode.HOLD if sub.quiet_hold else Mode.SILENT


@cache
def urgent_phrases() -> tuple[str, ...]:
    """Every language's urgent phrases from ``data/urgent.toml``, case-folded."""
    raw = resources.files("monitor.alerts").joinpath("data/urgent.toml").read_text("utf-8")
    table = tomllib.loads(raw)["phrases"]
    return tuple(p.casefold() for phrases in table.values() for p in phrases)


@cache
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One regex: Latin-script phrases as whole words, the others anywhere."""
    parts = [
        rf"(?<!\w){re.escape(p)}(?!\w)" if _latin(p) else re.escape(p)
        for p in sorted(phrases, key=len, reverse=True)
    ]
    return re.compile("|".join(parts))


def _latin(phrase: str) -> bool:
    letters = [c for c in phrase if c.isalpha()]
    return all("LATIN" in unicodedata.name(c, "") for c in letters)


def is_urgent(labels: Labels, texts: Iterable[str], phrases: Sequence[str] | None = None) -> bool:
    """An urgent health-security item: the topic `URGENT_TOPIC` and an urgent phrase."""
    if URGENT_TOPIC not in labels.topics:
        return False
    found = _pattern(tuple(urgent_phrases() if phrases is None else phrases))
    return any(found.search(t.casefold()) for t in texts if t)
