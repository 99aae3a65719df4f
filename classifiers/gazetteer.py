"""Country mentions in text -> ISO 3166-1 alpha-2 codes (data: gazetteer.csv).

The rows are read and checked by `classifiers.gazetteer_csv` (the file's format is
described there); this module compiles them and finds them in text.

A local mention names the country of the text's own press, so it is dropped when the
text says whose it is: when another listed name (a country, or a stop phrase such as a
region or organisation: ``ASEAN``, ``欧洲``) stands right before it in Chinese, Japanese
and Korean (``몽골 정부``, ``新加坡衞生部``, ``中国の政府``, ``非洲疾控中心``), or right
after it in the other languages (``Bộ Y tế Lào``, ``รัฐบาลจีน``, ``Presiden AS``,
``Menteri Kesehatan ASEAN``), separated only by spaces or a genitive particle; and a
later bare use of a name once tied to another owner refers back to it (``일본 정부는 …
정부는``) and is dropped too.

Matching scans left to right and takes the longest alias at each position, so
``Papua New Guinea`` beats ``Guinea``, ``印度尼西亚`` beats ``印度`` and ``North Korea``
beats ``Korea``. Names in spaced scripts (Latin, Vietnamese, Cyrillic, ...) must stand
on word boundaries (``Oman`` is not in ``woman``, ``India`` not in ``Indiana``);
Katakana names must not be glued to more Katakana (``タイ`` is not in ``タイプ``); a
Korean form with a hyphen or middle dot (``한-`` "Korea-", ``한·일``) must not be glued
to more Hangul (``다양한·일반``); a Thai abbreviation of one or two letters (``อย.``,
``สธ.``) must not be glued to a Thai letter (``น้อย.``). Other Chinese, Japanese Han,
Korean and Thai names have no boundaries to check and rely on longest-match, stop
phrases and one more rule: a combined form, or a name of one or two characters in those
scripts, gives way when a listed name (a country or a stop phrase) starts inside it and
runs past its end, unless that name gives way in turn (``其中美国`` "among them, the
US" is ``US``, not ``中美`` China-US; ``一台中国产`` is ``CN``, not ``台中`` Taichung;
``米中共同`` keeps ``米中`` because ``中共`` gives way to ``共同``). A generated spelling
(ALL CAPS, ...) that two rows with different codes would share is not matched.

Text is compared in Unicode NFC; offsets returned refer to the text as given.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.base import language_code
from classifiers.gazetteer_csv import Alias, read_gazetteer

UPPER_VARIANT_MIN = 4  # Latin names at least this long also match in ALL CAPS
SHORT_UNSPACED = 2  # unspaced-script names this short yield to overlapping longer names
THAI_ABBREVIATION_MAX = 2  # Thai abbreviations this short need a boundary before them
# Languages whose possessor comes before the noun (일본 정부, 日本の政府, 美国的国务院);
# in the others it follows (Bộ Y tế Lào, รัฐบาลจีน, Kementerian Kesehatan Jepang).
HEAD_FINAL = frozenset({"ja", "ko", "zh"})
# What may stand between a local name and the country that owns it.
POSSESSOR_GAP_RE = re.compile(r"^\s*(?:の|的|之|의|ของ|của|ng)?\s*$")
CONNECTORS = "-‐–·・"  # in 한-, 한·일: Korean forms glued to no more Hangul

_NONE, _WORD, _KATAKANA, _HANGUL, _THAI = 0, 1, 2, 3, 4


@dataclass
class _Entry:
    """Everything listed under one spelling: its plain row and its local rows."""

    name: str  # the listed name (for variants, the name they were made from)
    left: int  # boundary rule at the first character
    right: int  # boundary rule at the last character
    short: bool  # an unspaced-script name of one or two characters
    plain: tuple[str, ...] | None = None  # codes of the plain row, if there is one
    local: dict[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> codes

    def resolve(self, language: str | None) -> tuple[tuple[str, ...], bool] | None:
        """The codes this spelling stands for in `language`, and whether they are local."""
        if language is not None:
            codes = self.local.get(language)
            if codes is not None:
                return codes, True
        if self.plain is not None:
            return self.plain, False
        return None


@dataclass(frozen=True)
class _Found:
    codes: tuple[str, ...]
    start: int
    end: int
    local: bool
    name: str


class _Node:
    __slots__ = ("children", "entry")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entry: _Entry | None = None


class Gazetteer:
    """A compiled set of aliases; `mentions` finds them in text."""

    def __init__(self, aliases: Iterable[Alias]) -> None:
        self._root = _Node()
        explicit: set[tuple[str, str | None]] = set()
        variants: list[_Variant] = []
        for alias in aliases:
            explicit.add((alias.name, _condition(alias)))
            self._insert(alias, alias.name)
            variants.extend(_variants(alias))
        made: dict[tuple[str, str | None], list[_Variant]] = {}
        for variant in variants:
            key = (variant.name, _condition(variant))
            if key not in explicit:
                made.setdefault(key, []).append(variant)
        for key, alike in made.items():
            if len({variant.codes for variant in alike}) == 1:  # else ambiguous: dropped
                explicit.add(key)
                self._insert(alike[0], alike[0].source)
        self.size = len(explicit)
        first_chars = "".join(sorted(self._root.children))
        self._starts = re.compile("[" + re.escape(first_chars) + "]") if first_chars else None

    def _insert(self, alias: Alias, source: str) -> None:
        name = alias.name
        node = self._root
        for char in name:
            child = node.children.get(char)
            if child is None:
                child = node.children[char] = _Node()
            node = child
        entry = node.entry
        if entry is None:
            entry = node.entry = _Entry(
                name=source,
                left=_left_kind(name),
                right=_boundary_kind(name[-1]),
                short=len(name) <= SHORT_UNSPACED and _is_unspaced(name[0]),
            )
        if alias.local:
            entry.local.setdefault(alias.lang, alias.codes)
        elif entry.plain is None:
            entry.plain = alias.codes

    def mentions(self, text: str, language: str | None = None) -> list[tuple[str, int, int]]:
        """Every country mention as ``(code, start, end)``, in text order.

        A combined form (``中日韩``) yields one tuple per country with the same span.
        Offsets index into `text` as given. `language` (ISO 639-1) switches on the
        local rows of that language.
        """
        if not text:
            return []
        language = _primary(language)
        if unicodedata.is_normalized("NFC", text):
            return [
                (code, found.start, found.end)
                for found in self._found(text, language)
                for code in found.codes
            ]
        normal, starts, ends = _nfc_with_offsets(text)
        return [
            (code, starts[found.start], ends[found.end - 1])
            for found in self._found(normal, language)
            for code in found.codes
        ]

    def countries(self, text: str, language: str | None = None) -> tuple[str, ...]:
        """Country codes in order of first mention, each once."""
        seen: dict[str, None] = {}
        for code, _, _ in self.mentions(text, language):
            seen.setdefault(code, None)
        return tuple(seen)

    def _found(self, text: str, language: str | None) -> list[_Found]:
        found = list(self._scan(text, language))
        if not any(item.local for item in found):
            return found
        return _drop_owned_local(text, found, language)

    def _scan(self, text: str, language: str | None) -> Iterator[_Found]:
        if self._starts is None:
            return
        length = len(text)
        position = 0
        while position < length:
            match = self._starts.search(text, position)
            if match is None:
                return
            position = match.start()
            chosen = self._longest(text, position, language)
            if chosen is None:
                position += 1
                continue
            end, entry, codes, local = chosen
            yield _Found(codes, position, end, local, entry.name)  # stop phrases too
            position = end

    def _candidates(
        self, text: str, start: int, language: str | None
    ) -> list[tuple[int, _Entry, tuple[str, ...], bool]]:
        """Aliases starting at `start` whose boundaries hold, shortest first."""
        found: list[tuple[int, _Entry, tuple[str, ...], bool]] = []
        node = self._root.children.get(text[start])
        index = start
        length = len(text)
        while node is not None:
            index += 1
            entry = node.entry
            if entry is not None and _boundaries_hold(text, start, index, entry):
                resolved = entry.resolve(language)
                if resolved is not None:
                    found.append((index, entry, *resolved))
            if index >= length:
                break
            node = node.children.get(text[index])
        return found

    def _longest(
        self, text: str, start: int, language: str | None
    ) -> tuple[int, _Entry, tuple[str, ...], bool] | None:
        for end, entry, codes, local in reversed(self._candidates(text, start, language)):
            if self._yields(text, start, end, entry, codes, language):
                continue
            return end, entry, codes, local
        return None

    def _yields(
        self,
        text: str,
        start: int,
        end: int,
        entry: _Entry,
        codes: tuple[str, ...],
        language: str | None,
    ) -> bool:
        """A combined form or short name that gives way to a name overlapping its end."""
        if not codes or not (len(codes) > 1 or entry.short):
            return False
        for inner in range(start + 1, end):
            for inner_end, inner_entry, inner_codes, local in self._candidates(
                text, inner, language
            ):
                if (
                    inner_end > end
                    and len(inner_codes) <= 1
                    and not (local and inner_codes)
                    and not self._yields(text, inner, inner_end, inner_entry, inner_codes, language)
                ):
                    return True
        return False


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """Build a gazetteer from a CSV file.

    Args:
        path: A gazetteer CSV; None reads the one bundled with the package.

    Returns:
        The compiled gazetteer.

    Raises:
        GazetteerError: The file cannot be read or is invalid.
    """
    return Gazetteer(read_gazetteer(path))


_default: Gazetteer | None = None
_default_lock = threading.Lock()


def default_gazetteer() -> Gazetteer:
    """The bundled gazetteer, compiled on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load_gazetteer()
        return _default


def find_countries(text: str, language: str | None = None) -> tuple[str, ...]:
    """Countries mentioned in `text`, as ISO 3166-1 alpha-2 codes.

    Args:
        text: Any text, in any of the monitor's languages.
        language: ISO 639-1 code of the text (``vi``; a tag such as ``zh-TW`` is cut to
            ``zh``), or None when unknown. A known language adds the names that are
            unmistakable only in it: its ministries, government and provinces (``Bộ Y
            tế`` in Vietnamese is Viet Nam's).

    Returns:
        Codes in order of first mention, each once; organisations (WHO, ASEAN) and
        regions name no country.
    """
    return default_gazetteer().countries(text, language)


# Languages written as the national language of one country: a health story in them
# that names no country at all is, in practice, domestic news of that country.
HOME_COUNTRIES = {"vi": "VN", "th": "TH", "ja": "JP", "ko": "KR", "id": "ID", "tl": "PH"}


def story_countries(text: str, language: str | None) -> tuple[str, ...]:
    """`find_countries`, or the home country of a national language when none is named.

    For health stories, where "the Ministry of Health" without a country is the
    reader's own; not for arbitrary text.
    """
    return find_countries(text, language) or tuple(
        code for code in [HOME_COUNTRIES.get(language or "")] if code
    )


def country_mentions(text: str, language: str | None = None) -> list[tuple[str, int, int]]:
    """Every country mention in `text` as ``(code, start, end)``, for explanations.

    Args:
        text: Any text.
        language: ISO 639-1 code of the text, or None; as for `find_countries`.

    Returns:
        Mentions in text order; ``text[start:end]`` is the matched name.
    """
    return default_gazetteer().mentions(text, language)


# -- helpers ------------------------------------------------------------------------------


def _primary(language: str | None) -> str | None:
    """``zh-TW`` -> ``zh``, ``fil`` -> ``tl``; empty -> None."""
    return language_code(language)


def _condition(alias: Alias) -> str | None:
    return alias.lang if alias.local else None


def _drop_owned_local(text: str, found: list[_Found], language: str | None) -> list[_Found]:
    """Drop local mentions that another country's name claims (see the module docstring)."""
    before = language in HEAD_FINAL
    claimed: set[str] = set()  # local names seen tied to another country
    kept: list[_Found] = []
    for index, item in enumerate(found):
        if not item.local or not item.codes:
            kept.append(item)
            continue
        owner = _owner(text, found, index, before)
        if owner is not None and owner != item.codes:
            claimed.add(item.name)
            continue
        if owner is None and item.name in claimed:
            continue
        kept.append(item)
    return kept


def _owner(text: str, found: list[_Found], index: int, before: bool) -> tuple[str, ...] | None:
    """Codes of the country name right before (or after) found[index], if any."""
    item = found[index]
    if before:
        if index > 0:
            other = found[index - 1]
            if POSSESSOR_GAP_RE.match(text[other.end : item.start]):
                return other.codes
    elif index + 1 < len(found):
        other = found[index + 1]
        if POSSESSOR_GAP_RE.match(text[item.end : other.start]):
            return other.codes
    return None


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


def _is_hangul(char: str) -> bool:
    return 0xAC00 <= ord(char) <= 0xD7A3


def _is_thai_letter(char: str) -> bool:
    """Thai consonants, vowels and tone marks (not digits or punctuation)."""
    return 0x0E01 <= ord(char) <= 0x0E4E


def _boundary_kind(char: str) -> int:
    if _is_katakana(char):
        return _KATAKANA
    if _is_word_char(char):
        return _WORD
    return _NONE


def _left_kind(name: str) -> int:
    """Boundary rule before a name: by its first character, or a special form."""
    if _is_hangul(name[0]) and any(char in CONNECTORS for char in name):
        return _HANGUL  # 한-, 한·일: not after more Hangul (다양한·일반)
    if (
        _is_thai_letter(name[0])
        and name.endswith(".")
        and sum(_is_thai_letter(char) for char in name) <= THAI_ABBREVIATION_MAX
    ):
        return _THAI
    return _boundary_kind(name[0])


def _glued(kind: int, char: str) -> bool:
    """`char` next to a name with boundary rule `kind` makes it part of a longer word."""
    if kind == _WORD:
        return _is_word_char(char)
    if kind == _KATAKANA:
        return _is_katakana(char)
    if kind == _HANGUL:
        return _is_hangul(char)
    if kind == _THAI:
        return _is_thai_letter(char)
    return False


def _boundaries_hold(text: str, start: int, end: int, entry: _Entry) -> bool:
    if start > 0 and entry.left != _NONE and _glued(entry.left, text[start - 1]):
        return False
    return not (end < len(text) and entry.right != _NONE and _glued(entry.right, text[end]))


def _is_latin(name: str) -> bool:
    return all(ord(char) < 0x0250 or 0x1E00 <= ord(char) <= 0x1EFF for char in name)


@dataclass(frozen=True)
class _Variant(Alias):
    source: str = ""  # the listed name this spelling was made from


def _variants(alias: Alias) -> list[_Variant]:
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
    return [
        _Variant(
            name=name, codes=alias.codes, lang=alias.lang, local=alias.local, source=alias.name
        )
        for name in sorted(names)
    ]


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
