"""Catalogues of words: one TOML file per language in a package's ``catalogues/`` folder.

The one loader of the bot's UI texts (`monitor.telegram.i18n`) and the digest's
words (`monitor.digest.catalogue`). A language is added by adding a file; each
user falls back to English for a key a partial translation lacks.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Final

DEFAULT_LANGUAGE: Final = "en"
FOLDER: Final = "catalogues"


@cache
def catalogue_languages(package: str) -> tuple[str, ...]:
    """The languages with a catalogue in `package`, English first, then by code."""
    folder = resources.files(package).joinpath(FOLDER)
    found = sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )
    return (DEFAULT_LANGUAGE, *(lang for lang in found if lang != DEFAULT_LANGUAGE))


@cache
def load_catalogue(package: str, lang: str) -> Mapping[str, object]:
    """The parsed catalogue of one language in `package` (empty when it has none)."""
    if lang not in catalogue_languages(package):
        return {}
    path = resources.files(package).joinpath(FOLDER, f"{lang}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))
