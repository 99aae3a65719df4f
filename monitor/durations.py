"""Durations and times of day as operators write them: "90s", "15m", "1h30m"; "07:30"."""

from __future__ import annotations

import json
import re
from datetime import time, timedelta

from monitor.errors import ConfigError

MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(days=30)

_INTERVAL_RE = re.compile(
    r"(?:([0-9]+)\s*d)?\s*(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*m)?\s*(?:([0-9]+)\s*s)?"
)
_UNIT_SECONDS = (86400, 3600, 60, 1)
_TIME_OF_DAY_RE = re.compile(r"^(\d{1,2})[:.h]?(\d{2})$")


def parse_interval(
    text: str, *, minimum: timedelta = MIN_INTERVAL, maximum: timedelta = MAX_INTERVAL
) -> timedelta:
    """Parse a polling interval such as "90s", "15m", "2h", "1d" or "1h30m".

    Units are d, h, m and s, largest first, each at most once.

    Args:
        text: the duration as written in feeds.toml.
        minimum: the shortest duration accepted (a feed's interval: 1 minute).
        maximum: the longest duration accepted.

    Returns:
        The duration, between `minimum` and `maximum`.

    Raises:
        ConfigError: the text is not such a duration, or is out of range; the
            message quotes the text, e.g. `"15x" is not a duration like "15m"`.
    """
    shown = _show(text)
    stripped = text.strip()
    match = _INTERVAL_RE.fullmatch(stripped)
    if not stripped or match is None or not any(match.groups()):
        hint = " (add a unit: s, m, h or d)" if stripped.isdigit() else ""
        raise ConfigError(f'{shown} is not a duration like "15m"{hint}')
    seconds = sum(int(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n)
    if seconds < minimum.total_seconds():
        raise ConfigError(f"{shown} is shorter than the minimum of {format_interval(minimum)}")
    if seconds > maximum.total_seconds():
        raise ConfigError(f"{shown} is longer than the maximum of {format_interval(maximum)}")
    return timedelta(seconds=seconds)


def format_interval(interval: timedelta) -> str:
    """Write a duration the way feeds.toml does ("15m", "1h30m"); the inverse of `parse_interval`.

    Args:
        interval: a non-negative duration; fractions of a second are rounded.

    Returns:
        The shortest form, e.g. "90s" -> "1m30s", 30 minutes -> "30m", zero -> "0s".
    """
    seconds = round(interval.total_seconds())
    parts = []
    for unit, suffix in zip(_UNIT_SECONDS, "dhms", strict=True):
        count, seconds = divmod(seconds, unit)
        if count:
            parts.append(f"{count}{suffix}")
    return "".join(parts) or "0s"


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def parse_send_time(value: str) -> time:
    """``07:30``, ``7:30``, ``0730`` or ``7h30`` as a time of day.

    Raises:
        ValueError: not a time of day.
    """
    match = _TIME_OF_DAY_RE.match(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a time of day like 07:30")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a time of day like 07:30")
    return time(hour, minute)


def format_send_time(value: time) -> str:
    """The stored and shown form, ``HH:MM``."""
    return f"{value.hour:02d}:{value.minute:02d}"
