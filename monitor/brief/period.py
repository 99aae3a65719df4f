"""``--since`` and ``--until`` of a brief: durations back from now (30d, 12m, 1y) or dates. Pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from monitor.errors import MonitorError

DEFAULT_SINCE: Final = "12m"
MAX_MONTHS: Final = 120  # ten years back at most: a brief's query stays bounded
_DURATION: Final = re.compile(r"^(\d{1,4})\s*([dwmy])$", re.IGNORECASE)


class BadPeriod(MonitorError):
    """A ``--since``/``--until`` value that is neither a duration nor a date."""


def parse_since(text: str, now: datetime) -> datetime:
    """The period's start: ``30d``, ``6w``, ``12m``, ``1y`` before `now`, or a date (its 00:00 UTC).

    Raises:
        BadPeriod: not a duration or an ISO date, or more than ten years back.
    """
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        n, unit = int(match.group(1)), match.group(2).lower()
        if unit in "dw":
            start = now - timedelta(days=n * (7 if unit == "w" else 1))
        else:
            start = months_before(now, n * (12 if unit == "y" else 1))
    else:
        start = _start_of(_date(value, "--since"))
    if start < months_before(now, MAX_MONTHS):
        raise BadPeriod(f"--since {text!r} is more than {MAX_MONTHS // 12} years back")
    return start


def parse_until(text: str | None, now: datetime) -> datetime:
    """The period's end (exclusive): the day after the date given, or `now`."""
    if text is None or not text.strip():
        return now
    return _start_of(_date(text.strip(), "--until") + timedelta(days=1))


def is_duration(text: str) -> bool:
    """``12m``, ``30d``: what the bot's ``/brief KR VN 12m`` takes as the period."""
    return bool(_DURATION.match(text.strip()))


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` months earlier (the 31st becomes the month's last)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadPeriod(
            f"{option} {value!r}: expected a duration (30d, 6w, 12m, 1y) or a date YYYY-MM-DD"
        ) from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)
