"""The transformers backend: any Hugging Face model by name or local path (`MONITOR_MODEL`).

- An NLI model (its labels include "entailment") labels items zero-shot: one hypothesis
  per label and topic, built from `topics.toml`.
- Any other encoder is mean-pooled into sentence embeddings and drives the same
  fitted heads as the embedded default (`classifiers.embedding.EmbeddingClassifier`).
- `MONITOR_SUMMARY_MODEL` names a seq2seq model for abstractive summaries.

torch and transformers are imported inside the constructors, so `import classifiers`
stays cheap and the default backend never needs them. Nothing is downloaded here
unless the name is not a local path and the Hugging Face cache lacks it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from classifiers.base import Classifier, Document, Labels, Summariser
from classifiers.cooperation_events import EventExtractor, with_events
from classifiers.errors import BackendError
from classifiers.gazetteer import find_countries, story_countries
from classifiers.language import detect_language
from classifiers.summarise import ExtractiveSummariser
from classifiers.taxonomy import Taxonomy, load_taxonomy

MAX_TOKENS = 256  # longer texts are truncated: title and lead carry the labels
BATCH_SIZE = 16
SUMMARY_MAX_CHARS = 300
RELEVANCE_HYPOTHESIS = "This text is news about health, medicine or health policy."
COOPERATION_HYPOTHESIS = (
    "This text reports cooperation on health between countries or international organisations."
)
TOPIC_HYPOTHESIS = "This text is about {}."
ZERO_SHOT_THRESHOLD = 0.5  # entailment vs contradiction, as the NLI head was trained


def _import_transformers() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise BackendError(
            "the transformers backend needs the 'transformers' extra: "
            "pip install 'health-coop-monitor[transformers]' (with torch==2.13.0, CPU build)"
        ) from exc
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    return torch, transformers


def _load(loader: Any, name_or_path: str, what: str) -> Any:
    try:
        return loader.from_pretrained(name_or_path)
    except (OSError, ValueError) as exc:
        raise BackendError(
            f"cannot load {what} {name_or_path!r}: {exc}. Give a local path, or make sure the "
            "model is in the Hugging Face cache (this service does not download at run time)"
        ) from exc


def _model_id(kind: str, name_or_path: str, config: Any) -> str:
    """Name plus a digest of the config, so a changed model never reuses cached labels."""
    digest = hashlib.sha256(
        json.dumps(config.to_dict(), sort_keys=True, default=str).encode()
    ).hexdigest()[:10]
    return f"{kind}:{Path(name_or_path).name or name_or_path}-{digest}"


def _token_limit(wanted: int, tokenizer: Any, config: Any) -> int:
    """Longest input the model takes: ours, the tokenizer's and the position table's limits."""
    limits = [wanted, int(min(tokenizer.model_max_length, 1 << 30))]
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits)


def is_nli_model(name_or_path: str) -> bool:
    """True when the model's classification labels include entailment."""
    _, transformers = _import_transformers()
    config = _load(transformers.AutoConfig, name_or_path, "model config")
    labels = getattr(config, "id2label", None) or {}
    return any(str(label).lower().startswith("entail") for label in labels.values())


class TransformersEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from any encoder model."""

    def __init__(
        self, name_or_path: str, *, max_tokens: int = MAX_TOKENS, batch_size: int = BATCH_SIZE
    ) -> None:
        torch, transformers = _import_transformers()
        self._torch = torch
        self._tokenizer = _load(transformers.AutoTokenizer, name_or_path, "tokenizer")
        self._model = _load(transformers.AutoModel, name_or_path, "model").eval()
        self._max_tokens = _token_limit(max_tokens, self._tokenizer, self._model.config)
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._id = _model_id("transformers", name_or_path, self._model.config)

    @property
    def model_id(self) -> str:
        return self._id

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        torch = self._torch
        chunks = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), self._batch_size):
                batch = [t or " " for t in texts[start : start + self._batch_size]]
                encoded = self._tokenizer(
                    batch,
                    padding=True,
                    truncation=True,
                    max_length=self._max_tokens,
                    return_tensors="pt",
                )
                hidden = self._model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                chunks.append(pooled.float().numpy())
        width = int(self._model.config.hidden_size)
        return np.vstack(chunks) if chunks else np.zeros((0, width), np.float32)


class ZeroShotClassifier:
    """Labels from an NLI model: each label and topic is a hypothesis the text may entail."""

    def __init__(
        self,
        name_or_path: str,
        *,
        taxonomy: Taxonomy | None = None,
        summariser: Summariser | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        _, transformers = _import_transformers()
        tokenizer = _load(transformers.AutoTokenizer, name_or_path, "tokenizer")
        model = _load(transformers.AutoModelForSequenceClassification, name_or_path, "model")
        tokenizer.model_max_length = _token_limit(MAX_TOKENS, tokenizer, model.config)
        self._pipeline = transformers.pipeline(
            "zero-shot-classification", model=model, tokenizer=tokenizer, device=-1
        )
        self._taxonomy = taxonomy or load_taxonomy()
        self._summariser = summariser or ExtractiveSummariser()
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._events = EventExtractor()
        self._id = (
            f"{_model_id('zero-shot', name_or_path, model.config)}+events-{self._events.version}"
        )
        # hypothesis text -> what it decides
        self._labels = {RELEVANCE_HYPOTHESIS: "relevant", COOPERATION_HYPOTHESIS: "cooperation"}
        for topic in self._taxonomy.topics:
            # the name, not the description: a hypothesis must leave room for the text
            self._labels[TOPIC_HYPOTHESIS.format(topic.name.lower())] = topic.slug

    @property
    def model_id(self) -> str:
        return self._id

    def classify(self, docs: Sequence[Document]) -> list[Labels]:
        if not docs:
            return []
        texts = [f"{d.title}\n{d.text}".strip() or " " for d in docs]
        with self._lock:
            raw = self._pipeline(
                texts,
                candidate_labels=list(self._labels),
                hypothesis_template="{}",
                multi_label=True,
                batch_size=self._batch_size,
            )
        results = raw if isinstance(raw, list) else [raw]
        return [self._labels_of(doc, result) for doc, result in zip(docs, results, strict=True)]

    def _labels_of(self, doc: Document, result: dict[str, Any]) -> Labels:
        scores = {
            self._labels[h]: float(s)
            for h, s in zip(result["labels"], result["scores"], strict=True)
        }
        relevant = scores["relevant"] >= ZERO_SHOT_THRESHOLD
        topic_scores = {s: scores[s] for s in self._taxonomy.slugs}
        language = detect_language(doc.title, doc.text, doc.language_hint)
        labels = Labels(
            language=language,
            relevant=relevant,
            cooperation=relevant and scores["cooperation"] >= ZERO_SHOT_THRESHOLD,
            topics=tuple(
                sorted(
                    (s for s, p in topic_scores.items() if p >= ZERO_SHOT_THRESHOLD and relevant),
                    key=lambda s: -topic_scores[s],
                )
            ),
            countries=(story_countries if relevant else find_countries)(
                f"{doc.title}\n{doc.text}", language
            ),
            summary=self._summariser.summarise(doc.title, doc.text, language),
            relevance_score=scores["relevant"],
            cooperation_score=scores["cooperation"],
            topic_scores=topic_scores,
        )
        return with_events(labels, doc, self._events)


class Seq2SeqSummariser:
    """Abstractive summaries from a seq2seq model; extractive when the model says nothing."""

    def __init__(
        self, name_or_path: str, *, max_input_tokens: int = 512, max_new_tokens: int = 96
    ) -> None:
        torch, transformers = _import_transformers()
        self._torch = torch
        self._tokenizer = _load(transformers.AutoTokenizer, name_or_path, "tokenizer")
        self._model = _load(transformers.AutoModelForSeq2SeqLM, name_or_path, "model").eval()
        self._max_input = _token_limit(max_input_tokens, self._tokenizer, self._model.config)
        self._max_new = max_new_tokens
        self._fallback = ExtractiveSummariser()
        self._lock = threading.Lock()

    def summarise(self, title: str, text: str, language: str) -> str:
        source = f"{title}\n{text}".strip()
        if not source:
            return ""
        with self._lock, self._torch.inference_mode():
            encoded = self._tokenizer(
                [source], truncation=True, max_length=self._max_input, return_tensors="pt"
            )
            output = self._model.generate(**encoded, max_new_tokens=self._max_new, num_beams=2)
        summary = " ".join(self._tokenizer.decode(output[0], skip_special_tokens=True).split())
        if not summary:
            return self._fallback.summarise(title, text, language)
        return (
            summary if len(summary) <= SUMMARY_MAX_CHARS else summary[: SUMMARY_MAX_CHARS - 1] + "…"
        )


def load_transformers_classifier(
    name_or_path: str, *, cache_dir: Path | None, summariser: Summariser | None
) -> Classifier:
    """Zero-shot for an NLI model, else embeddings + fitted heads."""
    if is_nli_model(name_or_path):
        return ZeroShotClassifier(name_or_path, summariser=summariser)
    from classifiers.embedding import EmbeddingClassifier

    return EmbeddingClassifier(
        TransformersEncoder(name_or_path), cache_dir=cache_dir, summariser=summariser
    )
