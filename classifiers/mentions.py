"""Explicit topic mentions: the names and acronyms listed for a topic in topics.toml, found in text.

A story that names a topic outright ("보편적 건강보장(UHC)", "薬剤耐性（AMR）", "universal
health coverage") is about that topic, whatever the embedding says. Names of every
language are looked for in every text (an acronym listed under ``en`` is also found in a
Japanese text). Matching:

* an all-capitals Latin acronym (``UHC``, ``AMR``, ``NCDs``) is case-sensitive;
  other Latin names ignore case; a space in a name also matches a hyphen or a line break,
  and a hyphen also matches a space or nothing;
* a Latin name must not touch more Latin letters or digits (``AMR`` is not in ``AMRO``);
* names in scripts without spaces (Chinese, Japanese, Thai, Korean) match as substrings.

Only the start of a text is read (`READ_CHARS`), so the cost is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from classifiers.taxonomy import Taxonomy

READ_CHARS = 20_000  # as much as the summariser reads


class TopicNames:
    """Finds which topics a text names outright."""

    def __init__(self, names: Mapping[str, Iterable[str]]) -> None:
        """`names`: topic slug -> its names (any language)."""
        self._patterns: dict[str, re.Pattern[str]] = {}
        for slug, texts in names.items():
            alternatives = sorted({_pattern(text) for text in texts}, key=len, reverse=True)
            if alternatives:
                self._patterns[slug] = re.compile("|".join(alternatives))

    @classmethod
    def of(cls, taxonomy: Taxonomy) -> TopicNames:
        return cls({topic.slug: topic.all_names for topic in taxonomy.topics})

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def find(self, text: str) -> frozenset[str]:
        """Slugs of the topics whose names occur in `text`."""
        sample = text[:READ_CHARS]
        return frozenset(slug for slug, p in self._patterns.items() if p.search(sample))


def _pattern(name: str) -> str:
    """A regular expression for one name (see the module docstring)."""
    words = name.split()
    latin = [_is_latin(word) for word in words]
    # a hyphen inside a word also matches a space or nothing ("non-communicable", "noncommunicable")
    parts = [re.escape(word).replace(r"\-", r"[\s\-‐–]?") for word in words]
    body = r"[\s\-‐–]+".join(parts)
    acronym = all(latin) and re.fullmatch(r"[A-Z][A-Z0-9&\-]*[A-Z0-9]s?", name) is not None
    if not acronym and any(latin):
        body = f"(?i:{body})"
    if latin and latin[0]:
        body = r"(?<![A-Za-z0-9À-ɏ])" + body
    if latin and latin[-1]:
        body += r"(?![A-Za-z0-9À-ɏ])"
    return body


def _is_latin(word: str) -> bool:
    """A word with at least one Latin letter and no letter of another script."""
    letters = [ch for ch in word if ch.isalpha()]
    return bool(letters) and all(
        ch.isascii() or "À" <= ch <= "ɏ" or "Ḁ" <= ch <= "ỿ" for ch in letters
    )
