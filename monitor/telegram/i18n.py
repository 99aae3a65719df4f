"""The bot's UI texts, one TOML catalogue per language in `catalogues/`.

A catalogue is flat ``key = "text with {placeholders}"``, loaded by
`monitor.catalogues`. `text` looks a key up in the chat's language and falls
back to English, so a new language is a new file (``catalogues/ja.toml``), not
code; a partial translation works.
Topic names come from the taxonomy (`Topic.name`, `Topic.name_ko`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Final

from classifiers.taxonomy import Taxonomy
from monitor.catalogues import DEFAULT_LANGUAGE, catalogue_languages, load_catalogue

CATALOGUE_PACKAGE: Final = "monitor.telegram"


def languages() -> tuple[str, ...]:
    """The UI languages with a catalogue, English first."""
    return catalogue_languages(CATALOGUE_PACKAGE)


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """The texts of one language (empty for a language without a catalogue)."""
    return {key: str(value) for key, value in load_catalogue(CATALOGUE_PACKAGE, lang).items()}


def text(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang` (English when missing there), placeholders filled.

    Raises:
        KeyError: not even the English catalogue has `key` (a bug, caught by the tests).
    """
    template = catalogue(lang).get(key)
    if template is None:
        template = catalogue(DEFAULT_LANGUAGE)[key]
    return template.format(**values)


def ui_language(language_code: str | None) -> str:
    """The UI language for a Telegram ``language_code`` ("ko-KR" -> "ko"); English otherwise."""
    base = (language_code or "").lower().replace("_", "-").split("-")[0]
    return base if base in languages() else DEFAULT_LANGUAGE


def topic_name(taxonomy: Taxonomy, slug: str, lang: str) -> str:
    """A topic's name in `lang` (Korean names for "ko", English otherwise); the slug if unknown."""
    topic = taxonomy.get(slug)
    if topic is None:
        return slug
    return topic.name_ko if lang == "ko" else topic.name
