"""The zone a national feed means when it writes a date without one.

Korean, Japanese, Chinese and other national feeds often write "2025-05-20 09:00"
in local time; read as UTC it would be hours off. Countries spanning several zones
get the zone of their capital, where the national press writes.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

COUNTRY_ZONES = {
    "AU": "Australia/Sydney", "BD": "Asia/Dhaka", "BN": "Asia/Brunei", "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong", "ID": "Asia/Jakarta", "IN": "Asia/Kolkata", "JP": "Asia/Tokyo",
    "KH": "Asia/Phnom_Penh", "KP": "Asia/Pyongyang", "KR": "Asia/Seoul", "LA": "Asia/Vientiane",
    "LK": "Asia/Colombo", "MM": "Asia/Yangon", "MN": "Asia/Ulaanbaatar", "MO": "Asia/Macau",
    "MY": "Asia/Kuala_Lumpur", "NP": "Asia/Kathmandu", "NZ": "Pacific/Auckland",
    "PH": "Asia/Manila", "PK": "Asia/Karachi", "SG": "Asia/Singapore", "TH": "Asia/Bangkok",
    "TL": "Asia/Dili", "TW": "Asia/Taipei", "VN": "Asia/Ho_Chi_Minh",
}  # fmt: skip


def naive_date_zone(country: str | None) -> tzinfo:
    """The feed country's zone, or UTC when the country is unknown or not listed."""
    name = COUNTRY_ZONES.get((country or "").upper())
    return ZoneInfo(name) if name else UTC
