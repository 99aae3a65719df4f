"""Precision, recall and F1 of a classifier against labelled items, per label and per language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table

from classifiers.base import Classifier, Document, Labels
from classifiers.gold import GoldItem, load_gold

BATCH = 32
ALL = "all"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: Iterable[str], gold: Iterable[str]) -> None:
        p, g = set(predicted), set(gold)
        self.tp += len(p & g)
        self.fp += len(p - g)
        self.fn += len(g - p)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 1.0


@dataclass
class Report:
    """Counts per (label, language); language ALL pools every language."""

    counts: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    language_hits: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    errors: list[tuple[GoldItem, Labels]] = field(default_factory=list)

    def languages(self) -> list[str]:
        return [*sorted({lang for _, lang in self.counts} - {ALL}), ALL]

    def language_accuracy(self, language: str) -> float:
        hits, total = self.language_hits[language]
        return hits / total if total else 1.0


LABELS = ("relevant", "cooperation", "topics", "countries")


def score(gold: Sequence[GoldItem], predicted: Sequence[Labels]) -> Report:
    """Compare predictions with gold labels. Topics are micro-averaged over relevant gold items."""
    report = Report()
    for item, labels in zip(gold, predicted, strict=True):
        pairs = {
            "relevant": (["yes"] if labels.relevant else [], ["yes"] if item.relevant else []),
            "cooperation": (
                ["yes"] if labels.cooperation else [],
                ["yes"] if item.cooperation else [],
            ),
            "topics": (labels.topics, item.topics),
            "countries": (labels.countries, item.countries),
        }
        for language in (item.language, ALL):
            for name, (p, g) in pairs.items():
                report.counts[(name, language)].add(p, g)
            hits = report.language_hits[language]
            hits[0] += labels.language == item.language
            hits[1] += 1
        if (labels.relevant, labels.cooperation) != (item.relevant, item.cooperation):
            report.errors.append((item, labels))
    return report


def evaluate(gold: Sequence[GoldItem], classifier: Classifier) -> Report:
    predicted: list[Labels] = []
    for start in range(0, len(gold), BATCH):
        batch = gold[start : start + BATCH]
        predicted += classifier.classify([Document(g.id, g.title, g.text) for g in batch])
    return score(gold, predicted)


def evaluate_file(path: Path, classifier: Classifier) -> Report:
    return evaluate(load_gold(path), classifier)


def report_table(report: Report) -> Table:
    table = Table(title="F1 (precision/recall) per label and language; topics and countries micro")
    table.add_column("language")
    for name in LABELS:
        table.add_column(name, justify="right")
    table.add_column("language acc.", justify="right")
    for language in report.languages():
        cells = []
        for name in LABELS:
            c = report.counts[(name, language)]
            cells.append(f"[bold]{c.f1:.2f}[/] ({c.precision:.2f}/{c.recall:.2f})")
        n = report.language_hits[language][1]
        table.add_row(f"{language} ({n})", *cells, f"{report.language_accuracy(language):.3f}")
    return table
