"""Load and validate the topic taxonomy (topics.toml); topic slugs are a fixed contract.

The file has one ``[relevance]`` and one ``[cooperation]`` table (the two binary labels)
and one ``[[topic]]`` table per topic. Each carries a description and example sentences
per language, which the classifier backends embed; see docs/taxonomy.md.

`parse_taxonomy` is pure (text in, `Taxonomy` out); `load_taxonomy` reads a file.
Every problem in a file is reported at once, as ``file:line: reason``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from classifiers.errors import Problem, TaxonomyError
from classifiers.toml_layout import Layout

BUNDLED_NAME = "topics.toml"
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# ISO 639-1 (or 639-2/3 when there is no 639-1 code), optionally with a script/region subtag.
LANGUAGE_KEY_RE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")

TOPIC_KEYS = frozenset({"slug", "name", "name_ko", "description", "examples", "negatives", "names"})
LABEL_KEYS = frozenset({"description", "examples", "negatives"})
TOP_LEVEL_KEYS = frozenset({"relevance", "cooperation", "topic"})
MIN_NAME_CHARS = 2  # a one-letter "name" would match everywhere

Examples = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class LabelSpec:
    """What a binary label (`relevance`, `cooperation`) means, for the classifier.

    Attributes:
        name: ``"relevance"`` or ``"cooperation"``.
        description: One paragraph in English.
        examples: Language code -> positive example sentences or headlines.
        negatives: Hard negatives (texts that look close but are not the label).
    """

    name: str
    description: str
    examples: Examples = field(hash=False)
    negatives: tuple[str, ...] = ()

    @property
    def all_examples(self) -> tuple[str, ...]:
        """Every positive example, languages in file order."""
        return tuple(text for texts in self.examples.values() for text in texts)


@dataclass(frozen=True)
class Topic:
    """One topic of the taxonomy.

    Attributes:
        slug: Stable identifier (``^[a-z][a-z0-9_]*$``), stored and sent to subscribers.
        name: English label.
        name_ko: Korean label for the bot (the English label when not given).
        description: One paragraph in English.
        examples: Language code -> positive example sentences or headlines.
        negatives: Hard negatives (texts that look close but are not the topic).
        names: Language code -> names and acronyms that name the topic outright
            (``"universal health coverage"``, ``"UHC"``, ``"全民健康覆盖"``); a text that
            contains one is about the topic (see `classifiers.mentions`).
    """

    slug: str
    name: str
    name_ko: str
    description: str
    examples: Examples = field(hash=False)
    negatives: tuple[str, ...] = ()
    names: Examples = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def all_names(self) -> tuple[str, ...]:
        """Every listed name, languages in file order."""
        return tuple(text for texts in self.names.values() for text in texts)

    @property
    def all_examples(self) -> tuple[str, ...]:
        """Every positive example, languages in file order."""
        return tuple(text for texts in self.examples.values() for text in texts)


@dataclass(frozen=True)
class Taxonomy:
    """The topics in file order plus the two binary label specs."""

    topics: tuple[Topic, ...]
    relevance: LabelSpec
    cooperation: LabelSpec

    @property
    def slugs(self) -> tuple[str, ...]:
        """Topic slugs in file order."""
        return tuple(topic.slug for topic in self.topics)

    def get(self, slug: str) -> Topic | None:
        """The topic with this slug, or None."""
        for topic in self.topics:
            if topic.slug == slug:
                return topic
        return None

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics)

    def __len__(self) -> int:
        return len(self.topics)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file.

    Args:
        path: A topics.toml; None reads the one bundled with the package.

    Returns:
        The validated taxonomy.

    Raises:
        TaxonomyError: The file cannot be read or is invalid (every problem listed).
    """
    if path is None:
        source = BUNDLED_NAME
        try:
            text = resources.files("classifiers").joinpath(BUNDLED_NAME).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TaxonomyError([Problem(source, None, f"cannot read: {exc}")]) from exc
        return parse_taxonomy(text, source)
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TaxonomyError([Problem(source, None, f"not UTF-8 text: {exc}")]) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise TaxonomyError([Problem(source, None, f"cannot read: {reason}")]) from exc
    return parse_taxonomy(text, source)


def parse_taxonomy(text: str, source: str) -> Taxonomy:
    """Validate the text of a topics.toml and build the taxonomy.

    Args:
        text: The TOML text.
        source: Name used in error messages (usually the file path).

    Returns:
        The validated taxonomy.

    Raises:
        TaxonomyError: Syntax error, or every semantic problem found.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise TaxonomyError([Problem(source, line, f"TOML syntax error: {reason}")]) from exc
    checker = _Checker(text, source)
    taxonomy = checker.check(data)
    if checker.problems or taxonomy is None:
        raise TaxonomyError(checker.problems)
    return taxonomy


class _Checker:
    """Collects every problem of one file while building the taxonomy."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = Layout.of(text)
        self.problems: list[Problem] = []

    def problem(self, line: int | None, reason: str) -> None:
        self.problems.append(Problem(self.source, line, reason))

    def check(self, data: Mapping[str, object]) -> Taxonomy | None:
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                line = self.lines.table_line(key) or self._top_key_line(key)
                self.problem(line, f"unknown top-level key {key!r} ({_expected(TOP_LEVEL_KEYS)})")
        relevance = self._label(data, "relevance")
        cooperation = self._label(data, "cooperation")
        topics = self._topics(data.get("topic"))
        if relevance is None or cooperation is None or self.problems:
            return None
        return Taxonomy(topics=topics, relevance=relevance, cooperation=cooperation)

    def _top_key_line(self, key: str) -> int | None:
        return self.lines.root_key_line((key,))

    def _label(self, data: Mapping[str, object], name: str) -> LabelSpec | None:
        raw = data.get(name)
        if raw is None:
            self.problem(None, f"missing [{name}] table (description and examples of the label)")
            return None
        header = self.lines.table_line(name) or self._top_key_line(name)
        if not isinstance(raw, dict):
            self.problem(header, f"{name!r} must be a table: [{name}]")
            return None
        where = f"[{name}]"
        for key in raw:
            if key not in LABEL_KEYS:
                line = self.lines.key_line(name, None, key)
                self.problem(line, f"{where}: unknown key {key!r} ({_expected(LABEL_KEYS)})")
        description = self._description(raw, where, lambda *p: self.lines.key_line(name, None, *p))
        examples = self._examples(raw, where, lambda *p: self.lines.key_line(name, None, *p))
        negatives = self._negatives(raw, where, lambda *p: self.lines.key_line(name, None, *p))
        if description is None or examples is None or negatives is None:
            return None
        return LabelSpec(name, description, examples, negatives)

    def _topics(self, raw: object) -> tuple[Topic, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(
                self.lines.table_line("topic"), "'topic' must be an array of tables: [[topic]]"
            )
            return ()
        topics: list[Topic] = []
        first_line: dict[str, int | None] = {}
        for index, entry in enumerate(raw):
            header = self.lines.table_line("topic", index)
            if not isinstance(entry, dict):
                self.problem(header, f"topic #{index + 1} must be a table: [[topic]]")
                continue
            topic = self._topic(index, entry, header, first_line)
            if topic is not None:
                topics.append(topic)
        return tuple(topics)

    def _topic(
        self,
        index: int,
        entry: Mapping[str, object],
        header: int | None,
        first_line: dict[str, int | None],
    ) -> Topic | None:
        def line_of(*path: str) -> int | None:
            return self.lines.key_line("topic", index, *path)

        before = len(self.problems)
        slug = entry.get("slug")
        if isinstance(slug, str) and slug:
            where = f"topic {slug!r}"
        else:
            where = f"topic #{index + 1}"
        for key in entry:
            if key not in TOPIC_KEYS:
                reason = f"{where}: unknown key {key!r} ({_expected(TOPIC_KEYS)})"
                self.problem(line_of(key), reason)
        if slug is None:
            self.problem(header, f"{where}: missing 'slug'")
        elif not isinstance(slug, str) or not SLUG_RE.match(slug):
            self.problem(
                line_of("slug"),
                f"{where}: bad slug {slug!r}: use lowercase letters, digits and '_', "
                "starting with a letter (e.g. 'digital_health')",
            )
        elif slug in first_line:
            earlier = first_line[slug]
            at = f" (first defined at line {earlier})" if earlier is not None else ""
            self.problem(line_of("slug"), f"{where}: duplicate slug{at}")
        else:
            first_line[slug] = line_of("slug")
        name = self._string(entry, "name", where, line_of, required=True)
        name_ko = self._string(entry, "name_ko", where, line_of, required=False)
        description = self._description(entry, where, line_of)
        examples = self._examples(entry, where, line_of)
        negatives = self._negatives(entry, where, line_of)
        names = self._names(entry, where, line_of)
        if len(self.problems) > before:
            return None
        assert isinstance(slug, str) and name is not None
        assert description is not None and examples is not None and negatives is not None
        return Topic(
            slug=slug,
            name=name,
            name_ko=name_ko or name,
            description=description,
            examples=examples,
            negatives=negatives,
            names=names or MappingProxyType({}),
        )

    def _names(self, table: Mapping[str, object], where: str, line_of: _LineOf) -> Examples | None:
        """Optional `names`: language -> names or acronyms, each at least two characters."""
        value = table.get("names")
        if value is None:
            return None
        parsed = self._language_lists(value, where, "names", line_of)
        if parsed is None:
            return None
        for language, texts in parsed.items():
            for position, text in enumerate(texts, start=1):
                if len(text) < MIN_NAME_CHARS:
                    self.problem(
                        line_of("names", language),
                        f"{where}: names.{language}[{position}] {text!r} is too short to name "
                        f"a topic (at least {MIN_NAME_CHARS} characters)",
                    )
        return parsed

    def _string(
        self,
        table: Mapping[str, object],
        key: str,
        where: str,
        line_of: _LineOf,
        *,
        required: bool,
    ) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(line_of(), f"{where}: missing {key!r}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(line_of(key), f"{where}: {key!r} must be a non-empty string")
            return None
        return value.strip()

    def _description(self, table: Mapping[str, object], where: str, line_of: _LineOf) -> str | None:
        value = table.get("description")
        if value is None:
            self.problem(line_of(), f"{where}: missing 'description' (one paragraph in English)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(line_of("description"), f"{where}: 'description' is empty")
            return None
        return " ".join(value.split())

    def _examples(
        self, table: Mapping[str, object], where: str, line_of: _LineOf
    ) -> Examples | None:
        value = table.get("examples")
        if value is None:
            self.problem(
                line_of(),
                f"{where}: no examples: add an [examples] table of language -> list of sentences",
            )
            return None
        parsed = self._language_lists(value, where, "examples", line_of)
        if parsed is None:
            return None
        if not any(parsed.values()):
            self.problem(line_of("examples"), f"{where}: no examples: every list is empty")
            return None
        return parsed

    def _negatives(
        self, table: Mapping[str, object], where: str, line_of: _LineOf
    ) -> tuple[str, ...] | None:
        value = table.get("negatives")
        if value is None:
            return ()
        if isinstance(value, list):
            texts = self._strings(value, where, "negatives", line_of("negatives"))
            return texts
        parsed = self._language_lists(value, where, "negatives", line_of)
        if parsed is None:
            return None
        return tuple(text for texts in parsed.values() for text in texts)

    def _language_lists(
        self, value: object, where: str, key: str, line_of: _LineOf
    ) -> Examples | None:
        if not isinstance(value, dict):
            self.problem(
                line_of(key),
                f"{where}: {key!r} must be a table of language -> list of strings, "
                f'e.g. {key}.en = ["..."]',
            )
            return None
        result: dict[str, tuple[str, ...]] = {}
        ok = True
        for language, texts in value.items():
            line = line_of(key, language)
            if not LANGUAGE_KEY_RE.match(language):
                self.problem(
                    line, f"{where}: {key}: {language!r} is not a language code (e.g. 'en', 'ko')"
                )
                ok = False
                continue
            if not isinstance(texts, list):
                self.problem(line, f"{where}: {key}.{language} must be a list of strings")
                ok = False
                continue
            strings = self._strings(texts, where, f"{key}.{language}", line)
            if strings is None:
                ok = False
                continue
            result[language] = strings
        return MappingProxyType(result) if ok else None

    def _strings(
        self, values: list[object], where: str, key: str, line: int | None
    ) -> tuple[str, ...] | None:
        texts: list[str] = []
        for position, text in enumerate(values, start=1):
            if not isinstance(text, str):
                self.problem(line, f"{where}: {key}[{position}] must be a string, not {text!r}")
                return None
            if not text.strip():
                self.problem(line, f"{where}: {key}[{position}] is empty")
                return None
            texts.append(" ".join(text.split()))
        return tuple(texts)


class _LineOf(Protocol):
    """A line finder: the line where a key path of the current table is set."""

    def __call__(self, *path: str) -> int | None: ...


def _expected(keys: frozenset[str]) -> str:
    return "expected one of: " + ", ".join(sorted(keys))
