"""Errors raised by the classifiers package (which never imports `monitor`).

    ValueError
    └── ClassifierDataError   a data file of the classifiers is invalid
        ├── TaxonomyError     topics.toml: syntax, unknown keys, bad slugs, ...
        ├── GazetteerError    gazetteer.csv: bad columns, codes, names
        └── EventDataError    events.toml, organisations.toml, places.toml
    RuntimeError
    └── BackendError          a model backend cannot be loaded or run

A data error carries every problem found (`problems`), so an operator fixes a file in
one pass.
The service wraps them in its own `ConfigError`/`ClassifierError` at the boundary.

`Problem` and `did_you_mean` are the one problem type and hint of every
configuration file: topics.toml and gazetteer.csv here, and (imported by
`monitor`) feeds.toml, monitor.toml and the ``MONITOR_*`` variables.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file or a setting: ``SOURCE:LINE: CONTEXT: key 'K': MESSAGE``.

    Attributes:
        source: the file's name as shown to the operator, or an environment variable's.
        line: 1-based line, or None when it cannot be placed.
        message: what is wrong.
        context: where in the file, e.g. `feed "NAME" (#N)` or `[defaults]`; "" if nowhere.
        key: the key concerned, if any (dotted for a nested table).
        feed: 1-based position of the feeds file's `[[feed]]` table, if the problem is in one.
    """

    source: str
    line: int | None
    message: str
    context: str = ""
    key: str | None = None
    feed: int | None = None

    def __str__(self) -> str:
        parts = [f"{self.source}:{self.line}" if self.line else self.source]
        if self.context:
            parts.append(self.context)
        if self.key is not None:
            parts.append(f"key '{self.key}'")
        parts.append(self.message)
        return ": ".join(parts)


def closest_match(word: str, choices: Iterable[str]) -> str | None:
    """The one of `choices` a mistyped `word` most likely meant, if any is close enough."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of `choices` to a mistyped `word`, else ""."""
    close = closest_match(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


class ClassifierDataError(ValueError):
    """A data file of the classifiers (taxonomy, gazetteer) is invalid.

    The message lists every problem, one per line, as ``file:line: reason``.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        source = self.problems[0].source if self.problems else "data file"
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{source}: {head}:\n{lines}")


class TaxonomyError(ClassifierDataError):
    """topics.toml is invalid (syntax, unknown keys, duplicate or bad slugs, ...)."""


class GazetteerError(ClassifierDataError):
    """gazetteer.csv is invalid (bad header, country code or name)."""


class EventDataError(ClassifierDataError):
    """events.toml, organisations.toml or places.toml is invalid (syntax, unknown keys, bad or
    duplicate ids, phrases too short, a name listed for two organisations, ...)."""


class BackendError(RuntimeError):
    """A model backend cannot be loaded or run (missing extra, unknown model, bad files)."""
