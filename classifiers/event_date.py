"""The date of a cooperation event, where the item states it, as an ISO date ("2026-03-10").

Cheap regular expressions find the first date expression of the title and lead; only that
snippet is read further, so the cost stays in microseconds:

* dates with month names in any language ("12 March", "18 Mei", "7 Julai", "14 ก.ย.",
  "10 มีนาคม 2569") and relative words ("yesterday", "어제", "昨天", "hôm qua",
  "kemarin", "เมื่อวานนี้", "kahapon") go to the multilingual parser `dateparser`,
  relative to the item's published date;
* numeric forms are read directly: ISO dates, "3月12日", "3월 12일", "(10/3)",
  "ngày 10/3", a bare day of the month ("지난 10일", "10日、"), and weekday names in
  every main language ("on Tuesday", "Rabu (4/11)", "thứ Tư", "noong Lunes", "火曜日"),
  which `dateparser` does not read in all of them.

A date without a year takes the year that puts it nearest the published date (a preview
names a day ahead, a report one behind); a bare day of the month the nearest month
("지난" = last: on or before); a weekday the last one on or before. Thai Buddhist-era
years (2569) are converted. Without a published date only dates with a year are kept.
A range ("18-20 May", "19 đến 21/10") gives its first day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

MONTHS = (
    # English, Indonesian/Malay, Tagalog; Thai full names and abbreviations
    r"January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?"
    r"|Januari|Februari|Maret|Mac|Mei|Juni|Juli|Julai|Agustus|Ogos|Oktober|Desember|Disember"
    r"|Enero|Pebrero|Marso|Abril|Mayo|Hunyo|Hulyo|Agosto|Setyembre|Oktubre|Nobyembre|Disyembre"
    r"|มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม"
    r"|พฤศจิกายน|ธันวาคม|ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\."
    r"|ต\.ค\.|พ\.ย\.|ธ\.ค\."
)
RELATIVE = (
    r"yesterday|today|kemarin|semalam|hari ini|hôm qua|hôm nay|kahapon|ngayong araw"
    r"|昨日|昨天|今天|今日|本日|어제|오늘|เมื่อวานนี้|เมื่อวาน|วันนี้"
)
WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        "Monday Senin Isnin Lunes 월요일 星期一 周一 週一 月曜日 thứ_Hai วันจันทร์",
        "Tuesday Selasa Martes 화요일 星期二 周二 週二 火曜日 thứ_Ba วันอังคาร",
        "Wednesday Rabu Miyerkules 수요일 星期三 周三 週三 水曜日 thứ_Tư วันพุธ",
        "Thursday Kamis Khamis Huwebes 목요일 星期四 周四 週四 木曜日 thứ_Năm วันพฤหัสบดี",
        "Friday Jumat Jumaat Biyernes 금요일 星期五 周五 週五 金曜日 thứ_Sáu วันศุกร์",
        "Saturday Sabtu Sabado 토요일 星期六 周六 週六 土曜日 thứ_Bảy วันเสาร์",
        "Sunday Minggu Ahad Linggo 일요일 星期日 星期天 周日 週日 日曜日 Chủ_nhật วันอาทิตย์",
    )
):
    for _name in _names.split():
        WEEKDAYS[_name.replace("_", " ").lower()] = _index

_DAY = r"(?P<{0}>[0-3]?\d)"
_PATTERNS = [
    ("iso", r"(?P<y>(?:19|20)\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)(?!\d)"),
    (
        "ymd",
        r"(?:(?P<y>(?:19|20)\d\d)\s*[年년]\s*)?(?P<m>[01]?\d)\s*[月월]\s*(?P<d>[0-3]?\d)\s*[日일]",
    ),
    ("range", r"(?:ngày|từ ngày)\s+(?P<d>[0-3]?\d)\s*(?:-|–|đến)\s*[0-3]?\d/(?P<m>[01]?\d)"),
    (
        "dm",
        r"(?:(?i:ngày|sáng|chiều|tối|trưa|đêm|hôm)\s+|\()(?P<d>[0-3]?\d)/(?P<m>[01]?\d)"
        r"(?:/(?P<y>(?:19|20)\d\d))?",
    ),
    (
        "named",
        rf"(?<![\w])(?:[0-3]?\d(?:\s*[-–]\s*[0-3]?\d)?\s+(?:{MONTHS})(?:\s+(?:19|20|25)\d\d)?"
        rf"|(?:{MONTHS})\s+[0-3]?\d(?:,\s*(?:19|20)\d\d)?)(?![\w])",
    ),
    ("relative", rf"(?<![\w])(?:{RELATIVE})(?![\w])"),
    (
        "weekday",
        r"(?<![\w])(?i:"
        + "|".join(sorted(map(re.escape, WEEKDAYS), key=len, reverse=True))
        + r")(?![\w])",
    ),
    (
        "day",
        r"(?P<last>지난\s*)?(?<![\d.,/월月-])(?P<d>[0-3]?\d)\s*(?:日(?![本間间])|일(?![간본자]))",
    ),
]
_REGEX = re.compile(
    "|".join(f"(?P<{name}>{body.replace('(?P<', f'(?P<{name}_')})" for name, body in _PATTERNS)
)
_DATEPARSER_LANGUAGES = {"en", "ko", "zh", "ja", "id", "vi", "th", "ms", "tl"}
# the day dateparser reads relative words against (naive: it compares it with the naive
# dates it parses); the offset from it is applied to the published date
REFERENCE = datetime(2001, 1, 10)  # noqa: DTZ001


def event_date(text: str, language: str, published: datetime | None) -> str | None:
    """The first date `text` states, as "YYYY-MM-DD", or None (see the module docstring)."""
    base = published.date() if published is not None else None
    for match in _REGEX.finditer(text):
        found = _resolve(match, language, base)
        if found is not None:
            return found.isoformat()
    return None


def _resolve(match: re.Match[str], language: str, base: date | None) -> date | None:
    kind = match.lastgroup or ""
    prefix = f"{kind}_"
    parts = {
        k[len(prefix) :]: v for k, v in match.groupdict().items() if k.startswith(prefix) and v
    }
    if kind in ("iso", "ymd", "dm", "range"):
        return _day(parts.get("y"), parts["m"], parts["d"], base)
    if kind == "day":
        return _day_of_month(int(parts["d"]), base, past="last" in parts)
    if kind == "weekday" and base is not None:
        if re.match(r"\s*,?\s*\(?[0-3]?\d", match.string[match.end() :]):
            return None  # "Rabu (4/11)", "Tuesday, 10 March": the date that follows says it
        weekday = WEEKDAYS[match.group(0).lower()]
        return base - timedelta(days=(base.weekday() - weekday) % 7)
    if kind in ("named", "relative"):
        return _parsed(match.group(0), language, base, relative=kind == "relative")
    return None


def _day(year: str | None, month: str, day: str, base: date | None) -> date | None:
    if year is None:
        return _nearest_year(int(month), int(day), base)
    try:
        return date(_gregorian(int(year)), int(month), int(day))
    except ValueError:
        return None


def _gregorian(year: int) -> int:
    return year - 543 if year > 2400 else year  # Thai Buddhist era


def _nearest_year(month: int, day: int, base: date | None) -> date | None:
    if base is None:
        return None
    options = []
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda d: abs(d - base)) if options else None


def _day_of_month(day: int, base: date | None, *, past: bool) -> date | None:
    if base is None or not 1 <= day <= 31:
        return None
    options = []
    for shift in (-1, 0, 1):
        month = (base.month - 1 + shift) % 12 + 1
        year = base.year + (base.month - 1 + shift) // 12
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    if past:
        options = [d for d in options if d <= base]
    return min(options, key=lambda d: abs(d - base)) if options else None


def _parsed(snippet: str, language: str, base: date | None, *, relative: bool) -> date | None:
    """A snippet with a month name or a relative word, read by dateparser."""
    if base is None and relative:
        return None
    snippet = re.sub(r"^([0-3]?\d)\s*[-–]\s*[0-3]?\d", r"\1", snippet)  # a range: first day
    year = re.search(r"(?:19|20|25)\d\d", snippet)
    if year and int(year.group(0)) > 2400:  # Thai Buddhist era
        snippet = snippet.replace(year.group(0), str(_gregorian(int(year.group(0)))))
    parsed = _read(snippet, language if language in _DATEPARSER_LANGUAGES else "")
    if parsed is None:
        return None
    if relative:
        assert base is not None
        return base + (parsed - REFERENCE.date())
    if year:
        return parsed
    return _nearest_year(parsed.month, parsed.day, base)


@lru_cache(maxsize=4096)
def _read(snippet: str, language: str) -> date | None:
    """dateparser's reading of a snippet, against a fixed reference day: a relative word
    comes back as an offset from it, so one reading serves every published date (and the
    same snippets recur all day: "yesterday", "18 May")."""
    parsed = _parser(language).get_date_data(snippet).date_obj
    if parsed is None and language:
        parsed = _parser("").get_date_data(snippet).date_obj
    return parsed.date() if parsed is not None else None


@lru_cache(maxsize=16)
def _parser(language: str) -> DateDataParser:
    from dateparser.date import DateDataParser  # on first use: it loads its language data

    settings = {"RELATIVE_BASE": REFERENCE, "RETURN_AS_TIMEZONE_AWARE": False}
    return DateDataParser(languages=[language] if language else None, settings=settings)
