"""feeds.toml's format and validation: text in, `FeedSpec`s out, every problem with its line."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from classifiers.errors import Problem, did_you_mean
from classifiers.toml_layout import Layout, split_lines
from monitor.codes import COUNTRY_CODES, COUNTRY_HINTS, LANGUAGE_CODES, LANGUAGE_HINTS
from monitor.durations import parse_interval
from monitor.errors import ConfigError
from monitor.filters import SOURCE_TYPES
from monitor.ingest.urls import canonical_url
from monitor.models import DEFAULT_INTERVAL, FeedSpec

DEFAULT_SOURCE = "feeds.toml"
TOP_LEVEL_KEYS = ("feed", "defaults")
FEED_KEYS = (
    "url",
    "name",
    "language",
    "country",
    "tags",
    "interval",
    "enabled",
    "fulltext",
    "source",
    "added_by",
)
MAX_ADDED_BY_CHARS = 100
DEFAULTS_KEYS = ("interval", "enabled", "fulltext", "language")
URL_SCHEMES = ("http", "https")

# --- errors ----------------------------------------------------------------------------------


class FeedsFileError(ConfigError):
    """A feeds file is invalid; `problems` lists every problem found, in line order."""

    def __init__(self, problems: Sequence[Problem], *, headline: str | None = None) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems]
        if headline is None and len(lines) > 1:
            headline = f"{self.problems[0].source}: {len(lines)} problems"
        super().__init__("\n".join([headline, *lines] if headline else lines))


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Defaults:
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


def default_name(url: str) -> str:
    """The name a feed gets when it has none: the URL's host (or the URL itself)."""
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def url_key(url: str) -> str:
    """The feed's canonical URL, to spot one feed written twice: host case, default port,
    tracking parameters, query order and fragment make no difference."""
    return canonical_url(url) or url


def name_key(name: str) -> str:
    """A name as logs and `feeds remove NAME` tell feeds apart: case and spacing aside."""
    return " ".join(name.split()).casefold()


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

    def __init__(self, source: str, layout: Layout) -> None:
        self.source = source
        self.layout = layout
        self.problems: list[Problem] = []

    def add(
        self,
        line: int | None,
        message: str,
        *,
        context: str = "",
        key: str | None = None,
        feed: int | None = None,
    ) -> None:
        self.problems.append(Problem(self.source, line, message, context, key, feed))

    def check(self, data: Mapping[str, object]) -> tuple[list[FeedSpec], Defaults]:
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                hint = did_you_mean(key, TOP_LEVEL_KEYS)
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
        names: dict[str, tuple[int, int | None, bool]] = {}
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
            first = firsts.setdefault(url_key(url), (number, name, url_line))
            if first[0] != number:
                where = f", line {first[2]}" if first[2] else ""
                self.add(
                    url_line,
                    f"{_show(url)} is already the URL of {_context(first[1], first[0])}{where}",
                    context=_context(name, number), key="url", feed=number,
                )  # fmt: skip
            elif spec is not None:
                if self._unique_name(spec, number, header, names, explicit="name" in entry):
                    specs.append(spec)
        return specs, defaults

    def _unique_name(
        self,
        spec: FeedSpec,
        number: int,
        header: int | None,
        names: dict[str, tuple[int, int | None, bool]],
        *,
        explicit: bool,
    ) -> bool:
        """Record `spec`'s name; a name already used by an earlier feed is a problem.

        Feeds without a name share their host's as a default (several news searches
        on one host): only a name written in the file must be unique.
        """
        line = self._line(header, ("feed",), "name")
        first = names.setdefault(name_key(spec.name), (number, line, explicit))
        if first[0] == number or not (explicit or first[2]):
            return True
        where = f", line {first[1]}" if first[1] else ""
        self.add(
            line,
            f"name {_show(spec.name)} is already used by feed #{first[0]}{where}: "
            "each feed needs its own name (logs and `monitor feeds remove NAME` use it)",
            context=_context(spec.name, number), key="name", feed=number,
        )  # fmt: skip
        return False

    def _line(self, header: int | None, table: tuple[str, ...], key: str | None) -> int | None:
        """Line of `key` in a table, else of the table's header or first mention."""
        line = None if key is None else self.layout.table_key_line(header, table, key)
        if line is None:
            line = header + 1 if header is not None else self.layout.root_key_line(table)
        return line

    def check_defaults(self, raw: object) -> Defaults:
        header = self.layout.header_of(("defaults",))
        where = "[defaults]"
        if not isinstance(raw, dict):
            line = self.layout.root_key_line(("defaults",))
            self.add(line, f"'defaults' must be a table, not {_type_name(raw)}")
            return Defaults()
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
                hint = did_you_mean(key, DEFAULTS_KEYS)
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
        return Defaults(interval, enabled, fulltext, language)

    def check_feed(
        self, number: int, header: int | None, entry: Mapping[str, object], defaults: Defaults
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
        added_by: str | None = None
        source: str | None = None
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
            elif key == "added_by":
                added_by, message = _check_added_by(value)
            elif key == "source":
                source, message = _check_source(value)
            elif key in ("enabled", "fulltext"):
                message = _check_bool(value)
                if isinstance(value, bool) and key == "enabled":
                    enabled = value
                elif isinstance(value, bool):
                    fulltext = value
            else:
                hint = did_you_mean(key, FEED_KEYS)
                line = self._line(header, ("feed",), key)
                self.add(line, f"unknown key '{key}'{hint}", context=context, feed=number)
                ok = False
            if message:
                problem(key, message)
        if not ok or not isinstance(url, str) or name is None:
            return None
        return FeedSpec(
            url, name, language, country, tags, interval, enabled, fulltext, added_by, source
        )


def _check_added_by(value: object) -> tuple[str | None, str | None]:
    """(value, problem) of ``added_by``: who added the feed from outside (it stays guarded)."""
    if not isinstance(value, str):
        return None, f'must be a string like "telegram:12345", not {_type_name(value)}'
    if not value.strip() or len(value) > MAX_ADDED_BY_CHARS:
        return None, f"must be 1 to {MAX_ADDED_BY_CHARS} characters (remove the key to trust it)"
    return value.strip(), None


def _check_source(value: object) -> tuple[str | None, str | None]:
    """(source type, problem) of ``source``: one of `SOURCE_TYPES`, spelt exactly."""
    choices = ", ".join(SOURCE_TYPES)
    if not isinstance(value, str):
        return None, f"must be a string, one of {choices}; not {_type_name(value)}"
    if value in SOURCE_TYPES:
        return value, None
    folded = value.strip().casefold().replace("-", "_").replace(" ", "_")
    hint = f'; use "{folded}"' if folded in SOURCE_TYPES else did_you_mean(folded, SOURCE_TYPES)
    return None, f"{_show(value)} is not a source type{hint} (one of {choices})"


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


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str, source: str) -> Problem:
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        reason = message[: match.start()]
        return Problem(
            source, int(match.group(1)), f"invalid TOML (column {match.group(2)}): {reason}"
        )
    match = re.search(r"\s*\(at end of document\)$", message)
    if match:
        line = len(split_lines(text)) or 1
        return Problem(source, line, f"invalid TOML (at end of file): {message[: match.start()]}")
    return Problem(source, None, f"invalid TOML: {message}")


def parse_with_layout(text: str, source: str) -> tuple[list[FeedSpec], Defaults, Layout]:
    body = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(body)
    except tomllib.TOMLDecodeError as exc:
        raise FeedsFileError([_syntax_problem(exc, body, source)]) from exc
    layout = Layout.of(body)
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
    return parse_with_layout(text, source)[0]


def load_feeds(path: Path) -> list[FeedSpec]:
    """Read and parse a feeds.toml.

    Args:
        path: the file.

    Returns:
        The feeds, as `parse_feeds` returns them.

    Raises:
        FeedsFileError: the file is missing, unreadable, not UTF-8 or invalid.
    """
    return parse_feeds(read_text(path), source=str(path))


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise FeedsFileError(
            [Problem(str(path), None, "feeds file not found (set MONITOR_FEEDS or create it)")]
        ) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise FeedsFileError([Problem(str(path), None, f"cannot read: {reason}")]) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start]
        message = f"not valid UTF-8 (byte 0x{bad:02x}); save the file as UTF-8"
        raise FeedsFileError([Problem(str(path), line, message)]) from exc


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
        lambda f: url_key(f.url) == url_key(wanted),
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
