"""Country mentions in text -> ISO 3166-1 alpha-2 codes (data: gazetteer.csv).

gazetteer.csv has one alias per row, ``code,lang,name``:

- ``code`` is an alpha-2 code, several joined by ``+`` for a combined form that names
  more than one country (``한중일`` -> ``KR+CN+JP``), or ``-`` for a *stop phrase*: text
  that looks like a country name but is not one (``Indian Ocean``, ``发展中国家``
  "developing countries", ``Japanese encephalitis``). A stop phrase is matched like any
  alias and then ignored, so the shorter name inside it is not found either.
- ``lang`` is the ISO 639-1 code of the alias (``*`` when it is language-neutral); it
  documents the row and is not used for matching.
- ``name`` is matched exactly, case-sensitively (``Chile`` is not ``chili``, ``ROK``
  must be upper case). Latin-script names of four letters or more also match in ALL
  CAPS, apostrophes match in both ``'`` and ``’`` forms, and names written in lower case
  (``nước Anh``) also match with a capital first letter.

Matching scans left to right and takes the longest alias at each position, so
``Papua New Guinea`` beats ``Guinea``, ``印度尼西亚`` beats ``印度`` and ``North Korea``
beats ``Korea``. Names in spaced scripts (Latin, Vietnamese, Cyrillic, ...) must stand
on word boundaries (``Oman`` is not in ``woman``, ``India`` not in ``Indiana``);
Katakana names must not be glued to more Katakana (``タイ`` is not in ``タイプ``).
Chinese, Japanese Han, Korean and Thai names have no boundaries to check and rely on
longest-match and stop phrases. A combined form is dropped when a longer name starts
inside it (``其中美国`` "among them, the US" is ``US``, not ``中美`` China-US).

Text is compared in Unicode NFC; offsets returned refer to the text as given.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from classifiers.errors import GazetteerError, Problem

BUNDLED_NAME = "gazetteer.csv"
HEADER = ("code", "lang", "name")
STOP = "-"
CODE_RE = re.compile(r"^[A-Z]{2}(\+[A-Z]{2})*$")
LANG_RE = re.compile(r"^([a-z]{2,3}|\*)$")
UPPER_VARIANT_MIN = 4  # Latin names at least this long also match in ALL CAPS

_NONE, _WORD, _KATAKANA = 0, 1, 2


@dataclass(frozen=True)
class Alias:
    """One row of the gazetteer: a name and the countries it stands for.

    Attributes:
        name: The text to match.
        codes: ISO 3166-1 alpha-2 codes; empty for a stop phrase.
        lang: ISO 639-1 code of the name, or ``*``.
        line: Line in the CSV file (0 for generated variants).
    """

    name: str
    codes: tuple[str, ...]
    lang: str = "*"
    line: int = 0


@dataclass(frozen=True)
class _Entry:
    codes: tuple[str, ...]
    left: int  # boundary rule at the first character
    right: int  # boundary rule at the last character
    compound: bool  # names several countries (e.g. 中日韩)


class _Node:
    __slots__ = ("children", "entry")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entry: _Entry | None = None


class Gazetteer:
    """A compiled set of aliases; `mentions` finds them in text."""

    def __init__(self, aliases: Iterable[Alias]) -> None:
        self._root = _Node()
        explicit: dict[str, tuple[str, ...]] = {}
        variants: list[Alias] = []
        for alias in aliases:
            explicit[alias.name] = alias.codes
            self._insert(alias.name, alias.codes)
            variants.extend(_variants(alias))
        for variant in variants:
            if variant.name not in explicit:
                explicit[variant.name] = variant.codes
                self._insert(variant.name, variant.codes)
        self.size = len(explicit)
        first_chars = "".join(sorted(self._root.children))
        self._starts = re.compile("[" + re.escape(first_chars) + "]") if first_chars else None

    def _insert(self, name: str, codes: tuple[str, ...]) -> None:
        node = self._root
        for char in name:
            node = node.children.setdefault(char, _Node())
        node.entry = _Entry(
            codes=codes,
            left=_boundary_kind(name[0]),
            right=_boundary_kind(name[-1]),
            compound=len(codes) > 1,
        )

    def mentions(self, text: str) -> list[tuple[str, int, int]]:
        """Every country mention as ``(code, start, end)``, in text order.

        A combined form (``中日韩``) yields one tuple per country with the same span.
        Offsets index into `text` as given.
        """
        if not text:
            return []
        if unicodedata.is_normalized("NFC", text):
            return [(code, start, end) for codes, start, end in self._scan(text) for code in codes]
        normal, starts, ends = _nfc_with_offsets(text)
        return [
            (code, starts[start], ends[end - 1])
            for codes, start, end in self._scan(normal)
            for code in codes
        ]

    def countries(self, text: str) -> tuple[str, ...]:
        """Country codes in order of first mention, each once."""
        seen: dict[str, None] = {}
        for code, _, _ in self.mentions(text):
            seen.setdefault(code, None)
        return tuple(seen)

    def _scan(self, text: str) -> Iterator[tuple[tuple[str, ...], int, int]]:
        if self._starts is None:
            return
        length = len(text)
        position = 0
        while position < length:
            match = self._starts.search(text, position)
            if match is None:
                return
            position = match.start()
            chosen = self._longest(text, position)
            if chosen is None:
                position += 1
                continue
            end, entry = chosen
            if entry.codes:
                yield entry.codes, position, end
            position = end

    def _candidates(self, text: str, start: int) -> list[tuple[int, _Entry]]:
        """Aliases starting at `start` whose boundaries hold, shortest first."""
        found: list[tuple[int, _Entry]] = []
        node = self._root.children.get(text[start])
        index = start
        length = len(text)
        while node is not None:
            index += 1
            entry = node.entry
            if entry is not None and _boundaries_hold(text, start, index, entry):
                found.append((index, entry))
            if index >= length:
                break
            node = node.children.get(text[index])
        return found

    def _longest(self, text: str, start: int) -> tuple[int, _Entry] | None:
        for end, entry in reversed(self._candidates(text, start)):
            if entry.compound and self._overlapped(text, start, end):
                continue
            return end, entry
        return None

    def _overlapped(self, text: str, start: int, end: int) -> bool:
        """A plain country name starts inside text[start:end] and runs past its end."""
        for inner in range(start + 1, end):
            for inner_end, entry in self._candidates(text, inner):
                if inner_end > end and entry.codes and not entry.compound:
                    return True
        return False


def parse_gazetteer(text: str, source: str) -> list[Alias]:
    """Validate the text of a gazetteer CSV.

    Args:
        text: CSV text with the header ``code,lang,name``; ``#`` lines are comments.
        source: Name used in error messages.

    Returns:
        The aliases in file order.

    Raises:
        GazetteerError: Every problem found (bad header, code, language or name, a name
            listed with two different codes).
    """
    problems: list[Problem] = []
    aliases: list[Alias] = []
    first_seen: dict[str, tuple[tuple[str, ...], int]] = {}
    rows = csv.reader(io.StringIO(text))
    header_done = False
    for row in rows:
        line = rows.line_num
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if not header_done:
            header_done = True
            if tuple(cell.strip() for cell in row) != HEADER:
                problems.append(Problem(source, line, f"header must be {','.join(HEADER)}"))
                break
            continue
        if len(row) != len(HEADER):
            problems.append(Problem(source, line, f"expected 3 columns, got {len(row)}"))
            continue
        code, lang, name = (cell.strip() for cell in row)
        if code != STOP and not CODE_RE.match(code):
            problems.append(
                Problem(source, line, f"bad code {code!r}: use alpha-2 (KR), KR+JP, or '-'")
            )
            continue
        if not LANG_RE.match(lang):
            problems.append(Problem(source, line, f"bad lang {lang!r}: use ISO 639-1 or '*'"))
            continue
        if not name:
            problems.append(Problem(source, line, "empty name"))
            continue
        codes = () if code == STOP else tuple(code.split("+"))
        earlier = first_seen.get(name)
        if earlier is not None:
            if earlier[0] != codes:
                problems.append(
                    Problem(
                        source,
                        line,
                        f"{name!r} is {code} here but {'+'.join(earlier[0]) or STOP} "
                        f"at line {earlier[1]}",
                    )
                )
            continue
        first_seen[name] = (codes, line)
        aliases.append(Alias(name=name, codes=codes, lang=lang, line=line))
    if not header_done and not problems:
        problems.append(Problem(source, None, "empty file: no header"))
    if problems:
        raise GazetteerError(problems)
    return aliases


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """Build a gazetteer from a CSV file.

    Args:
        path: A gazetteer CSV; None reads the one bundled with the package.

    Returns:
        The compiled gazetteer.

    Raises:
        GazetteerError: The file cannot be read or is invalid.
    """
    source = BUNDLED_NAME if path is None else str(path)
    try:
        if path is None:
            text = resources.files("classifiers").joinpath(BUNDLED_NAME).read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GazetteerError([Problem(source, None, f"cannot read: {exc}")]) from exc
    return Gazetteer(parse_gazetteer(text, source))


_default: Gazetteer | None = None
_default_lock = threading.Lock()


def default_gazetteer() -> Gazetteer:
    """The bundled gazetteer, compiled on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load_gazetteer()
        return _default


def find_countries(text: str) -> tuple[str, ...]:
    """Countries mentioned in `text`, as ISO 3166-1 alpha-2 codes.

    Args:
        text: Any text, in any of the monitor's languages.

    Returns:
        Codes in order of first mention, each once; organisations (WHO, ASEAN) and
        regions name no country.
    """
    return default_gazetteer().countries(text)


def country_mentions(text: str) -> list[tuple[str, int, int]]:
    """Every country mention in `text` as ``(code, start, end)``, for explanations.

    Args:
        text: Any text.

    Returns:
        Mentions in text order; ``text[start:end]`` is the matched name.
    """
    return default_gazetteer().mentions(text)


# -- helpers ------------------------------------------------------------------------------


def _is_unspaced(char: str) -> bool:
    """Scripts written without spaces between words (or where we skip boundaries)."""
    point = ord(char)
    return (
        0x0E00 <= point <= 0x0EFF  # Thai, Lao
        or 0x1000 <= point <= 0x109F  # Myanmar
        or 0x1100 <= point <= 0x11FF  # Hangul Jamo
        or 0x1780 <= point <= 0x17FF  # Khmer
        or 0x2E80 <= point <= 0x9FFF  # CJK, kana
        or 0xA960 <= point <= 0xD7FF  # Hangul
        or 0xF900 <= point <= 0xFAFF
        or 0xFF00 <= point <= 0xFFEF  # full- and half-width forms
        or point >= 0x20000
    )


def _is_word_char(char: str) -> bool:
    """A letter, digit or mark of a script that separates words with spaces."""
    if _is_unspaced(char):
        return False
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _is_katakana(char: str) -> bool:
    point = ord(char)
    return (0x30A1 <= point <= 0x30FA) or point == 0x30FC or (0xFF66 <= point <= 0xFF9F)


def _boundary_kind(char: str) -> int:
    if _is_katakana(char):
        return _KATAKANA
    if _is_word_char(char):
        return _WORD
    return _NONE


def _boundaries_hold(text: str, start: int, end: int, entry: _Entry) -> bool:
    if start > 0 and entry.left != _NONE:
        before = text[start - 1]
        if entry.left == _WORD and _is_word_char(before):
            return False
        if entry.left == _KATAKANA and _is_katakana(before):
            return False
    if end < len(text) and entry.right != _NONE:
        after = text[end]
        if entry.right == _WORD and _is_word_char(after):
            return False
        if entry.right == _KATAKANA and _is_katakana(after):
            return False
    return True


def _is_latin(name: str) -> bool:
    return all(ord(char) < 0x0250 or 0x1E00 <= ord(char) <= 0x1EFF for char in name)


def _variants(alias: Alias) -> list[Alias]:
    """Spellings matched besides the listed one (ALL CAPS, curly apostrophe, capitalised)."""
    names = {alias.name}
    if "'" in alias.name:
        names.add(alias.name.replace("'", "\u2019"))
    if alias.name[0].islower() and _is_latin(alias.name[0]):
        names.add(alias.name[0].upper() + alias.name[1:])
    if (
        _is_latin(alias.name)
        and sum(char.isalpha() for char in alias.name) >= UPPER_VARIANT_MIN
        and alias.name != alias.name.upper()
    ):
        names |= {name.upper() for name in list(names)}
    names.discard(alias.name)
    return [Alias(name=name, codes=alias.codes, lang=alias.lang) for name in sorted(names)]


def _nfc_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """NFC text plus, per NFC character, its start and end offsets in the original."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    index = 0
    length = len(text)
    while index < length:
        cluster_end = index + 1
        while cluster_end < length and unicodedata.combining(text[cluster_end]):
            cluster_end += 1
        normal = unicodedata.normalize("NFC", text[index:cluster_end])
        parts.append(normal)
        starts.extend([index] * len(normal))
        ends.extend([cluster_end] * len(normal))
        index = cluster_end
    return "".join(parts), starts, ends
