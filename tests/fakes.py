"""Fakes at our own seams: a clock that only moves when told, a keyword classifier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from classifiers.base import Document, Labels

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class KeywordClassifier:
    """Relevant when a health word appears; cooperation when a cooperation word also does."""

    HEALTH = ("health", "hospital", "vaccine", "보건", "卫生", "保健", "kesehatan", "y tế")
    COOPERATION = ("mou", "agreement", "협력", "合作", "協力", "kerja sama", "hợp tác")

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return "keywords-1"

    def classify(self, docs: Sequence[Document]) -> list[Labels]:
        self.calls.append([d.id for d in docs])
        return [self._one(d) for d in docs]

    def _one(self, doc: Document) -> Labels:
        text = f"{doc.title} {doc.text}".lower()
        relevant = any(w in text for w in self.HEALTH)
        cooperation = relevant and any(w in text for w in self.COOPERATION)
        return Labels(
            language=doc.language_hint or "en",
            relevant=relevant,
            cooperation=cooperation,
            topics=("health_systems",) if relevant else (),
            countries=(),
            summary=doc.title,
            relevance_score=float(relevant),
            cooperation_score=float(cooperation),
        )
