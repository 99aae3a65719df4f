"""The feeds.toml file: its format and validation, reloading it, and editing it in place.

Format (see docs/feeds.md)::

    [defaults]            # optional: interval, enabled, fulltext, language
    interval = "30m"

    [[feed]]              # one table per source
    url = "https://www.who.int/rss-feeds/news-english.xml"   # required, http(s)
    name = "WHO news"     # default: the URL's host
    language = "en"       # ISO 639-1 hint
    country = "KR"        # ISO 3166-1 alpha-2
    tags = ["who", "official"]
    interval = "1h"       # "90s", "15m", "2h", "1d", "1h30m"; at least 1m
    enabled = true
    fulltext = false

The parsing half (`parse_feeds`, `parse_interval`, `format_interval`,
`find_feed`) is pure: text in, values out. Every problem of a file is reported
at once, each with its line, the feed's name and position, and the key.

`FeedsFile` is what the service holds: it re-reads the file when it changes and
keeps the last good list while the file is broken. `add_feed`, `remove_feed`
and `set_enabled` edit the text of the file, touching only the edited
`[[feed]]` table, so the operator's comments and layout survive byte for byte;
values are rendered with tomlkit, and the result is parsed and compared with
the intended list before it atomically replaces the file.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import tomlkit

from monitor.errors import ConfigError
from monitor.models import DEFAULT_INTERVAL, FeedSpec

logger = logging.getLogger(__name__)

DEFAULT_SOURCE = "feeds.toml"
MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(days=30)

TOP_LEVEL_KEYS = ("feed", "defaults")
FEED_KEYS = ("url", "name", "language", "country", "tags", "interval", "enabled", "fulltext")
DEFAULTS_KEYS = ("interval", "enabled", "fulltext", "language")
URL_SCHEMES = ("http", "https")

# ISO 639-1, all two-letter codes.
LANGUAGE_CODES = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
    """.split()
)

# ISO 3166-1 alpha-2, all officially assigned codes.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()
)

# Common slips, answered with the code that was probably meant.
LANGUAGE_HINTS = {
    "jp": "ja", "cn": "zh", "vn": "vi", "kor": "ko", "eng": "en", "zho": "zh", "chi": "zh",
    "jpn": "ja", "ind": "id", "vie": "vi", "tha": "th", "msa": "ms", "may": "ms", "fil": "tl",
    "tgl": "tl", "khm": "km", "lao": "lo", "mya": "my", "bur": "my", "mon": "mn",
}  # fmt: skip
COUNTRY_HINTS = {
    "UK": "GB", "EN": "GB", "KOR": "KR", "JPN": "JP", "CHN": "CN", "IDN": "ID", "VNM": "VN",
    "THA": "TH", "SGP": "SG", "PHL": "PH", "MYS": "MY", "KHM": "KH", "LAO": "LA", "MMR": "MM",
    "MNG": "MN", "BRN": "BN", "TLS": "TL", "USA": "US", "GBR": "GB", "AUS": "AU", "IND": "IN",
    "TWN": "TW", "HKG": "HK",
}  # fmt: skip


# --- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedProblem:
    """One problem of a feeds file, rendered as `SOURCE:LINE: feed "NAME" (#N): key 'K': ...`.

    Attributes:
        source: the file's name as shown to the operator.
        line: 1-based line, or None when it cannot be placed.
        message: what is wrong.
        context: where: `feed "NAME" (#N)`, `feed #N`, `[defaults]` or "".
        key: the key concerned, if any.
        feed: 1-based position of the `[[feed]]` table, if the problem is in one.
    """

    source: str
    line: int | None
    message: str
    context: str = ""
    key: str | None = None
    feed: int | None = None

    def __str__(self) -> str:
        parts = [f"{self.source}:{self.line}" if self.line else self.source]
        if self.context:
            parts.append(self.context)
        if self.key is not None:
            parts.append(f"key '{self.key}'")
        parts.append(self.message)
        return ": ".join(parts)


class FeedsFileError(ConfigError):
    """A feeds file is invalid; `problems` lists every problem found, in line order."""

    def __init__(self, problems: Sequence[FeedProblem], *, headline: str | None = None) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems]
        if headline is None and len(lines) > 1:
            headline = f"{self.problems[0].source}: {len(lines)} problems"
        super().__init__("\n".join([headline, *lines] if headline else lines))


# --- intervals -------------------------------------------------------------------------------

_INTERVAL_RE = re.compile(
    r"(?:([0-9]+)\s*d)?\s*(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*m)?\s*(?:([0-9]+)\s*s)?"
)
_UNIT_SECONDS = (86400, 3600, 60, 1)


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


# --- the text's layout -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """What one physical line of a TOML text is."""

    kind: Literal["blank", "comment", "header", "key", "more"]
    path: tuple[str, ...] = ()  # a header's table path, or a key line's dotted key
    array: bool = False  # a [[header]]


@dataclass
class _LexState:
    multiline: str | None = None  # the open multi-line string's delimiter
    depth: int = 0  # open [ and { of a value spanning lines


_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")


def _split_lines(text: str) -> list[str]:
    """Lines with their endings, split at "\\n" only (as TOML counts lines)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _parse_key(text: str, pos: int) -> tuple[tuple[str, ...], int]:
    """Read a (dotted) key at `pos`; return it and the position after it."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            break
        if text[pos] == '"':
            end = pos + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            token = text[pos : end + 1]
            try:
                parts.append(str(tomllib.loads(f"k = {token}")["k"]))
            except tomllib.TOMLDecodeError:
                parts.append(token.strip('"'))
            pos = end + 1
        elif text[pos] == "'":
            end = text.find("'", pos + 1)
            end = len(text) if end < 0 else end
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            match = _BARE_KEY_RE.match(text, pos)
            if match is None:
                break
            parts.append(match.group())
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        break
    return tuple(parts), pos


def _lex_value(text: str, pos: int, state: _LexState) -> None:
    """Follow strings, brackets and comments of a value so multi-line values are tracked."""
    n = len(text)
    while pos < n:
        if state.multiline is not None:
            delim = state.multiline
            if delim == '"""' and text[pos] == "\\":
                pos += 2
            elif text.startswith(delim, pos):
                end = pos + 3
                while end < n and end - pos < 5 and text[end] == delim[0]:
                    end += 1  # up to two quotes may end the content
                state.multiline = None
                pos = end
            else:
                pos += 1
            continue
        char = text[pos]
        if char == "#":
            return
        if text.startswith('"""', pos) or text.startswith("'''", pos):
            state.multiline = text[pos : pos + 3]
            pos += 3
        elif char == '"':
            pos += 1
            while pos < n and text[pos] != '"':
                pos += 2 if text[pos] == "\\" else 1
            pos += 1
        elif char == "'":
            end = text.find("'", pos + 1)
            pos = n if end < 0 else end + 1
        else:
            if char in "[{":
                state.depth += 1
            elif char in "]}":
                state.depth = max(0, state.depth - 1)
            pos += 1


def _scan(lines: Sequence[str]) -> list[_Line]:
    """Classify each line of a (syntactically valid) TOML text."""
    kinds: list[_Line] = []
    state = _LexState()
    for line in lines:
        if state.multiline is not None or state.depth:
            kinds.append(_Line("more"))
            _lex_value(line, 0, state)
            continue
        stripped = line.strip().lstrip("\ufeff")
        if not stripped:
            kinds.append(_Line("blank"))
        elif stripped.startswith("#"):
            kinds.append(_Line("comment"))
        elif stripped.startswith("["):
            array = stripped.startswith("[[")
            path, _ = _parse_key(stripped, 2 if array else 1)
            kinds.append(_Line("header", path, array))
        else:
            path, pos = _parse_key(stripped, 0)
            kinds.append(_Line("key", path))
            eq = stripped.find("=", pos)
            if eq >= 0:
                _lex_value(stripped, eq + 1, state)
    return kinds


@dataclass(frozen=True)
class _Layout:
    """Where things are in a TOML text: used to give problems a line and to edit tables."""

    lines: list[str]
    kinds: list[_Line]
    feed_headers: list[int] = field(default_factory=list)  # 0-based line of each [[feed]]

    @classmethod
    def of(cls, text: str) -> _Layout:
        lines = _split_lines(text)
        kinds = _scan(lines)
        headers = [i for i, k in enumerate(kinds) if k.kind == "header" and k.path == ("feed",)]
        return cls(lines, kinds, headers)

    def next_header(self, after: int) -> int:
        """The 0-based index of the first header after line `after`, or len(lines)."""
        for i in range(after + 1, len(self.kinds)):
            if self.kinds[i].kind == "header":
                return i
        return len(self.kinds)

    def table_key_line(self, header: int | None, table: tuple[str, ...], key: str) -> int | None:
        """1-based line where `key` of the table at `table` (header at `header`) is set."""
        if header is not None:
            for i in range(header + 1, self.next_header(header)):
                kind = self.kinds[i]
                if kind.kind == "key" and kind.path[:1] == (key,):
                    return i + 1
        end = len(self.kinds)
        if header is not None and self.kinds[header].array:
            later = [h for h in self.feed_headers if h > header]
            end = later[0] if later else end
        for i in range(0 if header is None else header + 1, end):
            kind = self.kinds[i]
            if kind.kind == "header" and kind.path[: len(table) + 1] == (*table, key):
                return i + 1
        return self.root_key_line((*table, key)) if table and header is None else None

    def root_key_line(self, path: tuple[str, ...]) -> int | None:
        """1-based line of a key set before any header, or of the first header under `path`."""
        for i, kind in enumerate(self.kinds):
            if kind.kind == "header":
                break
            if kind.kind == "key" and kind.path[: len(path)] == path:
                return i + 1
        for i, kind in enumerate(self.kinds):
            if kind.kind == "header" and kind.path[: len(path)] == path:
                return i + 1
        return None

    def header_of(self, table: tuple[str, ...]) -> int | None:
        """0-based line of the `[table]` header, if the table has one."""
        for i, kind in enumerate(self.kinds):
            if kind.kind == "header" and kind.path == table and not kind.array:
                return i
        return None


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Defaults:
    """The optional `[defaults]` table."""

    interval: timedelta = DEFAULT_INTERVAL
    enabled: bool = True
    fulltext: bool = False
    language: str | None = None


def _show(value: object) -> str:
    """A value as quoted in messages: strings in double quotes, the rest as TOML-ish."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def default_name(url: str) -> str:
    """The name a feed gets when it has none: the URL's host (or the URL itself)."""
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def _url_key(url: str) -> str:
    """A URL with case-insensitive parts lowered, to spot duplicates written differently."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def _check_url(value: object) -> str | None:
    """The problem with a feed URL, or None."""
    if not isinstance(value, str):
        return f"must be a string, not {_type_name(value)}"
    if not value.strip():
        return "must not be empty"
    if any(ch.isspace() for ch in value):
        return f"{_show(value)} contains whitespace (encode spaces as %20)"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"{_show(value)} is not a valid URL ({exc})"
    if parts.scheme.lower() not in URL_SCHEMES:
        return f"{_show(value)} is not an http:// or https:// URL"
    if not parts.hostname:
        return f"{_show(value)} has no host"
    return None


def _check_language(value: object) -> tuple[str | None, str | None]:
    """(normalised code, problem) of a language hint."""
    if not isinstance(value, str):
        return None, f"must be a string, not {_type_name(value)}"
    code = value.strip().lower()
    if code in LANGUAGE_CODES:
        return code, None
    hint = LANGUAGE_HINTS.get(code)
    prefix = re.split(r"[-_]", code)[0]
    if hint is None and prefix != code and prefix in LANGUAGE_CODES:
        hint = prefix
    suggestion = f'; use "{hint}"' if hint else ""
    return None, f"{_show(value)} is not an ISO 639-1 language code{suggestion}"


def _check_country(value: object) -> tuple[str | None, str | None]:
    """(normalised code, problem) of a country."""
    if not isinstance(value, str):
        return None, f"must be a string, not {_type_name(value)}"
    code = value.strip().upper()
    if code in COUNTRY_CODES:
        return code, None
    hint = COUNTRY_HINTS.get(code)
    suggestion = f'; use "{hint}"' if hint else ""
    return None, f"{_show(value)} is not an ISO 3166-1 alpha-2 country code{suggestion}"


def _check_interval(value: object) -> tuple[timedelta | None, str | None]:
    if not isinstance(value, str):
        return None, f'must be a string like "15m", not {_type_name(value)} {_show(value)}'
    try:
        return parse_interval(value), None
    except ConfigError as exc:
        return None, str(exc)


def _check_bool(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    return f"must be true or false, not {_type_name(value)} {_show(value)}"


class _Checker:
    """Collects every problem of one parsed document."""

    def __init__(self, source: str, layout: _Layout) -> None:
        self.source = source
        self.layout = layout
        self.problems: list[FeedProblem] = []

    def add(
        self,
        line: int | None,
        message: str,
        *,
        context: str = "",
        key: str | None = None,
        feed: int | None = None,
    ) -> None:
        self.problems.append(FeedProblem(self.source, line, message, context, key, feed))

    def check(self, data: Mapping[str, object]) -> tuple[list[FeedSpec], _Defaults]:
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                hint = _did_you_mean(key, TOP_LEVEL_KEYS)
                if not hint and key in FEED_KEYS:
                    hint = " (a feed's keys go below a [[feed]] header)"
                self.add(self.layout.root_key_line((key,)), f"unknown top-level key '{key}'{hint}")
        defaults = self.check_defaults(data.get("defaults", {}))
        raw = data.get("feed", [])
        if not isinstance(raw, list):
            self.add(
                self.layout.root_key_line(("feed",)),
                "'feed' must be an array of tables: write each feed as a [[feed]] table",
            )
            return [], defaults
        aligned = len(self.layout.feed_headers) == len(raw)
        specs: list[FeedSpec] = []
        firsts: dict[str, tuple[int, str | None, int | None]] = {}
        for number, entry in enumerate(raw, start=1):
            header = self.layout.feed_headers[number - 1] if aligned else None
            if not isinstance(entry, dict):
                self.add(
                    self.layout.root_key_line(("feed",)),
                    f"feed #{number} must be a table, not {_type_name(entry)}",
                )
                continue
            spec = self.check_feed(number, header, entry, defaults)
            url = entry.get("url")
            if not isinstance(url, str) or _check_url(url) is not None:
                continue
            url_line = self._line(header, ("feed",), "url")
            name = _entry_name(entry)
            first = firsts.setdefault(_url_key(url), (number, name, url_line))
            if first[0] != number:
                where = f", line {first[2]}" if first[2] else ""
                self.add(
                    url_line,
                    f"{_show(url)} is already the URL of {_context(first[1], first[0])}{where}",
                    context=_context(name, number), key="url", feed=number,
                )  # fmt: skip
            elif spec is not None:
                specs.append(spec)
        return specs, defaults

    def _line(self, header: int | None, table: tuple[str, ...], key: str | None) -> int | None:
        """Line of `key` in a table, else of the table's header or first mention."""
        line = None if key is None else self.layout.table_key_line(header, table, key)
        if line is None:
            line = header + 1 if header is not None else self.layout.root_key_line(table)
        return line

    def check_defaults(self, raw: object) -> _Defaults:
        header = self.layout.header_of(("defaults",))
        where = "[defaults]"
        if not isinstance(raw, dict):
            line = self.layout.root_key_line(("defaults",))
            self.add(line, f"'defaults' must be a table, not {_type_name(raw)}")
            return _Defaults()
        values: dict[str, object] = {}
        for key, value in raw.items():
            line = self._line(header, ("defaults",), key)
            problem: str | None
            if key == "interval":
                values[key], problem = _check_interval(value)
            elif key in ("enabled", "fulltext"):
                problem = _check_bool(value)
                values[key] = value
            elif key == "language":
                values[key], problem = _check_language(value)
            else:
                hint = _did_you_mean(key, DEFAULTS_KEYS)
                if not hint and key in FEED_KEYS:
                    hint = f" ([defaults] takes {', '.join(DEFAULTS_KEYS)})"
                self.add(line, f"unknown key '{key}'{hint}", context=where)
                continue
            if problem:
                self.add(line, problem, key=key, context=where)
                values.pop(key)
        interval = values.get("interval", DEFAULT_INTERVAL)
        enabled = values.get("enabled", True)
        fulltext = values.get("fulltext", False)
        language = values.get("language")
        assert isinstance(interval, timedelta)
        assert isinstance(enabled, bool) and isinstance(fulltext, bool)
        assert language is None or isinstance(language, str)
        return _Defaults(interval, enabled, fulltext, language)

    def check_feed(
        self, number: int, header: int | None, entry: Mapping[str, object], defaults: _Defaults
    ) -> FeedSpec | None:
        url = entry.get("url")
        url_problem = None if "url" in entry else "missing"
        if url_problem is None:
            url_problem = _check_url(url)
        name = _entry_name(entry)
        context = _context(name, number)
        ok = True

        def problem(key: str | None, message: str) -> None:
            nonlocal ok
            ok = False
            line = self._line(header, ("feed",), key)
            self.add(line, message, context=context, key=key, feed=number)

        if url_problem == "missing":
            problem(None, "missing required key 'url'")
        elif url_problem:
            problem("url", url_problem)
        language, country = defaults.language, None
        tags: tuple[str, ...] = ()
        interval, enabled, fulltext = defaults.interval, defaults.enabled, defaults.fulltext
        for key, value in entry.items():
            message: str | None = None
            if key == "url":
                continue
            if key == "name":
                if not isinstance(value, str):
                    message = f"must be a string, not {_type_name(value)}"
                elif not value.strip():
                    message = "must not be empty (leave it out to use the host)"
            elif key == "language":
                code, message = _check_language(value)
                language = code or language
            elif key == "country":
                country, message = _check_country(value)
            elif key == "tags":
                tags, message = _check_tags(value)
            elif key == "interval":
                duration, message = _check_interval(value)
                interval = duration or interval
            elif key in ("enabled", "fulltext"):
                message = _check_bool(value)
                if isinstance(value, bool) and key == "enabled":
                    enabled = value
                elif isinstance(value, bool):
                    fulltext = value
            else:
                hint = _did_you_mean(key, FEED_KEYS)
                line = self._line(header, ("feed",), key)
                self.add(line, f"unknown key '{key}'{hint}", context=context, feed=number)
                ok = False
            if message:
                problem(key, message)
        if not ok or not isinstance(url, str) or name is None:
            return None
        return FeedSpec(url, name, language, country, tags, interval, enabled, fulltext)


def _check_tags(value: object) -> tuple[tuple[str, ...], str | None]:
    """(tags without duplicates, problem) of a tags array."""
    if not isinstance(value, list):
        return (), f'must be an array of strings like ["who"], not {_type_name(value)}'
    tags: list[str] = []
    for i, tag in enumerate(value, start=1):
        if not isinstance(tag, str) or not tag.strip():
            what = "an empty string" if isinstance(tag, str) else _type_name(tag)
            return (), f"tag #{i} must be a non-empty string, not {what}"
        if tag.strip() not in tags:
            tags.append(tag.strip())
    return tuple(tags), None


def _entry_name(entry: Mapping[str, object]) -> str | None:
    """A feed's name for messages: its `name`, else its URL's host, else None."""
    name, url = entry.get("name"), entry.get("url")
    if isinstance(name, str) and name.strip():
        return name.strip()
    if isinstance(url, str) and _check_url(url) is None:
        return default_name(url)
    return None


def _context(name: str | None, number: int) -> str:
    return f'feed "{name}" (#{number})' if name else f"feed #{number}"


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str, source: str) -> FeedProblem:
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        reason = message[: match.start()]
        return FeedProblem(
            source, int(match.group(1)), f"invalid TOML (column {match.group(2)}): {reason}"
        )
    match = re.search(r"\s*\(at end of document\)$", message)
    if match:
        line = len(_split_lines(text)) or 1
        return FeedProblem(
            source, line, f"invalid TOML (at end of file): {message[: match.start()]}"
        )
    return FeedProblem(source, None, f"invalid TOML: {message}")


def _parse(text: str, source: str) -> tuple[list[FeedSpec], _Defaults, _Layout]:
    body = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(body)
    except tomllib.TOMLDecodeError as exc:
        raise FeedsFileError([_syntax_problem(exc, body, source)]) from exc
    layout = _Layout.of(body)
    checker = _Checker(source, layout)
    specs, defaults = checker.check(data)
    if checker.problems:
        ordered = sorted(checker.problems, key=lambda p: p.line if p.line else 1 << 62)
        raise FeedsFileError(ordered)
    return specs, defaults, layout


def parse_feeds(text: str, *, source: str = DEFAULT_SOURCE) -> list[FeedSpec]:
    """Parse and validate the text of a feeds.toml.

    Args:
        text: the file's content.
        source: the file's name, used in messages.

    Returns:
        One FeedSpec per `[[feed]]` table, in file order, with defaults applied
        (language lower-cased, country upper-cased, duplicate tags dropped).

    Raises:
        FeedsFileError: a ConfigError listing every problem, one per line,
            as `SOURCE:LINE: feed "NAME" (#N): key 'K': reason`.
    """
    return _parse(text, source)[0]


def load_feeds(path: Path) -> list[FeedSpec]:
    """Read and parse a feeds.toml.

    Args:
        path: the file.

    Returns:
        The feeds, as `parse_feeds` returns them.

    Raises:
        FeedsFileError: the file is missing, unreadable, not UTF-8 or invalid.
    """
    return parse_feeds(_read_text(path), source=str(path))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise FeedsFileError(
            [FeedProblem(str(path), None, "feeds file not found (set MONITOR_FEEDS or create it)")]
        ) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise FeedsFileError([FeedProblem(str(path), None, f"cannot read: {reason}")]) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start]
        message = f"not valid UTF-8 (byte 0x{bad:02x}); save the file as UTF-8"
        raise FeedsFileError([FeedProblem(str(path), line, message)]) from exc


# --- finding a feed --------------------------------------------------------------------------


def find_feed(feeds: Sequence[FeedSpec], key: str, *, source: str = DEFAULT_SOURCE) -> int:
    """Find the feed an operator means by `key`: its URL, or its name.

    A URL matches exactly (or up to the case of scheme and host); a name
    matches exactly, else ignoring case.

    Args:
        feeds: the feeds, in file order.
        key: a URL or a name.
        source: the file's name, used in messages.

    Returns:
        The index of the feed in `feeds`.

    Raises:
        ConfigError: no feed matches (the message lists close candidates), or
            several do (the message lists them all).
    """
    wanted = key.strip()
    tries = (
        lambda f: f.url == wanted,
        lambda f: _url_key(f.url) == _url_key(wanted),
        lambda f: f.name == wanted,
        lambda f: f.name.casefold() == wanted.casefold(),
    )
    for matches in tries:
        found = [i for i, f in enumerate(feeds) if matches(f)]
        if len(found) == 1:
            return found[0]
        if found:
            raise ConfigError(
                f"{source}: {_show(wanted)} matches {len(found)} feeds; name one by its URL:\n"
                + _candidates(feeds, found)
            )
    names = {f.name: i for i, f in reversed(list(enumerate(feeds)))}
    urls = {f.url: i for i, f in enumerate(feeds)}
    close = difflib.get_close_matches(wanted, list(names), n=5, cutoff=0.5)
    close_urls = difflib.get_close_matches(wanted, list(urls), n=5, cutoff=0.6)
    indexes = sorted({names[n] for n in close} | {urls[u] for u in close_urls})
    if indexes:
        raise ConfigError(
            f"{source}: no feed has the URL or name {_show(wanted)}; did you mean:\n"
            + _candidates(feeds, indexes)
        )
    raise ConfigError(
        f"{source}: no feed has the URL or name {_show(wanted)} "
        f"(`monitor feeds list` shows all {len(feeds)})"
    )


def _candidates(feeds: Sequence[FeedSpec], indexes: Iterable[int]) -> str:
    return "\n".join(f'  #{i + 1} "{feeds[i].name}" {feeds[i].url}' for i in indexes)


# --- watching --------------------------------------------------------------------------------


def _signature(path: Path) -> tuple[int, ...]:
    """What changes when the file is rewritten or replaced; () when it is missing."""
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


class FeedsFile:
    """feeds.toml as the service sees it, re-read whenever it changes.

    A broken edit is logged once and remembered in `last_error`, and the last
    good list stays in use; once the file is fixed the next `current()` picks
    it up, without a restart.

    Args:
        path: the feeds file.

    Raises:
        ConfigError: the file cannot be loaded the first time.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_error: ConfigError | None = None
        signature = _signature(path)
        self._feeds = load_feeds(path)
        self._signature = signature
        self._failed: tuple[int, ...] | None = None

    def current(self) -> list[FeedSpec]:
        """The feeds: re-read if the file's mtime, size or inode changed, else the cached list.

        Returns:
            The feeds of the file's latest valid version.
        """
        signature = _signature(self.path)
        if signature == self._signature or signature == self._failed:
            return list(self._feeds)
        try:
            feeds = load_feeds(self.path)
        except ConfigError as exc:
            self._failed = signature
            self.last_error = exc
            logger.error(
                "%s\nkeeping the previous %d feeds until it is fixed", exc, len(self._feeds)
            )
            return list(self._feeds)
        self._feeds, self._signature = feeds, signature
        self._failed, self.last_error = None, None
        enabled = sum(1 for f in feeds if f.enabled)
        logger.info("%s: loaded %d feeds (%d enabled)", self.path, len(feeds), enabled)
        return list(self._feeds)


# --- editing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """A feeds file as read for editing."""

    raw: str | None  # the whole content, None when the file does not exist
    bom: str  # "\ufeff" or ""
    body: str  # the content after the BOM

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.body else "\n"


def _read_for_edit(path: Path, *, missing_ok: bool = False) -> _Text:
    if missing_ok and not path.exists():
        return _Text(None, "", "")
    raw = _read_text(path)
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    return _Text(raw, bom, raw.removeprefix(bom))


def _parse_for_edit(path: Path, text: _Text) -> tuple[list[FeedSpec], _Defaults, _Layout]:
    try:
        return _parse(text.body, str(path))
    except FeedsFileError as exc:
        raise FeedsFileError(
            exc.problems, headline=f"{path} has problems; fix them before editing it:"
        ) from exc


def _check_result(
    path: Path, new_body: str, expected: Sequence[FeedSpec] | None = None
) -> list[FeedSpec]:
    try:
        feeds = _parse(new_body, str(path))[0]
    except FeedsFileError as exc:
        raise FeedsFileError(
            exc.problems, headline=f"{path}: edit refused, the result would be invalid:"
        ) from exc
    if expected is not None and feeds != list(expected):
        raise ConfigError(f"{path}: edit refused, the result would not read back as intended")
    return feeds


def _replace_file(path: Path, text: _Text, new_body: str) -> None:
    """Write `new_body` (with the original BOM) to `path` atomically, if it has not changed."""
    target = Path(os.path.realpath(path))
    try:
        now = target.read_bytes().decode("utf-8")
    except FileNotFoundError:
        now = None
    except (OSError, UnicodeDecodeError):
        now = ""
    if now != text.raw:
        raise ConfigError(f"{path} changed while it was being edited; nothing written, try again")
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if text.raw is not None else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text.bom + new_body)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _toml(value: str | bool | Sequence[str]) -> str:
    if isinstance(value, str | bool):
        return tomlkit.item(value).as_string()
    return tomlkit.item(list(value)).as_string()


def _feed_table(spec: FeedSpec, defaults: _Defaults, newline: str) -> str:
    """A [[feed]] table with the URL and every key whose value is not the default."""
    language = spec.language.strip().lower() if spec.language else None
    lines = ["[[feed]]", f"url = {_toml(spec.url)}"]
    if spec.name.strip() and spec.name.strip() != default_name(spec.url):
        lines.append(f"name = {_toml(spec.name.strip())}")
    if language and language != defaults.language:
        lines.append(f"language = {_toml(language)}")
    if spec.country:
        lines.append(f"country = {_toml(spec.country.strip().upper())}")
    if spec.tags:
        lines.append(f"tags = {_toml(spec.tags)}")
    if spec.interval != defaults.interval:
        lines.append(f"interval = {_toml(format_interval(spec.interval))}")
    if spec.enabled != defaults.enabled:
        lines.append(f"enabled = {_toml(spec.enabled)}")
    if spec.fulltext != defaults.fulltext:
        lines.append(f"fulltext = {_toml(spec.fulltext)}")
    return newline.join(lines) + newline


def add_feed(path: Path, spec: FeedSpec) -> FeedSpec:
    """Append a `[[feed]]` table for `spec` to the end of the file, writing only non-default keys.

    The file is created if it does not exist. An empty `spec.name` means the
    default (the host).

    Args:
        path: the feeds file.
        spec: the feed to add.

    Returns:
        The feed as the file now yields it (defaults applied, codes normalised).

    Raises:
        ConfigError: the URL is already in the file, the file is invalid, or
            the new table would be (e.g. a bad language code); nothing is written.
    """
    text = _read_for_edit(path, missing_ok=True)
    feeds, defaults, _ = _parse_for_edit(path, text)
    for i, feed in enumerate(feeds):
        if _url_key(feed.url) == _url_key(spec.url):
            raise ConfigError(
                f'{path}: feed "{feed.name}" (#{i + 1}) already has the URL {spec.url}'
            )
    nl = text.newline
    body = text.body
    if body and not body.endswith("\n"):
        body += nl
    if body.strip() and not body.endswith(nl + nl):
        body += nl
    body += _feed_table(spec, defaults, nl)
    new_feeds = _check_result(path, body)
    if new_feeds[:-1] != feeds or len(new_feeds) != len(feeds) + 1 or new_feeds[-1].url != spec.url:
        raise ConfigError(f"{path}: edit refused, the result would not read back as intended")
    _replace_file(path, text, body)
    return new_feeds[-1]


def _require_tables(path: Path, layout: _Layout, feeds: Sequence[FeedSpec]) -> None:
    if len(layout.feed_headers) != len(feeds):
        raise ConfigError(
            f"{path}: feeds are not all written as [[feed]] tables; edit this file by hand"
        )


def _feed_span(layout: _Layout, index: int) -> tuple[int, int]:
    """The 0-based line range [start, end) of the index-th [[feed]] table with its own comments.

    A comment block directly above the header belongs to the table when a blank
    line (or the start of the file) sets it apart from what comes before; a
    comment block directly below the table's last key belongs to it when a
    blank line (or the end of the file) follows. A block touching two tables
    belongs to neither and stays, as do blank lines and set-apart comments.
    """
    kinds = layout.kinds
    header = layout.feed_headers[index]
    start = header
    while start > 0 and kinds[start - 1].kind == "comment":
        start -= 1
    if start > 0 and kinds[start - 1].kind != "blank":
        start = header
    following = layout.next_header(header)
    end = header + 1
    for i in range(header + 1, following):
        if kinds[i].kind in ("key", "more"):
            end = i + 1
    after = end
    while after < following and kinds[after].kind == "comment":
        after += 1
    if after == len(kinds) or kinds[after].kind == "blank":
        end = after
    return start, end


def remove_feed(path: Path, key: str) -> FeedSpec:
    """Remove the feed named by `key` (its URL or name) with the comments directly above it.

    Args:
        path: the feeds file.
        key: the feed's URL or name.

    Returns:
        The removed feed.

    Raises:
        ConfigError: no feed or several feeds match `key` (the message lists
            candidates), or the file is invalid; nothing is written.
    """
    text = _read_for_edit(path)
    feeds, _, layout = _parse_for_edit(path, text)
    index = find_feed(feeds, key, source=str(path))
    _require_tables(path, layout, feeds)
    start, end = _feed_span(layout, index)
    lines = layout.lines
    blank = {i for i, k in enumerate(layout.kinds) if k.kind == "blank"}
    if end == len(lines):
        while start > 0 and start - 1 in blank:
            start -= 1
    elif start == 0 or start - 1 in blank:
        while end < len(lines) and end in blank:
            end += 1
    body = "".join(lines[:start] + lines[end:])
    _check_result(path, body, [*feeds[:index], *feeds[index + 1 :]])
    _replace_file(path, text, body)
    return feeds[index]


_ENABLED_RE = re.compile(r"""^(\s*(?:enabled|"enabled"|'enabled')\s*=\s*)(true|false)""")


def set_enabled(path: Path, key: str, enabled: bool) -> FeedSpec:
    """Enable or disable the feed named by `key` (its URL or name), changing one line.

    An existing `enabled = ...` line gets the new value in place; otherwise a
    line is added after the table's last key. A feed already in that state
    leaves the file untouched.

    Args:
        path: the feeds file.
        key: the feed's URL or name.
        enabled: the new state.

    Returns:
        The feed as the file now yields it.

    Raises:
        ConfigError: no feed or several feeds match `key`, or the file is invalid.
    """
    text = _read_for_edit(path)
    feeds, _, layout = _parse_for_edit(path, text)
    index = find_feed(feeds, key, source=str(path))
    if feeds[index].enabled == enabled:
        return feeds[index]
    _require_tables(path, layout, feeds)
    header = layout.feed_headers[index]
    lines = list(layout.lines)
    value = _toml(enabled)
    last_key = header
    for i in range(header + 1, layout.next_header(header)):
        kind = layout.kinds[i]
        if kind.kind == "key" and kind.path == ("enabled",):
            new_line, count = _ENABLED_RE.subn(lambda m: m.group(1) + value, lines[i], count=1)
            if not count:
                raise ConfigError(
                    f"{path}:{i + 1}: cannot rewrite this 'enabled' line; edit by hand"
                )
            lines[i] = new_line
            break
        if kind.kind in ("key", "more"):
            last_key = i
    else:
        previous = lines[last_key]
        if last_key == header:
            indent = ""
        else:
            start = last_key
            while layout.kinds[start].kind == "more":
                start -= 1
            indent = lines[start][: len(lines[start]) - len(lines[start].lstrip(" \t"))]
        if not previous.endswith("\n"):
            lines[last_key] = previous + text.newline
        lines.insert(last_key + 1, f"{indent}enabled = {value}{text.newline}")
    body = "".join(lines)
    expected = [*feeds]
    expected[index] = replace(feeds[index], enabled=enabled)
    _check_result(path, body, expected)
    _replace_file(path, text, body)
    return expected[index]
