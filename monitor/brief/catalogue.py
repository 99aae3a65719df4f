"""A brief's own words per language, from `catalogues/<lang>.toml` (English fills the gaps).

Dates, event phrases, country and organisation names come from the alerts'
catalogue (`monitor.alerts.gist`), language names from the digest's, so every
product surface names things the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from monitor.alerts.gist import GistWords, gist_words
from monitor.catalogues import DEFAULT_LANGUAGE, catalogue_languages, load_catalogue
from monitor.digest.catalogue import words as digest_words

CATALOGUE_PACKAGE: Final = "monitor.brief"


@dataclass(frozen=True)
class BriefWords:
    """One language's words for a brief."""

    language: str
    texts: Mapping[str, str]
    months_short: Sequence[str]
    gist: GistWords
    languages: Mapping[str, str]

    def __call__(self, key: str, **values: object) -> str:
        return self.texts[key].format(**values)

    def date(self, day: dt.date) -> str:
        return self.gist.date(day, with_year=True)

    def month(self, start: dt.date) -> str:
        return self("month_label", mon=self.months_short[start.month - 1], month=start.month,
                    year=start.year)  # fmt: skip

    def language_name(self, code: str) -> str:
        return self.languages.get(code, code)


def brief_languages() -> tuple[str, ...]:
    """The languages a brief's headings exist in (``en`` first)."""
    return catalogue_languages(CATALOGUE_PACKAGE)


@functools.cache
def brief_words(language: str) -> BriefWords:
    """The words of `language` (English for a language without a catalogue)."""
    base = load_catalogue(CATALOGUE_PACKAGE, DEFAULT_LANGUAGE)
    own = load_catalogue(CATALOGUE_PACKAGE, language) if language != DEFAULT_LANGUAGE else {}
    merged = {**base, **own}
    months = merged.get("months_short")
    return BriefWords(
        language=language if own or language == DEFAULT_LANGUAGE else DEFAULT_LANGUAGE,
        texts={k: v for k, v in merged.items() if isinstance(v, str)},
        months_short=tuple(str(m) for m in months) if isinstance(months, list) else (),
        gist=gist_words(language),
        languages=digest_words(language).languages,
    )
