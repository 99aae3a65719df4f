"""Load and validate the data files of cooperation events: events.toml, organisations.toml
and places.toml (event type ids and organisation ids are fixed contracts).

Each parser is pure (text in, records out); the loaders read the bundled file or a path.
Every problem in a file is reported at once, as ``file:line: reason``, like topics.toml.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from classifiers.errors import EventDataError, Problem, did_you_mean
from classifiers.toml_layout import Layout

EVENTS_FILE = "events.toml"
ORGANISATIONS_FILE = "organisations.toml"
PLACES_FILE = "places.toml"
EVENT_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ORGANISATION_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
LANGUAGE_KEY_RE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
MIN_PHRASE_CHARS = 2  # a one-letter phrase would match everywhere
MAX_PHRASE_CHARS = 200

Phrases = Mapping[str, tuple[str, ...]]  # language -> phrases


@dataclass(frozen=True)
class EventType:
    """One event type: `triggers` are the phrases that report it, by language."""

    id: str
    name: str
    name_ko: str
    description: str
    triggers: Phrases = field(hash=False)
    # phrases that report the event only when nothing stronger is reported ("agreed": an
    # agreement, unless the item reports the meeting where it was agreed)
    weak: Phrases = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def all_triggers(self) -> tuple[str, ...]:
        return tuple(text for texts in self.triggers.values() for text in texts)

    @property
    def all_weak(self) -> tuple[str, ...]:
        return tuple(text for texts in self.weak.values() for text in texts)


@dataclass(frozen=True)
class Organisation:
    """One organisation: its names by language, and the ids it implies (APT -> ASEAN)."""

    id: str
    name: str
    names: Phrases = field(hash=False)
    includes: tuple[str, ...] = ()
    # ids this one stands in for when both are named: "ASEAN, China, Japan and Korea" is
    # ASEAN Plus Three, not also the China-Japan-Korea mechanism
    hides: tuple[str, ...] = ()

    @property
    def all_names(self) -> tuple[str, ...]:
        return tuple(text for texts in self.names.values() for text in texts)


@dataclass(frozen=True)
class Place:
    """A city or venue: the `name` printed, its country and its spellings."""

    name: str
    country: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    """The records of one file plus its ignored phrases (any language)."""

    events: tuple[EventType, ...] = ()
    organisations: tuple[Organisation, ...] = ()
    places: tuple[Place, ...] = ()
    ignore: tuple[str, ...] = ()


def load_events(path: Path | None = None) -> Catalogue:
    """events.toml (the bundled one when `path` is None), validated."""
    return parse_events(*_read(path, EVENTS_FILE))


def load_organisations(path: Path | None = None) -> Catalogue:
    """organisations.toml (the bundled one when `path` is None), validated."""
    return parse_organisations(*_read(path, ORGANISATIONS_FILE))


def load_places(path: Path | None = None) -> Catalogue:
    """places.toml (the bundled one when `path` is None), validated."""
    return parse_places(*_read(path, PLACES_FILE))


def bundled_text(name: str) -> str:
    """The text of a bundled data file (for cache keys)."""
    return resources.files("classifiers").joinpath(name).read_text("utf-8")


def _read(path: Path | None, bundled: str) -> tuple[str, str]:
    if path is None:
        try:
            return bundled_text(bundled), bundled
        except (OSError, UnicodeDecodeError) as exc:
            raise EventDataError([Problem(bundled, None, f"cannot read: {exc}")]) from exc
    try:
        return Path(path).read_text(encoding="utf-8"), str(path)
    except UnicodeDecodeError as exc:
        raise EventDataError([Problem(str(path), None, f"not UTF-8 text: {exc}")]) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise EventDataError([Problem(str(path), None, f"cannot read: {reason}")]) from exc


def parse_events(text: str, source: str) -> Catalogue:
    """Validate the text of an events.toml."""
    checker = _Checker(text, source)
    entries = checker.entries("event", {"id", "name", "name_ko", "description", "triggers", "weak"})
    events = []
    for index, entry in entries:
        line_of = checker.line_finder("event", index)
        where = checker.where("event", index, entry.get("id"))
        event_id = checker.identifier(entry, where, line_of, EVENT_ID_RE, "e.g. 'agreement'")
        name = checker.string(entry, "name", where, line_of, required=True)
        name_ko = checker.string(entry, "name_ko", where, line_of, required=False)
        description = checker.string(entry, "description", where, line_of, required=True)
        triggers = checker.phrases(entry, "triggers", where, line_of, required=True)
        weak = checker.phrases(entry, "weak", where, line_of, required=False)
        if event_id and name and description and triggers is not None:
            events.append(
                EventType(
                    event_id,
                    name,
                    name_ko or name,
                    " ".join(description.split()),
                    triggers,
                    weak or MappingProxyType({}),
                )
            )
    checker.no_shared_phrases({e.id: e.all_triggers for e in events}, "event", allow=True)
    return _checked(Catalogue(events=tuple(events), ignore=checker.ignore()), checker)


def parse_organisations(text: str, source: str) -> Catalogue:
    """Validate the text of an organisations.toml."""
    checker = _Checker(text, source)
    entries = checker.entries("organisation", {"id", "name", "names", "includes", "hides"})
    organisations = []
    references: dict[str, list[tuple[str, tuple[str, ...], int | None]]] = {}
    for index, entry in entries:
        line_of = checker.line_finder("organisation", index)
        where = checker.where("organisation", index, entry.get("id"))
        org_id = checker.identifier(entry, where, line_of, ORGANISATION_ID_RE, "e.g. 'WHO'")
        name = checker.string(entry, "name", where, line_of, required=True)
        names = checker.phrases(entry, "names", where, line_of, required=True)
        includes = checker.string_list(entry, "includes", where, line_of)
        hides = checker.string_list(entry, "hides", where, line_of)
        if org_id and name and names is not None and includes is not None and hides is not None:
            organisations.append(Organisation(org_id, name, names, includes, hides))
            references[org_id] = [
                ("includes", includes, line_of("includes")),
                ("hides", hides, line_of("hides")),
            ]
    known = {o.id for o in organisations}
    for org_id, lists in references.items():
        for key, ids, line in lists:
            for other in ids:
                if other not in known:
                    hint = did_you_mean(other, known)
                    checker.problem(
                        line,
                        f"organisation {org_id!r}: {key} unknown organisation {other!r}{hint}",
                    )
    checker.no_shared_phrases({o.id: o.all_names for o in organisations}, "organisation")
    return _checked(Catalogue(organisations=tuple(organisations), ignore=checker.ignore()), checker)


def parse_places(text: str, source: str) -> Catalogue:
    """Validate the text of a places.toml."""
    checker = _Checker(text, source)
    entries = checker.entries("place", {"name", "country", "names"}, key="name")
    places = []
    for index, entry in entries:
        line_of = checker.line_finder("place", index)
        where = checker.where("place", index, entry.get("name"))
        name = checker.string(entry, "name", where, line_of, required=True)
        country = checker.string(entry, "country", where, line_of, required=True)
        if country is not None and not COUNTRY_RE.match(country):
            checker.problem(
                line_of("country"),
                f"{where}: country {country!r} is not an ISO 3166-1 alpha-2 code (e.g. 'KR')",
            )
            country = None
        names = checker.string_list(entry, "names", where, line_of, required=True)
        if name and country and names:
            places.append(Place(name, country, tuple(dict.fromkeys((name, *names)))))
    checker.no_shared_phrases({p.name: p.names for p in places}, "place")
    return _checked(Catalogue(places=tuple(places), ignore=checker.ignore()), checker)


def _checked(catalogue: Catalogue, checker: _Checker) -> Catalogue:
    """The catalogue, or every problem found in its file."""
    if checker.problems:
        raise EventDataError(checker.problems)
    return catalogue


class _Checker:
    """Collects every problem of one file while reading it."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        try:
            self.data: Mapping[str, object] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            match = re.search(r"\(at line (\d+), column \d+\)", message)
            line = int(match.group(1)) if match else None
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
            raise EventDataError([Problem(source, line, f"TOML syntax error: {reason}")]) from exc
        self.lines = Layout.of(text)
        self.first_line: dict[str, int | None] = {}

    def problem(self, line: int | None, reason: str) -> None:
        self.problems.append(Problem(self.source, line, reason))

    def entries(
        self, table: str, keys: set[str], *, key: str = "id"
    ) -> list[tuple[int, Mapping[str, object]]]:
        """The [[table]] entries that are tables; unknown top-level and entry keys reported."""
        allowed_top = {table, "ignore"}
        for top in self.data:
            if top not in allowed_top:
                line = self.lines.table_line(top) or self.lines.root_key_line((top,))
                hint = did_you_mean(top, allowed_top) or f" ({_expected(allowed_top)})"
                self.problem(line, f"unknown top-level key {top!r}{hint}")
        raw = self.data.get(table)
        if raw is None:
            self.problem(None, f"no [[{table}]] tables")
            return []
        if not isinstance(raw, list):
            self.problem(self.lines.table_line(table), f"{table!r} must be [[{table}]] tables")
            return []
        found: list[tuple[int, Mapping[str, object]]] = []
        for index, entry in enumerate(raw):
            if not isinstance(entry, dict):
                self.problem(
                    self.lines.table_line(table, index), f"{table} #{index + 1}: not a table"
                )
                continue
            where = self.where(table, index, entry.get(key))
            for name in entry:
                if name not in keys:
                    hint = did_you_mean(name, keys) or f" ({_expected(keys)})"
                    self.problem(
                        self.lines.key_line(table, index, name),
                        f"{where}: unknown key {name!r}{hint}",
                    )
            found.append((index, entry))
        return found

    def line_finder(self, table: str, index: int) -> Callable[..., int | None]:
        def line_of(*path: str) -> int | None:
            if not path:
                return self.lines.table_line(table, index)
            return self.lines.key_line(table, index, *path) or self.lines.table_line(table, index)

        return line_of

    @staticmethod
    def where(table: str, index: int, key: object) -> str:
        return f"{table} {key!r}" if isinstance(key, str) and key else f"{table} #{index + 1}"

    def identifier(
        self,
        entry: Mapping[str, object],
        where: str,
        line_of: Callable[..., int | None],
        pattern: re.Pattern[str],
        example: str,
    ) -> str | None:
        value = entry.get("id")
        if value is None:
            self.problem(line_of(), f"{where}: missing 'id'")
            return None
        if not isinstance(value, str) or not pattern.match(value):
            self.problem(line_of("id"), f"{where}: bad id {value!r} ({example})")
            return None
        if value in self.first_line:
            earlier = self.first_line[value]
            at = f" (first defined at line {earlier})" if earlier is not None else ""
            self.problem(line_of("id"), f"{where}: duplicate id{at}")
            return None
        self.first_line[value] = line_of("id")
        return value

    def string(
        self,
        entry: Mapping[str, object],
        key: str,
        where: str,
        line_of: Callable[..., int | None],
        *,
        required: bool,
    ) -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.problem(line_of(), f"{where}: missing {key!r}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(line_of(key), f"{where}: {key!r} must be a non-empty string")
            return None
        return value.strip()

    def string_list(
        self,
        entry: Mapping[str, object],
        key: str,
        where: str,
        line_of: Callable[..., int | None],
        *,
        required: bool = False,
    ) -> tuple[str, ...] | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.problem(line_of(), f"{where}: missing {key!r} (a list of strings)")
                return None
            return ()
        if not isinstance(value, list):
            self.problem(line_of(key), f"{where}: {key!r} must be a list of strings")
            return None
        return self._texts(value, where, key, line_of(key))

    def phrases(
        self,
        entry: Mapping[str, object],
        key: str,
        where: str,
        line_of: Callable[..., int | None],
        *,
        required: bool,
    ) -> Phrases | None:
        """A table of language -> list of phrases, e.g. ``triggers.ko = ["양해각서"]``."""
        value = entry.get(key)
        if value is None:
            if required:
                self.problem(
                    line_of(), f"{where}: missing {key!r} (a table of language -> phrases)"
                )
            return None
        return self._language_table(value, where, key, lambda *p: line_of(key, *p))

    def ignore(self) -> tuple[str, ...]:
        value = self.data.get("ignore")
        if value is None:
            return ()
        table = self._language_table(
            value, "[ignore]", "ignore", lambda *p: self.lines.key_line("ignore", None, *p)
        )
        return tuple(t for texts in (table or {}).values() for t in texts)

    def _language_table(
        self, value: object, where: str, key: str, line_of: Callable[..., int | None]
    ) -> Phrases | None:
        if not isinstance(value, dict):
            self.problem(
                line_of(),
                f"{where}: {key!r} must be a table of language -> list of strings, "
                'e.g. en = ["..."]',
            )
            return None
        result: dict[str, tuple[str, ...]] = {}
        ok = True
        for language, texts in value.items():
            line = line_of(language)
            if not LANGUAGE_KEY_RE.match(language):
                self.problem(
                    line, f"{where}: {key}: {language!r} is not a language code (e.g. 'ko')"
                )
                ok = False
            elif not isinstance(texts, list):
                self.problem(line, f"{where}: {key}.{language} must be a list of strings")
                ok = False
            else:
                parsed = self._texts(texts, where, f"{key}.{language}", line)
                ok = ok and parsed is not None
                result[language] = parsed or ()
        if ok and not any(result.values()):
            self.problem(line_of(), f"{where}: {key} has no phrases")
            ok = False
        return MappingProxyType(result) if ok else None

    def _texts(
        self, values: list[object], where: str, key: str, line: int | None
    ) -> tuple[str, ...] | None:
        texts: list[str] = []
        ok = True
        for position, text in enumerate(values, start=1):
            if not isinstance(text, str):
                self.problem(line, f"{where}: {key}[{position}] must be a string, not {text!r}")
                ok = False
                continue
            text = " ".join(text.split())
            if len(text) < MIN_PHRASE_CHARS:
                self.problem(
                    line,
                    f"{where}: {key}[{position}] {text!r} is too short: a phrase needs at "
                    f"least {MIN_PHRASE_CHARS} characters, or it matches everywhere",
                )
                ok = False
            elif len(text) > MAX_PHRASE_CHARS:
                self.problem(
                    line, f"{where}: {key}[{position}] is over {MAX_PHRASE_CHARS} characters"
                )
                ok = False
            else:
                texts.append(text)
        return tuple(dict.fromkeys(texts)) if ok else None

    def no_shared_phrases(
        self, phrases: Mapping[str, tuple[str, ...]], table: str, *, allow: bool = False
    ) -> None:
        """A name may stand for one organisation or place only (a trigger may report several
        event types: `allow`)."""
        if allow:
            return
        owner: dict[str, str] = {}
        for key, texts in phrases.items():
            for text in texts:
                other = owner.setdefault(text, key)
                if other != key:
                    self.problem(
                        None, f"{table} {key!r}: name {text!r} is also listed for {other!r}"
                    )


def _expected(keys: set[str]) -> str:
    return "expected one of: " + ", ".join(sorted(keys))
