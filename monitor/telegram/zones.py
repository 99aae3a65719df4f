"""What an official types for /timezone, as an IANA zone name. Pure.

Accepted, in this order: an IANA name in any case ("asia/seoul"), an alias from
``data/zones.toml`` (abbreviations such as KST or WIB, capitals and cities of the
region in English and the local languages: "Seoul", "서울", "Jakarta"), the last
part of an IANA name ("Jakarta" -> Asia/Jakarta), and a UTC offset ("+09:00",
"UTC+7", "-5"). Whole-hour offsets become ``Etc/GMT-9``-style zones (the IANA sign
is reversed); half-hour ones the region's zone with that offset.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Final
from zoneinfo import available_timezones

MAX_INPUT: Final = 64
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$")
_PART_HOURS: Final[Mapping[str, str]] = {
    "+05:30": "Asia/Kolkata",
    "+05:45": "Asia/Kathmandu",
    "+06:30": "Asia/Yangon",
    "+09:30": "Australia/Darwin",
    "+10:30": "Australia/Lord_Howe",
}


def _key(text: str) -> str:
    return re.sub(r"[\s._-]+", " ", text.casefold()).strip()


@cache
def _aliases() -> dict[str, str]:
    raw = resources.files("monitor.telegram").joinpath("data/zones.toml").read_text("utf-8")
    table = tomllib.loads(raw)
    names: dict[str, str] = {}
    for section in ("abbreviations", "cities"):
        names.update({_key(k): str(v) for k, v in table[section].items()})
    return names


@cache
def _iana() -> tuple[dict[str, str], dict[str, str]]:
    """(case-folded full name -> name, case-folded city part -> name)."""
    zones = sorted(available_timezones())
    full = {z.casefold(): z for z in zones}
    cities: dict[str, str] = {}
    for z in zones:
        if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/")):
            cities.setdefault(_key(z.rsplit("/", 1)[1]), z)
    return full, cities


def parse_zone(text: str) -> str:
    """The IANA zone `text` names.

    Raises:
        ValueError: nothing matches (the message says what is accepted).
    """
    wanted = " ".join(text.split())[:MAX_INPUT]
    if not wanted:
        raise ValueError("no time zone given")
    full, cities = _iana()
    if wanted.casefold() in full:
        return full[wanted.casefold()]
    key = _key(wanted)
    if key in _aliases():
        return _aliases()[key]
    if key in cities:
        return cities[key]
    offset = _OFFSET.match(wanted.casefold())
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 14 or minutes >= 60:
            raise ValueError(f"{wanted!r} is not a UTC offset (from -12:00 to +14:00)")
        if minutes == 0:
            if hours == 0:
                return "UTC"
            return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"  # IANA's reversed sign
        zone = _PART_HOURS.get(f"{sign}{hours:02d}:{minutes:02d}")
        if zone:
            return zone
    raise ValueError(
        f"unknown time zone {wanted!r}: use a name such as Asia/Seoul, KST, a city "
        "such as Seoul or Jakarta, or an offset such as +09:00"
    )
