"""Errors raised by the classifiers package (which never imports `monitor`).

    ValueError
    └── ClassifierDataError   a data file of the classifiers is invalid
        ├── TaxonomyError     topics.toml: syntax, unknown keys, bad slugs, ...
        └── GazetteerError    gazetteer.csv: bad columns, codes, names
    RuntimeError
    └── BackendError          a model backend cannot be loaded or run

A data error carries every problem found (`problems`), so an operator fixes a file in
one pass.
The service wraps them in its own `ConfigError`/`ClassifierError` at the boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data file: where (`source`, 1-based `line`) and why."""

    source: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


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


class BackendError(RuntimeError):
    """A model backend cannot be loaded or run (missing extra, unknown model, bad files)."""
