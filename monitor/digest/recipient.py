"""The pure parsing of what operators and users type about a digest recipient.

Pure: no clock, disk or database. The record itself is `monitor.models.Recipient`,
kept by the store (`monitor.store.recipients`); the CLI and the bot parse their
arguments here.
"""

from __future__ import annotations

import re
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.durations import format_send_time
from monitor.models import DAILY, WEEKLY, Recipient

FREQUENCIES: Final = (DAILY, WEEKLY)
LANGUAGES: Final = ("en", "ko")  # the e-mail's own words; one catalogue per language
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Deliberately simple: one @, no spaces or angle brackets, a dotted domain. The SMTP
# server is the final judge; this only catches typos before anything is stored.
_EMAIL: Final = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\].]+$")


def parse_email(value: str) -> str:
    """A normalised (stripped, lower-cased) address.

    Raises:
        ValueError: it does not look like an e-mail address.
    """
    address = value.strip().strip("<>").strip()
    if not _EMAIL.match(address) or len(address) > 254:
        raise ValueError(f"{value!r} is not an e-mail address")
    return address.lower()


def parse_timezone(value: str) -> str:
    """An IANA time zone name that this machine knows.

    Raises:
        ValueError: unknown zone.
    """
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use a name like Asia/Seoul)") from exc
    return name


def parse_weekday(value: str) -> int:
    """``mon``..``sun`` (or a full English name) as 0..6.

    Raises:
        ValueError: not a day of the week.
    """
    key = value.strip().lower()[:3]
    if key not in WEEKDAYS:
        raise ValueError(f"{value!r} is not a day of the week (mon..sun)")
    return WEEKDAYS.index(key)


def schedule_text(recipient: Recipient) -> str:
    """``daily 08:00 Asia/Seoul`` or ``weekly mon 08:00 UTC``, for tables."""
    when = format_send_time(recipient.send_time)
    if recipient.frequency == WEEKLY:
        return f"weekly {WEEKDAYS[recipient.weekday]} {when} {recipient.timezone}"
    return f"daily {when} {recipient.timezone}"
