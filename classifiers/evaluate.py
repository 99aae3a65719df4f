"""Precision, recall and F1 of a classifier against labelled items, per label and per language.

Besides the per-label table, the report shows the shape of topic errors: precision and
recall per topic, and how many topics items have (0, 1, 2, 3+) in the gold labels and in
the predictions, so that "one topic where there are four" or "a topic forced on an
item that names none" is visible at a glance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Group
from rich.table import Table

from classifiers.base import Classifier, Document, Labels
from classifiers.gold import GoldItem, load_gold

BATCH = 32
ALL = "all"
TOPIC = "topic:"  # per-topic counts are kept under ("topic:<slug>", language)
EVENT = "event:"  # per-event-type counts are kept under ("event:<id>", language)
BUCKETS = ("0", "1", "2", "3+")


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
    name: str = ""  # the split, e.g. "dev" or "heldout"
    # per language, over relevant gold items: (gold bucket, predicted bucket) -> items
    topic_counts: dict[str, dict[tuple[str, str], int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )

    def languages(self) -> list[str]:
        return [*sorted({lang for _, lang in self.counts} - {ALL}), ALL]

    def topics(self) -> list[str]:
        """Slugs seen in gold or predicted labels."""
        return sorted({name[len(TOPIC) :] for name, _ in self.counts if name.startswith(TOPIC)})

    def topic_macro_f1(self, language: str = ALL) -> float:
        """Mean F1 over the topics that occur in this language's gold labels or predictions."""
        scores = [
            c.f1
            for slug in self.topics()
            if (c := self.counts.get((TOPIC + slug, language))) and c.tp + c.fp + c.fn
        ]
        return sum(scores) / len(scores) if scores else 1.0

    def multi_topic_rate(self, language: str = ALL) -> tuple[int, int]:
        """(items given 2+ topics, relevant gold items with 2+ topics)."""
        cells = self.topic_counts[language]
        wanted = [(g, p) for g, p in cells if g in ("2", "3+")]
        return sum(cells[k] for k in wanted if k[1] in ("2", "3+")), sum(cells[k] for k in wanted)

    def no_topic_rate(self, language: str = ALL) -> tuple[int, int]:
        """(items given no topic, relevant gold items with no topic)."""
        cells = self.topic_counts[language]
        return cells[("0", "0")], sum(v for (g, _), v in cells.items() if g == "0")

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
            for slug in {*labels.topics, *item.topics}:
                report.counts[(TOPIC + slug, language)].add(
                    [slug] if slug in labels.topics else [], [slug] if slug in item.topics else []
                )
            if item.relevant:
                bucket = (_bucket(len(item.topics)), _bucket(len(labels.topics)))
                report.topic_counts[language][bucket] += 1
            hits = report.language_hits[language]
            hits[0] += labels.language == item.language
            hits[1] += 1
        if item.events is not None:  # labelled for events (or no cooperation item)
            _score_events(report, item, labels)
        if (labels.relevant, labels.cooperation) != (item.relevant, item.cooperation):
            report.errors.append((item, labels))
    return report


def _score_events(report: Report, item: GoldItem, labels: Labels) -> None:
    """Event types (micro and per type) and organisations, per language; place and date
    where the gold item states them."""
    gold_events = item.events or ()
    for language in (item.language, ALL):
        report.counts[("events", language)].add(labels.events, gold_events)
        report.counts[("organisations", language)].add(labels.organisations, item.organisations)
        for event in {*labels.events, *gold_events}:
            report.counts[(EVENT + event, language)].add(
                [event] if event in labels.events else [], [event] if event in gold_events else []
            )
        for name, predicted, gold in (
            ("place", labels.place, item.place),
            ("event_date", labels.event_date, item.event_date),
        ):
            if gold is not None:
                report.counts[(name, language)].add([predicted or ""], [gold])


def evaluate(gold: Sequence[GoldItem], classifier: Classifier) -> Report:
    predicted: list[Labels] = []
    for start in range(0, len(gold), BATCH):
        batch = gold[start : start + BATCH]
        predicted += classifier.classify(
            [Document(g.id, g.title, g.text, published=g.published) for g in batch]
        )
    return score(gold, predicted)


def evaluate_file(path: Path, classifier: Classifier) -> Report:
    """Score `classifier` on a labelled file; the report is named after the file (its split)."""
    report = evaluate(load_gold(path), classifier)
    report.name = path.stem
    return report


def _bucket(n: int) -> str:
    return BUCKETS[min(n, len(BUCKETS) - 1)]


def report_table(report: Report) -> Group:
    """The per-label table, the per-topic tables (all languages, then per language) and the
    topic-count table of a report."""
    return Group(
        _label_table(report),
        _topic_table(report),
        _topic_language_table(report),
        _shape_table(report),
        *([_event_table(report)] if ("events", ALL) in report.counts else []),
    )


def _label_table(report: Report) -> Table:
    split = f"{report.name}: " if report.name else ""
    table = Table(
        title=f"{split}F1 (precision/recall) per label and language; topics and countries micro"
    )
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


def _topic_table(report: Report) -> Table:
    split = f"{report.name}: " if report.name else ""
    table = Table(title=f"{split}per topic, all languages (items in the gold labels)")
    for column in ("topic", "gold", "predicted", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "topic" else "right")
    for slug in report.topics():
        c = report.counts[(TOPIC + slug, ALL)]
        table.add_row(
            slug,
            str(c.tp + c.fn),
            str(c.tp + c.fp),
            f"{c.precision:.2f}",
            f"{c.recall:.2f}",
            f"[bold]{c.f1:.2f}[/]",
        )
    micro = report.counts[("topics", ALL)]
    table.add_row(
        "micro", "", "", f"{micro.precision:.2f}", f"{micro.recall:.2f}", f"{micro.f1:.2f}"
    )
    table.add_row("macro", "", "", "", "", f"{report.topic_macro_f1():.2f}")
    return table


def _topic_language_table(report: Report) -> Table:
    """Topic F1 per language: which topic fails in which language ("—": neither the gold
    labels nor the predictions of that language have it)."""
    split = f"{report.name}: " if report.name else ""
    languages = report.languages()
    title = f"{split}topic F1 per language"
    table = Table(title=title, min_width=len(title) + 4)  # a title never wrapped
    table.add_column("topic")
    for language in languages:
        table.add_column(language, justify="right")
    for slug in report.topics():
        cells = []
        for language in languages:
            c = report.counts.get((TOPIC + slug, language))
            cells.append(f"{c.f1:.2f}" if c and c.tp + c.fp + c.fn else "—")
        table.add_row(slug, *cells)
    return table


def _event_table(report: Report) -> Table:
    """Event types per type and organisations, F1 per language (micro over the items labelled
    for events); place and date: share of the stated ones found exactly."""
    split = f"{report.name}: " if report.name else ""
    languages = [lang for lang in report.languages() if (("events", lang) in report.counts)]
    table = Table(title=f"{split}cooperation events: F1 per language (items labelled for events)")
    table.add_column("label")
    for language in languages:
        table.add_column(language, justify="right")
    events = sorted({n[len(EVENT) :] for n, _ in report.counts if n.startswith(EVENT)})
    for name in ("events", *(EVENT + e for e in events), "organisations", "place", "event_date"):
        cells = []
        for language in languages:
            c = report.counts.get((name, language))
            cells.append(f"{c.f1:.2f}" if c and c.tp + c.fp + c.fn else "—")
        table.add_row(name if name != "events" else "event types (micro)", *cells)
    return table


def _shape_table(report: Report) -> Table:
    split = f"{report.name}: " if report.name else ""
    table = Table(
        title=f"{split}topics per relevant item, gold -> predicted (items with 0 / 1 / 2 / 3+)"
    )
    table.add_column("language")
    table.add_column("gold 0/1/2/3+", justify="right")
    table.add_column("predicted 0/1/2/3+", justify="right")
    table.add_column("2+ topics kept", justify="right")
    table.add_column("no topic kept", justify="right")
    table.add_column("topics macro F1", justify="right")
    for language in report.languages():
        cells = report.topic_counts[language]
        gold = "/".join(str(sum(v for (g, _), v in cells.items() if g == b)) for b in BUCKETS)
        predicted = "/".join(str(sum(v for (_, p), v in cells.items() if p == b)) for b in BUCKETS)
        table.add_row(
            language,
            gold,
            predicted,
            _rate(*report.multi_topic_rate(language)),
            _rate(*report.no_topic_rate(language)),
            f"{report.topic_macro_f1(language):.2f}",
        )
    return table


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.0%})" if total else "—"
