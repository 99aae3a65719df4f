"""Listed phrases found in text: names of organisations and places, trigger words of events.

A `PhraseMatcher` is built from phrases grouped by key (``"WHO": ["WHO", "세계보건기구",
...]``) plus *ignored* phrases: text that contains a listed phrase but does not mean it
(``"free trade agreement"``, ``"đăng ký"`` "register", ``"記者会見"`` "press conference").
It scans left to right and takes the longest phrase at each position, so an ignored
phrase hides the shorter phrases inside it, and a longer name wins over a shorter one.

Matching, as for topic names (`classifiers.mentions`):

* an all-capitals Latin acronym (``WHO``, ``MOU``, ``ADB``) is case-sensitive, so "who"
  is not WHO; other Latin phrases ignore case; callers collapse runs of white space;
* a Latin phrase must not touch more Latin letters or digits (``ADB`` is not in ``ADBs``
  and ``sign`` is not in ``signal``), and a phrase ending in a Vietnamese syllable must not
  be followed by more letters;
* phrases in scripts written without spaces (Chinese, Japanese, Thai, Korean) match as
  substrings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

IGNORED = ""  # the key of ignored phrases
_LATIN_EDGE = r"A-Za-z0-9À-ɏḀ-ỿ"


@dataclass(frozen=True)
class Match:
    key: str
    start: int
    end: int


@dataclass(frozen=True)
class _Entry:
    key: str
    phrase: str  # as listed, whitespace collapsed
    exact: bool  # an all-capitals acronym: compared case-sensitively
    bounded: bool  # ends in a Latin letter or digit: must not touch another


class _Node:
    __slots__ = ("children", "entries")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entries: list[_Entry] = []


class PhraseMatcher:
    """Finds listed phrases in text: a character trie over the lower-cased phrases, walked
    from the positions where a phrase may start (cost: about the text's length, whatever
    the number of phrases)."""

    def __init__(self, phrases: Mapping[str, Iterable[str]], ignored: Iterable[str] = ()) -> None:
        keyed = [(key, text) for key, texts in phrases.items() for text in texts]
        keyed += [(IGNORED, text) for text in ignored]
        self._root = _Node()
        latin_starts: set[str] = set()
        other_starts: set[str] = set()
        for key, text in keyed:
            phrase = " ".join(text.split())
            folded = phrase.lower()
            if len(folded) != len(phrase) or not folded:
                continue  # a phrase whose case folding changes its length is not listed
            words = phrase.split()
            entry = _Entry(
                key,
                phrase,
                exact=all(map(is_latin, words))
                and re.fullmatch(r"[A-Z][A-Z0-9&\-]*[A-Z0-9]s?", phrase) is not None,
                bounded=_is_edge(phrase[-1]),
            )
            (latin_starts if _is_edge(phrase[0]) else other_starts).add(folded[0])
            node = self._root
            for char in folded:
                node = node.children.setdefault(char, _Node())
            node.entries.append(entry)
        parts = []
        if latin_starts:
            parts.append(f"(?<![{_LATIN_EDGE}])[{re.escape(''.join(sorted(latin_starts)))}]")
        if other_starts:
            parts.append(f"[{re.escape(''.join(sorted(other_starts)))}]")
        self._starts = re.compile("|".join(parts)) if parts else None

    def matches(self, text: str) -> list[Match]:
        """Every listed (not ignored) phrase in text order; the longest at each position."""
        if self._starts is None or not text:
            return []
        folded = text.lower()
        if len(folded) != len(text):
            folded = text
        found: list[Match] = []
        position = 0
        for start in self._starts.finditer(folded):
            i = start.start()
            if i < position:
                continue
            best = self._longest(text, folded, i)
            if best is not None:
                entries, end = best
                position = end
                for key in dict.fromkeys(e.key for e in entries):
                    if key != IGNORED:
                        found.append(Match(key, i, end))
        return found

    def _longest(self, text: str, folded: str, i: int) -> tuple[list[_Entry], int] | None:
        """The entries of the longest phrase that matches at `i` (one phrase may be listed
        under several keys: a trigger of two event types)."""
        node: _Node | None = self._root
        best = None
        j, n = i, len(folded)
        while node is not None:
            if node.entries:
                valid = [
                    entry
                    for entry in node.entries
                    if not (entry.exact and text[i:j] != entry.phrase)
                    and not (entry.bounded and j < n and _is_edge(text[j]))
                ]
                if valid:
                    best = (valid, j)
            if j == n:
                break
            node = node.children.get(folded[j])
            j += 1
        return best

    def keys(self, text: str) -> list[str]:
        """The keys found, in order of first mention, each once."""
        return list(dict.fromkeys(m.key for m in self.matches(text)))


def _is_edge(char: str) -> bool:
    """A Latin letter (Vietnamese included) or a digit: what a Latin phrase must not touch."""
    return (char.isascii() and char.isalnum()) or "À" <= char <= "ɏ" or "Ḁ" <= char <= "ỿ"


def is_latin(word: str) -> bool:
    """A word with at least one Latin letter and no letter of another script."""
    letters = [ch for ch in word if ch.isalpha()]
    return bool(letters) and all(
        ch.isascii() or "À" <= ch <= "ɏ" or "Ḁ" <= ch <= "ỿ" for ch in letters
    )
